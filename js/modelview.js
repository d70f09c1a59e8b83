// The model view: the training data and what the runs have learnt, from the `data` trait and
// the "model_view" messages. "line": data points (x, t) and each visible run's fitted curve;
// "boundary": the decision regions of one run (picked with a selector that sends `select_run`)
// under the data points coloured by class.

import { scaleLinear } from "d3-scale";

import { drawAxes as drawFrameAxes } from "./axes.js";
import { frameScheduler, h, sizeCanvas } from "./dom.js";
import { runInfo } from "./paths.js";
import { CLASS_COLORS, drawRegions, fillRegions } from "./regions.js";

// the region colours were defined here first: importable from here still
export { CLASS_COLORS, fillRegions };

const LIMIT = 1e6;
const clampPx = (v) => (v > LIMIT ? LIMIT : v < -LIMIT ? -LIMIT : v);

/** [lo, hi] widened by `pad` of its span on each side (and made non-empty). */
export function padRange(range, pad = 0.06) {
  let [lo, hi] = range;
  if (!(hi > lo)) {
    const c = Number.isFinite(lo) ? lo : 0;
    const d = Math.abs(c) * 0.1 || 1;
    return [c - d, c + d];
  }
  const d = (hi - lo) * pad;
  return [lo - d, hi + d];
}

function themeOf(el) {
  const cs = getComputedStyle(el);
  const v = (name, fallback) => cs.getPropertyValue(name).trim() || fallback;
  return {
    fg: v("--gd-fg", cs.color || "#333"),
    muted: v("--gd-fg-muted", "#888"),
    bg: v("--gd-bg", "#fff"),
    bgAlt: v("--gd-bg-alt", "#eee"),
    grid: v("--gd-grid", "rgba(128,128,128,0.25)"),
    font: `11px ${cs.fontFamily || "sans-serif"}`,
  };
}

