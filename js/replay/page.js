// The replay page: a recorded race drawn by the Playground's own views (landscape, legend,
// loss and evaluation panels) fed from a read-only model, with play, pause and a timeline
// scrubber (`gd-timeline`) that moves the runs' markers to any recorded row.

import { h } from "../dom.js";
import { createEvalsPanel } from "../evals.js";
import { createLandscape } from "../landscape.js";
import { createLossPanel } from "../loss.js";
import { createLegend } from "../legend.js";
import { pxText } from "../paths.js";
import { createStore } from "../store.js";
import { createClock } from "./clock.js";
import { frameOf, readReplay, statusAt } from "./data.js";
import { createReplayModel, initialTraits } from "./model.js";

const SPEEDS = [0.25, 0.5, 1, 2, 4];

/** What the rows promise, where they were thinned: each path within a pixel, or within the
 * bound the recording kept (`meta.path_px`: a run that scribbled may have been coarsened). */
export function thinnedNote(meta, n) {
  if (!(meta.max_history && n >= meta.max_history / 2)) return "";
  return ` (thinned: each path within ${pxText(Number(meta.path_px))})`;
}

function stepText(data, index) {
  const last = data.steps[data.n - 1];
  return `step ${data.steps[index]} of ${last}`;
}

/**
 * Build the replay of `doc` (the embedded JSON) into `host`; returns `{el, seek, play, pause,
 * destroy}`. `el.gdReplay()` reads its state (browser tests).
 */
export function mountReplay(host, doc) {
  const data = readReplay(doc);
  const model = createReplayModel(initialTraits(data));
  const store = createStore(model);
  store.send = () => {}; // nothing to tell: there is no kernel
  store.connection = null;

  const landscape = data.hasPoints ? createLandscape(store) : null;
  const legend = createLegend(store);
  const loss = createLossPanel(store);
  const evals = createEvalsPanel(store);
  const clock = createClock(data.steps);
  let index = -1;
  let playing = false;
  let raf = null;
  let lastTime = null;

  const playBtn = h("button", { type: "button", class: "gd-btn gd-replay-play", "data-testid": "gd-replay-play", title: "play the race (space)", text: "▶ play" });
  const timeline = h("input", {
    type: "range",
    class: "gd-timeline",
    "data-testid": "gd-timeline",
    min: "0",
    max: String(data.n - 1),
    step: "1",
    "aria-label": "timeline: the recorded row shown",
  });
  const stepLabel = h("span", { class: "gd-replay-step", "data-testid": "gd-replay-step" });
  const speedSel = h(
    "select",
    { class: "gd-replay-speed", "data-testid": "gd-replay-speed", title: "replay speed" },
    SPEEDS.map((s) => h("option", { value: String(s), text: `${s}×`, selected: s === 1 })),
  );
  speedSel.value = "1";
  const meta = data.meta ?? {};
  const rowsNote = `${data.n} recorded rows of steps ${data.steps[0]}–${data.steps[data.n - 1]}` + thinnedNote(meta, data.n);
  const root = h("div", { class: "gd-root gd-replay", "data-testid": "gd-replay" }, [
    h("div", { class: "gd-replay-head" }, [
      h("span", { class: "gd-replay-title", text: data.title }),
      h("span", { class: "gd-muted", text: ` · replay · ${rowsNote}` }),
    ]),
    h("div", { class: "gd-toolbar gd-replay-bar" }, [playBtn, timeline, stepLabel, speedSel]),
    h("div", { class: "gd-body" }, [
      h("div", { class: "gd-col gd-col-left" }, landscape ? [landscape.el] : [h("div", { class: "gd-muted", text: "no 2-D path to draw" })]),
      h("div", { class: "gd-col gd-col-right" }, [legend.el, loss.el, evals.el]),
    ]),
    h("div", { class: "gd-status gd-muted", text: "gdwidget replay: recorded in a notebook, played here without a kernel" }),
  ]);

  /** Show row `k`: append the rows since the shown one, or replace them when going back. */
  function show(k) {
    k = Math.max(0, Math.min(data.n - 1, k));
    if (k === index) return;
    if (k > index && index >= 0 && store.runs.length === index + 1) store.ingest(frameOf(data, index + 1, k + 1, "frame"));
    else store.ingest(frameOf(data, 0, k + 1, "history"));
    index = k;
    model.set("t", data.steps[k]);
    store.events.emit("traits", "t");
    model.set("status", statusAt(data, k));
    store.events.emit("status");
    timeline.value = String(k);
    stepLabel.textContent = stepText(data, k);
  }

  function setPlaying(on) {
    playing = on;
    model.set("running", on);
    store.events.emit("traits", "running");
    playBtn.textContent = on ? "❚❚ pause" : "▶ play";
    playBtn.title = on ? "pause (space)" : "play the race (space)";
    playBtn.setAttribute("aria-pressed", String(on));
    if (on && raf === null) {
      lastTime = null;
      raf = requestAnimationFrame(frame);
    }
    if (!on && raf !== null) {
      cancelAnimationFrame(raf);
      raf = null;
    }
  }

  function frame(time) {
    raf = null;
    if (!playing) return;
    const dt = lastTime === null ? 0 : Math.min(250, time - lastTime);
    lastTime = time;
    show(clock.tick(dt, Number(speedSel.value) || 1));
    if (clock.atEnd()) setPlaying(false);
    else raf = requestAnimationFrame(frame);
  }

  function play() {
    if (clock.atEnd()) show(clock.seek(0));
    setPlaying(true);
  }
  function pause() {
    setPlaying(false);
  }
  function seek(k) {
    pause();
    show(clock.seek(k));
  }

  playBtn.addEventListener("click", () => (playing ? pause() : play()));
  timeline.addEventListener("input", () => seek(Number(timeline.value)));
  const onKey = (ev) => {
    if (ev.key !== " " || ev.target?.tagName === "SELECT" || ev.target?.tagName === "BUTTON") return;
    ev.preventDefault();
    if (playing) pause();
    else play();
  };
  root.addEventListener("keydown", onKey);

  host.classList.add("gd-host");
  host.replaceChildren(root);
  show(clock.seek(data.n - 1));

  // for browser tests, read-only: the row shown and where each run's marker is drawn (px in
  // the landscape element), with what the landscape itself reports it drew
  root.gdReplay = () => {
    const markers = [];
    for (let r = 0; r < data.nRuns; r++) {
      const i = store.runs.lastFinite(r);
      const x = i >= 0 ? store.runs.x[r][i] : Number.NaN;
      const y = i >= 0 ? store.runs.y[r][i] : Number.NaN;
      markers.push({ label: meta.runs?.[r]?.label ?? `run ${r}`, row: i, x, y, px: landscape ? landscape.toPixel(x, y) : null });
    }
    return { index, step: data.steps[index], n: data.n, playing, rows: store.runs.length, markers, drawn: landscape?.el.gdDrawn() ?? null };
  };

  return {
    el: root,
    play,
    pause,
    seek,
    destroy() {
      setPlaying(false);
      root.removeEventListener("keydown", onKey);
      for (const part of [landscape, legend, loss, evals]) part?.destroy();
      store.events.clear();
      root.remove();
    },
  };
}
