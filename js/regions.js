// The decision regions of a "boundary" model view (js/modelview.js): their colours (p(class 1)
// on a diverging map for two classes, categorical colours for more) and drawing them, with the
// decision boundary p = ½ in the run's colour.

import { contours } from "d3-contour";
import { interpolateRdBu } from "d3-scale-chromatic";

import { colorLUT, parseColor } from "./scales.js";

/** Class colours of the points and of the regions when there are more than two classes. */
export const CLASS_COLORS = ["#2c7bb6", "#d7301f", "#1a9850", "#984ea3", "#ff7f00", "#a6761d", "#e7298a", "#666666"];
// two classes: p(class 1) from blue (0) through white to red (1), as the points; the ends of
// the scheme are left out so that the points stay darker than the regions under them
const DIVERGING = colorLUT((t) => interpolateRdBu(0.88 - 0.76 * t));

/**
 * RGBA pixels (image row 0 at the top) of a boundary grid whose row 0 is at the bottom: for two
 * classes `values` are p(class 1) on a diverging map, otherwise class indices in categorical
 * colours. `alpha` 0..255. Non-finite values are transparent.
 */
export function fillRegions(values, nx, ny, nClasses, alpha, out = new Uint8ClampedArray(nx * ny * 4)) {
  const classes = CLASS_COLORS.map(parseColor);
  const n = DIVERGING.length / 3;
  for (let j = 0; j < ny; j++) {
    const src = j * nx;
    const dst = (ny - 1 - j) * nx * 4;
    for (let i = 0; i < nx; i++) {
      const v = values[src + i];
      const o = dst + i * 4;
      if (!Number.isFinite(v)) {
        out[o] = out[o + 1] = out[o + 2] = out[o + 3] = 0;
        continue;
      }
      let r;
      let g;
      let b;
      if (nClasses <= 2) {
        const k = Math.round(Math.min(1, Math.max(0, v)) * (n - 1)) * 3;
        r = DIVERGING[k];
        g = DIVERGING[k + 1];
        b = DIVERGING[k + 2];
      } else {
        [r, g, b] = classes[Math.max(0, Math.round(v)) % classes.length];
      }
      out[o] = r;
      out[o + 1] = g;
      out[o + 2] = b;
      out[o + 3] = alpha;
    }
  }
  return out;
}

/**
 * Draw the regions of boundary view `mv` onto `ctx` through the scales `sx`, `sy` (domain ->
 * pixels), and for two classes the boundary p = ½ in `color`.
 */
export function drawRegions(ctx, mv, sx, sy, nClasses, color) {
  const image = document.createElement("canvas");
  image.width = mv.nx;
  image.height = mv.ny;
  const ictx = image.getContext("2d");
  const data = ictx.createImageData(mv.nx, mv.ny);
  fillRegions(mv.values, mv.nx, mv.ny, nClasses, nClasses <= 2 ? 190 : 110, data.data);
  ictx.putImageData(data, 0, 0);
  // sample i sits at the centre of image pixel i; the grid spans x0[0]..x0[1]
  const ddx = mv.nx > 1 ? (mv.x0[1] - mv.x0[0]) / (mv.nx - 1) : 0;
  const ddy = mv.ny > 1 ? (mv.x1[1] - mv.x1[0]) / (mv.ny - 1) : 0;
  const left = sx(mv.x0[0] - ddx / 2);
  const right = sx(mv.x0[1] + ddx / 2);
  const top = sy(mv.x1[1] + ddy / 2);
  const bottom = sy(mv.x1[0] - ddy / 2);
  ctx.save();
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(image, left, top, right - left, bottom - top);
  ctx.restore();
  if (nClasses <= 2 && mv.nx >= 2 && mv.ny >= 2) {
    // the decision boundary p = 0.5, in the run's colour
    const values = Float64Array.from(mv.values, (v) => (Number.isFinite(v) ? v : Number.NaN));
    const multi = contours().size([mv.nx, mv.ny]).contour(values, 0.5);
    const ux = (sx(mv.x0[0] + ddx) - sx(mv.x0[0])) || 0;
    const vy = (sy(mv.x1[0] + ddy) - sy(mv.x1[0])) || 0;
    const bu = sx(mv.x0[0]) - 0.5 * ux;
    const bv = sy(mv.x1[0]) - 0.5 * vy;
    const path = new Path2D();
    for (const polygon of multi.coordinates) {
      for (const ring of polygon) {
        ring.forEach(([u, v], k) => {
          // d3-contour closes rings along the grid's edge: leave those segments out
          const px = ux * u + bu;
          const py = vy * v + bv;
          const edge = u <= 0.5 || u >= mv.nx - 0.5 || v <= 0.5 || v >= mv.ny - 0.5;
          if (k && !edge && !ring[k - 1].edge) path.lineTo(px, py);
          else path.moveTo(px, py);
          ring[k].edge = edge;
        });
      }
    }
    ctx.save();
    ctx.lineJoin = "round";
    ctx.strokeStyle = "rgba(255,255,255,0.9)";
    ctx.lineWidth = 4.5;
    ctx.stroke(path);
    ctx.strokeStyle = color;
    ctx.lineWidth = 2.2;
    ctx.stroke(path);
    ctx.restore();
  }
}
