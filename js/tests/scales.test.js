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

test("tick labels: a value within rounding of zero reads 0, one style per axis", async () => {
  const { formatTicks, niceTicks } = await import("../scales.js");
  assert.deepEqual(formatTicks([-1, -0.5, 1e-17, 0.5, 1]), ["-1", "-0.5", "0", "0.5", "1"]);
  assert.deepEqual(formatTicks([0.1 + 0.2, 0.4, 0.5]), ["0.3", "0.4", "0.5"]);
  assert.deepEqual(formatTicks([0, 2e5, 4e5]), ["0", "2e5", "4e5"]);
  assert.deepEqual(formatTicks([-2e-4, -1e-4, 2.7e-20, 1e-4]), ["-2e-4", "-1e-4", "0", "1e-4"]);
  // ticks over a range far beyond uPlot's increments still exist and read as numbers
  const t = niceTicks(0, 3e38, 5);
  assert.ok(t.length >= 3);
  for (const s of formatTicks(t)) assert.match(s, /^-?[\d.]+(e-?\d+)?$/);
});

test("colour-bar labels: 0 near zero relative to the bar's span", async () => {
  const { colorbarLabels } = await import("../axes.js");
  const tr = colorTransform(-1, 1, false);
  assert.deepEqual(colorbarLabels([tr.inv(0), tr.inv(0.5) + 1e-17, tr.inv(1)], 2), ["-1", "0", "1"]);
  assert.deepEqual(colorbarLabels([1e-13, 2e-4, 5e-4], 1e-3), ["0", "2e-4", "5e-4"]);
});

test("the loss chart's y range ignores an overflowing run and keeps the others' scale", async () => {
  const { robustRange } = await import("../scales.js");
  // sgd(0.1) from (-1.5, 2) on Rosenbrock: 12.5, then 3.6e6 at step 1, ..., inf within a few steps
  const diverged = [12.5, 3.6e6, 3.2e13, 3e38, Number.POSITIVE_INFINITY, null, Number.NaN];
  const fine = [12.5, 6, 3, 1.2, 0.4, 0.1, 0.05];
  const [lo, hi] = robustRange([fine, diverged]);
  assert.ok(lo <= 0.05 && lo >= 0, `${lo}`);
  assert.ok(hi >= 12.5 && hi < 20, `${hi}`);
  // alone, the overflowing run still gives a finite range with its start
  const [a, b] = robustRange([diverged]);
  assert.ok(Number.isFinite(a) && Number.isFinite(b) && a <= 12.5 && b >= 12.5 && b < 1e5);
  // log axis: whole decades around the finite, positive values of the runs that stay
  const [l0, l1] = robustRange([fine, diverged], { log: true });
  assert.equal(l0, 0.01);
  assert.equal(l1, 100);
  // a run whose loss legitimately drops fast keeps its whole curve
  const drop = [1e3, 10, 1, 0.1];
  assert.deepEqual(robustRange([drop]).map((v) => v >= 0), [true, true]);
  assert.ok(robustRange([drop])[1] >= 1e3);
  assert.equal(robustRange([[Number.NaN, null]]), null);
});
