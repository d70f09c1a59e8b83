// The planned learning rate: each scheduled group's schedule over its planned horizon
// (meta.groups[i].planned, from the kernel's live/planned.py: thinned steps, each with its exact
// rate), drawn dashed in the lr panel ahead of the rates used (the solid series). The panel's
// scales stretch to hold it; what was drawn is kept on the panel's `data-planned` attribute.

/** The planned curves: one per row (run) of each scheduled group, in that run's colour. */
export function plannedCurves(meta, hidden = new Set()) {
  const runs = meta?.runs ?? [];
  const out = [];
  for (const g of meta?.groups ?? []) {
    const plan = g?.planned;
    if (!plan || !Array.isArray(plan.steps) || !Array.isArray(plan.lr)) continue;
    const mine = runs.filter((r) => r.group === g.label);
    plan.lr.forEach((lr, row) => {
      // one row for the whole group (a scalar schedule), else one per run
      const shown = plan.lr.length === 1 ? mine : [mine[row]].filter(Boolean);
      if (shown.length && shown.every((r) => hidden.has(r.label))) return;
      out.push({ group: g.label, row, color: shown[0]?.color ?? "#888", steps: plan.steps, lr });
    });
  }
  return out;
}

/** The curves' smallest and largest step and rate, or null when there is none. */
export function plannedExtent(curves) {
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (const c of curves) {
    const n = c.steps.length;
    if (!n) continue;
    x0 = Math.min(x0, c.steps[0]);
    x1 = Math.max(x1, c.steps[n - 1]);
    for (const v of c.lr) {
      y0 = Math.min(y0, v);
      y1 = Math.max(y1, v);
    }
  }
  return Number.isFinite(x0) ? { x0, x1, y0, y1 } : null;
}

const widen = (lo, hi, a, b) => [lo == null || !Number.isFinite(lo) ? a : Math.min(lo, a), hi == null || !Number.isFinite(hi) ? b : Math.max(hi, b)];

/** The lr panel's uPlot scales, `xRange` and `yRange` widened to hold the planned curves. */
export function plannedScales(getCurves, xRange, yRange) {
  const range = (fn, key) => (u, lo, hi) => {
    const e = plannedExtent(getCurves());
    if (!e) return fn(u, lo, hi);
    const [a, b] = key === "x" ? widen(lo, hi, e.x0, e.x1) : widen(lo, hi, e.y0, e.y1);
    return fn(u, a, b);
  };
  return { x: { time: false, range: range(xRange, "x") }, y: { range: range(yRange, "y") } };
}

/** A uPlot draw hook: the planned curves as dashed lines, clipped to the plot; `el` records them. */
export function plannedHook(getCurves, el) {
  return (u) => {
    const curves = getCurves();
    const ctx = u.ctx;
    const dpr = globalThis.devicePixelRatio || 1;
    const { left, top, width, height } = u.bbox;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    ctx.lineWidth = 1.3 * dpr;
    ctx.setLineDash([5 * dpr, 4 * dpr]);
    for (const c of curves) {
      ctx.strokeStyle = c.color;
      ctx.beginPath();
      c.steps.forEach((s, i) => {
        const x = u.valToPos(s, "x", true);
        const y = u.valToPos(c.lr[i], "y", true);
        if (i === 0) ctx.moveTo(x, y);
        else ctx.lineTo(x, y);
      });
      ctx.stroke();
    }
    ctx.restore();
    if (el) el.dataset.planned = JSON.stringify(curves.map(({ group, row, steps, lr }) => ({ group, row, steps, lr })));
  };
}
