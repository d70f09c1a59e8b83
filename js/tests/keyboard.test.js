// The classroom's page parts in a small DOM: keyboard shortcuts (and that no plain key leaves
// the widget), the controls a lesson shows, the challenge line, and the presentation scale.
import assert from "node:assert/strict";
import { test } from "node:test";

import { FakeModel, frameOf, installDom, metaFor } from "./fakes.js";

installDom();
const { connect, renderView } = await import("../app.js");
const { keepsKey, shortcut } = await import("../keyboard.js");
const { reachedSteps, targetText } = await import("../classroom.js");
const { scaleFor, sizes } = await import("../presentation.js");

function key(k, extra = {}) {
  const ev = new window.__gdEvent("keydown", { bubbles: true, cancelable: true });
  Object.assign(ev, { key: k, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false }, extra);
  return ev;
}

function view(state = {}) {
  const model = new FakeModel({ meta: metaFor(["gd", "adam"]), running: false, ...state });
  const store = connect(model);
  const outer = document.createElement("div"); // stands for the notebook around the output
  const el = document.createElement("div");
  outer.append(el);
  document.body.append(outer);
  const heard = [];
  outer.addEventListener("keydown", (ev) => heard.push(ev.key));
  const cleanup = renderView(store, el);
  const root = el.querySelector(".gd-root");
  const sent = () => model.sent.filter((m) => !["view_open", "view_close", "request_history"].includes(m.type));
  return { model, store, el, root, heard, sent, cleanup };
}

test("shortcut: space, arrows and r; none while typing, with a chord, or on a slider's arrows", () => {
  const input = document.createElement("input");
  const range = document.createElement("input");
  range.type = "range";
  assert.equal(shortcut({ key: " " }), "toggle");
  assert.equal(shortcut({ key: "ArrowRight" }), "step");
  assert.equal(shortcut({ key: "ArrowLeft" }), "back");
  assert.equal(shortcut({ key: "r" }), "reset");
  assert.equal(shortcut({ key: "r", target: input }), null);
  assert.equal(shortcut({ key: "r", ctrlKey: true }), null);
  assert.equal(shortcut({ key: "ArrowLeft", target: range }), null);
  assert.equal(shortcut({ key: " ", target: range }), "toggle");
  assert.equal(shortcut({ key: "x" }), null);
  assert.equal(keepsKey({ key: "x" }), true);
  assert.equal(keepsKey({ key: "Escape" }), false);
  assert.equal(keepsKey({ key: "s", ctrlKey: true }), false);
});

test("keys inside the widget act and never reach the notebook", () => {
  const v = view();
  assert.equal(v.root.getAttribute("tabindex"), "0");
  assert.equal(v.root.getAttribute("data-lm-suppress-shortcuts"), "true");
  const space = key(" ");
  v.root.dispatchEvent(space);
  assert.equal(space.defaultPrevented, true);
  v.model.set("running", true);
  v.root.dispatchEvent(key(" "));
  v.root.dispatchEvent(key("ArrowRight"));
  v.root.dispatchEvent(key("r"));
  v.root.dispatchEvent(key("c")); // no shortcut, and still kept from the notebook
  assert.deepEqual(v.sent(), [{ type: "play" }, { type: "pause" }, { type: "step", n: 1 }, { type: "reset", start: null }]);
  assert.deepEqual(v.heard, []);
  // a letter typed in a text box types: no reset, and it does not reach the notebook either
  const box = v.root.querySelector('[data-testid="gd-step-n-input"]');
  box.dispatchEvent(key("r"));
  assert.equal(v.sent().length, 4);
  assert.deepEqual(v.heard, []);
  // Escape and chords go on to the notebook (leave the widget, save)
  v.root.dispatchEvent(key("Escape"));
  v.root.dispatchEvent(key("s", { ctrlKey: true }));
  assert.deepEqual(v.heard, ["Escape", "s"]);
  v.cleanup();
});

test("ArrowLeft clicks the time-travel step back where there is one, else does nothing", () => {
  const v = view();
  // without one (the time-travel helper's button, where the page has it, is taken out first)
  for (const b of v.root.querySelectorAll('[data-testid="gd-step-back"]')) b.remove();
  v.root.dispatchEvent(key("ArrowLeft"));
  assert.deepEqual(v.sent(), []);
  let clicks = 0;
  const back = document.createElement("button");
  back.setAttribute("data-testid", "gd-step-back");
  back.addEventListener("click", () => clicks++);
  v.root.append(back);
  v.root.dispatchEvent(key("ArrowLeft"));
  assert.equal(clicks, 1);
  v.cleanup();
});

