// The Playground's model-wide wiring (`connect`) and one view (`renderView`). `connect` makes the
// store (decoded, bounded run data) and the connection (the one way to send), installs the one
// custom-message handler, forwards trait changes to the store's events, and asks the kernel for
// the history once. `renderView` only builds DOM and subscribes to the store; several views of
// one model share it and so always agree.

import { createDisconnectedBanner } from "./banner.js";
import { installClassroom } from "./classroom.js";
import { answerCapture, downloadPng } from "./capture.js";
import { createConnection } from "./connection.js";
import { createToolbar } from "./controls.js";
import { decodeArrows, decodeFrame, decodeModelView } from "./decode.js";
import { h, watchTheme } from "./dom.js";
import { createEvalsPanel } from "./evals.js";
import { createLandscape } from "./landscape.js";
import { createLossPanel } from "./loss.js";
import { installKeyboard } from "./keyboard.js";
import { createModelView } from "./modelview.js";
import { createLegend } from "./legend.js";
import { markScaled, sizes, viewScale } from "./presentation.js";
import { createLrSliders } from "./sliders.js";
import { createStatusLine } from "./statusline.js";
import { createStore, structureKey } from "./store.js";
import { createSettingsPanel } from "./settings.js";
import { createXrayPanel } from "./xray.js";
import { createInstantPanel } from "./instant.js";
import { createTimeline } from "./timeline.js";
import { createThreeD } from "./threed.js";

const FORWARDED = ["t", "running", "speed", "error", "marks"];
const DECODERS = { frame: decodeFrame, thin: decodeFrame, history: decodeFrame, arrows: decodeArrows, model_view: decodeModelView };

/** Make the model-wide store and wire the model to it. Returns the store (with `dispose`). */
export function connect(model) {
  const store = createStore(model);
  // every message to the kernel goes through here: it never throws, and a failure shows the
  // "kernel gone" banner instead of an error in the console
  const connection = createConnection(model, store.events);
  store.connection = connection;
  store.send = connection.send;
  store.captureRoots = new Set(); // each view's root, for the kernel's `capture` (js/capture.js)
  const listeners = [];
  const listen = (event, fn) => {
    model.on(event, fn);
    listeners.push([event, fn]);
  };

  listen("msg:custom", (msg, buffers) => {
    const type = msg?.type;
    if (type === "started") return void store.events.emit("started", msg); // js/instant.js
    if (type === "xray") {
      // plain JSON (docs/protocol.md): the X-ray of every run, while the page's toggle is on
      store.xray = msg;
      store.events.emit("xray");
      return;
    }
    // binary or base64 buffers; null for the kernel's probe or lost buffers (both handled there)
    const bufs = connection.receive(msg, buffers);
    // the kernel asks for a picture (w.save_png), or sends the 3-D view's code (js/threed.js)
    if (type === "capture") return void answerCapture(store, msg, store.captureRoots);
    if (type === "module") return void store.events.emit("module", msg, bufs);
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
  // the step every view shows while seeking (js/timeline.js)
  store.setCursor(model.get("cursor"));
  listen("change:cursor", () => store.setCursor(model.get("cursor")));
  listen("change:status", () => store.events.emit("status"));
  for (const name of FORWARDED) listen(`change:${name}`, () => store.events.emit("traits", name));

  const unwatchTheme = watchTheme(() => store.events.emit("theme")); // redraw the canvases then

  store.dispose = () => {
    for (const [event, fn] of listeners) model.off(event, fn);
    connection.dispose();
    unwatchTheme();
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
  const size = sizes(viewScale(el)); // presentation: js/presentation.js
  let root = null;
  let landscape = null;
  const media = {
    savePng: () => root && downloadPng(root),
    threeD: createThreeD(store, { cover: (node) => landscape?.cover(node) }),
  };
  const toolbar = createToolbar(store, media);
  landscape = createLandscape(store, size.landscape);
  const legend = createLegend(store);
  const sliders = createLrSliders(store);
  const loss = createLossPanel(store, size.loss);
  const evals = createEvalsPanel(store);
  const modelView = createModelView(store, size.model);
  const status = createStatusLine(store);
  const timeline = createTimeline(store);
  const parts = [media.threeD, toolbar, landscape, legend, sliders, loss, evals, modelView, status];
  const xray = createXrayPanel(store);
  const settings = createSettingsPanel(store);
  const instant = createInstantPanel(store);
  parts.push(xray, settings, instant);
  parts.push(timeline);

  // a model adds its view of the data under the landscape and its evaluations under the loss
  root = h("div", { class: "gd-root" }, [
    toolbar.el,
    h("div", { class: "gd-body" }, [
      h("div", { class: "gd-col gd-col-left" }, [
        landscape.el,
        timeline.el,
        h("div", { class: "gd-hint gd-muted", text: "drag to pan · wheel to zoom · click to start every run there · drag a start ○ to move it" }),
        landscape.note,
        instant.el,
        xray.el,
        modelView.el,
      ]),
      h("div", { class: "gd-col gd-col-right" }, [legend.el, sliders.el, settings.el, loss.el, evals.el]),
    ]),
    status.el,
  ]);
  const banner = createDisconnectedBanner(store, root);
  root.append(banner.el);
  banner.update();
  markScaled(root, size.scale);
  const keyboard = installKeyboard(store, root);
  const classroom = installClassroom(store, root, status.el);
  el.classList.add("gd-host");
  el.replaceChildren(root);
  store.captureRoots?.add(root);
  const viewId = store.connection?.openView([landscape.plot.width, landscape.plot.height]) ?? null;
  return () => {
    if (viewId !== null) store.connection.closeView(viewId);
    banner.destroy();
    keyboard.destroy();
    classroom.destroy();
    store.captureRoots?.delete(root);
    for (const part of parts) part.destroy();
    root.remove();
  };
}
