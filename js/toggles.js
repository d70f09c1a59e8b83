// Toggles per optimizer group, in the settings panel: gradient clipping (a checkbox
// `gd-clip-<label>` and its max norm `gd-clip-<label>-value`), gradient noise (`gd-noise-<label>`,
// its sigma `gd-noise-<label>-value`) and weight decay (`gd-wd-<label>`, for optimizers that
// have one). A change sends `set_toggle`; the kernel (gdwidget/live/toggles.py) applies it from
// the next step and echoes the state in meta.groups[i].toggles, which these rows show.

import { h } from "./dom.js";

/** The number a toggle's box starts with when the kernel has none yet. */
export const DEFAULTS = { clip: 1, noise: 0.1 };

/**
 * The `set_toggle` message for a toggle's checkbox (and number), or null when the number is not
 * a number > 0. Unchecked sends null (off); weight decay sends the checkbox.
 */
export function toggleMessage(group, name, box, input) {
  if (name === "weight_decay") return { type: "set_toggle", group, name, value: Boolean(box.checked) };
  if (!box.checked) return { type: "set_toggle", group, name, value: null };
  const v = input.value.trim() === "" ? NaN : Number(input.value);
  if (!(Number.isFinite(v) && v > 0)) return null;
  return { type: "set_toggle", group, name, value: v };
}

// the numbers typed while a toggle is off, kept across the panel's rebuilds
const typed = new WeakMap();

function row(name, title, children) {
  return h("label", { class: "gd-hyper-row gd-toggle-row", title, style: { display: "flex", gap: "6px", alignItems: "center", margin: "2px 0" } }, [
    h("span", { class: "gd-hyper-name", text: name, style: { minWidth: "9em" } }),
    ...children,
  ]);
}

/** Call `fn(toggles)` with group `label`'s toggles at each new meta; returns the unsubscribe. */
function onEcho(store, label, fn) {
  return store.events.on("meta", () => {
    const g = (store.model.get("meta")?.groups ?? []).find((x) => x.label === label);
    if (g?.toggles) fn(g.toggles);
  });
}

/** How many of group `g`'s steps the clip shortened (the kernel's `clipped` marks), kept live. */
function clippedCount(store, g, id, cleanups) {
  const span = h("span", { class: "gd-toggle-count", "data-testid": `${id}-count` });
  const groups = store.model.get("meta")?.groups ?? [];
  let first = 0;
  for (const other of groups) {
    if (other === g || other.label === g.label) break;
    first += other.runs ?? 1;
  }
  const last = first + (g.runs ?? 1);
  const update = () => {
    const runs = store.model.get("clipped")?.runs ?? [];
    const n = runs.filter((r) => r >= first && r < last).length;
    span.textContent = n ? `${n} clipped` : "";
  };
  update();
  store.model.on("change:clipped", update);
  cleanups.push(() => store.model.off("change:clipped", update));
  return span;
}

/** The toggle rows of group `g` (meta.groups[i]); listeners are removed by `cleanups`. */
export function toggleRows(store, g, cleanups) {
  const state = g.toggles;
  if (!state) return [];
  if (!typed.has(store)) typed.set(store, new Map());
  const memory = typed.get(store);
  const listen = (el, fn) => {
    el.addEventListener("change", fn);
    cleanups.push(() => el.removeEventListener("change", fn));
  };
  const rows = [];
  for (const [name, text, title] of [
    ["clip", "clip ‖g‖ ≤", "gradient clipping: each run's gradient is scaled to this norm at most"],
    ["noise", "noise σ", "gradient noise: Gaussian, this standard deviation, seeded"],
  ]) {
    const id = `gd-${name}-${g.label}`;
    const on = state[name] != null;
    const box = h("input", { type: "checkbox", "data-testid": id });
    box.checked = on;
    const key = `${g.label}/${name}`;
    const value = on ? state[name] : (memory.get(key) ?? DEFAULTS[name]);
    const input = h("input", { type: "number", step: "any", min: "0", class: "gd-hyper-num", "data-testid": `${id}-value`, value: String(value), style: { width: "6.5em" } });
    const send = () => {
      memory.set(key, input.value);
      const msg = toggleMessage(g.label, name, box, input);
      if (msg) store.send(msg);
    };
    listen(box, send);
    listen(input, () => (box.checked ? send() : memory.set(key, input.value)));
    // the kernel's echo, also while the panel is not rebuilt (it waits while it has the focus)
    cleanups.push(
      onEcho(store, g.label, (now) => {
        const active = globalThis.document?.activeElement;
        if (box !== active) box.checked = now[name] != null;
        if (input !== active && now[name] != null) input.value = String(now[name]);
      }),
    );
    const extra = name === "clip" ? [clippedCount(store, g, id, cleanups)] : [];
    rows.push(row(text, title, [box, input, ...extra]));
  }
  if ("weight_decay" in state) {
    const box = h("input", { type: "checkbox", "data-testid": `gd-wd-${g.label}` });
    box.checked = Boolean(state.weight_decay_on);
    listen(box, () => store.send(toggleMessage(g.label, "weight_decay", box, null)));
    const shown = (v) => (v == null ? "per run" : String(v));
    const value = h("span", { class: "gd-toggle-wd", text: shown(state.weight_decay) });
    cleanups.push(
      onEcho(store, g.label, (now) => {
        if (box !== globalThis.document?.activeElement) box.checked = Boolean(now.weight_decay_on);
        value.textContent = shown(now.weight_decay);
      }),
    );
    rows.push(row("weight decay on", "weight decay: off is 0, on is its last value", [box, value]));
  }
  return rows;
}
