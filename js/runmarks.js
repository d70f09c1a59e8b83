// Marks over the landscape that tests can read (SVG): for a run whose current point is out of
// view, a small arrow on the edge pointing to it (`gd-edge-<label>`); for a diverged run, the end
// of its path (`gd-diverged-<label>`): an ✕ at its last finite point, or, when it left the view,
// an arrow and ✕ on the edge where it left, pointing the way it went.

import { h, setProp } from "./dom.js";
import { divergedMark, edgeMarker } from "./geometry.js";
import { isDiverged, runInfo, statusByLabel } from "./paths.js";

const svg = (tag, attrs, children = []) => h(`svg:${tag}`, attrs, children);
const f1 = (v) => v.toFixed(1);

function arrowHead(x, y, angle, size) {
  // tip at (x, y), pointing along `angle`
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const bx = x - c * size;
  const by = y - s * size;
  const w = size * 0.6;
  return `M${f1(x)},${f1(y)}L${f1(bx - s * w)},${f1(by + c * w)}L${f1(bx + s * w)},${f1(by - c * w)}Z`;
}

function crossPath(x, y, r) {
  return `M${f1(x - r)},${f1(y - r)}L${f1(x + r)},${f1(y + r)}M${f1(x + r)},${f1(y - r)}L${f1(x - r)},${f1(y + r)}`;
}

function mark(testid, kind, r, at, color, children) {
  return svg(
    "g",
    {
      class: `gd-runmark gd-runmark-${kind}`,
      "data-testid": testid,
      "data-run": String(r),
      "data-x": f1(at.x),
      "data-y": f1(at.y),
      "data-angle": at.angle == null ? "" : at.angle.toFixed(3),
      "data-in-view": at.inView ? "true" : "false",
      style: { color },
    },
    children,
  );
}

/**
 * The layer: an SVG of the landscape's size. `draw(px, rect)` (px: data -> [x, y] CSS px; rect:
 * the plot box) redraws it from the store; returns the number of marks.
 */
export function createRunMarks(store, { width, height }) {
  const el = svg("svg", { class: "gd-runmarks", width, height, viewBox: `0 0 ${width} ${height}`, "aria-hidden": "true" });

  function draw(px, rect) {
    const runs = store.runs;
    const meta = store.model.get("meta") ?? {};
    const statuses = statusByLabel(store.model.get("status"));
    const items = [];
    for (let r = 0; r < runs.nRuns && runs.length; r++) {
      const { label, color } = runInfo(meta, r);
      if (store.ui.hidden.has(label)) continue;
      const last = runs.lastFinite(r);
      if (last < 0) continue;
      if (isDiverged(runs, r, statuses.get(label))) {
        const at = divergedMark(rect, runs.x[r], runs.y[r], last, px);
        if (!at) continue;
        const parts = [];
        if (!at.inView) {
          const d = arrowHead(at.x, at.y, at.angle, 9);
          parts.push(svg("path", { d, class: "gd-runmark-halo", "stroke-width": 3 }), svg("path", { d, fill: "currentColor" }));
        }
        const cx = at.inView ? at.x : at.x - Math.cos(at.angle) * 14;
        const cy = at.inView ? at.y : at.y - Math.sin(at.angle) * 14;
        const d = crossPath(cx, cy, 6);
        parts.push(
          svg("path", { d, class: "gd-runmark-halo", "stroke-width": 5 }),
          svg("path", { d, stroke: "currentColor", "stroke-width": 2.5, "stroke-linecap": "round" }),
        );
        items.push(mark(`gd-diverged-${label}`, "diverged", r, at, color, parts));
        continue;
      }
      const [x, y] = px(runs.x[r][last], runs.y[r][last]);
      const at = edgeMarker(rect, x, y);
      if (!at) continue;
      const d = arrowHead(at.x, at.y, at.angle, 11);
      items.push(
        mark(`gd-edge-${label}`, "edge", r, at, color, [
          svg("title", {}, [`${label} is out of view`]),
          svg("path", { d, class: "gd-runmark-halo", "stroke-width": 3 }),
          svg("path", { d, fill: "currentColor" }),
        ]),
      );
    }
    if (items.length || el.childElementCount) el.replaceChildren(...items); // nothing to redo when empty
    setProp(el.dataset, "count", String(items.length));
    return items.length;
  }

  return { el, draw };
}
