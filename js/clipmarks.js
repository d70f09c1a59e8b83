// Clipped steps marked on the paths: the kernel's `clipped` state ({steps, runs}: the steps whose
// gradient the clip toggle shortened, gdwidget/live/toggles.py) drawn as small squares, each at
// the position the page holds for that run and step. A step the page does not hold (a thinned
// history) gets no mark rather than a wrong one. Each mark carries `data-step`, `data-run` and
// `data-x`/`data-y` (the recorded position) for tests.

import { h } from "./dom.js";
import { rowOfStep } from "./history.js";
import { runInfo } from "./paths.js";

const svg = (tag, attrs, children = []) => h(`svg:${tag}`, attrs, children);
const SIZE = 6;
const MAX_DRAWN = 2000; // the newest, beyond this

/** The marks to draw: [{step, run, row}] for clipped steps held at exactly that step. */
export function heldMarks(runs, clipped, upToRow = runs.length - 1) {
  const steps = clipped?.steps ?? [];
  const which = clipped?.runs ?? [];
  const out = [];
  for (let i = Math.max(0, steps.length - MAX_DRAWN); i < steps.length; i++) {
    const row = rowOfStep(runs.steps, runs.length, steps[i]);
    if (row < 0 || row > upToRow || runs.steps[row] !== steps[i] || !(which[i] < runs.nRuns)) continue;
    out.push({ step: steps[i], run: which[i], row });
  }
  return out;
}

/** The layer: an SVG of the landscape's size; `draw(toPx, rect)` redraws it, returns the count. */
export function createClipMarks(store, { width, height }) {
  const el = svg("svg", { class: "gd-clipmarks", width, height, viewBox: `0 0 ${width} ${height}`, "aria-hidden": "true", style: { position: "absolute", left: 0, top: 0, pointerEvents: "none", overflow: "hidden" } });

  function draw(toPx, rect) {
    const runs = store.runs;
    const meta = store.model.get("meta") ?? {};
    const upTo = runs.cursorRow === null ? runs.length - 1 : runs.cursorRow;
    const items = [];
    for (const m of heldMarks(runs, store.model.get("clipped"), upTo)) {
      const { label, color } = runInfo(meta, m.run);
      if (store.ui.hidden.has(label)) continue;
      const x = runs.x[m.run][m.row];
      const y = runs.y[m.run][m.row];
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      const [px, py] = toPx(x, y);
      if (px < rect.left || px > rect.left + rect.width || py < rect.top || py > rect.top + rect.height) continue;
      items.push(
        svg("rect", {
          class: "gd-clipmark",
          "data-testid": "gd-clipmark",
          "data-step": String(m.step),
          "data-run": String(m.run),
          "data-x": String(x),
          "data-y": String(y),
          x: (px - SIZE / 2).toFixed(1),
          y: (py - SIZE / 2).toFixed(1),
          width: SIZE,
          height: SIZE,
          fill: "none",
          stroke: color,
          "stroke-width": 1.5,
        }),
      );
    }
    el.replaceChildren(...items);
    return items.length;
  }

  /** Call `redraw` when the kernel's clipped steps change; returns the unsubscribe function. */
  function watch(redraw) {
    store.model.on("change:clipped", redraw);
    return () => store.model.off("change:clipped", redraw);
  }

  return { el, draw, watch };
}
