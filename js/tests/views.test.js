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
  // a run its rows hold only coarser than a pixel says by how much (rounded up), others not
  assert.equal(statusText({ status: "running", path_px: 3.97 }, "paused"), "paused · path within 4.0 px");
  assert.equal(statusText({ status: "running", path_px: 1.01 }), "running · path within 1.1 px");
  assert.equal(statusText({ status: "converged", step: 9, path_px: 12.2 }), "converged at step 9 · path within 13 px");
  assert.equal(statusText({ status: "running", path_px: 0.99 }), "running");
  assert.equal(statusText({ status: "diverged", step: 12, path_px: 50, note: "diverged: overflow" }), "diverged: overflow");
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

test("legend words: the kernel's note first, 'paused' for a run still going while paused", () => {
  const note = "diverged: loss x1000 above its start from step 12, overflow at step 171";
  assert.equal(statusText({ status: "diverged", step: 171, note }), note);
  assert.equal(statusText({ status: "diverged", step: 171, note: null }), "diverged at step 171");
  assert.equal(statusText({ status: "running", step: 5 }, "paused"), "paused");
  assert.equal(statusText({ status: "converged", step: 5 }, "paused"), "converged at step 5");
});

test("runs stay apart: twelve colours, then dashes; meta's dash wins", async () => {
  const { FALLBACK_COLORS, fallbackDash } = await import("../paths.js");
  assert.equal(new Set(FALLBACK_COLORS).size, 12);
  const styles = new Set();
  for (let r = 0; r < 36; r++) {
    const { color, dash } = runInfo(undefined, r);
    styles.add(`${color}|${dash.join(",")}`);
  }
  assert.equal(styles.size, 36);
  assert.deepEqual(fallbackDash(0), []);
  assert.notDeepEqual(fallbackDash(12), []);
  assert.deepEqual(runInfo({ runs: [{ label: "a", color: "#111111", dash: [6, 3] }] }, 0).dash, [6, 3]);
  assert.deepEqual(runInfo({ runs: [{ label: "a", color: "#111111" }] }, 0).dash, []);
  assert.deepEqual(runInfo({ runs: [{ label: "a", dash: "bad" }] }, 0).dash, []);
});

test("the step box takes any count up to 10^9 and says why beyond", async () => {
  const { parseStepCount, formatCount } = await import("../controls.js");
  assert.deepEqual(parseStepCount("10"), { n: 10 });
  assert.deepEqual(parseStepCount("1000000000"), { n: 1e9 });
  assert.match(parseStepCount("1000000001").error, /10\^9/);
  assert.match(parseStepCount("0").error, /at least 1/);
  assert.match(parseStepCount("2.5").error, /whole/);
  assert.match(parseStepCount("").error, /number/);
  assert.equal(formatCount(1e9), "1G");
  assert.equal(formatCount(250000), "250k");
});

test("a scheduled group's slider starts at its peak and says it scales the schedule", async () => {
  const { sliderLabel, sliderStart } = await import("../sliders.js");
  const { logMap } = await import("../scales.js");
  const map = logMap(1e-4, 1);
  const g = { label: "adam", optimizer: "adam", lr: 0.02, scale: 2, peak: 0.01, schedule: "cosine(0.01)" };
  assert.equal(sliderLabel(g), "adam · peak lr (scales schedule)");
  assert.equal(sliderStart(g, map), 0.02);
  assert.equal(sliderStart({ ...g, lr: null }, map), 0.02);
  assert.equal(sliderStart({ label: "x" }, map), 0.01);
  assert.equal(sliderLabel({ label: "sgd", schedule: null }), "sgd");
});
