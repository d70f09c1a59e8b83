"""The X-ray follows the timeline: while a past step is shown, ``w.internals`` and the page's
``xray`` message are that step's internals, equal bit for bit to those of a run stepped to it."""

from __future__ import annotations

import numpy as np
import pytest
from widget_helpers import make

import gdwidget as gd
from gdwidget.live import loop, timetravel
from gdwidget.live.xray import _finite

pytestmark = pytest.mark.filterwarnings(
    "ignore:gdwidget's JavaScript bundle is missing", "ignore:gdwidget runs on the CPU"
)

STEPS = 150  # past the checkpoints' first thinning: most steps are replayed, not restored


def race():
    return {
        "adam": gd.optim.adam(0.05),
        "mom": gd.optim.sgd(1e-3, momentum=0.9),
        "lion": gd.optim.lion(0.02),
        "rms": gd.optim.rmsprop(0.01, centered=True),
        "ada": gd.optim.adagrad(0.3),
        "sophia": gd.optim.sophia(0.05),
        "clip": gd.chain(gd.transforms.clip_by_global_norm(1.0), gd.optim.sgd(2e-3)),
    }


def playground(steps):
    w, comm = make(gd.functions.rosenbrock(), race(), start=(-1.5, 2.0))
    if steps:
        w.step(steps)
    return w, comm


def reference(t):
    w, _ = playground(t)
    out = {label: w.internals(label) for label in w.run.labels}
    w.close()
    return out


def xray_messages(comm):
    with comm.lock:
        sent = list(comm.sent)
    return [d["content"] for d, _ in sent if d.get("content", {}).get("type") == "xray"]


@pytest.fixture(scope="module")
def played():
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(timetravel, "CHECKPOINT_SECONDS", 0.0)  # one due before each chunk
        # chunks of 16 steps however fast or loaded this machine is, so that checkpoints
        # have steps between them
        mp.setattr(loop, "MAX_CHUNK", 16)
        mp.setattr(loop, "CHUNK_SECONDS", 1e9)
        w, comm = playground(STEPS)
    checkpoints = w.session.timeline.checkpoints.steps
    yield w, comm, checkpoints
    w.close()


def step_of(kind, checkpoints):
    """A step of each kind: a checkpoint's (restored) or one between (replayed)."""
    if kind == "checkpoint":
        return checkpoints[-2]
    if kind == "between":
        return next(t for t in range(checkpoints[-2] - 1, 0, -1) if t not in checkpoints)
    return {"zero": 0, "first": 1, "before-last": STEPS - 1}[kind]


@pytest.mark.parametrize("kind", ["zero", "first", "between", "checkpoint", "before-last"])
def test_internals_while_seeked_equal_a_run_stepped_to_that_step(played, kind):
    w, comm, checkpoints = played
    t = step_of(kind, checkpoints)
    now = {label: w.internals(label, step=STEPS) for label in w.run.labels}
    w.seek(t)
    assert w.cursor["step"] == t  # every step is kept (150 rows)
    ref = reference(t)
    for label in w.run.labels:
        assert w.internals(label) == ref[label], label
        assert w.internals(label, step=t) == ref[label], label
        assert ref[label]["step"] == t or ref[label]["optimizer"] == "sgd"
    # the run is back at its present: the newest step's internals are as they were
    assert {label: w.internals(label, step=STEPS) for label in w.run.labels} == now


def test_the_xray_message_follows_the_seek_and_the_toggle(played):
    w, comm, _ = played
    comm.page_sends({"type": "xray", "on": True})
    t = step_of("between", played[2])
    w.seek(t)
    ref = reference(t)
    msg = xray_messages(comm)[-1]
    assert msg["step"] == t
    assert msg["runs"] == [{k: _finite(v) for k, v in ref[r["label"]].items()} for r in msg["runs"]]
    # the toggle turned on while a past step is shown sends that step's X-ray, not the newest
    comm.page_sends({"type": "xray", "on": False})
    t = step_of("checkpoint", played[2])
    w.seek(t)
    comm.page_sends({"type": "xray", "on": True})
    ref = reference(t)
    msg = xray_messages(comm)[-1]
    assert msg["step"] == t
    assert [r["update"] for r in msg["runs"]] == [_finite(ref[r]["update"]) for r in w.run.labels]
    # a step taken shows the newest again
    w.step(1)
    assert w.cursor == {} and xray_messages(comm)[-1]["step"] == STEPS + 1
    assert w.internals("adam")["step"] == STEPS + 1


def test_a_step_outside_the_run_is_refused(played):
    w, _, _ = played
    with pytest.raises(ValueError, match="between 0 and the current step"):
        w.internals("adam", step=10**6)
    with pytest.raises(ValueError, match="step"):
        w.internals("adam", step=-1)
    np.testing.assert_array_equal(w.internals("adam")["step"], w.t)
