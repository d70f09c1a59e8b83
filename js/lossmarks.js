// What the loss chart marks on top of its curves: the end of each diverged run's curve (its last
// finite loss, on the chart's edge when above it), the `marks` trait's events (a change of batch
// size: a dashed vertical line and a short label), and the words of the panel's note.

/**
 * The last finite loss of each diverged run among `indices`: `[{r, step, loss}]`. A run counts
 * as diverged when `diverged(r)` says so.
 */
export function divergedEnds(runs, indices, diverged) {
  const out = [];
  for (const r of indices) {
    if (!diverged(r)) continue;
    const loss = runs.loss[r];
    for (let i = runs.length - 1; i >= 0; i--) {
      if (Number.isFinite(loss[i])) {
        out.push({ r, step: runs.steps[i], loss: loss[i] });
        break;
      }
    }
  }
  return out;
}

/** The events of the `marks` trait worth drawing: `{step, kind, text}` with a finite step. */
export function validMarks(marks) {
  if (!Array.isArray(marks)) return [];
  return marks.filter((m) => m && Number.isFinite(Number(m.step))).map((m) => ({ step: Number(m.step), kind: String(m.kind ?? ""), text: String(m.text ?? "") }));
}

/** The batch size after a batch-size mark ("batch 64 -> 1": 1; "... -> full" or 0: 0), or NaN. */
export function batchAfter(text) {
  const m = /->\s*(\S+)\s*$/.exec(String(text));
  if (!m) return Number.NaN;
  if (/^full/i.test(m[1])) return 0;
  const n = Number(m[1]);
  return Number.isFinite(n) ? n : Number.NaN;
}

/**
 * The loss panel's note: "" on the full batch; on mini-batches "mini-batch losses from step N"
 * where N is the step of the batch-size change since which every step was on mini-batches, or
 * "mini-batch losses of k" when the run was on mini-batches from its start.
 */
export function lossNote(isModel, batchSize, marks) {
  const b = Number(batchSize);
  if (!isModel || !(b > 0)) return "";
  const changes = validMarks(marks).filter((m) => m.kind === "batch_size");
  let since = null;
  for (let k = changes.length - 1; k >= 0; k--) {
    const after = batchAfter(changes[k].text);
    if (after === 0) break;
    since = changes[k].step;
    const before = /^\D*(\S+)\s*->/.exec(changes[k].text)?.[1];
    if (before === undefined || /^full/i.test(before) || Number(before) === 0) break;
  }
  return since != null && since > 0 ? `mini-batch losses from step ${since}` : `mini-batch losses (batch of ${b})`;
}

/**
 * A uPlot draw hook: the diverged ends (`ends()`: [{step, loss, color}]) as ✕ (a ▲ on the top
 * edge when the loss is above the chart) and the marks (`marks()`) as dashed vertical lines.
 */
export function lossMarksHook(ends, marks, theme) {
  return (u) => {
    const ctx = u.ctx;
    const dpr = Math.max(1, globalThis.devicePixelRatio || 1);
    const { left, top, width, height } = u.bbox;
    ctx.save();
    ctx.font = theme.font.replace(/^(\d+(?:\.\d+)?)px/, (_, px) => `${Number(px) * dpr}px`);
    for (const m of marks()) {
      const x = Math.round(u.valToPos(m.step, "x", true));
      if (!(x >= left && x <= left + width)) continue;
      ctx.strokeStyle = theme.fg;
      ctx.globalAlpha = 0.6;
      ctx.lineWidth = dpr;
      ctx.setLineDash([3 * dpr, 3 * dpr]);
      ctx.beginPath();
      ctx.moveTo(x + 0.5, top);
      ctx.lineTo(x + 0.5, top + height);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.globalAlpha = 1;
      ctx.fillStyle = theme.fg;
      const w = ctx.measureText(m.text).width;
      const right = x + 3 * dpr + w > left + width;
      ctx.textAlign = right ? "right" : "left";
      ctx.textBaseline = "top";
      ctx.fillText(m.text, right ? x - 3 * dpr : x + 3 * dpr, top + 2 * dpr);
    }
    const [y0, y1] = [u.scales.y.min, u.scales.y.max];
    for (const e of ends()) {
      const x = u.valToPos(e.step, "x", true);
      if (!(x >= left - 1 && x <= left + width + 1)) continue;
      const above = e.loss > y1;
      const below = e.loss < y0;
      const y = above ? top + 6 * dpr : below ? top + height - 6 * dpr : u.valToPos(e.loss, "y", true);
      const s = 5 * dpr;
      ctx.lineCap = "round";
      ctx.beginPath();
      if (above || below) {
        const d = above ? -1 : 1;
        ctx.moveTo(x, y + d * s);
        ctx.lineTo(x - s, y - d * s);
        ctx.lineTo(x + s, y - d * s);
        ctx.closePath();
        ctx.fillStyle = e.color;
        ctx.fill();
        continue;
      }
      ctx.moveTo(x - s, y - s);
      ctx.lineTo(x + s, y + s);
      ctx.moveTo(x + s, y - s);
      ctx.lineTo(x - s, y + s);
      ctx.strokeStyle = "rgba(255,255,255,0.9)";
      ctx.lineWidth = 4 * dpr;
      ctx.stroke();
      ctx.strokeStyle = e.color;
      ctx.lineWidth = 2 * dpr;
      ctx.stroke();
    }
    ctx.restore();
  };
}
