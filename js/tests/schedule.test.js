// The schedule picker in a small DOM (a select per group, parameter inputs with their defaults,
// set_schedule sent; bad text sends nothing) and the planned curves' data and scales.
import assert from "node:assert/strict";
import { test } from "node:test";

import { FakeModel, installDom, metaFor } from "./fakes.js";

installDom();
const { connect } = await import("../app.js");
const { createSettingsPanel } = await import("../settings.js");
const { defaultTotal, defaultValue } = await import("../schedulepicker.js");
const { plannedCurves, plannedExtent, plannedScales } = await import("../planned.js");

const SCHEDULES = [
  { name: "constant", params: [{ name: "lr", kind: "number", default: "rate" }] },
  {
    name: "cosine",
    params: [
      { name: "lr", kind: "number", default: "rate" },
      { name: "T_max", kind: "int", default: ["total", 1.0] },
      { name: "eta_min", kind: "number", default: 0.0 },
    ],
  },
];

const fire = (el, type = "change") => el.dispatchEvent(new window.__gdEvent(type));

test("picking a schedule sends it with its defaults; a parameter's change sends it again", () => {
  const meta = metaFor(["adam", "sgd"], { schedules: SCHEDULES });
  meta.groups[0].lr = 0.05;
  const model = new FakeModel({ meta, target: { steps: 500 } });
  const store = connect(model);
  const panel = createSettingsPanel(store);
  const q = (id) => panel.el.querySelector(`[data-testid="${id}"]`);
  const select = q("gd-schedule-adam");
  assert.ok(select && q("gd-schedule-sgd"));
  assert.equal(select.value, "");
  select.value = "cosine";
  fire(select);
  assert.deepEqual(model.sent.at(-1), { type: "set_schedule", group: "adam", name: "cosine", params: { lr: 0.05, T_max: 500, eta_min: 0 } });
  const tmax = q("gd-schedule-adam-T_max");
  tmax.value = "120";
  fire(tmax);
  assert.deepEqual(model.sent.at(-1).params, { lr: 0.05, T_max: 120, eta_min: 0 });
  const before = model.sent.length;
  tmax.value = "";
  fire(tmax);
  assert.equal(model.sent.length, before);
  // the kernel's echo: the choice and its parameters are shown
  const m = metaFor(["adam", "sgd"], { schedules: SCHEDULES });
  m.groups[0].schedule = "cosine(lr=0.05, T_max=120, eta_min=0)";
  m.groups[0].schedule_pick = { name: "cosine", params: { lr: 0.05, T_max: 120, eta_min: 0 } };
  model.set("meta", m);
  assert.equal(q("gd-schedule-adam").value, "cosine");
  assert.equal(q("gd-schedule-adam-T_max").value, "120");
});

test("defaults follow the kernel's rule", () => {
  assert.equal(defaultTotal(0, undefined), 300);
  assert.equal(defaultTotal(400, undefined), 800);
  assert.equal(defaultTotal(10, 200), 200);
  assert.equal(defaultTotal(250, 200), 500);
  assert.equal(defaultValue({ default: ["total", 0.1] }, 0.1, 300), 30);
  assert.equal(defaultValue({ default: "rate" }, 0.1, 300), 0.1);
});

test("planned curves: one per row in the run's colour, hidden runs left out, scales widened", () => {
  const meta = metaFor(["a", "b"]);
  meta.groups[0].planned = { steps: [0, 50, 100], lr: [[0.1, 0.05, 0]] };
  const curves = plannedCurves(meta);
  assert.equal(curves.length, 1);
  assert.equal(curves[0].color, meta.runs[0].color);
  assert.deepEqual(plannedExtent(curves), { x0: 0, x1: 100, y0: 0, y1: 0.1 });
  assert.equal(plannedCurves(meta, new Set(["a"])).length, 0);
  const scales = plannedScales(() => curves, (_u, lo, hi) => [lo, hi], (_u, lo, hi) => [lo, hi]);
  assert.deepEqual(scales.x.range(null, 0, 20), [0, 100]);
  assert.deepEqual(scales.y.range(null, 0.08, 0.12), [0, 0.12]);
  assert.deepEqual(scales.x.range(null, null, null), [0, 100]);
  assert.deepEqual(plannedScales(() => [], (_u, lo, hi) => [lo, hi], null).x.range(null, 3, 9), [3, 9]);
});
