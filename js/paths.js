// Runs over the landscape (polylines, markers, minima) and each run's label, colour, dash and
// status. The legend of runs is in js/legend.js.


// twelve colours that stay apart on the viridis landscape and on a white chart, then dashes
export const FALLBACK_COLORS = [
  "#e6550d",
  "#1f77b4",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#17becf",
  "#bcbd22",
  "#7f7f7f",
  "#ff9896",
  "#393b79",
];
export const FALLBACK_DASHES = [[], [7, 4], [2, 3], [9, 3, 2, 3], [4, 4], [12, 3, 2, 3, 2, 3]];
const MIN_SEGMENT_PX = 0.75; // shorter segments are merged into the next one
const RECENT = 8; // drawn segments a new one is compared with (see `covered`)
// A segment whose two ends fall in the cells of the two ends of one drawn before on the same
// canvas (cells of CELL_PX, either way round) is within CELL_PX * sqrt(2) of it: a run that
// scribbles about its minimum goes over a few hundred such segments for ever, and stroking
// them again each frame was most of the page's raster time. Up to SEEN_MAX segments per run.
const CELL_PX = 0.5;
const CELLS = 8192; // cells per axis that have keys: -1024 px to 3072 px
const SEEN_MAX = 1 << 17;
const LIMIT = 1e6; // clamp pixel coordinates so a diverging run does not upset the canvas

/** Run r's dash pattern when meta gives none: solid for the first twelve, then dashes. */
export function fallbackDash(r) {
  return FALLBACK_DASHES[Math.floor(r / FALLBACK_COLORS.length) % FALLBACK_DASHES.length];
}

/** Label, colour and dash (`[]`: solid) of run r from meta (with fallbacks). */
export function runInfo(meta, r) {
  const run = meta?.runs?.[r] ?? {};
  const dash = Array.isArray(run.dash) && run.dash.every((v) => Number.isFinite(v) && v >= 0) ? run.dash : fallbackDash(r);
  return {
    label: run.label != null ? String(run.label) : `run ${r}`,
    color: run.color ?? FALLBACK_COLORS[r % FALLBACK_COLORS.length],
    dash,
    group: run.group ?? null,
    hyper: run.hyper ?? {},
  };
}

/**
 * Whether run r diverged: its status says so, or its newest held row is not finite (a late
 * status, or an old kernel).
 */
export function isDiverged(runs, r, status) {
  // while seeking (the store's cursor, js/timeline.js): as of the row shown
  const seeking = runs.cursorRow != null;
  const n = seeking ? Math.min(runs.cursorRow + 1, runs.length) : runs.length;
  if (n <= 0) return false;
  if (status?.status === "diverged" && !(seeking && status.step > runs.steps[n - 1])) return true;
  const last = runs.lastFinite(r);
  return last < n - 1 || !Number.isFinite(runs.loss[r][n - 1]);
}

/** Map of run label -> entry of the `status` trait. */
export function statusByLabel(status) {
  const map = new Map();
  for (const s of Array.isArray(status) ? status : []) if (s && s.label != null) map.set(String(s.label), s);
  return map;
}

/** "a pixel", or a bound of more than one pixel rounded up to a tenth ("2.1 px"). */
export function pxText(px) {
  if (!(px > 1)) return "a pixel";
  return px < 10 ? `${(Math.ceil(px * 10) / 10).toFixed(1)} px` : `${Math.ceil(px)} px`;
}

/**
 * The legend's words for a run's status entry: its `note` when the kernel gives one, `idle`
 * ("paused", or "ready" before the first step) for a run still going while the loop stands;
 * then, where the kernel's rows hold the run's path only within more than a pixel
 * (`path_px`: it outgrew them, scribbling at its minimum), by how much.
 */
export function statusText(s, idle = "") {
  if (!s) return "";
  const text = statusWords(s, idle);
  const coarse = Number(s.path_px) > 1 && s.status !== "diverged"; // its own mark tells
  return coarse ? `${text} · path within ${pxText(Number(s.path_px))}` : text;
}

