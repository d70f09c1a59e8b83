// The status line: the step, each run's loss, the device (meta.device_label) and the `error`
// trait in red. While the timeline is seeked (the store's cursor, js/timeline.js) it shows the
// step shown, "at step t of T", and each run's loss at that step.

import { frameScheduler, h, setProp } from "./dom.js";
import { runInfo, statusByLabel } from "./paths.js";
import { formatNumber } from "./scales.js";
import { timelineState } from "./timeline.js";

/** The runs the status line names one by one; the others are counted. */
const MAX_LISTED = 12;

/**
 * The status line: step, each run's loss, the device the runs use (`meta.device_label`, such as
 * "CPU · NumPy", muted) and the `error` trait in red.
 */
/** Set an element's text only when it differs (a write is a DOM mutation even when equal). */
function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

function setAttr(el, name, value) {
  if (el.getAttribute(name) !== value) el.setAttribute(name, value);
}

export function createStatusLine(store) {
  const model = store.model;
  const stepEl = h("span", { class: "gd-status-step" });
  const runsEl = h("span", { class: "gd-status-runs" });
  const errorEl = h("span", { class: "gd-error", role: "alert" });
  const deviceEl = h("span", { class: "gd-muted gd-status-device" });
  const el = h("div", { class: "gd-status", "data-testid": "gd-status", "aria-live": "polite" }, [stepEl, runsEl, errorEl, deviceEl]);

  // one span per listed run, built when the runs change; each frame only rewrites the texts
  // that changed (rebuilding them would cost the page a style and layout pass per frame)
  let rows = [];
  let rowsKey = "";
  function buildRows(meta, n) {
    const key = JSON.stringify([n, meta.runs?.slice?.(0, MAX_LISTED)]);
    if (key === rowsKey) return;
    rowsKey = key;
    rows = [];
    const parts = [];
    for (let r = 0; r < Math.min(n, MAX_LISTED); r++) {
      const { label, color } = runInfo(meta, r);
      const text = document.createTextNode("");
      const note = h("span", { class: "gd-muted", hidden: true });
      parts.push(h("span", { class: "gd-status-run" }, [h("span", { class: "gd-swatch gd-swatch-small", style: { background: color } }), text, note]));
      rows.push({ label, text, note });
    }
    if (n > MAX_LISTED) parts.push(h("span", { class: "gd-muted", text: `+${n - MAX_LISTED} more` }));
    runsEl.replaceChildren(...parts);
  }

  function update() {
    const meta = model.get("meta") ?? {};
    const shown = timelineState(store.runs, store.cursor);
    const step = store.step();
    const newest = Number.isFinite(step) ? step : 0;
    const stepText = shown.seeking ? `at step ${shown.step} of ${newest}` : `step ${newest}${model.get("running") ? " ▸" : ""}`;
    setText(stepEl, stepText);
    setAttr(el, "data-seeking", shown.seeking ? "true" : "false");
    setAttr(el, "data-step", String(shown.seeking ? shown.step : newest));
    const statuses = statusByLabel(model.get("status"));
    buildRows(meta, Array.isArray(meta.runs) ? meta.runs.length : 0);
    rows.forEach(({ label, text, note }, r) => {
      const s = statuses.get(label);
      let loss;
      let stopped = s && s.status !== "running" ? ` (${s.status})` : "";
      if (shown.seeking) {
        loss = rowLoss(r, shown.value); // the loss at the step shown, as recorded
        if (!(Number.isFinite(s?.step) && s.step >= 0 && s.step <= shown.step)) stopped = ""; // stopped later
      } else {
        const held = lastLoss(r);
        loss = held != null && Number.isFinite(held) ? held : (s?.loss ?? held);
      }
      const value = `${label} ${formatNumber(loss)}`;
      if (text.nodeValue !== value) text.nodeValue = value;
      setText(note, stopped);
      setProp(note, "hidden", !stopped);
    });
    const device = typeof meta.device_label === "string" ? meta.device_label : "";
    setText(deviceEl, device);
    setProp(deviceEl, "hidden", !device);
    const err = model.get("error") ?? "";
    setText(errorEl, err);
    setProp(errorEl, "hidden", !err);
  }

  function lastLoss(r) {
    const runs = store.runs;
    return runs.length && r < runs.nRuns ? runs.loss[r][runs.length - 1] : null;
  }

  function rowLoss(r, row) {
    const runs = store.runs;
    return r < runs.nRuns && row < runs.length ? runs.loss[r][row] : null;
  }

  update();
  const frame = frameScheduler(update);
  const request = () => frame.request();
  const offs = [
    store.events.on("traits", (name) => (name === "t" || name === "error" || name === "running") && request()),
    store.events.on("status", request),
    store.events.on("meta", request),
    store.events.on("data", request),
    store.events.on("cursor", request),
  ];
  return {
    el,
    destroy() {
      for (const off of offs) off();
      frame.cancel();
    },
  };
}
