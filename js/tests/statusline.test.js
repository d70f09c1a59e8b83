// The status line while the timeline is seeked (js/statusline.js): it says "at step t of T" and
// gives each run's loss at the step shown, as recorded; a run's stop is noted only from its step.
import assert from "node:assert/strict";
import { test } from "node:test";

import { FakeModel, frameOf, installDom, metaFor } from "./fakes.js";

installDom();
const { connect } = await import("../app.js");
const { createStatusLine } = await import("../statusline.js");
const { formatNumber } = await import("../scales.js");

const frame = () => new Promise((resolve) => setTimeout(resolve, 40));
// run 0 has loss 10 - step, run 1 has loss 2^step (it diverges at step 4 says the kernel)
const LOSS = [[10, 9, 8, 7, 6, 5], [1, 2, 4, 8, 16, 32]];

test("seeked: the step shown, each run's loss there, and stops only from their step", async () => {
  const model = new FakeModel({
    meta: metaFor(["gd", "adam"]),
    t: 5,
    status: [
      { label: "gd", status: "running", step: -1, loss: 5 },
      { label: "adam", status: "diverged", step: 4, loss: 32 },
    ],
  });
  const store = connect(model);
  store.ingest(frameOf(LOSS.map((ls) => ls.map((l, i) => [i, i, l]))));
  const line = createStatusLine(store);
  const stepText = () => line.el.querySelector(".gd-status-step").textContent;
  const runs = () => [...line.el.querySelectorAll(".gd-status-run")].map((el) => el.textContent);
  await frame();
  assert.equal(stepText(), "step 5");
  assert.deepEqual(runs(), [`gd ${formatNumber(5)}`, `adam ${formatNumber(32)} (diverged)`]);
  assert.equal(line.el.dataset.seeking, "false");

  store.setCursor({ step: 2, asked: 2 });
  await frame();
  assert.equal(stepText(), "at step 2 of 5");
  assert.deepEqual(runs(), [`gd ${formatNumber(8)}`, `adam ${formatNumber(4)}`]);
  assert.equal(line.el.dataset.seeking, "true");
  assert.equal(line.el.dataset.step, "2");

  store.setCursor({ step: 4, asked: 4 });
  await frame();
  assert.equal(stepText(), "at step 4 of 5");
  assert.deepEqual(runs(), [`gd ${formatNumber(6)}`, `adam ${formatNumber(16)} (diverged)`]);

  store.setCursor({}); // the newest again
  await frame();
  assert.equal(stepText(), "step 5");
  assert.deepEqual(runs(), [`gd ${formatNumber(5)}`, `adam ${formatNumber(32)} (diverged)`]);
  line.destroy();
  store.dispose();
});
