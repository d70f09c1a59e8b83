"""The Playground's kernel side, driven through a fake comm as the browser would drive it."""

from __future__ import annotations

import logging
import time

import numpy as np
import pytest

import gdwidget as gd
from gdwidget.engine import ObjectiveError
from gdwidget.widget import Playground

pytestmark = pytest.mark.filterwarnings("ignore:gdwidget's JavaScript bundle is missing")


from widget_helpers import Bowl, loop_threads, make, page_state, wait_for  # noqa: E402


@pytest.fixture(autouse=True)
def _no_stray_loops():
    yield
    assert wait_for(lambda: not loop_threads(), 5.0), "a Playground loop thread outlived its test"


# ---------------------------------------------------------------------------------------
# Construction: traits of docs/protocol.md
# ---------------------------------------------------------------------------------------
def test_initial_traits_follow_the_protocol():
    w, _ = make(grid_size=(40, 30))
    m = w.meta
    assert m["objective"] == "bowl" and m["n_params"] == 2
    assert m["bounds"] == [[-2.0, 2.0], [-1.0, 3.0]] and w.view == m["bounds"]
    assert m["minima"] == [[0.0, 0.0]] and m["global_minima"] == [[0.0, 0.0]]
    assert [r["label"] for r in m["runs"]] == ["gd", "adam"]
    assert {g["label"]: g["lr"] for g in m["groups"]} == {"gd": 0.1, "adam": 0.05}
    for g in m["groups"]:
        assert g["lr_min"] < g["lr"] < g["lr_max"] and g["schedule"] is None
    assert m["runs"][1]["hyper"] == {}  # adam with its defaults: nothing to list
    w2, _ = make(optimizers={"m": gd.optim.sgd(0.1, momentum=0.9, nesterov=True)})
    assert w2.meta["runs"][0]["hyper"] == {"momentum": "0.9", "nesterov": "True"}
    assert m["axes"] == ["x", "y"]
    gm = w.grid_meta
    assert (gm["nx"], gm["ny"]) == (40, 30) and len(w.grid) == 40 * 30 * 4
    z = np.frombuffer(w.grid, dtype="<f4").reshape(30, 40)
    # row 0 at y0 = -1, column 0 at x0 = -2
    assert z[0, 0] == pytest.approx(0.5 * (4 + 4 * 1), rel=1e-6)
    assert z[-1, -1] == pytest.approx(0.5 * (4 + 4 * 9), rel=1e-6)
    assert gm["zmin"] == pytest.approx(float(np.nanmin(z))) and gm["zmax"] == pytest.approx(20.0)
    assert w.t == 0 and not w.running and w.error == ""
    assert [s["status"] for s in w.status] == ["running", "running"]
    assert w.status[0]["loss"] == pytest.approx(0.5 * (1.5**2 + 4))


def test_bad_arguments_are_clear():
    with pytest.raises(ValueError, match="speed"):
        Playground(Bowl(), gd.optim.sgd(0.1), device="cpu", speed=-1)
    with pytest.raises(ValueError, match="grid_size"):
        Playground(Bowl(), gd.optim.sgd(0.1), device="cpu", grid_size=(1, 10))
    with pytest.raises(ValueError, match="max_history"):
        Playground(Bowl(), gd.optim.sgd(0.1), device="cpu", max_history=3)


# ---------------------------------------------------------------------------------------
# Controls
# ---------------------------------------------------------------------------------------
def test_request_history_sends_everything_held():
    w, comm = make()
    w.step(5)
    comm.clear()
    comm.page_sends({"type": "request_history"})
    (p,) = comm.packets()
    assert p["type"] == "history"
    np.testing.assert_array_equal(p["steps"], np.arange(6))
    np.testing.assert_allclose(p["xy"], w.history.xy.astype(np.float32))


def test_step_from_python_and_from_the_page():
    w, comm = make()
    w.step(3)
    assert w.t == 3 and w.run.t == 3
    comm.page_sends({"type": "step", "n": 4})
    assert wait_for(lambda: w.t == 7 and not w.running)
    assert w.run.t == 7
    assert comm.updates("running")[-1] is False
    steps = page_state(comm.packets())["steps"]
    assert steps[-1] == 7


