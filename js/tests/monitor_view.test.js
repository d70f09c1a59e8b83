// A monitor view in a small DOM fed protocol messages by a fake model: the curves grow with
// frames, a stale generation is ignored, log y and smoothing change what is drawn, the strip
// and the path size themselves from meta and messages, and the kernel hears what it should.
import assert from "node:assert/strict";
import { test } from "node:test";

import { FakeModel, installDom } from "./fakes.js";

installDom();
const { connectMonitor, renderMonitor } = await import("../monitor/app.js");
const { ema } = await import("../monitor/series.js");

const f64 = (a) => new Float64Array(a);
const tick = () => new Promise((r) => setTimeout(r, 40));

function rows(type, steps, columns, generation = 0) {
  const names = Object.keys(columns);
  const view = (a) => new DataView(f64(a).buffer);
  return [{ type, n: steps.length, columns: names, generation }, [view(steps), ...names.map((k) => view(columns[k]))]];
}

const META = {
  names: ["loss", "val_loss", "acc"],
  seeds: { loss: 1, val_loss: 1, acc: 1 },
  band: "minmax",
  smooth: 0,
  log_y: false,
  groups: ["lr/0", "lr/1"],
  layers: ["0.weight", "0.bias", "2.weight"],
  max_history: 4096,
  projection: "pca",
  device_label: "CPU · torch",
};

function mount(meta = META) {
  const model = new FakeModel({ meta, status: "step 0" });
  const store = connectMonitor(model);
  const el = document.createElement("div");
  document.body.append(el);
  const cleanup = renderMonitor(store, el);
  const q = (id) => el.querySelector(`[data-testid="${id}"]`);
  return { model, store, el, cleanup, q };
}

function cols(steps, k0 = 0) {
  const c = { loss: [], val_loss: [], acc: [], "lr/0": [], "lr/1": [], grad_norm: [], "layer:0.weight": [], "layer:0.bias": [], "layer:2.weight": [], clipped: [] };
  for (const s of steps) {
    c.loss.push(2 / (1 + s));
    c.val_loss.push(s % 5 === 0 ? 2.2 / (1 + s) : Number.NaN);
    c.acc.push(s % 5 === 0 ? 1 - 1 / (1 + s) : Number.NaN);
    c["lr/0"].push(0.1);
    c["lr/1"].push(0.01 * (1 + k0));
    c.grad_norm.push(1);
    c["layer:0.weight"].push(10 ** (-s / 10));
    c["layer:0.bias"].push(1);
    c["layer:2.weight"].push(100);
    c.clipped.push(s === 3 ? 1 : 0);
  }
  return c;
}

test("the page asks for the history, opens and closes its view", async () => {
  const { model, cleanup, store } = mount();
  assert.deepEqual(model.sent[0], { type: "request_history" });
  assert.equal(model.sent[1].type, "view_open");
  const id = model.sent[1].id;
  cleanup();
  assert.deepEqual(model.sent.at(-1), { type: "view_close", id });
  store.dispose();
  assert.equal(model.listeners(), 0);
});

test("curves grow with frames; a frame of another generation waits for the next history", async () => {
  const { model, q, cleanup, store } = mount();
  const curves = q("gd-monitor-curves");
  const s0 = [0, 1, 2, 3, 4, 5];
  model.fire("msg:custom", ...rows("history", s0, cols(s0), 0));
  await tick();
  assert.equal(curves.dataset.points, "6");
  const drawn = curves.gdDrawn();
  assert.deepEqual(drawn.map((c) => c.title), ["loss", "acc"]);
  assert.deepEqual(drawn[0].roles, ["loss/line", "val_loss/line"]);
  assert.deepEqual(drawn[0].data[1], cols(s0).loss);
  assert.deepEqual(drawn[0].data[2], [2.2, null, null, null, null, 2.2 / 6]);
  model.fire("msg:custom", ...rows("frame", [6, 7], cols([6, 7]), 0));
  await tick();
  assert.equal(curves.dataset.points, "8");
  assert.equal(curves.gdDrawn()[0].data[0].at(-1), 7);
  const key = curves.querySelector('[data-name="loss"]');
  assert.equal(Number(key.dataset.last), 2 / 8);
  assert.equal(key.dataset.lastStep, "7");
  // stale generation: ignored
  model.fire("msg:custom", ...rows("frame", [8], cols([8]), 1));
  await tick();
  assert.equal(curves.dataset.points, "8");
  // the next history (thinned) replaces everything
  const s1 = [0, 4, 8];
  model.fire("msg:custom", ...rows("history", s1, cols(s1), 1));
  await tick();
  assert.equal(curves.dataset.points, "3");
  assert.deepEqual(curves.gdDrawn()[0].data[0], s1);
  cleanup();
  store.dispose();
});

