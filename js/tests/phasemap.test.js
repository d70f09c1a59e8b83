// The phase map's page: the cells' layout, the divergence boundary against brute force, the
// axes' positions, the colours, and a view fed by a fake model (hover, click, figure switch).
import assert from "node:assert/strict";
import { test } from "node:test";

import { FakeModel, installDom } from "./fakes.js";

installDom();
const { cellAt, positionOf, tickIndices } = await import("../phasemap/axes.js");
const { boundarySegments } = await import("../phasemap/boundary.js");
const { COLORS, cellColor, colorDomain, decodeCells, fmt } = await import("../phasemap/cells.js");
const { BOX, heatPixels, readState, renderPhaseMap, tipText } = await import("../phasemap/view.js");

/** cells bytes for an nx x ny map from per-cell functions (NaN: pending). */
function cellsBytes(nx, ny, f) {
  const n = nx * ny;
  const a = new Float64Array(4 * n);
  for (let iy = 0; iy < ny; iy++) {
    for (let ix = 0; ix < nx; ix++) {
      const v = f(ix, iy);
      const i = iy * nx + ix;
      a[i] = v.final;
      a[n + i] = v.best;
      a[2 * n + i] = v.steps;
      a[3 * n + i] = v.div;
    }
  }
  return new DataView(a.buffer);
}

const cellFn = (ix, iy) =>
  iy === 3 && ix === 0
    ? { final: NaN, best: NaN, steps: NaN, div: NaN }
    : ix + iy > 4
      ? { final: Infinity, best: 12, steps: NaN, div: 1 }
      : { final: [1e-1, 1e-2, 1e-3, 1e-4][ix], best: [1e-2, 1e-3, 1e-4, 1e-5][ix], steps: ix === 0 ? NaN : 100 * (iy + 1), div: 0 };

test("cells decode into figures laid out (ny, nx), pending cells counted out", () => {
  const c = decodeCells(cellsBytes(4, 5, cellFn), 4, 5);
  assert.equal(c.n, 20);
  assert.equal(c.figure("final_loss")[1 * 4 + 2], 1e-3);
  assert.equal(c.figure("steps_to_tol")[2 * 4 + 1], 300);
  assert.equal(c.done, 19);
  assert.equal(decodeCells(cellsBytes(4, 5, cellFn), 5, 5), null);
});

test("the divergence boundary is every edge between a diverged and a finished fine cell", () => {
  let seed = 7;
  const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const nx = 9;
  const ny = 7;
  const div = new Float64Array(nx * ny).map(() => (rand() < 0.15 ? NaN : rand() < 0.5 ? 1 : 0));
  const segs = boundarySegments(div, nx, ny);
  const brute = new Set();
  for (let a = 0; a < nx * ny; a++) {
    for (let b = 0; b < nx * ny; b++) {
      const [ax, ay, bx, by] = [a % nx, Math.floor(a / nx), b % nx, Math.floor(b / nx)];
      if (Math.abs(ax - bx) + Math.abs(ay - by) !== 1 || a > b) continue;
      if (Number.isNaN(div[a]) || Number.isNaN(div[b]) || div[a] === div[b]) continue;
      // the shared edge
      const seg = ax === bx ? [ax, Math.max(ay, by), ax + 1, Math.max(ay, by)] : [Math.max(ax, bx), ay, Math.max(ax, bx), ay + 1];
      brute.add(seg.join(","));
    }
  }
  assert.deepEqual(new Set(segs.map((s) => s.join(","))), brute);
  assert.ok(brute.size > 5);
});

test("positions: a value's cell centre, log axes in log space, ends extended", () => {
  const lg = [1e-4, 1e-3, 1e-2, 1e-1];
  const p = positionOf(lg, true);
  lg.forEach((v, i) => assert.ok(Math.abs(p(v) - (i + 0.5)) < 1e-12));
  assert.ok(Math.abs(p(Math.sqrt(1e-3 * 1e-2)) - 2) < 1e-12);
  assert.ok(Math.abs(p(1) - 4.5) < 1e-12);
  assert.ok(Number.isNaN(p(0)));
  const lin = positionOf([0, 0.5, 1], false);
  assert.ok(Math.abs(lin(0.25) - 1) < 1e-12);
  assert.deepEqual(tickIndices(100, 6), [0, 20, 40, 59, 79, 99]);
  assert.deepEqual(tickIndices(3, 6), [0, 1, 2]);
  // cellAt inverts the cell centres (iy = 0 at the bottom)
  for (const [ix, iy] of [[0, 0], [3, 4], [2, 1]]) {
    const px = BOX.x + ((ix + 0.5) / 4) * BOX.w;
    const py = BOX.y + BOX.h - ((iy + 0.5) / 5) * BOX.h;
    assert.deepEqual(cellAt(px, py, BOX, 4, 5), { ix, iy });
  }
  assert.equal(cellAt(BOX.x - 1, BOX.y + 5, BOX, 4, 5), null);
});

