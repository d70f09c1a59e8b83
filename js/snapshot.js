// A picture of a view's whole DOM, drawn by the browser itself: the view's subtree is cloned
// with every element's computed style written inline, each canvas replaced by an <img> of its
// pixels, and the clone put in an SVG <foreignObject>, loaded as an image and drawn on a canvas.
// So the PNG holds what the page shows: the canvases, the SVG layers (X-ray and edge arrows,
// clip marks), and the text (toolbar, legend, status line, panels). Nothing external is
// referenced (data URLs only), so the canvas is not tainted. js/capture.js uses it.

const XHTML = "http://www.w3.org/1999/xhtml";
const SVG = "http://www.w3.org/2000/svg";

/**
 * Computed styles of bare elements in a document without author styles (a hidden iframe, made
 * only when an element of a new kind comes), by namespace, tag and type, kept for the page's
 * life: a property equal there and on the parent need not be written.
 */
class Baseline {
  constructor() {
    // the standard properties: custom ones (--jp-*, --gd-*) are resolved in computed values
    const cs = getComputedStyle(document.documentElement);
    this.names = Array.from({ length: cs.length }, (_, i) => cs[i]).filter((n) => !n.startsWith("--"));
    this.styles = new Map();
    this.frame = null;
  }

  of(el) {
    const type = el.getAttribute("type"); // the UA styles a checkbox unlike a text box
    const key = `${el.namespaceURI} ${el.localName} ${type}`;
    let style = this.styles.get(key);
    if (!style) {
      const doc = this.open();
      const bare = doc.createElementNS(el.namespaceURI, el.localName);
      if (type !== null) bare.setAttribute("type", type);
      (el.namespaceURI === SVG ? doc.body.firstChild : doc.body).append(bare);
      const cs = this.frame.contentWindow.getComputedStyle(bare);
      style = this.names.map((name) => cs.getPropertyValue(name));
      bare.remove();
      this.styles.set(key, style);
    }
    return style;
  }

  open() {
    if (!this.frame) {
      this.frame = document.createElement("iframe");
      this.frame.setAttribute("aria-hidden", "true");
      this.frame.style.cssText = "position:fixed;left:-10000px;top:0;width:40px;height:40px;border:0;visibility:hidden";
      document.body.append(this.frame);
      const doc = this.frame.contentDocument;
      doc.body.append(doc.createElementNS(SVG, "svg"));
    }
    return this.frame.contentDocument;
  }

  close() {
    this.frame?.remove();
    this.frame = null;
  }
}

let shared = null;

