// Buffers fallback (docs/protocol.md): a message's buffers decode the same whether they came
// binary or as base64 in the JSON content; the page answers the kernel's probe and reports lost
// buffers once. Base64 here is made by Node's Buffer, an encoder independent of the page's decoder.
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { FakeModel, installDom, metaFor } from "./fakes.js";

installDom();
const { connect } = await import("../app.js");
const { probeIntact } = await import("../connection.js");
const { decodeArrows, decodeFrame, fromBase64, messageBuffers } = await import("../decode.js");

const disposers = [];
afterEach(() => {
  while (disposers.length) disposers.pop()();
});

/** Little-endian bytes of `values` as Float64 (size 8) or Float32 (size 4), written one by one. */
function le(values, size) {
  const dv = new DataView(new ArrayBuffer(values.length * size));
  values.forEach((v, i) => (size === 8 ? dv.setFloat64(i * 8, v, true) : dv.setFloat32(i * 4, v, true)));
  return new Uint8Array(dv.buffer);
}

/** A frame with evaluations, as the kernel sends it: content and binary buffers (DataViews). */
function frameMessage(type = "frame") {
  const n = 3;
  const R = 2;
  const loss = [1, 0.5, Number.NaN, 0.25, Infinity, -0];
  const parts = [
    le([7, 8, 9], 8),
    le(loss, 4),
    le([0.1, -0.2, 1e30, -1e-30, 3, 4, 5, 6, 7, 8, 9, 10], 4),
    le([0.01, 0.01, 0.02, 0.02, 0.03, 0.03], 4),
    le([8], 8),
    le([0.75, 0.5], 4),
  ];
  // binary buffers arrive as DataViews into one larger buffer, at non-zero offsets
  const whole = new Uint8Array(parts.reduce((s, p) => s + p.length + 3, 3));
  let at = 3;
  const views = parts.map((p) => {
    whole.set(p, at);
    const dv = new DataView(whole.buffer, at, p.length);
    at += p.length + 3;
    return dv;
  });
  const content = { type, n, n_runs: R, dims: 2, first_step: 7, evals: { n: 1, keys: ["val_loss"] }, n_buffers: 6 };
  return { content, views, parts };
}

const b64 = (bytes) => Buffer.from(bytes).toString("base64");

function sameTyped(a, b) {
  assert.equal(a.constructor, b.constructor);
  assert.equal(a.length, b.length);
  // Object.is: NaN equals NaN and -0 differs from +0, so every bit pattern that matters counts
  for (let i = 0; i < a.length; i++) assert.ok(Object.is(a[i], b[i]), `element ${i}: ${a[i]} vs ${b[i]}`);
}

test("fromBase64 gives every byte value back", () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  const dv = fromBase64(b64(all));
  assert.ok(dv instanceof DataView);
  assert.deepEqual([...new Uint8Array(dv.buffer, dv.byteOffset, dv.byteLength)], [...all]);
  assert.equal(fromBase64("").byteLength, 0);
  assert.throws(() => fromBase64(12), TypeError);
});

test("a frame decodes to equal typed arrays from binary buffers and from base64", () => {
  const { content, views, parts } = frameMessage();
  const binary = decodeFrame(content, messageBuffers(content, views));
  const b64content = { ...content, b64: parts.map(b64) };
  const text = decodeFrame(b64content, messageBuffers(b64content, []));
  for (const key of ["steps", "loss", "xy", "lr"]) sameTyped(binary[key], text[key]);
  sameTyped(binary.evals.steps, text.evals.steps);
  sameTyped(binary.evals.values.val_loss, text.evals.values.val_loss);
  assert.deepEqual([binary.n, binary.nRuns, binary.firstStep], [text.n, text.nRuns, text.firstStep]);
  // and they are the values written
  assert.deepEqual([...text.steps], [7, 8, 9]);
  assert.ok(Number.isNaN(text.loss[2]) && text.loss[4] === Infinity && Object.is(text.loss[5], -0));
  assert.equal(text.xy[2], Math.fround(1e30));
});

