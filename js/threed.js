// The 3-D view's toggle (`gd-3d`), in the widget's bundle: it holds no three.js. On the first
// open the page asks the kernel for the `threed` bundle's text (`request_module`), imports it
// from a Blob URL (anywidget loads the widget as one ESM string, so esbuild's split chunks,
// fetched by relative URL, could not be found) and draws the surface over the landscape.

import { h } from "./dom.js";
import { LUT } from "./heatmap.js";
import { runInfo } from "./paths.js";

/** Longest wait for the kernel's answer (a busy kernel answers when its cell finishes). */
export const MODULE_TIMEOUT_MS = 120_000;

// name -> Promise of the module, for the whole page (every widget's bundle text is the same)
const modules = new Map();

/** Import an ES module from its source text (a Blob URL, revoked once imported). */
export async function importText(text) {
  const url = URL.createObjectURL(new Blob([text], { type: "text/javascript" }));
  try {
    return await import(/* webpackIgnore: true */ url);
  } finally {
    URL.revokeObjectURL(url);
  }
}

/**
 * The page-side half of `request_module` (docs/protocol.md): the kernel answers with
 * `{type: "module", name}` and the text as one buffer, or `{type: "module", name, error}`.
 * app.js emits it on the store as the "module" event with `(msg, bufs)`.
 */
export function loadModule(store, name, timeoutMs = MODULE_TIMEOUT_MS) {
  const held = modules.get(name);
  if (held) return held;
  const promise = new Promise((resolve, reject) => {
    const fail = (err) => {
      modules.delete(name);
      reject(err);
    };
    const timer = setTimeout(() => {
      off();
      fail(new Error(`the kernel did not send the ${name} view's code in ${timeoutMs / 1000} s`));
    }, timeoutMs);
    const off = store.events.on("module", (msg, bufs) => {
      if (msg?.name !== name) return;
      off();
      clearTimeout(timer);
      if (msg.error || !bufs?.length) {
        fail(new Error(String(msg.error || `the kernel sent no code for the ${name} view`)));
        return;
      }
      importText(new TextDecoder().decode(bufs[0])).then(resolve, fail);
    });
    if (!store.send({ type: "request_module", name })) {
      off();
      clearTimeout(timer);
      fail(new Error("the kernel is not connected"));
    }
  });
  modules.set(name, promise);
  return promise;
}

/**
 * The 3-D view of one rendered view: `toggle()` opens it over the landscape (`landscape.cover`)
 * or closes it. `el` shows while it loads or when loading failed. Returns
 * `{toggle, open, close, isOpen, onChange, destroy}`; `surface` is the drawn view once loaded.
 */
export function createThreeD(store, landscape) {
  const el = h("div", {
    class: "gd-3d",
    "data-testid": "gd-3d-view",
    style: { position: "absolute", inset: "0", background: "var(--gd-bg, #fff)", zIndex: "5" },
  });
  const note = h("div", { class: "gd-muted", role: "status", text: "", style: { position: "absolute", left: "12px", top: "10px", zIndex: "1" } });
  const hint = h("div", { class: "gd-muted", text: "drag to rotate · wheel to zoom", style: { position: "absolute", right: "10px", bottom: "6px", zIndex: "1", fontSize: "11px" } });
  el.append(note, hint);
  let open = false;
  let surface = null;
  let loading = null;
  const listeners = new Set();
  const changed = () => {
    for (const fn of listeners) fn(open);
  };

  function show() {
    if (open) return;
    open = true;
    landscape.cover(el);
    changed();
    note.textContent = "loading the 3-D view…";
    el.dataset.state = "loading";
    loading = loadModule(store, "threed")
      .then((mod) => {
        loading = null;
        if (!open || surface) return;
        surface = mod.createSurface(el, store, { LUT, runInfo });
        note.textContent = "";
        el.dataset.state = "ready";
      })
      .catch((err) => {
        loading = null;
        note.textContent = `the 3-D view could not be loaded: ${err?.message ?? err}`;
        el.dataset.state = "error";
      });
  }

  function hide() {
    if (!open) return;
    open = false;
    // no hidden cost: the surface goes (the module stays loaded for the next open)
    surface?.destroy();
    surface = null;
    landscape.cover(null);
    changed();
  }

  return {
    el,
    get surface() {
      return surface;
    },
    isOpen: () => open,
    open: show,
    close: hide,
    toggle() {
      if (open) hide();
      else show();
    },
    onChange(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    destroy() {
      listeners.clear();
      surface?.destroy();
      surface = null;
      if (open) landscape.cover(null);
      open = false;
    },
  };
}
