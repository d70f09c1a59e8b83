// The link to the kernel: views say when they come and go, a dead kernel shows a banner and
// disables the controls, and no click throws (docs/protocol.md: view_open / view_close).
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { FakeModel, installDom, metaFor } from "./fakes.js";

installDom();
const { connect, renderView } = await import("../app.js");
const { createConnection } = await import("../connection.js");
const { Emitter } = await import("../store.js");

const cleanups = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()();
});

function mount(state = {}) {
  const model = new FakeModel({ meta: metaFor(["gd", "adam"]), status: [], running: false, t: 0, ...state });
  const store = connect(model);
  const el = document.createElement("div");
  document.body.append(el);
  const cleanup = renderView(store, el);
  let done = false;
  const close = () => {
    if (done) return;
    done = true;
    cleanup();
    store.dispose();
    el.remove();
  };
  cleanups.push(close);
  return { model, store, el, close };
}

const byTestId = (el, id) => el.querySelector(`[data-testid="${id}"]`);
const types = (model) => model.sent.map((m) => m.type);

test("render sends view_open with an id, its cleanup view_close with the same id", () => {
  const { model, close } = mount();
  const open = model.sent.filter((m) => m.type === "view_open");
  assert.equal(open.length, 1);
  assert.equal(typeof open[0].id, "string");
  assert.ok(open[0].id.length > 0);
  assert.deepEqual(types(model).slice(0, 2), ["request_history", "view_open"]);
  close();
  const closed = model.sent.filter((m) => m.type === "view_close");
  assert.deepEqual(closed, [{ type: "view_close", id: open[0].id }]);
});

test("two views of one model have different ids; pagehide closes those still open", () => {
  const model = new FakeModel({ meta: metaFor(["gd"]), status: [] });
  const store = connect(model);
  const a = document.createElement("div");
  const b = document.createElement("div");
  const closeA = renderView(store, a);
  const closeB = renderView(store, b);
  const ids = model.sent.filter((m) => m.type === "view_open").map((m) => m.id);
  assert.equal(new Set(ids).size, 2);
  closeA();
  window.dispatchEvent({ type: "pagehide" });
  const closed = model.sent.filter((m) => m.type === "view_close").map((m) => m.id);
  assert.deepEqual(closed, [ids[0], ids[1]]);
  // the later cleanup does not say it twice
  closeB();
  assert.equal(model.sent.filter((m) => m.type === "view_close").length, 2);
  store.dispose();
});

test("the banner is hidden while the comm is live", () => {
  const { el } = mount();
  const banner = byTestId(el, "gd-disconnected");
  assert.ok(banner);
  assert.equal(banner.hidden, true);
  assert.equal(byTestId(el, "gd-play").disabled, false);
});

for (const event of ["comm:close", "comm_live_update", "destroy"]) {
  test(`'${event}' shows the kernel-gone banner and disables the controls`, () => {
    const { model, el } = mount();
    model.fire(event);
    const banner = byTestId(el, "gd-disconnected");
    assert.equal(banner.hidden, false);
    assert.match(banner.textContent, /kernel/i);
    assert.match(banner.textContent, /re-run the cell/i);
    for (const id of ["gd-play", "gd-pause", "gd-step", "gd-step-n", "gd-reset", "gd-speed", "gd-step-n-input", "gd-fit", "gd-view-reset", "gd-lr-gd"]) {
      assert.equal(byTestId(el, id).disabled, true, id);
    }
    // clicks send nothing and throw nothing
    const before = model.sent.length;
    byTestId(el, "gd-play").click();
    assert.equal(model.sent.length, before);
  });
}

test("a send that throws ('Cannot send') flips the view to disconnected, nothing escapes", () => {
  const { model, el } = mount();
  model.throwOnSend = "Cannot send on a closed comm";
  const errors = [];
  const onError = (e) => errors.push(e);
  process.on("uncaughtException", onError);
  byTestId(el, "gd-play").click();
  process.off("uncaughtException", onError);
  assert.deepEqual(errors, []);
  assert.equal(byTestId(el, "gd-disconnected").hidden, false);
  assert.equal(byTestId(el, "gd-pause").disabled, true);
});

test("comm_live_update with a readable comm_live = true keeps the view live", () => {
  const { model, el } = mount();
  model.comm_live = true;
  model.fire("comm_live_update");
  assert.equal(byTestId(el, "gd-disconnected").hidden, true);
  model.comm_live = false;
  model.fire("comm_live_update");
  assert.equal(byTestId(el, "gd-disconnected").hidden, false);
});

test("a message from the kernel after a disconnect brings the controls back", () => {
  const { model, el } = mount();
  model.fire("comm_live_update");
  assert.equal(byTestId(el, "gd-play").disabled, true);
  model.fire("msg:custom", { type: "unknown" }, []);
  assert.equal(byTestId(el, "gd-disconnected").hidden, true);
  assert.equal(byTestId(el, "gd-play").disabled, false);
});

