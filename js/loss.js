// Loss curves (every run, step on x, loss on y, optional log y) and the learning-rate panel
// (each run's lr over the steps, shown when any optimizer group has a schedule), with uPlot.
// The y range comes from robustRange (a diverging run leaves the chart instead of crushing the
// other curves), a diverged run's curve ends with a mark, and the `marks` trait's events (a
// change of batch size) are drawn as vertical lines.

import uPlot from "uplot";

import { frameScheduler, h } from "./dom.js";
import { divergedEnds, lossMarksHook, lossNote, validMarks } from "./lossmarks.js";
import { m4Rows } from "./m4.js";
import { isDiverged, runInfo, statusByLabel } from "./paths.js";
import { plannedCurves, plannedHook, plannedScales } from "./planned.js";
import { formatNumber, formatTicks, niceTicks, robustRange } from "./scales.js";

// while the loop streams, the curves take new rows at most this often (ms): redrawing every
// series of both charts is the page's largest raster cost then, and 15 a second reads as smooth;
// a step, a reset or instant mode's recomputation is drawn in the next frame
const DATA_MS = 1000 / 15;
const LINE_WIDTH = { loss: 1.6, lr: 1.3 }; // CSS px, while a chart has few rows (see `dense`)

let syncCount = 0;

/** A dashed vertical line over uPlot `u` at step `s` (nothing where `s` is null or not finite). */
export function drawStepLine(u, s, color) {
  if (s === null || !Number.isFinite(s)) return;
  const x = Math.round(u.valToPos(s, "x", true));
  const ctx = u.ctx;
  ctx.save();
  ctx.strokeStyle = color;
  ctx.lineWidth = Math.max(1, globalThis.devicePixelRatio || 1);
  ctx.setLineDash([4, 3]);
  ctx.beginPath();
  ctx.moveTo(x, u.bbox.top);
  ctx.lineTo(x, u.bbox.top + u.bbox.height);
  ctx.stroke();
  ctx.restore();
}

export function themeOf(el, scale = 1) {
  const cs = getComputedStyle(el);
  const v = (name, fallback) => cs.getPropertyValue(name).trim() || fallback;
  return {
    fg: v("--gd-fg", cs.color || "#333"),
    grid: v("--gd-grid", "rgba(128,128,128,0.25)"),
    accent: v("--gd-accent", "#1976d2"),
    font: `${Math.round(11 * scale)}px ${cs.fontFamily || "sans-serif"}`,
    scale,
  };
}

let measureCtx = null;
/** Width in px of the widest of `labels` in `font` (an estimate where there is no canvas). */
export function textWidth(labels, font) {
  if (measureCtx === null) measureCtx = globalThis.document?.createElement("canvas").getContext?.("2d") ?? false;
  let widest = 0;
  for (const s of labels) {
    if (s == null) continue;
    if (measureCtx) {
      measureCtx.font = font;
      widest = Math.max(widest, measureCtx.measureText(String(s)).width);
    } else {
      widest = Math.max(widest, String(s).length * 6.5);
    }
  }
  return widest;
}

/** A y axis's width: its widest label plus the ticks and gaps, at least `min` px. */
export const ySize = (theme, min = 40) => (_u, values) =>
  Math.max(min * (theme.scale ?? 1), Math.ceil(textWidth(values ?? [], theme.font)) + 14);

export function axis(theme, size, values) {
  return {
    stroke: theme.fg,
    font: theme.font,
    size: typeof size === "number" ? Math.round(size * (theme.scale ?? 1)) : size,
    grid: { stroke: theme.grid, width: 1 },
    ticks: { stroke: theme.grid, width: 1, size: 4 },
    values,
  };
}

/** Powers of ten only (at most about six) on a log axis: the default minor splits crowd it. */
export function decadeSplits(_u, _axis, min, max) {
  if (!(min > 0) || !(max > 0)) return [];
  const a = Math.ceil(Math.log10(min) - 1e-9);
  const b = Math.floor(Math.log10(max) + 1e-9);
  const every = Math.max(1, Math.ceil((b - a + 1) / 6));
  const out = [];
  for (let e = a; e <= b; e++) if (e % every === 0) out.push(10 ** e);
  return out;
}

