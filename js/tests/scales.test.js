import assert from "node:assert/strict";
import { test } from "node:test";

import {
  colorLUT,
  colorTransform,
  contourLevels,
  fillGridImage,
  finiteExtent,
  formatNumber,
  logMap,
  parseColor,
  transformGrid,
} from "../scales.js";

const close = (a, b, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

test("linear colour transform maps the domain onto [0, 1] and keeps NaN", () => {
  const tr = colorTransform(-2, 6, false);
  close(tr.fwd(-2), 0);
  close(tr.fwd(2), 0.5);
  close(tr.fwd(6), 1);
  close(tr.fwd(100), 1);
  close(tr.inv(0.25), 0);
  assert.ok(Number.isNaN(tr.fwd(Number.NaN)));
});

test("log colour transform is linear in log10 for a positive domain", () => {
  const tr = colorTransform(1e-2, 1e2, true);
  assert.equal(tr.log, true);
  close(tr.fwd(1), 0.5);
  close(tr.fwd(10), 0.75);
  close(tr.inv(0.25), 0.1);
  assert.ok(Number.isNaN(tr.fwd(Number.NaN)));
});

test("log colour transform handles zmin <= 0 by shifting", () => {
  const tr = colorTransform(0, 1000, true, 6);
  close(tr.fwd(0), 0);
  close(tr.fwd(1000), 1);
  // each decade above the minimum gets a sixth of the colours
  close(tr.fwd(1), 0.5, 1e-3);
  close(tr.fwd(tr.inv(0.3)), 0.3, 1e-9);
  assert.ok(tr.fwd(1e-3) > 0 && tr.fwd(1e-3) < tr.fwd(1e-2));
});

test("degenerate or missing domains do not produce NaN for finite values", () => {
  for (const tr of [colorTransform(3, 3, false), colorTransform(3, 3, true), colorTransform(Number.NaN, 1, true)]) {
    const t = tr.fwd(3);
    assert.ok(t >= 0 && t <= 1, String(t));
  }
});

test("contour levels: nice in linear space, evenly spaced in log space", () => {
  const lin = colorTransform(0, 10, false);
  const l = contourLevels(lin, 5).map(lin.inv);
  assert.deepEqual(l.map((v) => Math.round(v * 1e9) / 1e9), [2, 4, 6, 8]);
  const log = colorTransform(1e-3, 1e3, true);
  const z = contourLevels(log, 5).map(log.inv);
  for (let i = 1; i < z.length; i++) close(z[i] / z[i - 1], z[1] / z[0], 1e-6);
});

test("finiteExtent ignores NaN and infinities", () => {
  assert.deepEqual(finiteExtent(new Float32Array([Number.NaN, 3, -1, Number.POSITIVE_INFINITY, 2])), [-1, 3]);
  const none = finiteExtent([Number.NaN]);
  assert.ok(Number.isNaN(none[0]) && Number.isNaN(none[1]));
});

test("grid image: row 0 at the bottom, NaN transparent", () => {
  const lut = colorLUT((t) => `rgb(${Math.round(t * 255)}, 0, 0)`, 256);
  const tr = colorTransform(0, 1, false);
  const values = new Float32Array([0, 1, Number.NaN, 0.5]); // 2 x 2, row 0 = [0, 1]
  const px = fillGridImage(values, 2, 2, tr, lut);
  // image row 1 (bottom) is grid row 0
  assert.deepEqual([...px.subarray(8, 16)], [0, 0, 0, 255, 255, 0, 0, 255]);
  assert.deepEqual([...px.subarray(0, 4)], [0, 0, 0, 0]);
  assert.equal(px[4], 128);
  const t = transformGrid(values, tr);
  assert.equal(t[2], Infinity);
  close(t[3], 0.5);
});

test("parseColor and logMap", () => {
  assert.deepEqual(parseColor("#ff8000"), [255, 128, 0]);
  assert.deepEqual(parseColor("#0f0"), [0, 255, 0]);
  assert.deepEqual(parseColor("rgb(1, 2, 3)"), [1, 2, 3]);
  const m = logMap(1e-4, 1);
  close(m.toValue(0.5), 1e-2, 1e-12);
  close(m.toPos(1e-3), 0.25);
  assert.equal(m.toPos(-1), 0);
  assert.throws(() => logMap(0, 1), /min, max > 0/);
});

test("formatNumber", () => {
  assert.equal(formatNumber(0.00123), "1.23e-3");
  assert.equal(formatNumber(12.3456), "12.3");
  assert.equal(formatNumber(Number.NaN), "–");
  assert.equal(formatNumber(null), "–");
  assert.equal(formatNumber(2.5e7), "2.5e7");
});