function statusWords(s, idle) {
  if (typeof s.note === "string" && s.note) return s.note;
  if (idle && (s.status === "running" || s.status == null)) return idle;
  const at = s.step == null ? "" : ` at step ${s.step}`;
  switch (s.status) {
    case "converged":
      return `converged${at}`;
    case "diverged":
      return `diverged${at}`;
    case "stopped":
      return `stopped${at}`;
    default:
      return s.status ?? "";
  }
}

/** `path`'s moveTo / lineTo that also note each point in `subpaths` (a new list per moveTo). */
function recording(path, subpaths) {
  let sub = null;
  return {
    moveTo(x, y) {
      path.moveTo(x, y);
      subpaths.push((sub = [[x, y]]));
    },
    lineTo(x, y) {
      path.lineTo(x, y);
      sub?.push([x, y]);
    },
  };
}

/** Whether the segment (ax, ay)-(bx, by) has both ends within MIN_SEGMENT_PX (L1) of the ends
 * of one of the first `count` segments of `recent`, either way round: then each of its points
 * is as near to that segment. */
function covered(recent, count, ax, ay, bx, by) {
  const near = (x0, y0, x1, y1) => Math.abs(x0 - x1) + Math.abs(y0 - y1) < MIN_SEGMENT_PX;
  for (let k = 0; k < count * 4; k += 4) {
    const [x0, y0, x1, y1] = [recent[k], recent[k + 1], recent[k + 2], recent[k + 3]];
    if ((near(ax, ay, x0, y0) && near(bx, by, x1, y1)) || (near(ax, ay, x1, y1) && near(bx, by, x0, y0))) return true;
  }
  return false;
}

/** The drawn-segment key of (ax, ay)-(bx, by), the same either way round; null off the cells. */
export function segmentKey(ax, ay, bx, by) {
  const cell = (x, y) => {
    const i = Math.floor(x / CELL_PX) + CELLS / 4;
    const j = Math.floor(y / CELL_PX) + CELLS / 4;
    return i >= 0 && i < CELLS && j >= 0 && j < CELLS ? i * CELLS + j : -1;
  };
  const a = cell(ax, ay);
  const b = cell(bx, by);
  if (a < 0 || b < 0) return null;
  return a <= b ? a * CELLS * CELLS + b : b * CELLS * CELLS + a;
}

const clampPx = (v) => (v > LIMIT ? LIMIT : v < -LIMIT ? -LIMIT : v);

function star(ctx, x, y, outer) {
  const inner = outer * 0.45;
  ctx.beginPath();
  for (let k = 0; k < 10; k++) {
    const a = -Math.PI / 2 + (k * Math.PI) / 5;
    const rad = k % 2 ? inner : outer;
    const px = x + rad * Math.cos(a);
    const py = y + rad * Math.sin(a);
    if (k) ctx.lineTo(px, py);
    else ctx.moveTo(px, py);
  }
  ctx.closePath();
}

/**
 * Draw the known minima: local ones as small white "+", global ones as a gold star.
 * `tx`, `ty` map data coordinates to pixels.
 */
export function drawMinima(ctx, meta, tx, ty) {
  const globals = Array.isArray(meta?.global_minima) ? meta.global_minima : [];
  const key = (p) => `${p[0]},${p[1]}`;
  const globalKeys = new Set(globals.map(key));
  ctx.save();
  for (const p of Array.isArray(meta?.minima) ? meta.minima : []) {
    if (!Array.isArray(p) || globalKeys.has(key(p))) continue;
    const x = tx(p[0]);
    const y = ty(p[1]);
    ctx.beginPath();
    ctx.moveTo(x - 5, y);
    ctx.lineTo(x + 5, y);
    ctx.moveTo(x, y - 5);
    ctx.lineTo(x, y + 5);
    ctx.strokeStyle = "rgba(0,0,0,0.6)";
    ctx.lineWidth = 3.5;
    ctx.stroke();
    ctx.strokeStyle = "#fff";
    ctx.lineWidth = 1.5;
    ctx.stroke();
  }
  for (const p of globals) {
    if (!Array.isArray(p)) continue;
    star(ctx, tx(p[0]), ty(p[1]), 8);
    ctx.fillStyle = "#ffd54a";
    ctx.strokeStyle = "rgba(0,0,0,0.75)";
    ctx.lineWidth = 1.2;
    ctx.fill();
    ctx.stroke();
  }
  ctx.restore();
}

