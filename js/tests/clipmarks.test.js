// Clipped steps marked on the paths (js/clipmarks.js): a mark only where the page holds that
// exact step, at the position held for that run and step, up to the step shown.
import assert from "node:assert/strict";
import { test } from "node:test";

import { FakeModel, installDom, metaFor } from "./fakes.js";

installDom();
const { connect } = await import("../app.js");
const { createClipMarks, heldMarks } = await import("../clipmarks.js");

function runs() {
  return { steps: Float64Array.from([0, 1, 2, 4, 8]), length: 5, nRuns: 2, cursorRow: null, x: [Float32Array.from([0, 1, 2, 3, 4]), Float32Array.from([5, 6, 7, 8, 9])], y: [Float32Array.from([0, 0.5, 1, 1.5, 2]), Float32Array.from([1, 1, 1, 1, 1])] };
}

test("heldMarks keeps the clipped steps the page holds exactly", () => {
  const got = heldMarks(runs(), { steps: [1, 3, 4, 4, 8], runs: [0, 0, 0, 1, 5] });
  assert.deepEqual(got, [
    { step: 1, run: 0, row: 1 },
    { step: 4, run: 0, row: 3 },
    { step: 4, run: 1, row: 3 },
  ]); // step 3 is not held; run 5 does not exist
  assert.deepEqual(heldMarks(runs(), { steps: [1, 4], runs: [0, 0] }, 2), [{ step: 1, run: 0, row: 1 }]);
  assert.deepEqual(heldMarks(runs(), {}), []);
});

test("each mark sits at the held position and carries it", () => {
  const model = new FakeModel({ meta: metaFor(["a", "b"]), clipped: { steps: [2, 8], runs: [0, 1] } });
  const store = connect(model);
  store.runs = runs();
  const layer = createClipMarks(store, { width: 100, height: 100 });
  const n = layer.draw((x, y) => [10 * x, 10 * y], { left: 0, top: 0, width: 100, height: 100 });
  assert.equal(n, 2);
  const marks = [...layer.el.querySelectorAll('[data-testid="gd-clipmark"]')];
  assert.deepEqual(
    marks.map((m) => [m.getAttribute("data-step"), m.getAttribute("data-run"), m.getAttribute("data-x"), m.getAttribute("data-y")]),
    [
      ["2", "0", "2", "1"],
      ["8", "1", "9", "1"],
    ],
  );
  assert.equal(marks[0].getAttribute("x"), "17.0"); // 10 * 2 - 3
  let redrawn = 0;
  const off = layer.watch(() => redrawn++);
  model.set("clipped", { steps: [], runs: [] });
  off();
  assert.equal(redrawn, 1);
  assert.equal(layer.draw((x, y) => [x, y], { left: 0, top: 0, width: 100, height: 100 }), 0);
  store.dispose();
});
