// The loss chart's marks: a diverged run's end, changes of batch size, the panel's note.
import assert from "node:assert/strict";
import { test } from "node:test";

import { batchAfter, divergedEnds, lossNote, validMarks } from "../lossmarks.js";
import { linearSplits, linearTicks } from "../loss.js";
import { RunBuffer } from "../store.js";
import { frameOf } from "./fakes.js";

test("a diverged run's curve ends at its last finite loss", () => {
  const runs = new RunBuffer(64);
  const inf = Number.POSITIVE_INFINITY;
  runs.replace(frameOf([
    [[0, 0, 12.5], [0, 0, 6], [0, 0, 3], [0, 0, 1]],
    [[0, 0, 12.5], [0, 0, 1e4], [0, 0, 3e38], [inf, inf, inf]],
  ]));
  const ends = divergedEnds(runs, [0, 1], (r) => r === 1);
  assert.equal(ends.length, 1);
  assert.equal(ends[0].r, 1);
  assert.equal(ends[0].step, 2);
  assert.equal(ends[0].loss, Math.fround(3e38));
});

test("the y axis of a run that overflows keeps labelled, finite ticks", () => {
  const splits = linearSplits(null, 1, 0, 14);
  const labels = linearTicks(null, splits);
  assert.ok(labels.length >= 3);
  assert.ok(labels.every((s) => /^-?[\d.]+(e-?\d+)?$/.test(s)), labels.join(" "));
  assert.equal(labels[0], "0");
});

test("marks of the batch size and the loss panel's note", () => {
  const marks = [{ step: 40, kind: "batch_size", text: "batch full -> 8" }, { step: "x" }, null, { step: 90, kind: "batch_size", text: "batch 8 -> 1" }];
  assert.deepEqual(validMarks(marks).map((m) => m.step), [40, 90]);
  assert.equal(batchAfter("batch 64 -> 1"), 1);
  assert.equal(batchAfter("batch 8 -> full"), 0);
  assert.ok(Number.isNaN(batchAfter("nonsense")));
  assert.equal(lossNote(true, 1, marks), "mini-batch losses from step 40");
  assert.equal(lossNote(true, 0, marks), "");
  assert.equal(lossNote(false, 8, marks), "");
  assert.equal(lossNote(true, 8, []), "mini-batch losses (batch of 8)");
  assert.equal(lossNote(true, 8, [{ step: 10, kind: "batch_size", text: "batch 8 -> full" }, { step: 20, kind: "batch_size", text: "batch full -> 8" }]), "mini-batch losses from step 20");
});
