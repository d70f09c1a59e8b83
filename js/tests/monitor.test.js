// The monitor's pure parts: message decoding, the row table (history replaces, frames append
// within a generation), the EMA against its definition, chart grouping, the strip's cells
// against a brute force, the path's view box.
import assert from "node:assert/strict";
import { test } from "node:test";

import { decodePath, decodeRows, decodeSurface } from "../monitor/messages.js";
import { chartData, ema, groupCharts } from "../monitor/series.js";
import { RowTable } from "../monitor/store.js";
import { decadeTicks, stripCells, stripTransform } from "../monitor/strip.js";
import { planeNames, viewBox } from "../monitor/pathview.js";
import { columnWidth } from "../monitor/app.js";
import { posFromSmooth, smoothFromPos } from "../monitor/curves.js";

const f64 = (a) => new Float64Array(a);

/** A "frame"/"history" message as the kernel sends it: DataViews over little-endian bytes. */
function rowsMessage(type, steps, columns, generation = 0) {
  const names = Object.keys(columns);
  const view = (a) => new DataView(f64(a).buffer);
  return [{ type, n: steps.length, columns: names, generation }, [view(steps), ...names.map((k) => view(columns[k]))]];
}

test("decodeRows reads steps and named float64 columns from DataViews, and rejects short ones", () => {
  const d = decodeRows(...rowsMessage("frame", [5, 6], { loss: [1.5, 0.5], acc: [Number.NaN, 0.9] }, 3));
  assert.equal(d.n, 2);
  assert.equal(d.generation, 3);
  assert.deepEqual([...d.steps], [5, 6]);
  assert.deepEqual([...d.columns.get("loss")], [1.5, 0.5]);
  assert.ok(Number.isNaN(d.columns.get("acc")[0]));
  const [content, buffers] = rowsMessage("frame", [5, 6], { loss: [1.5] });
  assert.throws(() => decodeRows(content, buffers), /holds 1 values, expected 2/);
  assert.throws(() => decodeRows({ ...content, columns: ["loss", "acc"] }, buffers), /needs 3 buffers/);
  assert.throws(() => decodeRows({ type: "path" }, []), /not a monitor frame/);
});

test("decodePath and decodeSurface: row-major xy, bounds, float32 values", () => {
  const p = decodePath({ type: "path", n: 2, projection: "pca", explained: [0.7, 0.2] }, [f64([1, 2]), f64([0, 1, 2, 3])]);
  assert.deepEqual([...p.xy], [0, 1, 2, 3]);
  assert.deepEqual(p.explained, [0.7, 0.2]);
  assert.equal(decodePath({ type: "path", n: 0, projection: "random", explained: null }, [f64([]), f64([])]).explained, null);
  const s = decodeSurface({ type: "surface", nx: 3, ny: 2, bounds: [[-1, 1], [0, 2]], min: 0.5, max: 6 }, [new Float32Array([1, 2, 3, 4, 5, 6])]);
  assert.equal(s.x0, -1);
  assert.equal(s.y1, 2);
  assert.equal(s.values[5], 6);
  assert.equal(s.zmin, 0.5);
  assert.throws(() => decodeSurface({ type: "surface", nx: 3, ny: 2, bounds: [[0, 1]] }, [new Float32Array(6)]), /bounds/);
});

