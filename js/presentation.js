// Presentation: the view grows with the width it is given, so a projector at 1920 px gets a
// large landscape and large text (at 1x the widget is 904 px wide, the landscape 506 x 440 with
// 11 px text). The scale comes from the host's width (a ResizeObserver), in steps of 1/8 from 1
// to MAX_SCALE; a new scale rebuilds the view at that size (the kernel hears view_close and a
// view_open with the new plot size, so the paths it thins stay within a pixel at that size).
// Narrower than the 1x widget its columns stack; narrower than one column (a notebook beside
// its file browser on a laptop) it shrinks, in steps of 1/8 down to MIN_SCALE, and only below
// that does it scroll, so that the colour bar and the axis labels stay in view.

/** The widget's width at scale 1, with its padding and border (px). */
export const BASE_WIDTH = 926;
/** The width of one column (the landscape) at scale 1, with the padding and border (px). */
export const COLUMN_WIDTH = 530;
export const MAX_SCALE = 2.5;
export const MIN_SCALE = 0.625;

/**
 * The scale for a host `width` px wide: 1 from COLUMN_WIDTH to BASE_WIDTH, above it larger
 * and below it smaller, in steps of 1/8, within [MIN_SCALE, MAX_SCALE].
 */
export function scaleFor(width) {
  const w = Number(width);
  if (!(w > 0)) return 1;
  if (w > BASE_WIDTH) return Math.min(MAX_SCALE, Math.floor((w / BASE_WIDTH) * 8) / 8);
  if (w >= COLUMN_WIDTH) return 1;
  return Math.max(MIN_SCALE, Math.floor((w / COLUMN_WIDTH) * 8) / 8);
}

/** The sizes of the scaled parts: the landscape's options and the loss panel's. */
export function sizes(scale = 1) {
  const s = Number(scale) > 0 ? Number(scale) : 1;
  return {
    scale: s,
    landscape: { width: Math.round(506 * s), height: Math.round(440 * s), scale: s },
    loss: { width: Math.round(360 * s), lossHeight: Math.round(210 * s), lrHeight: Math.round(110 * s), scale: s },
    // a model's view keeps its 1x size on a larger view, and shrinks with a smaller one
    model: { width: Math.round(506 * Math.min(1, s)), height: Math.round(300 * Math.min(1, s)) },
  };
}

/** The scale a view of `el` is built at (set by `renderScaled`), 1 where none is set. */
export function viewScale(el) {
  const s = Number(el?.dataset?.gdScale);
  return s > 0 ? s : 1;
}

/**
 * Mark the view's root with its scale: CSS (widget.css, `[data-scale]`) scales its text, and
 * a view below scale 1 (`[data-narrow]`) takes its host's width, its columns stacked.
 */
export function markScaled(root, scale) {
  if (scale === 1) return;
  root.dataset.scale = String(scale);
  if (scale < 1) root.dataset.narrow = "";
  root.style.setProperty("--gd-scale", String(scale));
}

/**
 * `render(store, el)` at the scale of `el`'s width, built again when that scale changes.
 * Returns the cleanup. An `el` with no width yet (not laid out: anywidget renders before the
 * output is attached) is first built when its width is known, or after `firstMs` at scale 1,
 * so that a view is not built twice as it appears (a click in between would be lost).
 */
export function renderScaled(store, el, render, { delayMs = 150, firstMs = 400 } = {}) {
  let scale = 1;
  let cleanup = null;
  let timer = null;
  const build = (width) => {
    scale = scaleFor(width);
    el.dataset.gdScale = String(scale);
    cleanup?.();
    cleanup = render(store, el);
  };
  const Observer = globalThis.ResizeObserver;
  if (!Observer || el.clientWidth > 0) build(el.clientWidth);
  else timer = setTimeout(() => cleanup || build(el.clientWidth), firstMs);
  const observer = Observer
    ? new Observer((entries) => {
        const width = entries[entries.length - 1]?.contentRect?.width ?? el.clientWidth;
        if (!cleanup) {
          if (!(width > 0)) return;
          clearTimeout(timer);
          build(width); // the first width: build at its scale at once
          return;
        }
        clearTimeout(timer);
        timer = setTimeout(() => {
          if (scaleFor(width) !== scale && cleanup) build(width);
        }, delayMs);
      })
    : null;
  observer?.observe(el);
  return () => {
    observer?.disconnect();
    clearTimeout(timer);
    cleanup?.();
    cleanup = null;
  };
}
