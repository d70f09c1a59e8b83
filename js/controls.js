// The toolbar: play / pause / step / N steps / reset, the batch size (models) and the speed
// slider. Every control sends one message (docs/protocol.md) through `store.send`. The
// learning-rate sliders are in sliders.js, the status line in statusline.js.

import { h, throttle } from "./dom.js";
import { formatNumber, logMap } from "./scales.js";

export { createLrSliders } from "./sliders.js";
export { createStatusLine } from "./statusline.js";

// speed slider: positions 0..SPEED_MAX_POS-1 are 1..1000 steps/s on a log scale; the last is "max"
const SPEED_POSITIONS = 100;
const SPEED = logMap(1, 1000);
/** The most steps the step box sends at once. */
export const MAX_STEPS = 1e9;

export function speedFromPos(pos) {
  const p = Number(pos);
  if (p >= SPEED_POSITIONS) return 0;
  return Number(SPEED.toValue(p / (SPEED_POSITIONS - 1)).toPrecision(2));
}

export function posFromSpeed(speed) {
  const s = Number(speed);
  if (!(s > 0)) return SPEED_POSITIONS;
  return Math.round(SPEED.toPos(s) * (SPEED_POSITIONS - 1));
}

/**
 * The step box's value as a count: `{n}` for a whole number in 1..MAX_STEPS, else `{error}`
 * (the message shown under the box).
 */
export function parseStepCount(text) {
  const str = String(text ?? "").trim();
  const v = Number(str);
  if (str === "" || !Number.isFinite(v)) return { error: "enter a number of steps" };
  if (!Number.isInteger(v)) return { error: "a whole number of steps" };
  if (v < 1) return { error: "at least 1 step" };
  if (v > MAX_STEPS) return { error: "at most 10^9 steps at once" };
  return { n: v };
}

const speedText = (s) => (s > 0 ? `${formatNumber(s, 2)} steps/s` : "max");

// 16 x 16 icons, drawn with currentColor (no icon font: it may be missing in the page)
const ICONS = {
  play: [["path", { d: "M4.5 2.5v11l9-5.5z" }]],
  pause: [
    ["rect", { x: "3.5", y: "2.5", width: "3", height: "11", rx: "0.5" }],
    ["rect", { x: "9.5", y: "2.5", width: "3", height: "11", rx: "0.5" }],
  ],
  step: [
    ["path", { d: "M3 2.5v11l7.5-5.5z" }],
    ["rect", { x: "11", y: "2.5", width: "2.5", height: "11", rx: "0.5" }],
  ],
  reset: [
    ["path", { d: "M8 2.5a5.5 5.5 0 1 1-5.2 3.7", fill: "none", stroke: "currentColor", "stroke-width": "1.8", "stroke-linecap": "round" }],
    ["path", { d: "M1.2 2.8l1.9 4.1 3.9-2.3z" }],
  ],
};

function icon(name) {
  return h(
    "svg:svg",
    { class: "gd-icon", viewBox: "0 0 16 16", width: "14", height: "14", fill: "currentColor", "aria-hidden": "true" },
    ICONS[name].map(([tag, attrs]) => h(`svg:${tag}`, attrs)),
  );
}

function button(testid, text, title, onClick, iconName = null) {
  return h("button", { type: "button", class: "gd-btn", "data-testid": testid, title, on: { click: onClick } }, [
    iconName ? icon(iconName) : null,
    h("span", { text }),
  ]);
}

/** The toolbar: play, pause, step, N steps, reset and speed. */
export function createToolbar(store, hooks = {}) {
  const model = store.model;
  const send = (msg) => store.send(msg);

  const play = button("gd-play", "play", "run until paused", () => send({ type: "play" }), "play");
  const pause = button("gd-pause", "pause", "stop the run loop", () => send({ type: "pause" }), "pause");
  const step = button("gd-step", "step", "take one step", () => send({ type: "step", n: 1 }), "step");
  const count = h("input", {
    type: "number",
    class: "gd-step-count",
    "data-testid": "gd-step-n-input",
    min: "1",
    max: String(MAX_STEPS),
    step: "1",
    value: "10",
    "aria-label": "number of steps",
  });
  const countError = h("span", { class: "gd-step-error", role: "status", hidden: true });
  const stepN = button("gd-step-n", "run 10", "take this many steps", () => {
    const { n } = updateStepN();
    if (n !== undefined) send({ type: "step", n });
  });
  function updateStepN() {
    const parsed = parseStepCount(count.value);
    stepN.lastChild.textContent = parsed.n !== undefined ? `run ${formatCount(parsed.n)}` : "run N";
    count.classList.toggle("gd-invalid", parsed.error !== undefined);
    count.setCustomValidity?.(parsed.error ?? "");
    count.title = parsed.error ?? "number of steps (1 to 10^9)";
    countError.textContent = parsed.error ?? "";
    countError.hidden = parsed.error === undefined;
    return parsed;
  }
  count.addEventListener("input", updateStepN);
  count.addEventListener("keydown", (ev) => ev.key === "Enter" && stepN.click());
  const reset = button("gd-reset", "reset", "back to step 0", () => send({ type: "reset", start: null }), "reset");

  const speed = h("input", {
    type: "range",
    class: "gd-speed",
    "data-testid": "gd-speed",
    min: "0",
    max: String(SPEED_POSITIONS),
    step: "1",
    "aria-label": "steps per second",
  });
  const speedLabel = h("span", { class: "gd-speed-value" });
  const sendSpeed = throttle((value) => send({ type: "set_speed", value }), 100);
  let speedHeldUntil = 0;
  speed.addEventListener("pointerdown", () => (speedHeldUntil = performance.now() + 1e9));
  speed.addEventListener("pointerup", () => (speedHeldUntil = performance.now() + 400));
  speed.addEventListener("input", () => {
    speedHeldUntil = Math.max(speedHeldUntil, performance.now() + 400);
    const s = speedFromPos(speed.value);
    speedLabel.textContent = speedText(s);
    speed.dataset.value = String(s);
    sendSpeed(s);
  });

  function syncTraits() {
    const running = Boolean(model.get("running"));
    play.classList.toggle("gd-active", running);
    pause.classList.toggle("gd-active", !running);
    play.setAttribute("aria-pressed", String(running));
    const s = Number(model.get("speed") ?? 0);
    if (performance.now() >= speedHeldUntil) speed.value = String(posFromSpeed(s));
    speed.dataset.value = String(s);
    speedLabel.textContent = speedText(s);
  }

  const batch = createBatchControl(store);
  const media = createMediaButtons(hooks);
  const el = h("div", { class: "gd-toolbar", role: "toolbar" }, [
    h("div", { class: "gd-group" }, [play, pause, step, h("span", { class: "gd-stepn" }, [count, stepN, countError]), reset]),
    batch.el,
    media.el,
    h("label", { class: "gd-group gd-speed-group", title: "steps per second (right end: as fast as possible)" }, [
      h("span", { class: "gd-muted", text: "speed" }),
      speed,
      speedLabel,
    ]),
  ]);
  updateStepN();
  syncTraits();
  const off = store.events.on("traits", (name) => (name === "running" || name === "speed") && syncTraits());
  return {
    el,
    destroy() {
      off();
      batch.destroy();
      media.destroy();
      sendSpeed.cancel();
    },
  };
}

