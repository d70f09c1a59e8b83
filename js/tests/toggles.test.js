// The toggles in the settings panel (js/toggles.js): clip, noise and weight decay rows from
// meta.groups[i].toggles; each change sends set_toggle; the kernel's echo is what they show.
import assert from "node:assert/strict";
import { test } from "node:test";

import { FakeModel, installDom, metaFor } from "./fakes.js";

installDom();
const { connect } = await import("../app.js");
const { createSettingsPanel } = await import("../settings.js");
const { toggleMessage } = await import("../toggles.js");

function meta(toggles) {
  const m = metaFor(["adam", "sgd"]);
  m.groups = [
    { label: "adam", optimizer: "adam", lr: 0.05, settings: [{ name: "eps", kind: "number", value: 1e-8, at_reset: false }], toggles },
    { label: "sgd", optimizer: "sgd", lr: 0.01, settings: [], toggles: { clip: null, noise: null, clipped: 0 } },
  ];
  return m;
}

const fire = (el) => el.dispatchEvent(new window.__gdEvent("change"));
const OFF = { clip: null, noise: null, clipped: 0, weight_decay: 0, weight_decay_on: false };

test("each toggle sends set_toggle; the echo is shown", () => {
  const model = new FakeModel({ meta: meta(OFF) });
  const store = connect(model);
  const panel = createSettingsPanel(store);
  const q = (id) => panel.el.querySelector(`[data-testid="${id}"]`);
  assert.ok(q("gd-clip-adam") && q("gd-noise-adam") && q("gd-wd-adam") && q("gd-clip-sgd"));
  assert.equal(q("gd-wd-sgd"), null); // no weight decay in its toggles: no box
  assert.equal(q("gd-clip-adam").checked, false);

  q("gd-clip-adam-value").value = "0.5";
  fire(q("gd-clip-adam-value")); // off: a new number is kept, nothing sent
  assert.equal(model.sent.filter((m) => m.type === "set_toggle").length, 0);
  q("gd-clip-adam").checked = true;
  fire(q("gd-clip-adam"));
  assert.deepEqual(model.sent.at(-1), { type: "set_toggle", group: "adam", name: "clip", value: 0.5 });
  q("gd-noise-sgd").checked = true;
  fire(q("gd-noise-sgd"));
  assert.deepEqual(model.sent.at(-1), { type: "set_toggle", group: "sgd", name: "noise", value: 0.1 });
  q("gd-wd-adam").checked = true;
  fire(q("gd-wd-adam"));
  assert.deepEqual(model.sent.at(-1), { type: "set_toggle", group: "adam", name: "weight_decay", value: true });

  // the kernel's echo (a change from Python) rebuilds the rows with its values
  model.set("meta", meta({ clip: 2, noise: null, clipped: 7, weight_decay: 0.01, weight_decay_on: true }));
  assert.equal(q("gd-clip-adam").checked, true);
  assert.equal(q("gd-clip-adam-value").value, "2");
  model.set("clipped", { steps: [3, 3, 4], runs: [0, 1, 0] }); // adam is run 0, sgd run 1
  assert.equal(q("gd-clip-adam-count").textContent, "2 clipped");
  assert.equal(q("gd-clip-sgd-count").textContent, "1 clipped");
  assert.equal(q("gd-wd-adam").checked, true);
  q("gd-clip-adam").checked = false;
  fire(q("gd-clip-adam"));
  assert.deepEqual(model.sent.at(-1), { type: "set_toggle", group: "adam", name: "clip", value: null });
  panel.destroy();
  store.dispose();
});

test("toggleMessage refuses a number that is not > 0", () => {
  const on = { checked: true };
  assert.equal(toggleMessage("a", "clip", on, { value: "-1" }), null);
  assert.equal(toggleMessage("a", "noise", on, { value: "abc" }), null);
  assert.deepEqual(toggleMessage("a", "noise", on, { value: "0.2" }), { type: "set_toggle", group: "a", name: "noise", value: 0.2 });
  assert.deepEqual(toggleMessage("a", "clip", { checked: false }, { value: "x" }), { type: "set_toggle", group: "a", name: "clip", value: null });
});