def test_play_and_pause():
    w, comm = make(speed=0)
    comm.page_sends({"type": "play"})
    assert wait_for(lambda: w.t > 50)
    assert w.running
    comm.page_sends({"type": "pause"})
    assert wait_for(lambda: not w.running)
    t = w.run.t
    time.sleep(0.2)
    assert w.run.t == t and w.t == t  # stepping has stopped
    assert not loop_threads()
    # the page got every row up to the pause
    assert page_state(comm.packets())["steps"][-1] == t


def test_speed_paces_the_loop():
    w, comm = make(speed=40)
    w.play()
    time.sleep(1.0)
    w.pause()
    assert 15 <= w.run.t <= 60  # about 40 steps in a second, on a loaded machine
    comm.page_sends({"type": "set_speed", "value": 0})
    # a page's message is applied between chunks: by the loop thread if it still holds
    # the source just after the pause, so a moment later
    assert wait_for(lambda: w.speed == 0, 2.0), w.speed
    w.speed = 25.0  # the trait works from Python too
    assert w.session.speed == 25.0


def test_reset_with_and_without_start():
    w, comm = make()
    w.step(10)
    comm.clear()
    comm.page_sends({"type": "reset", "start": None})
    assert w.t == 0 and w.run.t == 0
    (p,) = comm.packets()
    assert p["type"] == "history" and p["steps"].tolist() == [0]
    np.testing.assert_allclose(p["xy"][0], [[1.5, 1.0], [1.5, 1.0]])
    comm.clear()
    comm.page_sends({"type": "reset", "start": [0.5, -0.25]})
    (p,) = comm.packets()
    np.testing.assert_allclose(p["xy"][0], [[0.5, -0.25], [0.5, -0.25]])
    np.testing.assert_allclose(w.run.params, [[0.5, -0.25], [0.5, -0.25]])
    assert w.status[0]["loss"] == pytest.approx(0.5 * (0.25 + 4 * 0.0625))
    w.step(2)
    w.reset()  # from Python: the last start stays
    np.testing.assert_allclose(w.history.xy[0, 0], [0.5, -0.25])


def test_reset_keeps_playing():
    w, comm = make(speed=0)
    w.play()
    assert wait_for(lambda: w.run.t > 20)
    comm.page_sends({"type": "reset", "start": [1.0, 1.0]})
    assert w.running
    assert wait_for(lambda: w.run.t > 20)
    w.pause()
    assert w.history.xy[0, 0].tolist() == [1.0, 1.0]


def test_set_lr_changes_the_next_step():
    w, comm = make(optimizers={"gd": gd.optim.sgd(0.1)})
    w.step(3)
    x3 = w.run.params.copy()
    comm.page_sends({"type": "set_lr", "group": "gd", "value": 0.2})
    w.step(1)
    grad = np.stack([x3[:, 0], 4 * x3[:, 1]], axis=-1)
    np.testing.assert_allclose(w.run.params, x3 - 0.2 * grad)
    h = w.history
    assert h.lr[-2, 0] == pytest.approx(0.1) and h.lr[-1, 0] == pytest.approx(0.2)
    assert w.meta["groups"][0]["lr"] == pytest.approx(0.2)
    lo, hi = w.meta["groups"][0]["lr_min"], w.meta["groups"][0]["lr_max"]
    assert (lo, hi) == (pytest.approx(1e-3), pytest.approx(10.0))  # the slider keeps its range


def test_set_lr_while_playing_takes_effect():
    w, comm = make(optimizers={"gd": gd.optim.sgd(0.01)}, speed=0, grad_tol=0.0)
    w.play()
    assert wait_for(lambda: w.run.t > 10)
    comm.page_sends({"type": "set_lr", "group": "gd", "value": 0.3})
    # applied between two chunks of the loop: the page hears it back in meta
    assert wait_for(lambda: w.meta["groups"][0]["lr"] == pytest.approx(0.3))
    t_set = w.run.t
    assert wait_for(lambda: w.run.t > t_set + 10)
    w.pause()
    h = w.history
    after = h.lr[h.steps > t_set + 1, 0]
    assert after.size and np.all(after == pytest.approx(0.3))


