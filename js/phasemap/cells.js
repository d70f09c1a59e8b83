// The phase map's data: the kernel's `cells` bytes (float64, (4, ny, nx): final_loss, best_loss,
// steps_to_tol, diverged; NaN = not run yet), each figure's colour scale, and a cell's colour.
import { interpolateViridis } from "d3-scale-chromatic";

import { asTyped } from "../decode.js";

export const FIGURES = ["final_loss", "best_loss", "steps_to_tol", "diverged"];
export const LABELS = {
  final_loss: "final loss",
  best_loss: "best loss",
  steps_to_tol: "steps to tol",
  diverged: "diverged",
};
export const COLORS = { diverged: [120, 20, 30], pending: [238, 238, 238], never: [170, 170, 170], fine: [60, 130, 200] };

/** Decode `cells` for an nx x ny map; null when the bytes do not hold 4 * nx * ny values. */
export function decodeCells(bytes, nx, ny) {
  const all = asTyped(bytes, Float64Array);
  const n = nx * ny;
  if (!(nx >= 1 && ny >= 1) || all.length !== 4 * n) return null;
  const figure = (name) => {
    const k = FIGURES.indexOf(name);
    return k < 0 ? null : all.subarray(k * n, (k + 1) * n);
  };
  const diverged = figure("diverged");
  let done = 0;
  for (let i = 0; i < n; i++) if (!Number.isNaN(diverged[i])) done++;
  return { nx, ny, n, figure, diverged, done };
}

/**
 * The colour scale of `figure` over the finished, not diverged cells: `{lo, hi, log}`, or null
 * when no cell has a value. Losses are on a log scale when every one is > 0.
 */
export function colorDomain(cells, figure) {
  if (figure === "diverged") return { lo: 0, hi: 1, log: false };
  const v = cells.figure(figure);
  let lo = Infinity;
  let hi = -Infinity;
  let positive = true;
  for (let i = 0; i < cells.n; i++) {
    if (cells.diverged[i] !== 0 || !Number.isFinite(v[i])) continue;
    lo = Math.min(lo, v[i]);
    hi = Math.max(hi, v[i]);
    if (v[i] <= 0) positive = false;
  }
  if (lo > hi) return null;
  return { lo, hi, log: figure !== "steps_to_tol" && positive && hi > lo };
}

/** Where `value` falls in `domain`, 0..1 (0: the lowest, the best). */
export function unit(value, domain) {
  if (!domain || domain.hi === domain.lo) return 0;
  const f = domain.log ? (v) => Math.log(v) : (v) => v;
  return Math.min(1, Math.max(0, (f(value) - f(domain.lo)) / (f(domain.hi) - f(domain.lo))));
}

/** The colour `[r, g, b]` of cell i: pending, diverged, never reached, or on the scale. */
export function cellColor(cells, figure, domain, i) {
  const div = cells.diverged[i];
  if (Number.isNaN(div)) return COLORS.pending;
  if (div !== 0) return COLORS.diverged;
  if (figure === "diverged") return COLORS.fine;
  const v = cells.figure(figure)[i];
  if (!Number.isFinite(v) || !domain) return COLORS.never;
  return rgb(interpolateViridis(1 - unit(v, domain)));
}

function rgb(css) {
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(css);
  if (hex) return [1, 2, 3].map((k) => parseInt(hex[k], 16));
  const m = /rgb\((\d+),\s*(\d+),\s*(\d+)\)/.exec(css);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
}

/** A number as the map's labels show it. */
export function fmt(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(2).replace(/\.?0+e/, "e").replace("e+", "e");
  return Number(v.toPrecision(3)).toString();
}
