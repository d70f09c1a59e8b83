// A PNG of one view, drawn by the views the page shows: the view's whole DOM as the page shows
// it (js/snapshot.js: canvases, SVG layers, text), on the view's background; where the browser
// cannot draw that, every visible canvas at its place (composeView). The `gd-save-png`
// button downloads it; the kernel's `capture` message gets it back as `capture_result` with the
// PNG as one binary buffer, or as base64 in the JSON content where the widget manager loses
// buffers (`w.save_png`, `w.save_animation`; docs/media.md; docs/protocol.md: capture_result).

import { toBase64 } from "./decode.js";
import { drawDom, drawSvgLayers } from "./snapshot.js";

/** The view's background colour: the first non-transparent background from `el` upwards. */
export function backgroundOf(el) {
  for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
    const cs = getComputedStyle(node);
    const bg = cs.getPropertyValue("--gd-bg").trim() || cs.backgroundColor;
    if (bg && bg !== "transparent" && !/^rgba\(.*,\s*0\)$/.test(bg)) return bg;
  }
  return "#ffffff";
}

const visible = (c) => {
  const r = c.getBoundingClientRect();
  if (!(r.width > 0 && r.height > 0) || !(c.width > 0 && c.height > 0)) return false;
  return typeof c.checkVisibility === "function" ? c.checkVisibility({ visibilityProperty: true }) : true;
};

/**
 * One canvas with `root`'s visible canvases drawn where they are, in document order, at `scale`
 * device px per CSS px (default the page's devicePixelRatio); its size is root's box times scale.
 */
export function composeView(root, scale = globalThis.devicePixelRatio || 1) {
  const out = backdrop(root, scale);
  const ctx = out.getContext("2d");
  const box = root.getBoundingClientRect();
  for (const c of root.querySelectorAll("canvas")) {
    if (!visible(c)) continue;
    const r = c.getBoundingClientRect();
    try {
      ctx.drawImage(c, (r.left - box.left) * scale, (r.top - box.top) * scale, r.width * scale, r.height * scale);
    } catch (err) {
      console.warn("gdwidget: a canvas could not be drawn into the picture", err);
    }
  }
  return out;
}

/** A canvas of root's size times `scale`, filled with the view's background. */
function backdrop(root, scale) {
  const box = root.getBoundingClientRect();
  const out = document.createElement("canvas");
  out.width = Math.max(1, Math.round(box.width * scale));
  out.height = Math.max(1, Math.round(box.height * scale));
  const ctx = out.getContext("2d");
  ctx.fillStyle = backgroundOf(root);
  ctx.fillRect(0, 0, out.width, out.height);
  return out;
}

/**
 * The picture of `root` as the page shows it: canvases, SVG layers and text (js/snapshot.js),
 * or with `full` false (animation frames: faster) the canvases and the SVG layers only; the
 * canvases alone (composeView) where the browser cannot draw the rest. The milliseconds it took
 * are kept in `root.dataset.captureMs`.
 */
export async function pictureOf(root, { full = true, scale = globalThis.devicePixelRatio || 1 } = {}) {
  const t0 = performance.now();
  let out = backdrop(root, scale);
  try {
    if (full) {
      await drawDom(out.getContext("2d"), root, scale);
    } else {
      out = composeView(root, scale);
      await drawSvgLayers(out.getContext("2d"), root, scale);
    }
  } catch (err) {
    console.warn("gdwidget: the picture has the canvases only", err);
    out = composeView(root, scale);
  }
  root.dataset.captureMs = (performance.now() - t0).toFixed(1);
  return out;
}

/** The PNG bytes of a canvas. */
export function pngBytes(canvas) {
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => {
      if (!blob) reject(new Error("the browser made no PNG of the view"));
      else blob.arrayBuffer().then(resolve, reject);
    }, "image/png");
  });
}

/** Download a PNG of `root` as `filename` (the `gd-save-png` button). */
export async function downloadPng(root, filename = "gdwidget.png") {
  const bytes = await pngBytes(await pictureOf(root));
  const url = URL.createObjectURL(new Blob([bytes], { type: "image/png" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  a.style.display = "none";
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Resolves once `store` holds step `step` (or after `timeoutMs`, with false). */
export function untilStep(store, step, timeoutMs = 10_000) {
  const held = () => store.runs.length > 0 && store.runs.lastStep() >= step;
  if (step == null || held()) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      off();
      resolve(false);
    }, timeoutMs);
    const off = store.events.on("data", () => {
      if (!held()) return;
      clearTimeout(timer);
      off();
      resolve(true);
    });
  });
}

const nextFrame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));

/**
 * The `capture_result` content and buffers that carry `bytes` (the PNG), marked as the kernel
 * marks its own (docs/protocol.md, "Buffers fallback"): `n_buffers: 1` and the bytes as one
 * binary buffer, or with `base64` (the connection's buffers are lost) as `b64: [string]` and no
 * binary buffer.
 *
 * @returns {[object, Array]} `[content, buffers]`
 */
export function withPng(content, bytes, base64) {
  if (base64) return [{ ...content, n_buffers: 1, b64: [toBase64(bytes)] }, []];
  return [{ ...content, n_buffers: 1 }, [bytes]];
}

/**
 * Answer the kernel's `{type: "capture", id, step, full}`: once the page holds `step` (null:
 * now) and the views have redrawn, send `{type: "capture_result", id, ok: true, width,
 * height}` with the PNG of the first view shown (pictureOf; `full` false: without the text;
 * `roots`: the views' root elements, oldest first; binary, or base64 where the connection says
 * buffers are lost: withPng), or `{ok: false, error}`. Several pages may answer; the kernel
 * keeps the first.
 */
export async function answerCapture(store, msg, roots) {
  const id = String(msg?.id ?? "");
  const reply = (content, buffers = []) => {
    if (!store.connection?.connected?.()) return;
    try {
      store.model.send({ type: "capture_result", id, ...content }, undefined, buffers);
    } catch (err) {
      console.warn("gdwidget: could not send the picture to the kernel", err);
    }
  };
  try {
    const root = [...roots].find((r) => r.isConnected && r.getBoundingClientRect().width > 0);
    if (!root) {
      reply({ ok: false, error: "no view of this widget is shown in the page" });
      return;
    }
    const step = msg?.step == null ? null : Number(msg.step);
    await untilStep(store, step);
    // the views draw on the next animation frame: let them, then one more for the 3-D view
    await nextFrame();
    await nextFrame();
    root.gdBeforeCapture?.();
    const canvas = await pictureOf(root, { full: msg?.full !== false });
    const bytes = await pngBytes(canvas);
    const box = root.getBoundingClientRect();
    const content = { ok: true, width: canvas.width, height: canvas.height, css: [box.width, box.height], step: store.runs.lastStep() };
    reply(...withPng(content, bytes, Boolean(store.connection?.base64?.())));
  } catch (err) {
    reply({ ok: false, error: String(err?.message ?? err) });
  }
}
