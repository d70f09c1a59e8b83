// Model-wide state of one Playground in the page: the decoded, bounded run history, the grid,
// and the view options that every view of the model shares (hidden runs, log-y, slider values).
// One store per model, made in `initialize`; every `render` subscribes to it.

import { decodeData, decodeGrid } from "./decode.js";
import { EvalBuffer, RunBuffer, rowOfStep } from "./history.js";

// the buffers were defined here first: importable from here still
export { EvalBuffer, RunBuffer, rowOfStep };

/** The kernel's capacities in `meta` (`max_history`, `eval_capacity`); 0 where not given. */
export function capacities(meta) {
  const count = (v) => (Number.isInteger(v) && v > 0 ? v : 0);
  return { runs: count(meta?.max_history), evals: count(meta?.eval_capacity) };
}

/**
 * A tiny event emitter: `on(kind, fn)` returns an unsubscribe function; `emit(kind, ...args)`.
 * Kinds used: "data" (run history changed), "cursor" (the step shown), "evals", "arrows", "model_view", "points" (the
 * `data` trait), "grid", "meta", "view", "status", "ui", "traits".
 */
export class Emitter {
  constructor() {
    this._subs = new Map();
  }
  on(kind, fn) {
    if (!this._subs.has(kind)) this._subs.set(kind, new Set());
    this._subs.get(kind).add(fn);
    return () => this._subs.get(kind)?.delete(fn);
  }
  emit(kind, ...args) {
    for (const fn of [...(this._subs.get(kind) ?? [])]) {
      try {
        fn(...args);
      } catch (err) {
        console.error(`gdwidget: error in a '${kind}' listener`, err);
      }
    }
  }
  clear() {
    this._subs.clear();
  }
}

/**
 * The store of one model. Holds:
 *  - `runs`: a RunBuffer, and `evals`: an EvalBuffer (full-data evaluations of models), holding
 *    exactly the rows the kernel sent (their capacities are `meta.max_history` and
 *    `meta.eval_capacity`; the kernel does all the thinning),
 *  - `arrows`: the latest decoded "arrows" message, or null,
 *  - `modelViews`: the latest decoded "model_view" message of each view (`line`, `boundary`),
 *  - `points()`: the decoded `data` trait (training examples for the model view), or null,
 *  - `step()`: the current step (`t` trait),
 *  - `grid()`: the decoded grid (cached until `grid` or `grid_meta` change),
 *  - `ui`: view options shared by all views of the model: `hidden` (Set of run labels),
 *    `logY` (bool or null: follow meta.log_scale), `lr` (group label -> slider value),
 *  - `events`: an Emitter.
 */
