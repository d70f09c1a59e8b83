// Models on data: evaluations in frames, "arrows", "model_view" and the `data` trait, and the
// bounded evaluation store (docs/protocol.md, "Models on data").
import assert from "node:assert/strict";
import { test } from "node:test";

import { decodeArrows, decodeData, decodeEvals, decodeFrame, decodeModelView } from "../decode.js";
import { EvalBuffer, createStore } from "../store.js";

/**
 * Pack parts `[values, bytesPerElement]` little-endian into ONE ArrayBuffer, each at a non-zero
 * offset `pad` bytes after the previous one, and return DataViews over them like a comm does.
 */
function packParts(parts, pad = 8) {
  const total = parts.reduce((s, [a, size]) => s + pad + a.length * size, pad);
  const buffer = new ArrayBuffer(total);
  const dv = new DataView(buffer);
  let offset = pad;
  return parts.map(([a, size]) => {
    for (let i = 0; i < a.length; i++) {
      if (size === 8) dv.setFloat64(offset + i * 8, a[i], true);
      else dv.setFloat32(offset + i * 4, a[i], true);
    }
    const view = new DataView(buffer, offset, a.length * size);
    offset += a.length * size + pad;
    return view;
  });
}

const f32 = (a) => Array.from(a, Math.fround);

/** A frame of n rows for R runs with evaluations `evals = {steps, values: {key: [...]}}`. */
function frameMessage(type, first, n, R, evals, pad = 8) {
  const steps = Array.from({ length: n }, (_, i) => first + i);
  const parts = [
    [steps, 8],
    [Array.from({ length: n * R }, (_, k) => 10 - k * 0.1), 4],
    [Array.from({ length: n * R * 2 }, (_, k) => k * 0.5), 4],
    [Array.from({ length: n * R }, () => 0.1), 4],
  ];
  const content = { type, n, n_runs: R, dims: 2, first_step: first };
  if (evals) {
    const keys = Object.keys(evals.values);
    content.evals = { n: evals.steps.length, keys };
    parts.push([evals.steps, 8]);
    for (const key of keys) parts.push([evals.values[key], 4]);
  }
  return [content, packParts(parts, pad)];
}

test("evaluations after the four buffers: steps, then one Float32Array(E * R) per key", () => {
  const R = 3;
  const E = 2;
  const values = {
    train_loss: f32([1.5, 2.5, 3.5, 0.75, 0.5, 0.25]),
    val_loss: f32([1.6, 2.6, 3.6, 0.8, 0.6, Number.NaN]),
    train_acc: f32([0.5, 0.6, 0.7, 0.8, 0.9, 1]),
  };
  const [content, buffers] = frameMessage("frame", 100, 4, R, { steps: [100, 103], values });
  assert.equal(buffers.length, 4 + 1 + 3);
  assert.ok(buffers.every((b) => b.byteOffset > 0));
  const f = decodeFrame(content, buffers);
  assert.equal(f.evals.n, E);
  assert.deepEqual(f.evals.keys, ["train_loss", "val_loss", "train_acc"]);
  assert.deepEqual([...f.evals.steps], [100, 103]);
  assert.deepEqual([...f.evals.values.train_loss], values.train_loss);
  assert.deepEqual([...f.evals.values.train_acc], values.train_acc);
  // row 1, run 2 of val_loss: the NaN of a diverged run survives
  assert.ok(Number.isNaN(f.evals.values.val_loss[1 * R + 2]));
  assert.equal(f.evals.values.val_loss[0 * R + 1], Math.fround(2.6));
  // the standard part is untouched
  assert.deepEqual([...f.steps], [100, 101, 102, 103]);
});

test("evaluations at odd (unaligned) offsets decode too", () => {
  const [content, buffers] = frameMessage("history", 0, 2, 2, { steps: [0, 1], values: { val_loss: [1, 2, 3, 4] } }, 3);
  const f = decodeFrame(content, buffers);
  assert.deepEqual([...f.evals.steps], [0, 1]);
  assert.deepEqual([...f.evals.values.val_loss], [1, 2, 3, 4]);
});

