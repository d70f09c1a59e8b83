// Gradient arrows on the landscape (models with mini-batches): at each visible run's marker, the
// full-batch gradient (solid, the run's colour) and the current mini-batch's gradient (dashed,
// lighter), both pointing downhill. SVG, so that tests can read each arrow's direction.

import { h, setProp } from "./dom.js";
import { runInfo } from "./paths.js";
import { parseColor } from "./scales.js";

/** Longest arrow, as a fraction of the plot's smaller side. */
export const ARROW_CAP = 0.3;
/** Without a usable `scale`, the longest full-batch arrow gets this fraction of the smaller side. */
const FALLBACK_FRACTION = 0.18;
const HEAD = 9; // px

/** Shortest longer arrow of a run, px: shorter ones are drawn this long (both, same factor). */
export const ARROW_MIN_PX = 18;

/**
 * The drawn arrows of one run, in plane units: minus the gradients times `scale`, then both
 * multiplied by the same factor when the longer one would exceed `capPx` on screen, or be
 * shorter than `minPx` (so the two still compare, and a small gradient still shows its way).
 *
 * @param batch, full  [gx, gy] gradients in plane coordinates
 * @param scale        plane units per gradient unit
 * @param ax, ay       pixels per plane unit on each axis (signs ignored)
 * @returns {{batch: number[], full: number[], factor: number}} or null when not finite
 */
export function arrowVectors(batch, full, scale, ax, ay, capPx, minPx = ARROW_MIN_PX) {
  const b = [-scale * batch[0], -scale * batch[1]];
  const f = [-scale * full[0], -scale * full[1]];
  if (![...b, ...f].every(Number.isFinite)) return null;
  const px = (v) => Math.hypot(v[0] * ax, v[1] * ay);
  const longest = Math.max(px(b), px(f));
  const factor = longest > capPx ? capPx / longest : longest > 0 && longest < minPx ? minPx / longest : 1;
  return { batch: [b[0] * factor, b[1] * factor], full: [f[0] * factor, f[1] * factor], factor };
}

/**
 * A length factor when the kernel gave none: the longest full-batch gradient of the visible
 * runs becomes FALLBACK_FRACTION of the smaller side.
 */
export function fallbackScale(arrows, runs, ax, ay, sidePx) {
  let longest = 0;
  for (const r of runs) {
    const g = Math.hypot(arrows.full[2 * r] * ax, arrows.full[2 * r + 1] * ay);
    if (Number.isFinite(g) && g > longest) longest = g;
  }
  return longest > 0 ? (FALLBACK_FRACTION * sidePx) / longest : 0;
}

/** `color` mixed with white: t = 0 the colour, 1 white. */
export function lighten(color, t) {
  const [r, g, b] = parseColor(color);
  const mix = (c) => Math.round(c + (255 - c) * t);
  return `rgb(${mix(r)},${mix(g)},${mix(b)})`;
}

const fmt = (v) => String(Number(v.toPrecision(6)));

/** The SVG path of an arrow from (x0, y0) to (x1, y1) px: shaft, and the head as a triangle. */
function arrowPaths(x0, y0, x1, y1) {
  const len = Math.hypot(x1 - x0, y1 - y0);
  if (!(len > 0.5)) return { shaft: "", head: "" };
  const ux = (x1 - x0) / len;
  const uy = (y1 - y0) / len;
  const head = Math.min(HEAD, len * 0.6);
  const bx = x1 - ux * head;
  const by = y1 - uy * head;
  const w = head * 0.5;
  const p = (x, y) => `${x.toFixed(1)},${y.toFixed(1)}`;
  return {
    shaft: `M${p(x0, y0)}L${p(bx, by)}`,
    head: `M${p(x1, y1)}L${p(bx - uy * w, by + ux * w)}L${p(bx + uy * w, by - ux * w)}Z`,
  };
}

const svg = (tag, attrs, children = []) => h(`svg:${tag}`, attrs, children);

/**
 * The arrow layer: an absolutely placed SVG of the landscape's size, clipped to its plot area.
 * `draw(ax, bx, ay, by)` (pixel = a * value + b) redraws from the store.
 */