def test_set_view_recomputes_the_grid():
    w, comm = make(grid_size=(20, 10))
    before = bytes(w.grid)
    comm.page_sends({"type": "set_view", "bounds": [[-0.5, 0.5], [0.0, 1.0]]})
    assert w.view == [[-0.5, 0.5], [0.0, 1.0]]
    gm = w.grid_meta
    assert (gm["x0"], gm["x1"], gm["y0"], gm["y1"]) == (-0.5, 0.5, 0.0, 1.0)
    assert w.grid != before
    z = np.frombuffer(w.grid, dtype="<f4").reshape(10, 20)
    assert z[0, 0] == pytest.approx(0.125)
    # the grid goes as a binary buffer of a state update
    paths = [p for d, _ in comm.sent if d.get("method") == "update" for p in d["buffer_paths"]]
    assert ["grid"] in paths


# ---------------------------------------------------------------------------------------
# Robustness
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "content",
    [
        "play",
        None,
        [],
        {},
        {"type": "warp"},
        {"type": "step", "n": 0},
        {"type": "step", "n": "3"},
        {"type": "step", "n": 2.5},
        {"type": "reset", "start": [1.0]},
        {"type": "reset", "start": ["a", 1]},
        {"type": "reset", "start": [float("nan"), 0.0]},
        {"type": "set_lr", "group": "nope", "value": 0.1},
        {"type": "set_lr", "group": "gd", "value": -1},
        {"type": "set_lr", "group": "gd"},
        {"type": "set_speed", "value": -3},
        {"type": "set_speed", "value": True},
        {"type": "set_view", "bounds": [[1, 0], [0, 1]]},
        {"type": "set_view", "bounds": [[0, 1]]},
        {"type": "set_view"},
    ],
)
def test_malformed_messages_are_ignored_with_a_warning(content, caplog):
    w, comm = make()
    w.step(2)
    state = (w.t, w.speed, list(w.view), w.meta["groups"][0]["lr"], w.run.params.copy())
    with caplog.at_level(logging.WARNING, logger="gdwidget"):
        comm.page_sends(content)
    assert any("ignored a malformed message" in r.getMessage() for r in caplog.records)
    assert not w.running and w.error == ""
    after = (w.t, w.speed, list(w.view), w.meta["groups"][0]["lr"], w.run.params)
    assert after[:4] == state[:4]
    np.testing.assert_array_equal(after[4], state[4])


def test_objective_error_stops_the_loop_and_shows_in_error():
    obj = Bowl(fail_at=30)
    w, comm = make(obj, speed=0)
    comm.page_sends({"type": "play"})
    assert wait_for(lambda: w.error != "" and not w.running)
    assert "ZeroDivisionError" in w.error and "boom" in w.error
    assert not loop_threads()
    assert [s["status"] for s in w.status] == ["stopped", "stopped"]
    # the steps before the error are kept and were sent
    t = w.run.t
    assert t > 0 and w.t == t
    assert page_state(comm.packets())["steps"][-1] == t
    # the widget still works: a reset clears the error
    obj.fail_at = None
    comm.page_sends({"type": "reset", "start": None})
    assert w.error == "" and w.status[0]["status"] == "running"
    w.step(5)
    assert w.t == 5


def test_objective_error_from_python_step_raises_and_shows():
    w, _ = make(Bowl(fail_at=8))
    with pytest.raises(ObjectiveError) as info:
        w.step(20)
    assert isinstance(info.value.__cause__, ZeroDivisionError)
    assert "boom" in w.error and not w.running


def test_play_after_every_run_stopped_does_nothing():
    w, _ = make(optimizers={"gd": gd.optim.sgd(0.2)}, grad_tol=1e-3)
    w.step(1000)
    assert w.run.done and w.status[0]["status"] == "converged"
    w.play()
    assert not w.running and not loop_threads()


def test_close_stops_the_loop():
    w, _ = make(speed=0)
    w.play()
    assert wait_for(lambda: w.run.t > 5)
    w.close()
    assert wait_for(lambda: not loop_threads())
    with pytest.raises(RuntimeError, match="closed"):
        w.play()