test("log y and smoothing act on the page: positive values on log y, EMA lines over faint raw", async () => {
  const { model, q, el, cleanup, store } = mount();
  const s = [0, 1, 2, 3, 4];
  model.fire("msg:custom", ...rows("history", s, cols(s), 0));
  await tick();
  const logBox = q("gd-monitor-logy");
  logBox.checked = true;
  logBox.dispatchEvent(new window.__gdEvent("change"));
  await tick();
  assert.ok(q("gd-monitor-curves").gdDrawn().every((c) => c.log));
  const slider = q("gd-monitor-smooth");
  slider.value = "50";
  slider.dispatchEvent(new window.__gdEvent("input"));
  await tick();
  const chart = q("gd-monitor-curves").gdDrawn()[0];
  assert.deepEqual(chart.roles.slice(0, 2), ["loss/raw", "loss/line"]);
  const want = ema(cols(s).loss, store.smooth());
  chart.data[2].forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-12));
  assert.deepEqual(chart.data[1], cols(s).loss);
  assert.equal(el.querySelector(".gd-monitor-smooth-value").textContent, store.smooth().toFixed(2));
  // the kernel is not told: smoothing is the page's own
  assert.ok(!model.sent.some((m) => m.type !== "request_history" && m.type !== "view_open"));
  cleanup();
  store.dispose();
});

test("several seeds: a band between lo and hi under the mean", async () => {
  const meta = { ...META, names: ["loss"], seeds: { loss: 3 }, groups: [], layers: [], projection: null };
  const { model, q, cleanup, store } = mount(meta);
  model.fire("msg:custom", ...rows("history", [0, 1], { loss: [2, 1], "loss:lo": [1.5, 0.5], "loss:hi": [2.5, 1.5] }, 0));
  await tick();
  const [chart] = q("gd-monitor-curves").gdDrawn();
  assert.deepEqual(chart.roles, ["loss/lo", "loss/hi", "loss/line"]);
  assert.deepEqual(chart.data.slice(1), [[1.5, 0.5], [2.5, 1.5], [2, 1]]);
  // no torch: no lr, no strip, no path
  assert.ok(q("gd-monitor-lr").hidden);
  assert.ok(q("gd-monitor-strip").hidden);
  assert.ok(q("gd-monitor-path").hidden);
  cleanup();
  store.dispose();
});

test("lr, strip and path: sized from meta and the messages", async () => {
  const { model, q, cleanup, store } = mount();
  const s = Array.from({ length: 20 }, (_, i) => i);
  model.fire("msg:custom", ...rows("history", s, cols(s), 0));
  model.fire("msg:custom", { type: "path", n: 3, projection: "pca", explained: [0.9, 0.05] }, [f64([0, 10, 19]), f64([0, 0, 1, 1, 2, 0.5])]);
  model.fire("msg:custom", { type: "surface", nx: 2, ny: 2, bounds: [[-1, 3], [-1, 2]], min: 0.1, max: 4 }, [new Float32Array([0.1, 1, 2, 4])]);
  await tick();
  const lr = q("gd-monitor-lr");
  assert.ok(!lr.hidden);
  assert.equal(lr.dataset.points, "20");
  const strip = q("gd-monitor-strip");
  assert.ok(!strip.hidden);
  assert.equal(strip.dataset.layers, "3");
  assert.equal(strip.dataset.columns, "20");
  const path = q("gd-monitor-path");
  assert.ok(!path.hidden);
  assert.equal(path.dataset.points, "3");
  assert.match(path.textContent, /PCA plane/);
  cleanup();
  store.dispose();
});

test("status line: the kernel's text, an error in red, the device; a malformed message is dropped", async () => {
  const { model, q, cleanup, store } = mount();
  model.set("status", "step 12 · 40 steps/s");
  await tick();
  const status = q("gd-monitor-status");
  assert.match(status.textContent, /step 12 · 40 steps\/s/);
  assert.match(status.textContent, /CPU · torch/);
  model.set("status", "error: loss_fn raised ValueError");
  await tick();
  assert.ok(status.querySelector(".gd-error"));
  const warn = console.warn;
  let warned = 0;
  console.warn = () => warned++;
  try {
    model.fire("msg:custom", { type: "frame", n: 2, columns: ["loss"], generation: 0 }, [f64([1, 2])]);
  } finally {
    console.warn = warn;
  }
  assert.equal(warned, 1);
  assert.equal(store.table.length, 0);
  cleanup();
  store.dispose();
});

test("a closed comm shows the disconnected banner and disables the controls", async () => {
  const { model, q, el, cleanup, store } = mount();
  assert.ok(el.querySelector('[data-testid="gd-disconnected"]').hidden);
  model.fire("comm:close");
  assert.ok(!el.querySelector('[data-testid="gd-disconnected"]').hidden);
  assert.ok(q("gd-monitor-logy").disabled);
  assert.ok(q("gd-monitor-smooth").disabled);
  cleanup();
  store.dispose();
});

const { createConnection } = await import("../connection.js");
const hasReceive = typeof createConnection(new FakeModel({}), { emit() {} }).receive === "function";

test("frames whose buffers came as base64 (the buffers fallback) draw the same rows", { skip: !hasReceive && "no base64 fallback in js/connection.js" }, async () => {
  const { model, q, cleanup, store } = mount();
  const [content, buffers] = rows("history", [0, 1, 2], cols([0, 1, 2]), 0);
  const b64 = buffers.map((dv) => Buffer.from(dv.buffer).toString("base64"));
  model.fire("msg:custom", { ...content, b64 }, []);
  await tick();
  const curves = q("gd-monitor-curves");
  assert.equal(curves.dataset.points, "3");
  assert.deepEqual(curves.gdDrawn()[0].data[1], cols([0, 1, 2]).loss);
  cleanup();
  store.dispose();
});
