// Model-wide state of one Playground in the page: the decoded, bounded run history, the grid,
// and the view options that every view of the model shares (hidden runs, log-y, slider values).
// One store per model, made in `initialize`; every `render` subscribes to it.

import { decodeData, decodeGrid } from "./decode.js";

/** Rows to allocate for `needed` rows of a buffer whose kernel holds at most `capacity`. */
function allocation(needed, held, capacity) {
  const doubled = Math.max(held * 2, 64);
  return Math.max(needed, capacity > 0 ? Math.min(doubled, capacity) : doubled);
}

/**
 * The run history the kernel sent, stored by column: `steps[i]`, and per run r `loss[r][i]`,
 * `x[r][i]`, `y[r][i]`, `lr[r][i]` for rows i < `length`.
 *
 * It holds exactly the rows the kernel sent: a "history" replaces everything, a "frame" is
 * appended. It never thins on its own: the kernel keeps at most `meta.max_history` rows and
 * sends a new "history" when it thins (docs/protocol.md), so `capacity` (that number) only sizes
 * the arrays.
 */
export class RunBuffer {
  constructor(capacity = 0) {
    this.capacity = capacity;
    this.nRuns = 0;
    this.dims = 2;
    this.length = 0;
    // bumped whenever held rows change other than by appending (replace, clear): views that
    // draw incrementally start over then
    this.epoch = 0;
    // the row shown while seeking (js/timeline.js); null: the newest
    this.cursorRow = null;
    this._alloc(0, 0);
  }

  _alloc(nRuns, rows) {
    this.rows = rows;
    this.steps = new Float64Array(rows);
    this.loss = Array.from({ length: nRuns }, () => new Float32Array(rows));
    this.x = Array.from({ length: nRuns }, () => new Float32Array(rows));
    this.y = Array.from({ length: nRuns }, () => new Float32Array(rows));
    this.lr = Array.from({ length: nRuns }, () => new Float32Array(rows));
  }

  _grow(rows) {
    if (rows <= this.rows) return;
    const size = allocation(rows, this.rows, this.capacity);
    const grow = (a) => {
      const b = new a.constructor(size);
      b.set(a.subarray(0, this.length));
      return b;
    };
    this.steps = grow(this.steps);
    this.loss = this.loss.map(grow);
    this.x = this.x.map(grow);
    this.y = this.y.map(grow);
    this.lr = this.lr.map(grow);
    this.rows = size;
  }

  clear() {
    this.length = 0;
    this.epoch++;
  }

  /** Replace everything with a decoded "history" message. */
  replace(frame) {
    this.nRuns = frame.nRuns;
    this.dims = frame.dims;
    this.length = 0;
    this.epoch++;
    this._alloc(frame.nRuns, allocation(frame.n, 0, this.capacity));
    this.append(frame);
  }

  /**
   * Append the rows of a decoded "frame". Rows whose step is not after the last held step are
   * dropped (a late frame from before a reset). A frame with a different number of runs replaces
   * everything. Returns the number of rows appended.
   */
  append(frame) {
    if (frame.nRuns !== this.nRuns) {
      if (this.length === 0 || frame.type === "history") {
        this.nRuns = frame.nRuns;
        this.dims = frame.dims;
        this._alloc(frame.nRuns, allocation(frame.n, 0, this.capacity));
        this.length = 0;
        this.epoch++;
      } else {
        return 0;
      }
    }
    const R = this.nRuns;
    const D = frame.dims;
    let last = this.length ? this.steps[this.length - 1] : -Infinity;
    let added = 0;
    for (let i = 0; i < frame.n; i++) {
      const step = frame.steps[i];
      if (!(step > last)) continue;
      last = step;
      if (this.length >= this.rows) this._grow(this.length + 1);
      const row = this.length++;
      this.steps[row] = step;
      for (let r = 0; r < R; r++) {
        const k = i * R + r;
        this.loss[r][row] = frame.loss[k];
        this.x[r][row] = frame.xy[k * D];
        this.y[r][row] = D > 1 ? frame.xy[k * D + 1] : 0;
        this.lr[r][row] = frame.lr[k];
      }
      added++;
    }
    return added;
  }

