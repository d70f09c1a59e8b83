// One view of a PhaseMap: a header (what was swept, the figure, progress), the canvas (the heat
// map, the divergence boundary, curves, axes), a legend and a hover tip. A click on a cell sends
// {type: "pick", ix, iy}; the kernel adds that setting to a linked Playground's race.
import { cellAt, positionOf, tickIndices } from "./axes.js";
import { boundarySegments } from "./boundary.js";
import { COLORS, FIGURES, LABELS, cellColor, colorDomain, decodeCells, fmt } from "./cells.js";

const SIZE = { w: 560, h: 440 };
const MARGIN = { l: 66, r: 14, t: 10, b: 46 };
export const BOX = { x: MARGIN.l, y: MARGIN.t, w: SIZE.w - MARGIN.l - MARGIN.r, h: SIZE.h - MARGIN.t - MARGIN.b };

function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else if (k === "style") node.style.cssText = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

/** Everything the canvas shows, read from the model's traits. */
export function readState(model) {
  const x = model.get("x") ?? { values: [] };
  const y = model.get("y") ?? { values: [] };
  const nx = x.values?.length ?? 0;
  const ny = y.values?.length ?? 0;
  const cells = decodeCells(model.get("cells"), nx, ny);
  const figure = FIGURES.includes(model.get("figure")) ? model.get("figure") : "steps_to_tol";
  return { x, y, nx, ny, cells, figure, curves: model.get("curves") ?? [], info: model.get("info") ?? {} };
}

/** RGBA pixels of the heat map, one per cell, row 0 at the top (the highest y value). */
export function heatPixels(state, domain) {
  const { nx, ny, cells, figure } = state;
  const px = new Uint8ClampedArray(nx * ny * 4);
  for (let iy = 0; iy < ny; iy++) {
    for (let ix = 0; ix < nx; ix++) {
      const [r, g, b] = cellColor(cells, figure, domain, iy * nx + ix);
      const o = ((ny - 1 - iy) * nx + ix) * 4;
      px[o] = r;
      px[o + 1] = g;
      px[o + 2] = b;
      px[o + 3] = 255;
    }
  }
  return px;
}

/** The text of the hover tip of cell (ix, iy). */
export function tipText(state, ix, iy) {
  const { x, y, cells, nx } = state;
  const head = `${x.name} = ${fmt(x.values[ix])}, ${y.name} = ${fmt(y.values[iy])}`;
  if (!cells) return head;
  const i = iy * nx + ix;
  if (Number.isNaN(cells.diverged[i])) return `${head}\nnot run yet`;
  const lines = [head];
  for (const f of FIGURES) {
    const v = cells.figure(f)[i];
    lines.push(`${LABELS[f]}: ${f === "diverged" ? (v ? "yes" : "no") : f === "steps_to_tol" && Number.isNaN(v) ? "never" : fmt(v)}`);
  }
  lines.push("click: add to the linked race");
  return lines.join("\n");
}

