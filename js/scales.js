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
