// The learning-rate chart: each torch param group's lr (meta.groups: "lr/0", ...) over the steps,
// hidden when there are no groups. `data-points` is the rows drawn.

import uPlot from "uplot";

import { h } from "../dom.js";
import { axis, linearTicks, numberTicks, themeOf, xRange, yRange, ySize } from "../loss.js";
import { formatNumber, niceTicks } from "../scales.js";
import { FALLBACK_COLORS } from "../paths.js";

/** uPlot data for the lr columns `groups`: [steps, group 0, ...], non-finite -> null. */
export function lrData(table, groups) {
  const n = table.length;
  const data = [Array.from(table.steps.subarray(0, n))];
  for (const name of groups) {
    const col = table.column(name);
    const out = new Array(n);
    for (let i = 0; i < n; i++) out[i] = col && Number.isFinite(col[i]) ? col[i] : null;
    data.push(out);
  }
  return data;
}

export function createLrChart(store, { width = 430, height = 110 } = {}) {
  const plotDiv = h("div", { class: "gd-plot" });
  const keyEl = h("span", { class: "gd-monitor-key" });
  const el = h("div", { class: "gd-monitor-lr", "data-testid": "gd-monitor-lr", hidden: true, dataset: { points: "0" } }, [
    h("div", { class: "gd-panel-head" }, [h("span", { class: "gd-panel-title", text: "learning rate" }), keyEl]),
    plotDiv,
  ]);
  let plot = null;
  let key = "";
  let chartWidth = width;

  const groups = () => {
    const g = store.meta().groups;
    return Array.isArray(g) ? g.map(String) : [];
  };

  function build(names) {
    plot?.destroy();
    plot = null;
    const theme = themeOf(el);
    keyEl.replaceChildren(
      ...names.map((name, i) =>
        h("span", { class: "gd-monitor-key-item" }, [h("span", { class: "gd-swatch gd-swatch-small", style: { background: FALLBACK_COLORS[i % FALLBACK_COLORS.length] } }), name]),
      ),
    );
    const series = [{}, ...names.map((name, i) => ({ label: name, stroke: FALLBACK_COLORS[i % FALLBACK_COLORS.length], width: 1.4, points: { show: false }, spanGaps: true, value: (_u, v) => formatNumber(v) }))];
    plot = new uPlot(
      {
        width: chartWidth,
        height,
        legend: { show: false },
        cursor: { drag: { x: false, y: false }, points: { show: false } },
        scales: { x: { time: false, range: xRange }, y: { range: yRange(false) } },
        axes: [axis(theme, 26, linearTicks), { ...axis(theme, ySize(theme), numberTicks), splits: (_u, _a, min, max) => niceTicks(min, max, 3) }],
        series,
      },
      lrData(store.table, names),
      plotDiv,
    );
  }

  function draw(force = false) {
    const names = groups();
    el.hidden = names.length === 0;
    if (el.hidden) {
      plot?.destroy();
      plot = null;
      key = "";
      return;
    }
    const k = `${names.join("|")}|${chartWidth}`;
    if (force || k !== key || !plot) {
      key = k;
      build(names);
    } else plot.setData(lrData(store.table, names));
    el.dataset.points = String(store.table.length);
  }

  return {
    el,
    draw,
    setWidth(w) {
      const cw = Math.max(240, Math.floor(w));
      if (cw === chartWidth) return false;
      chartWidth = cw;
      return true;
    },
    destroy() {
      plot?.destroy();
    },
  };
}
