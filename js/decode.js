// Decoding of what the kernel sends: `messageBuffers` (a message's buffers, whether they came
// binary or as base64; `toBase64` is the page's encoder for what it sends as base64), the binary
// frames ("frame" / "thin" / "history" custom messages, with their optional evaluations), the "arrows"
// and "model_view" messages, and the `grid` and `data` bytes traits.
// See docs/protocol.md for the layouts.

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * View `buf` (a DataView, any typed array, or an ArrayBuffer) as a typed array of `Ctor`
 * (Float32Array, Float64Array or Uint32Array) holding little-endian values.
 *
 * The result shares memory with `buf` when the platform is little-endian and the byte offset is
 * aligned to the element size; otherwise (odd offsets, big-endian hosts) it is a copy. Trailing
 * bytes that do not fill a whole element are ignored.
 */
export function asTyped(buf, Ctor) {
  if (buf == null) return new Ctor(0);
  let buffer;
  let offset;
  let byteLength;
  if (buf instanceof ArrayBuffer || (typeof SharedArrayBuffer !== "undefined" && buf instanceof SharedArrayBuffer)) {
    buffer = buf;
    offset = 0;
    byteLength = buf.byteLength;
  } else if (ArrayBuffer.isView(buf)) {
    buffer = buf.buffer;
    offset = buf.byteOffset;
    byteLength = buf.byteLength;
  } else {
    throw new TypeError(`gdwidget: expected a binary buffer, got ${Object.prototype.toString.call(buf)}`);
  }
  const size = Ctor.BYTES_PER_ELEMENT;
  const length = Math.floor(byteLength / size);
  if (LITTLE_ENDIAN && offset % size === 0) return new Ctor(buffer, offset, length);
  const out = new Ctor(length);
  const dv = new DataView(buffer, offset, length * size);
  const get = { Float32Array: dv.getFloat32, Float64Array: dv.getFloat64, Uint32Array: dv.getUint32 }[Ctor.name];
  for (let i = 0; i < length; i++) out[i] = get.call(dv, i * size, true);
  return out;
}

function count(value, name) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`gdwidget: message field '${name}' must be an integer >= 0, got ${value}`);
  return n;
}

function exact(array, length, name) {
  if (array.length < length) {
    throw new Error(`gdwidget: buffer '${name}' holds ${array.length} values, expected ${length}`);
  }
  return array.length === length ? array : array.subarray(0, length);
}

/**
 * Decode a "frame", "thin" or "history" message. A "thin" also has `keep` (Uint32Array: the rows
 * the page keeps of the `base` it holds, before appending the rows) and `base`.
 *
 * @param {object} content  `{type, n, n_runs, dims, first_step, evals?}`
 * @param {Array} buffers   `[steps, loss, xy, lr, (evals steps, one per evals key)]` (DataViews
 *   in a real page)
 * @returns {{type: string, n: number, nRuns: number, dims: number, firstStep: number,
 *   steps: Float64Array, loss: Float32Array, xy: Float32Array, lr: Float32Array, evals: object|null}}
 *   `loss[i * nRuns + r]`, `xy[(i * nRuns + r) * dims + d]`, `lr[i * nRuns + r]`; `evals` from
 *   `decodeEvals`, or null when the message has none.
 * @throws Error when the message is malformed (wrong type, missing or short buffers).
 */
export function decodeFrame(content, buffers) {
  if (!content || !["frame", "thin", "history"].includes(content.type)) {
    throw new Error(`gdwidget: not a frame message: ${content && content.type}`);
  }
  const n = count(content.n, "n");
  const nRuns = count(content.n_runs, "n_runs");
  const dims = content.dims == null ? 2 : count(content.dims, "dims");
  if (nRuns < 1) throw new Error("gdwidget: message field 'n_runs' must be >= 1");
  if (dims < 1) throw new Error("gdwidget: message field 'dims' must be >= 1");
  let bufs = buffers || [];
  let keep = null;
  let base = 0;
  if (content.type === "thin") {
    const thin = content.thin || {};
    base = count(thin.base, "thin.base");
    keep = exact(asTyped(bufs[bufs.length - 1], Uint32Array), count(thin.kept, "thin.kept"), "keep");
    for (let i = 0; i < keep.length; i++) {
      if (keep[i] >= base || (i && keep[i] <= keep[i - 1])) throw new Error("gdwidget: a thin's rows must increase, below its base");
    }
    bufs = bufs.slice(0, -1);
  }
  if (bufs.length < 4) throw new Error(`gdwidget: a ${content.type} needs 4 buffers, got ${bufs.length}`);
  const steps = exact(asTyped(bufs[0], Float64Array), n, "steps");
  const loss = exact(asTyped(bufs[1], Float32Array), n * nRuns, "loss");
  const xy = exact(asTyped(bufs[2], Float32Array), n * nRuns * dims, "xy");
  const lr = exact(asTyped(bufs[3], Float32Array), n * nRuns, "lr");
  const firstStep = content.first_step == null ? (n ? steps[0] : 0) : Number(content.first_step);
  const evals = content.evals == null ? null : decodeEvals(content.evals, nRuns, bufs.slice(4));
  return { type: content.type, n, nRuns, dims, firstStep, steps, loss, xy, lr, evals, keep, base };
}

