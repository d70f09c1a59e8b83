// The X-ray layer and panel in a small DOM: the arrows carry the kernel's vectors, are drawn in
// the right direction (the gradient and the momentum reversed), the ellipse has the shape of the
// effective step, and the toggle sends `xray`.
import assert from "node:assert/strict";
import { test } from "node:test";

import { FakeModel, installDom, metaFor } from "./fakes.js";

installDom();
const { connect } = await import("../app.js");
const { createXrayLayer, createXrayPanel, ellipseRadii, screenVector, panelRows } = await import("../xray.js");

const RUN = {
  label: "adam",
  optimizer: "adam",
  step: 9,
  position: [0.5, -0.25],
  grad: [3, -4],
  momentum: [0.3, 0.4],
  second_moment: [9, 16],
  update: [-0.01, 0.02],
  step_size: [0.002, 0.001],
  sign_step: null,
  raw_step: null,
  clipped_step: null,
  clip: null,
};

function xrayStore() {
  const model = new FakeModel({ meta: metaFor(["adam"]) });
  const store = connect(model);
  model.fire("msg:custom", { type: "xray", step: 9, runs: [RUN] }, []);
  return { model, store };
}

test("screenVector keeps the direction and clamps the length; ellipseRadii keeps the shape", () => {
  const v = screenVector([1, 0], 100, -100, 50);
  assert.deepEqual(v, [50, -0]);
  const small = screenVector([0.001, 0.001], 100, -100, 50);
  assert.ok(Math.abs(Math.hypot(...small) - 14) < 1e-9);
  assert.equal(screenVector([0, 0], 1, 1, 50), null);
  assert.equal(screenVector([NaN, 1], 1, 1, 50), null);
  const [rx, ry] = ellipseRadii([0.002, 0.001], 100, -100);
  assert.ok(Math.abs(rx / ry - 2) < 1e-9);
  assert.equal(ellipseRadii([-1, 1], 1, 1), null);
});

test("the layer draws each vector at the marker with the kernel's numbers", () => {
  const { store } = xrayStore();
  store.ui.xray = true;
  const plot = { left: 0, top: 0, width: 400, height: 400 };
  const layer = createXrayLayer(store, { width: 400, height: 400, plot });
  // pixel = 100 * x + 200, pixel = -100 * y + 200
  assert.equal(layer.draw(100, 200, -100, 200), true);
  const grad = layer.el.querySelector('[data-testid="gd-xray-grad-adam"]');
  assert.deepEqual([Number(grad.getAttribute("data-dx")), Number(grad.getAttribute("data-dy"))], [3, -4]);
  // drawn downhill: from the marker (250, 225) towards -grad = (-3, 4) -> screen (-300, -400)
  const shaft = grad.querySelectorAll("path")[1].getAttribute("d");
  const [x0, y0, x1, y1] = shaft.match(/-?\d+(\.\d+)?/g).map(Number);
  assert.deepEqual([x0, y0], [250, 225]);
  assert.ok(x1 < x0 && y1 < y0);
  assert.ok(Math.abs((y1 - y0) / (x1 - x0) - 4 / 3) < 0.02);
  const upd = layer.el.querySelector('[data-testid="gd-xray-update-adam"]');
  assert.equal(Number(upd.getAttribute("data-dx")), -0.01);
  const mom = layer.el.querySelector('[data-testid="gd-xray-momentum-adam"]');
  assert.equal(Number(mom.getAttribute("data-dy")), 0.4);
  const ell = layer.el.querySelector('[data-testid="gd-xray-step_size-adam"]');
  assert.equal(Number(ell.getAttribute("data-sx")), 0.002);
  assert.ok(Math.abs(Number(ell.getAttribute("rx")) / Number(ell.getAttribute("ry")) - 2) < 0.01);
  assert.equal(layer.el.querySelector('[data-testid="gd-xray-sign_step-adam"]'), null);
  // hidden runs and a toggle that is off draw nothing
  store.ui.hidden.add("adam");
  assert.equal(layer.draw(100, 200, -100, 200), false);
  store.ui.hidden.clear();
  store.ui.xray = false;
  assert.equal(layer.draw(100, 200, -100, 200), false);
});

test("the panel: the toggle sends xray, the table shows the selected run's numbers", () => {
  const { model, store } = xrayStore();
  const panel = createXrayPanel(store);
  const toggle = panel.el.querySelector('[data-testid="gd-xray"]');
  toggle.checked = true;
  toggle.dispatchEvent(new window.__gdEvent("change"));
  assert.deepEqual(model.sent.at(-1), { type: "xray", on: true });
  assert.equal(store.ui.xray, true);
  const rows = [...panel.el.querySelectorAll("tr")].map((tr) => [tr.dataset.name, tr.querySelector("td").textContent]);
  assert.deepEqual(rows, panelRows(RUN));
  assert.deepEqual(rows.find(([n]) => n === "gradient"), ["gradient", "(3, -4)"]);
  assert.ok(!rows.some(([n]) => n === "next sign step"));
  toggle.checked = false;
  toggle.dispatchEvent(new window.__gdEvent("change"));
  assert.deepEqual(model.sent.at(-1), { type: "xray", on: false });
  panel.destroy();
  store.dispose();
});

test("the kernel's xray trait (w.set_xray) turns every view's toggle on and off", () => {
  const { model, store } = xrayStore();
  const panel = createXrayPanel(store);
  const toggle = panel.el.querySelector('[data-testid="gd-xray"]');
  assert.equal(toggle.checked, false);
  model.set("xray", true);
  assert.equal(toggle.checked, true);
  assert.equal(store.ui.xray, true);
  assert.equal(panel.el.querySelector(".gd-xray-body").hidden, false);
  const second = createXrayPanel(store); // a view opened later starts as the kernel says
  assert.equal(second.el.querySelector('[data-testid="gd-xray"]').checked, true);
  model.set("xray", false);
  assert.equal(toggle.checked, false);
  assert.equal(store.ui.xray, false);
  assert.equal(model.sent.filter((m) => m.type === "xray").length, 0); // the echo sends nothing
  panel.destroy();
  second.destroy();
});
