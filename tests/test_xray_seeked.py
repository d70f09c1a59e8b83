"""Every X-ray sent while a past step is shown is that step's: after a page reload
(``request_history``), a ``set_hyper``, a ``select_run``; and right after a fork at a checkpoint's
own step the X-ray's last update is that of a run stepped there (not None)."""

from __future__ import annotations

import pytest
from widget_helpers import make

import gdwidget as gd
from gdwidget.live import loop, timetravel
from gdwidget.live.xray import _finite

pytestmark = pytest.mark.filterwarnings(
    "ignore:gdwidget's JavaScript bundle is missing", "ignore:gdwidget runs on the CPU"
)

STEPS = 150  # past the checkpoints' first thinning: steps between them are replayed


def race() -> dict:
    return {
        "adam": gd.optim.adam(0.05),
        "mom": gd.optim.sgd(1e-3, momentum=0.9),
        "lion": gd.optim.lion(0.02),
        "sophia": gd.optim.sophia(0.05),
    }


def playground(steps: int):
    w, comm = make(gd.functions.rosenbrock(), race(), start=(-1.5, 2.0))
    if steps:
        w.step(steps)
    return w, comm


def stepped_to(t: int) -> dict:
    """Each run's internals in a Playground stepped to ``t`` (never seeked nor forked)."""
    w, _ = playground(t)
    out = {label: w.internals(label) for label in w.run.labels}
    w.close()
    return out


def last_xray(comm) -> dict:
    with comm.lock:
        sent = list(comm.sent)
    msgs = [d["content"] for d, _ in sent if d.get("content", {}).get("type") == "xray"]
    assert msgs, "no xray message was sent"
    return msgs[-1]


def assert_xray_of(msg: dict, want: dict, t: int) -> None:
    assert msg["step"] == t
    assert [r["label"] for r in msg["runs"]] == list(want)
    for r in msg["runs"]:
        assert r == {k: _finite(v) for k, v in want[r["label"]].items()}, r["label"]


@pytest.fixture(autouse=True)
def dense_checkpoints(monkeypatch):
    """A checkpoint before each chunk of at most 16 steps (however fast this machine steps),
    so that there are steps between two, which are replayed, not restored."""
    monkeypatch.setattr(timetravel, "CHECKPOINT_SECONDS", 0.0)
    monkeypatch.setattr(loop, "MAX_CHUNK", 16)


@pytest.fixture
def seeked():
    w, comm = playground(STEPS)
    checkpoints = w.session.timeline.checkpoints.steps
    t = next(s for s in range(checkpoints[-2] - 1, 0, -1) if s not in checkpoints)
    comm.page_sends({"type": "xray", "on": True})
    assert w.seek(t) == t
    yield w, comm, t
    w.close()


def test_a_page_reload_while_seeked_gets_the_seeked_steps_xray(seeked):
    w, comm, t = seeked
    comm.clear()
    comm.page_sends({"type": "request_history"})
    want = {label: w.internals(label, step=t) for label in w.run.labels}
    assert want == stepped_to(t)
    assert_xray_of(last_xray(comm), want, t)
    assert w.cursor["step"] == t and w.t == STEPS  # still seeked, the run at its present


def test_set_hyper_and_select_run_while_seeked_send_the_seeked_steps_xray(seeked):
    w, comm, t = seeked
    comm.clear()
    w.set_hyper("mom", "momentum", 0.5)
    msg = last_xray(comm)
    assert_xray_of(msg, {label: w.internals(label, step=t) for label in w.run.labels}, t)
    # the settings of then at step t (the change acts from the next step taken)
    assert msg["runs"][1] == {k: _finite(v) for k, v in stepped_to(t)["mom"].items()}
    comm.clear()
    comm.page_sends({"type": "select_run", "index": 2})
    assert_xray_of(last_xray(comm), stepped_to(t), t)
    assert w.internals("mom", step=STEPS)["step"] == STEPS


def test_after_a_fork_at_a_checkpoint_the_xray_has_the_last_update():
    w, comm = playground(STEPS)
    t = int(w.session.timeline.checkpoints.steps[-2])
    assert 0 < t < STEPS
    comm.page_sends({"type": "xray", "on": True})
    comm.clear()
    w.fork(t)
    assert w.t == t
    want = stepped_to(t)
    assert all(want[label]["update"] is not None for label in want)
    assert {label: w.internals(label) for label in w.run.labels} == want
    assert_xray_of(last_xray(comm), want, t)
    w.close()


def test_set_xray_from_python_turns_it_on_and_sends_the_xray() -> None:
    w, comm = make(gd.functions.rosenbrock(), {"adam": gd.optim.adam(0.05)})
    try:
        w.step(5)
        comm.clear()
        w.set_xray(True)
        assert w.xray is True
        sent = [d["content"] for d, _ in comm.sent if d.get("content", {}).get("type") == "xray"]
        assert sent and sent[-1]["runs"][0]["label"] == "adam"
        with pytest.raises(ValueError, match="on must be True or False"):
            w.set_xray("yes")
        w.set_xray(False)
        assert w.xray is False
    finally:
        w.close()
