// Optimizer X-ray: at each visible run's marker, the vectors inside its optimizer (the kernel's
// `xray` message, sent while the toggle is on; docs/xray.md): the downhill gradient, the downhill
// momentum buffer, the last update, Lion's next sign step, Sophia's last step before and after
// clipping, and the effective per-coordinate step size as an ellipse. Each arrow carries
// `data-dx`/`data-dy`: the kernel's vector as it is (the gradient and the momentum are drawn
// reversed, pointing downhill). A small panel gives the numbers of the selected run.

import { h, setProp } from "./dom.js";
import { runInfo } from "./paths.js";

/** Arrow kinds: the message's key, the drawn sign, the dash pattern, the name in the panel. */
export const KINDS = [
  { key: "grad", sign: -1, dash: null, width: 2.4, name: "−gradient" },
  { key: "momentum", sign: -1, dash: "6 3", width: 2.4, name: "−momentum" },
  { key: "update", sign: 1, dash: null, width: 3.2, name: "last update" },
  { key: "sign_step", sign: 1, dash: "2 3", width: 2.4, name: "next sign step" },
  { key: "raw_step", sign: 1, dash: "2 3", width: 2, name: "step before clip" },
  { key: "clipped_step", sign: 1, dash: null, width: 2, name: "step after clip" },
];
const COLORS = { grad: "#d62728", momentum: "#9467bd", update: "#111111", sign_step: "#ff7f0e", raw_step: "#8c564b", clipped_step: "#2ca02c" };
const MIN_PX = 14;
const CAP = 0.22; // longest arrow, as a fraction of the plot's smaller side
const ELLIPSE_PX = 26; // the effective step's ellipse: its larger radius
const HEAD = 7;

const fmt = (v) => String(Number(Number(v).toPrecision(6)));
// the attributes carry the kernel's numbers exactly (tests compare them with w.internals)
const exact = (v) => String(Number(v));
const svg = (tag, attrs, children = []) => h(`svg:${tag}`, attrs, children);
const finite2 = (v) => Array.isArray(v) && v.length === 2 && v.every(Number.isFinite);

/**
 * An arrow's screen vector (px) for data vector `v`: its true length on screen, clamped to
 * [minPx, capPx] with its direction kept. Null for a zero or non-finite vector.
 */
export function screenVector(v, ax, ay, capPx, minPx = MIN_PX) {
  if (!finite2(v)) return null;
  const px = [v[0] * ax, v[1] * ay];
  const len = Math.hypot(px[0], px[1]);
  if (!(len > 0)) return null;
  const want = Math.min(capPx, Math.max(minPx, len));
  return [(px[0] * want) / len, (px[1] * want) / len];
}

/** The effective step's ellipse radii (px): the shape of (sx, sy) on screen, larger = `size`. */
export function ellipseRadii(s, ax, ay, size = ELLIPSE_PX) {
  if (!finite2(s) || !(s[0] >= 0 && s[1] >= 0)) return null;
  const rx = Math.abs(s[0] * ax);
  const ry = Math.abs(s[1] * ay);
  const big = Math.max(rx, ry);
  if (!(big > 0)) return null;
  return [Math.max(1.5, (size * rx) / big), Math.max(1.5, (size * ry) / big)];
}

function arrow(x0, y0, dx, dy, color, dash, width) {
  const len = Math.hypot(dx, dy);
  const ux = dx / len;
  const uy = dy / len;
  const head = Math.min(HEAD, len * 0.6);
  const x1 = x0 + dx;
  const y1 = y0 + dy;
  const bx = x1 - ux * head;
  const by = y1 - uy * head;
  const w = head * 0.55;
  const p = (x, y) => `${x.toFixed(1)},${y.toFixed(1)}`;
  return [
    svg("path", { d: `M${p(x0, y0)}L${p(bx, by)}`, class: "gd-arrow-halo gd-arrow-halo-light", "stroke-width": width + 3 }),
    svg("path", { d: `M${p(x0, y0)}L${p(bx, by)}`, fill: "none", stroke: color, "stroke-width": width, "stroke-dasharray": dash }),
    svg("path", { d: `M${p(x1, y1)}L${p(bx - uy * w, by + ux * w)}L${p(bx + uy * w, by - ux * w)}Z`, fill: color, stroke: color }),
  ];
}

