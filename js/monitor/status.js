// The monitor's status line: the kernel's `status` trait ("step 1234 · 56 steps/s", or an
// error, shown in red), the rows held, and the device (meta.device_label, muted).

import { h } from "../dom.js";

/** Whether the kernel's status text reports an error (shown in red). */
export const isError = (text) => /^(error|.*\berror\b:)/i.test(String(text));

export function createMonitorStatus(store) {
  const textEl = h("span", { class: "gd-status-step gd-monitor-status-text" });
  const rowsEl = h("span", { class: "gd-muted gd-monitor-rows" });
  const deviceEl = h("span", { class: "gd-muted gd-status-device" });
  const el = h("div", { class: "gd-status", "data-testid": "gd-monitor-status", "aria-live": "polite" }, [textEl, rowsEl, deviceEl]);

  function update() {
    const text = String(store.model.get("status") ?? "");
    textEl.textContent = text || "waiting for the first m.log(...)";
    textEl.classList.toggle("gd-error", isError(text));
    const meta = store.meta();
    const held = store.table.length;
    rowsEl.textContent = held ? `${held} rows` : "";
    const device = typeof meta.device_label === "string" ? meta.device_label : "";
    deviceEl.textContent = device;
    deviceEl.hidden = !device;
  }
  update();
  return { el, update, destroy() {} };
}
