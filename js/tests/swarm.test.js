// The start swarm control of the race setup panel (js/picker.js): one `set_swarm` message with
// the starts a side and the spread; a random swarm draws anew each time.
import assert from "node:assert/strict";
import { test } from "node:test";

import { FakeModel, installDom, metaFor } from "./fakes.js";

installDom();
const { connect } = await import("../app.js");
const { createPicker } = await import("../picker.js");

test("the swarm control sends n, the kind and a seed", () => {
  const meta = { ...metaFor(["gd"]), objective: "himmelblau" };
  meta.groups = [{ label: "gd", optimizer: "gd", lr: 0.01 }];
  const model = new FakeModel({ meta, picker: { functions: ["himmelblau"], optimizers: { gd: 0.01 }, error: "" } });
  const picker = createPicker(connect(model));
  const q = (id) => picker.el.querySelector(`[data-testid="${id}"]`);
  const sent = () => model.sent.filter((m) => m.type === "set_swarm");
  assert.deepEqual([...q("gd-swarm-kind").options].map((o) => o.value), ["grid", "random"]);
  q("gd-swarm-apply").click();
  q("gd-swarm-n").value = "5";
  q("gd-swarm-kind").value = "random";
  q("gd-swarm-apply").click();
  q("gd-swarm-apply").click();
  q("gd-swarm-n").value = "1";
  q("gd-swarm-kind").value = "grid";
  q("gd-swarm-apply").click();
  assert.deepEqual(sent(), [
    { type: "set_swarm", n: 3, kind: "grid", seed: 0 },
    { type: "set_swarm", n: 5, kind: "random", seed: 0 },
    { type: "set_swarm", n: 5, kind: "random", seed: 1 },
    { type: "set_swarm", n: 1, kind: "grid", seed: 0 },
  ]);
  picker.destroy();
});