/** The X-ray layer over the landscape: `draw(ax, bx, ay, by)` (pixel = a * value + b). */
export function createXrayLayer(store, { width, height, plot }) {
  const clipId = `gd-xray-clip-${Math.random().toString(36).slice(2, 10)}`;
  const group = svg("g", { "clip-path": `url(#${clipId})` });
  const clip = h("svg:clipPath", { id: clipId }, [svg("rect", { x: plot.left, y: plot.top, width: plot.width, height: plot.height })]);
  const el = h("svg:svg", { class: "gd-arrows gd-xray", "data-testid": "gd-xray-layer", width, height, viewBox: `0 0 ${width} ${height}`, "aria-hidden": "true" }, [
    h("svg:defs", {}, [clip]),
    group,
  ]);

  function draw(ax, bx, ay, by) {
    const msg = store.ui.xray ? store.xray : null;
    const meta = store.model.get("meta") ?? {};
    const items = [];
    const side = Math.min(plot.width, plot.height);
    for (const [r, run] of (msg?.runs ?? []).entries()) {
      const info = runInfo(meta, r);
      if (store.ui.hidden.has(info.label) || !finite2(run.position)) continue;
      const x0 = ax * run.position[0] + bx;
      const y0 = ay * run.position[1] + by;
      const parts = [];
      const radii = ellipseRadii(run.step_size, ax, ay);
      if (radii) {
        parts.push(svg("ellipse", {
          class: "gd-xray-ellipse",
          "data-testid": `gd-xray-step_size-${run.label}`,
          "data-sx": exact(run.step_size[0]),
          "data-sy": exact(run.step_size[1]),
          cx: x0.toFixed(1),
          cy: y0.toFixed(1),
          rx: radii[0].toFixed(1),
          ry: radii[1].toFixed(1),
          fill: "none",
          stroke: info.color,
          "stroke-width": 1.6,
          "stroke-dasharray": "3 2",
        }));
      }
      for (const kind of KINDS) {
        const v = run[kind.key];
        const d = finite2(v) ? screenVector([kind.sign * v[0], kind.sign * v[1]], ax, ay, CAP * side) : null;
        if (!d) continue;
        parts.push(svg("g", {
          class: `gd-xray-arrow gd-xray-${kind.key}`,
          "data-testid": `gd-xray-${kind.key}-${run.label}`,
          "data-dx": exact(v[0]),
          "data-dy": exact(v[1]),
        }, arrow(x0, y0, d[0], d[1], COLORS[kind.key], kind.dash, kind.width)));
      }
      items.push(svg("g", { class: "gd-xray-run", "data-label": run.label }, parts));
    }
    if (items.length || group.childElementCount) group.replaceChildren(...items);
    setProp(el.dataset, "count", String(items.length));
    return items.length > 0;
  }

  return { el, draw };
}

const show = (v) => (v == null ? "—" : Array.isArray(v) ? `(${v.map((x) => (x == null ? "—" : fmt(x))).join(", ")})` : fmt(v));

/** The rows of the numbers panel for one run of the message. */
export function panelRows(run) {
  const rows = [["step", String(run.step)]];
  const names = {
    grad: "gradient",
    momentum: "momentum",
    second_moment: "second moment",
    step_size: "effective step",
    update: "last update",
    sign_step: "next sign step",
    raw_step: "step before clip",
    clipped_step: "step after clip",
    clip: "clip factor",
  };
  for (const [key, name] of Object.entries(names)) if (run[key] != null) rows.push([name, show(run[key])]);
  return rows;
}

/** The toggle (`gd-xray`), the run picker and the numbers of the selected run. */
export function createXrayPanel(store) {
  const toggle = h("input", { type: "checkbox", "data-testid": "gd-xray" });
  // the kernel's `xray` trait says whether it is on (w.set_xray, or any view's toggle)
  store.ui.xray = Boolean(store.model.get("xray") ?? store.ui.xray);
  toggle.checked = store.ui.xray;
  const pick = h("select", { class: "gd-xray-pick", "data-testid": "gd-xray-run" });
  // sizes in widget.css (they grow with the presentation scale); the key's words in the text
  // colour, each beside a swatch of its arrow's colour (readable in either theme)
  const table = h("table", { class: "gd-xray-table", "data-testid": "gd-xray-panel", style: { fontVariantNumeric: "tabular-nums" } });
  const key = h("div", { class: "gd-xray-key", style: { display: "flex", flexWrap: "wrap", gap: "2px 8px", maxWidth: "100%" } }, [
    ...KINDS.map((k) => h("span", {}, [h("span", { class: "gd-xray-swatch", style: { background: COLORS[k.key] } }), h("span", { text: k.name })])),
    h("span", { text: "◌ effective step (per coordinate)" }),
  ]);
  const body = h("div", { class: "gd-xray-body", hidden: !toggle.checked }, [pick, table, key]);
  const el = h("div", { class: "gd-xray-box" }, [
    h("label", { class: "gd-xray-label", title: "draw each optimizer's internals at its marker" }, [toggle, h("span", { text: " X-ray" })]),
    body,
  ]);

  function fill() {
    const runs = store.xray?.runs ?? [];
    const labels = runs.map((r) => r.label);
    if ([...pick.options].map((o) => o.value).join("\u0000") !== labels.join("\u0000")) {
      const keep = pick.value;
      pick.replaceChildren(...labels.map((label) => h("option", { value: label, text: label })));
      if (labels.includes(keep)) pick.value = keep;
      else if (labels.length) pick.value = labels[0];
    }
    const run = runs.find((r) => r.label === pick.value) ?? runs[0];
    table.replaceChildren(
      ...(run ? panelRows(run) : []).map(([name, value]) =>
        h("tr", { dataset: { name } }, [h("th", { text: name }), h("td", { text: value })]),
      ),
    );
  }

  function show(on) {
    store.ui.xray = on;
    toggle.checked = on;
    body.hidden = !on;
    store.events.emit("xray");
  }
  function onToggle() {
    show(toggle.checked);
    store.send({ type: "xray", on: toggle.checked });
  }
  const onTrait = () => {
    const on = Boolean(store.model.get("xray"));
    if (on !== store.ui.xray) show(on);
  };
  toggle.addEventListener("change", onToggle);
  store.model.on("change:xray", onTrait);
  pick.addEventListener("change", fill);
  const offs = [store.events.on("xray", fill)];
  fill();
  return {
    el,
    destroy() {
      for (const off of offs) off();
      toggle.removeEventListener("change", onToggle);
      store.model.off("change:xray", onTrait);
      pick.removeEventListener("change", fill);
    },
  };
}
