// The landscape follows the runs: fit to paths, edge markers, a diverged path's end mark, the
// hover tooltip; pure geometry first, then the view in a small DOM with a fake model.
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { FakeModel, frameOf, installDom, metaFor } from "./fakes.js";

installDom();
const { divergedMark, edgeMarker, fitBounds, pickNearest, rayToEdge } = await import("../geometry.js");
const { connect } = await import("../app.js");
const { createLandscape } = await import("../landscape.js");
const { RunBuffer } = await import("../store.js");

const rect = { left: 50, top: 10, width: 400, height: 300 };
const cleanups = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()();
});

test("edge marker: on the border, pointing from the centre towards the point", () => {
  const cx = 250;
  const cy = 160;
  // far right, level with the centre: on the right edge, angle 0
  let m = edgeMarker(rect, 5000, cy, 0);
  assert.deepEqual([Math.round(m.x), Math.round(m.y), m.angle], [450, 160, 0]);
  // up and to the left (screen y down): the angle points up-left and the mark is on the border
  m = edgeMarker(rect, -1e5, -1e5, 6);
  assert.ok(m.angle < -Math.PI / 2 && m.angle > -Math.PI, `${m.angle}`);
  const onBorder = Math.abs(m.x - 56) < 1e-6 || Math.abs(m.y - 16) < 1e-6;
  assert.ok(onBorder, `${m.x}, ${m.y}`);
  // the mark is on the segment from the centre to the point
  const cross = (m.x - cx) * (-1e5 - cy) - (m.y - cy) * (-1e5 - cx);
  assert.ok(Math.abs(cross) < 1e-3 * 1e5 * 300, `${cross}`);
  // straight down
  m = edgeMarker(rect, cx, 1e9);
  assert.ok(Math.abs(m.angle - Math.PI / 2) < 1e-9);
  assert.equal(Math.round(m.y), 10 + 300 - 6);
  // in view: none
  assert.equal(edgeMarker(rect, 100, 100), null);
  // an infinite target keeps its direction
  m = rayToEdge(rect, cx, cy, -Infinity, cy);
  assert.equal(m.angle, Math.PI);
  assert.equal(m.x, 50);
});

test("a diverged path's end mark: where it left the view, the way it went", () => {
  const px = (x, y) => [x, y];
  // inside, inside, then out through the right edge at y = 100 (slope 0), then inf
  const xs = [100, 300, 900, Number.POSITIVE_INFINITY];
  const ys = [100, 100, 100, Number.NaN];
  const m = divergedMark(rect, xs, ys, 2, px);
  assert.equal(m.inView, false);
  assert.equal(m.x, 450);
  assert.equal(m.y, 100);
  assert.equal(m.angle, 0);
  // the last finite point in view: the mark sits on it
  const inView = divergedMark(rect, [100, 200], [100, 150], 1, px);
  assert.deepEqual([inView.x, inView.y, inView.inView], [200, 150, true]);
  // never in view: on the edge towards its last point
  const never = divergedMark(rect, [1000, 2000], [160, 160], 1, px);
  assert.equal(never.x, 450);
});

function buffer(paths) {
  const runs = new RunBuffer(64);
  runs.replace(frameOf(paths));
  return runs;
}

test("fit bounds contain every visible run's held points, with a margin, and skip hidden runs", () => {
  const runs = buffer([
    [[-1.5, 2, 10], [-1, 1, 5], [0.5, 0.25, 1]],
    [[3, -4, 10], [2.9, -4.2, 8], [2.5, -3, 4]],
    [[100, 100, 1], [200, 200, 1], [300, 300, 1]],
  ]);
  const b = fitBounds(runs, [0, 1]);
  for (const r of [0, 1]) {
    for (let i = 0; i < runs.length; i++) {
      assert.ok(runs.x[r][i] > b[0][0] && runs.x[r][i] < b[0][1]);
      assert.ok(runs.y[r][i] > b[1][0] && runs.y[r][i] < b[1][1]);
    }
  }
  // the margin is a fraction of the span, not the whole box of the hidden run
  assert.ok(b[0][1] < 5 && b[1][1] < 3, JSON.stringify(b));
  assert.ok(b[0][0] < -1.5 && b[0][1] > 3);
  // one point: a small box around it
  const single = fitBounds(buffer([[[1, 1, 0], [1, 1, 0]]]), [0]);
  assert.ok(single[0][0] < 1 && single[0][1] > 1 && single[0][1] - single[0][0] < 1e-3);
  assert.equal(fitBounds(runs, []), null);
});

