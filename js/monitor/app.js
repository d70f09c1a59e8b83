// The monitor's model-wide wiring (`connectMonitor`) and one view (`renderMonitor`).
// `connectMonitor` makes the store and the connection (js/connection.js: the one way to send),
// installs the one custom-message handler and asks the kernel for the history once;
// `renderMonitor` builds DOM, subscribes to the store, and redraws at most once per frame.

import { createDisconnectedBanner } from "../banner.js";
import { createConnection } from "../connection.js";
import { frameScheduler, h, watchTheme } from "../dom.js";
import { createCurves } from "./curves.js";
import { createLrChart } from "./lr.js";
import { decodePath, decodeRows, decodeSurface } from "./messages.js";
import { createPathView } from "./pathview.js";
import { createMonitorStatus } from "./status.js";
import { createMonitorStore } from "./store.js";
import { createStrip } from "./strip.js";

const DECODERS = { frame: decodeRows, history: decodeRows, path: decodePath, surface: decodeSurface };

/** Make the model-wide store and wire the model to it. Returns the store (with `dispose`). */
export function connectMonitor(model) {
  const store = createMonitorStore(model);
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
    // the connection hands over the buffers, binary or base64 (where it can: js/connection.js
    // `receive`, which also answers the kernel's probe); null when there is nothing to decode
    const bufs = typeof connection.receive === "function" ? connection.receive(msg, buffers) : buffers;
    const decoder = DECODERS[type];
    if (!decoder || bufs === null) return;
    let decoded;
    try {
      decoded = decoder(msg, bufs);
    } catch (err) {
      console.warn(`gdwidget: dropped a malformed monitor '${type}' message`, err);
      return;
    }
    if (type === "path") store.setPath(decoded);
    else if (type === "surface") store.setSurface(decoded);
    else store.ingest(decoded);
  });
  listen("change:meta", () => store.events.emit("meta"));
  listen("change:status", () => store.events.emit("status"));

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

/** Column width for a view `inner` px wide: two columns from 820 px, else one. */
export function columnWidth(inner) {
  const w = Math.floor(Number(inner) || 0);
  return w >= 820 ? Math.floor((w - 14) / 2) : Math.max(240, w);
}

/**
 * Build one view of the monitor into `el`; returns its cleanup. The kernel hears
 * `{type: "view_open", id}` now and `{type: "view_close", id}` from the cleanup.
 */
export function renderMonitor(store, el) {
  const curves = createCurves(store);
  const lr = createLrChart(store);
  const strip = createStrip(store);
  const path = createPathView(store);
  const status = createMonitorStatus(store);
  const plots = [curves, lr, strip, path];

  const root = h("div", { class: "gd-root gd-monitor", "data-testid": "gd-monitor" }, [
    h("div", { class: "gd-monitor-body" }, [
      h("div", { class: "gd-col gd-monitor-col" }, [curves.el, lr.el]),
      h("div", { class: "gd-col gd-monitor-col" }, [path.el, strip.el]),
    ]),
    status.el,
  ]);
  const banner = createDisconnectedBanner(store, root);
  root.append(banner.el);
  banner.update();
  el.classList.add("gd-host");
  el.replaceChildren(root);

  const dirty = new Set(plots);
  let force = true;
  let waiting = 0;
  let measured = 0;

  function resize() {
    const inner = root.clientWidth - 22;
    if (!(inner > 0) || inner === measured) return;
    measured = inner;
    const w = columnWidth(inner);
    for (const p of plots) if (p.setWidth(w)) dirty.add(p);
  }

  function draw() {
    if (!root.isConnected) {
      // colours come from the page's theme: wait until the view is in the document
      if (waiting++ < 600) frame.request();
      return;
    }
    waiting = 0;
    resize();
    for (const p of plots) {
      if (!dirty.has(p)) continue;
      try {
        if (p === curves) curves.draw(force);
        else if (p === lr) lr.draw(force);
        else p.draw();
      } catch (err) {
        console.error("gdwidget: a monitor panel failed to draw", err);
      }
    }
    dirty.clear();
    force = false;
    status.update();
  }
  const frame = frameScheduler(draw);
  const mark = (...parts) => {
    for (const p of parts) dirty.add(p);
    frame.request();
  };

  let resizeObserver = null;
  if (typeof ResizeObserver !== "undefined") {
    resizeObserver = new ResizeObserver(() => mark());
    resizeObserver.observe(root);
  }
  const offs = [
    store.events.on("data", () => mark(curves, lr, strip)),
    store.events.on("path", () => mark(path)),
    store.events.on("surface", () => mark(path)),
    store.events.on("status", () => mark()),
    store.events.on("meta", () => {
      force = true;
      mark(...plots);
    }),
    store.events.on("theme", () => {
      force = true;
      mark(...plots);
    }),
    store.events.on("ui", () => {
      curves.syncControls();
      mark(curves);
    }),
  ];
  frame.request();
  const viewId = store.connection?.openView() ?? null;
  return () => {
    if (viewId !== null) store.connection.closeView(viewId);
    for (const off of offs) off();
    frame.cancel();
    resizeObserver?.disconnect();
    banner.destroy();
    for (const p of [...plots, status]) p.destroy();
    root.remove();
  };
}