  /** Row index of run r's last finite point (x, y and loss finite), or -1. */
  lastFinite(r) {
    const x = this.x[r];
    const y = this.y[r];
    const from = this.cursorRow === null ? this.length - 1 : Math.min(this.cursorRow, this.length - 1);
    for (let i = from; i >= 0; i--) {
      if (Number.isFinite(x[i]) && Number.isFinite(y[i])) return i;
    }
    return -1;
  }

  /** The last step held, or NaN when empty. */
  lastStep() {
    return this.length ? this.steps[this.length - 1] : Number.NaN;
  }
}

/**
 * The full-data evaluations the kernel sent (the `evals` part of frames), stored by column:
 * `steps[i]` and, per key and run, `values.get(key)[r][i]` for rows i < `length`. Keys are kept
 * in the order they first arrive; a key missing from a later message reads NaN in its rows.
 *
 * Like RunBuffer it holds exactly what the kernel sent and never thins: the kernel keeps at
 * most `meta.eval_capacity` rows (`capacity` only sizes the arrays).
 */
export class EvalBuffer {
  constructor(capacity = 0) {
    this.capacity = capacity;
    this.nRuns = 0;
    this.length = 0;
    this.rows = 0;
    this.keys = [];
    this.steps = new Float64Array(0);
    this.values = new Map();
    this.epoch = 0;
  }

  clear() {
    this.length = 0;
    this.nRuns = 0;
    this.rows = 0;
    this.keys = [];
    this.steps = new Float64Array(0);
    this.values = new Map();
    this.epoch++;
  }

  has(key) {
    return this.length > 0 && this.values.has(key);
  }

  _column() {
    return Array.from({ length: this.nRuns }, () => new Float32Array(this.rows).fill(Number.NaN));
  }

  _grow(rows) {
    if (rows <= this.rows) return;
    const size = allocation(rows, this.rows, this.capacity);
    const grow = (a) => {
      const b = new a.constructor(size);
      if (b instanceof Float32Array) b.fill(Number.NaN);
      b.set(a.subarray(0, this.length));
      return b;
    };
    this.steps = grow(this.steps);
    for (const [key, cols] of this.values) this.values.set(key, cols.map(grow));
    this.rows = size;
  }

  /** Replace everything with the evaluations of a "history" (null: there are none). */
  replace(evals, nRuns) {
    this.clear();
    if (evals) this.append(evals, nRuns);
  }

  /**
   * Append decoded evaluations (`decodeEvals`) for `nRuns` runs. Rows whose step is not after
   * the last held one are dropped; a different number of runs starts over. Returns the number
   * of rows appended.
   */
  append(evals, nRuns) {
    if (!evals || !evals.n) return 0;
    if (nRuns !== this.nRuns) {
      this.clear();
      this.nRuns = nRuns;
    }
    for (const key of evals.keys) {
      if (!this.values.has(key)) {
        this.keys.push(key);
        this.values.set(key, this._column());
      }
    }
    let last = this.length ? this.steps[this.length - 1] : -Infinity;
    let added = 0;
    for (let i = 0; i < evals.n; i++) {
      const step = evals.steps[i];
      if (!(step > last)) continue;
      last = step;
      if (this.length >= this.rows) this._grow(this.length + 1);
      const row = this.length++;
      this.steps[row] = step;
      for (const [key, cols] of this.values) {
        const src = evals.values[key];
        for (let r = 0; r < nRuns; r++) cols[r][row] = src ? src[i * nRuns + r] : Number.NaN;
      }
      added++;
    }
    return added;
  }

  /** The last value of `key` for run r, or NaN. */
  last(key, r) {
    const cols = this.values.get(key);
    return cols && this.length && r < this.nRuns ? cols[r][this.length - 1] : Number.NaN;
  }
}

/** The row of `steps` (first `length` held) nearest to `step`, the earlier of two as near; -1 if none. */
export function rowOfStep(steps, length, step) {
  if (!(length > 0) || !Number.isFinite(step)) return -1;
  let lo = 0;
  let hi = length; // first row with steps[row] >= step
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (steps[mid] < step) lo = mid + 1;
    else hi = mid;
  }
  if (lo >= length) return length - 1;
  if (lo === 0 || steps[lo] === step) return lo;
  return step - steps[lo - 1] <= steps[lo] - step ? lo - 1 : lo;
}

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
     * Take in a decoded "frame" or "history" (rows and evaluations). Returns false when a frame
     * brought nothing new (a late frame from before a reset).
     */
    ingest(frame) {
      syncCapacities();
      if (frame.type === "history") {
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
