// A swept group (one optimizer, one rate per run) on the page: one legend entry with its range,
// one slider that sends set_lr for the whole group; a start swarm stays one row per run.
import assert from "node:assert/strict";
import { test } from "node:test";

import { FakeModel, installDom, metaFor } from "./fakes.js";

installDom();
const { connect } = await import("../app.js");
const { createLrSliders } = await import("../sliders.js");
const { createLegend } = await import("../legend.js");
const { isSwept, sweptText, groupStatusText } = await import("../swept.js");

const ADAM = {
  label: "adam",
  optimizer: "adam",
  lr: 1,
  lr_min: 1e-5,
  lr_max: 10,
  schedule: null,
  runs: 4,
  lr_range: [1e-4, 1],
  swept: ["lr", "betas"],
  hyper: { betas: "(0.9, 0.99..0.999 (4 runs))" },
};

function sweptMeta() {
  const labels = ["adam[0]", "adam[1]", "adam[2]", "adam[3]", "sgd"];
  const meta = metaFor(labels);
  meta.runs = meta.runs.map((run) => ({ ...run, group: run.label.startsWith("adam") ? "adam" : "sgd" }));
  meta.groups = [ADAM, { label: "sgd", optimizer: "sgd", lr: 0.1, lr_min: 1e-4, lr_max: 1, schedule: null, runs: 1, swept: [] }];
  return meta;
}

test("swept: which groups are swept, and their words", () => {
  assert.equal(isSwept(ADAM), true);
  assert.equal(isSwept({ ...ADAM, swept: [] }), false); // a start swarm: same settings
  assert.equal(isSwept({ ...ADAM, runs: 1 }), false);
  assert.equal(isSwept({ ...ADAM, swept: undefined }), true); // an older kernel: rates differ
  assert.equal(sweptText(ADAM), "adam · lr 1e-4..1 (4 runs) · betas (0.9, 0.99..0.999)");
  assert.equal(sweptText({ ...ADAM, label: "fast", swept: ["lr"] }), "fast · adam · lr 1e-4..1 (4 runs)");
  const st = (status) => ({ status });
  assert.equal(groupStatusText([st("running"), st("diverged"), st("running")]), "2 running · 1 diverged");
  assert.equal(groupStatusText([st("running"), st("running")], "paused"), "paused");
});

test("swept: a chain whose only per-run setting is its clip's is a swept group", () => {
  // meta.groups[i] for gd.chain(clip_by_global_norm(max_norm=[0.5, 2, 8]), sgd(0.1)): one rate
  const clip = {
    label: "clip",
    optimizer: "sgd",
    lr: 0.1,
    runs: 3,
    lr_range: null,
    swept: ["max_norm"],
    hyper: { transforms: ["clip_by_global_norm(max_norm=0.5..8 (3 runs))"], max_norm: "0.5..8 (3 runs)" },
  };
  assert.equal(isSwept(clip), true);
  assert.equal(sweptText(clip), "clip · sgd · lr 0.1 (3 runs) · max_norm 0.5..8");
});

test("legend: a swept group is one row with its range; its box hides every run; one status", () => {
  const model = new FakeModel({ meta: sweptMeta(), running: true, t: 0, status: [] });
  const store = connect(model);
  const legend = createLegend(store);
  const rows = legend.el.querySelectorAll(".gd-legend-row");
  assert.deepEqual(
    [...rows].map((r) => r.dataset.label),
    ["adam", "sgd"],
  );
  assert.equal(rows[0].querySelector(".gd-legend-label").textContent, "adam · lr 1e-4..1 (4 runs) · betas (0.9, 0.99..0.999)");
  const box = legend.el.querySelector('[data-testid="gd-visible-adam"]');
  box.checked = false;
  box.dispatchEvent(new window.__gdEvent("change"));
  assert.deepEqual([...store.ui.hidden].sort(), ["adam[0]", "adam[1]", "adam[2]", "adam[3]"]);
  assert.equal(rows[0].classList.contains("gd-hidden"), true);
  assert.equal(rows[1].classList.contains("gd-hidden"), false);
  store.setHidden("adam[2]", false); // one run shown again: the group is not all hidden
  assert.equal(box.checked, true);
  model.state.status = [
    { label: "adam[0]", status: "running", step: 5 },
    { label: "adam[1]", status: "diverged", step: 3, note: "diverged: overflow at step 3" },
    { label: "adam[2]", status: "running", step: 5 },
    { label: "adam[3]", status: "converged", step: 4 },
    { label: "sgd", status: "running", step: 5 },
  ];
  model.fire("change:status");
  assert.equal(rows[0].querySelector(".gd-legend-status").textContent, "2 running · 1 diverged · 1 converged");
  assert.equal(rows[0].dataset.status, "mixed");
  assert.equal(rows[1].querySelector(".gd-legend-status").textContent, "running");
  legend.destroy();
  store.dispose();
});

test("sliders: one slider for a swept group, at its largest rate, sending set_lr for the group", () => {
  const model = new FakeModel({ meta: sweptMeta() });
  const store = connect(model);
  const sliders = createLrSliders(store);
  const rows = sliders.el.querySelectorAll(".gd-lr-row");
  assert.equal(rows.length, 2);
  assert.equal(rows[0].querySelector(".gd-lr-name").textContent, "adam · largest lr (scales 4 runs)");
  assert.match(rows[0].title, /scales every run's rate, keeping their ratios/);
  const input = sliders.el.querySelector('[data-testid="gd-lr-adam"]');
  assert.equal(Number(input.dataset.value), 1);
  input.value = "0"; // the slider's bottom: 1e-5
  input.dispatchEvent(new window.__gdEvent("input"));
  assert.deepEqual(model.sent.at(-1), { type: "set_lr", group: "adam", value: 1e-5 });
  sliders.destroy();
  store.dispose();
});
