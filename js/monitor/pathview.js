// The parameter path on its plane: the loss surface over the plane as a heat map with iso-lines
// (when the kernel sends one, with `loss_fn=`), then the path as a line from its start (hollow
// circle) to the newest point (filled). The view spans the surface's bounds, widened to hold the
// whole path. `data-points` is the path points drawn.

import { scaleLinear } from "d3-scale";

import { drawAxes, drawColorbar } from "../axes.js";
import { h, sizeCanvas } from "../dom.js";
import { LUT, buildGridLayer, drawGridLayer } from "../heatmap.js";

/** The data box to show: the surface's bounds and the path's extent, padded 8% if path only. */
export function viewBox(path, surface) {
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  const take = (x, y) => {
    if (!Number.isFinite(x) || !Number.isFinite(y)) return;
    x0 = Math.min(x0, x);
    x1 = Math.max(x1, x);
    y0 = Math.min(y0, y);
    y1 = Math.max(y1, y);
  };
  if (path) for (let i = 0; i < path.n; i++) take(path.xy[2 * i], path.xy[2 * i + 1]);
  const pathOnly = !surface;
  if (surface) {
    take(surface.x0, surface.y0);
    take(surface.x1, surface.y1);
  }
  if (!(x0 <= x1)) return [-1, 1, -1, 1];
  let dx = x1 - x0;
  let dy = y1 - y0;
  if (!(dx > 0)) dx = Math.abs(x0) * 0.1 || 1;
  if (!(dy > 0)) dy = Math.abs(y0) * 0.1 || 1;
  const pad = pathOnly ? 0.08 : 0;
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  const hw = (Math.max(dx, x1 - x0) / 2) * (1 + 2 * pad);
  const hh = (Math.max(dy, y1 - y0) / 2) * (1 + 2 * pad);
  return [cx - hw, cx + hw, cy - hh, cy + hh];
}

/** Axis titles: "PC 1 (83% of the path's variance)" for a PCA plane, "direction 1" otherwise. */
export function planeNames(path) {
  if (!path || path.projection !== "pca") return ["direction 1", "direction 2"];
  const ex = path.explained;
  if (!ex) return ["PC 1", "PC 2"];
  const pct = (f) => (f >= 0.995 ? ">99" : f < 0.005 ? "<1" : f < 0.1 ? (f * 100).toFixed(1) : String(Math.round(f * 100)));
  return ex.map((f, k) => `PC ${k + 1} (${pct(f)}% of the path's variance)`);
}

const M = { left: 54, top: 10, right: 64, bottom: 36 };

export function createPathView(store, { width = 430, height = 330 } = {}) {
  const canvas = h("canvas", { class: "gd-monitor-path-canvas" });
  const note = h("span", { class: "gd-muted gd-monitor-note" });
  const el = h("div", { class: "gd-monitor-path", "data-testid": "gd-monitor-path", hidden: true, dataset: { points: "0" } }, [
    h("div", { class: "gd-panel-head" }, [h("span", { class: "gd-panel-title", text: "parameter path" }), note]),
    canvas,
  ]);
  let plotWidth = width;
  let layer = null;
  let layerOf = null;

  function draw() {
    const meta = store.meta();
    const path = store.path;
    const surface = store.surface;
    el.hidden = meta.projection == null && !path;
    if (el.hidden) return;
    const projection = path?.projection ?? meta.projection;
    note.textContent = projection === "pca" ? "PCA plane of the path so far" : "two random filter-normalized directions";
    if (!surface) note.textContent += " · no surface without loss_fn=";
    const W = plotWidth;
    const H = height;
    const pw = W - M.left - M.right;
    const ph = H - M.top - M.bottom;
    const { ctx } = sizeCanvas(canvas, W, H);
    const cs = getComputedStyle(el);
    const theme = {
      fg: cs.getPropertyValue("--gd-fg").trim() || cs.color || "#333",
      muted: cs.getPropertyValue("--gd-fg-muted").trim() || "#888",
      accent: cs.getPropertyValue("--gd-accent").trim() || "#1a73e8",
      font: `11px ${cs.fontFamily || "sans-serif"}`,
    };
    ctx.clearRect(0, 0, W, H);
    const [x0, x1, y0, y1] = viewBox(path, surface);
    const sx = scaleLinear().domain([x0, x1]).range([M.left, M.left + pw]);
    const sy = scaleLinear().domain([y0, y1]).range([M.top + ph, M.top]);
    ctx.save();
    ctx.beginPath();
    ctx.rect(M.left, M.top, pw, ph);
    ctx.clip();
    if (surface) {
      if (layerOf !== surface) {
        layer = buildGridLayer(surface);
        layerOf = surface;
      }
      drawGridLayer(ctx, layer, sx, sy, pw / (x1 - x0), -ph / (y1 - y0));
    }
    const n = path ? path.n : 0;
    if (n > 0) {
      const line = new Path2D();
      for (let i = 0; i < n; i++) {
        const px = sx(path.xy[2 * i]);
        const py = sy(path.xy[2 * i + 1]);
        if (i) line.lineTo(px, py);
        else line.moveTo(px, py);
      }
      ctx.lineJoin = "round";
      ctx.strokeStyle = "rgba(255,255,255,0.85)";
      ctx.lineWidth = 3.5;
      ctx.stroke(line);
      ctx.strokeStyle = surface ? "#d62728" : theme.accent;
      ctx.lineWidth = 1.6;
      ctx.stroke(line);
      const dot = (i, filled) => {
        ctx.beginPath();
        ctx.arc(sx(path.xy[2 * i]), sy(path.xy[2 * i + 1]), 4.5, 0, 2 * Math.PI);
        ctx.lineWidth = 1.5;
        ctx.strokeStyle = "#fff";
        ctx.fillStyle = surface ? "#d62728" : theme.accent;
        if (filled) ctx.fill();
        ctx.stroke();
      };
      dot(0, false);
      dot(n - 1, true);
    }
    ctx.restore();
    drawAxes(ctx, { margin: M, width: pw, height: ph, canvasHeight: H, canvasWidth: W - M.right, sx, sy, names: planeNames(path), theme, xTicks: 5, yTicks: 5 });
    if (layer) drawColorbar(ctx, { x: M.left + pw + 8, top: M.top, height: ph, room: M.right - 12, lut: LUT, tr: layer.tr, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1], theme });
    el.dataset.points = String(n);
  }

  return {
    el,
    draw,
    setWidth(w) {
      const pw = Math.max(260, Math.floor(w));
      if (pw === plotWidth) return false;
      plotWidth = pw;
      return true;
    },
    destroy() {},
  };
}