function visibleRuns(store, meta) {
  const out = [];
  for (let r = 0; r < store.runs.nRuns; r++) {
    const info = runInfo(meta, r);
    if (!store.ui.hidden.has(info.label)) out.push([r, info]);
  }
  return out;
}

/**
 * Stroke the visible runs' polylines from row `from` on (0: everything; otherwise the segment
 * from row from - 1 is drawn too, so that successive calls join up). Points closer than
 * MIN_SEGMENT_PX to the last drawn one are merged, a segment that one of the last RECENT drawn
 * covers (both ends within MIN_SEGMENT_PX) is not drawn again, nor one whose key (segmentKey)
 * is in `seen[r]`, and every call ends on its last point.
 *
 * The landscape keeps these lines on their own canvas and only adds the new rows of each frame:
 * redrawing thousands of overlapping wide strokes every frame is what costs raster time.
 *
 * @param ax, bx, ay, by  pixel = a * value + b on each axis
 * @param record  optional object: `record[r]` gets each subpath stroked for run r, as the
 *   list of [px, py] it was given (read by tests through the landscape's `gdDrawn`)
 * @param seen  optional object: `seen[r]` holds the keys of the segments of run r on the canvas
 *   (the caller empties it with the canvas)
 */
export function drawTrails(ctx, store, meta, ax, bx, ay, by, from = 0, record = null, seen = null) {
  const runs = store.runs;
  const n = runs.length;
  const first = Math.max(0, from - 1);
  if (n - first < 1) return;
  const lines = [];
  for (const [r, { color, dash }] of visibleRuns(store, meta)) {
    const xs = runs.x[r];
    const ys = runs.y[r];
    const path = new Path2D();
    const out = record ? recording(path, (record[r] ??= [])) : path;
    const keys = seen ? (seen[r] ??= new Set()) : null;
    const recent = new Float64Array(RECENT * 4); // the last segments drawn: x0, y0, x1, y1
    let nRecent = 0;
    let pen = false;
    let moved = false; // the pen went on without drawing: the next line starts with a moveTo
    let lastX = 0;
    let lastY = 0;
    let skipped = false;
    let pendX = 0;
    let pendY = 0;
    const lineTo = (x, y) => {
      if (keys && keys.size < SEEN_MAX) {
        const key = segmentKey(lastX, lastY, x, y);
        if (key !== null) keys.add(key);
      }
      if (moved) out.moveTo(lastX, lastY);
      moved = false;
      out.lineTo(x, y);
      const k = (nRecent++ % RECENT) * 4;
      recent[k] = lastX;
      recent[k + 1] = lastY;
      recent[k + 2] = x;
      recent[k + 3] = y;
    };
    for (let i = first; i < n; i++) {
      const x = xs[i];
      const y = ys[i];
      if (!Number.isFinite(x) || !Number.isFinite(y)) {
        if (skipped) lineTo(pendX, pendY);
        pen = skipped = moved = false;
        continue;
      }
      const px = clampPx(ax * x + bx);
      const py = clampPx(ay * y + by);
      if (!pen) {
        out.moveTo(px, py);
        pen = true;
      } else if (Math.abs(px - lastX) + Math.abs(py - lastY) < MIN_SEGMENT_PX) {
        // a converging run piles thousands of points onto one pixel: drawing them costs
        // raster time and shows nothing
        skipped = true;
        pendX = px;
        pendY = py;
        continue;
      } else if (covered(recent, Math.min(nRecent, RECENT), lastX, lastY, px, py) || keys?.has(segmentKey(lastX, lastY, px, py))) {
        // a run that jitters about a point goes over the same few segments again and again:
        // within MIN_SEGMENT_PX of one drawn already, a segment adds nothing to the picture
        moved = true;
      } else {
        lineTo(px, py);
      }
      lastX = px;
      lastY = py;
      skipped = false;
    }
    if (skipped) lineTo(pendX, pendY);
    lines.push([path, color, dash]);
  }
  ctx.save();
  ctx.lineJoin = "round";
  ctx.lineCap = "round";
  // dark halos under every line first, then the colours: where runs share a valley, their
  // colours stay visible instead of being covered by the next run's halo
  ctx.strokeStyle = "rgba(0,0,0,0.4)";
  ctx.lineWidth = 4;
  for (const [path, , dash] of lines) {
    ctx.setLineDash(dash);
    ctx.stroke(path);
  }
  ctx.lineWidth = 2;
  for (const [path, color, dash] of lines) {
    ctx.setLineDash(dash);
    ctx.strokeStyle = color;
    ctx.stroke(path);
  }
  ctx.setLineDash([]);
  ctx.restore();
}

