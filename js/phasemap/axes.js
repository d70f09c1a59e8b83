// The phase map's axes: cells are equal in index space (which is log space for log-spaced
// values), a value's place in it (for curves drawn over the map), and which ticks to label.

/**
 * A function value -> fractional cell coordinate (cell i spans [i, i + 1], its value at its
 * centre), piecewise linear in the axis space (log for a log axis), extended at both ends.
 */
export function positionOf(values, log) {
  const t = log ? (v) => Math.log(v) : (v) => v;
  const tv = values.map(t);
  const n = tv.length;
  return (value) => {
    if (n === 1) return 0.5;
    if (log && !(value > 0)) return Number.NaN;
    const u = t(value);
    let k = 0;
    while (k < n - 2 && u > tv[k + 1]) k++;
    const span = tv[k + 1] - tv[k];
    return k + 0.5 + (span === 0 ? 0 : (u - tv[k]) / span);
  };
}

/** At most `max` evenly spread cell indices to label, the first and last included. */
export function tickIndices(n, max) {
  if (n <= 0) return [];
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const out = [];
  const step = (n - 1) / (max - 1);
  for (let k = 0; k < max; k++) out.push(Math.round(k * step));
  return [...new Set(out)];
}

/** The cell `(ix, iy)` under a point of the plot box (iy = 0 at the bottom), or null. */
export function cellAt(px, py, box, nx, ny) {
  const fx = (px - box.x) / box.w;
  const fy = (py - box.y) / box.h;
  if (!(fx >= 0 && fx < 1 && fy >= 0 && fy < 1)) return null;
  return { ix: Math.min(nx - 1, Math.floor(fx * nx)), iy: Math.min(ny - 1, Math.floor((1 - fy) * ny)) };
}
