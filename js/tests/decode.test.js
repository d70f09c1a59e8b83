import assert from "node:assert/strict";
import { test } from "node:test";

import { asTyped, decodeFrame, decodeGrid } from "../decode.js";

/**
 * Pack a frame the way the kernel does (little-endian, explicit DataView writes) into ONE
 * ArrayBuffer at a non-zero offset, and return DataViews over the parts, like a comm delivers.
 */
function pack({ steps, loss, xy, lr }, pad = 8) {
  const parts = [
    [steps, 8],
    [loss, 4],
    [xy, 4],
    [lr, 4],
  ];
  const total = parts.reduce((s, [a, size]) => s + pad + a.length * size, pad);
  const buffer = new ArrayBuffer(total);
  const dv = new DataView(buffer);
  let offset = pad;
  const views = [];
  for (const [a, size] of parts) {
    for (let i = 0; i < a.length; i++) {
      if (size === 8) dv.setFloat64(offset + i * 8, a[i], true);
      else dv.setFloat32(offset + i * 4, a[i], true);
    }
    views.push(new DataView(buffer, offset, a.length * size));
    offset += a.length * size + pad;
  }
  return views;
}

test("asTyped honours a DataView's byteOffset", () => {
  const buffer = new ArrayBuffer(64);
  const dv = new DataView(buffer, 16, 12);
  dv.setFloat32(0, 1.5, true);
  dv.setFloat32(4, -2, true);
  dv.setFloat32(8, 3.25, true);
  const a = asTyped(dv, Float32Array);
  assert.deepEqual([...a], [1.5, -2, 3.25]);
  assert.equal(a.buffer, buffer, "aligned views share memory");
  assert.equal(a.byteOffset, 16);
});

test("asTyped copies when the offset is not aligned", () => {
  const buffer = new ArrayBuffer(32);
  const dv = new DataView(buffer, 3, 16);
  dv.setFloat64(0, Math.PI, true);
  dv.setFloat64(8, -1e300, true);
  assert.deepEqual([...asTyped(dv, Float64Array)], [Math.PI, -1e300]);
  const f = new DataView(buffer, 5, 8);
  f.setFloat32(0, 0.5, true);
  f.setFloat32(4, 7, true);
  assert.deepEqual([...asTyped(f, Float32Array)], [0.5, 7]);
});

test("decodeFrame round-trips several runs packed at non-zero offsets", () => {
  const n = 3;
  const R = 4;
  const steps = [10, 11, 12];
  const loss = Array.from({ length: n * R }, (_, k) => Math.fround(k * 0.5 + 0.25));
  const xy = Array.from({ length: n * R * 2 }, (_, k) => Math.fround(k * -1.5));
  const lr = Array.from({ length: n * R }, (_, k) => Math.fround(0.001 * (k + 1)));
  loss[5] = Number.NaN; // a diverged value survives decoding
  const buffers = pack({ steps, loss, xy, lr });
  assert.ok(buffers.every((b) => b.byteOffset > 0));
  const f = decodeFrame({ type: "frame", n, n_runs: R, dims: 2, first_step: 10 }, buffers);
  assert.equal(f.type, "frame");
  assert.equal(f.n, n);
  assert.equal(f.nRuns, R);
  assert.equal(f.firstStep, 10);
  assert.deepEqual([...f.steps], steps);
  assert.deepEqual([...f.loss], loss);
  assert.deepEqual([...f.xy], xy);
  assert.deepEqual([...f.lr], lr);
  // the layout: run r of row i
  const i = 2;
  const r = 3;
  assert.equal(f.loss[i * R + r], loss[11]);
  assert.equal(f.xy[(i * R + r) * 2 + 1], xy[23]);
});

test("decodeFrame with an odd (unaligned) padding still decodes the float64 steps", () => {
  const buffers = pack({ steps: [0, 1], loss: [1, 2], xy: [1, 2, 3, 4], lr: [0.1, 0.1] }, 3);
  const f = decodeFrame({ type: "history", n: 2, n_runs: 1, dims: 2, first_step: 0 }, buffers);
  assert.deepEqual([...f.steps], [0, 1]);
  assert.deepEqual([...f.xy], [1, 2, 3, 4]);
});

test("decodeFrame rejects malformed messages", () => {
  const buffers = pack({ steps: [0, 1], loss: [1, 2], xy: [1, 2, 3, 4], lr: [0.1, 0.1] });
  assert.throws(() => decodeFrame({ type: "nope", n: 2, n_runs: 1 }, buffers), /not a frame/);
  assert.throws(() => decodeFrame({ type: "frame", n: 3, n_runs: 1 }, buffers), /'steps' holds 2/);
  assert.throws(() => decodeFrame({ type: "frame", n: 2, n_runs: 2 }, buffers), /'loss' holds 2/);
  assert.throws(() => decodeFrame({ type: "frame", n: -1, n_runs: 1 }, buffers), /integer/);
  assert.throws(() => decodeFrame({ type: "frame", n: 2, n_runs: 1 }, buffers.slice(0, 2)), /4 buffers/);
});

test("decodeFrame refuses a frame without its lr buffer (the protocol has four)", () => {
  const buffers = pack({ steps: [0], loss: [1], xy: [1, 2], lr: [] }).slice(0, 3);
  assert.throws(() => decodeFrame({ type: "frame", n: 1, n_runs: 1 }, buffers), /4 buffers/);
});

test("decodeGrid checks the size against grid_meta", () => {
  const buffer = new ArrayBuffer(4 + 6 * 4);
  const dv = new DataView(buffer, 4, 24);
  for (let i = 0; i < 6; i++) dv.setFloat32(i * 4, i, true);
  const meta = { nx: 3, ny: 2, x0: -1, x1: 1, y0: 0, y1: 2, zmin: 0, zmax: 5, log: true };
  const g = decodeGrid(dv, meta);
  assert.deepEqual([...g.values], [0, 1, 2, 3, 4, 5]);
  assert.equal(g.log, true);
  assert.equal(decodeGrid(dv, { ...meta, nx: 4 }), null);
  assert.equal(decodeGrid(null, meta), null);
});

test("decodeFrame reads a thin's kept rows from its last buffer, aligned or not", () => {
  const rows = { steps: [7, 8], loss: [1, 2], xy: [1, 2, 3, 4], lr: [0.1, 0.1] };
  for (const offset of [0, 3]) {
    const bytes = new ArrayBuffer(offset + 12);
    const dv = new DataView(bytes, offset, 12);
    [0, 4, 5].forEach((v, i) => dv.setUint32(i * 4, v, true));
    const content = { type: "thin", n: 2, n_runs: 1, dims: 2, thin: { kept: 3, base: 6 } };
    const f = decodeFrame(content, [...pack(rows), dv]);
    assert.deepEqual([...f.keep], [0, 4, 5]);
    assert.equal(f.base, 6);
    assert.deepEqual([...f.steps], [7, 8]);
    const bad = new DataView(new ArrayBuffer(12));
    [0, 6, 5].forEach((v, i) => bad.setUint32(i * 4, v, true));
    assert.throws(() => decodeFrame(content, [...pack(rows), bad]), /increase, below its base/);
  }
});
