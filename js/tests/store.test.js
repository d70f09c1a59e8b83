import assert from "node:assert/strict";
import { test } from "node:test";

import { RunBuffer } from "../store.js";

/** A decoded frame of rows [first, first + n) for R runs, loss given by fn(step, r). */
function frame(first, n, R, fn = (s, r) => 100 / (s + 1) + r) {
  const steps = new Float64Array(n);
  const loss = new Float32Array(n * R);
  const xy = new Float32Array(n * R * 2);
  const lr = new Float32Array(n * R).fill(0.01);
  for (let i = 0; i < n; i++) {
    const s = first + i;
    steps[i] = s;
    for (let r = 0; r < R; r++) {
      loss[i * R + r] = fn(s, r);
      xy[(i * R + r) * 2] = s;
      xy[(i * R + r) * 2 + 1] = -s;
    }
  }
  return { type: "frame", n, nRuns: R, dims: 2, firstStep: first, steps, loss, xy, lr };
}

test("append keeps rows by column", () => {
  const b = new RunBuffer(64);
  b.replace({ ...frame(0, 1, 2), type: "history" });
  b.append(frame(1, 4, 2));
  assert.equal(b.length, 5);
  assert.deepEqual([...b.steps.subarray(0, 5)], [0, 1, 2, 3, 4]);
  assert.equal(b.x[1][3], 3);
  assert.equal(b.y[1][3], -3);
  assert.equal(b.loss[1][4], Math.fround(100 / 5 + 1));
});

test("the buffer stays bounded and keeps first, last and each run's extremes", () => {
  const cap = 100;
  const b = new RunBuffer(cap);
  // run 0 has a spike (max) at step 333 and a dip (min) at step 777; run 1 decreases.
  const fn = (s, r) => (r === 0 ? (s === 333 ? 1e6 : s === 777 ? -5 : 1) : 1000 - s);
  b.replace({ ...frame(0, 1, 2, fn), type: "history" });
  for (let s = 1; s < 1000; s += 7) b.append(frame(s, Math.min(7, 1000 - s), 2, fn));
  assert.ok(b.length <= cap, `length ${b.length} > capacity ${cap}`);
  assert.ok(b.length >= cap / 2 - 5, `decimated too much: ${b.length}`);
  assert.ok(b.decimations > 0);
  const steps = [...b.steps.subarray(0, b.length)];
  assert.equal(steps[0], 0, "first row kept");
  assert.equal(steps.at(-1), 999, "last row kept");
  assert.ok(steps.includes(333), "run 0's max kept");
  assert.ok(steps.includes(777), "run 0's min kept");
  assert.ok(steps.includes(999), "run 1's min kept");
  for (let i = 1; i < steps.length; i++) assert.ok(steps[i] > steps[i - 1], "steps increase");
  // the loss stayed attached to its step
  const i333 = steps.indexOf(333);
  assert.equal(b.loss[0][i333], 1e6);
  assert.equal(b.x[0][i333], 333);
});

test("append after decimation continues densely", () => {
  const b = new RunBuffer(16);
  b.replace({ ...frame(0, 17, 1), type: "history" });
  assert.ok(b.length <= 16);
  const before = b.length;
  b.append(frame(17, 3, 1));
  assert.equal(b.length, before + 3);
  assert.deepEqual([...b.steps.subarray(b.length - 4, b.length)], [16, 17, 18, 19]);
});

test("late rows (step not after the last) are dropped; a history replaces", () => {
  const b = new RunBuffer(64);
  b.replace({ ...frame(0, 10, 1), type: "history" });
  assert.equal(b.append(frame(5, 3, 1)), 0);
  assert.equal(b.length, 10);
  b.replace({ ...frame(0, 1, 3), type: "history" });
  assert.equal(b.length, 1);
  assert.equal(b.nRuns, 3);
  // a frame for another number of runs does not mix in
  assert.equal(b.append(frame(1, 2, 2)), 0);
});

test("lastFinite skips a diverged tail", () => {
  const b = new RunBuffer(64);
  const f = frame(0, 5, 1);
  f.xy[6] = Number.NaN;
  f.xy[8] = Number.POSITIVE_INFINITY;
  b.replace({ ...f, type: "history" });
  assert.equal(b.lastFinite(0), 2);
});