test("RowTable: history replaces, frames of its generation append, others are dropped", () => {
  const t = new RowTable();
  const hist = (steps, cols, g) => decodeRows(...rowsMessage("history", steps, cols, g));
  const frame = (steps, cols, g) => decodeRows(...rowsMessage("frame", steps, cols, g));
  t.replace(hist([0, 1], { loss: [3, 2] }, 1));
  assert.equal(t.append(frame([2, 3], { loss: [1, 0.5], acc: [0.1, 0.2] }, 1)), 2);
  assert.deepEqual([...t.steps.subarray(0, t.length)], [0, 1, 2, 3]);
  assert.deepEqual([...t.column("loss")], [3, 2, 1, 0.5]);
  // a column that appears late is NaN before; one missing from a frame is NaN on its rows
  assert.deepEqual([...t.column("acc")].map((v) => (Number.isNaN(v) ? null : v)), [null, null, 0.1, 0.2]);
  t.append(frame([4], { acc: [0.3] }, 1));
  assert.ok(Number.isNaN(t.column("loss")[4]));
  assert.deepEqual(t.last("loss"), { step: 3, value: 0.5 });
  // another generation: dropped until the next history
  assert.equal(t.append(frame([5], { loss: [0.1] }, 2)), 0);
  assert.equal(t.length, 5);
  // a frame from a held step on replaces those rows (the kernel merged a value into step 4)
  assert.equal(t.append(frame([4, 5], { loss: [0.3, 0.25], acc: [0.3, 0.4] }, 1)), 2);
  assert.deepEqual([...t.steps.subarray(0, t.length)], [0, 1, 2, 3, 4, 5]);
  assert.deepEqual([...t.column("loss")], [3, 2, 1, 0.5, 0.3, 0.25]);
  assert.deepEqual([...t.column("acc")].slice(2), [0.1, 0.2, 0.3, 0.4]);
  t.replace(hist([0, 10], { loss: [1, 2] }, 2));
  assert.equal(t.length, 2);
  assert.equal(t.column("acc"), null);
  assert.equal(t.append(frame([20], { loss: [3] }, 2)), 1);
});

test("RowTable grows past its allocation without losing rows", () => {
  const t = new RowTable();
  for (let k = 0; k < 300; k++) t.append(decodeRows(...rowsMessage("frame", [k], { loss: [k * 2] })));
  assert.equal(t.length, 300);
  const loss = t.column("loss");
  for (let k = 0; k < 300; k++) assert.equal(loss[k], 2 * k);
});

test("ema equals its definition (debiased), skips non-finite values, 0 returns the values", () => {
  const v = [4, 2, Number.NaN, 8, 1, 3];
  const a = 0.6;
  const out = ema(v, a);
  // brute force: weighted mean of the finite values so far, weights a^(k - j)
  const finite = [];
  v.forEach((x, i) => {
    if (!Number.isFinite(x)) return assert.ok(Number.isNaN(out[i]));
    finite.push(x);
    const k = finite.length;
    let num = 0;
    let den = 0;
    finite.forEach((y, j) => {
      num += (1 - a) * a ** (k - 1 - j) * y;
      den += (1 - a) * a ** (k - 1 - j);
    });
    assert.ok(Math.abs(out[i] - num / den) < 1e-12, `${i}: ${out[i]} vs ${num / den}`);
  });
  assert.equal(out[0], 4);
  assert.deepEqual([...ema([1, 5, 2], 0)], [1, 5, 2]);
});

test("charts: every loss name shares the first chart, other names get their own", () => {
  assert.deepEqual(groupCharts(["loss", "acc", "val_loss", "lr_x"]), [
    { title: "loss", names: ["loss", "val_loss"] },
    { title: "acc", names: ["acc"] },
    { title: "lr_x", names: ["lr_x"] },
  ]);
  assert.deepEqual(groupCharts(["acc"]), [{ title: "acc", names: ["acc"] }]);
  assert.deepEqual(groupCharts(["val_loss"]), [{ title: "val_loss", names: ["val_loss"] }]);
});

test("chartData: band columns for several seeds, raw + smoothed when smoothing, nulls on log y", () => {
  const t = new RowTable();
  t.replace(decodeRows(...rowsMessage("history", [0, 1, 2], { loss: [2, 1, 0], "loss:lo": [1, 0.5, -1], "loss:hi": [3, 2, 1] })));
  const plain = chartData(t, ["loss"], { seeds: { loss: 3 } });
  assert.deepEqual(plain.roles.map((r) => r.kind), ["lo", "hi", "line"]);
  assert.deepEqual(plain.data[3], [2, 1, 0]);
  const smooth = chartData(t, ["loss"], { seeds: { loss: 1 }, smooth: 0.5, logY: true });
  assert.deepEqual(smooth.roles.map((r) => r.kind), ["raw", "line"]);
  assert.deepEqual(smooth.data[1], [2, 1, null]);
  const e = ema([2, 1, 0], 0.5);
  assert.deepEqual(smooth.data[2], [e[0], e[1], e[2]]);
});

