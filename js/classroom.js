// The classroom's page parts: which controls a lesson shows (the `shown_controls` trait, from
// `controls=[...]`) and the challenge (`target` trait, from `target={"loss": .., "steps": ..}`):
// `gd-target` in the status line says the goal and which runs reached it, by the same rule as
// the kernel's `w.reached()` (gdwidget/live/config.py) applied to the rows the page holds.

import { h, setProp } from "./dom.js";
import { runInfo } from "./paths.js";
import { createPicker } from "./picker.js";
import { formatNumber } from "./scales.js";

/** Each control name of `controls=[...]` and the elements it stands for in a view. */
export const CONTROL_SELECTORS = {
  play: '[data-testid="gd-play"]',
  pause: '[data-testid="gd-pause"]',
  step: '[data-testid="gd-step"]',
  steps: ".gd-stepn",
  reset: '[data-testid="gd-reset"]',
  speed: ".gd-speed-group",
  batch: ".gd-batch",
  lr: ".gd-lr-sliders",
  legend: ".gd-legend",
  hint: ".gd-hint",
  picker: ".gd-picker",
  instant: ".gd-instant",
};

/** Hide the controls not named in `shown` (null or undefined: show them all). */
export function applyShownControls(root, shown) {
  const keep = Array.isArray(shown) ? new Set(shown) : null;
  for (const [name, selector] of Object.entries(CONTROL_SELECTORS)) {
    for (const node of root.querySelectorAll(selector)) node.classList.toggle("gd-control-off", keep !== null && !keep.has(name));
  }
}

/** "loss ≤ 0.001 within 200 steps" */
export function targetText(target) {
  const parts = [];
  if (Number.isFinite(target?.loss)) parts.push(`loss ≤ ${formatNumber(target.loss, 3)}`);
  if (Number.isFinite(target?.steps)) parts.push(`within ${target.steps} steps`);
  return parts.join(" ");
}

/**
 * Each run's first kept step meeting `target` (loss at most `target.loss` at a step at most
 * `target.steps`), or null: `runs` is the store's run history (steps, loss[r], length, nRuns).
 */
export function reachedSteps(runs, target) {
  const goal = Number.isFinite(target?.loss) ? target.loss : Infinity;
  const limit = Number.isFinite(target?.steps) ? target.steps : Infinity;
  const out = [];
  for (let r = 0; r < runs.nRuns; r++) {
    let hit = null;
    for (let i = 0; i < runs.length && runs.steps[i] <= limit; i++) {
      if (runs.loss[r][i] <= goal) {
        hit = runs.steps[i];
        break;
      }
    }
    out.push(hit);
  }
  return out;
}

/** The challenge's line (`gd-target`), hidden without a target. Returns `{el, destroy}`. */
export function createTarget(store) {
  const model = store.model;
  const el = h("span", { class: "gd-target", "data-testid": "gd-target", hidden: true });
  function update() {
    const target = model.get("target") ?? {};
    const text = targetText(target);
    setProp(el, "hidden", text === "");
    if (el.hidden) return;
    const now = reachedSteps(store.runs, target);
    const meta = model.get("meta") ?? {};
    const hits = now.map((s, r) => (s === null ? null : `${runInfo(meta, r).label} at step ${s}`)).filter(Boolean);
    setProp(el.dataset, "reached", String(hits.length > 0));
    setProp(el.dataset, "steps", JSON.stringify(now));
    setProp(el, "textContent", hits.length ? `✓ target ${text}: reached by ${hits.join(", ")}` : `target: ${text}`);
  }
  update();
  const offs = [store.events.on("data", update), store.events.on("meta", update)];
  model.on("change:target", update);
  return {
    el,
    destroy() {
      for (const off of offs) off();
      model.off("change:target", update);
    },
  };
}

/**
 * The classroom's parts of one view: the controls shown, the challenge in the status line and
 * the race setup (js/picker.js) under the right column. `root` is the view's root, `statusEl`
 * the status line. Returns `{destroy}`.
 */
export function installClassroom(store, root, statusEl) {
  const model = store.model;
  const target = createTarget(store);
  statusEl.append(target.el);
  const picker = createPicker(store);
  (root.querySelector(".gd-col-right") ?? root).append(picker.el);
  const sync = () => applyShownControls(root, model.get("shown_controls"));
  sync();
  // the batch control and sliders are rebuilt when the runs change: hide their new elements too
  const offs = [store.events.on("meta", sync)];
  model.on("change:shown_controls", sync);
  return {
    destroy() {
      target.destroy();
      picker.destroy();
      for (const off of offs) off();
      model.off("change:shown_controls", sync);
    },
  };
}
