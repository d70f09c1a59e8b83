// The loss landscape: a heatmap of the `grid` trait with iso-lines, axes, a colour bar, the
// known minima and the runs' paths, with an arrow on the edge for each run out of view and a
// tooltip for the run under the pointer. Wheel zooms, drag pans, "fit" frames the paths (all
// send `set_view` with the plot's size in px), a click without drag restarts every run from the
// clicked point (`reset`), and dragging a run's start marker moves that run's start alone
// (`set_start`, js/instant.js); the pointer handlers are in js/landscapeinput.js.

import { scaleLinear } from "d3-scale";

import { arrowNote, createArrowLayer } from "./arrows.js";
import { createXrayLayer } from "./xray.js";
import { drawAxes as drawFrameAxes, drawColorbar as drawBar } from "./axes.js";
import { debounce, frameScheduler, h, setProp, sizeCanvas } from "./dom.js";
import { fitBounds, pickNearest, visibleIndices } from "./geometry.js";
import { LUT, buildGridLayer, drawGridLayer } from "./heatmap.js";
import { rowsUpTo } from "./history.js";
import { createHoverTip, hoverText } from "./hover.js";
import { drawMinima, drawTrails, markerKey, markerList, paintMarkers, runInfo } from "./paths.js";
import { createRunMarks } from "./runmarks.js";
import { createClipMarks } from "./clipmarks.js";
import { attachLandscapeInput } from "./landscapeinput.js";
import { contourLevels } from "./scales.js";

const VIEW_DEBOUNCE_MS = 200;

function validView(v) {
  return (
    Array.isArray(v) &&
    v.length === 2 &&
    v.every((a) => Array.isArray(a) && a.length === 2 && a.every(Number.isFinite) && a[1] > a[0])
  );
}

function copyView(v) {
  return [
    [v[0][0], v[0][1]],
    [v[1][0], v[1][1]],
  ];
}

/**
 * The landscape's axis titles: `meta.axes`, with the share of variance of each direction of a
 * model's PCA plane when the kernel gives it (`meta.model.explained`, fractions).
 */
export function axisNames(meta) {
  const names = Array.isArray(meta?.axes) ? meta.axes.map(String) : ["x", "y"];
  const explained = meta?.model?.plane === "pca" ? meta.model.explained : null;
  if (!Array.isArray(explained)) return names;
  return names.map((name, i) => {
    const e = Number(explained[i]);
    return e >= 0 && e <= 1 ? `${name} (${Math.round(e * 100)}% of the pilot run's variance)` : name;
  });
}

