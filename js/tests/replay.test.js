// The replay page's data and player: the embedded base64 arrays decode to the values written,
// rows are cut as the store's frames, each run's status follows the row shown, the clock
// plays in steps, and the mounted page moves its markers with the timeline.
import assert from "node:assert/strict";
import { test } from "node:test";

import { installDom } from "./fakes.js";

installDom();
globalThis.atob ??= (s) => Buffer.from(s, "base64").toString("binary");
const { base64Bytes, decodeArray, frameOf, readReplay, statusAt, upperBound } = await import("../replay/data.js");
const { createClock, defaultSpeed } = await import("../replay/clock.js");
const { mountReplay } = await import("../replay/page.js");

const b64 = (typed) => Buffer.from(typed.buffer, typed.byteOffset, typed.byteLength).toString("base64");
const entry = (typed, shape) => ({ dtype: typed instanceof Float64Array ? "f8" : "f4", shape, data: b64(typed) });

/** A replay document of two runs: run 0 walks along x, run 1 along y, run 1 stops at step 6. */
function documentOf(n = 5) {
  const R = 2;
  const steps = new Float64Array(n).map((_, i) => 2 * i); // thinned: every other step
  const loss = new Float64Array(n * R);
  const xy = new Float64Array(n * R * 2);
  for (let i = 0; i < n; i++) {
    loss[i * R] = 10 - i;
    loss[i * R + 1] = 5 - i / 2;
    xy[(i * R) * 2] = i / 10;
    xy[(i * R + 1) * 2 + 1] = -i / 10;
  }
  const lr = new Float64Array(n * R).fill(0.01);
  const grid = new Float32Array(12).map((_, k) => k);
  return {
    format: "gdwidget-replay",
    version: 1,
    kind: "history",
    title: "test",
    meta: { objective: "test", bounds: [[-1, 1], [-1, 1]], axes: ["x", "y"], runs: [{ label: "a", color: "#ff0000", dash: [] }, { label: "b", color: "#0000ff", dash: [] }], groups: [] },
    view: [[-1, 1], [-1, 1]],
    status: [{ label: "a", status: "running", step: 2 * (n - 1), loss: 10 - (n - 1), note: null }, { label: "b", status: "converged", step: 6, loss: 3.5, note: null }],
    stop_step: [-1, 6],
    n,
    n_runs: R,
    arrays: { steps: entry(steps, [n]), loss: entry(loss, [n, R]), lr: entry(lr, [n, R]), xy: entry(xy, [n, R, 2]) },
    grid: { meta: { nx: 4, ny: 3, x0: -1, x1: 1, y0: -1, y1: 1, zmin: 0, zmax: 11, log: false }, values: entry(grid, [3, 4]) },
    evals: null,
  };
}

test("base64 arrays decode to the values written, float64 exactly", () => {
  const v = new Float64Array([0.1, -2.5e-300, Number.NaN, Number.POSITIVE_INFINITY, 1 / 3]);
  assert.deepEqual([...decodeArray(entry(v, [5]))], [...v]);
  const f = new Float32Array([1.5, -0.25]);
  assert.deepEqual([...decodeArray(entry(f, [2]))], [1.5, -0.25]);
  assert.deepEqual([...base64Bytes("AAEC/w==")], [0, 1, 2, 255]);
  assert.throws(() => decodeArray({ dtype: "f8", shape: [3], data: b64(new Float64Array(2)) }), /shape says 3/);
  assert.throws(() => readReplay({ format: "other" }), /unknown data format/);
});

test("rows are cut as the store's frames, and each run's status follows the row shown", () => {
  const data = readReplay(documentOf(5));
  assert.equal(upperBound(data.steps, 4), 3);
  const f = frameOf(data, 1, 3, "frame");
  assert.equal(f.n, 2);
  assert.deepEqual([...f.steps], [2, 4]);
  assert.deepEqual([...f.loss], [9, 4.5, 8, 4]);
  assert.deepEqual([...f.xy], [0.1, 0, 0, -0.1, 0.2, 0, 0, -0.2]);
  // row 2 (step 4): both still running, with their losses then
  let s = statusAt(data, 2);
  assert.deepEqual(s.map((e) => [e.status, e.loss]), [["running", 8], ["running", 4]]);
  // row 3 (step 6): b has converged at step 6
  s = statusAt(data, 3);
  assert.deepEqual(s.map((e) => e.status), ["running", "converged"]);
  // the last row: the recorded statuses
  assert.deepEqual(statusAt(data, 4), documentOf(5).status);
});

test("the clock plays in steps and shows the last row at or before its position", () => {
  const steps = new Float64Array([0, 1, 2, 10, 100]);
  assert.equal(defaultSpeed(steps, 10), 10);
  const clock = createClock(steps, 10);
  assert.equal(clock.index(), 4); // starts at the end: the whole race
  assert.equal(clock.seek(0), 0);
  assert.equal(clock.tick(150), 1); // 1.5 steps
  assert.equal(clock.tick(1000), 3); // 11.5 steps: the row of step 10
  clock.tick(1000, 2); // +20 steps -> 31.5
  assert.equal(clock.index(), 3);
  clock.tick(1e6);
  assert.ok(clock.atEnd());
  assert.equal(clock.seek(99), 4);
});

test("the mounted page: the timeline moves the markers to the rows' points and back", () => {
  const host = document.createElement("div");
  document.body.append(host);
  const page = mountReplay(host, documentOf(5));
  const state = () => page.el.gdReplay();
  assert.equal(state().index, 4);
  assert.equal(state().rows, 5);
  const timeline = host.querySelector('[data-testid="gd-timeline"]');
  assert.equal(timeline.getAttribute("max"), "4");
  page.seek(1);
  assert.equal(state().rows, 2);
  let m = state().markers;
  assert.deepEqual([m[0].x, m[0].y].map((v) => Math.round(v * 1e6) / 1e6), [0.1, 0]);
  assert.deepEqual([m[1].x, m[1].y].map((v) => Math.round(v * 1e6) / 1e6), [0, -0.1]);
  assert.equal(host.querySelector('[data-testid="gd-replay-step"]').textContent, "step 2 of 8");
  page.seek(3);
  m = state().markers;
  assert.equal(state().rows, 4);
  assert.ok(Math.abs(m[0].x - 0.3) < 1e-6); // the store holds float32, as from the kernel
  page.destroy();
  host.remove();
});

test("the replay's note says the bound its paths were kept to, a pixel or more", async () => {
  const { thinnedNote } = await import("../replay/page.js");
  assert.equal(thinnedNote({ max_history: 4096 }, 100), "");
  assert.equal(thinnedNote({ max_history: 4096 }, 3000), " (thinned: each path within a pixel)");
  assert.equal(thinnedNote({ max_history: 4096, path_px: 0.97 }, 3000), " (thinned: each path within a pixel)");
  assert.equal(thinnedNote({ max_history: 4096, path_px: 2.04 }, 3000), " (thinned: each path within 2.1 px)");
  assert.equal(thinnedNote({ max_history: 64, path_px: 31.7 }, 40), " (thinned: each path within 32 px)");
});
