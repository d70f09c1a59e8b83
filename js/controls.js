// Controls: play / pause / step / N steps / reset, the batch size (models), the speed slider,
// one learning-rate slider per optimizer group, and the status line. Every control sends one message (docs/protocol.md).

import { frameScheduler, h, throttle } from "./dom.js";
import { runInfo, statusByLabel } from "./paths.js";
import { formatNumber, logMap } from "./scales.js";

// speed slider: positions 0..SPEED_MAX_POS-1 are 1..1000 steps/s on a log scale; the last is "max"
const SPEED_POSITIONS = 100;
const SPEED = logMap(1, 1000);
const LR_POSITIONS = 1000;

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
export function createToolbar(store) {
  const model = store.model;
  const send = (msg) => model.send(msg);

  const play = button("gd-play", "play", "run until paused", () => send({ type: "play" }), "play");
  const pause = button("gd-pause", "pause", "stop the run loop", () => send({ type: "pause" }), "pause");
  const step = button("gd-step", "step", "take one step", () => send({ type: "step", n: 1 }), "step");
  const count = h("input", {
    type: "number",
    class: "gd-step-count",
    "data-testid": "gd-step-n-input",
    min: "1",
    max: "100000",
    step: "1",
    value: "10",
    "aria-label": "number of steps",
  });
  const stepN = button("gd-step-n", "run 10", "take this many steps", () => {
    const n = Math.floor(Number(count.value));
    if (!(n >= 1)) {
      count.classList.add("gd-invalid");
      return;
    }
    count.classList.remove("gd-invalid");
    send({ type: "step", n: Math.min(n, 100000) });
  });
  const updateStepN = () => {
    const n = Math.floor(Number(count.value));
    stepN.lastChild.textContent = n >= 1 ? `run ${n}` : "run N";
    count.classList.toggle("gd-invalid", !(n >= 1));
  };
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
  const el = h("div", { class: "gd-toolbar", role: "toolbar" }, [
    h("div", { class: "gd-group" }, [play, pause, step, h("span", { class: "gd-stepn" }, [count, stepN]), reset]),
    batch.el,
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
      sendSpeed.cancel();
    },
  };
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
    model.send({ type: "set_batch_size", value });
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

/** One log-scale learning-rate slider per optimizer group (`gd-lr-<label>`), sending `set_lr`. */
export function createLrSliders(store) {
  const model = store.model;
  const el = h("div", { class: "gd-lr-sliders" });
  let sliders = new Map();

  function build() {
    const groups = model.get("meta")?.groups ?? [];
    el.replaceChildren();
    sliders = new Map();
    for (const g of groups) {
      if (!g || g.label == null) continue;
      const label = String(g.label);
      let map;
      try {
        const lo = Number(g.lr_min);
        const hi = Number(g.lr_max);
        map = logMap(lo > 0 ? lo : 1e-5, hi > 0 ? hi : 10);
      } catch {
        map = logMap(1e-5, 10);
      }
      const initial = Number(g.lr) > 0 ? Number(g.lr) : Math.sqrt(map.min * map.max);
      const value = store.ui.lr[label] ?? initial;
      const input = h("input", {
        type: "range",
        class: "gd-lr",
        "data-testid": `gd-lr-${label}`,
        min: "0",
        max: String(LR_POSITIONS),
        step: "1",
        "aria-label": `learning rate of ${label}`,
      });
      input.value = String(Math.round(map.toPos(value) * LR_POSITIONS));
      input.dataset.value = String(value);
      const text = h("span", { class: "gd-lr-value", text: formatNumber(value) });
      const send = throttle((v) => model.send({ type: "set_lr", group: label, value: v }), 80);
      // while the user holds the slider (and a moment after), echoes from the kernel wait
      let heldUntil = 0;
      const hold = (ms) => {
        heldUntil = performance.now() + ms;
      };
      input.addEventListener("pointerdown", () => hold(1e9));
      input.addEventListener("pointerup", () => hold(400));
      input.addEventListener("change", () => hold(400));
      input.addEventListener("input", () => {
        if (heldUntil < performance.now() + 400) hold(400);
        const v = Number(map.toValue(Number(input.value) / LR_POSITIONS).toPrecision(3));
        text.textContent = formatNumber(v);
        input.dataset.value = String(v);
        send(v);
        store.setLr(label, v);
      });
      const schedule = h("span", {
        class: "gd-muted gd-schedule",
        text: g.schedule ? "×sched" : "",
        title: g.schedule ? `the schedule ${g.schedule} scales this base rate` : null,
      });
      const colors = runColors(label);
      el.append(
        h("label", { class: "gd-lr-row", title: `${g.optimizer ?? ""} learning rate${g.schedule ? ` (base of ${g.schedule})` : ""}` }, [
          h("span", { class: "gd-lr-name" }, [...colors, h("span", { text: label })]),
          input,
          text,
          schedule,
        ]),
      );
      sliders.set(label, { input, text, map, send, held: () => performance.now() < heldUntil });
    }
  }

  function runColors(group) {
    const meta = model.get("meta") ?? {};
    const out = [];
    (meta.runs ?? []).forEach((run, r) => {
      if (run && run.group === group) out.push(h("span", { class: "gd-swatch gd-swatch-small", style: { background: runInfo(meta, r).color } }));
    });
    return out;
  }

  function syncFromStore(group) {
    const s = sliders.get(group);
    const v = store.ui.lr[group];
    if (!s || v == null || s.held()) return;
    s.input.value = String(Math.round(s.map.toPos(v) * LR_POSITIONS));
    s.input.dataset.value = String(v);
    s.text.textContent = formatNumber(v);
  }

  // the kernel's lr for each group (after a set_lr from any view, or from Python)
  function syncFromMeta() {
    for (const g of model.get("meta")?.groups ?? []) {
      if (!g || g.label == null || !(Number(g.lr) > 0)) continue;
      const label = String(g.label);
      const s = sliders.get(label);
      if (!s || s.held()) continue;
      store.ui.lr[label] = Number(g.lr);
      syncFromStore(label);
    }
  }

  build();
  const offs = [
    store.events.on("meta", build),
    store.events.on("meta-values", syncFromMeta),
    store.events.on("ui", (what, group) => what === "lr" && syncFromStore(group)),
  ];
  return {
    el,
    destroy() {
      for (const off of offs) off();
      for (const s of sliders.values()) s.send.cancel();
    },
  };
}

/** The status line: step, each run's loss, and the `error` trait in red. */
export function createStatusLine(store) {
  const model = store.model;
  const stepEl = h("span", { class: "gd-status-step" });
  const runsEl = h("span", { class: "gd-status-runs" });
  const errorEl = h("span", { class: "gd-error", role: "alert" });
  const el = h("div", { class: "gd-status", "data-testid": "gd-status", "aria-live": "polite" }, [stepEl, runsEl, errorEl]);

  function update() {
    const meta = model.get("meta") ?? {};
    const step = store.step();
    stepEl.textContent = `step ${Number.isFinite(step) ? step : 0}${model.get("running") ? " ▸" : ""}`;
    const statuses = statusByLabel(model.get("status"));
    const parts = [];
    const n = Array.isArray(meta.runs) ? meta.runs.length : 0;
    for (let r = 0; r < n; r++) {
      const { label, color } = runInfo(meta, r);
      const s = statuses.get(label);
      const held = lastLoss(r);
      const loss = held != null && Number.isFinite(held) ? held : (s?.loss ?? held);
      const span = h("span", { class: "gd-status-run" }, [
        h("span", { class: "gd-swatch gd-swatch-small", style: { background: color } }),
        `${label} ${formatNumber(loss)}`,
        s && s.status !== "running" ? h("span", { class: "gd-muted", text: ` (${s.status})` }) : null,
      ]);
      parts.push(span);
    }
    runsEl.replaceChildren(...parts);
    const err = model.get("error") ?? "";
    errorEl.textContent = err;
    errorEl.hidden = !err;
  }

  function lastLoss(r) {
    const runs = store.runs;
    return runs.length && r < runs.nRuns ? runs.loss[r][runs.length - 1] : null;
  }

  update();
  const frame = frameScheduler(update);
  const request = () => frame.request();
  const offs = [
    store.events.on("traits", (name) => (name === "t" || name === "error" || name === "running") && request()),
    store.events.on("status", request),
    store.events.on("meta", request),
    store.events.on("data", request),
  ];
  return {
    el,
    destroy() {
      for (const off of offs) off();
      frame.cancel();
    },
  };
}
