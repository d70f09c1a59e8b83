// The landscape's pointer input (js/landscape.js): the wheel zooms around the pointer, a drag
// pans the view, a drag that starts on a run's start marker moves that run's start alone
// (`set_start`, js/instant.js), and a click without drag inside the plot restarts every run from
// the clicked point (`reset`). The view itself stays the landscape's: this module reads it with
// `getView` and changes it with `setView` (which redraws and sends `set_view`, debounced).

import { createStartDrag, startAt } from "./instant.js";

const CLICK_SLOP = 4; // px a pointer may move and still count as a click

/**
 * Wire the pointer handlers onto `overlay` (the landscape's top canvas).
 *
 * @param el  the landscape's element (gets the class `gd-dragging` while a drag is on)
 * @param plot  the plot box in CSS px inside `el`: {left, top, width, height}
 * @param getView  the view shown now, [[x0, x1], [y0, y1]] (a copy)
 * @param setView  show this view and send it (debounced); `flushView` sends it at once
 * @param coords  {toX, toY, fromX, fromY}: data coordinates <-> CSS px inside `el`
 * @param onPress  called when a press begins (the landscape hides its tooltip)
 */
export function attachLandscapeInput(store, { el, overlay, plot, coords, getView, setView, flushView, onPress }) {
  const { left, top, width: pw, height: ph } = plot;
  const { toX, toY, fromX, fromY } = coords;

  // ---- wheel zoom around the pointer ----
  function onWheel(ev) {
    ev.preventDefault();
    const view = getView();
    const rect = overlay.getBoundingClientRect();
    const px = ev.clientX - rect.left;
    const py = ev.clientY - rect.top;
    const delta = ev.deltaMode === 1 ? ev.deltaY * 16 : ev.deltaY;
    const factor = Math.exp(Math.max(-0.5, Math.min(0.5, delta * 0.0015)));
    const cx = fromX(px);
    const cy = fromY(py);
    const next = [
      [cx - (cx - view[0][0]) * factor, cx + (view[0][1] - cx) * factor],
      [cy - (cy - view[1][0]) * factor, cy + (view[1][1] - cy) * factor],
    ];
    const span = Math.min(next[0][1] - next[0][0], next[1][1] - next[1][0]);
    const scale = Math.max(Math.abs(cx), Math.abs(cy), 1);
    if (!(span > scale * 1e-9) || !(span < 1e9 * scale)) return;
    setView(next);
  }

  // ---- drag to pan, drag a start to move it, click to restart ----
  let press = null;
  const startDrag = createStartDrag(store);
  const inPlot = (ev) => {
    const r = overlay.getBoundingClientRect();
    return [ev.clientX - r.left, ev.clientY - r.top];
  };
  const startUnder = (ev) => startAt(store, ...inPlot(ev), (x, y) => [toX(x), toY(y)]);
  function onPointerDown(ev) {
    if (ev.button !== 0) return;
    onPress();
    overlay.setPointerCapture?.(ev.pointerId);
    press = { x: ev.clientX, y: ev.clientY, view: getView(), dragging: false, start: startUnder(ev) };
  }
  function moveStart(ev) {
    const [px, py] = inPlot(ev);
    startDrag.move(press.start, [fromX(px), fromY(py)]);
  }
  function onPointerMove(ev) {
    if (!press) return;
    const ddx = ev.clientX - press.x;
    const ddy = ev.clientY - press.y;
    if (!press.dragging && Math.hypot(ddx, ddy) < CLICK_SLOP) return;
    press.dragging = true;
    el.classList.add("gd-dragging");
    if (press.start >= 0) return void moveStart(ev);
    const v = press.view;
    const kx = (v[0][1] - v[0][0]) / pw;
    const ky = (v[1][1] - v[1][0]) / ph;
    setView([
      [v[0][0] - ddx * kx, v[0][1] - ddx * kx],
      [v[1][0] + ddy * ky, v[1][1] + ddy * ky],
    ]);
  }
  function onPointerUp(ev) {
    if (!press) return;
    const wasDrag = press.dragging;
    if (wasDrag && press.start >= 0) moveStart(ev); // where the start was let go
    const panned = wasDrag && press.start < 0;
    press = null;
    el.classList.remove("gd-dragging");
    if (panned) flushView();
    if (wasDrag) return;
    const rect = overlay.getBoundingClientRect();
    const px = ev.clientX - rect.left;
    const py = ev.clientY - rect.top;
    if (px < left || px > left + pw || py < top || py > top + ph) return;
    store.send({ type: "reset", start: [fromX(px), fromY(py)] });
  }
  function onPointerCancel() {
    press = null;
    el.classList.remove("gd-dragging");
  }

  overlay.addEventListener("wheel", onWheel, { passive: false });
  overlay.addEventListener("pointerdown", onPointerDown);
  overlay.addEventListener("pointermove", onPointerMove);
  overlay.addEventListener("pointerup", onPointerUp);
  overlay.addEventListener("pointercancel", onPointerCancel);

  return {
    /** whether a press (a click or a drag) is under way */
    pressing: () => press !== null,
    /** whether the press under way has become a drag (pan or start move) */
    dragging: () => !!press?.dragging,
    /** the index of the run whose start marker is under the pointer event `ev`, or -1 */
    startUnder,
    destroy() {
      startDrag.destroy();
      overlay.removeEventListener("wheel", onWheel);
    },
  };
}
