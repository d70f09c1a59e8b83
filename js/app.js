// The Playground's model-wide wiring (`connect`) and one view (`renderView`). `connect` makes the
// store (decoded, bounded run data) and the connection (the one way to send), installs the one
// custom-message handler, forwards trait changes to the store's events, and asks the kernel for
// the history once. `renderView` only builds DOM and subscribes to the store; several views of
// one model share it and so always agree.

import { createDisconnectedBanner } from "./banner.js";
import { createConnection } from "./connection.js";
import { createToolbar } from "./controls.js";
import { decodeArrows, decodeFrame, decodeModelView } from "./decode.js";
import { h } from "./dom.js";
import { createEvalsPanel } from "./evals.js";
import { createLandscape } from "./landscape.js";
import { createLossPanel } from "./loss.js";
import { createModelView } from "./modelview.js";
import { createLegend } from "./paths.js";
import { createLrSliders } from "./sliders.js";
import { createStatusLine } from "./statusline.js";
import { createStore, structureKey } from "./store.js";

const FORWARDED = ["t", "running", "speed", "error", "marks"];
const DECODERS = { frame: decodeFrame, history: decodeFrame, arrows: decodeArrows, model_view: decodeModelView };

/** Make the model-wide store and wire the model to it. Returns the store (with `dispose`). */
export function connect(model) {
  const store = createStore(model);
  // every message to the kernel goes through here: it never throws, and a failure shows the
  // "kernel gone" banner instead of an error in the console
  const connection = createConnection(model, store.events);
  store.connection = connection;
  store.send = connection.send;
  const listeners = [];
  const listen = (event, fn) => {
    model.on(event, fn);
    listeners.push([event, fn]);
  };

  listen("msg:custom", (msg, buffers) => {
    const type = msg?.type;
    // binary or base64 buffers; null for the kernel's probe or lost buffers (both handled there)
    const bufs = connection.receive(msg, buffers);
    const decoder = DECODERS[type];
    if (!decoder || bufs === null) return;
    let decoded;
    try {
      decoded = decoder(msg, bufs);
    } catch (err) {
      console.warn(`gdwidget: dropped a malformed '${type}' message`, err);
      return;
    }
    if (type === "arrows") store.setArrows(decoded);
    else if (type === "model_view") store.setModelView(decoded);
    else store.ingest(decoded);
  });
  listen("change:grid", () => store.invalidateGrid());
  listen("change:grid_meta", () => store.invalidateGrid());
  listen("change:data", () => store.invalidatePoints());
  listen("change:data_meta", () => store.invalidatePoints());
  listen("change:batch_size", () => {
    // arrows come only while batch_size > 0: the last ones would stay behind
    if (!(Number(model.get("batch_size")) > 0) && store.arrows) store.setArrows(null);
    store.events.emit("traits", "batch_size");
  });
  // A change of a group's lr (the kernel echoes set_lr into meta.groups) must not rebuild the
  // views: that would replace the slider under the user's pointer and recreate the plots.
  let metaKey = structureKey(model.get("meta"));
  listen("change:meta", () => {
    const key = structureKey(model.get("meta"));
    if (key === metaKey) {
      store.events.emit("meta-values");
      return;
    }
    metaKey = key;
    store.ui.lr = {};
    store.events.emit("meta");
  });
  listen("change:view", () => store.events.emit("view"));
  listen("change:status", () => store.events.emit("status"));
  for (const name of FORWARDED) listen(`change:${name}`, () => store.events.emit("traits", name));

  // JupyterLab switches themes by changing attributes on <body>: redraw the canvases then.
  let observer = null;
  if (typeof MutationObserver !== "undefined" && globalThis.document?.body) {
    observer = new MutationObserver(() => store.events.emit("theme"));
    observer.observe(document.body, { attributes: true, attributeFilter: ["data-jp-theme-name", "data-jp-theme-light", "class"] });
  }

  store.dispose = () => {
    for (const [event, fn] of listeners) model.off(event, fn);
    connection.dispose();
    observer?.disconnect();
    store.events.clear();
  };
  store.send({ type: "request_history" });
  return store;
}

/**
 * Build one view of the Playground into `el`; returns its cleanup function. The kernel hears
 * `{type: "view_open", id}` now and `{type: "view_close", id}` from the cleanup.
 */
export function renderView(store, el) {
  const toolbar = createToolbar(store);
  const landscape = createLandscape(store);
  const legend = createLegend(store);
  const sliders = createLrSliders(store);
  const loss = createLossPanel(store);
  const evals = createEvalsPanel(store);
  const modelView = createModelView(store);
  const status = createStatusLine(store);
  const parts = [toolbar, landscape, legend, sliders, loss, evals, modelView, status];

  // a model adds its view of the data under the landscape and its evaluations under the loss
  const root = h("div", { class: "gd-root" }, [
    toolbar.el,
    h("div", { class: "gd-body" }, [
      h("div", { class: "gd-col gd-col-left" }, [
        landscape.el,
        h("div", { class: "gd-hint gd-muted", text: "drag to pan · wheel to zoom · click to start every run there" }),
        landscape.note,
        modelView.el,
      ]),
      h("div", { class: "gd-col gd-col-right" }, [legend.el, sliders.el, loss.el, evals.el]),
    ]),
    status.el,
  ]);
  const banner = createDisconnectedBanner(store, root);
  root.append(banner.el);
  banner.update();
  el.classList.add("gd-host");
  el.replaceChildren(root);
  const viewId = store.connection?.openView([landscape.plot.width, landscape.plot.height]) ?? null;
  return () => {
    if (viewId !== null) store.connection.closeView(viewId);
    banner.destroy();
    for (const part of parts) part.destroy();
    root.remove();
  };
}