test("a frame without evals has no evals; short or missing evals buffers are errors", () => {
  const [content, buffers] = frameMessage("frame", 0, 2, 2, null);
  assert.equal(decodeFrame(content, buffers).evals, null);
  const [c2, b2] = frameMessage("frame", 0, 2, 2, { steps: [0, 1], values: { train_loss: [1, 2, 3, 4], val_loss: [1, 2, 3, 4] } });
  assert.throws(() => decodeFrame(c2, b2.slice(0, 6)), /need 3 buffers/);
  assert.throws(() => decodeFrame({ ...c2, evals: { n: 3, keys: c2.evals.keys } }, b2), /'evals steps' holds 2/);
  assert.throws(() => decodeEvals({ n: 2, keys: ["train_loss"] }, 3, b2.slice(4)), /'evals train_loss' holds 4/);
});

test("arrows: per run the mini-batch gradient then the full-batch gradient", () => {
  const values = f32([1, 2, 3, 4, -0.5, 0.25, 0.125, -8]);
  const [buf] = packParts([[values, 4]], 12);
  const a = decodeArrows({ type: "arrows", n_runs: 2, scale: 0.05 }, [buf]);
  assert.equal(a.nRuns, 2);
  assert.equal(a.scale, 0.05);
  assert.deepEqual([...a.batch], [1, 2, -0.5, 0.25]);
  assert.deepEqual([...a.full], [3, 4, 0.125, -8]);
  assert.throws(() => decodeArrows({ type: "arrows", n_runs: 3, scale: 1 }, [buf]), /holds 8 values, expected 12/);
  assert.ok(Number.isNaN(decodeArrows({ type: "arrows", n_runs: 2, scale: -1 }, [buf]).scale));
});

test("model_view line and boundary decode at a byteOffset", () => {
  const [line] = packParts([[f32([0, 1, 2, 10, 11, 12]), 4]], 16);
  const l = decodeModelView({ type: "model_view", view: "line", n_runs: 2, nx: 3, x: [-1, 1] }, [line]);
  assert.equal(l.view, "line");
  assert.deepEqual(l.x, [-1, 1]);
  assert.equal(l.values[1 * 3 + 2], 12);
  assert.throws(() => decodeModelView({ type: "model_view", view: "line", n_runs: 3, nx: 3, x: [-1, 1] }, [line]), /holds 6/);
  assert.throws(() => decodeModelView({ type: "model_view", view: "line", n_runs: 2, nx: 3, x: [-1] }, [line]), /\[lo, hi\]/);

  const [grid] = packParts([[f32([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]), 4]], 4);
  const b = decodeModelView(
    { type: "model_view", view: "boundary", run: 1, nx: 3, ny: 2, x0: [0, 1], x1: [-2, 2], n_classes: 2 },
    [grid],
  );
  assert.equal(b.run, 1);
  assert.equal(b.nClasses, 2);
  assert.deepEqual(b.x1, [-2, 2]);
  assert.equal(b.values[1 * 3 + 0], Math.fround(0.4));
  assert.throws(() => decodeModelView({ type: "model_view", view: "pie" }, [grid]), /unknown model_view/);
});

test("the data trait: n rows of (x0, x1, t)", () => {
  const [bytes] = packParts([[[0.5, 0, 1.5, -1, 0, 2], 4]], 8);
  const d = decodeData(bytes, { n: 2, view: "line", x0: [-1, 0.5], x1: [0, 0], t: [1.5, 2], n_classes: 0 });
  assert.equal(d.n, 2);
  assert.equal(d.values[3], -1);
  assert.deepEqual(d.t, [1.5, 2]);
  assert.equal(decodeData(bytes, { n: 3 }), null, "size mismatch while the traits arrive");
});