export function createModelView(store, { width = 506, height = 300 } = {}) {
  const model = store.model;
  const m = { left: 52, right: 14, top: 8, bottom: 34 };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;

  const canvas = h("canvas", { class: "gd-model-canvas" });
  const title = h("span", { class: "gd-panel-title", text: "model" });
  const note = h("span", { class: "gd-muted gd-model-note" });
  const select = h("select", { class: "gd-select", "data-testid": "gd-model-run", "aria-label": "the run whose decision regions are shown" });
  const selectWrap = h("label", { class: "gd-check", title: "the run whose decision regions are shown" }, [
    h("span", { class: "gd-muted", text: "regions of" }),
    select,
  ]);
  const plot = h("div", { class: "gd-model-plot", "data-testid": "gd-model-view", style: { width: `${width}px`, height: `${height}px` } }, [canvas]);
  const el = h("div", { class: "gd-model-panel", hidden: true }, [
    h("div", { class: "gd-panel-head" }, [h("span", {}, [title, " ", note]), selectWrap]),
    plot,
  ]);
  const { ctx } = sizeCanvas(canvas, width, height);
  let selectedRun = 0;
  let selectHeldUntil = 0;

  select.addEventListener("change", () => {
    const index = Number(select.value);
    if (!Number.isInteger(index)) return;
    selectedRun = index;
    // until the kernel's next boundary view, the older one must not move the selector back
    selectHeldUntil = performance.now() + 1500;
    store.send({ type: "select_run", index });
    frame.request();
  });

  const viewKind = () => {
    const meta = model.get("meta") ?? {};
    return meta.kind === "model" ? (meta.model?.view ?? null) : null;
  };

  function buildSelect() {
    const meta = model.get("meta") ?? {};
    const runs = Array.isArray(meta.runs) ? meta.runs : [];
    select.replaceChildren(...runs.map((_, r) => h("option", { value: String(r), text: runInfo(meta, r).label })));
    if (selectedRun >= runs.length) selectedRun = 0;
    select.value = String(selectedRun);
  }

  function layout() {
    const kind = viewKind();
    el.hidden = !kind;
    plot.dataset.view = kind ?? "";
    selectWrap.hidden = kind !== "boundary";
    title.textContent = kind === "boundary" ? "model: decision regions" : "model: data and fits";
    buildSelect();
  }

  // scales of the plot: domain -> pixels
  function scales(kind, points, mv) {
    let xr = points?.x0;
    let yr = kind === "line" ? points?.t : points?.x1;
    if (kind === "line" && mv) {
      xr = xr ? [Math.min(xr[0], mv.x[0]), Math.max(xr[1], mv.x[1])] : mv.x;
      if (!yr) yr = rangeOf(mv.values);
    }
    if (kind === "boundary" && mv) {
      xr = mv.x0;
      yr = mv.x1;
    }
    xr = kind === "line" ? padRange(xr ?? [-1, 1], 0.03) : padRange(xr ?? [-1, 1], 0);
    yr = padRange(yr ?? [-1, 1], kind === "line" ? 0.1 : 0);
    return {
      sx: scaleLinear().domain(xr).range([m.left, m.left + pw]),
      sy: scaleLinear().domain(yr).range([m.top + ph, m.top]),
    };
  }

  function rangeOf(values) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of values) {
      if (!Number.isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    return lo <= hi ? [lo, hi] : null;
  }

  function drawAxes(theme, sx, sy, names) {
    drawFrameAxes(ctx, {
      margin: m, width: pw, height: ph, canvasHeight: height, sx, sy, names, theme, yTicks: 5,
    });
  }

  function drawGridLines(theme, sx, sy) {
    ctx.save();
    ctx.strokeStyle = theme.grid;
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (const t of sx.ticks(6)) {
      const px = Math.round(sx(t)) + 0.5;
      ctx.moveTo(px, m.top);
      ctx.lineTo(px, m.top + ph);
    }
    for (const t of sy.ticks(5)) {
      const py = Math.round(sy(t)) + 0.5;
      ctx.moveTo(m.left, py);
      ctx.lineTo(m.left + pw, py);
    }
    ctx.stroke();
    ctx.restore();
  }

  function drawLine(theme, points, mv, sx, sy) {
    drawGridLines(theme, sx, sy);
    // the data under the fits
    if (points) {
      const v = points.values;
      ctx.save();
      ctx.fillStyle = theme.fg;
      ctx.globalAlpha = 0.42;
      const r = points.n > 400 ? 1.6 : 2.6;
      ctx.beginPath();
      for (let i = 0; i < points.n; i++) {
        const x = sx(v[3 * i]);
        const y = sy(v[3 * i + 2]);
        if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
        ctx.moveTo(x + r, y);
        ctx.arc(x, y, r, 0, 2 * Math.PI);
      }
      ctx.fill();
      ctx.restore();
    }
    let drawn = 0;
    if (mv) {
      const meta = model.get("meta") ?? {};
      const G = mv.nx;
      const dx = (mv.x[1] - mv.x[0]) / (G - 1);
      const lines = [];
      for (let r = 0; r < mv.nRuns; r++) {
        const { label, color } = runInfo(meta, r);
        if (store.ui.hidden.has(label)) continue;
        const path = new Path2D();
        let pen = false;
        for (let i = 0; i < G; i++) {
          const y = mv.values[r * G + i];
          if (!Number.isFinite(y)) {
            pen = false;
            continue;
          }
          const px = clampPx(sx(mv.x[0] + i * dx));
          const py = clampPx(sy(y));
          if (pen) path.lineTo(px, py);
          else path.moveTo(px, py);
          pen = true;
        }
        lines.push([path, color]);
        drawn++;
      }
      ctx.save();
      ctx.lineJoin = "round";
      ctx.lineCap = "round";
      ctx.strokeStyle = theme.bg;
      ctx.globalAlpha = 0.8;
      ctx.lineWidth = 4.5;
      for (const [path] of lines) ctx.stroke(path);
      ctx.globalAlpha = 1;
      ctx.lineWidth = 2.2;
      for (const [path, color] of lines) {
        ctx.strokeStyle = color;
        ctx.stroke(path);
      }
      ctx.restore();
    }
    return drawn;
  }

  function drawBoundary(theme, points, mv, sx, sy) {
    const nClasses = Math.max(2, mv?.nClasses ?? points?.nClasses ?? 2);
    if (mv) drawRegions(ctx, mv, sx, sy, nClasses, runInfo(model.get("meta") ?? {}, mv.run).color);
    drawGridLines(theme, sx, sy);
    if (points) {
      const v = points.values;
      const r = points.n > 400 ? 2.4 : 3.6;
      const byClass = new Map();
      for (let i = 0; i < points.n; i++) {
        const c = Math.max(0, Math.round(v[3 * i + 2]));
        if (!byClass.has(c)) byClass.set(c, new Path2D());
        const x = sx(v[3 * i]);
        const y = sy(v[3 * i + 1]);
        if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
        const p = byClass.get(c);
        p.moveTo(x + r, y);
        p.arc(x, y, r, 0, 2 * Math.PI);
      }
      ctx.save();
      ctx.lineWidth = 1;
      ctx.strokeStyle = "rgba(255,255,255,0.9)";
      for (const [c, path] of byClass) {
        ctx.fillStyle = CLASS_COLORS[c % CLASS_COLORS.length];
        ctx.fill(path);
        ctx.stroke(path);
      }
      ctx.restore();
    }
    return mv ? 1 : 0;
  }

  function draw() {
    const kind = viewKind();
    if (!kind) return;
    if (!el.isConnected) {
      if (waiting++ < 600) frame.request();
      return;
    }
    waiting = 0;
    const theme = themeOf(el);
    const points = store.points();
    const mv = store.modelViews[kind] ?? null;
    const { sx, sy } = scales(kind, points, mv);
    ctx.clearRect(0, 0, width, height);
    ctx.save();
    ctx.fillStyle = theme.bgAlt;
    ctx.fillRect(m.left, m.top, pw, ph);
    ctx.beginPath();
    ctx.rect(m.left, m.top, pw, ph);
    ctx.clip();
    const drawn = kind === "line" ? drawLine(theme, points, mv, sx, sy) : drawBoundary(theme, points, mv, sx, sy);
    ctx.restore();
    drawAxes(theme, sx, sy, kind === "line" ? ["x", "y"] : ["x₀", "x₁"]);
    plot.dataset.drawn = String(drawn);
    plot.dataset.points = String(points?.n ?? 0);
    if (kind === "boundary" && mv && (mv.run === selectedRun || performance.now() > selectHeldUntil)) {
      selectHeldUntil = 0;
      selectedRun = mv.run;
      if (select.value !== String(mv.run)) select.value = String(mv.run);
    }
    const meta = model.get("meta") ?? {};
    note.textContent =
      kind === "boundary"
        ? points?.nClasses > 2 || (mv?.nClasses ?? 2) > 2
          ? "· regions: most probable class"
          : "· colour: p(class 1), line: p = ½"
        : `· ${points?.n ?? 0} examples${meta.model?.n_examples && points && meta.model.n_examples !== points.n ? ` of ${meta.model.n_examples}` : ""}`;
  }
  let waiting = 0;
  const frame = frameScheduler(draw);
  const request = () => frame.request();

  layout();
  const offs = [
    store.events.on("meta", () => {
      layout();
      request();
    }),
    store.events.on("model_view", request),
    store.events.on("points", request),
    store.events.on("theme", request),
    store.events.on("ui", (what) => what === "hidden" && request()),
  ];
  request();
  return {
    el,
    destroy() {
      for (const off of offs) off();
      frame.cancel();
    },
  };
}
