// The live curves: one uPlot chart per scalar (every loss name shares one), with a log-y toggle
// and an EMA smoothing slider that act on the page only, and a filled band between lo and hi
// for a name logged by several seeds. `data-points` on the panel is the rows drawn; each key
// entry carries the last value logged (`data-last`, `data-last-step`), and `el.gdDrawn()` returns
// each chart's series roles and data, for tests.

import uPlot from "uplot";

import { h } from "../dom.js";
import { axis, decadeSplits, linearSplits, linearTicks, numberTicks, themeOf, xRange, yRange, ySize } from "../loss.js";
import { formatNumber, parseColor } from "../scales.js";
import { chartData, colorOf, groupCharts } from "./series.js";

const rgba = (color, alpha) => {
  const [r, g, b] = parseColor(color);
  return `rgba(${r},${g},${b},${alpha})`;
};

/** The smoothing slider's position 0..100 <-> EMA factor 0..0.99. */
export const smoothFromPos = (p) => Math.round(Math.min(100, Math.max(0, Number(p))) * 0.99 * 100) / 10000;
export const posFromSmooth = (s) => Math.round(Math.min(0.99, Math.max(0, Number(s))) / 0.0099);

export function createCurves(store, { width = 430, height = 170 } = {}) {
  const logBox = h("input", { type: "checkbox", "data-testid": "gd-monitor-logy" });
  const slider = h("input", { type: "range", min: 0, max: 100, step: 1, class: "gd-monitor-smooth", "data-testid": "gd-monitor-smooth", "aria-label": "smoothing" });
  const smoothValue = h("span", { class: "gd-monitor-smooth-value gd-muted" });
  const chartsEl = h("div", { class: "gd-monitor-charts" });
  const empty = h("div", { class: "gd-muted gd-monitor-empty", text: "nothing logged yet: call m.log(loss=...) in your loop" });
  const el = h("div", { class: "gd-monitor-curves", "data-testid": "gd-monitor-curves", dataset: { points: "0" } }, [
    h("div", { class: "gd-panel-head" }, [
      h("span", { class: "gd-panel-title", text: "logged scalars" }),
      h("span", { class: "gd-monitor-controls" }, [
        h("label", { class: "gd-check", title: "exponential moving average of each curve (the raw values stay, faint)" }, ["smooth", slider, smoothValue]),
        h("label", { class: "gd-check", title: "logarithmic y axes" }, [logBox, "log y"]),
      ]),
    ]),
    empty,
    chartsEl,
  ]);

  let charts = []; // {names, plot, div, keys: Map(name -> span), roles}
  let layoutKey = "";
  let chartWidth = width;

  function syncControls() {
    logBox.checked = store.logY();
    slider.value = String(posFromSmooth(store.smooth()));
    const s = store.smooth();
    smoothValue.textContent = s > 0 ? s.toFixed(2) : "off";
  }
  syncControls();
  logBox.addEventListener("change", () => store.setLogY(logBox.checked));
  slider.addEventListener("input", () => store.setSmooth(smoothFromPos(slider.value)));

  function names() {
    const meta = store.meta();
    return Array.isArray(meta.names) ? meta.names.map(String) : [];
  }

  function destroyCharts() {
    for (const c of charts) c.plot?.destroy();
    charts = [];
    chartsEl.replaceChildren();
  }

  function options(chart, roles, theme) {
    const all = names();
    const logY = store.logY();
    const series = [{}];
    const bands = [];
    roles.forEach((role, k) => {
      const color = colorOf(all, role.name);
      const idx = k + 1;
      if (role.kind === "lo" || role.kind === "hi") {
        series.push({ label: `${role.name} ${role.kind}`, stroke: rgba(color, 0.35), width: 0.6, points: { show: false }, spanGaps: true });
        if (role.kind === "hi") bands.push({ series: [idx, idx - 1], fill: rgba(color, 0.18) });
      } else if (role.kind === "raw") {
        series.push({ label: `${role.name} (raw)`, stroke: rgba(color, 0.3), width: 1, points: { show: false }, spanGaps: true });
      } else {
        series.push({ label: role.name, stroke: color, width: 1.7, points: { show: false }, spanGaps: true, value: (_u, v) => formatNumber(v) });
      }
    });
    return {
      width: chartWidth,
      height,
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { show: false } },
      scales: { x: { time: false, range: xRange }, y: { distr: logY ? 3 : 1, log: 10, range: yRange(logY) } },
      axes: [
        axis(theme, 26, linearTicks),
        logY ? { ...axis(theme, ySize(theme), numberTicks), splits: decadeSplits, filter: (_u, s) => s } : { ...axis(theme, ySize(theme), linearTicks), splits: linearSplits },
      ],
      series,
      bands,
    };
  }

  function build() {
    destroyCharts();
    const theme = themeOf(el);
    const all = names();
    for (const group of groupCharts(all)) {
      const keys = new Map();
      const keyEl = h("span", { class: "gd-monitor-key" });
      for (const name of group.names) {
        const span = h("span", { class: "gd-monitor-key-item", dataset: { name } }, [
          h("span", { class: "gd-swatch gd-swatch-small", style: { background: colorOf(all, name) } }),
          h("span", { text: name }),
          h("span", { class: "gd-monitor-key-value gd-muted" }),
        ]);
        keys.set(name, span);
        keyEl.append(span);
      }
      const plotDiv = h("div", { class: "gd-plot" });
      const div = h("div", { class: "gd-monitor-chart", dataset: { chart: group.title } }, [
        h("div", { class: "gd-panel-head" }, [h("span", { class: "gd-panel-title", text: group.title }), keyEl]),
        plotDiv,
      ]);
      chartsEl.append(div);
      const { data, roles } = current(group.names);
      const plot = new uPlot(options(group, roles, theme), data, plotDiv);
      charts.push({ names: group.names, plot, div, keys, roles: roleKey(roles) });
    }
  }

  const roleKey = (roles) => roles.map((r) => `${r.name}/${r.kind}`).join("|");

  function current(chartNames) {
    const meta = store.meta();
    return chartData(store.table, chartNames, { seeds: meta.seeds ?? {}, smooth: store.smooth(), logY: store.logY() });
  }

  function updateKeys() {
    for (const c of charts) {
      for (const [name, span] of c.keys) {
        const last = store.table.last(name);
        span.querySelector(".gd-monitor-key-value").textContent = last ? formatNumber(last.value) : "–";
        if (last) {
          span.dataset.last = String(last.value);
          span.dataset.lastStep = String(last.step);
        } else {
          delete span.dataset.last;
          delete span.dataset.lastStep;
        }
      }
    }
  }

  /** Redraw: rebuild the charts when their layout changed, else give them new data. */
  function draw(force = false) {
    const all = names();
    empty.hidden = all.length > 0;
    const key = `${JSON.stringify(groupCharts(all))}|${store.logY()}|${chartWidth}|${store.smooth() > 0}|${JSON.stringify(store.meta().seeds ?? {})}`;
    if (force || key !== layoutKey) {
      layoutKey = key;
      build();
    } else {
      for (const c of charts) {
        const { data, roles } = current(c.names);
        if (roleKey(roles) !== c.roles) {
          layoutKey = "";
          return draw(true);
        }
        c.plot.setData(data);
      }
    }
    updateKeys();
    el.dataset.points = String(store.table.length);
  }

  // read-only test hook: what each chart was given to draw
  el.gdDrawn = () =>
    charts.map((c) => ({
      title: c.div.dataset.chart,
      roles: c.roles.split("|"),
      data: c.plot.data.map((col) => Array.from(col ?? [])),
      log: c.plot.scales.y.distr === 3,
    }));

  return {
    el,
    draw,
    syncControls,
    setWidth(w) {
      const cw = Math.max(240, Math.floor(w));
      if (cw === chartWidth) return false;
      chartWidth = cw;
      return true;
    },
    destroy() {
      destroyCharts();
    },
  };
}