function draw(ctx, state, hover) {
  const { nx, ny, cells, x, y } = state;
  ctx.clearRect(0, 0, SIZE.w, SIZE.h);
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, SIZE.w, SIZE.h);
  if (!cells) return null;
  const domain = colorDomain(cells, state.figure);
  const off = document.createElement("canvas");
  off.width = nx;
  off.height = ny;
  const octx = off.getContext("2d");
  const img = octx.createImageData(nx, ny);
  img.data.set(heatPixels(state, domain));
  octx.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(off, BOX.x, BOX.y, BOX.w, BOX.h);
  const sx = (cx) => BOX.x + (cx / nx) * BOX.w;
  const sy = (cy) => BOX.y + BOX.h - (cy / ny) * BOX.h;
  // the divergence boundary: white under dark, visible on every colour
  const segs = boundarySegments(cells.diverged, nx, ny);
  for (const [width, colour] of [[3, "#fff"], [1.4, "#111"]]) {
    ctx.lineWidth = width;
    ctx.strokeStyle = colour;
    ctx.beginPath();
    for (const [x0, y0, x1, y1] of segs) {
      ctx.moveTo(sx(x0), sy(y0));
      ctx.lineTo(sx(x1), sy(y1));
    }
    ctx.stroke();
  }
  // curves in hyperparameter values (a theory's boundary)
  const px = positionOf(x.values, x.log);
  const py = positionOf(y.values, y.log);
  ctx.save();
  ctx.beginPath();
  ctx.rect(BOX.x, BOX.y, BOX.w, BOX.h);
  ctx.clip();
  ctx.setLineDash?.([6, 4]);
  ctx.lineWidth = 2;
  ctx.strokeStyle = "#ff7f0e";
  for (const curve of state.curves) {
    ctx.beginPath();
    let pen = false;
    for (const [vx, vy] of curve.points ?? []) {
      const cx = px(vx);
      const cy = py(vy);
      if (!Number.isFinite(cx) || !Number.isFinite(cy)) {
        pen = false;
        continue;
      }
      if (pen) ctx.lineTo(sx(cx), sy(cy));
      else ctx.moveTo(sx(cx), sy(cy));
      pen = true;
    }
    ctx.stroke();
  }
  ctx.restore();
  if (hover) {
    ctx.lineWidth = 2;
    ctx.strokeStyle = "#000";
    ctx.strokeRect(sx(hover.ix), sy(hover.iy + 1), BOX.w / nx, BOX.h / ny);
  }
  drawAxes(ctx, state);
  return domain;
}

function drawAxes(ctx, { x, y, nx, ny }) {
  ctx.fillStyle = "#333";
  ctx.strokeStyle = "#333";
  ctx.lineWidth = 1;
  ctx.font = "11px sans-serif";
  ctx.strokeRect(BOX.x, BOX.y, BOX.w, BOX.h);
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const i of tickIndices(nx, 6)) {
    const cx = BOX.x + ((i + 0.5) / nx) * BOX.w;
    ctx.fillText(fmt(x.values[i]), cx, BOX.y + BOX.h + 4);
  }
  ctx.fillText(`${x.name}${x.log ? " (log)" : ""}`, BOX.x + BOX.w / 2, BOX.y + BOX.h + 22);
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const i of tickIndices(ny, 8)) {
    const cy = BOX.y + BOX.h - ((i + 0.5) / ny) * BOX.h;
    ctx.fillText(fmt(y.values[i]), BOX.x - 5, cy);
  }
  ctx.save();
  ctx.translate(12, BOX.y + BOX.h / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = "center";
  ctx.fillText(`${y.name}${y.log ? " (log)" : ""}`, 0, 0);
  ctx.restore();
}

function swatch(rgb, text) {
  return el("span", { style: "margin-right:10px;white-space:nowrap" }, [
    el("span", { style: `display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle;background:rgb(${rgb.join(",")})` }),
    text,
  ]);
}