test("an arrows message decodes the same either way (base64 also when binary buffers came too)", () => {
  const values = le([1, 2, 3, 4, -1, -2, -3, -4], 4);
  const content = { type: "arrows", n_runs: 2, scale: 0.5, n_buffers: 1 };
  const binary = decodeArrows(content, messageBuffers(content, [new DataView(values.buffer)]));
  const withB64 = { ...content, b64: [b64(values)] };
  const text = decodeArrows(withB64, messageBuffers(withB64, undefined));
  sameTyped(binary.batch, text.batch);
  sameTyped(binary.full, text.full);
  assert.deepEqual([...text.full], [3, 4, -3, -4]);
});

test("messageBuffers: null when fewer buffers came than n_buffers says, [] for none sent", () => {
  assert.equal(messageBuffers({ type: "frame", n_buffers: 4 }, undefined), null);
  assert.equal(messageBuffers({ type: "frame", n_buffers: 4 }, []), null);
  assert.equal(messageBuffers({ type: "frame", n_buffers: 4 }, [new DataView(new ArrayBuffer(8))]), null);
  assert.deepEqual(messageBuffers({ type: "note" }, undefined), []);
  // a message from an older kernel (no n_buffers): what came is handed on
  const dv = new DataView(new ArrayBuffer(4));
  assert.deepEqual(messageBuffers({ type: "frame" }, [dv]), [dv]);
});

test("probeIntact: every byte 0..255 in one buffer, nothing else", () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  const probe = { type: "probe", size: 256, n_buffers: 1 };
  assert.equal(probeIntact(probe, [new DataView(all.buffer)]), true);
  assert.equal(probeIntact(probe, [all]), true); // Colab's manager hands Uint8Arrays
  assert.equal(probeIntact(probe, [all.buffer]), true);
  assert.equal(probeIntact(probe, undefined), false);
  assert.equal(probeIntact(probe, []), false);
  const mangled = all.slice();
  mangled[200] = 0xfd; // what a UTF-8 round trip does to a byte >= 0x80
  assert.equal(probeIntact(probe, [mangled]), false);
  assert.equal(probeIntact(probe, [all.subarray(0, 128)]), false);
});

function page() {
  const model = new FakeModel({ meta: metaFor(["a", "b"]), status: [], running: false, t: 0 });
  const store = connect(model);
  disposers.push(() => store.dispose());
  const acks = () => model.sent.filter((m) => m.type === "probe_ack");
  return { model, store, acks };
}

test("the page answers the probe: ok with its buffer, not ok without", () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  const a = page();
  a.model.fire("msg:custom", { type: "probe", size: 256, n_buffers: 1 }, [new DataView(all.buffer)]);
  assert.deepEqual(a.acks(), [{ type: "probe_ack", ok: true }]);
  const b = page();
  b.model.fire("msg:custom", { type: "probe", size: 256, n_buffers: 1 }, undefined);
  assert.deepEqual(b.acks(), [{ type: "probe_ack", ok: false }]);
  // the frames that follow without buffers are not reported again
  const { content } = frameMessage("history");
  b.model.fire("msg:custom", content, undefined);
  assert.equal(b.acks().length, 1);
});

test("a frame without its buffers is reported once, and the base64 history then fills the store", () => {
  const { model, store, acks } = page();
  const { content, views, parts } = frameMessage("history");
  model.fire("msg:custom", content, []); // lost on the way (no probe seen)
  model.fire("msg:custom", { ...content, type: "frame" }, []);
  assert.deepEqual(acks(), [{ type: "probe_ack", ok: false }]);
  assert.equal(store.runs.length, 0, "nothing decoded from a message without buffers");

  model.fire("msg:custom", { ...content, b64: parts.map(b64) }, []); // the resent history
  const reference = page(); // the same history, binary
  reference.model.fire("msg:custom", content, views);
  assert.equal(store.runs.length, 3);
  sameTyped(store.runs.steps.subarray(0, 3), reference.store.runs.steps.subarray(0, 3));
  for (let r = 0; r < 2; r++) {
    for (const key of ["loss", "x", "y", "lr"]) {
      sameTyped(store.runs[key][r].subarray(0, 3), reference.store.runs[key][r].subarray(0, 3));
    }
  }
  assert.equal(reference.acks().length, 0, "a page whose buffers arrive says nothing");
});