/** The evaluation keys the views know; others are decoded too but not drawn. */
export const EVAL_KEYS = ["train_loss", "val_loss", "train_acc", "val_acc"];

/**
 * Decode the `evals` part of a frame: `{n: E, keys}` with the buffers after the four standard
 * ones, `[steps Float64Array(E), key 0 Float32Array(E * R), key 1, ...]`.
 *
 * @returns {{n: number, keys: string[], steps: Float64Array, values: Object<string, Float32Array>}}
 *   `values[key][i * nRuns + r]`.
 */
export function decodeEvals(evals, nRuns, buffers) {
  if (!evals || typeof evals !== "object") throw new Error("gdwidget: message field 'evals' must be an object");
  const n = count(evals.n, "evals.n");
  const keys = Array.isArray(evals.keys) ? evals.keys.map(String) : [];
  if (new Set(keys).size !== keys.length) throw new Error(`gdwidget: repeated evals keys: ${keys}`);
  if (buffers.length < 1 + keys.length) {
    throw new Error(`gdwidget: evals with ${keys.length} keys need ${1 + keys.length} buffers, got ${buffers.length}`);
  }
  const steps = exact(asTyped(buffers[0], Float64Array), n, "evals steps");
  const values = {};
  keys.forEach((key, k) => {
    values[key] = exact(asTyped(buffers[1 + k], Float32Array), n * nRuns, `evals ${key}`);
  });
  return { n, keys, steps, values };
}

function pair(value, name) {
  if (!Array.isArray(value) || value.length !== 2) throw new Error(`gdwidget: message field '${name}' must be [lo, hi]`);
  const out = [Number(value[0]), Number(value[1])];
  if (!out.every(Number.isFinite)) throw new Error(`gdwidget: message field '${name}' must be finite, got ${value}`);
  return out;
}

/**
 * Decode an "arrows" message: `{type: "arrows", n_runs: R, scale}` with one Float32Array(R * 4),
 * per run the mini-batch gradient (gx, gy) then the full-batch gradient (gx, gy).
 *
 * @returns {{nRuns: number, scale: number, step: number, batch: Float32Array, full: Float32Array}}
 *   `batch[2 r + d]`, `full[2 r + d]` (gradients, not yet negated).
 */
export function decodeArrows(content, buffers) {
  if (!content || content.type !== "arrows") throw new Error(`gdwidget: not an arrows message: ${content && content.type}`);
  const nRuns = count(content.n_runs, "n_runs");
  const values = exact(asTyped((buffers || [])[0], Float32Array), nRuns * 4, "arrows");
  const batch = new Float32Array(nRuns * 2);
  const full = new Float32Array(nRuns * 2);
  for (let r = 0; r < nRuns; r++) {
    batch[2 * r] = values[4 * r];
    batch[2 * r + 1] = values[4 * r + 1];
    full[2 * r] = values[4 * r + 2];
    full[2 * r + 1] = values[4 * r + 3];
  }
  const scale = Number(content.scale);
  return {
    nRuns,
    scale: Number.isFinite(scale) && scale > 0 ? scale : Number.NaN,
    step: content.step == null ? Number.NaN : Number(content.step),
    batch,
    full,
  };
}

/**
 * Decode a "model_view" message.
 *
 * line:     `{view: "line", n_runs: R, nx: G, x: [lo, hi]}` + Float32Array(R * G):
 *           `{view, nRuns, nx, x, values}` with `values[r * nx + i]` run r's prediction at
 *           `x[0] + i (x[1] - x[0]) / (nx - 1)`.
 * boundary: `{view: "boundary", run, nx, ny, x0, x1, n_classes}` + Float32Array(ny * nx):
 *           `{view, run, nx, ny, x0, x1, nClasses, values}`, row-major, row 0 at `x1[0]`.
 */