/** Build a view of `model` into `host`; returns its cleanup. */
export function renderPhaseMap(model, host) {
  const select = el("select", { "data-testid": "gd-phasemap-figure" });
  for (const f of FIGURES) select.append(el("option", { value: f, text: LABELS[f] }));
  const title = el("span", { style: "font-weight:600;margin-right:10px" });
  const progress = el("span", { "data-testid": "gd-phasemap-progress", style: "margin-left:10px;color:#555" });
  const canvas = el("canvas", { "data-testid": "gd-phasemap-canvas", style: `width:${SIZE.w}px;height:${SIZE.h}px;cursor:crosshair;display:block` });
  const scale = el("span", { "data-testid": "gd-phasemap-scale", style: "margin-right:10px" });
  const legend = el("div", { style: "margin-top:4px;color:#444" }, [
    scale,
    swatch(COLORS.diverged, "diverged"),
    swatch(COLORS.never, "tol never reached"),
    swatch(COLORS.pending, "not run yet"),
    el("span", { text: "— divergence boundary" }),
  ]);
  const note = el("div", { "data-testid": "gd-phasemap-note", style: "margin-top:4px;color:#555;min-height:1.2em" });
  const tip = el("div", {
    "data-testid": "gd-phasemap-tip",
    style: "position:absolute;display:none;pointer-events:none;background:rgba(255,255,255,0.95);border:1px solid #999;border-radius:3px;padding:4px 6px;white-space:pre;font-size:11px;z-index:10",
  });
  const root = el("div", { "data-testid": "gd-phasemap", style: "position:relative;font:12px sans-serif;color:#222;padding:4px;width:max-content" }, [
    el("div", { style: "margin-bottom:4px" }, [title, select, progress]),
    canvas,
    legend,
    note,
    tip,
  ]);
  const dpr = globalThis.devicePixelRatio || 1;
  canvas.width = Math.round(SIZE.w * dpr);
  canvas.height = Math.round(SIZE.h * dpr);
  const ctx = canvas.getContext("2d");
  let hover = null;
  let queued = false;

  const redraw = () => {
    queued = false;
    const state = readState(model);
    ctx.setTransform?.(dpr, 0, 0, dpr, 0, 0);
    const domain = draw(ctx, state, hover);
    const { info } = state;
    title.textContent = `${info.optimizer ?? ""} on ${info.objective ?? ""} · ${info.steps ?? ""} steps · tol ${fmt(info.tol)}`;
    select.value = state.figure;
    const done = state.cells?.done ?? 0;
    const status = model.get("status") ?? "";
    progress.textContent = `${done} / ${state.nx * state.ny} cells${status && status !== "running" ? ` · ${status}` : ""}`;
    root.setAttribute("data-done", String(done));
    scale.textContent =
      state.figure === "diverged" || !domain
        ? ""
        : `${LABELS[state.figure]}: ${fmt(domain.lo)} (yellow) … ${fmt(domain.hi)} (purple)${domain.log ? ", log" : ""}`;
  };
  const schedule = () => {
    if (queued) return;
    queued = true;
    if (globalThis.requestAnimationFrame) globalThis.requestAnimationFrame(redraw);
    else redraw();
  };
  const cellOf = (ev) => {
    const r = canvas.getBoundingClientRect?.() ?? { left: 0, top: 0 };
    const { nx, ny } = readState(model);
    return cellAt(ev.clientX - r.left, ev.clientY - r.top, BOX, nx, ny);
  };
  const onMove = (ev) => {
    const cell = cellOf(ev);
    const same = cell && hover && cell.ix === hover.ix && cell.iy === hover.iy;
    if (!same) {
      hover = cell;
      schedule();
    }
    if (!cell) {
      tip.style.display = "none";
      return;
    }
    tip.textContent = tipText(readState(model), cell.ix, cell.iy);
    tip.style.display = "block";
    tip.style.left = `${(ev.offsetX ?? 0) + 16}px`;
    tip.style.top = `${(ev.offsetY ?? 0) + 30}px`;
  };
  const onLeave = () => {
    hover = null;
    tip.style.display = "none";
    schedule();
  };
  const onClick = (ev) => {
    const cell = cellOf(ev);
    if (!cell) return;
    const { x, y } = readState(model);
    try {
      model.send({ type: "pick", ix: cell.ix, iy: cell.iy });
      note.textContent = `sent ${x.name} = ${fmt(x.values[cell.ix])}, ${y.name} = ${fmt(y.values[cell.iy])} to the race`;
    } catch (err) {
      note.textContent = `could not reach the kernel: ${err?.message ?? err}`;
    }
  };
  const onFigure = () => {
    model.set("figure", select.value);
    model.save_changes?.();
  };
  canvas.addEventListener("mousemove", onMove);
  canvas.addEventListener("mouseleave", onLeave);
  canvas.addEventListener("click", onClick);
  select.addEventListener("change", onFigure);
  const events = ["change:cells", "change:figure", "change:curves", "change:status", "change:x", "change:y", "change:info"];
  for (const e of events) model.on(e, schedule);
  host.replaceChildren(root);
  redraw();
  return () => {
    for (const e of events) model.off(e, schedule);
    canvas.removeEventListener("mousemove", onMove);
    canvas.removeEventListener("mouseleave", onLeave);
    canvas.removeEventListener("click", onClick);
    select.removeEventListener("change", onFigure);
    root.remove();
  };
}