test("hover picks the nearest held row of the nearest run within a few px", () => {
  const runs = buffer([
    [[0, 0, 1], [10, 0, 2], [20, 0, 3]],
    [[0, 5, 1], [10, 5, 2], [20, 5, 3]],
  ]);
  const px = (x, y) => [x * 10, y * 10]; // 10 px per unit
  // pointer at (101, 38) px: run 1's row 1 at (100, 50) is 12 px away, run 0's row 1 at (100, 0) 38
  assert.equal(pickNearest(runs, [0, 1], px, 101, 38, 8), null);
  const hit = pickNearest(runs, [0, 1], px, 101, 46, 8);
  assert.deepEqual([hit.r, hit.i], [1, 1]);
  const hit0 = pickNearest(runs, [0, 1], px, 198, 3, 8);
  assert.deepEqual([hit0.r, hit0.i], [0, 2]);
  // a hidden run is never picked
  assert.equal(pickNearest(runs, [0], px, 101, 46, 8), null);
});

function mountLandscape(paths, { status = [], labels = ["gd", "adam"] } = {}) {
  const model = new FakeModel({
    meta: metaFor(labels),
    view: [
      [-2, 2],
      [-2, 2],
    ],
    status,
    running: false,
    t: paths[0].length - 1,
  });
  const store = connect(model);
  store.ingest(frameOf(paths));
  const land = createLandscape(store);
  document.body.append(land.el);
  cleanups.push(() => {
    land.destroy();
    store.dispose();
    land.el.remove();
  });
  return { model, store, land };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 60));

test("fit sends set_view around every visible path, with px; the view reset sends px too", async () => {
  const { model, land } = mountLandscape([
    [[-1.5, 2, 10], [-3, 5, 50], [-6, 9, 400]],
    [[0, 0, 1], [0.5, 0.4, 0.5], [1, 1, 0]],
  ]);
  land.el.querySelector('[data-testid="gd-fit"]').click();
  const views = model.sent.filter((m) => m.type === "set_view");
  assert.equal(views.length, 1);
  const { bounds, px } = views[0];
  assert.deepEqual(px, [land.plot.width, land.plot.height]);
  for (const [x, y] of [[-1.5, 2], [-3, 5], [-6, 9], [0, 0], [1, 1]]) {
    assert.ok(x > bounds[0][0] && x < bounds[0][1] && y > bounds[1][0] && y < bounds[1][1], `${x}, ${y}`);
  }
  land.el.querySelector('[data-testid="gd-view-reset"]').click();
  const last = model.sent.filter((m) => m.type === "set_view").at(-1);
  assert.deepEqual(last.bounds, [[-2, 2], [-2, 2]]);
  assert.deepEqual(last.px, [land.plot.width, land.plot.height]);
});

test("a run out of view gets an edge marker pointing to it; a run in view none", async () => {
  // view [-2, 2]^2; adam ends at (10, 0): right of the view
  const { land } = mountLandscape([
    [[0, 0, 1], [0.5, 0.5, 0.5]],
    [[0, 0, 1], [10, 0, 0.5]],
  ]);
  await settle();
  assert.equal(land.el.querySelector('[data-testid="gd-edge-gd"]'), null);
  const edge = land.el.querySelector('[data-testid="gd-edge-adam"]');
  assert.ok(edge, "an edge marker for adam");
  const angle = Number(edge.getAttribute("data-angle"));
  assert.ok(Math.abs(angle) < 1e-6, `points right: ${angle}`);
  const x = Number(edge.getAttribute("data-x"));
  assert.ok(Math.abs(x - (land.plot.left + land.plot.width - 6)) < 0.2, `${x}`);
});

