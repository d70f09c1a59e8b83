// Geometry of runs over the landscape, free of DOM: the box that fits the paths, where a run out
// of view sits on the view's edge, where a diverged path left the view, and which run is under
// the pointer. Pixel coordinates are CSS px inside the landscape element; `rect` is the plot box
// `{left, top, width, height}`; `px(x, y)` maps data to pixels.

/** Indices of the runs not hidden, with their labels (`label(r)` from meta). */
export function visibleIndices(store, label) {
  const out = [];
  for (let r = 0; r < store.runs.nRuns; r++) if (!store.ui.hidden.has(label(r))) out.push(r);
  return out;
}

/**
 * The view box `[[x0, x1], [y0, y1]]` around every finite held point of the runs `indices`,
 * widened by `margin` (a fraction of each side) and to at least `minSpan`; null without points.
 */
export function fitBounds(runs, indices, { margin = 0.08, minSpan = 1e-6 } = {}) {
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (const r of indices) {
    const xs = runs.x[r];
    const ys = runs.y[r];
    for (let i = 0; i < runs.length; i++) {
      const x = xs[i];
      const y = ys[i];
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  if (!(x0 <= x1 && y0 <= y1)) return null;
  const widen = (lo, hi) => {
    let span = hi - lo;
    const floor = Math.max(minSpan, Math.abs(lo) * 1e-9, Math.abs(hi) * 1e-9);
    if (span < floor) {
      const mid = (lo + hi) / 2;
      lo = mid - floor / 2;
      hi = mid + floor / 2;
      span = floor;
    }
    return [lo - span * margin, hi + span * margin];
  };
  return [widen(x0, x1), widen(y0, y1)];
}

const inside = (rect, x, y) => x >= rect.left && x <= rect.left + rect.width && y >= rect.top && y <= rect.top + rect.height;

/**
 * Where the ray from (ox, oy) towards (tx, ty) meets the border of `rect` shrunk by `inset`:
 * `{x, y, angle}` (angle of the direction in radians, screen y down), or null when the target is
 * inside. Infinite targets work by their direction.
 */
export function rayToEdge(rect, ox, oy, tx, ty, inset = 0) {
  const l = rect.left + inset;
  const r = rect.left + rect.width - inset;
  const t = rect.top + inset;
  const b = rect.top + rect.height - inset;
  if (tx >= l && tx <= r && ty >= t && ty <= b) return null;
  let dx = tx - ox;
  let dy = ty - oy;
  if (!Number.isFinite(dx) || !Number.isFinite(dy)) {
    // keep only the direction of an infinite target
    dx = Number.isFinite(dx) ? 0 : Math.sign(dx);
    dy = Number.isFinite(dy) ? 0 : Math.sign(dy);
    if (Number.isNaN(dx) || Number.isNaN(dy)) return null;
  }
  if (dx === 0 && dy === 0) return null;
  let k = Infinity;
  if (dx > 0) k = Math.min(k, (r - ox) / dx);
  if (dx < 0) k = Math.min(k, (l - ox) / dx);
  if (dy > 0) k = Math.min(k, (b - oy) / dy);
  if (dy < 0) k = Math.min(k, (t - oy) / dy);
  if (!Number.isFinite(k)) return null;
  k = Math.max(0, k);
  return { x: ox + k * dx, y: oy + k * dy, angle: Math.atan2(dy, dx) };
}

/**
 * The edge marker of a point (px, py) outside the plot: on the border, on the line from the
 * plot's centre towards the point. null when the point is in view.
 */
export function edgeMarker(rect, px, py, inset = 6) {
  if (inside(rect, px, py)) return null;
  const cx = rect.left + rect.width / 2;
  const cy = rect.top + rect.height / 2;
  return rayToEdge(rect, cx, cy, px, py, inset);
}

/**
 * Where a diverged run's path ends on screen: its last finite point `i` when that is in view
 * (`{x, y, angle: null, inView: true}`), else where the path last left the view (the segment
 * from its last point in view to the next one meets the border), pointing the way it went. A
 * path never in view gives the edge marker of its last point. null without a finite point.
 */
export function divergedMark(rect, xs, ys, last, px) {
  if (last < 0) return null;
  const [lx, ly] = px(xs[last], ys[last]);
  if (inside(rect, lx, ly)) return { x: lx, y: ly, angle: null, inView: true, index: last };
  for (let i = last - 1; i >= 0; i--) {
    if (!Number.isFinite(xs[i]) || !Number.isFinite(ys[i])) continue;
    const [ax, ay] = px(xs[i], ys[i]);
    if (!inside(rect, ax, ay)) continue;
    const [bx, by] = px(xs[i + 1], ys[i + 1]);
    const hit = rayToEdge(rect, ax, ay, bx, by);
    if (hit) return { ...hit, inView: false, index: last };
  }
  const hit = edgeMarker(rect, lx, ly, 0);
  return hit ? { ...hit, inView: false, index: last } : null;
}

/**
 * The held row nearest to the pointer (qx, qy) among the runs `indices`, within `maxPx`:
 * `{r, i, dist}` or null. Rows are compared by their pixel positions.
 */
export function pickNearest(runs, indices, px, qx, qy, maxPx = 8) {
  let best = null;
  let bestD = maxPx * maxPx;
  for (const r of indices) {
    const xs = runs.x[r];
    const ys = runs.y[r];
    for (let i = 0; i < runs.length; i++) {
      const x = xs[i];
      const y = ys[i];
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      const [sx, sy] = px(x, y);
      const d = (sx - qx) ** 2 + (sy - qy) ** 2;
      if (d <= bestD) {
        bestD = d;
        best = { r, i, dist: Math.sqrt(d) };
      }
    }
  }
  return best;
}
