// One learning-rate slider per optimizer group (`gd-lr-<label>`), sending `set_lr`. For a group
// whose rate is a schedule, the slider is the schedule's peak: moving it scales the schedule. For
// a swept group (one rate per run) it is the largest rate: moving it scales every run's rate.

import { h, throttle } from "./dom.js";
import { runInfo } from "./paths.js";
import { swatch } from "./legend.js";
import { formatNumber, logMap } from "./scales.js";
import { isSwept, sweptText } from "./swept.js";

const LR_POSITIONS = 1000;

/** Whether group `g` of meta has a schedule. */
const scheduled = (g) => g?.schedule != null && g.schedule !== "";

/**
 * The slider's words for group `g`: its label (the optimizer's name for a start swarm), and for
 * a schedule "adam · peak lr (scales schedule)".
 */
export function sliderLabel(g) {
  const label = String(g?.label ?? "");
  if (scheduled(g)) return `${label} · peak lr (scales schedule)`;
  return isSwept(g) ? `${label} · largest lr (scales ${g.runs} runs)` : label;
}

/** The slider's tooltip. */
function sliderTitle(g, label, members) {
  if (scheduled(g)) return `${g.optimizer ?? label}: the peak of the schedule ${g.schedule}; moving it scales the whole schedule`;
  if (isSwept(g)) return `${sweptText(g)}: the largest rate; moving it scales every run's rate, keeping their ratios`;
  return `${g.optimizer ?? label} learning rate${members > 1 ? ` (all ${members} runs)` : ""}`;
}

/**
 * Where the slider of group `g` starts: `g.lr` (for a schedule, the kernel's scaled peak), else
 * `scale * peak`, else the middle of the slider's range (`map`).
 */
export function sliderStart(g, map) {
  const lr = Number(g?.lr);
  if (lr > 0) return lr;
  const peak = Number(g?.peak);
  const scale = g?.scale == null ? 1 : Number(g.scale);
  if (peak > 0 && scale > 0) return peak * scale;
  return Math.sqrt(map.min * map.max);
}

/** One log-scale learning-rate slider per optimizer group (`gd-lr-<label>`), sending `set_lr`. */
export function createLrSliders(store) {
  const model = store.model;
  const el = h("div", { class: "gd-lr-sliders" });
  let sliders = new Map();

  function build() {
    const groups = model.get("meta")?.groups ?? [];
    el.replaceChildren();
    sliders = new Map();
    for (const g of groups) {
      if (!g || g.label == null) continue;
      const label = String(g.label);
      let map;
      try {
        const lo = Number(g.lr_min);
        const hi = Number(g.lr_max);
        map = logMap(lo > 0 ? lo : 1e-5, hi > 0 ? hi : 10);
      } catch {
        map = logMap(1e-5, 10);
      }
      const initial = sliderStart(g, map);
      const value = store.ui.lr[label] ?? initial;
      const input = h("input", {
        type: "range",
        class: "gd-lr",
        "data-testid": `gd-lr-${label}`,
        min: "0",
        max: String(LR_POSITIONS),
        step: "1",
        "aria-label": scheduled(g)
          ? `peak learning rate of ${label} (scales its schedule)`
          : isSwept(g)
            ? `largest learning rate of ${label} (scales its ${g.runs} runs)`
            : `learning rate of ${label}`,
      });
      input.value = String(Math.round(map.toPos(value) * LR_POSITIONS));
      input.dataset.value = String(value);
      const text = h("span", { class: "gd-lr-value", text: formatNumber(value) });
      const send = throttle((v) => store.send({ type: "set_lr", group: label, value: v }), 80);
      // while the user holds the slider (and a moment after), echoes from the kernel wait
      let heldUntil = 0;
      const hold = (ms) => {
        heldUntil = performance.now() + ms;
      };
      input.addEventListener("pointerdown", () => hold(1e9));
      input.addEventListener("pointerup", () => hold(400));
      input.addEventListener("change", () => hold(400));
      input.addEventListener("input", () => {
        if (heldUntil < performance.now() + 400) hold(400);
        const v = Number(map.toValue(Number(input.value) / LR_POSITIONS).toPrecision(3));
        text.textContent = formatNumber(v);
        input.dataset.value = String(v);
        send(v);
        store.setLr(label, v);
      });
      const meta = model.get("meta") ?? {};
      const members = (meta.runs ?? []).map((run, r) => [run, r]).filter(([run]) => run && String(run.group) === label);
      // one run: its key; a start swarm: the optimizer's name alone (a row of keys says nothing)
      const key = members.length === 1 ? swatch(runInfo(meta, members[0][1]).color, runInfo(meta, members[0][1]).dash, true) : null;
      const words = sliderLabel(g);
      const title = sliderTitle(g, label, members.length);
      el.append(
        h("label", { class: `gd-lr-row${scheduled(g) || isSwept(g) ? " gd-lr-row-wide" : ""}`, title }, [
          h("span", { class: "gd-lr-name" }, [key, h("span", { text: words })]),
          input,
          text,
        ]),
      );
      sliders.set(label, { input, text, map, send, held: () => performance.now() < heldUntil });
    }
  }

  function syncFromStore(group) {
    const s = sliders.get(group);
    const v = store.ui.lr[group];
    if (!s || v == null || s.held()) return;
    s.input.value = String(Math.round(s.map.toPos(v) * LR_POSITIONS));
    s.input.dataset.value = String(v);
    s.text.textContent = formatNumber(v);
  }

  // the kernel's lr for each group (after a set_lr from any view, or from Python)
  function syncFromMeta() {
    for (const g of model.get("meta")?.groups ?? []) {
      if (!g || g.label == null || !(Number(g.lr) > 0)) continue;
      const label = String(g.label);
      const s = sliders.get(label);
      if (!s || s.held()) continue;
      store.ui.lr[label] = Number(g.lr);
      syncFromStore(label);
    }
  }

  build();
  const offs = [
    store.events.on("meta", build),
    store.events.on("meta-values", syncFromMeta),
    store.events.on("ui", (what, group) => what === "lr" && syncFromStore(group)),
  ];
  return {
    el,
    destroy() {
      for (const off of offs) off();
      for (const s of sliders.values()) s.send.cancel();
    },
  };
}
