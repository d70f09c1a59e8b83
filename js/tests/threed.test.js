// The 3-D view's data (js/surface3d.js): the surface's vertices and triangles from the grid, each
// path's vertices from the held rows, and the height map's uniforms, which must give the 2-D
// view's colour position t (js/scales.js colorTransform) for every loss, in each of its modes.
import assert from "node:assert/strict";
import { test } from "node:test";

import { heightUniforms, pathSegments, surfaceMesh } from "../surface3d.js";
import { RunBuffer } from "../store.js";

/** The vertex shader's level(z), in float64 (js/surface3d.js VERTEX). */
function level(u, z) {
  let t;
  if (u.mode === 0) t = (z - u.lo) / u.span;
  else {
    const d = z - u.shift;
    t = d <= 0 ? 0 : (Math.log10(d + u.eps) - u.a) / (u.b - u.a);
  }
  return Math.min(1, Math.max(0, t));
}

const grid = (values, nx, ny, extra = {}) => ({ values: Float32Array.from(values), nx, ny, x0: -1, x1: 1, y0: 0, y1: 3, zmin: NaN, zmax: NaN, log: false, ...extra });

test("the surface holds (x, y, value) per sample and two triangles per finite cell", () => {
  const g = grid([0, 1, 2, 3, 4, 5, NaN, 7, 8], 3, 3);
  const m = surfaceMesh(g);
  assert.equal(m.positions.length, 27);
  // sample (i=2, j=1): x = 1, y = 1.5, value 5
  assert.deepEqual(Array.from(m.positions.slice(15, 18)), [1, 1.5, 5]);
  // four cells; the one touching the NaN sample (index 6) is dropped
  assert.equal(m.triangles, 6);
  assert.ok(!Array.from(m.index).includes(6));
  assert.equal(surfaceMesh(grid([1, 2], 2, 1)), null);
  assert.equal(surfaceMesh(null), null);
});

test("a path's vertices are its rows' (x, y, loss); segments skip non-finite rows", () => {
  const runs = new RunBuffer();
  runs.replace({ type: "history", nRuns: 1, dims: 2, n: 4, steps: [0, 1, 2, 3], loss: [5, 4, NaN, 2], xy: [1, 2, 3, 4, 5, 6, 7, 8], lr: [1, 1, 1, 1] });
  const seg = pathSegments(runs, 0);
  assert.deepEqual(Array.from(seg.positions), [1, 2, 5, 3, 4, 4, 5, 6, NaN, 7, 8, 2]);
  assert.deepEqual(Array.from(seg.index), [0, 1]);
});

test("the height map equals the colour map's t in its linear and both log modes", async () => {
  const { colorTransform } = await import("../scales.js");
  const cases = [
    [0.5, 120, false], // linear
    [1e-3, 2500, true], // log10(z)
    [-3, 2500, true], // log10(z - zmin + eps)
    [1e-12, 1e3, true], // more than 6 decades: shifted too
  ];
  for (const [zmin, zmax, log] of cases) {
    const u = heightUniforms(grid([zmin, zmax, 1, 2], 2, 2, { log, zmin, zmax }));
    const tr = colorTransform(zmin, zmax, log);
    for (let k = 0; k <= 200; k++) {
      const z = zmin + (zmax - zmin) * (k / 200) ** 3;
      assert.ok(Math.abs(level(u, z) - tr.fwd(z)) < 1e-9, `${zmin}..${zmax} log=${log} at ${z}: ${level(u, z)} vs ${tr.fwd(z)}`);
    }
  }
});