export function createLandscape(store, { width = 506, height = 440, scale = 1 } = {}) {
  const model = store.model;
  // presentation (js/presentation.js): a larger landscape has proportionally larger margins and
  // text; a smaller one keeps the 1x margins, so that its labels keep a readable size
  const ms = Math.max(1, scale);
  const m = { left: Math.round(52 * ms), right: Math.round(62 * ms), top: Math.round(10 * ms), bottom: Math.round(40 * ms) };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;

  const heatCanvas = h("canvas", { class: "gd-heat" });
  const trailCanvas = h("canvas", { class: "gd-trails" });
  const overlay = h("canvas", {
    class: "gd-overlay",
    tabindex: "0",
    "aria-label": "loss landscape: drag to pan, wheel to zoom, click to restart the runs there",
  });
  const resetView = h("button", {
    class: "gd-view-btn gd-view-reset",
    type: "button",
    "data-testid": "gd-view-reset",
    title: "back to the default view",
    text: "⤢",
    style: { left: `${m.left + pw - 26}px`, top: `${m.top + 4}px` },
  });
  const fitView = h("button", {
    class: "gd-view-btn gd-view-fit",
    type: "button",
    "data-testid": "gd-fit",
    title: "fit the view to the paths shown",
    text: "fit",
    style: { right: `${m.right + 30}px`, top: `${m.top + 4}px` },
  });
  const rect = { left: m.left, top: m.top, width: pw, height: ph };
  const arrowLayer = createArrowLayer(store, { width, height, plot: rect });
  const xrayLayer = createXrayLayer(store, { width, height, plot: rect });
  const runMarks = createRunMarks(store, { width, height });
  const clipMarks = createClipMarks(store, { width, height }); // clipped steps (js/clipmarks.js)
  const tip = createHoverTip(width);
  const note = arrowNote();
  const el = h(
    "div",
    { class: "gd-landscape", "data-testid": "gd-landscape", style: { width: `${width}px`, height: `${height}px` } },
    // the arrows over the markers (their tails start at the marker's centre), under nothing
    // that takes the pointer: the SVGs let events through to the overlay
    [heatCanvas, trailCanvas, overlay, arrowLayer.el, xrayLayer.el, clipMarks.el, runMarks.el, fitView, resetView, tip.el],
  );
  // where the plot area sits inside the element, in CSS px (browser tests click data points)
  Object.assign(el.dataset, { plotLeft: m.left, plotTop: m.top, plotWidth: pw, plotHeight: ph });
  // for browser tests, read-only: the view, the plot box and the points stroked for each run's
  // path on the trail canvas now (px inside `el`; one list per subpath), as drawTrails drew them.
  // The strokes are recorded only where the page set `globalThis.gdRecordTrails` first (the
  // browser tests do): a record of every line of a long run costs memory and collections.
  el.gdDrawn = () => ({
    view: copyView(view),
    plot: { ...rect },
    rows: store.runs.length,
    runs: Object.entries(drawn).map(([r, paths]) => ({ label: runInfo(model.get("meta") ?? {}, Number(r)).label, paths })),
  });
  const heat = sizeCanvas(heatCanvas, width, height);
  const trail = sizeCanvas(trailCanvas, width, height);
  const over = sizeCanvas(overlay, width, height);
  let trailKey = ""; // what the trail canvas shows; drawn up to row `trailRows`
  let overKey = ""; // what the overlay canvas shows (minima and markers)
  let trailRows = 0;
  let trailStep = Number.NaN; // the step of the last row drawn on the trail canvas
  let drawn = {}; // run index -> the subpaths on the trail canvas now, in px (el.gdDrawn)
  let seen = {}; // run index -> the keys of its segments on the trail canvas (drawTrails)
  let metaVersion = 0;

  let layer = null; // from buildGridLayer
  let gridDirty = true;
  let view = currentModelView();

  function currentModelView() {
    const v = model.get("view");
    if (validView(v)) return copyView(v);
    const b = model.get("meta")?.bounds;
    if (validView(b)) return copyView(b);
    const g = store.grid();
    if (g && g.x1 > g.x0 && g.y1 > g.y0) return [[g.x0, g.x1], [g.y0, g.y1]];
    return [[-1, 1], [-1, 1]];
  }

  // pixel = a * value + b
  const xa = () => pw / (view[0][1] - view[0][0]);
  const xb = () => m.left - view[0][0] * xa();
  const ya = () => -ph / (view[1][1] - view[1][0]);
  const yb = () => m.top + ph - view[1][0] * ya();
  const toX = (v) => xa() * v + xb();
  const toY = (v) => ya() * v + yb();
  const fromX = (px) => (px - xb()) / xa();
  const fromY = (py) => (py - yb()) / ya();
  const toPx = (x, y) => [toX(x), toY(y)];

  function themeColors() {
    const cs = getComputedStyle(el);
    return {
      fg: cs.getPropertyValue("--gd-fg").trim() || cs.color || "#333",
      muted: cs.getPropertyValue("--gd-fg-muted").trim() || "#888",
      bg: cs.getPropertyValue("--gd-bg-alt").trim() || "#eee",
      font: `${Math.round(11 * scale)}px ${cs.fontFamily || "sans-serif"}`,
    };
  }

  function drawHeat() {
    if (gridDirty) {
      layer = buildGridLayer(store.grid());
      gridDirty = false;
    }
    const ctx = heat.ctx;
    const theme = themeColors();
    ctx.clearRect(0, 0, width, height);
    ctx.save();
    ctx.beginPath();
    ctx.rect(m.left, m.top, pw, ph);
    ctx.clip();
    ctx.fillStyle = theme.bg;
    ctx.fillRect(m.left, m.top, pw, ph);
    if (layer) drawGridLayer(ctx, layer, toX, toY, xa(), ya());
    ctx.restore();
    drawAxes(ctx, theme);
    drawColorbar(ctx, theme);
  }

  function drawAxes(ctx, theme) {
    const names = axisNames(model.get("meta") ?? {});
    const sx = scaleLinear().domain(view[0]).range([m.left, m.left + pw]);
    const sy = scaleLinear().domain(view[1]).range([m.top + ph, m.top]);
    drawFrameAxes(ctx, { margin: m, width: pw, height: ph, canvasHeight: height, canvasWidth: width, sx, sy, names, theme });
  }

  function drawColorbar(ctx, theme) {
    if (!layer) return;
    const { tr } = layer;
    const x = m.left + pw + 12;
    const barWidth = 10;
    const ticks = tr.log ? [0, 0.2, 0.4, 0.6, 0.8, 1] : contourLevels(tr, 5).concat([0, 1]).sort((a, b) => a - b);
    const room = width - (x + barWidth) - 2;
    drawBar(ctx, { x, top: m.top, height: ph, barWidth, room, lut: LUT, tr, ticks, theme });
  }

  function drawOverlay() {
    const meta = model.get("meta") ?? {};
    const runs = store.runs;
    // the lines: only the new rows, unless what they show changed
    const key = [view.flat().join(","), runs.epoch, runs.nRuns, metaVersion, [...store.ui.hidden].join("\u0000")].join("|");
    const tctx = trail.ctx;
    tctx.save();
    tctx.beginPath();
    tctx.rect(m.left, m.top, pw, ph);
    tctx.clip();
    if (key !== trailKey || runs.length < trailRows) {
      tctx.clearRect(0, 0, width, height);
      trailKey = key;
      trailRows = 0;
      drawn = {};
      seen = {};
    }
    const record = globalThis.gdRecordTrails ? drawn : null;
    if (runs.length > trailRows) drawTrails(tctx, store, meta, xa(), xb(), ya(), yb(), trailRows, record, seen);
    trailRows = runs.length;
    trailStep = runs.lastStep();
    tctx.restore();

    // minima and markers: redrawn when one of them moved (a canvas that changes costs the
    // page a copy of its pixels for the compositor, every frame)
    const marks = markerList(store, meta, model.get("status"), xa(), xb(), ya(), yb());
    const markKey = [view.flat().join(","), metaVersion, markerKey(marks)].join("|");
    if (markKey !== overKey) {
      overKey = markKey;
      const ctx = over.ctx;
      ctx.clearRect(0, 0, width, height);
      ctx.save();
      ctx.beginPath();
      ctx.rect(m.left, m.top, pw, ph);
      ctx.clip();
      drawMinima(ctx, meta, toX, toY);
      paintMarkers(ctx, marks);
      ctx.restore();
    }
    setProp(note, "hidden", !arrowLayer.draw(xa(), xb(), ya(), yb()));
    xrayLayer.draw(xa(), xb(), ya(), yb());
    runMarks.draw(toPx, rect);
    clipMarks.draw(toPx, rect);
    if (hover) showHover(hover.x, hover.y);
  }

  // ---- the tooltip of the run under the pointer ----
  let hover = null; // the pointer's last position over the plot, while it is there
  const labelOf = (r) => runInfo(model.get("meta") ?? {}, r).label;
  function showHover(qx, qy) {
    const runs = store.runs;
    const meta = model.get("meta") ?? {};
    let hit = pickNearest(runs, visibleIndices(store, labelOf), toPx, qx, qy, 8);
    // an edge arrow stands for its run's current point
    for (const node of runMarks.el.children) {
      const dx = Number(node.getAttribute("data-x")) - qx;
      const dy = Number(node.getAttribute("data-y")) - qy;
      const d = Math.hypot(dx, dy);
      if (d > 10 || (hit && hit.dist <= d)) continue;
      const r = Number(node.getAttribute("data-run"));
      if (r < runs.nRuns) hit = { r, i: runs.lastFinite(r), dist: d };
    }
    if (!hit || hit.i < 0) {
      tip.hide();
      return;
    }
    const info = runInfo(meta, hit.r);
    tip.show(hoverText(meta, runs, hit.r, hit.i), qx, qy, info.color, { label: info.label, step: String(runs.steps[hit.i]) });
  }
  function onHover(ev) {
    if (input.pressing()) return;
    const rect0 = overlay.getBoundingClientRect();
    const qx = ev.clientX - rect0.left;
    const qy = ev.clientY - rect0.top;
    hover = { x: qx, y: qy };
    overlay.classList.toggle("gd-over-start", input.startUnder(ev) >= 0); // a start can be dragged
    hoverFrame.request();
  }
  function onLeave() {
    hover = null;
    tip.hide();
  }
  const hoverFrame = frameScheduler(() => hover && showHover(hover.x, hover.y));

  const heatFrame = frameScheduler(drawHeat);
  const overlayFrame = frameScheduler(drawOverlay);
  const redrawAll = () => {
    overKey = "";
    heatFrame.request();
    overlayFrame.request();
  };

  const sendView = debounce(() => {
    store.send({ type: "set_view", bounds: copyView(view), px: [pw, ph] });
  }, VIEW_DEBOUNCE_MS);

  function setLocalView(v) {
    view = v;
    redrawAll();
    sendView();
  }

  // The kernel's view wins, except while the user drags or a set_view is still to be sent
  // (then it is the answer to an older request); the grid is drawn at its own extent meanwhile.
  function adoptModelView() {
    if (input.dragging() || sendView.pending()) return;
    view = currentModelView();
    redrawAll();
  }

  // wheel zoom, drag pan, drag a start, click to restart (js/landscapeinput.js)
  const input = attachLandscapeInput(store, {
    el,
    overlay,
    plot: rect,
    coords: { toX, toY, fromX, fromY },
    getView: () => copyView(view),
    setView: setLocalView,
    flushView: () => sendView.flush(),
    onPress: onLeave, // a press hides the tooltip
  });
  /** Frame every visible run's held points (with a margin); returns the bounds sent, or null. */
  function onFit() {
    const bounds = fitBounds(store.runs, visibleIndices(store, labelOf));
    if (!bounds || !validView(bounds)) return null;
    setLocalView(bounds);
    sendView.flush();
    return bounds;
  }
  function onResetView() {
    const b = model.get("meta")?.bounds;
    if (validView(b)) {
      setLocalView(copyView(b));
      sendView.flush();
    }
  }

  overlay.addEventListener("pointermove", onHover);
  overlay.addEventListener("pointerleave", onLeave);
  resetView.addEventListener("click", onResetView);
  fitView.addEventListener("click", onFit);

  const offs = [
    store.events.on("grid", () => {
      gridDirty = true;
      heatFrame.request();
    }),
    store.events.on("view", adoptModelView),
    store.events.on("meta", () => {
      metaVersion++;
      redrawAll();
    }),
    store.events.on("data", () => overlayFrame.request()),
    store.events.on("cursor", () => overlayFrame.request()), // the markers at the step shown
    store.events.on("arrows", () => overlayFrame.request()),
    store.events.on("xray", () => overlayFrame.request()),
    store.events.on("status", () => overlayFrame.request()),
    store.events.on("ui", (what) => what === "hidden" && overlayFrame.request()),
    store.events.on("theme", redrawAll),
    clipMarks.watch(() => overlayFrame.request()),
    store.events.on("data", (kind) => {
      if (kind === "history") trailKey = "";
      // the kernel thinned: what is drawn stays (it went through true points, within the
      // promise of the rows kept), and the lines go on from the last row kept at or before
      // the last one drawn; drawing every row held again after each thinning cost the page a
      // tenth of its frames with eight runs of 16,384 rows
      if (kind === "thin") trailRows = rowsUpTo(store.runs, trailStep);
    }),
  ];
  redrawAll();

  return {
    el,
    /** the key to the gradient arrows, shown while there are arrows (placed by the caller) */
    note,
    /** Data coordinates <-> CSS pixels inside `el` (tests and the harness use them). */
    toPixel: (x, y) => [toX(x), toY(y)],
    /** the plot box in CSS px inside `el` */
    plot: rect,
    fit: onFit,
    /** the tooltip for the pointer at (x, y) px inside `el` (tests) */
    hoverAt: showHover,
    /** Cover the whole landscape with `node` (the 3-D view, js/threed.js), or uncover it (null). */
    cover(node) {
      for (const c of el.querySelectorAll(":scope > .gd-cover")) c.remove();
      if (!node) return;
      node.classList.add("gd-cover");
      el.append(node);
    },
    destroy() {
      for (const off of offs) off();
      heatFrame.cancel();
      overlayFrame.cancel();
      hoverFrame.cancel();
      sendView.cancel();
      input.destroy();
    },
  };
}
