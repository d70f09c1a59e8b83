// The status line: the step, each run's loss, the device (meta.device_label) and the `error`
// trait in red.

import { frameScheduler, h } from "./dom.js";
import { runInfo, statusByLabel } from "./paths.js";
import { formatNumber } from "./scales.js";

/** The runs the status line names one by one; the others are counted. */
const MAX_LISTED = 12;

/**
 * The status line: step, each run's loss, the device the runs use (`meta.device_label`, such as
 * "CPU · NumPy", muted) and the `error` trait in red.
 */
export function createStatusLine(store) {
  const model = store.model;
  const stepEl = h("span", { class: "gd-status-step" });
  const runsEl = h("span", { class: "gd-status-runs" });
  const errorEl = h("span", { class: "gd-error", role: "alert" });
  const deviceEl = h("span", { class: "gd-muted gd-status-device" });
  const el = h("div", { class: "gd-status", "data-testid": "gd-status", "aria-live": "polite" }, [stepEl, runsEl, errorEl, deviceEl]);

  function update() {
    const meta = model.get("meta") ?? {};
    const step = store.step();
    stepEl.textContent = `step ${Number.isFinite(step) ? step : 0}${model.get("running") ? " ▸" : ""}`;
    const statuses = statusByLabel(model.get("status"));
    const parts = [];
    const n = Array.isArray(meta.runs) ? meta.runs.length : 0;
    for (let r = 0; r < Math.min(n, MAX_LISTED); r++) {
      const { label, color } = runInfo(meta, r);
      const s = statuses.get(label);
      const held = lastLoss(r);
      const loss = held != null && Number.isFinite(held) ? held : (s?.loss ?? held);
      const span = h("span", { class: "gd-status-run" }, [
        h("span", { class: "gd-swatch gd-swatch-small", style: { background: color } }),
        `${label} ${formatNumber(loss)}`,
        s && s.status !== "running" ? h("span", { class: "gd-muted", text: ` (${s.status})` }) : null,
      ]);
      parts.push(span);
    }
    if (n > MAX_LISTED) parts.push(h("span", { class: "gd-muted", text: `+${n - MAX_LISTED} more` }));
    runsEl.replaceChildren(...parts);
    const device = typeof meta.device_label === "string" ? meta.device_label : "";
    deviceEl.textContent = device;
    deviceEl.hidden = !device;
    const err = model.get("error") ?? "";
    errorEl.textContent = err;
    errorEl.hidden = !err;
  }

  function lastLoss(r) {
    const runs = store.runs;
    return runs.length && r < runs.nRuns ? runs.loss[r][runs.length - 1] : null;
  }

  update();
  const frame = frameScheduler(update);
  const request = () => frame.request();
  const offs = [
    store.events.on("traits", (name) => (name === "t" || name === "error" || name === "running") && request()),
    store.events.on("status", request),
    store.events.on("meta", request),
    store.events.on("data", request),
  ];
  return {
    el,
    destroy() {
      for (const off of offs) off();
      frame.cancel();
    },
  };
}
