// Axes for canvas plots: a frame around the plot box, ticks with labels, the axis titles, and the
// landscape's colour bar. Labels are measured: a label that would not fit its room is drawn in a
// smaller font (never clipped), and a tick within rounding of zero reads "0".

import { formatNumber, formatTicks } from "./scales.js";

const MIN_FONT_PX = 7;

/** The font size (px) at which every text of `labels` is at most `room` px wide. */
export function fitFontSize(ctx, labels, room, family, size = 11) {
  ctx.font = `${size}px ${family}`;
  let widest = 0;
  for (const s of labels) widest = Math.max(widest, ctx.measureText(s).width);
  if (!(widest > room) || !(room > 0)) return size;
  return Math.max(MIN_FONT_PX, Math.floor(size * (room / widest) * 10) / 10);
}

/** "11px Inter" -> ["Inter", 11] */
function splitFont(font) {
  const m = /^(?:italic\s+)?([\d.]+)px\s+(.*)$/.exec(String(font));
  return m ? [m[2], Number(m[1])] : ["sans-serif", 11];
}

/**
 * Draw the plot box, the ticks of `sx` (bottom) and `sy` (left) and the two axis titles.
 *
 * @param {CanvasRenderingContext2D} ctx
 * @param {object} o
 * @param {{left: number, top: number}} o.margin  top-left corner of the plot box
 * @param {number} o.width  plot box width (px)
 * @param {number} o.height  plot box height (px)
 * @param {number} o.canvasHeight  the canvas height, for the bottom title
 * @param {number} [o.canvasWidth]  the canvas width (x labels are kept inside it)
 * @param {Function} o.sx  d3 linear scale, data -> px, x
 * @param {Function} o.sy  d3 linear scale, data -> px, y
 * @param {[string, string]} o.names  axis titles
 * @param {{fg: string, muted: string, font: string}} o.theme
 * @param {number} [o.xTicks=6]
 * @param {number} [o.yTicks=6]
 */
export function drawAxes(ctx, o) {
  const { margin: m, width: pw, height: ph, sx, sy, names, theme } = o;
  const [family, size] = splitFont(theme.font);
  const canvasWidth = o.canvasWidth ?? m.left + pw + 60;
  const xt = sx.ticks(o.xTicks ?? 6);
  const yt = sy.ticks(o.yTicks ?? 6);
  const xl = formatTicks(xt);
  const yl = formatTicks(yt);
  ctx.save();
  ctx.strokeStyle = theme.muted;
  ctx.lineWidth = 1;
  ctx.strokeRect(m.left - 0.5, m.top - 0.5, pw + 1, ph + 1);
  ctx.fillStyle = theme.fg;
  ctx.beginPath();
  // x labels: the room between two ticks
  const xRoom = xt.length > 1 ? Math.abs(sx(xt[1]) - sx(xt[0])) - 6 : pw;
  ctx.font = `${fitFontSize(ctx, xl, xRoom, family, size)}px ${family}`;
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  xt.forEach((t, k) => {
    const px = Math.round(sx(t)) + 0.5;
    ctx.moveTo(px, m.top + ph);
    ctx.lineTo(px, m.top + ph + 5);
    const half = ctx.measureText(xl[k]).width / 2;
    ctx.fillText(xl[k], Math.min(canvasWidth - half - 1, Math.max(half + 1, px)), m.top + ph + 7);
  });
  // y labels: between the rotated title (about 20 px) and the ticks
  ctx.font = `${fitFontSize(ctx, yl, m.left - 7 - 20, family, size)}px ${family}`;
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  yt.forEach((t, k) => {
    const py = Math.round(sy(t)) + 0.5;
    ctx.moveTo(m.left - 5, py);
    ctx.lineTo(m.left, py);
    ctx.fillText(yl[k], m.left - 7, py);
  });
  ctx.stroke();
  const xName = String(names[0] ?? "x");
  const yName = String(names[1] ?? "y");
  ctx.font = `italic ${fitFontSize(ctx, [xName], canvasWidth - 4, family, size)}px ${family}`;
  ctx.textAlign = "center";
  ctx.textBaseline = "bottom";
  ctx.fillText(xName, m.left + pw / 2, o.canvasHeight - 2);
  ctx.font = `italic ${fitFontSize(ctx, [yName], o.canvasHeight - 4, family, size)}px ${family}`;
  ctx.translate(12, Math.min(o.canvasHeight / 2, m.top + ph / 2));
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = "middle";
  ctx.fillText(yName, 0, 0);
  ctx.restore();
}

/** Labels of colour-bar values: two significant digits, "0" within 1e-9 of the span of zero. */
export function colorbarLabels(values, span) {
  const tiny = Math.abs(span) * 1e-9;
  return values.map((v) => (Math.abs(v) <= tiny ? "0" : formatNumber(v, 2)));
}

/**
 * The colour bar right of the plot: `lut` (r, g, b triples) from bottom to top at x, `ticks`
 * colour positions in [0, 1] labelled with `tr.inv(t)`; labels fit in the `room` px to their right.
 */
export function drawColorbar(ctx, { x, top, height, barWidth = 10, room, lut, tr, ticks, theme }) {
  const [family, size] = splitFont(theme.font);
  ctx.save();
  const n = lut.length / 3;
  const step = height / n;
  for (let i = 0; i < n; i++) {
    ctx.fillStyle = `rgb(${lut[i * 3]},${lut[i * 3 + 1]},${lut[i * 3 + 2]})`;
    ctx.fillRect(x, top + height - (i + 1) * step, barWidth, step + 0.6);
  }
  ctx.strokeStyle = theme.muted;
  ctx.strokeRect(x - 0.5, top - 0.5, barWidth + 1, height + 1);
  // keep ticks at least 14 px apart; a value within rounding of zero (relative to the bar's
  // span) reads "0"
  const kept = [];
  let lastY = Infinity;
  for (const t of ticks) {
    const py = top + height - t * height;
    if (lastY - py < 14) continue;
    lastY = py;
    kept.push([t, py]);
  }
  const labels = colorbarLabels(kept.map(([t]) => tr.inv(t)), tr.zmax - tr.zmin);
  ctx.fillStyle = theme.fg;
  ctx.font = `${fitFontSize(ctx, labels, room - 5, family, size)}px ${family}`;
  ctx.textAlign = "left";
  ctx.textBaseline = "middle";
  kept.forEach(([, py], k) => {
    ctx.fillRect(x + barWidth, py - 0.5, 3, 1);
    ctx.fillText(labels[k], x + barWidth + 5, Math.min(top + height - 4, Math.max(top + 4, py)));
  });
  ctx.restore();
  return labels;
}
