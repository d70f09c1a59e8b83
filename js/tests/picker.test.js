// The race setup panel (js/picker.js) in a small DOM: each control sends its one message, the
// kernel's refusal is shown, and the panel follows the race.
import assert from "node:assert/strict";
import { test } from "node:test";

import { FakeModel, installDom, metaFor } from "./fakes.js";

installDom();
const { connect } = await import("../app.js");
const { createPicker } = await import("../picker.js");

const OFFER = { functions: ["quadratic", "rosenbrock", "six_hump_camel"], optimizers: { gd: 0.01, adam: 0.05 }, error: "" };

function make(labels = ["gd", "adam"]) {
  const meta = { ...metaFor(labels), objective: "rosenbrock" };
  meta.groups = labels.map((label) => ({ label, optimizer: label, lr: 0.01 }));
  const model = new FakeModel({ meta, picker: OFFER });
  const store = connect(model);
  const picker = createPicker(store);
  const q = (id) => picker.el.querySelector(`[data-testid="${id}"]`);
  const sent = () => model.sent.filter((m) => m.type !== "request_history");
  return { model, picker, q, sent };
}

const fire = (el, type) => el.dispatchEvent(new window.__gdEvent(type));

test("the function picker: a name is sent at once, an expression on Enter or 'use'", () => {
  const { q, sent, picker } = make();
  const fn = q("gd-function");
  assert.deepEqual([...fn.options].map((o) => o.value).slice(0, 3), OFFER.functions);
  assert.equal(fn.value, "rosenbrock");
  fn.value = "six_hump_camel";
  fire(fn, "change");
  assert.deepEqual(sent().at(-1), { type: "set_function", name: "six_hump_camel" });
  fn.value = "__expression__";
  fire(fn, "change");
  assert.equal(q("gd-function-expr").parentElement.hidden, false);
  assert.equal(sent().length, 1);
  q("gd-function-expr").value = "x**2 + y**2";
  const enter = new window.__gdEvent("keydown");
  enter.key = "Enter";
  q("gd-function-expr").dispatchEvent(enter);
  q("gd-function-apply").click();
  assert.deepEqual(sent().slice(1), [
    { type: "set_function", expression: "x**2 + y**2" },
    { type: "set_function", expression: "x**2 + y**2" },
  ]);
  picker.destroy();
});

test("the kernel's refusal is shown, and cleared by the next success", () => {
  const { q, model, picker } = make();
  assert.equal(q("gd-picker-error").hidden, true);
  model.set("picker", { ...OFFER, error: "unexpected end of expression: 'x**2 +'" });
  assert.equal(q("gd-picker-error").hidden, false);
  assert.match(q("gd-picker-error").textContent, /unexpected end/);
  model.set("picker", OFFER);
  assert.equal(q("gd-picker-error").hidden, true);
  picker.destroy();
});

test("add an optimizer with its rate; remove one; the last one cannot be removed", () => {
  const { q, sent, model, picker } = make();
  const opt = q("gd-add-optimizer");
  opt.value = "adam";
  fire(opt, "change");
  assert.equal(q("gd-add-lr").value, "0.05");
  q("gd-add-lr").value = "0.2";
  q("gd-add-optimizer-go").click();
  assert.deepEqual(sent().at(-1), { type: "add_optimizer", optimizer: "adam", lr: 0.2 });
  q("gd-remove-gd").click();
  assert.deepEqual(sent().at(-1), { type: "remove_optimizer", label: "gd" });
  // the race now: one optimizer on an expression
  const meta = { ...metaFor(["adam"]), objective: "x**2 + y**2", groups: [{ label: "adam", optimizer: "adam", lr: 0.05 }] };
  model.set("meta", meta);
  model.fire("change:meta");
  assert.equal(q("gd-remove-gd"), null);
  assert.equal(q("gd-remove-adam").disabled, true);
  assert.equal(q("gd-function").value, "__expression__");
  assert.equal(q("gd-function-expr").value, "x**2 + y**2");
  picker.destroy();
});
