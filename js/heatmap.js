// The landscape's grid layer: the heatmap image and the iso-lines of one `grid`, built once per
// grid and drawn at every view.

import { contours } from "d3-contour";
import { interpolateViridis } from "d3-scale-chromatic";

import { colorLUT, colorTransform, contourLevels, fillGridImage, finiteExtent, transformGrid } from "./scales.js";

export const LUT = colorLUT(interpolateViridis);

/** Heatmap image and iso-lines of one grid (built once per grid, drawn on every view change). */
export function buildGridLayer(grid) {
  if (!grid) return null;
  const { values, nx, ny } = grid;
  let { zmin, zmax } = grid;
  if (!Number.isFinite(zmin) || !Number.isFinite(zmax)) [zmin, zmax] = finiteExtent(values);
  const tr = colorTransform(zmin, zmax, grid.log);
  const image = document.createElement("canvas");
  image.width = nx;
  image.height = ny;
  const ictx = image.getContext("2d");
  const data = ictx.createImageData(nx, ny);
  fillGridImage(values, nx, ny, tr, LUT, data.data);
  ictx.putImageData(data, 0, 0);

  let lines = [];
  if (nx >= 2 && ny >= 2) {
    const t = transformGrid(values, tr);
    const gen = contours().size([nx, ny]).smooth(true);
    lines = contourLevels(tr, 12).map((level) => gen.contour(t, level).coordinates);
  }
  // sample i sits at grid coordinate i + 0.5 (pixel centres; d3-contour uses the same)
  const dx = nx > 1 ? (grid.x1 - grid.x0) / (nx - 1) : Math.abs(grid.x1 - grid.x0) || 1;
  const dy = ny > 1 ? (grid.y1 - grid.y0) / (ny - 1) : Math.abs(grid.y1 - grid.y0) || 1;
  return { grid, tr, image, lines, dx, dy };
}

/**
 * Draw `layer` (from buildGridLayer) into the plot: the image spans half a cell beyond the first
 * and last samples; `toX`, `toY` map data to px and `xa`, `ya` are px per data unit.
 */
export function drawGridLayer(ctx, layer, toX, toY, xa, ya) {
  const { grid, image, lines, dx, dy } = layer;
  const left = toX(grid.x0 - dx / 2);
  const right = toX(grid.x1 + dx / 2);
  const top = toY(grid.y1 + dy / 2);
  const bottom = toY(grid.y0 - dy / 2);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(image, left, top, right - left, bottom - top);
  // iso-lines: grid coordinate u -> x = x0 + (u - 0.5) dx
  const ux = xa * dx;
  const vy = ya * dy;
  const path = new Path2D();
  for (const multi of lines) {
    for (const polygon of multi) {
      for (const ring of polygon) {
        for (let k = 0; k < ring.length; k++) {
          const px = ux * ring[k][0] + left;
          const py = vy * ring[k][1] + bottom;
          if (k) path.lineTo(px, py);
          else path.moveTo(px, py);
        }
      }
    }
  }
  ctx.strokeStyle = "rgba(255,255,255,0.38)";
  ctx.lineWidth = 0.8;
  ctx.stroke(path);
}
