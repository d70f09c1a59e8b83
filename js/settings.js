// Every knob live: a settings panel per optimizer (meta.groups[i].settings, from the kernel's
// live/hypers.py) with one input per hyperparameter: numbers, integers, a pair as two numbers,
// switches as checkboxes, a choice as a select. A change sends `set_hyper`; the kernel applies it
// from the next step (docs/xray.md) and echoes the new value in meta. A swept (per-run) setting
// is shown but not editable.

import { h } from "./dom.js";
import { schedulePicker } from "./schedulepicker.js";
import { toggleRows } from "./toggles.js";

/** The `set_hyper` message for an input's new value, or null when the text is not a number. */
export function hyperMessage(group, setting, inputs) {
  const num = (input) => (input.value.trim() === "" ? NaN : Number(input.value));
  let value;
  if (setting.kind === "switch") value = Boolean(inputs[0].checked);
  else if (setting.kind === "choice") value = inputs[0].value;
  else if (setting.kind === "pair") value = inputs.map(num);
  else value = num(inputs[0]);
  const numbers = Array.isArray(value) ? value : [value];
  if (setting.kind !== "switch" && setting.kind !== "choice" && !numbers.every(Number.isFinite)) return null;
  return { type: "set_hyper", group, name: setting.name, value };
}

function inputsFor(group, s) {
  const id = `gd-hyper-${group}-${s.name}`;
  const swept = s.value == null;
  if (s.kind === "switch") {
    const box = h("input", { type: "checkbox", "data-testid": id, disabled: swept });
    box.checked = Boolean(s.value);
    return [box];
  }
  if (s.kind === "choice") {
    const sel = h("select", { "data-testid": id, disabled: swept }, (s.choices ?? [s.value]).map((c) => h("option", { value: c, text: c })));
    sel.value = s.value ?? "";
    return [sel];
  }
  const values = s.kind === "pair" ? (Array.isArray(s.value) ? s.value : [null, null]) : [s.value];
  return values.map((v, i) =>
    h("input", {
      type: "number",
      step: s.kind === "int" ? "1" : "any",
      class: "gd-hyper-num",
      style: { width: "6.5em" },
      "data-testid": s.kind === "pair" ? `${id}-${i}` : id,
      value: v == null ? "" : String(v),
      placeholder: swept ? "per run" : null,
      disabled: swept,
    }),
  );
}

/** The panel: a collapsible section per optimizer group. */
export function createSettingsPanel(store) {
  const el = h("details", { class: "gd-settings", "data-testid": "gd-settings" });
  let cleanups = [];

  function build() {
    // do not rebuild under the user's cursor; the kernel's echo brings the same value
    const active = globalThis.document?.activeElement;
    if (active && active !== el && el.contains(active) && active.tagName !== "SUMMARY") return;
    for (const off of cleanups) off();
    cleanups = [];
    const groups = (store.model.get("meta") ?? {}).groups ?? [];
    const sections = [];
    for (const g of groups) {
      const rows = [];
      for (const s of g.settings ?? []) {
        const inputs = inputsFor(g.label, s);
        const onChange = () => {
          const msg = hyperMessage(g.label, s, inputs);
          if (msg) store.send(msg);
        };
        for (const input of inputs) {
          input.addEventListener("change", onChange);
          cleanups.push(() => input.removeEventListener("change", onChange));
        }
        const note = s.at_reset ? " (at reset)" : "";
        rows.push(h("label", { class: "gd-hyper-row", title: `${s.name}${note}`, style: { display: "flex", gap: "6px", alignItems: "center", margin: "2px 0" } }, [h("span", { class: "gd-hyper-name", text: `${s.name}${note}`, style: { minWidth: "9em" } }), ...inputs]));
      }
      if (store.model.get("meta")?.schedules?.length) rows.push(schedulePicker(store, g, cleanups)); // js/schedulepicker.js
      rows.push(...toggleRows(store, g, cleanups)); // clip, noise, weight decay (js/toggles.js)
      if (!rows.length) continue;
      sections.push(h("fieldset", { class: "gd-settings-group", "data-testid": `gd-settings-${g.label}` }, [h("legend", { text: `${g.label} (${g.optimizer})` }), ...rows]));
    }
    el.replaceChildren(h("summary", { text: "optimizer settings" }), ...sections);
    el.hidden = sections.length === 0;
  }

  const offs = [store.events.on("meta", build), store.events.on("meta-values", build)];
  build();
  return {
    el,
    destroy() {
      for (const off of [...offs, ...cleanups]) off();
    },
  };
}