export function createStore(model) {
  const events = new Emitter();
  const runs = new RunBuffer();
  const evals = new EvalBuffer();
  // the kernel's capacities, read from meta when data comes (meta may change between resets)
  const syncCapacities = () => {
    const cap = capacities(model.get("meta"));
    runs.capacity = cap.runs;
    evals.capacity = cap.evals;
  };
  const ui = { hidden: new Set(), logY: null, lr: {}, showAcc: false };
  let stale = false; // a "thin" did not fit the rows held: the history was asked for again
  let gridCache = null;
  let gridDirty = true;
  let pointsCache = null;
  let pointsDirty = true;

  return {
    runs,
    evals,
    arrows: null,
    // the step shown while seeking: {step, asked} from the kernel's `cursor` trait; null: the newest
    cursor: null,
    modelViews: { line: null, boundary: null },
    ui,
    events,
    model,
    /**
     * Take in a decoded "frame", "thin" or "history" (rows and evaluations). Returns false when
     * a frame brought nothing new (a late frame from before a reset), or when a thin does not fit
     * the rows held (the history is asked for again).
     */
    ingest(frame) {
      syncCapacities();
      if (frame.type !== "history" && stale) return false; // until the history asked for
      if (frame.type === "thin" && (runs.length !== frame.base || runs.nRuns !== frame.nRuns)) {
        stale = true; // a message was missed: what is held is not what the kernel thinned
        this.send?.({ type: "request_history" });
        return false;
      }
      if (frame.type === "thin") {
        // the kernel thinned: the rows it kept, then its new rows; every view draws again
        runs.keepRows(frame.keep);
        runs.append(frame);
        runs.cursorRow = this.cursor ? rowOfStep(runs.steps, runs.length, this.cursor.step) : null;
        events.emit("data", "thin");
        if (frame.evals && evals.append(frame.evals, frame.nRuns)) events.emit("evals");
        return true;
      }
      if (frame.type === "history") {
        stale = false;
        runs.replace(frame);
        runs.cursorRow = this.cursor ? rowOfStep(runs.steps, runs.length, this.cursor.step) : null;
        evals.replace(frame.evals, frame.nRuns);
        // gradients taken at the old points: the next "arrows" brings the new ones
        this.arrows = null;
        events.emit("data", "history");
        events.emit("evals");
        events.emit("arrows");
        return true;
      }
      const added = runs.append(frame);
      if (!added && frame.n) return false;
      if (added) events.emit("data", frame.type);
      if (frame.evals && evals.append(frame.evals, frame.nRuns)) events.emit("evals");
      return true;
    },
    /** Show step `cursor.step` (the nearest held row) in every view; null: the newest. */
    setCursor(cursor) {
      const step = Number(cursor?.step);
      this.cursor = cursor && Number.isFinite(step) ? { step, asked: Number.isFinite(Number(cursor.asked)) ? Number(cursor.asked) : step } : null;
      runs.cursorRow = this.cursor ? rowOfStep(runs.steps, runs.length, step) : null;
      events.emit("cursor");
    },
    /** The step the views show: the cursor's, or null for the newest. */
    cursorStep() {
      return this.cursor ? this.cursor.step : null;
    },
    setArrows(arrows) {
      this.arrows = arrows;
      events.emit("arrows");
    },
    setModelView(view) {
      this.modelViews[view.view] = view;
      events.emit("model_view", view.view);
    },
    points() {
      if (pointsDirty) {
        pointsCache = decodeData(model.get("data"), model.get("data_meta"));
        pointsDirty = false;
      }
      return pointsCache;
    },
    invalidatePoints() {
      pointsDirty = true;
      events.emit("points");
    },
    setShowAcc(value) {
      ui.showAcc = Boolean(value);
      events.emit("ui", "showAcc");
    },
    grid() {
      if (gridDirty) {
        gridCache = decodeGrid(model.get("grid"), model.get("grid_meta"));
        gridDirty = false;
      }
      return gridCache;
    },
    invalidateGrid() {
      gridDirty = true;
      events.emit("grid");
    },
    setHidden(label, hidden) {
      if (hidden === ui.hidden.has(label)) return;
      if (hidden) ui.hidden.add(label);
      else ui.hidden.delete(label);
      events.emit("ui", "hidden");
    },
    setLogY(value) {
      ui.logY = Boolean(value);
      events.emit("ui", "logY");
    },
    /** Steps taken since the last reset: the `t` trait (called `step` in early versions). */
    step() {
      const t = model.get("t") ?? model.get("step");
      const n = Number(t);
      return t != null && Number.isFinite(n) ? n : runs.lastStep();
    },
    logY() {
      return ui.logY ?? Boolean(model.get("meta")?.log_scale);
    },
    setLr(group, value) {
      ui.lr[group] = value;
      events.emit("ui", "lr", group);
    },
  };
}

/** `meta` without the values that may change while the views stay (each group's lr). */
export function structureKey(meta) {
  if (!meta || typeof meta !== "object") return "";
  const groups = Array.isArray(meta.groups) ? meta.groups.map((g) => (g && typeof g === "object" ? { ...g, lr: null, scale: null } : g)) : meta.groups;
  return JSON.stringify({ ...meta, groups });
}