test("strip cells: the largest norm per layer and bucket, clipping per bucket (brute force)", () => {
  const t = new RowTable();
  const n = 10;
  const steps = Array.from({ length: n }, (_, i) => 100 + i);
  const a = steps.map((_, i) => 10 ** (-i / 3));
  const b = steps.map((_, i) => (i === 7 || i === 8 ? Number.NaN : 1 + i));
  const clipped = steps.map((_, i) => (i === 4 ? 1 : 0));
  t.replace(decodeRows(...rowsMessage("history", steps, { "layer:a": a, "layer:b": b, clipped })));
  for (const C of [10, 4, 3, 1, 25]) {
    const cells = stripCells(t, ["a", "b"], C);
    const cols = Math.min(n, C);
    assert.equal(cells.columns, cols);
    for (let c = 0; c < cols; c++) {
      const lo = Math.floor((c * n) / cols);
      const hi = Math.floor(((c + 1) * n) / cols);
      [a, b].forEach((col, l) => {
        // the largest in the bucket; with none, the latest norm before it
        const vals = col.slice(lo, hi).filter(Number.isFinite);
        const before = col.slice(0, lo).filter(Number.isFinite);
        const want = vals.length ? Math.max(...vals) : before.length ? before.at(-1) : Number.NaN;
        // layer 0 is the top row: grid row L - 1
        const got = cells.values[(2 - 1 - l) * cols + c];
        assert.ok(Object.is(got, want) || got === want, `C=${C} c=${c} l=${l}: ${got} vs ${want}`);
      });
      assert.equal(cells.clipped[c], lo <= 4 && 4 < hi ? 1 : 0);
    }
    assert.equal(cells.first, 100);
    assert.equal(cells.last, 109);
  }
  assert.equal(stripCells(t, ["a", "missing"], 5).values[0], Number.NaN);
  // a layer read every third step fills the steps between
  t.replace(decodeRows(...rowsMessage("history", [0, 1, 2, 3, 4], { "layer:a": [Number.NaN, 2, Number.NaN, Number.NaN, 5] })));
  assert.deepEqual([...stripCells(t, ["a"], 5).values], [Number.NaN, 2, 2, 2, 5]);
});

test("strip colours: log-linear between the smallest and largest norm, at most 12 decades", () => {
  const tr = stripTransform([1e-3, 10, Number.NaN, 0]);
  assert.ok(Math.abs(tr.fwd(1e-3)) < 1e-12);
  assert.ok(Math.abs(tr.fwd(10) - 1) < 1e-12);
  assert.ok(Math.abs(tr.fwd(1e-1) - 0.5) < 1e-12);
  const wide = stripTransform([1e-30, 1]);
  assert.ok(Math.abs(wide.zmin - 1e-12) < 1e-24);
  assert.equal(wide.fwd(1e-20), 0);
  const ticks = decadeTicks(tr);
  assert.deepEqual(ticks.map((t) => Math.round(t * 4)), [0, 1, 2, 3, 4]);
});

test("path view box holds the surface and the path; names of the plane", () => {
  const path = { n: 2, xy: f64([0, 0, 3, 1]) };
  const surface = { x0: -1, x1: 1, y0: -1, y1: 1 };
  assert.deepEqual(viewBox(path, surface), [-1, 3, -1, 1]);
  const [x0, x1, y0, y1] = viewBox(path, null);
  assert.ok(x0 < 0 && x1 > 3 && y0 < 0 && y1 > 1);
  assert.deepEqual(viewBox(null, null), [-1, 1, -1, 1]);
  assert.deepEqual(planeNames({ projection: "pca", explained: [0.834, 0.1] }), ["PC 1 (83% of the path's variance)", "PC 2 (10% of the path's variance)"]);
  assert.deepEqual(planeNames({ projection: "pca", explained: [0.9961, 0.0039] }), ["PC 1 (>99% of the path's variance)", "PC 2 (<1% of the path's variance)"]);
  assert.deepEqual(planeNames({ projection: "pca", explained: [0.93, 0.052] }), ["PC 1 (93% of the path's variance)", "PC 2 (5.2% of the path's variance)"]);
  assert.deepEqual(planeNames({ projection: "random" }), ["direction 1", "direction 2"]);
});

test("layout and slider maps", () => {
  assert.equal(columnWidth(900), 443);
  assert.equal(columnWidth(800), 800);
  assert.equal(smoothFromPos(0), 0);
  assert.equal(smoothFromPos(100), 0.99);
  for (const s of [0, 0.3, 0.6, 0.9, 0.99]) assert.ok(Math.abs(smoothFromPos(posFromSmooth(s)) - s) < 0.006, String(s));
});
