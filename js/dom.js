// Small DOM and scheduling helpers shared by the views. No framework: the views are few and
// mostly canvases, so plain DOM keeps the bundle small.

/**
 * Create an element. `attrs` keys: "class", "text", "style" (object), "dataset" (object),
 * "on" (object of event listeners); any other key is set as an attribute (boolean true gives an
 * empty attribute, false/null/undefined skips it).
 */
export function h(tag, attrs = {}, children = []) {
  const svg = tag.startsWith("svg:");
  const el = svg
    ? document.createElementNS("http://www.w3.org/2000/svg", tag.slice(4))
    : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue;
    if (key === "class") el.setAttribute("class", value);
    else if (key === "text") el.textContent = value;
    else if (key === "style") Object.assign(el.style, value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "on") {
      for (const [type, fn] of Object.entries(value)) el.addEventListener(type, fn);
    } else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of [].concat(children)) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/**
 * Coalesce redraw requests: `request()` any number of times, `fn` runs at most once per animation
 * frame. Falls back to a timer where requestAnimationFrame does not exist (node tests).
 */
export function frameScheduler(fn) {
  const raf = globalThis.requestAnimationFrame?.bind(globalThis) ?? ((cb) => setTimeout(cb, 16));
  const caf = globalThis.cancelAnimationFrame?.bind(globalThis) ?? clearTimeout;
  let handle = null;
  return {
    request() {
      if (handle !== null) return;
      handle = raf(() => {
        handle = null;
        fn();
      });
    },
    cancel() {
      if (handle !== null) caf(handle);
      handle = null;
    },
  };
}

/** Call `fn` once, `wait` ms after the last call; `flush()` runs a pending call now. */
export function debounce(fn, wait) {
  let timer = null;
  let lastArgs = null;
  const debounced = (...args) => {
    lastArgs = args;
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      fn(...lastArgs);
    }, wait);
  };
  debounced.flush = () => {
    if (timer === null) return;
    clearTimeout(timer);
    timer = null;
    fn(...lastArgs);
  };
  debounced.cancel = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };
  debounced.pending = () => timer !== null;
  return debounced;
}

/** Call `fn` at most once every `wait` ms, always ending with the latest arguments. */
export function throttle(fn, wait) {
  let last = 0;
  let timer = null;
  let lastArgs = null;
  const run = () => {
    last = Date.now();
    timer = null;
    fn(...lastArgs);
  };
  const throttled = (...args) => {
    lastArgs = args;
    const left = wait - (Date.now() - last);
    if (left <= 0) {
      if (timer !== null) clearTimeout(timer);
      run();
    } else if (timer === null) {
      timer = setTimeout(run, left);
    }
  };
  throttled.cancel = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };
  return throttled;
}

/** A canvas sized in CSS pixels and backed at the device pixel ratio. */
export function sizeCanvas(canvas, width, height) {
  const dpr = Math.max(1, Math.min(3, globalThis.devicePixelRatio || 1));
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return { ctx, dpr };
}

/**
 * Call `onChange` whenever JupyterLab switches themes (it changes attributes on <body>);
 * returns the function that stops watching. A no-op where there is no DOM (node tests).
 */
export function watchTheme(onChange) {
  if (typeof MutationObserver === "undefined" || !globalThis.document?.body) return () => {};
  const observer = new MutationObserver(onChange);
  observer.observe(document.body, { attributes: true, attributeFilter: ["data-jp-theme-name", "data-jp-theme-light", "class"] });
  return () => observer.disconnect();
}

/** Set `node[key]` (a property or a `dataset` entry) only when it differs: every write is a
 * DOM change that costs the page a style pass, even when the value is the same. */
export function setProp(node, key, value) {
  if (node[key] !== value) node[key] = value;
}