test("controls=[...] hides the other controls, and follows the trait", () => {
  const v = view({ shown_controls: ["play", "reset", "lr"] });
  const off = (sel) => v.root.querySelector(sel).classList.contains("gd-control-off");
  assert.equal(off('[data-testid="gd-play"]'), false);
  assert.equal(off('[data-testid="gd-reset"]'), false);
  assert.equal(off(".gd-lr-sliders"), false);
  assert.equal(off('[data-testid="gd-pause"]'), true);
  assert.equal(off(".gd-speed-group"), true);
  assert.equal(off(".gd-stepn"), true);
  v.model.set("shown_controls", null);
  assert.equal(v.root.querySelectorAll(".gd-control-off").length, 0);
  v.cleanup();
});

test("the challenge: its goal, then the first kept step each run met it", () => {
  assert.equal(targetText({ loss: 0.001, steps: 200 }), "loss ≤ 1e-3 within 200 steps");
  const runs = { nRuns: 2, length: 4, steps: [0, 1, 2, 3], loss: [[5, 0.5, 0.01, 0.001], [5, 4, 3, 2]] };
  assert.deepEqual(reachedSteps(runs, { loss: 0.05 }), [2, null]);
  assert.deepEqual(reachedSteps(runs, { loss: 0.05, steps: 1 }), [null, null]);
  assert.deepEqual(reachedSteps(runs, { steps: 3, loss: 4 }), [1, 1]);

  const v = view({ target: { loss: 0.05, steps: 10 } });
  const el = v.root.querySelector('[data-testid="gd-target"]');
  assert.ok(v.root.querySelector('[data-testid="gd-status"]').contains(el));
  assert.equal(el.hidden, false);
  assert.equal(el.dataset.reached, "false");
  v.store.ingest(frameOf([[[1, 1, 5, 0.1], [2, 2, 0.04, 0.1], [0, 0, 0.01, 0.1]], [[1, 1, 5, 0.1], [1, 1, 5, 0.1], [1, 1, 5, 0.1]]]));
  assert.equal(el.dataset.reached, "true");
  assert.deepEqual(JSON.parse(el.dataset.steps), [1, null]);
  assert.match(el.textContent, /reached by gd at step 1/);
  v.cleanup();
  const none = view();
  assert.equal(none.root.querySelector('[data-testid="gd-target"]').hidden, true);
  none.cleanup();
});

test("presentation: the scale grows with the width, and a scaled view is larger", () => {
  assert.equal(scaleFor(900), 1);
  assert.equal(scaleFor(530), 1); // one column at 1x: the columns stack
  assert.equal(scaleFor(470), 0.875); // narrower: the view shrinks, in eighths
  assert.equal(scaleFor(200), 0.625); // down to MIN_SCALE, then it scrolls
  assert.equal(scaleFor(0), 1); // not laid out yet
  assert.equal(scaleFor(926 * 1.3), 1.25);
  assert.equal(scaleFor(926 * 2), 2);
  assert.equal(scaleFor(1e5), 2.5);
  assert.deepEqual(sizes(2).landscape, { width: 1012, height: 880, scale: 2 });
  assert.deepEqual(sizes(2).model, { width: 506, height: 300 }); // a model's view keeps 1x
  assert.deepEqual(sizes(0.75).model, { width: 380, height: 225 }); // and shrinks below it
  const model = new FakeModel({ meta: metaFor(["gd"]) });
  const store = connect(model);
  const el = document.createElement("div");
  el.dataset.gdScale = "2";
  const cleanup = renderView(store, el);
  const land = el.querySelector('[data-testid="gd-landscape"]');
  assert.equal(land.style.width, "1012px");
  assert.equal(Number(land.dataset.plotLeft), 104);
  assert.equal(el.querySelector(".gd-root").dataset.scale, "2");
  const open = model.sent.find((m) => m.type === "view_open");
  assert.deepEqual(open.px, [1012 - 104 - 124, 880 - 20 - 80]);
  cleanup();
});