test("a closed comm stays closed; the connection's listeners go with dispose", () => {
  const model = new FakeModel();
  const events = new Emitter();
  const seen = [];
  events.on("connection", (live) => seen.push(live));
  const conn = createConnection(model, events);
  assert.equal(conn.send({ type: "play" }), true);
  model.fire("comm:close");
  model.fire("msg:custom", {});
  assert.equal(conn.connected(), false);
  assert.equal(conn.send({ type: "play" }), false);
  assert.deepEqual(seen, [false]);
  assert.deepEqual(model.sent, [{ type: "play" }]);
  conn.dispose();
  assert.equal(model.listeners(), 0);
});

test("a model that starts without a live comm (no kernel) is disconnected from the start", () => {
  const { el } = mount({});
  const model = new FakeModel({ meta: metaFor(["gd"]) });
  model.comm_live = false;
  const store = connect(model);
  const host = document.createElement("div");
  const cleanup = renderView(store, host);
  assert.equal(byTestId(host, "gd-disconnected").hidden, false);
  assert.deepEqual(model.sent, []);
  cleanup();
  store.dispose();
  assert.ok(el);
});

// a Lumino-like signal, as @jupyterlab/services' KernelConnection offers them
class FakeSignal {
  constructor() {
    this.slots = new Set();
  }
  connect(fn) {
    this.slots.add(fn);
    return true;
  }
  disconnect(fn) {
    return this.slots.delete(fn);
  }
  emit(arg) {
    for (const fn of [...this.slots]) fn(this, arg);
  }
}
const fakeKernel = () => ({ iopubMessage: new FakeSignal(), statusChanged: new FakeSignal() });
const iopub = (type, session, state) => ({
  header: { msg_type: type, session },
  content: state ? { execution_state: state } : {},
});

test("a restart the widget manager does not see (REST API) is read from the kernel's messages", () => {
  // what JupyterLab's kernel connection carried when the server restarted the kernel
  const restarts = [
    [iopub("status", "old", "busy"), iopub("shutdown_reply", "old")],
    [iopub("status", "old", "idle"), iopub("stream", "new")],
    [iopub("status", "old", "idle"), iopub("status", "new", "starting")],
  ];
  for (const messages of restarts) {
    const kernel = fakeKernel();
    const model = new FakeModel();
    model.widget_manager = { kernel };
    const events = new Emitter();
    const seen = [];
    events.on("connection", (live, why) => seen.push([live, why]));
    const conn = createConnection(model, events);
    kernel.iopubMessage.emit(iopub("status", "old", "busy"));
    assert.equal(conn.connected(), true);
    for (const m of messages) kernel.iopubMessage.emit(m);
    assert.deepEqual(seen, [[false, "kernel restarted"]]);
    assert.equal(conn.send({ type: "play" }), false);
    model.fire("msg:custom", {}); // nothing from the old comm can bring it back
    assert.equal(conn.connected(), false);
    conn.dispose();
    assert.equal(kernel.iopubMessage.slots.size + kernel.statusChanged.slots.size, 0);
  }
});

test("the kernel connection's own dead or restarting status disconnects; busy and idle do not", () => {
  for (const [status, live] of [["busy", true], ["idle", true], ["dead", false], ["autorestarting", false]]) {
    const kernel = fakeKernel();
    const model = new FakeModel();
    model.widget_manager = { kernel };
    const conn = createConnection(model, new Emitter());
    kernel.statusChanged.emit(status);
    kernel.iopubMessage.emit(iopub("status", "s1", "idle"));
    kernel.iopubMessage.emit(iopub("comm_msg", "s1"));
    assert.equal(conn.connected(), live, status);
    conn.dispose();
  }
});

test("a manager without a kernel, or a kernel without signals, is not watched", () => {
  for (const manager of [undefined, {}, { kernel: null }, { kernel: { iopubMessage: {} } }]) {
    const model = new FakeModel();
    model.widget_manager = manager;
    const conn = createConnection(model, new Emitter());
    assert.equal(conn.send({ type: "play" }), true);
    conn.dispose();
  }
});

test("every open view repeats its view_open at meta.heartbeat_s; a closed view and a disposed link do not", async () => {
  const model = new FakeModel({ meta: { ...metaFor(["gd"]), heartbeat_s: 0.03 } });
  const conn = createConnection(model, new Emitter());
  const a = conn.openView([300, 200]);
  const b = conn.openView();
  conn.closeView(b);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const beats = (id) => model.sent.filter((m) => m.type === "view_open" && m.id === id && !("px" in m)).length;
  assert.ok(beats(a) >= 2, `${beats(a)} heartbeats of the open view`);
  assert.equal(beats(b), 1); // its own view_open (no px), then nothing once closed
  conn.dispose();
  const after = model.sent.length;
  await new Promise((resolve) => setTimeout(resolve, 80));
  assert.equal(model.sent.length, after, "a heartbeat after dispose");
});
