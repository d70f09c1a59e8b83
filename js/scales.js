// Colour and value scales shared by the views, kept free of DOM so node tests can run them.

import { scaleLinear } from "d3-scale";

/** [min, max] over the finite values, or [NaN, NaN] when there are none. */
export function finiteExtent(values) {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : [Number.NaN, Number.NaN];
}

/**
 * The map from a loss value z to a colour position t in [0, 1].
 *
 * Linear: t = (z - zmin) / (zmax - zmin).
 * Log: t is linear in log10(z) when 0 < zmin and the range spans at most `decades` decades;
 * otherwise (zmin <= 0, or an enormous range) in log10(z - zmin + eps) with eps = span * 10^-decades,
 * so that the lowest `decades` decades above the minimum get the colours.
 * NaN (and z where the map is undefined) gives NaN; values outside the domain are clamped.
 */
export function colorTransform(zmin, zmax, log = false, decades = 6) {
  let lo = Number(zmin);
  let hi = Number(zmax);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
    lo = 0;
    hi = 1;
  }
  if (hi < lo) [lo, hi] = [hi, lo];
  let span = hi - lo;
  if (!(span > 0)) span = Math.abs(hi) > 0 ? Math.abs(hi) * 1e-6 : 1;
  const clamp = (t) => (t < 0 ? 0 : t > 1 ? 1 : t);
  if (!log) {
    return {
      log: false,
      zmin: lo,
      zmax: lo + span,
      fwd: (z) => (Number.isNaN(z) ? Number.NaN : clamp((z - lo) / span)),
      inv: (t) => lo + t * span,
    };
  }
  if (lo > 0 && Math.log10((lo + span) / lo) <= decades) {
    const a = Math.log10(lo);
    const b = Math.log10(lo + span);
    return {
      log: true,
      zmin: lo,
      zmax: lo + span,
      fwd: (z) => (Number.isNaN(z) ? Number.NaN : z <= 0 ? 0 : clamp((Math.log10(z) - a) / (b - a))),
      inv: (t) => 10 ** (a + t * (b - a)),
    };
  }
  const eps = span * 10 ** -decades;
  const a = Math.log10(eps);
  const b = Math.log10(span + eps);
  return {
    log: true,
    zmin: lo,
    zmax: lo + span,
    fwd: (z) => {
      if (Number.isNaN(z)) return Number.NaN;
      const d = z - lo;
      return d <= 0 ? 0 : clamp((Math.log10(d + eps) - a) / (b - a));
    },
    inv: (t) => lo + 10 ** (a + t * (b - a)) - eps,
  };
}

/**
 * Contour levels as colour positions t in (0, 1) (contour the transformed grid with these).
 * Linear: the "nice" ticks of [zmin, zmax]; log: evenly spaced in t, i.e. in log space.
 */
export function contourLevels(tr, count = 12) {
  if (!tr.log) {
    const ticks = scaleLinear().domain([tr.zmin, tr.zmax]).ticks(count);
    const t = ticks.map(tr.fwd).filter((v) => v > 1e-9 && v < 1 - 1e-9);
    if (t.length) return t;
  }
  return Array.from({ length: count }, (_, k) => (k + 1) / (count + 1));
}

/** Parse "#rrggbb", "#rgb" or "rgb(r, g, b)" into [r, g, b] (0..255). */
export function parseColor(s) {
  const str = String(s).trim();
  let m = /^#([0-9a-f]{6})$/i.exec(str);
  if (m) {
    const v = Number.parseInt(m[1], 16);
    return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
  }
  m = /^#([0-9a-f]{3})$/i.exec(str);
  if (m) return [...m[1]].map((c) => Number.parseInt(c + c, 16));
  m = /^rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)/i.exec(str);
  if (m) return [Math.round(+m[1]), Math.round(+m[2]), Math.round(+m[3])];
  return [128, 128, 128];
}

/** A lookup table of `n` colours (Uint8Array of r, g, b triples) from a d3 interpolator. */
export function colorLUT(interpolate, n = 256) {
  const lut = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) lut.set(parseColor(interpolate(i / (n - 1))), i * 3);
  return lut;
}

/**
 * Fill RGBA pixels (`out`, length nx * ny * 4) from a row-major grid whose row 0 is at the
 * bottom (y0): image row 0 is the grid's last row. Non-finite values become transparent.
 * Returns `out`.
 */
export function fillGridImage(values, nx, ny, tr, lut, out = new Uint8ClampedArray(nx * ny * 4)) {
  const n = lut.length / 3;
  for (let j = 0; j < ny; j++) {
    const src = j * nx;
    const dst = (ny - 1 - j) * nx * 4;
    for (let i = 0; i < nx; i++) {
      const z = values[src + i];
      const o = dst + i * 4;
      if (!Number.isFinite(z)) {
        out[o] = out[o + 1] = out[o + 2] = out[o + 3] = 0;
        continue;
      }
      const k = Math.round(tr.fwd(z) * (n - 1)) * 3;
      out[o] = lut[k];
      out[o + 1] = lut[k + 1];
      out[o + 2] = lut[k + 2];
      out[o + 3] = 255;
    }
  }
  return out;
}

/**
 * The grid transformed to colour positions for contouring: Float64Array of t in [0, 1], with
 * non-finite values (overflow) set to +Infinity so that they count as "above every level".
 */
export function transformGrid(values, tr) {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const z = values[i];
    out[i] = Number.isFinite(z) ? tr.fwd(z) : Infinity;
  }
  return out;
}