test("colours: pending, diverged, never reached, and the scale over the fine cells only", () => {
  const c = decodeCells(cellsBytes(4, 5, cellFn), 4, 5);
  const d = colorDomain(c, "final_loss");
  assert.deepEqual([d.lo, d.hi, d.log], [1e-4, 1e-1, true]);
  const steps = colorDomain(c, "steps_to_tol");
  assert.deepEqual([steps.lo, steps.hi, steps.log], [100, 400, false]);
  assert.deepEqual(cellColor(c, "final_loss", d, 3 * 4 + 0), COLORS.pending);
  assert.deepEqual(cellColor(c, "final_loss", d, 4 * 4 + 3), COLORS.diverged);
  assert.deepEqual(cellColor(c, "steps_to_tol", steps, 0), COLORS.never);
  // the best (lowest) is yellow, the worst purple (viridis)
  const best = cellColor(c, "final_loss", d, 3);
  const worst = cellColor(c, "final_loss", d, 0);
  assert.ok(best[0] > 200 && best[1] > 200 && worst[2] > 60 && worst[0] < 90);
  assert.equal(fmt(0.000123), "1.23e-4");
  assert.equal(fmt(Infinity), "inf");
  assert.equal(fmt(1e-4), "1e-4");
  assert.equal(fmt(2.5e5), "2.5e5");
});

function mount() {
  const model = new FakeModel({
    x: { name: "lr", values: [1e-4, 1e-3, 1e-2, 1e-1], log: true },
    y: { name: "momentum", values: [0, 0.3, 0.6, 0.8, 0.9], log: false },
    figure: "final_loss",
    cells: cellsBytes(4, 5, cellFn),
    curves: [{ points: [[1e-4, 0], [1e-1, 0.9]], label: "theory" }],
    info: { objective: "quadratic", optimizer: "sgd", steps: 500, tol: 1e-6 },
    status: "running",
  });
  const host = document.createElement("div");
  document.body.append(host);
  const cleanup = renderPhaseMap(model, host);
  return { model, host, cleanup };
}

test("the view shows progress, the heat map's pixels, and follows the figure", () => {
  const { model, host, cleanup } = mount();
  const progress = host.querySelector("[data-testid=gd-phasemap-progress]");
  assert.match(progress.textContent, /19 \/ 20 cells/);
  const state = readState(model);
  const px = heatPixels(state, colorDomain(state.cells, state.figure));
  // image row 0 is the top (the highest momentum): cell (ix 0, iy 4) is diverged (0 + 4 <= 4: no)
  const at = (ix, iy) => Array.from(px.subarray(((5 - 1 - iy) * 4 + ix) * 4, ((5 - 1 - iy) * 4 + ix) * 4 + 3));
  assert.deepEqual(at(0, 3), COLORS.pending);
  assert.deepEqual(at(3, 4), COLORS.diverged);
  const select = host.querySelector("[data-testid=gd-phasemap-figure]");
  select.value = "steps_to_tol";
  select.dispatchEvent(new window.__gdEvent("change"));
  assert.equal(model.get("figure"), "steps_to_tol");
  model.set("cells", cellsBytes(4, 5, () => ({ final: 1, best: 1, steps: 5, div: 0 })));
  assert.match(progress.textContent, /20 \/ 20 cells/);
  cleanup();
  assert.equal(model.listeners(), 0);
});

test("hover shows the cell's values and a click sends the cell to the kernel", () => {
  const { model, host, cleanup } = mount();
  const canvas = host.querySelector("[data-testid=gd-phasemap-canvas]");
  const at = (type, ix, iy) => {
    const ev = new window.__gdEvent(type);
    Object.defineProperty(ev, "clientX", { value: BOX.x + ((ix + 0.5) / 4) * BOX.w });
    Object.defineProperty(ev, "clientY", { value: BOX.y + BOX.h - ((iy + 0.5) / 5) * BOX.h });
    canvas.dispatchEvent(ev);
  };
  at("mousemove", 2, 1);
  const tip = host.querySelector("[data-testid=gd-phasemap-tip]");
  assert.equal(tip.style.display, "block");
  assert.match(tip.textContent, /lr = 0.01, momentum = 0.3/);
  assert.match(tip.textContent, /final loss: 0.001/);
  assert.equal(tipText(readState(model), 0, 3).split("\n")[1], "not run yet");
  at("click", 2, 1);
  assert.deepEqual(model.sent, [{ type: "pick", ix: 2, iy: 1 }]);
  assert.match(host.querySelector("[data-testid=gd-phasemap-note]").textContent, /lr = 0.01, momentum = 0.3/);
  cleanup();
});
