// The page's answer to the kernel's `capture` (docs/protocol.md: capture_result): the PNG as one
// binary buffer, or, once the connection knows buffers are lost (a failed probe, a message that
// came without its buffers, a message that came in base64), as base64 in the JSON content.
// Base64 is checked with Node's Buffer, a decoder independent of the page's encoder.
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { FakeModel, installDom, metaFor } from "./fakes.js";

const { document } = installDom();
const { connect } = await import("../app.js");
const { withPng } = await import("../capture.js");
const { fromBase64, toBase64 } = await import("../decode.js");

// the PNG "drawn" by the fake canvas: the signature, then every byte value (a base64 round trip
// that loses any of them shows)
const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...Array.from({ length: 256 }, (_, i) => i)]);

const canvasProto = Object.getPrototypeOf(document.createElement("canvas"));
canvasProto.toBlob = function toBlob(done) {
  setTimeout(() => done(new Blob([PNG], { type: "image/png" })), 0);
};
globalThis.requestAnimationFrame ??= (fn) => setTimeout(() => fn(performance.now()), 0);

const disposers = [];
afterEach(() => {
  while (disposers.length) disposers.pop()();
});

const bytesOf = (buf) => [...(ArrayBuffer.isView(buf) ? new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) : new Uint8Array(buf))];
const allBytes = () => Uint8Array.from({ length: 256 }, (_, i) => i);

/** A page with one view shown; `model.out` records each message with the buffers sent along. */
function page() {
  const model = new FakeModel({ meta: metaFor(["a", "b"]), status: [], running: false, t: 0 });
  model.out = [];
  model.send = function send(msg, _callbacks, buffers) {
    this.sent.push(msg);
    this.out.push({ msg, buffers });
  };
  const store = connect(model);
  const root = document.createElement("div");
  root.getBoundingClientRect = () => ({ left: 0, top: 0, width: 40, height: 30, right: 40, bottom: 30 });
  document.body.append(root);
  store.captureRoots.add(root);
  disposers.push(() => {
    store.dispose();
    root.remove();
  });
  return { model, store };
}

/** Ask `model`'s page for a picture; resolves with what it answered (content and buffers). */
async function capture(model, id = "c1") {
  model.fire("msg:custom", { type: "capture", id, step: null, full: false }, []);
  for (let i = 0; i < 200; i++) {
    const found = model.out.find((o) => o.msg.type === "capture_result" && o.msg.id === id);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error("the page did not answer the capture");
}

test("toBase64 is what Node's Buffer makes, for every byte value and any view of the bytes", () => {
  const all = allBytes();
  const expected = Buffer.from(all).toString("base64");
  assert.equal(toBase64(all), expected);
  assert.equal(toBase64(all.buffer), expected);
  assert.equal(toBase64(new DataView(all.buffer)), expected);
  const whole = new Uint8Array(300);
  whole.set(all, 7);
  assert.equal(toBase64(whole.subarray(7, 263)), expected); // a view at an offset: only its bytes
  assert.equal(toBase64(new Uint8Array(0)), "");
  const big = Uint8Array.from({ length: 100_003 }, (_, i) => (i * 7) % 256); // over one chunk
  assert.equal(toBase64(big), Buffer.from(big).toString("base64"));
  assert.deepEqual(bytesOf(fromBase64(toBase64(big))), [...big]);
});

test("withPng marks the PNG as the kernel marks its buffers: n_buffers, and b64 in base64 mode", () => {
  const content = { ok: true, width: 4, height: 3 };
  const [binary, buffers] = withPng(content, PNG.buffer, false);
  assert.deepEqual(binary, { ok: true, width: 4, height: 3, n_buffers: 1 });
  assert.deepEqual(buffers, [PNG.buffer]);
  const [text, none] = withPng(content, PNG.buffer, true);
  assert.deepEqual(text, { ok: true, width: 4, height: 3, n_buffers: 1, b64: [Buffer.from(PNG).toString("base64")] });
  assert.deepEqual(none, []);
  assert.deepEqual(content, { ok: true, width: 4, height: 3 }, "the content given is left as it was");
});

test("the connection's base64 mode: off by default and after an intact probe, on once buffers are known lost", () => {
  const fresh = page();
  assert.equal(fresh.store.connection.base64(), false);
  fresh.model.fire("msg:custom", { type: "probe", size: 256, n_buffers: 1 }, [new DataView(allBytes().buffer)]);
  fresh.model.fire("msg:custom", { type: "arrows", n_runs: 1, scale: 1, n_buffers: 1 }, [new Float32Array(4)]);
  assert.equal(fresh.store.connection.base64(), false);

  const bare = page(); // the probe came without its bytes
  bare.model.fire("msg:custom", { type: "probe", size: 256, n_buffers: 1 }, undefined);
  assert.equal(bare.store.connection.base64(), true);

  const dropped = page(); // no probe seen, a frame without its buffers
  dropped.model.fire("msg:custom", { type: "arrows", n_runs: 1, scale: 1, n_buffers: 1 }, []);
  assert.equal(dropped.store.connection.base64(), true);

  const later = page(); // opened after the kernel switched: no probe, base64 messages
  const values = Buffer.from(new Float32Array([1, 2, 3, 4]).buffer).toString("base64");
  later.model.fire("msg:custom", { type: "arrows", n_runs: 1, scale: 1, n_buffers: 1, b64: [values] }, []);
  assert.equal(later.store.connection.base64(), true);
  assert.equal(later.model.sent.filter((m) => m.type === "probe_ack").length, 0, "nothing to report");

  // one-way: an intact probe afterwards (another view of a page in base64) does not switch back
  bare.model.fire("msg:custom", { type: "probe", size: 256, n_buffers: 1 }, [new DataView(allBytes().buffer)]);
  assert.equal(bare.store.connection.base64(), true);
});

test("a page whose buffers arrive answers a capture with the PNG as one binary buffer", async () => {
  const { model } = page();
  model.fire("msg:custom", { type: "probe", size: 256, n_buffers: 1 }, [new DataView(allBytes().buffer)]);
  const { msg, buffers } = await capture(model);
  assert.equal(msg.ok, true, msg.error);
  assert.equal(msg.n_buffers, 1);
  assert.ok(!("b64" in msg));
  assert.equal(buffers.length, 1);
  assert.deepEqual(bytesOf(buffers[0]), [...PNG]);
});

test("a page that lost buffers answers a capture with the PNG as base64 and no binary buffer", async () => {
  const { model } = page();
  model.fire("msg:custom", { type: "probe", size: 256, n_buffers: 1 }, undefined);
  const { msg, buffers } = await capture(model, "c2");
  assert.equal(msg.ok, true, msg.error);
  assert.equal(msg.n_buffers, 1);
  assert.deepEqual(buffers, []);
  assert.equal(msg.b64.length, 1);
  assert.deepEqual([...Buffer.from(msg.b64[0], "base64")], [...PNG]);
  assert.ok(msg.width >= 1 && msg.height >= 1);
});

test("a capture the page cannot make carries no picture either way", async () => {
  const { model, store } = page();
  model.fire("msg:custom", { type: "probe", size: 256, n_buffers: 1 }, undefined);
  store.captureRoots.clear();
  const { msg, buffers } = await capture(model, "c3");
  assert.deepEqual(msg, { type: "capture_result", id: "c3", ok: false, error: "no view of this widget is shown in the page" });
  assert.deepEqual(buffers, []);
});
