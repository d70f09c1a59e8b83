// Model-wide state of one Playground in the page: the decoded, bounded run history, the grid,
// and the view options that every view of the model shares (hidden runs, log-y, slider values).
// One store per model, made in `initialize`; every `render` subscribes to it.

import { decodeGrid } from "./decode.js";

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
 * A tiny event emitter: `on(kind, fn)` returns an unsubscribe function; `emit(kind, ...args)`.
 * Kinds used: "data" (run history changed), "grid", "meta", "view", "status", "ui", "traits".
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
 *  - `runs`: a RunBuffer,
 *  - `step()`: the current step (`t` trait),
 *  - `grid()`: the decoded grid (cached until `grid` or `grid_meta` change),
 *  - `ui`: view options shared by all views of the model: `hidden` (Set of run labels),
 *    `logY` (bool or null: follow meta.log_scale), `lr` (group label -> slider value),
 *  - `events`: an Emitter.
 */
export function createStore(model, { capacity = 8192 } = {}) {
  const events = new Emitter();
  const runs = new RunBuffer(capacity);
  const ui = { hidden: new Set(), logY: null, lr: {} };
  let gridCache = null;
  let gridDirty = true;

  return {
    runs,
    ui,
    events,
    model,
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