test("a diverged run's path ends with a mark on the edge where it left; hover names the run", async () => {
  const inf = Number.POSITIVE_INFINITY;
  const { land, store } = mountLandscape(
    [
      [[0, 0, 1], [0.5, 0.5, 0.5], [1, 1, 0.1]],
      [[0, 1, 5], [0, 40, 1e6], [inf, inf, inf]],
    ],
    { status: [{ label: "adam", status: "diverged", step: 2, loss: null, note: "diverged: loss x1000 above its start from step 1" }] },
  );
  await settle();
  const mark = land.el.querySelector('[data-testid="gd-diverged-adam"]');
  assert.ok(mark);
  assert.equal(mark.getAttribute("data-in-view"), "false");
  // it went straight up: the mark is on the top edge, pointing up (screen y down)
  assert.ok(Math.abs(Number(mark.getAttribute("data-y")) - land.plot.top) < 0.2);
  assert.ok(Math.abs(Number(mark.getAttribute("data-angle")) + Math.PI / 2) < 1e-3);
  assert.equal(land.el.querySelector('[data-testid="gd-diverged-gd"]'), null);
  // hover over gd's last point
  const [qx, qy] = land.toPixel(1, 1);
  land.hoverAt(qx + 2, qy - 1);
  const tip = land.el.querySelector('[data-testid="gd-hover"]');
  assert.equal(tip.hidden, false);
  assert.match(tip.textContent, /^gd · step 2 · \(1, 1\) · loss 0\.1/);
  // far from every path: hidden
  land.hoverAt(land.plot.left + 3, land.plot.top + land.plot.height - 3);
  assert.equal(tip.hidden, true);
  // a hidden run has neither marks nor tooltip
  store.setHidden("adam", true);
  await settle();
  assert.equal(land.el.querySelector('[data-testid="gd-diverged-adam"]'), null);
});

test("the overlay is redrawn when a marker moves, not for rows that leave every marker in place", async () => {
  const paths = [
    [[0, 0, 1], [0.5, 0.5, 0.5]],
    [[0, 0, 1], [1, 0, 0.5]],
  ];
  const { store, land } = mountLandscape(paths);
  await settle();
  const ctx = land.el.querySelector("canvas.gd-overlay").getContext("2d");
  let clears = 0;
  ctx.clearRect = () => {
    clears += 1;
  };
  // a row with each run where it was (the loss changed): nothing on the overlay moved
  store.ingest(frameOf([[[0.5, 0.5, 0.4]], [[1, 0, 0.4]]], { type: "frame", first: 2 }));
  await settle();
  assert.equal(clears, 0);
  // adam moves by a pixel: one redraw
  const dx = 4 / land.plot.width;
  store.ingest(frameOf([[[0.5, 0.5, 0.3]], [[1 + dx, 0, 0.3]]], { type: "frame", first: 3 }));
  await settle();
  assert.equal(clears, 1);
});

test("after a thin the trails go on from the last kept row and are never drawn again", async () => {
  globalThis.gdRecordTrails = true;
  const walk = (r, a, b) => Array.from({ length: b - a }, (_, i) => [(a + i) / 100, r / 2 + ((a + i) % 7) / 50, 1]);
  const { store, land } = mountLandscape([walk(0, 0, 10), walk(1, 0, 10)]);
  await settle();
  const ctx = land.el.querySelector("canvas.gd-trails").getContext("2d");
  let clears = 0;
  ctx.clearRect = () => {
    clears += 1;
  };
  const vertices = () => land.el.gdDrawn().runs[0].paths.flat().length;
  const before = vertices();
  // the kernel kept rows 0, 4 and 9 of the 10 held, then two new rows
  const thin = (keep, base, a, b) => ({
    ...frameOf([walk(0, a, b), walk(1, a, b)], { type: "thin", first: a }),
    keep: Uint32Array.from(keep),
    base,
  });
  store.ingest(thin([0, 4, 9], 10, 10, 12));
  await settle();
  assert.equal(clears, 0, "what was drawn stays");
  assert.equal(store.runs.length, 5);
  const paths = land.el.gdDrawn().runs[0].paths;
  assert.equal(vertices(), before + 3, "on from row 9: the segment to step 10, then step 11");
  assert.deepEqual(paths.at(-1)[0], paths.at(-2).at(-1), "the new line starts where the last ended");
  // thins that keep few rows, many times: the lines only ever go on (every row drawn once)
  let held = 5;
  let thins = 0;
  for (let step = 12; step < 200; step += 6, thins++) {
    store.ingest(thin([0, held - 1], held, step, step + 6));
    held = 8;
    await settle();
  }
  delete globalThis.gdRecordTrails;
  assert.equal(clears, 0);
  // each thin: a line from the last row kept, then its six new rows
  assert.equal(vertices(), before + 3 + thins * 7, "each row drawn once");
});

test("the strokes are recorded only where the page asked for it", async () => {
  const { land } = mountLandscape([[[0, 0, 1], [0.5, 0.5, 0.5]]]);
  await settle();
  assert.deepEqual(land.el.gdDrawn().runs, []);
});