export function createArrowLayer(store, { width, height, plot }) {
  const clipId = `gd-arrow-clip-${Math.random().toString(36).slice(2, 10)}`;
  const group = svg("g", { "clip-path": `url(#${clipId})` });
  const clip = h("svg:clipPath", { id: clipId }, [svg("rect", { x: plot.left, y: plot.top, width: plot.width, height: plot.height })]);
  const el = h("svg:svg", { class: "gd-arrows", width, height, viewBox: `0 0 ${width} ${height}`, "aria-hidden": "true" }, [
    h("svg:defs", {}, [clip]),
    group,
  ]);

  function arrowGroup(kind, label, color, d, x0, y0, x1, y1) {
    const { shaft, head } = arrowPaths(x0, y0, x1, y1);
    const light = kind === "batch";
    const stroke = light ? lighten(color, 0.45) : color;
    return svg("g", {
      class: `gd-arrow gd-arrow-${kind}`,
      "data-testid": `gd-arrow-${kind}-${label}`,
      "data-dx": fmt(d[0]),
      "data-dy": fmt(d[1]),
    }, [
      // a dark halo under the light dashed arrow, a light one under the solid arrow in the run's
      // colour: both stand out on the dark valley floor where the runs end up
      svg("path", { d: shaft, class: `gd-arrow-halo${light ? "" : " gd-arrow-halo-light"}`, "stroke-width": light ? 4.5 : 6 }),
      svg("path", { d: head, class: `gd-arrow-halo${light ? "" : " gd-arrow-halo-light"}`, "stroke-width": 3 }),
      svg("path", {
        d: shaft,
        fill: "none",
        stroke,
        "stroke-width": light ? 2.2 : 3,
        "stroke-dasharray": light ? "5 3.5" : null,
        "stroke-linecap": light ? "butt" : "round",
      }),
      svg("path", { d: head, fill: stroke, stroke, "stroke-width": 1, "stroke-linejoin": "round" }),
    ]);
  }

  function draw(ax, bx, ay, by) {
    const arrows = store.arrows;
    const runs = store.runs;
    const meta = store.model.get("meta") ?? {};
    const items = [];
    if (arrows && runs.length && arrows.nRuns === runs.nRuns) {
      const visible = [];
      for (let r = 0; r < runs.nRuns; r++) {
        const info = runInfo(meta, r);
        if (!store.ui.hidden.has(info.label)) visible.push([r, info]);
      }
      const side = Math.min(plot.width, plot.height);
      const absX = Math.abs(ax);
      const absY = Math.abs(ay);
      const scale = arrows.scale > 0 ? arrows.scale : fallbackScale(arrows, visible.map(([r]) => r), absX, absY, side);
      for (const [r, { label, color }] of visible) {
        const i = runs.lastFinite(r);
        // a run that diverged has no gradient worth showing
        if (i < 0 || i < runs.length - 1) continue;
        const v = arrowVectors(
          [arrows.batch[2 * r], arrows.batch[2 * r + 1]],
          [arrows.full[2 * r], arrows.full[2 * r + 1]],
          scale,
          absX,
          absY,
          ARROW_CAP * side,
        );
        if (!v) continue;
        const x = runs.x[r][i];
        const y = runs.y[r][i];
        const x0 = ax * x + bx;
        const y0 = ay * y + by;
        // the mini-batch arrow under the full-batch one: where they agree, the solid one shows
        items.push(arrowGroup("batch", label, color, v.batch, x0, y0, ax * (x + v.batch[0]) + bx, ay * (y + v.batch[1]) + by));
        items.push(arrowGroup("full", label, color, v.full, x0, y0, ax * (x + v.full[0]) + bx, ay * (y + v.full[1]) + by));
      }
    }
    if (items.length || group.childElementCount) group.replaceChildren(...items);
    setProp(el.dataset, "count", String(items.length / 2));
    return items.length > 0;
  }

  return { el, draw };
}

/** The key under the landscape: what the two arrows are. */
export function arrowNote() {
  const sample = (dashed) =>
    h("svg:svg", { width: "26", height: "10", viewBox: "0 0 26 10", class: "gd-arrow-sample", "aria-hidden": "true" }, [
      svg("path", {
        d: "M1,5L18,5",
        stroke: "currentColor",
        "stroke-width": dashed ? 2 : 2.6,
        "stroke-dasharray": dashed ? "4 3" : null,
        fill: "none",
        opacity: dashed ? 0.6 : 1,
      }),
      svg("path", { d: "M25,5L17,1L17,9Z", fill: "currentColor", opacity: dashed ? 0.6 : 1 }),
    ]);
  return h("div", { class: "gd-arrow-note gd-muted", "data-testid": "gd-arrow-note", hidden: true }, [
    sample(false),
    h("span", { text: "full-batch gradient" }),
    sample(true),
    h("span", { text: "this mini-batch (both point downhill)" }),
  ]);
}
