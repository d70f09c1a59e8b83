// Model-wide state of one monitor in the page: the rows the kernel sent (a table of named
// float64 columns by step), the latest path and surface, and the view options every view of the
// model shares (smoothing, log y). One store per model; every view subscribes to its events.

import { Emitter } from "../store.js";

/**
 * The rows the kernel sent, by column: `steps[i]` and `column(name)[i]` for i < `length`.
 *
 * A "history" replaces everything and sets the generation; a "frame" of the same generation
 * replaces the rows from its first step on (usually: appends; the last row again when the kernel
 * merged a value into it); a frame of another generation is dropped (the kernel thinned its
 * history and a new "history" follows). Before the first history a frame is taken and its
 * generation adopted.
 * A column that appears late reads NaN on the earlier rows; one missing from a frame reads NaN
 * on its rows. The table never thins on its own: it keeps exactly the rows sent.
 */
export class RowTable {
  constructor() {
    this.length = 0;
    this.rows = 0;
    this.steps = new Float64Array(0);
    this.cols = new Map();
    this.generation = null;
    this.epoch = 0; // bumped when rows change other than by appending
  }

  /** Column `name` (a view of the held rows), or null when never sent. */
  column(name) {
    const col = this.cols.get(name);
    return col ? col.subarray(0, this.length) : null;
  }

  names() {
    return [...this.cols.keys()];
  }

  _grow(rows) {
    if (rows <= this.rows) return;
    const size = Math.max(rows, this.rows * 2, 64);
    const grow = (a) => {
      const b = new Float64Array(size).fill(Number.NaN);
      b.set(a.subarray(0, this.length));
      return b;
    };
    this.steps = grow(this.steps);
    for (const [name, col] of this.cols) this.cols.set(name, grow(col));
    this.rows = size;
  }

  _column(name) {
    let col = this.cols.get(name);
    if (!col) {
      col = new Float64Array(this.rows).fill(Number.NaN);
      this.cols.set(name, col);
    }
    return col;
  }

  _write(decoded) {
    const n = decoded.n;
    if (n <= 0) return 0;
    const at = this.length;
    this._grow(at + n);
    this.steps.set(decoded.steps, at);
    for (const [name, values] of decoded.columns) this._column(name).set(values, at);
    for (const [name, col] of this.cols) if (!decoded.columns.has(name)) col.fill(Number.NaN, at, at + n);
    this.length = at + n;
    return n;
  }

  /** Replace every row with a decoded "history". */
  replace(decoded) {
    this.length = 0;
    this.cols = new Map();
    this.rows = 0;
    this.steps = new Float64Array(0);
    this.generation = decoded.generation;
    this.epoch += 1;
    this._write(decoded);
  }

  /**
   * Add a decoded "frame"; returns the rows written (0 for a frame of another generation).
   * A frame replaces the held rows from its first step on: the kernel merges values logged at
   * the last step into that step's row and sends the row again.
   */
  append(decoded) {
    if (this.generation === null) this.generation = decoded.generation;
    else if (decoded.generation !== this.generation) return 0;
    if (decoded.n === 0) return 0;
    const first = decoded.steps[0];
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.steps[mid] < first) lo = mid + 1;
      else hi = mid;
    }
    if (lo < this.length) this.epoch += 1;
    this.length = lo;
    return this._write(decoded);
  }

  /** The last finite value of column `name` and its step, or null. */
  last(name) {
    const col = this.cols.get(name);
    if (!col) return null;
    for (let i = this.length - 1; i >= 0; i--) if (Number.isFinite(col[i])) return { step: this.steps[i], value: col[i] };
    return null;
  }
}

/**
 * The store of one monitor model: `table` (RowTable), `path` (decoded "path" or null),
 * `surface` (decoded "surface" or null), `ui` ({smooth, logY}: null follows meta), `events`.
 * Events: "data" (rows changed), "path", "surface", "meta", "status", "ui", "theme", "connection".
 */
export function createMonitorStore(model) {
  const events = new Emitter();
  const table = new RowTable();
  const store = {
    model,
    events,
    table,
    path: null,
    surface: null,
    ui: { smooth: null, logY: null },
    meta() {
      const m = model.get("meta");
      return m && typeof m === "object" ? m : {};
    },
    /** The EMA factor in [0, 1): the page's own choice, else meta.smooth. */
    smooth() {
      const s = store.ui.smooth ?? Number(store.meta().smooth ?? 0);
      return Number.isFinite(s) ? Math.min(0.999, Math.max(0, s)) : 0;
    },
    logY() {
      return store.ui.logY ?? Boolean(store.meta().log_y);
    },
    setSmooth(value) {
      store.ui.smooth = Number(value);
      events.emit("ui", "smooth");
    },
    setLogY(value) {
      store.ui.logY = Boolean(value);
      events.emit("ui", "logY");
    },
    ingest(decoded) {
      if (decoded.type === "history") table.replace(decoded);
      else if (!table.append(decoded)) return;
      events.emit("data");
    },
    setPath(decoded) {
      store.path = decoded;
      events.emit("path");
    },
    setSurface(decoded) {
      store.surface = decoded;
      events.emit("surface");
    },
  };
  return store;
}
