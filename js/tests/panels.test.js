// The side panels in a small DOM: the lr sliders (set_lr, the swarm's label), the legend's
// "paused", the status line's device, the step box.
import assert from "node:assert/strict";
import { test } from "node:test";

import { FakeModel, frameOf, installDom, metaFor } from "./fakes.js";

installDom();
const { connect } = await import("../app.js");
const { createLrSliders } = await import("../sliders.js");
const { createLegend } = await import("../legend.js");
const { createStatusLine } = await import("../statusline.js");
const { createToolbar } = await import("../controls.js");

function swarmMeta() {
  const meta = metaFor(["adam 0", "adam 1", "adam 2", "sgd"]);
  meta.runs = meta.runs.map((run) => ({ ...run, group: run.label.startsWith("adam") ? "adam" : "sgd" }));
  meta.groups = [
    { label: "adam", optimizer: "adam", lr: 0.05, scale: 5, peak: 0.01, lr_min: 1e-4, lr_max: 1, schedule: "cosine(0.01, 100)" },
    { label: "sgd", optimizer: "sgd", lr: 0.1, lr_min: 1e-4, lr_max: 1, schedule: null },
  ];
  return meta;
}

test("sliders: a swarm's label names its optimizer without swatches; a schedule's peak; set_lr", () => {
  const model = new FakeModel({ meta: swarmMeta() });
  const store = connect(model);
  const sliders = createLrSliders(store);
  const rows = sliders.el.querySelectorAll(".gd-lr-row");
  assert.equal(rows.length, 2);
  assert.equal(rows[0].querySelector(".gd-lr-name").textContent, "adam · peak lr (scales schedule)");
  assert.equal(rows[0].querySelectorAll(".gd-swatch, .gd-swatch-line").length, 0);
  // one run in the group: its key is shown
  assert.equal(rows[1].querySelectorAll(".gd-swatch, .gd-swatch-line").length, 1);
  const input = sliders.el.querySelector('[data-testid="gd-lr-adam"]');
  assert.equal(Number(input.dataset.value), 0.05);
  input.value = "1000";
  input.dispatchEvent(new window.__gdEvent("input"));
  assert.deepEqual(model.sent.at(-1), { type: "set_lr", group: "adam", value: 1 });
  sliders.destroy();
  store.dispose();
});

test("legend: 'ready' before the first step, 'paused' while paused after some, the kernel's note when given", () => {
  const model = new FakeModel({
    meta: metaFor(["gd", "adam"]),
    running: false,
    t: 0,
    status: [{ label: "gd", status: "running", step: 0, loss: 1 }, { label: "adam", status: "running", step: 0, loss: 1 }],
  });
  const store = connect(model);
  const legend = createLegend(store);
  const statusOf = (label) => legend.el.querySelector(`[data-label="${label}"] .gd-legend-status`).textContent;
  assert.equal(statusOf("gd"), "ready"); // not "running": nothing runs yet
  store.ingest(frameOf([[[0, 0, 1], [0, 0, 1]], [[0, 0, 1], [0, 0, 1]]]));
  const note = "diverged: loss x1000 above its start from step 12, overflow at step 171";
  model.state.status = [
    { label: "gd", status: "running", step: 5, loss: 1 },
    { label: "adam", status: "diverged", step: 171, loss: null, note },
  ];
  model.state.t = 5;
  model.set("running", true);
  model.fire("change:status");
  assert.equal(statusOf("gd"), "running");
  assert.equal(statusOf("adam"), note);
  model.set("running", false);
  assert.equal(statusOf("gd"), "paused");
  assert.equal(statusOf("adam"), note);
  legend.destroy();
  store.dispose();
});

test("status line: the device label instead of a warning", () => {
  const model = new FakeModel({ meta: metaFor(["gd"], { device_label: "CPU · NumPy" }), error: "" });
  const store = connect(model);
  const line = createStatusLine(store);
  assert.match(line.el.textContent, /CPU · NumPy/);
  assert.equal(line.el.querySelector(".gd-error").hidden, true);
  line.destroy();
  store.dispose();
});

test("step box: 10^9 is sent, beyond it a message and nothing sent", () => {
  const model = new FakeModel({ meta: metaFor(["gd"]) });
  const store = connect(model);
  const bar = createToolbar(store);
  const box = bar.el.querySelector('[data-testid="gd-step-n-input"]');
  const run = bar.el.querySelector('[data-testid="gd-step-n"]');
  assert.equal(box.getAttribute("max"), "1000000000");
  box.value = "1000000000";
  run.click();
  assert.deepEqual(model.sent.at(-1), { type: "step", n: 1e9 });
  box.value = "2000000000";
  const before = model.sent.length;
  run.click();
  assert.equal(model.sent.length, before);
  const msg = bar.el.querySelector(".gd-step-error");
  assert.equal(msg.hidden, false);
  assert.match(msg.textContent, /10\^9/);
  bar.destroy();
  store.dispose();
});
