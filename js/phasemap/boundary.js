// The divergence boundary: the cell edges between a finished cell that diverged and a finished
// neighbour that did not, as segments in cell coordinates (x in [0, nx], y in [0, ny], y up).

/** `diverged` holds one value per cell (row iy, column ix at iy * nx + ix; NaN: not run). */
export function boundarySegments(diverged, nx, ny) {
  const segs = [];
  const at = (ix, iy) => diverged[iy * nx + ix];
  const differ = (a, b) => !Number.isNaN(a) && !Number.isNaN(b) && (a !== 0) !== (b !== 0);
  for (let iy = 0; iy < ny; iy++) {
    for (let ix = 0; ix < nx; ix++) {
      const v = at(ix, iy);
      if (ix + 1 < nx && differ(v, at(ix + 1, iy))) segs.push([ix + 1, iy, ix + 1, iy + 1]);
      if (iy + 1 < ny && differ(v, at(ix, iy + 1))) segs.push([ix, iy + 1, ix + 1, iy + 1]);
    }
  }
  return segs;
}