export const numberTicks = (_u, splits) => splits.map((v) => (v == null ? "" : formatNumber(v, 2)));
/** Labels of a linear axis's splits: one style, "0" within rounding of zero. */
export const linearTicks = (_u, splits) => formatTicks(splits.map((v) => (v == null ? Number.NaN : v))).map((t) => (t === "–" ? "" : t));
/** Round splits of a linear axis over any finite range (uPlot's own stop at about 1e15). */
export const linearSplits = (_u, _axis, min, max) => niceTicks(min, max, 5);
/** The same for a short chart: about one split per 36 px of its height (the lr panel). */
export const shortSplits = (u, _axis, min, max) => niceTicks(min, max, Math.max(2, Math.min(5, Math.floor((u.bbox?.height ?? 0) / (36 * (globalThis.devicePixelRatio || 1))))));

export function xRange(_u, min, max) {
  if (min == null || !Number.isFinite(min)) return [0, 1];
  if (max <= min) return [min, min + 1];
  return [min, max];
}

export function yRange(log) {
  return (_u, min, max) => {
    if (min == null || !Number.isFinite(min) || !Number.isFinite(max)) return log ? [0.1, 10] : [0, 1];
    if (log) return uPlot.rangeLog(min, max, 10, false);
    return uPlot.rangeNum(min, max, 0.1, true);
  };
}

