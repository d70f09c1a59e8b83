// Instant mode and each run's start on its own (docs/classroom.md).
//
// The toggle (`gd-instant`) and its steps box (`gd-instant-steps`) send `set_instant`; the kernel
// echoes the mode in the `instant` trait. Dragging a run's start marker (js/landscape.js) goes
// through `createStartDrag`: one `set_start` in flight at a time, the next (the pointer's latest
// position) sent once the kernel has answered `started` and the answer is painted, so a drag
// never queues up stale positions and the kernel never steps while the page draws.
// In instant mode each answer comes once the whole path is recomputed; the page measures each
// one, from sending the start to the first frame drawn after the answer, and shows the last
// (`gd-instant-ms`), with the last 20 in its `data-times` and how many so far in `data-count`;
// `data-answer-ms` (until the answer came) and `data-kernel-ms` (the kernel's own time) split them.

import { h, setProp } from "./dom.js";
import { runInfo } from "./paths.js";

const KEEP = 20; // measurements kept
const ANSWER_MS = 3000; // a start not answered by then (refused, kernel busy) frees the drag

/**
 * The run whose start marker is under (px, py) (CSS px in the landscape; `toPixel(x, y)` maps
 * data to it), within `radius` px, the nearest one; -1 for none. Hidden runs do not count, and
 * the starts are known only while the page holds step 0.
 */
export function startAt(store, px, py, toPixel, radius = 8) {
  const runs = store.runs;
  if (!runs.length || runs.steps[0] !== 0) return -1;
  const meta = store.model.get("meta") ?? {};
  let best = -1;
  let bestD = radius;
  for (let r = 0; r < runs.nRuns; r++) {
    if (store.ui.hidden.has(runInfo(meta, r).label)) continue;
    const [x, y] = toPixel(runs.x[r][0], runs.y[r][0]);
    const d = Math.hypot(x - px, y - py);
    if (d <= bestD) {
      best = r;
      bestD = d;
    }
  }
  return best;
}

/** The one sender of `set_start`: `move(index, [x, y])` while dragging. */
export function createStartDrag(
  store,
  { now = () => performance.now(), frame = (fn) => requestAnimationFrame(fn), later = (fn) => setTimeout(fn, 0) } = {},
) {
  let seq = 0;
  let inFlight = null; // { seq, at }
  let next = null; // { index, start }
  let timer = null; // sends `next` once an unanswered start is given up
  if (!store.instantTimes) store.instantTimes = [];

  function pump() {
    if (!next) return;
    const wait = inFlight ? ANSWER_MS - (now() - inFlight.at) : 0;
    if (wait > 0) {
      timer ??= setTimeout(() => {
        timer = null;
        pump();
      }, wait);
      return;
    }
    seq += 1;
    inFlight = { seq, at: now() };
    store.send({ type: "set_start", index: next.index, start: next.start, seq });
    next = null;
  }

  function onStarted(msg) {
    if (!inFlight || !(msg?.seq >= inFlight.seq)) return;
    const sent = inFlight;
    const answerMs = now() - sent.at;
    inFlight = null;
    if (!(msg.steps > 0)) {
      pump();
      return;
    }
    // the frames of the new path came before this answer: their draw is in this frame
    frame(() => {
      const times = store.instantTimes;
      times.push({ ms: now() - sent.at, answerMs, kernelMs: msg.ms, steps: msg.steps });
      if (times.length > KEEP) times.splice(0, times.length - KEEP);
      store.instantCount = (store.instantCount ?? 0) + 1;
      store.events.emit("instant-time");
      // the next start goes once this frame is painted: the kernel's steps and the page's
      // drawing then do not share the machine's cores (on two cores, each took twice as long)
      later(pump);
    });
  }

  const off = store.events.on("started", onStarted);
  return {
    move(index, start) {
      next = { index, start };
      pump();
    },
    get busy() {
      return inFlight !== null;
    },
    destroy() {
      off();
      clearTimeout(timer);
    },
  };
}

/** The toggle, the steps box and the last measured time. */
export function createInstantPanel(store) {
  const model = store.model;
  const toggle = h("input", { type: "checkbox", "data-testid": "gd-instant" });
  const steps = h("input", { type: "number", min: "1", max: "20000", step: "1", value: "300", class: "gd-instant-steps", "data-testid": "gd-instant-steps", style: { width: "5.5em" } });
  const note = h("span", { class: "gd-muted gd-instant-ms", "data-testid": "gd-instant-ms" });
  const el = h("div", { class: "gd-instant", title: "recompute the whole path at once when a start or a setting changes" }, [
    h("label", {}, [toggle, h("span", { text: " instant: whole path of " })]),
    steps,
    h("span", { text: " steps " }),
    note,
  ]);

  function send() {
    const n = Math.round(Number(steps.value));
    if (toggle.checked && !(n >= 1 && n <= 20000)) return; // the box shows what is wrong
    store.send({ type: "set_instant", steps: toggle.checked ? n : 0 });
  }
  function sync() {
    const n = Number(model.get("instant")) || 0;
    setProp(toggle, "checked", n > 0);
    if (n > 0 && globalThis.document?.activeElement !== steps) setProp(steps, "value", String(n));
    el.classList.toggle("gd-instant-on", n > 0);
    if (!n) setProp(note, "textContent", "");
  }
  function showTime() {
    const times = store.instantTimes ?? [];
    const last = times[times.length - 1];
    if (!last) return;
    setProp(note, "textContent", `· redrawn in ${Math.round(last.ms)} ms`);
    note.dataset.times = times.map((t) => t.ms.toFixed(1)).join(",");
    note.dataset.count = String(store.instantCount ?? times.length);
    note.dataset.kernelMs = times.map((t) => Number(t.kernelMs).toFixed(1)).join(",");
    note.dataset.answerMs = times.map((t) => Number(t.answerMs).toFixed(1)).join(",");
  }
  toggle.addEventListener("change", send);
  steps.addEventListener("change", send);
  model.on("change:instant", sync);
  const offs = [store.events.on("instant-time", showTime)];
  sync();
  showTime();
  return {
    el,
    destroy() {
      for (const off of offs) off();
      model.off("change:instant", sync);
      toggle.removeEventListener("change", send);
      steps.removeEventListener("change", send);
    },
  };
}
