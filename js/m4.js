// Which rows a line chart needs: M4 aggregation (Jugel et al., VLDB 2014). Per pixel column,
// the first and last row and each series' first row of its smallest and largest value draw
// the same lines as every row, pixel for pixel. The loss panel hands uPlot only those rows:
// 16,384 rows of eight runs redrawn 15 times a second cost the page a fifth of its frames.

/**
 * Rows of increasing `x` that draw the same lines as all of them on `width` pixel columns
 * spanning x[0]..x[n-1]: in each column its first and last row, each series' first row of
 * its smallest and of its largest value, and the rows on either side of a gap (a value that
 * `ok` rejects). Returns null (every row) when there are too few rows to gain anything.
 *
 * @param {ArrayLike<number>} x
 * @param {ArrayLike<number|null>[]} series
 * @param {(v: number|null) => boolean} ok
 * @param {number} width pixel columns
 * @returns {number[] | null}
 */
export function m4Rows(x, series, ok, width) {
  const n = x.length;
  const w = Math.max(1, Math.floor(width));
  if (!(n > 4 * w)) return null;
  const x0 = x[0];
  const span = x[n - 1] - x0 || 1;
  const keep = new Uint8Array(n);
  const count = series.length;
  const lo = new Int32Array(count).fill(-1);
  const hi = new Int32Array(count).fill(-1);
  let column = -1;
  let first = 0;
  const close = (end) => {
    keep[first] = 1;
    keep[end - 1] = 1;
    for (let r = 0; r < count; r++) {
      if (lo[r] >= 0) keep[lo[r]] = keep[hi[r]] = 1;
      lo[r] = hi[r] = -1;
    }
  };
  for (let i = 0; i < n; i++) {
    const c = Math.min(w - 1, Math.floor(((x[i] - x0) / span) * w));
    if (c !== column) {
      if (i > 0) close(i);
      column = c;
      first = i;
    }
    for (let r = 0; r < count; r++) {
      const s = series[r];
      const v = s[i];
      const good = ok(v);
      if (i > 0 && good !== ok(s[i - 1])) keep[i - 1] = keep[i] = 1;
      if (!good) continue;
      if (lo[r] < 0 || v < s[lo[r]]) lo[r] = i;
      if (hi[r] < 0 || v > s[hi[r]]) hi[r] = i;
    }
  }
  close(n);
  const out = [];
  for (let i = 0; i < n; i++) if (keep[i]) out.push(i);
  return out;
}