/**
 * The visible runs' markers, in drawing order: `{start, x, y, color}` for a hollow circle at
 * the start (`start` true) or a filled dot at the current point (a diverged run has none: its
 * end mark is in the SVG layer of runmarks.js). Pixels are rounded to 1/16 px.
 */
export function markerList(store, meta, status, ax, bx, ay, by) {
  const runs = store.runs;
  const out = [];
  if (!runs.length) return out;
  const statuses = statusByLabel(status);
  const visible = visibleRuns(store, meta);
  const at = (v) => Math.round(clampPx(v) * 16) / 16;
  for (const [r, { color }] of visible) {
    const x = runs.x[r][0];
    const y = runs.y[r][0];
    if (Number.isFinite(x) && Number.isFinite(y)) out.push({ start: true, x: at(ax * x + bx), y: at(ay * y + by), color });
  }
  for (const [r, { label, color }] of visible) {
    const last = runs.lastFinite(r);
    if (last < 0 || isDiverged(runs, r, statuses.get(label))) continue;
    out.push({ start: false, x: at(ax * runs.x[r][last] + bx), y: at(ay * runs.y[r][last] + by), color });
  }
  return out;
}

/** A string that changes whenever `markerList`'s picture would. */
export function markerKey(list) {
  return list.map((k) => `${k.start ? "s" : "d"}${k.x},${k.y},${k.color}`).join(";");
}

/** Paint `markerList`'s markers on `ctx`. */
export function paintMarkers(ctx, list) {
  ctx.save();
  for (const { start, x, y, color } of list) {
    if (start) {
      ctx.beginPath();
      ctx.arc(x, y, 3.5, 0, 2 * Math.PI);
      ctx.fillStyle = "rgba(255,255,255,0.85)";
      ctx.fill();
      ctx.strokeStyle = color;
      ctx.lineWidth = 1.5;
      ctx.stroke();
      continue;
    }
    ctx.beginPath();
    ctx.arc(x, y, 5.5, 0, 2 * Math.PI);
    ctx.fillStyle = color;
    ctx.fill();
    ctx.strokeStyle = "#fff";
    ctx.lineWidth = 2;
    ctx.stroke();
    ctx.beginPath();
    ctx.arc(x, y, 6.8, 0, 2 * Math.PI);
    ctx.strokeStyle = "rgba(0,0,0,0.5)";
    ctx.lineWidth = 0.8;
    ctx.stroke();
  }
  ctx.restore();
}
