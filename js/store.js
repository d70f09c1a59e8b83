// Model-wide state of one Playground in the page: the decoded, bounded run history, the grid,
// and the view options that every view of the model shares (hidden runs, log-y, slider values).
// One store per model, made in `initialize`; every `render` subscribes to it.

import { decodeData, decodeGrid } from "./decode.js";

/**
 * Bounded per-run history, stored by column: `steps[i]`, and per run r `loss[r][i]`, `x[r][i]`,
 * `y[r][i]`, `lr[r][i]` for rows i < `length`.
 *
 * When an append makes it longer than `capacity`, it is halved (repeatedly if needed): every
 * other row is kept, and so are the first and the last rows and, for every run, the rows of its
 * smallest and largest finite loss. Steps stay increasing.
 */
export class RunBuffer {
  constructor(capacity = 8192) {
    if (!(capacity >= 8)) throw new Error(`gdwidget: capacity must be >= 8, got ${capacity}`);
    this.capacity = capacity;
    this.nRuns = 0;
    this.dims = 2;
    this.length = 0;
    this.decimations = 0;
    // bumped whenever held rows change other than by appending (replace, decimate): views that
    // draw incrementally start over then
    this.epoch = 0;
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
    const size = Math.max(rows, Math.min(this.capacity * 2, this.rows * 2 || 64));
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
    this._alloc(frame.nRuns, Math.min(Math.max(frame.n, 64), this.capacity * 2));
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
        this._alloc(frame.nRuns, Math.max(frame.n, 64));
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
      if (this.length > this.capacity) this.decimate();
    }
    return added;
  }

  /** Halve the rows (see the class comment). */
  decimate() {
    const n = this.length;
    if (n < 3) return;
    const keep = new Uint8Array(n);
    for (let i = 0; i < n; i += 2) keep[i] = 1;
    keep[n - 1] = 1;
    for (let r = 0; r < this.nRuns; r++) {
      const loss = this.loss[r];
      let iMin = -1;
      let iMax = -1;
      for (let i = 0; i < n; i++) {
        const v = loss[i];
        if (!Number.isFinite(v)) continue;
        if (iMin < 0 || v < loss[iMin]) iMin = i;
        if (iMax < 0 || v > loss[iMax]) iMax = i;
      }
      if (iMin >= 0) keep[iMin] = 1;
      if (iMax >= 0) keep[iMax] = 1;
      // the last finite point of a run that diverged is where its marker goes
      const iLast = this.lastFinite(r);
      if (iLast >= 0) keep[iLast] = 1;
    }
    let w = 0;
    for (let i = 0; i < n; i++) {
      if (!keep[i]) continue;
      if (w !== i) {
        this.steps[w] = this.steps[i];
        for (let r = 0; r < this.nRuns; r++) {
          this.loss[r][w] = this.loss[r][i];
          this.x[r][w] = this.x[r][i];
          this.y[r][w] = this.y[r][i];
          this.lr[r][w] = this.lr[r][i];
        }
      }
      w++;
    }
    this.length = w;
    this.decimations++;
    this.epoch++;
  }

  /** Row index of run r's last finite point (x, y and loss finite), or -1. */
  lastFinite(r) {
    const x = this.x[r];
    const y = this.y[r];
    for (let i = this.length - 1; i >= 0; i--) {
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
 * Bounded full-data evaluations (the `evals` part of frames), stored by column: `steps[i]` and,
 * per key and run, `values.get(key)[r][i]` for rows i < `length`. Keys are kept in the order
 * they first arrive; a key missing from a later message reads NaN in its rows.
 *
 * When an append makes it longer than `capacity`, every other row is dropped (the first and
 * the last are kept), repeatedly if needed.
 */
export class EvalBuffer {
  constructor(capacity = 4096) {
    if (!(capacity >= 4)) throw new Error(`gdwidget: capacity must be >= 4, got ${capacity}`);
    this.capacity = capacity;
    this.nRuns = 0;
    this.length = 0;
    this.rows = 0;
    this.keys = [];
    this.steps = new Float64Array(0);
    this.values = new Map();
    this.decimations = 0;
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
    const size = Math.max(rows, Math.min(this.capacity * 2, Math.max(this.rows * 2, 32)));
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
      if (this.length > this.capacity) this.decimate();
    }
    return added;
  }

  /** Drop every other row, keeping the first and the last. */
  decimate() {
    const n = this.length;
    if (n < 3) return;
    let w = 0;
    for (let i = 0; i < n; i++) {
      if (i % 2 && i !== n - 1) continue;
      if (w !== i) {
        this.steps[w] = this.steps[i];
        for (const cols of this.values.values()) for (const col of cols) col[w] = col[i];
      }
      w++;
    }
    for (const cols of this.values.values()) for (const col of cols) col.fill(Number.NaN, w, n);
    this.length = w;
    this.decimations++;
    this.epoch++;
  }

  /** The last value of `key` for run r, or NaN. */
  last(key, r) {
    const cols = this.values.get(key);
    return cols && this.length && r < this.nRuns ? cols[r][this.length - 1] : Number.NaN;
  }
}

/**
 * A tiny event emitter: `on(kind, fn)` returns an unsubscribe function; `emit(kind, ...args)`.
 * Kinds used: "data" (run history changed), "evals", "arrows", "model_view", "points" (the
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
 *  - `runs`: a RunBuffer, and `evals`: an EvalBuffer (full-data evaluations of models),
 *  - `arrows`: the latest decoded "arrows" message, or null,
 *  - `modelViews`: the latest decoded "model_view" message of each view (`line`, `boundary`),
 *  - `points()`: the decoded `data` trait (training examples for the model view), or null,
 *  - `step()`: the current step (`t` trait),
 *  - `grid()`: the decoded grid (cached until `grid` or `grid_meta` change),
 *  - `ui`: view options shared by all views of the model: `hidden` (Set of run labels),
 *    `logY` (bool or null: follow meta.log_scale), `lr` (group label -> slider value),
 *  - `events`: an Emitter.
 */
export function createStore(model, { capacity = 8192, evalCapacity = 4096 } = {}) {
  const events = new Emitter();
  const runs = new RunBuffer(capacity);
  const evals = new EvalBuffer(evalCapacity);
  const ui = { hidden: new Set(), logY: null, lr: {}, showAcc: false };
  let gridCache = null;
  let gridDirty = true;
  let pointsCache = null;
  let pointsDirty = true;

  return {
    runs,
    evals,
    arrows: null,
    modelViews: { line: null, boundary: null },
    ui,
    events,
    model,
    /**
     * Take in a decoded "frame" or "history" (rows and evaluations). Returns false when a frame
     * brought nothing new (a late frame from before a reset).
     */
    ingest(frame) {
      if (frame.type === "history") {
        runs.replace(frame);
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
  const groups = Array.isArray(meta.groups) ? meta.groups.map((g) => (g && typeof g === "object" ? { ...g, lr: null } : g)) : meta.groups;
  return JSON.stringify({ ...meta, groups });
}
