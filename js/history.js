// The kernel's run history and full-data evaluations as the page holds them: column buffers
// (RunBuffer, EvalBuffer) that keep exactly the rows the kernel sent, and the row of a step.
// The model's store (js/store.js) owns one of each.

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
 * appended, a "thin" says which rows to keep before its rows are appended. It never thins on its
 * own: the kernel keeps at most `meta.max_history` rows and says which it kept when it thins
 * (docs/protocol.md), so `capacity` (that number) only sizes the arrays.
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
   * Keep rows `keep` (increasing indices) of those held, in order. The epoch stays: the rows
   * kept are rows that were held, so a view that draws incrementally may go on (the store says
   * "thin").
   */
  keepRows(keep) {
    const columns = [this.steps, ...this.loss, ...this.x, ...this.y, ...this.lr];
    for (const a of columns) {
      for (let i = 0; i < keep.length; i++) a[i] = a[keep[i]];
    }
    this.length = keep.length;
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

/** The first of the `length` rows of `steps` whose step is >= `step` (> `step` when `after`). */
function bisect(steps, length, step, after = false) {
  let lo = 0;
  let hi = length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (steps[mid] < step || (after && steps[mid] === step)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** How many rows of `runs` hold a step at or before `step` (0 when `step` is NaN). */
export function rowsUpTo(runs, step) {
  return bisect(runs.steps, runs.length, step, true);
}

/** The row of `steps` (first `length` held) nearest to `step`, the earlier of two as near; -1 if none. */
export function rowOfStep(steps, length, step) {
  if (!(length > 0) || !Number.isFinite(step)) return -1;
  const lo = bisect(steps, length, step);
  if (lo >= length) return length - 1;
  if (lo === 0 || steps[lo] === step) return lo;
  return step - steps[lo - 1] <= steps[lo] - step ? lo - 1 : lo;
}