export function decodeModelView(content, buffers) {
  if (!content || content.type !== "model_view") throw new Error(`gdwidget: not a model_view message: ${content && content.type}`);
  const buf = (buffers || [])[0];
  if (content.view === "line") {
    const nRuns = count(content.n_runs, "n_runs");
    const nx = count(content.nx, "nx");
    if (nx < 2) throw new Error("gdwidget: a line model_view needs nx >= 2");
    const values = exact(asTyped(buf, Float32Array), nRuns * nx, "model_view");
    return { view: "line", nRuns, nx, x: pair(content.x, "x"), values };
  }
  if (content.view === "boundary") {
    const nx = count(content.nx, "nx");
    const ny = count(content.ny, "ny");
    if (nx < 1 || ny < 1) throw new Error("gdwidget: a boundary model_view needs nx, ny >= 1");
    const values = exact(asTyped(buf, Float32Array), nx * ny, "model_view");
    return {
      view: "boundary",
      run: count(content.run ?? 0, "run"),
      nx,
      ny,
      x0: pair(content.x0, "x0"),
      x1: pair(content.x1, "x1"),
      nClasses: count(content.n_classes ?? 2, "n_classes"),
      values,
    };
  }
  throw new Error(`gdwidget: unknown model_view '${content.view}'`);
}

/**
 * Decode the `data` bytes trait with `data_meta`: n rows of (x0, x1, t), little-endian float32.
 * Returns null when there is none or the size does not match (while the traits arrive).
 */
export function decodeData(bytes, meta) {
  if (!bytes || !meta) return null;
  const n = Number(meta.n);
  if (!Number.isInteger(n) || n < 0) return null;
  const values = asTyped(bytes, Float32Array);
  if (values.length !== n * 3) return null;
  const range = (v) => (Array.isArray(v) && v.length === 2 && v.every((a) => Number.isFinite(Number(a))) ? [Number(v[0]), Number(v[1])] : null);
  return {
    n,
    values,
    view: meta.view ?? null,
    x0: range(meta.x0),
    x1: range(meta.x1),
    t: range(meta.t),
    nClasses: Number(meta.n_classes) || 0,
  };
}

/**
 * Decode the `grid` bytes trait together with `grid_meta`.
 * Returns null when there is no grid or its size does not match `grid_meta` (a transient state
 * while the two traits arrive).
 */
export function decodeGrid(bytes, meta) {
  if (!bytes || !meta) return null;
  const nx = Number(meta.nx);
  const ny = Number(meta.ny);
  if (!(nx >= 1 && ny >= 1)) return null;
  const values = asTyped(bytes, Float32Array);
  if (values.length !== nx * ny) return null;
  return {
    values,
    nx,
    ny,
    x0: Number(meta.x0),
    x1: Number(meta.x1),
    y0: Number(meta.y0),
    y1: Number(meta.y1),
    zmin: meta.zmin == null ? Number.NaN : Number(meta.zmin),
    zmax: meta.zmax == null ? Number.NaN : Number(meta.zmax),
    log: Boolean(meta.log),
  };
}

/**
 * Bytes of a base64 string, as a DataView (like a buffer that came binary). Throws on a string
 * that is not base64.
 */
export function fromBase64(text) {
  if (typeof text !== "string") throw new TypeError(`gdwidget: a base64 buffer must be a string, got ${typeof text}`);
  const bin = atob(text);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new DataView(bytes.buffer);
}

/**
 * A base64 string of `bytes` (an ArrayBuffer, a typed array or a DataView): the twin of
 * `fromBase64`, for what the page sends as base64 (a capture's PNG, docs/protocol.md).
 */
export function toBase64(bytes) {
  const u8 = ArrayBuffer.isView(bytes) ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : new Uint8Array(bytes);
  let bin = "";
  const CHUNK = 0x8000; // String.fromCharCode takes its bytes as arguments: a bounded number at once
  for (let i = 0; i < u8.length; i += CHUNK) bin += String.fromCharCode.apply(null, u8.subarray(i, i + CHUNK));
  return btoa(bin);
}

/**
 * The buffers of a custom message from the kernel, whichever way they came (docs/protocol.md,
 * "Buffers fallback"): base64 strings in `content.b64` (a widget the kernel switched to base64),
 * else the message's binary buffers (DataViews, typed arrays or ArrayBuffers; a manager that
 * loses them passes undefined or []).
 *
 * @param {object} content  the message's JSON content; `n_buffers` says how many it carries
 * @param {Array|undefined} buffers  the binary buffers the widget manager delivered
 * @returns {Array|null} the buffers (DataViews or what the manager gave), or null when fewer
 *   arrived than `content.n_buffers` says were sent (they were lost on the way)
 */
export function messageBuffers(content, buffers) {
  if (content && Array.isArray(content.b64)) return content.b64.map(fromBase64);
  const got = Array.isArray(buffers) ? buffers : [];
  const sent = Number(content?.n_buffers ?? 0);
  if (Number.isFinite(sent) && got.length < sent) return null;
  return got;
}
