import assert from "node:assert/strict";
import { test } from "node:test";

import { RunBuffer, capacities, createStore } from "../store.js";

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

/** A decoded frame (or history) holding exactly the rows of `steps` (any increasing steps). */
function rowsAt(type, steps, R) {
  const f = frame(0, steps.length, R);
  f.type = type;
  f.steps = Float64Array.from(steps);
  for (let i = 0; i < steps.length; i++) {
    for (let r = 0; r < R; r++) {
      f.xy[(i * R + r) * 2] = steps[i];
      f.loss[i * R + r] = Math.fround(steps[i] / 7 + r);
    }
  }
  f.firstStep = steps[0] ?? 0;
  return f;
}

function fakeModel(attrs = {}) {
  return { get: (k) => attrs[k], on() {}, off() {}, send() {} };
}

test("the buffer never thins: it holds every row it is sent, even past its capacity", () => {
  const b = new RunBuffer(16);
  b.replace({ ...frame(0, 1, 2), type: "history" });
  for (let s = 1; s < 1000; s += 7) b.append(frame(s, Math.min(7, 1000 - s), 2));
  assert.equal(b.length, 1000, "no row dropped");
  assert.deepEqual([...b.steps.subarray(0, b.length)], Array.from({ length: 1000 }, (_, i) => i));
  assert.equal(b.loss[1][333], Math.fround(100 / 334 + 1));
  assert.equal("decimate" in b, false);
});

test("the store holds exactly the kernel's rows: frames append, a thinned history replaces", () => {
  const meta = { max_history: 64, eval_capacity: 32 };
  const store = createStore(fakeModel({ meta }));
  const R = 1000; // many runs: the kernel bounds the rows, the page keeps what it gets
  const sent = [];
  const kernel = (type, steps) => {
    if (type === "history") sent.length = 0;
    sent.push(...steps);
    store.ingest(rowsAt(type, steps, R));
  };
  kernel("history", [0]);
  kernel("frame", [1, 2, 3]);
  kernel("frame", [4, 9, 17]);
  assert.equal(store.runs.capacity, 64, "capacity from meta.max_history");
  assert.equal(store.evals.capacity, 32, "evaluation capacity from meta.eval_capacity");
  // the kernel thinned: it sends what it kept, not contiguous
  const kept = [0, 2, 9, 17, 40, 41, 63];
  kernel("history", kept);
  kernel("frame", [64, 80]);
  assert.deepEqual([...store.runs.steps.subarray(0, store.runs.length)], sent);
  assert.equal(store.runs.length, kept.length + 2);
  assert.equal(store.runs.nRuns, R);
  assert.equal(store.runs.x[999][3], 17);
  assert.equal(store.runs.loss[5][4], Math.fround(40 / 7 + 5));
  assert.ok(store.runs.rows <= 64, "arrays sized by the kernel's capacity");
  // meta changes with the next Playground: the store follows it
  meta.max_history = 4096;
  kernel("frame", [81]);
  assert.equal(store.runs.capacity, 4096);
});

test("capacities: read from meta, 0 (unknown) when missing or bad", () => {
  assert.deepEqual(capacities({ max_history: 4096, eval_capacity: 512 }), { runs: 4096, evals: 512 });
  assert.deepEqual(capacities(null), { runs: 0, evals: 0 });
  assert.deepEqual(capacities({ max_history: "many", eval_capacity: -3 }), { runs: 0, evals: 0 });
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

test("a thin keeps the rows the kernel kept, then appends; one that does not fit asks for the history", () => {
  const sends = [];
  const store = createStore(fakeModel({ meta: { max_history: 64 } }));
  store.send = (msg) => sends.push(msg);
  const R = 3;
  store.ingest(rowsAt("history", [0, 1, 2, 3, 4, 5], R));
  const thin = (keep, steps, base) => ({ ...rowsAt("thin", steps, R), keep: Uint32Array.from(keep), base });
  assert.equal(store.ingest(thin([0, 2, 5], [8, 9], 6)), true);
  const held = () => [...store.runs.steps.subarray(0, store.runs.length)];
  assert.deepEqual(held(), [0, 2, 5, 8, 9]);
  assert.equal(store.runs.x[2][2], 5, "each column gathered");
  assert.equal(store.runs.loss[1][3], Math.fround(8 / 7 + 1));
  assert.deepEqual(sends, []);
  // a thin of 6 rows while 5 are held: a message was missed, so nothing more is taken
  assert.equal(store.ingest(thin([0, 1], [12], 6)), false);
  assert.deepEqual(sends, [{ type: "request_history" }]);
  assert.equal(store.ingest(rowsAt("frame", [13], R)), false, "a frame waits for the history");
  assert.deepEqual(held(), [0, 2, 5, 8, 9]);
  store.ingest(rowsAt("history", [0, 12, 13], R));
  store.ingest(rowsAt("frame", [14], R));
  assert.deepEqual(held(), [0, 12, 13, 14]);
});
