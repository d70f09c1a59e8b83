// What the curves draw, free of DOM: the EMA smoothing, which names share a chart, and the
// uPlot columns of one chart (raw, smoothed, band) from the row table.

import { FALLBACK_COLORS } from "../paths.js";

/**
 * Exponential moving average with factor `alpha` in [0, 1), debiased as TensorBoard does:
 * s_k = alpha s_{k-1} + (1 - alpha) v_k over the finite values v_1..v_k seen so far, s_0 = 0,
 * and out = s_k / (1 - alpha^k). The first value is kept as is; a non-finite value gives NaN at
 * its row and does not move the average. alpha = 0 returns the values.
 */
export function ema(values, alpha) {
  const out = new Float64Array(values.length);
  const a = Number(alpha);
  let s = 0;
  let weight = 1; // alpha^k
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v == null || !Number.isFinite(v)) {
      out[i] = Number.NaN;
      continue;
    }
    if (!(a > 0)) {
      out[i] = v;
      continue;
    }
    s = a * s + (1 - a) * v;
    weight *= a;
    out[i] = s / (1 - weight);
  }
  return out;
}

/** A name is a loss when it is "loss" or ends with "loss" ("val_loss", "train/loss"). */
export const isLoss = (name) => /loss$/i.test(String(name));

/**
 * The charts: every loss name in one chart titled "loss" (first), each other name in its own
 * chart, in the order of `names`. Returns `[{title, names}]`.
 */
export function groupCharts(names) {
  const losses = names.filter(isLoss);
  const charts = losses.length ? [{ title: losses.length === 1 ? losses[0] : "loss", names: losses }] : [];
  for (const name of names) if (!isLoss(name)) charts.push({ title: name, names: [name] });
  return charts;
}

/** The colour of scalar `name`: its place among `names`, in the Playground's palette. */
export function colorOf(names, name) {
  const i = Math.max(0, names.indexOf(name));
  return FALLBACK_COLORS[i % FALLBACK_COLORS.length];
}

const toPlot = (v, positive) => (Number.isFinite(v) && (!positive || v > 0) ? v : null);

/**
 * uPlot's aligned data and series roles for one chart: `data = [steps, ...]`, `roles[k]` says
 * what data[k + 1] is: `{name, kind: "raw" | "line" | "lo" | "hi"}`. Per name: its band (lo, hi)
 * when seeds > 1, its raw values (drawn faint) when smoothing, and its line (smoothed or raw).
 * Non-finite values, and values <= 0 on a log axis, become null (a gap).
 */
export function chartData(table, chartNames, { seeds = {}, smooth = 0, logY = false } = {}) {
  const n = table.length;
  const x = Array.from(table.steps.subarray(0, n));
  const data = [x];
  const roles = [];
  const push = (name, kind, values) => {
    const col = new Array(n);
    for (let i = 0; i < n; i++) col[i] = toPlot(values ? values[i] : Number.NaN, logY);
    data.push(col);
    roles.push({ name, kind });
  };
  for (const name of chartNames) {
    const raw = table.column(name);
    if (Number(seeds[name]) > 1) {
      const lo = table.column(`${name}:lo`);
      const hi = table.column(`${name}:hi`);
      if (lo && hi) {
        push(name, "lo", smooth > 0 ? ema(lo, smooth) : lo);
        push(name, "hi", smooth > 0 ? ema(hi, smooth) : hi);
      }
    }
    if (smooth > 0) {
      push(name, "raw", raw);
      push(name, "line", raw ? ema(raw, smooth) : null);
    } else {
      push(name, "line", raw);
    }
  }
  return { data, roles };
}