export function createLossPanel(store, { width = 360, lossHeight = 210, lrHeight = 110, scale = 1 } = {}) {
  const model = store.model;
  const sync = `gdwidget-${++syncCount}`;

  const logBox = h("input", { type: "checkbox", "data-testid": "gd-logy" });
  // a model's loss at each step is that step's mini-batch loss: say so, it is noisy
  const noteEl = h("span", { class: "gd-muted gd-loss-note" });
  const updateNote = () => {
    const isModel = model.get("meta")?.kind === "model";
    const text = lossNote(isModel, model.get("batch_size") ?? 0, model.get("marks"));
    noteEl.textContent = text ? ` · ${text}` : "";
  };
  updateNote();
  const lossDiv = h("div", { class: "gd-plot", "data-testid": "gd-loss" });
  const lrDiv = h("div", { class: "gd-plot", "data-testid": "gd-lr-panel" });
  const lrBlock = h("div", { class: "gd-lr-block" }, [
    h("div", { class: "gd-panel-head" }, [h("span", { class: "gd-panel-title", text: "learning rate" })]),
    lrDiv,
  ]);
  const el = h("div", { class: "gd-loss-panel" }, [
    h("div", { class: "gd-panel-head" }, [
      h("span", {}, [h("span", { class: "gd-panel-title", text: "loss" }), noteEl]),
      h("label", { class: "gd-check", title: "logarithmic loss axis" }, [logBox, "log y"]),
    ]),
    lossDiv,
    lrBlock,
  ]);

  let lossPlot = null;
  let lrPlot = null;
  let needBuild = true;
  let needData = true;
  let needMarker = false; // the current-step line in the lr panel moved
  let needRedraw = false; // the marks on the loss chart changed (status, batch-size events)
  let waiting = 0;
  let yLimits = null; // the loss chart's y range, from the visible runs' values

  logBox.checked = store.logY();
  logBox.addEventListener("change", () => store.setLogY(logBox.checked));

  const planned = () => plannedCurves(model.get("meta"), store.ui.hidden);
  const hasSchedule = () => (model.get("meta")?.groups ?? []).some((g) => g && g.schedule != null && g.schedule !== "");

  // the step shown: the cursor's while seeking (js/timeline.js), else the newest
  const currentStep = () => store.cursorStep?.() ?? store.step();

  function runCount() {
    const runs = model.get("meta")?.runs;
    return Array.isArray(runs) && runs.length ? runs.length : store.runs.nRuns;
  }

  function series(kind) {
    const meta = model.get("meta") ?? {};
    const n = runCount();
    const out = [{}];
    for (let r = 0; r < n; r++) {
      const { label, color, dash } = runInfo(meta, r);
      out.push({
        label,
        stroke: color,
        dash: dash.length ? dash : undefined,
        width: lineWidth(kind),
        show: !store.ui.hidden.has(label),
        spanGaps: false,
        points: { show: false },
        value: (_u, v) => formatNumber(v),
      });
    }
    return out;
  }

  // A curve of more rows than its chart's pixel columns can show one by one is drawn one CSS px
  // wide: it fills each column from its smallest to its largest value (js/m4.js), and a wider
  // line adds nothing to that but raster time; where the page rasterizes in software at one
  // device px per CSS px, a long race's dense curves at 1.6 px took seven times as long as
  // hairlines, most of the page's raster time. Fewer rows are lines of LINE_WIDTH.
  const dense = { loss: false, lr: false };
  const lineWidth = (kind) => (dense[kind] ? 1 : LINE_WIDTH[kind]);
  function setWidths(plot, kind) {
    if (!plot) return;
    for (let i = 1; i < plot.series.length; i++) plot.series[i].width = lineWidth(kind);
  }

  function build() {
    lossPlot?.destroy();
    lrPlot?.destroy();
    lossPlot = lrPlot = null;
    const theme = themeOf(el, scale); // presentation: the ticks' text grows with the view
    const logY = store.logY();
    logBox.checked = logY;
    const cursor = { sync: { key: sync }, drag: { x: false, y: false }, points: { show: false } };
    const lossData = columns("loss", logY); // first: the series' widths follow their rows
    lossPlot = new uPlot(
      {
        width,
        height: lossHeight,
        legend: { show: false },
        cursor,
        scales: { x: { time: false, range: xRange }, y: { distr: logY ? 3 : 1, log: 10, range: (u, lo, hi) => yLimits ?? yRange(logY)(u, lo, hi) } },
        axes: [
          axis(theme, 28, linearTicks),
          logY
            ? { ...axis(theme, ySize(theme), numberTicks), splits: decadeSplits, filter: (_u, splits) => splits }
            : { ...axis(theme, ySize(theme), linearTicks), splits: linearSplits },
        ],
        series: series("loss"),
        hooks: { draw: [lossMarksHook(() => divergedMarks(), () => validMarks(model.get("marks")), theme), (u) => drawStepLine(u, store.cursorStep?.() ?? null, theme.accent)] },
      },
      lossData,
      lossDiv,
    );
    const showLr = hasSchedule();
    lrBlock.hidden = !showLr;
    if (showLr) {
      const marker = (u) => drawStepLine(u, currentStep(), theme.accent);
      const lrData = columns("lr", false);
      lrPlot = new uPlot(
        {
          width,
          height: lrHeight,
          legend: { show: false },
          cursor,
          // the planned rates (js/planned.js) widen the scales and are drawn dashed
          scales: plannedScales(planned, xRange, yRange(false)),
          axes: [axis(theme, 26, linearTicks), { ...axis(theme, ySize(theme), linearTicks), splits: shortSplits }],
          series: series("lr"),
          hooks: { draw: [marker, plannedHook(planned, lrDiv)] },
        },
        lrData,
        lrDiv,
      );
    }
    needBuild = false;
    needData = false;
  }

  /** The diverged visible runs' last finite losses, with their colours. */
  function divergedMarks() {
    const meta = model.get("meta") ?? {};
    const statuses = statusByLabel(model.get("status"));
    const runs = store.runs;
    const visible = [];
    for (let r = 0; r < runs.nRuns; r++) if (!store.ui.hidden.has(runInfo(meta, r).label)) visible.push(r);
    const diverged = (r) => isDiverged(runs, r, statuses.get(runInfo(meta, r).label));
    return divergedEnds(runs, visible, diverged).map((e) => ({ ...e, color: runInfo(meta, e.r).color }));
  }

  /** uPlot's aligned data: [steps, run 0, run 1, ...]; non-finite (and, on log y, <= 0) -> null.
   * Only the rows that draw every line pixel for pixel on the chart's columns (js/m4.js). */
  function columns(kind, positive) {
    const runs = store.runs;
    const source = kind === "loss" ? runs.loss : runs.lr;
    const count = runCount();
    const empty = new Float64Array(0);
    const src = Array.from({ length: count }, (_, r) => (r < runs.nRuns ? source[r] : empty));
    const ok = (v) => Number.isFinite(v) && (!positive || v > 0);
    const plot = kind === "loss" ? lossPlot : lrPlot;
    const pixels = plot?.bbox?.width || width * (globalThis.devicePixelRatio || 1);
    const rows = m4Rows(runs.steps.subarray(0, runs.length), src, ok, pixels);
    dense[kind] = rows !== null;
    const n = rows ? rows.length : runs.length;
    const at = rows ? (i) => rows[i] : (i) => i;
    const x = new Array(n);
    for (let i = 0; i < n; i++) x[i] = runs.steps[at(i)];
    const data = [x];
    for (let r = 0; r < count; r++) {
      const col = new Array(n);
      for (let i = 0; i < n; i++) {
        const v = src[r][at(i)];
        col[i] = ok(v) ? v : null;
      }
      data.push(col);
    }
    if (kind === "loss") {
      const meta = model.get("meta") ?? {};
      const shown = data.slice(1).filter((_, r) => !store.ui.hidden.has(runInfo(meta, r).label));
      yLimits = robustRange(shown, { log: positive });
    }
    return data;
  }

  function draw() {
    if (!el.isConnected) {
      // colours come from the page's theme, so wait until the panel is in the document
      if (waiting++ < 600) frame.request();
      return;
    }
    waiting = 0;
    if (needBuild) build();
    else if (needData && model.get("running") && performance.now() - lastData < DATA_MS) {
      frame.request(); // a later frame: while the loop streams, every DATA_MS at most
      return;
    } else if (needData) {
      lastData = performance.now();
      lossPlot?.setData(columns("loss", store.logY()));
      lrPlot?.setData(columns("lr", false));
      setWidths(lossPlot, "loss"); // read when the data is drawn, in a microtask
      setWidths(lrPlot, "lr");
      needData = false;
    } else {
      if (needRedraw) lossPlot?.redraw(false, false);
      if (needMarker) lrPlot?.redraw(false, false);
    }
    needMarker = false;
    needRedraw = false;
  }
  let lastData = -Infinity;
  const frame = frameScheduler(draw);

  function updateShown() {
    const meta = model.get("meta") ?? {};
    for (const plot of [lossPlot, lrPlot]) {
      if (!plot) continue;
      for (let i = 1; i < plot.series.length; i++) {
        const show = !store.ui.hidden.has(runInfo(meta, i - 1).label);
        if (plot.series[i].show !== show) plot.setSeries(i, { show });
      }
    }
  }

  const redrawMarks = () => {
    needRedraw = true;
    frame.request();
  };
  const rebuild = () => {
    needBuild = true;
    frame.request();
  };
  const offs = [
    store.events.on("data", () => {
      needData = true;
      frame.request();
    }),
    store.events.on("meta", rebuild),
    store.events.on("meta", updateNote),
    store.events.on("traits", (name) => (name === "batch_size" || name === "marks") && updateNote()),
    // one redraw per animation frame, however many status and marks updates came with it
    store.events.on("traits", (name) => name === "marks" && redrawMarks()),
    store.events.on("status", redrawMarks),
    store.events.on("cursor", () => {
      el.dataset.cursor = String(store.cursorStep?.() ?? "");
      needMarker = true;
      redrawMarks();
    }),
    store.events.on("theme", rebuild),
    store.events.on("ui", (what) => {
      if (what === "logY") rebuild();
      else if (what === "hidden") {
        updateShown();
        needData = true; // the y range follows the runs shown
        frame.request();
      }
    }),
    store.events.on("traits", (name) => {
      if (name !== "t" || !lrPlot) return;
      needMarker = true;
      frame.request();
    }),
  ];
  frame.request();

  return {
    el,
    destroy() {
      for (const off of offs) off();
      frame.cancel();
      lossPlot?.destroy();
      lrPlot?.destroy();
    },
  };
}
