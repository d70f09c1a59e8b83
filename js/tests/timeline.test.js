import assert from "node:assert/strict";
import { test } from "node:test";

import { isDiverged } from "../paths.js";
import { createStore, rowOfStep } from "../store.js";
import { createTimeline, timelineState } from "../timeline.js";
import { FakeModel, frameOf, installDom } from "./fakes.js";

/** A store holding rows at `steps` for two runs: run r at (step, r * 10), loss 1 / (step + 1). */
function storeAt(steps) {
  const model = new FakeModel({ meta: { max_history: 64 } });
  const store = createStore(model);
  store.send = (msg) => model.send(msg);
  const paths = [0, 1].map((r) => steps.map((s) => [s, r * 10, 1 / (s + 1)]));
  const f = frameOf(paths);
  f.steps = Float64Array.from(steps);
  store.ingest(f);
  return { store, model };
}

test("rowOfStep: exact where held, the nearest otherwise (the earlier of two as near)", () => {
  const steps = Float64Array.from([0, 1, 2, 10, 20, 40, 99, 99]);
  const n = 6; // only the first six rows are held
  assert.deepEqual([0, 2, 10, 40].map((s) => rowOfStep(steps, n, s)), [0, 2, 3, 5]);
  assert.equal(rowOfStep(steps, n, 6), 2); // 4 from 2 and from 10: the earlier
  assert.equal(rowOfStep(steps, n, 7), 3);
  assert.equal(rowOfStep(steps, n, 31), 5);
  assert.equal(rowOfStep(steps, n, 1e9), 5); // past the newest held row, not into the unused
  assert.equal(rowOfStep(steps, n, -3), 0);
  assert.equal(rowOfStep(steps, 0, 3), -1);
  assert.equal(rowOfStep(steps, n, Number.NaN), -1);
});

test("the store's cursor moves every run's current point, and null is the newest again", () => {
  const { store } = storeAt([0, 1, 2, 10, 20, 40]);
  const seen = [];
  store.events.on("cursor", () => seen.push(store.cursorStep()));
  assert.equal(store.cursorStep(), null);
  assert.equal(store.runs.lastFinite(1), 5);
  store.setCursor({ step: 10, asked: 12 });
  assert.deepEqual(store.cursor, { step: 10, asked: 12 });
  for (const r of [0, 1]) {
    const i = store.runs.lastFinite(r);
    assert.equal(i, 3);
    assert.equal(store.runs.x[r][i], 10); // the markers read this row
  }
  // a new history (the kernel thinned) keeps the step shown, at its new row
  const f = frameOf([0, 1].map((r) => [0, 10, 40].map((s) => [s, r * 10, 1])));
  f.steps = Float64Array.from([0, 10, 40]);
  store.ingest(f);
  assert.equal(store.runs.lastFinite(0), 1);
  store.setCursor({}); // the kernel's "no cursor"
  assert.equal(store.cursorStep(), null);
  assert.equal(store.runs.lastFinite(0), 2);
  assert.deepEqual(seen, [10, null]);
});

test("the timeline's range covers the kept rows and its label says which step is shown", () => {
  const { store } = storeAt([0, 1, 2, 10, 20, 40]);
  assert.deepEqual(timelineState(store.runs, store.cursor), { max: 5, value: 5, step: 40, seeking: false, label: "step 40" });
  store.setCursor({ step: 10, asked: 10 });
  assert.equal(timelineState(store.runs, store.cursor).label, "step 10 of 40");
  store.setCursor({ step: 10, asked: 13 });
  const s = timelineState(store.runs, store.cursor);
  assert.equal(s.value, 3);
  assert.equal(s.label, "step 10 (nearest kept to 13) of 40");
  const empty = createStore(new FakeModel({}));
  assert.equal(timelineState(empty.runs, null).label, "no steps yet");
});

test("the timeline's scrubber, back and fork buttons send seek, step_back and fork", () => {
  installDom();
  const { store, model } = storeAt([0, 1, 2, 10, 20, 40]);
  const tl = createTimeline(store);
  const range = tl.el.querySelector('[data-testid="gd-timeline"]');
  assert.equal(range.max, "5");
  assert.equal(range.value, "5");
  range.value = "3";
  range.dispatchEvent(new window.__gdEvent("input"));
  assert.deepEqual(model.sent.at(-1), { type: "seek", step: 10 });
  // an older answer of the kernel does not move the range away from the step last asked for
  store.setCursor({ step: 2, asked: 2 });
  assert.equal(range.value, "3");
  // the kernel answers with the cursor: the label and the range follow
  store.setCursor({ step: 10, asked: 10 });
  assert.equal(tl.el.querySelector('[data-testid="gd-timeline-label"]').textContent, "step 10 of 40");
  assert.equal(tl.el.dataset.step, "10");
  tl.el.querySelector('[data-testid="gd-step-back"]').dispatchEvent(new window.__gdEvent("click"));
  assert.deepEqual(model.sent.at(-1), { type: "step_back" });
  tl.el.querySelector('[data-testid="gd-fork"]').dispatchEvent(new window.__gdEvent("click"));
  assert.deepEqual(model.sent.at(-1), { type: "fork", step: 10 });
  store.setCursor({ step: 20, asked: 20 }); // a seek from Python moves the range
  assert.equal(range.value, "4");
  tl.destroy();
});

test("a run that diverges later is not drawn as diverged at a step shown before it", () => {
  const { store } = storeAt([0, 1, 2, 10, 20, 40]);
  store.runs.x[1][5] = Number.NaN; // run 1 left at step 40
  store.runs.loss[1][5] = Number.NaN;
  const status = { label: "b", status: "diverged", step: 40 };
  assert.equal(isDiverged(store.runs, 1, status), true);
  store.setCursor({ step: 10, asked: 10 });
  assert.equal(isDiverged(store.runs, 1, status), false);
  assert.equal(store.runs.lastFinite(1), 3); // its marker: at step 10
  store.setCursor({ step: 40, asked: 40 });
  assert.equal(isDiverged(store.runs, 1, status), true);
});
