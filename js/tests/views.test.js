// The views' pure helpers (the DOM parts are checked in a browser).
import assert from "node:assert/strict";
import { test } from "node:test";

import { posFromSpeed, speedFromPos } from "../controls.js";
import { runInfo, statusByLabel, statusText } from "../paths.js";
import { structureKey } from "../store.js";

test("speed slider: the last position is 'max' (0), the others 1..1000 steps/s on a log scale", () => {
  assert.equal(speedFromPos(100), 0);
  assert.equal(posFromSpeed(0), 100);
  assert.equal(speedFromPos(0), 1);
  assert.equal(speedFromPos(99), 1000);
  for (const s of [1, 10, 60, 500]) {
    const back = speedFromPos(posFromSpeed(s));
    assert.ok(Math.abs(Math.log10(back / s)) < 0.02, `${s} -> ${back}`);
  }
});

test("legend status words", () => {
  assert.equal(statusText({ status: "diverged", step: 12 }), "diverged at step 12");
  assert.equal(statusText({ status: "converged", step: 300 }), "converged at step 300");
  assert.equal(statusText({ status: "running", step: 5 }), "running");
  assert.equal(statusText(undefined), "");
  const m = statusByLabel([{ label: "adam", status: "running" }, null, { label: 3, status: "stopped" }]);
  assert.equal(m.get("adam").status, "running");
  assert.equal(m.get("3").status, "stopped");
});

test("runInfo falls back when meta is missing or short", () => {
  assert.equal(runInfo({ runs: [{ label: "gd", color: "#123456" }] }, 0).color, "#123456");
  const info = runInfo(undefined, 2);
  assert.equal(info.label, "run 2");
  assert.match(info.color, /^#[0-9a-f]{6}$/);
});

test("a group's lr change does not count as a new meta structure", () => {
  const meta = { runs: [{ label: "gd" }], groups: [{ label: "gd", lr: 0.1, lr_min: 1e-4, lr_max: 1 }] };
  const lrOnly = { ...meta, groups: [{ ...meta.groups[0], lr: 0.2 }] };
  const other = { ...meta, groups: [{ ...meta.groups[0], lr_max: 10 }] };
  assert.equal(structureKey(meta), structureKey(lrOnly));
  assert.notEqual(structureKey(meta), structureKey(other));
});

test("landscape axis titles: meta.axes, with the PCA plane's share of variance when given", async () => {
  const { axisNames } = await import("../landscape.js");
  assert.deepEqual(axisNames({ axes: ["w", "b"], model: { plane: "params" } }), ["w", "b"]);
  assert.deepEqual(axisNames({ axes: ["PC 1", "PC 2"], model: { plane: "pca", explained: [0.834, 0.1] } }), [
    "PC 1 (83% of the pilot run's variance)",
    "PC 2 (10% of the pilot run's variance)",
  ]);
  assert.deepEqual(axisNames({ axes: ["PC 1", "PC 2"], model: { plane: "pca", explained: [12.5] } }), ["PC 1", "PC 2"]);
  assert.deepEqual(axisNames({}), ["x", "y"]);
});