/** A log-scale slider map between `min` and `max` (both > 0): position p in [0, 1] <-> value. */
export function logMap(min, max) {
  let lo = Number(min);
  let hi = Number(max);
  if (!(lo > 0) || !(hi > 0)) throw new Error(`gdwidget: a log scale needs min, max > 0, got ${min}, ${max}`);
  if (hi < lo) [lo, hi] = [hi, lo];
  const a = Math.log(lo);
  const b = Math.log(hi);
  const w = b - a || 1;
  return {
    min: lo,
    max: hi,
    toValue: (p) => Math.exp(a + Math.min(1, Math.max(0, p)) * w),
    toPos: (v) => (v > 0 ? Math.min(1, Math.max(0, (Math.log(v) - a) / w)) : 0),
  };
}

/** A short, readable number: "0.00123" -> "1.23e-3", 12.3456 -> "12.3", NaN/null -> "–". */
export function formatNumber(v, digits = 3) {
  if (v == null || Number.isNaN(v)) return "–";
  if (v === Infinity) return "∞";
  if (v === -Infinity) return "-∞";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-2) {
    const [m, e] = v.toExponential(digits - 1).split("e");
    return `${Number(m)}e${Number(e)}`;
  }
  return String(Number(v.toPrecision(digits)));
}

/** "Nice" round tick values over [lo, hi] (about `count` of them); [] for a bad range. */
export function niceTicks(lo, hi, count = 5) {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) return [lo];
  return scaleLinear().domain([lo, hi]).ticks(count);
}

function trimExp(s) {
  const [m, e] = s.split("e");
  return e === undefined ? m : `${Number(m)}e${Number(e)}`;
}

/**
 * Labels for the tick values `ticks` of one axis: as short as the spacing allows, the same style
 * for all, and "0" for a value within rounding of zero (1e-17 among ticks 0.5 apart reads "0").
 */
export function formatTicks(ticks) {
  const vals = Array.from(ticks, Number);
  const finite = vals.filter(Number.isFinite);
  if (!finite.length) return vals.map((v) => formatNumber(v));
  const sorted = [...finite].sort((a, b) => a - b);
  let step = Infinity;
  for (let i = 1; i < sorted.length; i++) {
    const d = sorted[i] - sorted[i - 1];
    if (d > 0 && d < step) step = d;
  }
  const maxAbs = Math.max(...finite.map(Math.abs));
  if (!Number.isFinite(step)) step = maxAbs > 0 ? maxAbs : 1;
  const tiny = step * 1e-6;
  const zeroed = vals.map((v) => (Math.abs(v) < tiny ? 0 : v));
  if (maxAbs >= 1e5 || maxAbs < 1e-3) {
    // significant digits enough to tell neighbours apart
    const digits = Math.min(6, Math.max(1, Math.ceil(Math.log10(maxAbs / step) - 1e-9) + 1));
    return zeroed.map((v) => (!Number.isFinite(v) ? formatNumber(v) : v === 0 ? "0" : trimExp(v.toExponential(digits - 1))));
  }
  // each value with the decimals it needs, never more than the spacing needs
  const most = Math.max(0, Math.ceil(-Math.log10(step) - 1e-9) + 1);
  return zeroed.map((v) => {
    if (!Number.isFinite(v)) return formatNumber(v);
    let d = 0;
    while (d < most && Math.abs(Math.round(v * 10 ** d) - v * 10 ** d) > 1e-6 * Math.max(1, Math.abs(v * 10 ** d))) d++;
    const s = v.toFixed(d);
    return Number(s) === 0 ? "0" : s;
  });
}

/**
 * The loss chart's y range over the runs' loss columns (arrays, NaN / null / ±inf ignored), so
 * that one diverging run does not crush the others: a value of run r counts only while it stays
 * within 1000 times the losses' scale of that run's first finite value (the kernel's own test
 * for divergence); beyond, its curve leaves the chart. On a log axis only values > 0 count, and
 * the range is widened to whole decades.
 *
 * @param {ArrayLike<number|null>[]} columns  one per (visible) run
 * @param {{log?: boolean}} [opts]
 * @returns {[number, number] | null}  null when there is no usable value
 */
export function robustRange(columns, { log = false } = {}) {
  const ok = (v) => v != null && Number.isFinite(v) && (!log || v > 0);
  const starts = [];
  for (const col of columns) {
    let first = Number.NaN;
    for (let i = 0; i < col.length; i++) {
      if (ok(col[i])) {
        first = col[i];
        break;
      }
    }
    starts.push(first);
  }
  let ref = 0;
  for (const s of starts) if (Number.isFinite(s)) ref = Math.max(ref, Math.abs(s));
  if (!(ref > 0)) ref = 1;
  let lo = Infinity;
  let hi = -Infinity;
  columns.forEach((col, r) => {
    const s = starts[r];
    if (!Number.isFinite(s)) return;
    const reach = 1000 * Math.max(Math.abs(s), ref);
    const top = log ? 1000 * Math.max(s, ref) : s + reach;
    const bottom = log ? 0 : s - reach;
    for (let i = 0; i < col.length; i++) {
      const v = col[i];
      if (!ok(v) || v > top || v < bottom) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  });
  if (!(lo <= hi)) return null;
  if (log) {
    let a = Math.floor(Math.log10(lo) + 1e-9);
    let b = Math.ceil(Math.log10(hi) - 1e-9);
    if (b <= a) b = a + 1;
    a = Math.max(a, -300);
    b = Math.min(b, 300);
    return [10 ** a, 10 ** b];
  }
  let span = hi - lo;
  if (!(span > 0)) span = Math.abs(hi) > 0 ? Math.abs(hi) * 0.2 : 1;
  const pad = span * 0.05;
  // a loss that is never negative keeps 0 as its floor
  const low = lo >= 0 && lo - pad < 0 ? 0 : lo - pad;
  return [low, hi + pad];
}
