// Test helpers: a small DOM (linkedom) with a recording 2D canvas context, and a fake anywidget
// model (get/set/send/on/off, and a way to fire its events as ipywidgets would).
import { parseHTML } from "linkedom";

/** Install a document and the few browser globals the views use; idempotent. */
export function installDom() {
  if (globalThis.__gdDom) return globalThis.__gdDom;
  const win = parseHTML("<!doctype html><html><body></body></html>");
  const { document } = win;
  // a plain window: listeners kept in a map (linkedom's dispatch fails on node's Event)
  const winListeners = new Map();
  const window = {
    document,
    devicePixelRatio: 1,
    addEventListener(type, fn) {
      if (!winListeners.has(type)) winListeners.set(type, new Set());
      winListeners.get(type).add(fn);
    },
    removeEventListener: (type, fn) => winListeners.get(type)?.delete(fn),
    dispatchEvent(ev) {
      for (const fn of [...(winListeners.get(ev.type) ?? [])]) fn(ev);
      return true;
    },
    listenerCount: (type) => winListeners.get(type)?.size ?? 0,
    // linkedom's Event, for dispatching on elements ("input", "change")
    __gdEvent: win.Event,
  };
  const g = globalThis;
  g.window = window;
  g.document = document;
  for (const name of ["Node", "HTMLElement", "Element"]) if (!g[name] && win[name]) g[name] = win[name];
  if (!g.navigator) g.navigator = { userAgent: "node" };
  const mq = () => ({ matches: false, addListener() {}, removeListener() {}, addEventListener() {}, removeEventListener() {} });
  window.matchMedia ??= mq;
  g.matchMedia ??= mq;
  g.devicePixelRatio ??= 1;
  g.getComputedStyle = () => ({ color: "#333", fontFamily: "sans-serif", getPropertyValue: () => "" });
  g.Path2D = class {
    moveTo() {}
    lineTo() {}
    rect() {}
    arc() {}
    closePath() {}
  };
  const ctx = () =>
    new Proxy(
      { measureText: (s) => ({ width: String(s).length * 6 }), font: "11px sans-serif", createImageData: (w, h) => ({ data: new Uint8ClampedArray(w * h * 4) }) },
      {
        get: (target, key) => (key in target ? target[key] : () => {}),
        set: (target, key, value) => {
          target[key] = value;
          return true;
        },
      },
    );
  // linkedom's <select> has a read-only value
  Object.defineProperty(Object.getPrototypeOf(document.createElement("select")), "value", {
    get() {
      return this.__value ?? "";
    },
    set(v) {
      this.__value = String(v);
    },
    configurable: true,
  });
  const proto = Object.getPrototypeOf(document.createElement("canvas"));
  proto.getContext = function getContext() {
    this.__ctx ??= ctx();
    return this.__ctx;
  };
  g.CustomEvent = class {
    constructor(type) {
      this.type = type;
    }
  };
  g.__gdDom = { document, window };
  return g.__gdDom;
}

/** A fake anywidget model: traits in `state`, sent messages in `sent`, `fire(event, ...args)`. */
export class FakeModel {
  constructor(state = {}) {
    this.state = { ...state };
    this.sent = [];
    this.handlers = new Map();
    this.throwOnSend = null;
  }
  get(name) {
    return this.state[name];
  }
  set(name, value) {
    this.state[name] = value;
    this.fire(`change:${name}`);
  }
  send(msg) {
    if (this.throwOnSend) throw new Error(this.throwOnSend);
    this.sent.push(msg);
  }
  on(event, fn) {
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event).add(fn);
  }
  off(event, fn) {
    this.handlers.get(event)?.delete(fn);
  }
  fire(event, ...args) {
    for (const fn of [...(this.handlers.get(event) ?? [])]) fn(...args);
  }
  listeners() {
    let n = 0;
    for (const set of this.handlers.values()) n += set.size;
    return n;
  }
}

/**
 * A decoded frame ("history" or "frame") for the store: `paths[r]` is run r's list of
 * [x, y, loss] rows, all of the same length, at steps first, first + 1, ...
 */
export function frameOf(paths, { type = "history", first = 0 } = {}) {
  const R = paths.length;
  const n = paths[0].length;
  const steps = new Float64Array(n);
  const loss = new Float32Array(n * R);
  const xy = new Float32Array(n * R * 2);
  const lr = new Float32Array(n * R).fill(0.1);
  for (let i = 0; i < n; i++) {
    steps[i] = first + i;
    for (let r = 0; r < R; r++) {
      const [x, y, l] = paths[r][i];
      loss[i * R + r] = l;
      xy[(i * R + r) * 2] = x;
      xy[(i * R + r) * 2 + 1] = y;
    }
  }
  return { type, n, nRuns: R, dims: 2, firstStep: first, steps, loss, xy, lr, evals: null };
}

/** meta for runs with these labels (group = label), bounds [-2, 2]^2. */
export function metaFor(labels, extra = {}) {
  return {
    kind: "function",
    objective: "test",
    n_params: 2,
    bounds: [
      [-2, 2],
      [-2, 2],
    ],
    runs: labels.map((label, r) => ({ label, group: label, color: `#00000${r % 10}`, hyper: {} })),
    groups: labels.map((label) => ({ label, optimizer: label, lr: 0.01, lr_min: 1e-4, lr_max: 1, schedule: null })),
    axes: ["x", "y"],
    ...extra,
  };
}
