// Decoding of the monitor's custom messages (docs/protocol.md, "Monitor"): "frame" and "history"
// (rows of named float64 columns), "path" (the projected parameter path) and "surface" (the loss
// over the path's plane). Every binary buffer goes through `bufferAt`, the one place that turns
// what arrived into a typed array.

import { asTyped } from "../decode.js";

/** Buffer `i` of a message as a little-endian typed array of `Ctor` (empty when missing). */
export function bufferAt(buffers, i, Ctor) {
  const buf = (buffers || [])[i];
  return asTyped(buf, Ctor);
}

function count(value, name) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`gdwidget: monitor message field '${name}' must be an integer >= 0, got ${value}`);
  return n;
}

function exact(array, length, name) {
  if (array.length < length) throw new Error(`gdwidget: monitor buffer '${name}' holds ${array.length} values, expected ${length}`);
  return array.length === length ? array : array.subarray(0, length);
}

/**
 * Decode a "frame" or "history": `{type, n, columns, generation}` + buffers
 * `[steps f64 (n), column 0 f64 (n), column 1, ...]`.
 *
 * @returns {{type: string, n: number, generation: number, steps: Float64Array,
 *   columns: Map<string, Float64Array>}}
 */
export function decodeRows(content, buffers) {
  if (!content || (content.type !== "frame" && content.type !== "history")) {
    throw new Error(`gdwidget: not a monitor frame: ${content && content.type}`);
  }
  const n = count(content.n, "n");
  const names = Array.isArray(content.columns) ? content.columns.map(String) : [];
  if (new Set(names).size !== names.length) throw new Error(`gdwidget: repeated monitor columns: ${names}`);
  const bufs = buffers || [];
  if (bufs.length < 1 + names.length) {
    throw new Error(`gdwidget: a monitor ${content.type} with ${names.length} columns needs ${1 + names.length} buffers, got ${bufs.length}`);
  }
  const steps = exact(bufferAt(bufs, 0, Float64Array), n, "steps");
  const columns = new Map();
  names.forEach((name, i) => columns.set(name, exact(bufferAt(bufs, 1 + i, Float64Array), n, name)));
  const generation = content.generation == null ? 0 : Number(content.generation);
  return { type: content.type, n, generation, steps, columns };
}

/**
 * Decode a "path": `{n, projection, explained}` + `[steps f64 (n), xy f64 (n, 2)]`.
 *
 * @returns {{n: number, projection: string|null, explained: number[]|null, steps: Float64Array,
 *   xy: Float64Array}}  `xy[2 i]`, `xy[2 i + 1]`.
 */
export function decodePath(content, buffers) {
  if (!content || content.type !== "path") throw new Error(`gdwidget: not a path message: ${content && content.type}`);
  const n = count(content.n, "n");
  const steps = exact(bufferAt(buffers, 0, Float64Array), n, "path steps");
  const xy = exact(bufferAt(buffers, 1, Float64Array), n * 2, "path xy");
  const ex = content.explained;
  const explained = Array.isArray(ex) && ex.length === 2 && ex.every((v) => Number.isFinite(Number(v))) ? ex.map(Number) : null;
  return { n, projection: content.projection ?? null, explained, steps, xy };
}

/**
 * Decode a "surface": `{nx, ny, bounds: [[x0, x1], [y0, y1]], min, max}` + float32 (ny, nx),
 * row 0 at y0, as the grid that js/heatmap.js draws.
 */
export function decodeSurface(content, buffers) {
  if (!content || content.type !== "surface") throw new Error(`gdwidget: not a surface message: ${content && content.type}`);
  const nx = count(content.nx, "nx");
  const ny = count(content.ny, "ny");
  if (nx < 1 || ny < 1) throw new Error("gdwidget: a surface needs nx, ny >= 1");
  const b = content.bounds;
  const ok = Array.isArray(b) && b.length === 2 && b.every((p) => Array.isArray(p) && p.length === 2 && p.every((v) => Number.isFinite(Number(v))));
  if (!ok) throw new Error(`gdwidget: surface bounds must be [[x0, x1], [y0, y1]], got ${JSON.stringify(b)}`);
  const values = exact(bufferAt(buffers, 0, Float32Array), nx * ny, "surface");
  const num = (v) => (v == null ? Number.NaN : Number(v));
  return {
    values,
    nx,
    ny,
    x0: Number(b[0][0]),
    x1: Number(b[0][1]),
    y0: Number(b[1][0]),
    y1: Number(b[1][1]),
    zmin: num(content.min),
    zmax: num(content.max),
    log: true,
  };
}
