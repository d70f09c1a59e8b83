// The timeline under the landscape: a scrubber over the kept steps (`gd-timeline`), a step-back
// button (`gd-step-back`), "fork from here" (`gd-fork`) and a label saying the step shown (and,
// where the step asked for is not kept, the nearest kept one shown instead). Moving it asks the
// kernel to seek; the kernel answers with the `cursor` trait, which the store holds and every
// view draws at (docs/timetravel.md). The page changes nothing by itself: one control path.

import { frameScheduler, h, setProp } from "./dom.js";

/**
 * What the timeline shows for `runs` (a RunBuffer) and the store's `cursor` ({step, asked} or
 * null): the range's `max` and `value` (row indices), the `step` shown, whether `seeking`, and
 * the `label`.
 */
export function timelineState(runs, cursor) {
  const n = runs.length;
  if (!n) return { max: 0, value: 0, step: null, seeking: false, label: "no steps yet" };
  const last = runs.steps[n - 1];
  const seeking = cursor != null && runs.cursorRow !== null && runs.cursorRow >= 0;
  const row = seeking ? Math.min(runs.cursorRow, n - 1) : n - 1;
  const step = runs.steps[row];
  let label = seeking ? `step ${step} of ${last}` : `step ${last}`;
  if (seeking && cursor.asked !== step) label = `step ${step} (nearest kept to ${cursor.asked}) of ${last}`;
  return { max: n - 1, value: row, step, seeking, label };
}

/** The timeline's DOM; returns `{el, destroy}`. */
export function createTimeline(store) {
  const range = h("input", {
    type: "range",
    class: "gd-timeline-range",
    min: "0",
    max: "0",
    step: "1",
    value: "0",
    "data-testid": "gd-timeline",
    "aria-label": "step shown",
  });
  const back = h("button", { type: "button", class: "gd-btn", "data-testid": "gd-step-back", title: "show the kept step before", text: "◀ back" });
  const fork = h("button", {
    type: "button",
    class: "gd-btn",
    "data-testid": "gd-fork",
    title: "every run goes on from the step shown, with the settings now set",
    text: "fork from here",
  });
  const label = h("span", { class: "gd-timeline-label gd-muted", "data-testid": "gd-timeline-label" });
  const el = h("div", { class: "gd-timeline" }, [back, range, fork, label]);
  let shown = null;
  // the step of the last seek sent: older answers of the kernel do not move the range under the
  // pointer (or the keys) meanwhile
  let pending = null;

  function update() {
    const s = timelineState(store.runs, store.cursor);
    if (pending !== null && s.seeking && s.step === pending) pending = null;
    // only what changed is written: this runs with every frame while a race plays
    setProp(range, "max", String(s.max));
    if (pending === null) setProp(range, "value", String(s.value));
    setProp(range, "disabled", s.max === 0);
    setProp(back, "disabled", s.max === 0 || (s.seeking && s.value === 0));
    setProp(fork, "disabled", s.step === null);
    setProp(label, "textContent", s.label);
    setProp(el.dataset, "step", s.step === null ? "" : String(s.step));
    setProp(el.dataset, "seeking", s.seeking ? "true" : "false");
    setProp(el.dataset, "asked", s.seeking ? String(store.cursor.asked) : "");
    shown = s.step;
  }
  const frame = frameScheduler(update); // at most once per animation frame
  const onInput = () => {
    const row = Number(range.value);
    const runs = store.runs;
    if (!(row >= 0 && row < runs.length)) return;
    pending = runs.steps[row];
    store.send({ type: "seek", step: pending });
  };
  const onBack = () => {
    pending = null;
    store.send({ type: "step_back" });
  };
  const onFork = () => shown !== null && store.send({ type: "fork", step: shown });
  range.addEventListener("input", onInput);
  back.addEventListener("click", onBack);
  fork.addEventListener("click", onFork);
  const onData = (kind) => {
    if (kind === "history" || kind === "thin") pending = null; // the rows changed: the kernel's answer counts
    frame.request();
  };
  const offs = [store.events.on("data", onData), store.events.on("cursor", update)];
  update();

  return {
    el,
    update,
    destroy() {
      for (const off of offs) off();
      frame.cancel();
      range.removeEventListener("input", onInput);
      back.removeEventListener("click", onBack);
      fork.removeEventListener("click", onFork);
    },
  };
}
