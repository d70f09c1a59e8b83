// Axes for canvas plots: a frame around the plot box, ticks with labels, and the axis titles.
// Shared by the landscape and the model view.

/**
 * Draw the plot box, the ticks of `sx` (bottom) and `sy` (left) and the two axis titles.
 *
 * @param {CanvasRenderingContext2D} ctx
 * @param {object} o
 * @param {{left: number, top: number}} o.margin  top-left corner of the plot box
 * @param {number} o.width  plot box width (px)
 * @param {number} o.height  plot box height (px)
 * @param {number} o.canvasHeight  the canvas height, for the bottom title
 * @param {Function} o.sx  d3 linear scale, data -> px, x
 * @param {Function} o.sy  d3 linear scale, data -> px, y
 * @param {[string, string]} o.names  axis titles
 * @param {{fg: string, muted: string, font: string}} o.theme
 * @param {number} [o.xTicks=6]
 * @param {number} [o.yTicks=6]
 */
export function drawAxes(ctx, o) {
  const { margin: m, width: pw, height: ph, sx, sy, names, theme } = o;
  const xTicks = o.xTicks ?? 6;
  const yTicks = o.yTicks ?? 6;
  ctx.save();
  ctx.strokeStyle = theme.muted;
  ctx.lineWidth = 1;
  ctx.strokeRect(m.left - 0.5, m.top - 0.5, pw + 1, ph + 1);
  ctx.fillStyle = theme.fg;
  ctx.font = theme.font;
  const fx = sx.tickFormat(xTicks);
  const fy = sy.tickFormat(yTicks);
  ctx.beginPath();
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const t of sx.ticks(xTicks)) {
    const px = Math.round(sx(t)) + 0.5;
    ctx.moveTo(px, m.top + ph);
    ctx.lineTo(px, m.top + ph + 5);
    ctx.fillText(fx(t), px, m.top + ph + 7);
  }
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const t of sy.ticks(yTicks)) {
    const py = Math.round(sy(t)) + 0.5;
    ctx.moveTo(m.left - 5, py);
    ctx.lineTo(m.left, py);
    ctx.fillText(fy(t), m.left - 7, py);
  }
  ctx.stroke();
  ctx.font = `italic ${theme.font}`;
  ctx.textAlign = "center";
  ctx.textBaseline = "bottom";
  ctx.fillText(String(names[0] ?? "x"), m.left + pw / 2, o.canvasHeight - 2);
  ctx.translate(12, m.top + ph / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = "middle";
  ctx.fillText(String(names[1] ?? "y"), 0, 0);
  ctx.restore();
}