/** A decoded evals block of rows [first, first + n) for R runs. */
function evals(first, n, R, keys = ["train_loss", "val_loss"]) {
  const steps = Float64Array.from({ length: n }, (_, i) => (first + i) * 10);
  const values = {};
  for (const [k, key] of keys.entries()) {
    values[key] = Float32Array.from({ length: n * R }, (_, j) => (first + Math.floor(j / R)) * 100 + (j % R) + k / 10);
  }
  return { n, keys, steps, values };
}

test("EvalBuffer appends by column, drops stale rows, and fills keys that come late", () => {
  const b = new EvalBuffer(64);
  assert.equal(b.append(evals(0, 3, 2), 2), 3);
  assert.equal(b.append(evals(1, 3, 2), 2), 1, "rows at or before the last step are dropped");
  assert.equal(b.length, 4);
  assert.deepEqual([...b.steps.subarray(0, 4)], [0, 10, 20, 30]);
  assert.equal(b.values.get("val_loss")[1][2], Math.fround(201.1));
  b.append(evals(4, 1, 2, ["train_loss", "val_loss", "val_acc"]), 2);
  assert.deepEqual(b.keys, ["train_loss", "val_loss", "val_acc"]);
  assert.ok(Number.isNaN(b.values.get("val_acc")[0][0]), "no value before the key came");
  assert.equal(b.last("val_acc", 1), Math.fround(401.2));
  b.replace(null, 2);
  assert.equal(b.length, 0);
  assert.equal(b.has("train_loss"), false);
});

test("EvalBuffer holds every evaluation it is sent (the kernel bounds them, the page never thins)", () => {
  const b = new EvalBuffer(51);
  for (let s = 0; s < 1000; s += 9) b.append(evals(s, Math.min(9, 1000 - s), 3), 3);
  assert.equal(b.length, 1000);
  const steps = [...b.steps.subarray(0, b.length)];
  assert.equal(steps[0], 0);
  assert.equal(steps.at(-1), 9990);
  for (let i = 0; i < b.length; i++) assert.equal(b.values.get("train_loss")[2][i], Math.fround((steps[i] / 10) * 100 + 2));
});

function fakeModel(attrs = {}) {
  return { get: (k) => attrs[k], on() {}, off() {}, send() {} };
}

test("store.ingest: a history replaces the evaluations and clears stale arrows; a late frame is ignored", () => {
  const store = createStore(fakeModel());
  const seen = [];
  store.events.on("evals", () => seen.push("evals"));
  const ev = (first, n) => ({ steps: Array.from({ length: n }, (_, i) => first + i), values: { train_loss: Array(n * 2).fill(1) } });
  store.ingest(decodeFrame(...frameMessage("history", 0, 5, 2, ev(0, 5))));
  assert.equal(store.evals.length, 5);
  store.setArrows(decodeArrows({ type: "arrows", n_runs: 2, scale: 1 }, packParts([[[1, 2, 3, 4, 5, 6, 7, 8], 4]])));
  store.ingest(decodeFrame(...frameMessage("frame", 5, 2, 2, ev(5, 2))));
  assert.equal(store.evals.length, 7);
  assert.ok(store.arrows);
  // a reset: history of step 0 without evaluations
  store.ingest(decodeFrame(...frameMessage("history", 0, 1, 2, null)));
  assert.equal(store.evals.length, 0);
  assert.equal(store.arrows, null);
  // a frame sent before the reset arrives late: its rows are dropped, and its evaluations too
  assert.equal(store.ingest(decodeFrame(...frameMessage("frame", 0, 1, 2, ev(0, 1)))), false);
  assert.equal(store.evals.length, 0);
  assert.deepEqual(seen, ["evals", "evals", "evals"]);
});

