// The replay page's embedded data (gdwidget/export/codec.py): JSON with base64 little-endian
// arrays. `readReplay` decodes it once; `frameOf` cuts the rows [k0, k1) as the decoded
// "frame" / "history" the store takes (js/decode.js's shape); `statusAt` is each run's status
// entry as it was at a row.

import { asTyped } from "../decode.js";

/** Bytes of a base64 string. */
export function base64Bytes(text) {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** A `{dtype: "f8" | "f4", shape, data}` entry as a Float64Array or Float32Array. */
export function decodeArray(entry) {
  if (!entry || typeof entry.data !== "string") throw new Error("gdwidget replay: an array entry needs base64 'data'");
  const Ctor = entry.dtype === "f8" ? Float64Array : Float32Array;
  const values = asTyped(base64Bytes(entry.data), Ctor);
  const expected = (entry.shape ?? [values.length]).reduce((a, b) => a * b, 1);
  if (values.length !== expected) throw new Error(`gdwidget replay: array holds ${values.length} values, its shape says ${expected}`);
  return values;
}

/**
 * Decode the embedded document. Returns `{kind, title, meta, view, n, nRuns, steps, loss, xy,
 * lr, gradNorm, status, stopStep, grid: {bytes, meta} | null, evals: {keys, steps, values} | null}`
 * with `loss[i * nRuns + r]`, `xy[(i * nRuns + r) * 2 + d]` (NaN where the source had no 2-D
 * points).
 */
export function readReplay(doc) {
  if (!doc || doc.format !== "gdwidget-replay") throw new Error(`gdwidget replay: unknown data format ${doc && doc.format}`);
  const n = Number(doc.n);
  const nRuns = Number(doc.n_runs);
  if (!(Number.isInteger(n) && n >= 1 && Number.isInteger(nRuns) && nRuns >= 1)) throw new Error("gdwidget replay: no rows to replay");
  const a = doc.arrays ?? {};
  const xy = a.xy ? decodeArray(a.xy) : new Float64Array(n * nRuns * 2).fill(Number.NaN);
  let evals = null;
  if (doc.evals && Array.isArray(doc.evals.keys)) {
    const values = {};
    for (const key of doc.evals.keys) if (doc.evals[key]) values[key] = decodeArray(doc.evals[key]);
    evals = { keys: Object.keys(values), steps: decodeArray(doc.evals.step), values };
  }
  return {
    kind: doc.kind,
    title: String(doc.title ?? "gdwidget"),
    meta: doc.meta ?? {},
    view: doc.view,
    n,
    nRuns,
    steps: decodeArray(a.steps),
    loss: decodeArray(a.loss),
    xy,
    hasPoints: Boolean(a.xy),
    lr: decodeArray(a.lr),
    gradNorm: a.grad_norm ? decodeArray(a.grad_norm) : null,
    status: Array.isArray(doc.status) ? doc.status : [],
    stopStep: Array.isArray(doc.stop_step) ? doc.stop_step.map(Number) : [],
    grid: doc.grid ? { bytes: new Uint8Array(decodeArray(doc.grid.values).buffer), meta: doc.grid.meta } : null,
    evals,
  };
}

/** Index of the first of `sorted[0..len)` greater than `v`. */
export function upperBound(sorted, v, len = sorted.length) {
  let lo = 0;
  let hi = len;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The rows [k0, k1) as a decoded frame of `type` ("history": replace, "frame": append). */
export function frameOf(data, k0, k1, type) {
  const R = data.nRuns;
  const steps = data.steps.subarray(k0, k1);
  let evals = null;
  if (data.evals) {
    const last = k1 > 0 ? data.steps[k1 - 1] : -Infinity;
    const first = k0 > 0 ? data.steps[k0 - 1] : -Infinity;
    const e0 = upperBound(data.evals.steps, first);
    const e1 = upperBound(data.evals.steps, last);
    const values = {};
    for (const key of data.evals.keys) values[key] = data.evals.values[key].subarray(e0 * R, e1 * R);
    evals = { n: e1 - e0, keys: data.evals.keys, steps: data.evals.steps.subarray(e0, e1), values };
  }
  return {
    type,
    n: k1 - k0,
    nRuns: R,
    dims: 2,
    firstStep: k1 > k0 ? steps[0] : 0,
    steps,
    loss: data.loss.subarray(k0 * R, k1 * R),
    xy: data.xy.subarray(k0 * R * 2, k1 * R * 2),
    lr: data.lr.subarray(k0 * R, k1 * R),
    evals: evals && (type === "history" || evals.n) ? evals : null,
  };
}

/**
 * Each run's `status` entry as of row `index`: its final entry once it has stopped (or at the
 * last row), else "running" with its latest finite loss.
 */
export function statusAt(data, index) {
  const step = data.steps[index];
  const R = data.nRuns;
  const out = [];
  for (let r = 0; r < R; r++) {
    const final = data.status[r] ?? { label: data.meta?.runs?.[r]?.label ?? `run ${r}`, status: "running" };
    const stop = data.stopStep[r] ?? -1;
    if (index >= data.n - 1 || (stop >= 0 && stop <= step)) {
      out.push(final);
      continue;
    }
    let loss = null;
    for (let i = index; i >= 0; i--) {
      const v = data.loss[i * R + r];
      if (Number.isFinite(v)) {
        loss = v;
        break;
      }
    }
    out.push({ label: final.label, status: "running", step, loss, note: null });
  }
  return out;
}
