// Full-data evaluations of a model (the `evals` of frames): per run the training loss (solid)
// and the validation loss (dashed) over the steps, or with the accuracy toggle the training and
// validation accuracy of a classifier. Hidden while there are no evaluations.

import uPlot from "uplot";

import { frameScheduler, h } from "./dom.js";
import { axis, decadeSplits, numberTicks, themeOf, xRange, yRange, ySize } from "./loss.js";
import { runInfo } from "./paths.js";
import { formatNumber } from "./scales.js";

const MODES = {
  loss: ["train_loss", "val_loss"],
  acc: ["train_acc", "val_acc"],
};
const DASH = [6, 4];

/** The keys a mode draws, among those held (training first, solid; validation dashed). */
export function modeKeys(held, mode) {
  return MODES[mode].filter((k) => held.includes(k));
}

/** The bottom of the accuracy axis: a tenth below the lowest accuracy, in [0, 0.9]. */
export function accuracyFloor(min) {
  if (!Number.isFinite(min)) return 0;
  return Math.max(0, Math.min(0.9, Math.floor(min * 10 - 1e-9) / 10));
}

export function createEvalsPanel(store, { width = 360, height = 170 } = {}) {
  const model = store.model;
  const accBox = h("input", { type: "checkbox", "data-testid": "gd-evals-acc" });
  const accLabel = h("label", { class: "gd-check", title: "training and validation accuracy instead of loss" }, [accBox, "accuracy"]);
  const valKey = h("span", {}, [
    h("svg:svg", { width: "18", height: "6", "aria-hidden": "true" }, [
      h("svg:path", { d: "M0,3L18,3", stroke: "currentColor", "stroke-width": "2", "stroke-dasharray": "4 3" }),
    ]),
    " validation",
  ]);
  const key = h("span", { class: "gd-evals-key gd-muted" }, [
    h("svg:svg", { width: "18", height: "6", "aria-hidden": "true" }, [
      h("svg:path", { d: "M0,3L18,3", stroke: "currentColor", "stroke-width": "2" }),
    ]),
    " training ",
    valKey,
  ]);
  const title = h("span", { class: "gd-panel-title", text: "full-data loss" });
  const plotDiv = h("div", { class: "gd-plot" });
  const el = h("div", { class: "gd-evals-panel", "data-testid": "gd-evals", hidden: true }, [
    h("div", { class: "gd-panel-head" }, [h("span", {}, [title, " ", key]), accLabel]),
    plotDiv,
  ]);
  accBox.addEventListener("change", () => store.setShowAcc(accBox.checked));

  let plot = null;
  let builtKey = "";
  let needBuild = true;
  let waiting = 0;

  const mode = () => (store.ui.showAcc && modeKeys(store.evals.keys, "acc").length ? "acc" : "loss");

  /** uPlot columns: [steps, then per run each key of the mode]; non-finite -> null. */
  function columns(keys, positive) {
    const ev = store.evals;
    const n = ev.length;
    const data = [Array.from(ev.steps.subarray(0, n))];
    for (let r = 0; r < ev.nRuns; r++) {
      for (const k of keys) {
        const src = ev.values.get(k)[r];
        const col = new Array(n);
        for (let i = 0; i < n; i++) {
          const v = src[i];
          col[i] = Number.isFinite(v) && (!positive || v > 0) ? v : null;
        }
        data.push(col);
      }
    }
    return data;
  }

  function build() {
    plot?.destroy();
    plot = null;
    const ev = store.evals;
    const md = mode();
    const keys = modeKeys(ev.keys, md);
    const logY = md === "loss" && store.logY();
    builtKey = JSON.stringify([md, keys, ev.nRuns, logY]);
    needBuild = false;
    if (!keys.length || !ev.nRuns) return;
    const theme = themeOf(el);
    const meta = model.get("meta") ?? {};
    const series = [{}];
    for (let r = 0; r < ev.nRuns; r++) {
      const { label, color } = runInfo(meta, r);
      for (const k of keys) {
        series.push({
          label: `${label} ${k}`,
          stroke: color,
          width: k.startsWith("val") ? 1.6 : 1.8,
          dash: k.startsWith("val") ? DASH : undefined,
          show: !store.ui.hidden.has(label),
          spanGaps: true,
          points: { show: ev.length < 30, size: 4 },
          value: (_u, v) => formatNumber(v),
        });
      }
    }
    const y =
      md === "acc"
        ? { range: (_u, min) => [accuracyFloor(min), 1] }
        : { distr: logY ? 3 : 1, log: 10, range: yRange(logY) };
    const yAxis = logY ? { ...axis(theme, ySize(theme), numberTicks), splits: decadeSplits, filter: (_u, s) => s } : axis(theme, ySize(theme), numberTicks);
    plot = new uPlot(
      {
        width,
        height,
        legend: { show: false },
        cursor: { drag: { x: false, y: false }, points: { show: false } },
        scales: { x: { time: false, range: xRange }, y },
        axes: [axis(theme, 28, numberTicks), yAxis],
        series,
      },
      columns(keys, logY),
      plotDiv,
    );
  }

  function draw() {
    const ev = store.evals;
    const any = ev.length > 0 && ev.keys.length > 0;
    el.hidden = !any;
    if (!any) return;
    if (!el.isConnected) {
      if (waiting++ < 600) frame.request();
      return;
    }
    waiting = 0;
    const md = mode();
    const hasAcc = modeKeys(ev.keys, "acc").length > 0;
    accLabel.hidden = !hasAcc;
    accBox.checked = md === "acc";
    title.textContent = md === "acc" ? "accuracy (all data)" : "loss (all data)";
    const keys = modeKeys(ev.keys, md);
    valKey.hidden = !keys.some((k) => k.startsWith("val"));
    const logY = md === "loss" && store.logY();
    if (needBuild || !plot || JSON.stringify([md, keys, ev.nRuns, logY]) !== builtKey) build();
    else plot.setData(columns(keys, logY));
    el.dataset.mode = md;
    el.dataset.rows = String(ev.length);
  }
  const frame = frameScheduler(draw);

  function updateShown() {
    if (!plot) return;
    const meta = model.get("meta") ?? {};
    const per = modeKeys(store.evals.keys, mode()).length || 1;
    for (let i = 1; i < plot.series.length; i++) {
      const show = !store.ui.hidden.has(runInfo(meta, Math.floor((i - 1) / per)).label);
      if (plot.series[i].show !== show) plot.setSeries(i, { show });
    }
  }

  const rebuild = () => {
    needBuild = true;
    frame.request();
  };
  const offs = [
    store.events.on("evals", () => frame.request()),
    store.events.on("meta", rebuild),
    store.events.on("theme", rebuild),
    store.events.on("ui", (what) => {
      if (what === "logY" || what === "showAcc") rebuild();
      else if (what === "hidden") updateShown();
    }),
  ];
  frame.request();
  return {
    el,
    destroy() {
      for (const off of offs) off();
      frame.cancel();
      plot?.destroy();
    },
  };
}
