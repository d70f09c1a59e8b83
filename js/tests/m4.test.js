import assert from "node:assert/strict";
import { test } from "node:test";

import { m4Rows } from "../m4.js";

// A line chart's ink per pixel column, from scratch: each segment between consecutive rows
// with both values drawn covers, in each column it crosses, the y range between its ends
// there; a lone point covers its own column. Returns per column [lo, hi] (or null: no ink).
function ink(x, y, rows, width) {
  const x0 = x[0];
  const span = x[x.length - 1] - x0 || 1;
  const px = (i) => Math.min(width - 1e-9, ((x[i] - x0) / span) * width);
  const out = Array.from({ length: width }, () => null);
  const cover = (c, a, b) => {
    const [lo, hi] = [Math.min(a, b), Math.max(a, b)];
    out[c] = out[c] ? [Math.min(out[c][0], lo), Math.max(out[c][1], hi)] : [lo, hi];
  };
  for (let k = 0; k < rows.length; k++) {
    const i = rows[k];
    if (y[i] == null) continue;
    cover(Math.floor(px(i)), y[i], y[i]);
    const j = rows[k + 1];
    if (j === undefined || y[j] == null) continue;
    const [p0, p1] = [px(i), px(j)];
    const at = (p) => (p1 === p0 ? y[i] : y[i] + ((y[j] - y[i]) * (p - p0)) / (p1 - p0));
    for (let c = Math.floor(p0); c <= Math.floor(p1); c++) {
      cover(c, at(Math.max(p0, c)), at(Math.min(p1, c + 1)));
    }
  }
  return out;
}

function random(seed) {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
}

test("the rows M4 keeps draw the same ink in every column as all rows, gaps included", () => {
  const rnd = random(7);
  for (let trial = 0; trial < 20; trial++) {
    const n = 1000 + Math.floor(rnd() * 5000);
    const width = 20 + Math.floor(rnd() * 200);
    if (n <= 4 * width) continue;
    const x = [];
    let step = 0;
    for (let i = 0; i < n; i++) x.push((step += 1 + Math.floor(rnd() * 5)));
    const series = [0, 1, 2].map(() => {
      let v = 1;
      return x.map(() => {
        v += rnd() - 0.5;
        if (rnd() < 0.003) return null; // a gap
        return rnd() < 0.002 ? v + 40 : v; // and spikes
      });
    });
    const rows = m4Rows(x, series, (v) => v != null && Number.isFinite(v), width);
    assert.ok(rows && rows.length < n && rows[0] === 0 && rows[rows.length - 1] === n - 1);
    const all = x.map((_, i) => i);
    for (const y of series) {
      const [got, want] = [ink(x, y, rows, width), ink(x, y, all, width)];
      for (let c = 0; c < width; c++) {
        assert.equal(got[c] === null, want[c] === null, `column ${c}`);
        if (want[c]) for (const k of [0, 1]) assert.ok(Math.abs(got[c][k] - want[c][k]) < 1e-12, `column ${c}: ${got[c]} vs ${want[c]}`);
      }
    }
  }
});

test("a few rows are all kept, and what `ok` rejects counts as a gap", () => {
  assert.equal(m4Rows([1, 2, 3], [[1, 2, 3]], () => true, 10), null);
  const x = Array.from({ length: 100 }, (_, i) => i);
  const y = x.map((i) => (i === 30 ? -1 : 1)); // -1: not drawn on a log axis
  const rows = m4Rows(x, [y], (v) => v > 0, 2);
  // a flat line needs only each column's ends, but the line breaks at row 30 and must still
  assert.deepEqual(rows, [0, 29, 30, 31, 49, 50, 99]);
});