test("arrows point downhill, share one factor per run, and are clamped to the cap", async () => {
  const { arrowVectors } = await import("../arrows.js");
  // 10 px per unit on both axes; scale 0.5: batch (2, 0) -> (-1, 0), full (0, -4) -> (0, 2)
  const v = arrowVectors([2, 0], [0, -4], 0.5, 10, 10, 1000, 0);
  assert.deepEqual(v.batch, [-1, -0]);
  assert.deepEqual(v.full, [-0, 2]);
  assert.equal(v.factor, 1);
  // the full arrow would be 20 px long; a cap of 10 px halves both
  const c = arrowVectors([2, 0], [0, -4], 0.5, 10, 10, 10, 0);
  assert.equal(c.factor, 0.5);
  assert.deepEqual(c.batch, [-0.5, -0]);
  assert.deepEqual(c.full, [-0, 1]);
  // too short to see: both grow by the same factor until the longer is minPx long
  const s = arrowVectors([0.01, 0], [0.02, 0], 1, 10, 10, 100, 18);
  assert.ok(Math.abs(Math.hypot(s.full[0] * 10, s.full[1] * 10) - 18) < 1e-9);
  assert.ok(Math.abs(s.batch[0] / s.full[0] - 0.5) < 1e-9, "the ratio of the two stays");
  assert.equal(arrowVectors([Number.NaN, 0], [1, 1], 1, 1, 1, 10), null);
});

test("batch sizes offered: full, then powers of two below n, and a custom current value", async () => {
  const { batchOptions } = await import("../controls.js");
  assert.deepEqual(batchOptions(100), [0, 1, 2, 4, 8, 16, 32, 64]);
  assert.deepEqual(batchOptions(64), [0, 1, 2, 4, 8, 16, 32]);
  assert.deepEqual(batchOptions(100, 10), [0, 1, 2, 4, 8, 10, 16, 32, 64]);
  assert.deepEqual(batchOptions(100, 500), [0, 1, 2, 4, 8, 16, 32, 64]);
  assert.deepEqual(batchOptions(1), [0]);
});

test("decision regions: p(class 1) on a diverging map, class indices in categorical colours", async () => {
  const { fillRegions, CLASS_COLORS } = await import("../modelview.js");
  const { parseColor } = await import("../scales.js");
  // 2 x 2 grid, row 0 at the bottom: p = 0, 1 (bottom), NaN, 0.5 (top)
  const px = fillRegions(Float32Array.from([0, 1, Number.NaN, 0.5]), 2, 2, 2, 200);
  const at = (i, j) => [...px.subarray((j * 2 + i) * 4, (j * 2 + i) * 4 + 4)];
  const low = at(0, 1); // image row 1 = grid row 0
  const high = at(1, 1);
  assert.ok(low[2] > low[0], "p = 0 is blue");
  assert.ok(high[0] > high[2], "p = 1 is red");
  assert.equal(at(0, 0)[3], 0, "NaN is transparent");
  assert.ok(Math.min(...at(1, 0).slice(0, 3)) > 200, "p = 1/2 is near white");
  const cls = fillRegions(Float32Array.from([2]), 1, 1, 3, 99);
  assert.deepEqual([...cls], [...parseColor(CLASS_COLORS[2]), 99]);
});

test("evaluation panel: which keys a mode draws, and the accuracy axis floor", async () => {
  const { accuracyFloor, modeKeys } = await import("../evals.js");
  assert.deepEqual(modeKeys(["val_acc", "train_loss", "train_acc"], "acc"), ["train_acc", "val_acc"]);
  assert.deepEqual(modeKeys(["train_loss"], "loss"), ["train_loss"]);
  assert.equal(accuracyFloor(0.76), 0.7);
  assert.equal(accuracyFloor(0.7), 0.6);
  assert.equal(accuracyFloor(0.02), 0);
  assert.equal(accuracyFloor(1), 0.9);
  assert.equal(accuracyFloor(null), 0);
});