# ---------------------------------------------------------------------------------------
# Streaming
# ---------------------------------------------------------------------------------------
def test_frames_carry_only_new_rows_and_are_coalesced():
    w, comm = make(speed=0, max_fps=30, grad_tol=0.0)
    comm.clear()
    held = w.history  # what a page held before play (the step-0 row)
    t0 = time.monotonic()
    w.play()
    time.sleep(1.0)
    w.pause()
    elapsed = time.monotonic() - t0
    packets = comm.packets()
    frames = [p for p in packets if p["type"] == "frame"]
    assert frames, "no frame was sent"
    assert len(packets) <= 30 * elapsed + 3  # at most ~30 a second
    for a, b in zip(frames, frames[1:], strict=False):
        assert b["steps"][0] > a["steps"][-1]  # nothing sent twice
    start = {
        "type": "history",
        "steps": held.steps,
        "loss": held.loss,
        "xy": held.xy,
        "lr": held.lr,
    }
    state = page_state([start, *packets])
    h = w.history
    # the page holds exactly what the kernel holds, through frames and thinnings
    assert not state["stale"]
    assert state["steps"][-1] == h.steps[-1] == w.run.t
    np.testing.assert_array_equal(state["steps"], h.steps)
    np.testing.assert_allclose(state["loss"], h.loss.astype(np.float32))


def test_late_view_gets_the_whole_history():
    w, comm = make(speed=0, grad_tol=0.0)
    w.play()
    assert wait_for(lambda: w.run.t > 200)
    comm.page_sends({"type": "request_history"})  # a second page appears while playing
    w.pause()
    packets = comm.packets()
    i = max(i for i, p in enumerate(packets) if p["type"] == "history")
    state = page_state(packets[i:])
    h = w.history
    np.testing.assert_array_equal(state["steps"], h.steps)
    np.testing.assert_allclose(state["xy"], h.xy.astype(np.float32))


@pytest.mark.slow
def test_long_run_keeps_memory_bounded():
    w, comm = make(optimizers={"gd": gd.optim.sgd(1e-4)}, max_history=1024, grad_tol=0.0)
    nbytes = w.session.streamer.buffer.nbytes()
    w.step(120_000)  # about 8 decimations of a 1024-row history
    assert w.t == 120_000
    h = w.history
    assert len(h) <= 1024 and h.steps[0] == 0 and h.steps[-1] == 120_000
    assert np.all(np.diff(h.steps) > 0)
    assert w.session.streamer.buffer.nbytes() == nbytes
    comm.page_sends({"type": "request_history"})
    state = page_state(comm.packets())
    assert len(state["steps"]) <= 1024
    np.testing.assert_array_equal(state["steps"], h.steps)


def test_history_is_a_decimated_copy():
    w, _ = make()
    w.step(4)
    h = w.history
    assert h.labels == ["gd", "adam"] and h.groups == ["gd", "adam"]
    assert h.steps.tolist() == [0, 1, 2, 3, 4]
    assert h.xy.shape == (5, 2, 2) and h.loss.shape == (5, 2)
    h.loss[:] = 0
    assert w.history.loss[0, 0] != 0


def test_more_than_two_parameters_draw_a_slice():
    w, _ = make(gd.functions.rosenbrock(n=4), {"adam": gd.optim.adam(0.01)}, start=[0.0] * 4)
    assert w.meta["axes"] == ["p[0]", "p[1]"] and w.meta["n_params"] == 4
    assert len(w.grid) == 160 * 120 * 4
    w.step(3)
    assert w.history.xy.shape == (4, 1, 2)
    w.reset([0.5, 0.5])
    np.testing.assert_allclose(w.run.params[0], [0.5, 0.5, 0.0, 0.0])


def test_bundle_or_fallback_message():
    from gdwidget import widget

    if widget._bundle_present():
        assert "gd-missing-bundle" not in str(Playground._esm)
    else:
        assert "gd-missing-bundle" in Playground._esm
        with pytest.warns(RuntimeWarning, match="bundle is missing"):
            Playground(Bowl(), gd.optim.sgd(0.1), device="cpu")


def test_high_speed_is_chunked():
    w, _ = make(speed=1e6)
    w.play()
    assert wait_for(lambda: w.run.t > 100)
    w.pause()
    assert w.session._chunk_n() <= 1 << 16


@pytest.mark.gpu
def test_on_the_gpu():
    w, comm = make(device="gpu", grid_size=(64, 48))
    assert w.meta["device"] == "gpu"
    assert len(w.grid) == 64 * 48 * 4
    w.step(20)
    comm.page_sends({"type": "set_view", "bounds": [[-1, 1], [-1, 1]]})
    comm.page_sends({"type": "reset", "start": [0.5, 0.5]})
    w.step(5)
    h = w.history
    assert h.steps.tolist() == [0, 1, 2, 3, 4, 5]
    np.testing.assert_allclose(h.xy[0, 0], [0.5, 0.5])
