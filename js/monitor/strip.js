// The gradient-norm strip: one row per layer, one column per step (or per bucket of steps when
// there are more steps than pixels), colour = the layer's gradient L2 norm on a log scale with a
// colour bar; a step where a clipping was detected is marked above the strip. The kernel's
// "layer:<name>" columns feed it; it is hidden when meta.layers is empty.

import { interpolatePlasma } from "d3-scale-chromatic";

import { drawColorbar } from "../axes.js";
import { h, sizeCanvas } from "../dom.js";
import { colorLUT, colorTransform, fillGridImage, formatNumber } from "../scales.js";

export const STRIP_LUT = colorLUT(interpolatePlasma);
/** Decades shown below the largest norm; smaller norms take the lowest colour. */
export const STRIP_DECADES = 12;

/**
 * The strip's cells: `columns` buckets of consecutive rows (one row each when there are at
 * most `maxColumns` rows), per layer the largest norm in the bucket (so a spike survives the
 * bucketing), and per bucket whether a clipping was seen. A bucket without a norm (the kernel
 * reads the norms every k-th step when reading them costs too much) shows the layer's previous
 * norm; NaN before its first.
 *
 * @returns {{columns: number, layers: number, values: Float64Array, clipped: Uint8Array,
 *   first: number, last: number}}  `values[(layers - 1 - l) * columns + c]`: layer 0 is the
 *   grid's top row (fillGridImage puts row 0 at the bottom).
 */
export function stripCells(table, layers, maxColumns) {
  const n = table.length;
  const L = layers.length;
  const C = Math.max(0, Math.min(n, Math.floor(maxColumns)));
  const values = new Float64Array(L * C).fill(Number.NaN);
  const clipped = new Uint8Array(C);
  const clip = table.column("clipped");
  const cols = layers.map((name) => table.column(`layer:${name}`));
  for (let c = 0; c < C; c++) {
    const a = Math.floor((c * n) / C);
    const b = Math.floor(((c + 1) * n) / C);
    for (let l = 0; l < L; l++) {
      const col = cols[l];
      if (!col) continue;
      let best = Number.NaN;
      for (let i = a; i < b; i++) {
        const v = col[i];
        if (Number.isFinite(v) && !(v <= best)) best = v;
      }
      const at = (L - 1 - l) * C + c;
      values[at] = Number.isNaN(best) && c > 0 ? values[at - 1] : best;
    }
    if (clip) for (let i = a; i < b && !clipped[c]; i++) if (clip[i] > 0) clipped[c] = 1;
  }
  return { columns: C, layers: L, values, clipped, first: n ? table.steps[0] : Number.NaN, last: n ? table.steps[n - 1] : Number.NaN };
}

