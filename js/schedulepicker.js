// The schedule picker, in each group's settings section: a <select> of the built-in schedules
// (meta.schedules, from the kernel's live/schedulepick.py) and a number input per parameter of
// the one chosen. Choosing a schedule sends `set_schedule` with its defaults filled in (the
// group's rate, the race's planned steps); changing a parameter sends it again. The kernel
// applies it from the next step and echoes the choice in meta.groups[i].schedule_pick.

import { h } from "./dom.js";

/** The steps a schedule is planned for: the target's steps ahead of `t`, else max(300, 2 t). */
export function defaultTotal(t, targetSteps) {
  if (Number.isInteger(targetSteps) && targetSteps > t) return targetSteps;
  return Math.max(300, 2 * t);
}

/** A parameter's default: a number, the group's `rate`, or a fraction of `total` steps. */
export function defaultValue(param, rate, total) {
  const d = param.default;
  if (d === "rate") return rate;
  if (Array.isArray(d) && d[0] === "total") return Math.max(1, Math.round(d[1] * total));
  return d;
}

/** The `set_schedule` message for the inputs ({name: input}), or null if one is not a number. */
export function scheduleMessage(group, name, inputs) {
  const params = {};
  for (const [key, input] of Object.entries(inputs)) {
    const v = input.value.trim() === "" ? NaN : Number(input.value);
    if (!Number.isFinite(v)) return null;
    params[key] = v;
  }
  return { type: "set_schedule", group, name, params };
}

/** The picker of group `g` (an entry of meta.groups); its listeners' removers go to `cleanups`. */
export function schedulePicker(store, g, cleanups = []) {
  const meta = store.model.get("meta") ?? {};
  const menu = meta.schedules ?? [];
  const pick = g.schedule_pick ?? null;
  const id = `gd-schedule-${g.label}`;
  const options = [h("option", { value: "", text: g.schedule ? "as built" : "constant rate (as built)" })];
  for (const s of menu) options.push(h("option", { value: s.name, text: s.name }));
  const select = h("select", { "data-testid": id, title: "learning-rate schedule" }, options);
  select.value = pick?.name ?? "";
  const params = h("div", { class: "gd-schedule-params", style: { display: "flex", flexWrap: "wrap", gap: "2px 10px" } });
  let inputs = {};

  const send = () => {
    const msg = select.value ? scheduleMessage(g.label, select.value, inputs) : null;
    if (msg) store.send(msg);
  };
  const listen = (el, fn) => {
    el.addEventListener("change", fn);
    cleanups.push(() => el.removeEventListener("change", fn));
  };

  function showParams(name) {
    inputs = {};
    const entry = menu.find((s) => s.name === name);
    const t = store.step?.();
    const total = defaultTotal(Number.isFinite(t) ? t : 0, store.model.get("target")?.steps);
    const rows = [];
    for (const param of entry?.params ?? []) {
      const value = pick?.name === name ? pick.params?.[param.name] : defaultValue(param, g.lr, total);
      const input = h("input", {
        type: "number",
        step: param.kind === "int" ? "1" : "any",
        class: "gd-hyper-num",
        style: { width: "6.5em" },
        "data-testid": `${id}-${param.name}`,
        value: value == null ? "" : String(value),
      });
      listen(input, send);
      inputs[param.name] = input;
      rows.push(h("label", { class: "gd-hyper-row", style: { display: "flex", gap: "4px", alignItems: "center" } }, [h("span", { class: "gd-hyper-name", text: param.name }), input]));
    }
    params.replaceChildren(...rows);
  }

  listen(select, () => {
    showParams(select.value);
    send();
  });
  showParams(select.value);
  return h("div", { class: "gd-schedule-picker", "data-testid": `${id}-picker`, style: { margin: "4px 0" } }, [
    h("label", { class: "gd-hyper-row", style: { display: "flex", gap: "6px", alignItems: "center" } }, [h("span", { class: "gd-hyper-name", text: "lr schedule", style: { minWidth: "9em" } }), select]),
    params,
  ]);
}