// url("http://host/page#id") -> url("#id"): references stay inside the picture
const localUrls = (v) => (v.includes("url(") ? v.replace(/url\("[^"#)]*#/g, 'url("#') : v);

/**
 * `dst`'s style attribute: `src`'s computed style, less what it gets anyway (equal in the bare
 * baseline and on the parent, whose values are `parent`). Returns `src`'s values.
 */
function inlineStyle(src, dst, parent, baseline) {
  const cs = getComputedStyle(src);
  const base = baseline.of(src);
  const names = baseline.names;
  const values = new Array(names.length);
  const parts = [];
  for (let i = 0; i < names.length; i++) {
    const value = cs.getPropertyValue(names[i]);
    values[i] = value;
    if (parent && value === parent[i] && value === base[i]) continue;
    parts.push(`${names[i]}:${localUrls(value)}`);
  }
  dst.setAttribute("style", parts.join(";"));
  return values;
}

/** A canvas's stand-in: an <img> of its pixels (an empty one where they cannot be read). */
function canvasImage(canvas) {
  const img = document.createElementNS(XHTML, "img");
  try {
    if (canvas.width > 0 && canvas.height > 0) img.setAttribute("src", canvas.toDataURL("image/png"));
  } catch (err) {
    console.warn("gdwidget: a canvas could not be read for the picture", err);
  }
  return img;
}

/** What a form control shows, as attributes (a clone keeps attributes, not current values). */
function keepValue(src, dst) {
  if (src instanceof HTMLInputElement) {
    if (src.type === "checkbox" || src.type === "radio") dst.toggleAttribute("checked", src.checked);
    else dst.setAttribute("value", src.value);
  } else if (src instanceof HTMLTextAreaElement) {
    dst.textContent = src.value;
  } else if (src instanceof HTMLOptionElement) {
    dst.toggleAttribute("selected", src.selected);
  }
}

/** A copy of `src`'s subtree that draws alone: styles inline, canvases as images. */
function cloneStyled(src, parent, baseline) {
  if (src.nodeType === 3) return document.createTextNode(src.data);
  if (src.nodeType !== 1) return null;
  const tag = src.localName;
  if (tag === "script" || tag === "style" || tag === "link" || tag === "iframe") return null;
  const dst = tag === "canvas" ? canvasImage(src) : src.cloneNode(false);
  const values = inlineStyle(src, dst, parent, baseline);
  if (getComputedStyle(src).display === "none") return dst; // nothing under it shows
  keepValue(src, dst);
  if (tag !== "canvas") {
    for (const child of src.childNodes) {
      const c = cloneStyled(child, values, baseline);
      if (c) dst.append(c);
    }
  }
  return dst;
}

/** `fn(baseline)` with the page's baseline, its iframe removed after. */
function withBaseline(fn) {
  shared ??= new Baseline();
  try {
    return fn(shared);
  } finally {
    shared.close();
  }
}

/** Load an SVG document (its markup) as an image. */
function loadSvg(markup) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error("the browser could not draw the view's picture"));
    img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(markup)}`;
  });
}

/**
 * Draw `root` (a view's root element), all of it as the page shows it (canvases, SVG layers,
 * text), into `ctx` at `scale` device px per CSS px, its top-left corner at (0, 0).
 */
export async function drawDom(ctx, root, scale) {
  const box = root.getBoundingClientRect();
  const clone = withBaseline((b) => cloneStyled(root, null, b));
  clone.style.margin = "0";
  const w = box.width;
  const hgt = box.height;
  const inner = new XMLSerializer().serializeToString(clone);
  const markup =
    `<svg xmlns="${SVG}" width="${w * scale}" height="${hgt * scale}" viewBox="0 0 ${w} ${hgt}">` +
    `<foreignObject x="0" y="0" width="${w}" height="${hgt}">${inner}</foreignObject></svg>`;
  ctx.drawImage(await loadSvg(markup), 0, 0, w * scale, hgt * scale);
}

/**
 * Draw `root`'s visible SVG layers (the absolutely placed <svg> over the pictures: X-ray and
 * edge arrows, clip marks), each at its place relative to `root`, into `ctx` at `scale`: the
 * cheap part of drawDom, for animation frames.
 */
export async function drawSvgLayers(ctx, root, scale) {
  const box = root.getBoundingClientRect();
  const layers = [...root.querySelectorAll("svg")].filter((el) => {
    const r = el.getBoundingClientRect();
    const shown = typeof el.checkVisibility === "function" ? el.checkVisibility({ visibilityProperty: true }) : true;
    return r.width > 0 && r.height > 0 && shown && getComputedStyle(el).position === "absolute";
  });
  if (!layers.length) return;
  const copies = withBaseline((b) => layers.map((el) => cloneStyled(el, null, b)));
  for (const [k, el] of layers.entries()) {
    const r = el.getBoundingClientRect();
    const clone = copies[k];
    clone.setAttribute("width", String(r.width));
    clone.setAttribute("height", String(r.height));
    clone.style.margin = "0";
    clone.style.position = "static";
    const img = await loadSvg(new XMLSerializer().serializeToString(clone));
    ctx.drawImage(img, (r.left - box.left) * scale, (r.top - box.top) * scale, r.width * scale, r.height * scale);
  }
}
