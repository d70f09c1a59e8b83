// The settings panel in a small DOM: one input per hyperparameter from meta, set_hyper sent
// with the right value for numbers, pairs, switches and choices; bad text sends nothing.
import assert from "node:assert/strict";
import { test } from "node:test";

import { FakeModel, installDom, metaFor } from "./fakes.js";

installDom();
const { connect } = await import("../app.js");
const { createSettingsPanel, hyperMessage } = await import("../settings.js");

function meta() {
  const m = metaFor(["sgd", "sophia"]);
  m.groups = [
    {
      label: "sgd",
      optimizer: "sgd",
      lr: 0.01,
      settings: [
        { name: "momentum", kind: "number", value: 0.9, at_reset: false },
        { name: "dampening", kind: "number", value: null, at_reset: false },
        { name: "nesterov", kind: "switch", value: false, at_reset: false },
      ],
    },
    {
      label: "sophia",
      optimizer: "sophia",
      lr: 0.01,
      settings: [
        { name: "betas", kind: "pair", value: [0.965, 0.99], at_reset: false },
        { name: "k", kind: "int", value: 10, at_reset: false },
        { name: "estimator", kind: "choice", value: "auto", at_reset: false, choices: ["auto", "exact"] },
        { name: "seed", kind: "int", value: 0, at_reset: true },
      ],
    },
  ];
  return m;
}

const fire = (el, type = "change") => el.dispatchEvent(new window.__gdEvent(type));

test("one input per hyperparameter; each change sends set_hyper", () => {
  const model = new FakeModel({ meta: meta() });
  const store = connect(model);
  const panel = createSettingsPanel(store);
  const q = (id) => panel.el.querySelector(`[data-testid="${id}"]`);
  assert.ok(q("gd-settings-sgd") && q("gd-settings-sophia"));
  assert.equal(panel.el.querySelectorAll("input, select").length, 8);
  assert.equal(q("gd-hyper-sgd-momentum").value, "0.9");
  assert.ok(q("gd-hyper-sgd-dampening").hasAttribute("disabled")); // swept: shown, not edited

  q("gd-hyper-sgd-momentum").value = "0.5";
  fire(q("gd-hyper-sgd-momentum"));
  assert.deepEqual(model.sent.at(-1), { type: "set_hyper", group: "sgd", name: "momentum", value: 0.5 });
  q("gd-hyper-sgd-nesterov").checked = true;
  fire(q("gd-hyper-sgd-nesterov"));
  assert.deepEqual(model.sent.at(-1), { type: "set_hyper", group: "sgd", name: "nesterov", value: true });
  q("gd-hyper-sophia-betas-1").value = "0.9";
  fire(q("gd-hyper-sophia-betas-1"));
  assert.deepEqual(model.sent.at(-1), { type: "set_hyper", group: "sophia", name: "betas", value: [0.965, 0.9] });
  q("gd-hyper-sophia-estimator").value = "exact";
  fire(q("gd-hyper-sophia-estimator"));
  assert.deepEqual(model.sent.at(-1), { type: "set_hyper", group: "sophia", name: "estimator", value: "exact" });

  const before = model.sent.length;
  q("gd-hyper-sophia-k").value = "";
  fire(q("gd-hyper-sophia-k"));
  assert.equal(model.sent.length, before); // not a number: nothing sent
  assert.match(panel.el.textContent, /seed \(at reset\)/);

  // the kernel's echo rebuilds the inputs with the new values
  const m = meta();
  m.groups[0].settings[0].value = 0.5;
  model.set("meta", m);
  assert.equal(panel.el.querySelector('[data-testid="gd-hyper-sgd-momentum"]').value, "0.5");
  panel.destroy();
  store.dispose();
});

test("hyperMessage refuses non-numbers", () => {
  const s = { name: "eps", kind: "number" };
  assert.equal(hyperMessage("a", s, [{ value: "abc" }]), null);
  assert.deepEqual(hyperMessage("a", s, [{ value: "1e-3" }]), { type: "set_hyper", group: "a", name: "eps", value: 0.001 });
});
