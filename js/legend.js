// The legend of runs: per run (or per swept group) a show/hide checkbox, a swatch with its
// colour and dash, its label, hyperparameters and status; and `swatch`, a run's key, which other
// views reuse. The runs' drawing over the landscape is in js/paths.js (which re-exports these).

import { h } from "./dom.js";
import { runInfo, statusByLabel, statusText } from "./paths.js";
import { groupStatusText, commonStatus, sweptGroups, sweptText } from "./swept.js";

/** A run's key: a colour square, or a short line sample when the run is dashed. */
export function swatch(color, dash = [], small = false) {
  if (!dash.length) return h("span", { class: `gd-swatch${small ? " gd-swatch-small" : ""}`, style: { background: color } });
  return h("svg:svg", { class: "gd-swatch-line", width: "18", height: "8", viewBox: "0 0 18 8", "aria-hidden": "true" }, [
    h("svg:path", { d: "M0,4L18,4", stroke: color, "stroke-width": "2.5", "stroke-dasharray": dash.join(" ") }),
  ]);
}

function hyperText(hyper) {
  if (!hyper || typeof hyper !== "object") return "";
  return Object.entries(hyper)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");
}

/**
 * The legend: per run a show/hide checkbox (`gd-visible-<label>`), a colour swatch, the label,
 * its hyperparameters and its status. Rebuilt when `meta` changes; the status cells update in
 * place.
 */
export function createLegend(store) {
  const model = store.model;
  const el = h("div", { class: "gd-legend", "data-testid": "gd-legend", role: "list" });
  let rows = new Map(); // label -> {row, box, status}

  function build() {
    const meta = model.get("meta") ?? {};
    const runs = Array.isArray(meta.runs) ? meta.runs : [];
    el.replaceChildren();
    rows = new Map();
    const swept = sweptGroups(meta);
    runs.forEach((_, r) => {
      const { label, color, dash, hyper, group } = runInfo(meta, r);
      if (group != null && swept.has(String(group))) {
        sweptRow(meta, swept.get(String(group)), r);
        return;
      }
      const box = h("input", {
        type: "checkbox",
        "data-testid": `gd-visible-${label}`,
        "aria-label": `show ${label}`,
        title: `show or hide ${label}`,
      });
      box.checked = !store.ui.hidden.has(label);
      box.addEventListener("change", () => store.setHidden(label, !box.checked));
      const status = h("span", { class: "gd-legend-status" });
      const hyperStr = hyperText(hyper);
      const row = h("label", { class: "gd-legend-row", role: "listitem", dataset: { label } }, [
        box,
        swatch(color, dash),
        h("span", { class: "gd-legend-label", text: label }),
        h("span", { class: "gd-legend-hyper", text: hyperStr, title: hyperStr }),
        status,
      ]);
      rows.set(label, { row, box, status });
      el.append(row);
    });
    if (!runs.length) el.append(h("div", { class: "gd-muted", text: "no runs" }));
    updateStatus();
    markMore();
  }

  // a swept group: one row for all its runs (its checkbox shows or hides them all)
  function sweptRow(meta, g, r) {
    const group = String(g.label);
    const entry = rows.get(group);
    const label = runInfo(meta, r).label;
    if (entry) {
      entry.members.push(label);
      return;
    }
    const { color, dash } = runInfo(meta, r);
    const members = [label];
    const box = h("input", {
      type: "checkbox",
      "data-testid": `gd-visible-${group}`,
      "aria-label": `show the runs of ${group}`,
      title: `show or hide every run of ${group}`,
    });
    box.addEventListener("change", () => {
      const hide = !box.checked; // read once: each setHidden redraws the box
      for (const m of members) store.setHidden(m, hide);
    });
    const status = h("span", { class: "gd-legend-status" });
    const words = sweptText(g);
    const row = h("label", { class: "gd-legend-row gd-legend-swept", role: "listitem", dataset: { label: group, group } }, [
      box,
      swatch(color, dash),
      h("span", { class: "gd-legend-label", text: words, title: words }),
      status,
    ]);
    rows.set(group, { row, box, status, members });
    el.append(row);
  }

  function updateStatus() {
    const statuses = statusByLabel(model.get("status"));
    const step = store.step();
    // a loop that stands says so: "paused" after some steps, "ready" before the first
    const idle = model.get("running") ? "" : step > 0 ? "paused" : "ready";
    for (const [label, { row, status, members }] of rows) {
      const s = members ? { status: commonStatus(members.map((m) => statuses.get(m))) } : statuses.get(label);
      const text = members ? groupStatusText(members.map((m) => statuses.get(m)), idle) : statusText(s, idle);
      if (status.textContent === text && row.dataset.status === (s?.status ?? "")) continue;
      // only what changed is written: each write would cost the page a style and layout pass
      status.textContent = text;
      status.title = text;
      row.classList.toggle("gd-legend-long", text.length > 28);
      row.dataset.status = s?.status ?? "";
    }
  }

  function updateHidden() {
    for (const [label, { row, box, members }] of rows) {
      const hidden = members ? members.every((m) => store.ui.hidden.has(m)) : store.ui.hidden.has(label);
      box.checked = !hidden;
      row.classList.toggle("gd-hidden", hidden);
    }
  }

  // rows hidden below the legend's height: say so (js/widget.css fades the last one)
  const markMore = () => el.classList.toggle("gd-legend-more", el.scrollTop + el.clientHeight < el.scrollHeight - 1);
  el.addEventListener("scroll", markMore, { passive: true });
  const resized = globalThis.ResizeObserver ? new ResizeObserver(markMore) : null;
  resized?.observe(el);

  build();
  updateHidden();
  const offs = [
    store.events.on("meta", () => {
      build();
      updateHidden();
    }),
    store.events.on("status", updateStatus),
    store.events.on("traits", (name) => (name === "running" || name === "t") && updateStatus()),
    store.events.on("ui", (what) => what === "hidden" && updateHidden()),
  ];
  return {
    el,
    destroy() {
      resized?.disconnect();
      for (const off of offs) off();
    },
  };
}
