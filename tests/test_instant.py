"""Instant mode and per-run starts: the recomputed path equals gd.run from the same settings."""

from __future__ import annotations

import json

import numpy as np
import pytest
from widget_helpers import make, page_state, wait_for

import gdwidget as gd
from gdwidget.live import protocol as p

F = gd.functions.rosenbrock()
START = np.array([-1.5, 2.0])


def race() -> dict[str, gd.optim.Optimizer]:
    return {
        "sgd": gd.optim.sgd(1e-3),
        "momentum": gd.optim.sgd(1e-3, momentum=0.9),
        "rmsprop": gd.optim.rmsprop(1e-3),
        "adam": gd.optim.adam(1e-2),
        "adamw": gd.optim.adamw(1e-2),
    }


def reference(starts: np.ndarray, steps: int, **changed: gd.optim.Optimizer) -> np.ndarray:
    """Each run alone through gd.run: params (steps + 1, n_runs, 2)."""
    opts = {**race(), **changed}
    cols = [
        gd.run(F, {k: o}, start=starts[i], steps=steps, device="cpu").params[:, 0]
        for i, (k, o) in enumerate(opts.items())
    ]
    return np.stack(cols, axis=1)


def test_run_takes_one_start_per_run() -> None:
    run = gd.engine.Run(F, race(), device="cpu")
    starts = np.tile(START, (5, 1))
    starts[2] = [0.3, -0.4]
    run.reset(starts)
    chunk = run.advance(50)
    ref = reference(starts, 50)
    assert np.array_equal(chunk.params, ref[1:])
    with pytest.raises(ValueError, match="start must give 1 or 5 points, got 3"):
        run.reset(np.zeros((3, 2)))


def test_instant_mode_recomputes_the_whole_path_on_each_change() -> None:
    w, comm = make(F, race())
    try:
        w.set_instant(True)
        assert w.instant == 300
        assert w.history.loss.shape == (301, 5)
        starts = np.tile(START, (5, 1))
        assert np.array_equal(w.history.params, reference(starts, 300))

        w.set_start("adam", [0.5, 2.0])  # one start moved: the others stay
        starts[3] = [0.5, 2.0]
        assert np.array_equal(w.history.params, reference(starts, 300))

        w.set_lr("momentum", 5e-4)
        w.set_hyper("adam", "betas", (0.5, 0.99))
        ref = reference(
            starts,
            300,
            momentum=gd.optim.sgd(5e-4, momentum=0.9),
            adam=gd.optim.adam(1e-2, betas=(0.5, 0.99)),
        )
        assert np.array_equal(w.history.params, ref)
        # what the page holds: the whole new path, from step 0 to 300
        state = page_state(comm.packets())
        assert state["steps"][0] == 0 and state["steps"][-1] == 300
        assert np.array_equal(state["xy"][-1], ref[-1].astype(np.float32))  # float32 on the wire
        done = [d["content"] for d, _ in comm.sent if d.get("content", {}).get("type") == "started"]
        assert done and done[-1]["steps"] == 300 and done[-1]["ms"] > 0

        w.set_instant(False)
        assert w.instant == 0
        w.set_lr("sgd", 2e-3)  # out of instant mode a setting acts from the next step
        assert w.history.loss.shape == (301, 5)
    finally:
        w.close()


def test_page_drags_of_starts_are_applied_with_their_number() -> None:
    w, comm = make(F, race())
    try:
        comm.page_sends({"type": "set_instant", "steps": 40})
        assert wait_for(lambda: w.instant == 40)
        for seq in range(1, 6):
            msg = {"type": "set_start", "index": 1, "start": [0.1 * seq, 1.0], "seq": seq}
            comm.page_sends(msg)
        assert wait_for(
            lambda: any(
                d["content"].get("type") == "started" and d["content"]["seq"] == 5
                for d, _ in comm.sent
                if d.get("method") == "custom"
            )
        )
        starts = np.tile(START, (5, 1))
        starts[1] = [0.5, 1.0]
        assert np.array_equal(w.history.params, reference(starts, 40))
    finally:
        w.close()


@pytest.mark.parametrize(
    "msg",
    [
        {"type": "set_start", "index": -1, "start": [0, 0]},
        {"type": "set_start", "index": 0, "start": [0]},
        {"type": "set_start", "index": 0, "start": [float("nan"), 0]},
        {"type": "set_instant", "steps": -5},
        {"type": "set_instant", "steps": p.MAX_INSTANT_STEPS + 1},
        {"type": "set_instant"},
    ],
)
def test_bad_messages_are_refused(msg: dict) -> None:
    with pytest.raises(p.BadMessage):
        p.parse(msg)


def test_refusals_change_nothing() -> None:
    w, _ = make(F, race())
    try:
        before = w.history.params.copy()
        with pytest.raises(ValueError, match="index must be < 5"):
            w.set_start(9, [0.0, 0.0])
        with pytest.raises(ValueError, match="run must be"):
            w.set_start("nope", [0.0, 0.0])
        assert np.array_equal(w.history.params, before)
        assert w.instant == 0
    finally:
        w.close()


def test_instant_mode_needs_a_function() -> None:
    model = gd.models.linear_regression(*gd.data.linear(64, noise=0.1, seed=0))
    w, _ = make(model, {"gd": gd.optim.sgd(0.1)})
    try:
        with pytest.raises(ValueError, match="instant mode needs a function"):
            w.set_instant(True)
        assert w.instant == 0
    finally:
        w.close()


def test_moved_starts_and_instant_mode_survive_a_config_round_trip() -> None:
    w, _ = make(F, race())
    try:
        w.set_start(2, [0.25, -0.5])
        w.set_instant(120)
        cfg = json.loads(json.dumps(w.config()))
        assert cfg["instant"] == 120
        w2 = gd.Playground.from_config(cfg)
        try:
            assert w2.instant == 120
            assert np.array_equal(w2.history.params, w.history.params)
        finally:
            w2.close()
    finally:
        w.close()
