// Decoding of what the kernel sends: the binary frames ("frame" / "history" custom messages) and
// the `grid` bytes trait. See docs/protocol.md for the layout.

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * View `buf` (a DataView, any typed array, or an ArrayBuffer) as a typed array of `Ctor`
 * (Float32Array or Float64Array) holding little-endian values.
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
  if (size === 4) for (let i = 0; i < length; i++) out[i] = dv.getFloat32(i * 4, true);
  else for (let i = 0; i < length; i++) out[i] = dv.getFloat64(i * 8, true);
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
 * Decode a "frame" or "history" message.
 *
 * @param {object} content  `{type, n, n_runs, dims, first_step}`
 * @param {Array} buffers   `[steps, loss, xy, lr]` (DataViews in a real page)
 * @returns {{type: string, n: number, nRuns: number, dims: number, firstStep: number,
 *   steps: Float64Array, loss: Float32Array, xy: Float32Array, lr: Float32Array}}
 *   `loss[i * nRuns + r]`, `xy[(i * nRuns + r) * dims + d]`, `lr[i * nRuns + r]`.
 * @throws Error when the message is malformed (wrong type, missing or short buffers).
 */
export function decodeFrame(content, buffers) {
  if (!content || (content.type !== "frame" && content.type !== "history")) {
    throw new Error(`gdwidget: not a frame message: ${content && content.type}`);
  }
  const n = count(content.n, "n");
  const nRuns = count(content.n_runs, "n_runs");
  const dims = content.dims == null ? 2 : count(content.dims, "dims");
  if (nRuns < 1) throw new Error("gdwidget: message field 'n_runs' must be >= 1");
  if (dims < 1) throw new Error("gdwidget: message field 'dims' must be >= 1");
  const bufs = buffers || [];
  if (bufs.length < 3) throw new Error(`gdwidget: a ${content.type} needs 4 buffers, got ${bufs.length}`);
  const steps = exact(asTyped(bufs[0], Float64Array), n, "steps");
  const loss = exact(asTyped(bufs[1], Float32Array), n * nRuns, "loss");
  const xy = exact(asTyped(bufs[2], Float32Array), n * nRuns * dims, "xy");
  // lr is optional in practice (older kernels); NaN marks "unknown".
  let lr = bufs[3] == null ? null : asTyped(bufs[3], Float32Array);
  if (lr === null || lr.length < n * nRuns) lr = new Float32Array(n * nRuns).fill(Number.NaN);
  else lr = exact(lr, n * nRuns, "lr");
  const firstStep = content.first_step == null ? (n ? steps[0] : 0) : Number(content.first_step);
  return { type: content.type, n, nRuns, dims, firstStep, steps, loss, xy, lr };
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
