// The trails: a run that jitters about a point does not stroke the same segments again and
// again, and what is drawn stays true (every point near a drawn segment, every vertex a point).
import assert from "node:assert/strict";
import { test } from "node:test";

import { installDom, metaFor } from "./fakes.js";

installDom();
const { drawTrails, segmentKey } = await import("../paths.js");
const { RunBuffer } = await import("../store.js");

const ctx = new Proxy({}, { get: (_, k) => (k === "setLineDash" || k === "stroke" || k === "save" || k === "restore" ? () => {} : undefined), set: () => true });

function segmentDistance(p, a, b) {
  const [dx, dy] = [b[0] - a[0], b[1] - a[1]];
  const den = dx * dx + dy * dy;
  const t = den > 0 ? Math.min(1, Math.max(0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / den)) : 0;
  return Math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy);
}

test("a jittering run's segments are stroked once; every point stays within 0.75 px of them", () => {
  // a walk in, then a zigzag of 2.2 px that drifts by 0.01 px a step (as RMSprop's at a
  // minimum), then a walk out: pixel = value (a = 1, b = 0)
  const pts = [];
  for (let i = 0; i < 20; i++) pts.push([i * 3, 0]);
  for (let i = 0; i < 3000; i++) pts.push([60 + (i % 2) * 1.6 + i * 0.01, (i % 2) * 1.5]);
  for (let i = 1; i < 20; i++) pts.push([90 + i * 3, i * 2]);
  const runs = new RunBuffer(0);
  const xy = new Float32Array(pts.length * 2);
  pts.forEach(([x, y], i) => xy.set([x, y], 2 * i));
  const n = pts.length;
  runs.replace({ type: "history", n, nRuns: 1, dims: 2, steps: Float64Array.from(pts, (_, i) => i), loss: new Float32Array(n), xy, lr: new Float32Array(n) });
  const store = { runs, ui: { hidden: new Set() } };
  const record = {};
  // in three calls, as frames come
  for (const [a, b] of [[0, 1000], [1000, 2000], [2000, n]]) {
    runs.length = b;
    drawTrails(ctx, store, metaFor(["rmsprop"]), 1, 0, 1, 0, a, record);
  }
  const subpaths = record[0];
  const segments = subpaths.flatMap((sp) => sp.slice(1).map((q, i) => [sp[i], q]));
  assert.ok(segments.length < 400, `${segments.length} segments stroked for ${n} points`);
  const f = Math.fround;
  for (const v of subpaths.flat()) assert.ok(pts.some(([x, y]) => f(x) === v[0] && f(y) === v[1]), "a vertex is a point");
  let worst = 0;
  for (const p of pts) worst = Math.max(worst, Math.min(...segments.map(([a, b]) => segmentDistance([f(p[0]), f(p[1])], a, b))));
  assert.ok(worst <= 0.75, `a point ${worst} px from the drawn lines`);
});

/** A run of the given points (pixel = value) in a store. */
function storeOf(pts) {
  const runs = new RunBuffer(0);
  const xy = new Float32Array(pts.length * 2);
  pts.forEach(([x, y], i) => xy.set([x, y], 2 * i));
  const n = pts.length;
  runs.replace({ type: "history", n, nRuns: 1, dims: 2, steps: Float64Array.from(pts, (_, i) => i), loss: new Float32Array(n), xy, lr: new Float32Array(n) });
  return { runs, ui: { hidden: new Set() } };
}

test("a run scribbling about its minimum is stroked once over many frames; every point stays near a drawn segment", () => {
  // 40,000 points at random within a 3 px blob (as Adam's at a large rate), in 40 frames
  let seed = 7;
  const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const pts = Array.from({ length: 40_000 }, () => [100 + 3 * rand(), 50 + 3 * rand()]);
  const store = storeOf(pts);
  const strokes = (seen) => {
    const record = {};
    for (let a = 0; a < pts.length; a += 1000) {
      store.runs.length = a + 1000;
      drawTrails(ctx, store, metaFor(["adam"]), 1, 0, 1, 0, a, record, seen);
    }
    return record[0].flatMap((sp) => sp.slice(1).map((q, i) => [sp[i], q]));
  };
  const every = strokes(null);
  const seen = {};
  const once = strokes(seen);
  // a 3 px blob has 6 x 6 cells of 0.5 px: at most 36 * 37 / 2 = 666 segments between them
  assert.ok(once.length <= 666 + 40, `${once.length} segments stroked with seen (${every.length} without)`);
  assert.ok(every.length > 10 * once.length, `${every.length} segments without seen`);
  assert.ok(seen[0].size <= 666);
  let worst = 0;
  const f = Math.fround;
  for (const p of pts.slice(0, 5000)) worst = Math.max(worst, Math.min(...once.map(([a, b]) => segmentDistance([f(p[0]), f(p[1])], a, b))));
  assert.ok(worst <= 0.75, `a point ${worst} px from the drawn lines`);
});

test("a segment's key is the same either way round and for ends in the same half-pixel cells", () => {
  assert.equal(segmentKey(1, 2, 30.2, 40.4), segmentKey(30.2, 40.4, 1, 2));
  assert.equal(segmentKey(1.01, 2.49, 30.0, 40.0), segmentKey(1.49, 2.0, 30.49, 40.49));
  assert.notEqual(segmentKey(1, 2, 30, 40), segmentKey(1, 2, 30.5, 40));
  assert.notEqual(segmentKey(1, 2, 30, 40), segmentKey(1, 2, 40, 30));
  assert.ok(Number.isSafeInteger(segmentKey(3071.9, 3071.9, -1024, -1024)));
  assert.equal(segmentKey(1e6, 2, 3, 4), null);
  assert.equal(segmentKey(-1024.1, 2, 3, 4), null);
  assert.equal(segmentKey(3072, 2, 3, 4), null);
});