/** 1234567 -> "1.23M", 10 -> "10" (the step button's label stays short). */
export function formatCount(n) {
  if (n >= 1e9) return `${Number((n / 1e9).toPrecision(3))}G`;
  if (n >= 1e6) return `${Number((n / 1e6).toPrecision(3))}M`;
  if (n >= 1e4) return `${Number((n / 1e3).toPrecision(3))}k`;
  return String(n);
}

/**
 * The batch sizes offered for `n` examples: 0 (the full batch), then 1, 2, 4, ... below n; a
 * `current` value that is not among them (set from Python) is added in order.
 */
export function batchOptions(n, current = null) {
  const out = [0];
  const count = Math.floor(Number(n));
  for (let k = 1; k < count; k *= 2) out.push(k);
  const c = Math.floor(Number(current));
  if (c > 0 && c < count && !out.includes(c)) {
    out.push(c);
    out.sort((a, b) => a - b);
  }
  return out;
}

const batchText = (k, n) => (k > 0 ? String(k) : `full (${n})`);

/**
 * The batch-size control of a model (`gd-batch-size`), synced to the `batch_size` trait and
 * sending `set_batch_size`. Hidden for functions.
 */
export function createBatchControl(store) {
  const model = store.model;
  const select = h("select", { class: "gd-select", "data-testid": "gd-batch-size", "aria-label": "examples per gradient step" });
  const el = h(
    "label",
    { class: "gd-group gd-batch", title: "examples per gradient step: the full batch, one (stochastic), or a mini-batch", hidden: true },
    [h("span", { class: "gd-muted", text: "batch" }), select],
  );
  let heldUntil = 0;
  select.addEventListener("change", () => {
    const value = Number(select.value);
    if (!Number.isInteger(value) || value < 0) return;
    heldUntil = performance.now() + 1000;
    store.send({ type: "set_batch_size", value });
  });

  function sync() {
    const meta = model.get("meta") ?? {};
    const n = Number(meta.model?.n_examples);
    const isModel = meta.kind === "model" && n >= 1;
    el.hidden = !isModel;
    if (!isModel) return;
    const current = Math.max(0, Math.floor(Number(model.get("batch_size") ?? 0))) || 0;
    // a batch as large as the data is the full batch
    const shown = current >= n ? 0 : current;
    const options = batchOptions(n, shown);
    const keyNow = options.join(",");
    if (select.dataset.options !== keyNow) {
      select.replaceChildren(...options.map((k) => h("option", { value: String(k), text: batchText(k, n) })));
      select.dataset.options = keyNow;
    }
    if (performance.now() >= heldUntil || select.value === String(shown)) {
      heldUntil = 0;
      select.value = String(shown);
    }
    select.dataset.value = String(shown);
  }

  sync();
  const offs = [
    store.events.on("meta", sync),
    store.events.on("traits", (name) => name === "batch_size" && sync()),
  ];
  return {
    el,
    destroy() {
      for (const off of offs) off();
    },
  };
}

/**
 * The 3-D toggle (`gd-3d`) and the PNG button (`gd-save-png`) of one view: `hooks.threeD` is
 * its js/threed.js controller, `hooks.savePng()` downloads the view's picture (js/capture.js).
 * Without hooks there are no buttons.
 */
export function createMediaButtons(hooks = {}) {
  const { threeD, savePng } = hooks;
  const toggle = threeD
    ? h("button", {
        type: "button",
        class: "gd-btn",
        "data-testid": "gd-3d",
        title: "the landscape as a 3-D surface (drag to rotate)",
        "aria-pressed": "false",
        text: "3-D",
        on: { click: () => threeD.toggle() },
      })
    : null;
  const save = savePng
    ? h("button", { type: "button", class: "gd-btn", "data-testid": "gd-save-png", title: "save a PNG of this view", text: "PNG", on: { click: () => savePng() } })
    : null;
  const off = threeD?.onChange((open) => {
    toggle.classList.toggle("gd-active", open);
    toggle.setAttribute("aria-pressed", String(open));
  });
  return {
    el: toggle || save ? h("div", { class: "gd-group gd-media" }, [toggle, save]) : null,
    destroy() {
      off?.();
    },
  };
}