/** The colour map of the strip: log-linear over [max / 10^STRIP_DECADES or the min, max]. */
export function stripTransform(values) {
  let lo = Infinity;
  let hi = 0;
  for (const v of values) {
    if (!(v > 0) || !Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(hi > 0)) return colorTransform(1e-3, 1, true, STRIP_DECADES + 1);
  lo = Math.max(lo, hi / 10 ** STRIP_DECADES);
  if (!(hi > lo)) [lo, hi] = [lo / Math.SQRT2, hi * Math.SQRT2];
  return colorTransform(lo, hi, true, STRIP_DECADES + 1);
}

/** Colour positions of the powers of ten inside `tr`'s range (at most about six). */
export function decadeTicks(tr) {
  const a = Math.ceil(Math.log10(tr.zmin) - 1e-9);
  const b = Math.floor(Math.log10(tr.zmax) + 1e-9);
  const every = Math.max(1, Math.ceil((b - a + 1) / 6));
  const out = [];
  for (let e = a; e <= b; e++) if (e % every === 0) out.push(tr.fwd(10 ** e));
  return out.length ? out : [0, 1];
}

const M = { left: 96, right: 56, top: 12, bottom: 18 };

export function createStrip(store, { width = 430 } = {}) {
  const canvas = h("canvas", { class: "gd-monitor-strip-canvas" });
  const el = h("div", { class: "gd-monitor-strip", "data-testid": "gd-monitor-strip", hidden: true, dataset: { layers: "0", columns: "0" } }, [
    h("div", { class: "gd-panel-head" }, [
      h("span", { class: "gd-panel-title", text: "gradient norm per layer" }),
      h("span", { class: "gd-muted gd-monitor-note" }, [h("span", { class: "gd-monitor-clipmark", text: "▼" }), " clipped"]),
    ]),
    canvas,
  ]);
  let plotWidth = width;

  function draw() {
    const meta = store.meta();
    const layers = Array.isArray(meta.layers) ? meta.layers.map(String) : [];
    el.hidden = layers.length === 0;
    el.dataset.layers = String(layers.length);
    if (el.hidden) return;
    const rowH = Math.max(4, Math.min(24, Math.round(150 / layers.length)));
    const pw = Math.max(20, plotWidth - M.left - M.right);
    const ph = rowH * layers.length;
    const H = M.top + ph + M.bottom;
    const cells = stripCells(store.table, layers, pw);
    el.dataset.columns = String(cells.columns);
    const { ctx } = sizeCanvas(canvas, plotWidth, H);
    const cs = getComputedStyle(el);
    const theme = {
      fg: cs.getPropertyValue("--gd-fg").trim() || cs.color || "#333",
      muted: cs.getPropertyValue("--gd-fg-muted").trim() || "#888",
      error: cs.getPropertyValue("--gd-error").trim() || "#d32f2f",
      font: `11px ${cs.fontFamily || "sans-serif"}`,
    };
    ctx.clearRect(0, 0, plotWidth, H);
    const tr = stripTransform(cells.values);
    if (cells.columns > 0) {
      const image = document.createElement("canvas");
      image.width = cells.columns;
      image.height = layers.length;
      const ictx = image.getContext("2d");
      const data = ictx.createImageData(cells.columns, layers.length);
      fillGridImage(cells.values, cells.columns, layers.length, tr, STRIP_LUT, data.data);
      ictx.putImageData(data, 0, 0);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(image, M.left, M.top, pw, ph);
      // clipping marks above their columns
      ctx.fillStyle = theme.error;
      const cw = pw / cells.columns;
      for (let c = 0; c < cells.columns; c++) {
        if (!cells.clipped[c]) continue;
        const x = M.left + (c + 0.5) * cw;
        ctx.beginPath();
        ctx.moveTo(x - 3.5, M.top - 9);
        ctx.lineTo(x + 3.5, M.top - 9);
        ctx.lineTo(x, M.top - 2);
        ctx.closePath();
        ctx.fill();
      }
    }
    ctx.strokeStyle = theme.muted;
    ctx.lineWidth = 1;
    ctx.strokeRect(M.left - 0.5, M.top - 0.5, pw + 1, ph + 1);
    // layer names, as many as fit (at least 11 px apart)
    ctx.fillStyle = theme.fg;
    ctx.font = theme.font;
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    const every = Math.max(1, Math.ceil(11 / rowH));
    layers.forEach((name, l) => {
      if (l % every) return;
      let label = name;
      while (label.length > 3 && ctx.measureText(label).width > M.left - 8) label = `…${label.slice(2)}`;
      ctx.fillText(label, M.left - 5, M.top + (l + 0.5) * rowH);
    });
    // first and last step
    if (cells.columns > 0) {
      ctx.textBaseline = "top";
      ctx.textAlign = "left";
      ctx.fillText(`step ${formatNumber(cells.first, 4)}`, M.left, M.top + ph + 3);
      ctx.textAlign = "right";
      ctx.fillText(formatNumber(cells.last, 4), M.left + pw, M.top + ph + 3);
    }
    drawColorbar(ctx, { x: M.left + pw + 8, top: M.top, height: ph, barWidth: 8, room: M.right - 10, lut: STRIP_LUT, tr, ticks: decadeTicks(tr), theme });
  }

  return {
    el,
    draw,
    setWidth(w) {
      const pw = Math.max(240, Math.floor(w));
      if (pw === plotWidth) return false;
      plotWidth = pw;
      return true;
    },
    destroy() {},
  };
}
