// Instant mode's page side (js/instant.js): the start under the pointer, one `set_start` in flight
// with the latest position sent next, the measured redraws, and the toggle's `set_instant`.
import assert from "node:assert/strict";
import { test } from "node:test";

import { FakeModel, frameOf, installDom, metaFor } from "./fakes.js";

installDom();
const { connect } = await import("../app.js");
const { createInstantPanel, createStartDrag, startAt } = await import("../instant.js");

function storeWith(paths, labels) {
  const model = new FakeModel({ meta: metaFor(labels), instant: 0 });
  const store = connect(model);
  store.ingest(frameOf(paths));
  return { model, store };
}

test("the start under the pointer is the nearest visible one within the radius", () => {
  const { store } = storeWith(
    [
      [[0, 0, 1], [1, 1, 1]],
      [[0.5, 0, 1], [1, 1, 1]],
    ],
    ["a", "b"],
  );
  const px = (x, y) => [100 * x, 100 * y]; // data -> px
  assert.equal(startAt(store, 3, 2, px), 0);
  assert.equal(startAt(store, 47, 0, px), 1);
  assert.equal(startAt(store, 25, 0, px), -1); // 25 px from both
  assert.equal(startAt(store, 100, 100, px), -1); // a path's end is not a start
  store.ui.hidden.add("b");
  assert.equal(startAt(store, 47, 0, px), -1);
  store.ingest(frameOf([[[0, 0, 1]], [[0.5, 0, 1]]], { first: 7 })); // step 0 no longer held
  store.ui.hidden.clear();
});

test("a drag keeps one set_start in flight and sends the latest once the answer is painted", () => {
  const { model, store } = storeWith([[[0, 0, 1]], [[1, 1, 1]]], ["a", "b"]);
  let t = 0;
  const frames = [];
  const painted = [];
  const drag = createStartDrag(store, { now: () => t, frame: (fn) => frames.push(fn), later: (fn) => painted.push(fn) });
  const starts = () => model.sent.filter((m) => m.type === "set_start");
  drag.move(1, [0.1, 0.2]);
  drag.move(1, [0.3, 0.4]);
  drag.move(1, [0.5, 0.6]);
  assert.deepEqual(starts(), [{ type: "set_start", index: 1, start: [0.1, 0.2], seq: 1 }]);
  t = 40;
  store.events.emit("started", { type: "started", seq: 1, steps: 300, ms: 25 });
  assert.equal(starts().length, 1); // not while the page draws the answer
  t = 45; // the redraw's frame
  frames.shift()();
  assert.deepEqual(store.instantTimes, [{ ms: 45, answerMs: 40, kernelMs: 25, steps: 300 }]);
  assert.equal(starts().length, 1);
  painted.shift()(); // that frame painted: the newest position goes
  assert.deepEqual(starts()[1], { type: "set_start", index: 1, start: [0.5, 0.6], seq: 2 });
  store.events.emit("started", { type: "started", seq: 1, steps: 300, ms: 1 }); // an old answer
  assert.equal(drag.busy, true);
  t = 5000; // never answered (refused): the drag goes on
  drag.move(1, [0.7, 0.8]);
  assert.equal(starts().length, 3);
  drag.destroy();
});

test("the toggle sends set_instant with its steps and follows the kernel's echo", () => {
  const { model, store } = storeWith([[[0, 0, 1]]], ["a"]);
  const panel = createInstantPanel(store);
  const q = (id) => panel.el.querySelector(`[data-testid="${id}"]`);
  q("gd-instant").checked = true;
  q("gd-instant").dispatchEvent(new window.__gdEvent("change"));
  q("gd-instant-steps").value = "120";
  q("gd-instant-steps").dispatchEvent(new window.__gdEvent("change"));
  assert.deepEqual(
    model.sent.filter((m) => m.type === "set_instant"),
    [
      { type: "set_instant", steps: 300 },
      { type: "set_instant", steps: 120 },
    ],
  );
  model.set("instant", 0);
  assert.equal(q("gd-instant").checked, false);
  model.set("instant", 500);
  assert.equal(q("gd-instant").checked, true);
  assert.equal(q("gd-instant-steps").value, "500");
  store.instantTimes = [{ ms: 41.2, kernelMs: 30, steps: 500 }];
  store.events.emit("instant-time");
  assert.match(q("gd-instant-ms").textContent, /41 ms/);
  assert.equal(q("gd-instant-ms").dataset.times, "41.2");
  panel.destroy();
});
