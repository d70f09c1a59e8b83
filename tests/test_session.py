"""The live layer's promises: no orphaned, stuck or dead Playground.

Driven through the fake comm of widget_helpers, as the page would drive them.
"""

from __future__ import annotations

import gc
import os
import signal
import threading
import time
import tracemalloc
import weakref
from typing import Any

import numpy as np
import pytest
from widget_helpers import Bowl, distance_to_polyline, loop_threads, page_state, wait_for
from widget_helpers import make as _make

import gdwidget as gd
from gdwidget.backend import namespace_of
from gdwidget.live import interrupt, viewcount

pytestmark = pytest.mark.filterwarnings("ignore:gdwidget's JavaScript bundle is missing")


@pytest.fixture(autouse=True)
def _no_stray_loops():
    yield
    assert wait_for(lambda: not loop_threads(), 5.0), "a session loop outlived its test"


class SlowBowl(Bowl):
    """The bowl, at ``delay`` seconds a step; raises ``exc`` on call number ``raise_at``."""

    def __init__(self, delay: float = 0.0, raise_at: int | None = None, exc: Any = None) -> None:
        super().__init__()
        self.delay, self.raise_at, self.exc = delay, raise_at, exc

    def value_and_grad(self, params: Any, batch: Any = None) -> tuple[Any, Any]:
        if self.delay:
            time.sleep(self.delay)
        with self.lock:
            self.calls += 1
            if self.raise_at is not None and self.calls == self.raise_at:
                raise self.exc
        xp = namespace_of(params)
        return self.value(params), xp.stack([params[..., 0], 4.0 * params[..., 1]], axis=-1)


def make(*args: Any, **kw: Any) -> tuple[Any, Any]:
    """A Playground and its fake page, which has asked for the history as a page does."""
    w, comm = _make(*args, **kw)
    comm.page_sends({"type": "request_history"})
    return w, comm


def consistent(w: Any, comm: Any) -> None:
    """The widget, its run, its history and what the page holds agree on the step."""
    h = w.history
    assert w.t == w.run.t == int(h.steps[-1])
    held = page_state(comm.packets())
    assert int(held["steps"][-1]) == w.t
    np.testing.assert_array_equal(held["steps"], h.steps)


# ---------------------------------------------------------------------------------------
# Views come and go
# ---------------------------------------------------------------------------------------
def test_a_playground_whose_views_are_gone_stops_within_two_seconds_and_sends_nothing():
    w, comm = make(speed=0)
    comm.page_sends({"type": "view_open", "id": "v1"})
    comm.page_sends({"type": "view_open", "id": "v2"})
    w.play()
    assert wait_for(lambda: w.run.t > 5)
    comm.page_sends({"type": "view_close", "id": "v1"})
    time.sleep(1.5)
    assert w.playing  # one view remains
    comm.page_sends({"type": "view_close", "id": "v2"})
    t0 = time.monotonic()
    assert wait_for(lambda: not w.playing, 3.0)
    assert time.monotonic() - t0 < 2.0
    assert wait_for(lambda: not loop_threads(), 1.0)
    t = w.run.t
    comm.clear()
    w.step(10)  # no view: the steps are taken and kept, but nothing is sent
    assert w.run.t == t + 10 and not comm.packets()
    comm.page_sends({"type": "view_open", "id": "v3"})  # a view again: it gets the history
    packets = comm.packets()
    assert packets and packets[0]["type"] == "history"
    consistent(w, comm)
    w.close()


def test_a_view_that_stops_answering_counts_as_gone_but_not_while_a_cell_runs(monkeypatch):
    # a page that dies without pagehide sends no view_close; its views' heartbeats (a repeated
    # view_open) stop, and the kernel counts a view silent for SILENT_S as gone
    monkeypatch.setattr(viewcount, "SILENT_S", 0.6)
    monkeypatch.setattr(viewcount.Cells, "running_since", None)
    monkeypatch.setattr(viewcount.Cells, "busy", 0.0)
    w, comm = make(speed=0)
    assert w.meta["heartbeat_s"] == viewcount.HEARTBEAT_S
    comm.page_sends({"type": "view_open", "id": "v1"})
    w.play()
    for _ in range(6):  # heartbeats keep it playing
        time.sleep(0.2)
        comm.page_sends({"type": "view_open", "id": "v1"})
    assert w.playing and comm.packets()
    # a cell runs: the page's messages wait, so its silence does not count
    viewcount.Cells._start()
    time.sleep(0.6 + viewcount.VIEW_GRACE_S + 0.6)
    assert w.playing
    viewcount.Cells._end()  # the silence goes on from where it stopped, just before the cell
    time.sleep(0.4)
    for _ in range(4):  # short cells (a notebook polling the kernel) neither count nor reset it
        viewcount.Cells._start()
        viewcount.Cells._end()
    t0 = time.monotonic()
    assert wait_for(lambda: not w.playing, 3.0)
    # 0.4 s of the 0.6 s of silence had gone: the rest of it and the grace remain
    assert time.monotonic() - t0 < 0.2 + viewcount.VIEW_GRACE_S + 0.25
    assert wait_for(lambda: not loop_threads(), 1.0)
    comm.clear()
    w.step(5)
    assert not comm.packets()  # no view: nothing sent
    comm.page_sends({"type": "view_open", "id": "v1"})  # the page wakes: it gets the history
    packets = comm.packets()
    assert packets and packets[0]["type"] == "history"
    assert not w.playing  # paused, not lost: every step is in the history
    consistent(w, comm)
    w.close()


def test_a_paused_playground_whose_only_view_fell_silent_sends_nothing(monkeypatch):
    # no loop runs to notice the silence: the check before a frame counts it itself
    monkeypatch.setattr(viewcount, "SILENT_S", 0.3)
    monkeypatch.setattr(viewcount.Cells, "running_since", None)
    monkeypatch.setattr(viewcount.Cells, "busy", 0.0)
    w, comm = make()
    comm.page_sends({"type": "view_open", "id": "v1"})
    w.step(3)
    assert comm.packets()
    time.sleep(0.5)
    comm.clear()
    w.step(5)
    assert not comm.packets()
    comm.page_sends({"type": "view_open", "id": "v1"})  # it wakes: the history, every step
    packets = comm.packets()
    assert packets and packets[0]["type"] == "history"
    consistent(w, comm)
    w.close()


def test_a_playground_never_shown_still_plays_from_python():
    w, _ = make(speed=0)
    w.play()
    assert wait_for(lambda: w.run.t > 50)
    time.sleep(1.2)
    assert w.playing  # no view ever: nothing to lose
    w.pause()
    w.close()


# ---------------------------------------------------------------------------------------
# Pause, interrupts, errors
# ---------------------------------------------------------------------------------------
def test_pause_acts_within_a_step_on_a_slow_objective():
    w, _ = make(SlowBowl(delay=0.1), speed=0)
    w.play()
    assert wait_for(lambda: w.run.t >= 2)
    t0 = time.monotonic()
    w.pause()
    took = time.monotonic() - t0
    # at most the step in flight (0.1 s), with room for a loaded machine; the loop of old took
    # whole chunks of 16 steps (1.6 s) before it saw the pause
    assert took < 0.25
    t = w.run.t
    time.sleep(0.3)
    assert w.run.t == t and not w.playing
    w.close()


def test_the_interrupt_pauses_every_playing_playground():
    ws = [make(speed=0) for _ in range(2)]
    for w, _ in ws:
        w.play()
    assert wait_for(lambda: all(w.run.t > 3 for w, _ in ws))
    interrupt.pause_all()
    # paused, and each loop ended (its last frame sent, then running False), within 0.5 s
    assert wait_for(lambda: not any(w.playing or w.running for w, _ in ws), 0.5)
    for w, comm in ws:
        consistent(w, comm)
        w.close()


def test_the_interrupt_hooks_pause_and_then_do_what_was_there():
    w, _ = make(speed=0)
    w.play()
    assert wait_for(lambda: w.run.t > 3)
    interrupt._PauseThenChain(signal.SIG_IGN)(signal.SIGINT, None)  # idle kernel: ignored
    assert wait_for(lambda: not w.playing, 0.5)
    w.play()
    with pytest.raises(KeyboardInterrupt):
        interrupt._PauseThenChain(signal.SIG_DFL)(signal.SIGINT, None)
    assert wait_for(lambda: not w.playing, 0.5)
    w.play()

    class Result:
        error_in_exec = KeyboardInterrupt()

    interrupt._after_cell(Result())  # a cell was interrupted
    assert wait_for(lambda: not w.playing, 0.5)
    w.close()


@pytest.mark.skipif(os.name != "posix", reason="SIGINT to oneself")
def test_ctrl_c_during_a_long_step_keeps_every_step():
    w, comm = make(speed=0)
    timer = threading.Timer(0.4, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        w.step(10**8)
    timer.join()
    assert w.run.t > 0 and not w.playing
    consistent(w, comm)
    t = w.t
    w.step(5)
    assert w.t == t + 5
    consistent(w, comm)
    # the run equals a headless run of as many steps
    ref = gd.run(Bowl(), {"gd": gd.optim.sgd(0.1), "adam": gd.optim.adam(0.05)}, steps=w.t)
    np.testing.assert_allclose(w.history.loss[-1], ref.loss[-1], rtol=1e-12)
    w.close()


@pytest.mark.parametrize("exc", [KeyboardInterrupt(), SystemExit(3), ZeroDivisionError("boom")])
def test_an_objective_that_raises_keeps_every_step_and_a_consistent_state(exc):
    w, comm = make(SlowBowl(raise_at=40, exc=exc), speed=0)
    w.play()
    assert wait_for(lambda: not w.playing)
    assert type(exc).__name__ in w.error
    consistent(w, comm)
    t = w.t
    assert 30 <= t <= 40
    w.step(3)  # goes on from there
    assert w.t == t + 3
    consistent(w, comm)
    w.close()


def test_a_refused_reset_changes_nothing():
    f = gd.Function("x - log(x) + y**2")
    w, comm = make(f, {"gd": gd.optim.sgd(0.05)}, start=(2.0, 1.0))
    w.step(5)
    before = (w.t, w.run.t, w.run.params.copy(), w.history.steps.copy(), w.history.loss.copy())
    comm.page_sends({"type": "reset", "start": [-1.0, 0.5]})  # outside the domain
    assert "reset refused" in w.error
    assert (w.t, w.run.t) == before[:2]
    np.testing.assert_array_equal(w.run.params, before[2])
    np.testing.assert_array_equal(w.history.steps, before[3])
    np.testing.assert_array_equal(w.history.loss, before[4])
    with pytest.raises(ValueError):
        w.reset((-1.0, 0.5))
    w.step(3)
    assert w.t == 8 and w.error == ""
    consistent(w, comm)
    ref = gd.run(f, {"gd": gd.optim.sgd(0.05)}, start=(2.0, 1.0), steps=8)
    np.testing.assert_allclose(w.history.loss[-1], ref.loss[-1], rtol=1e-12)
    w.close()


# ---------------------------------------------------------------------------------------
# Resources
# ---------------------------------------------------------------------------------------
def test_a_closed_playground_is_freed():
    def played_and_closed() -> weakref.ref:
        w, _ = make(speed=0)
        w.play()
        assert wait_for(lambda: w.run.t > 3)
        w.close()
        return weakref.ref(w)

    ref = played_and_closed()
    gc.collect()
    assert ref() is None


def test_create_and_close_a_hundred_times_costs_little_memory():
    def cycle() -> None:
        w, _ = make(grid_size=(40, 30))
        w.step(5)
        w.close()

    for _ in range(5):
        cycle()
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        for _ in range(100):
            cycle()
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    assert grown < 5_000_000, f"100 create/close cycles kept {grown / 1e6:.1f} MB"


def test_a_thousand_runs_stay_under_200_mb():
    starts = np.random.default_rng(0).uniform(-2, 2, size=(1000, 2))
    tracemalloc.start()
    try:
        w, comm = make(gd.functions.rosenbrock(), {"adam": gd.optim.adam(0.01)}, start=starts)
        # the fake page keeps every message it got; a page keeps only the latest state (1,000
        # runs' status each frame would otherwise count, and more of it on a slower machine)
        keep = comm.send
        comm.send = lambda data, *a, **k: data.get("method") == "update" or keep(data, *a, **k)
        w.step(3000)
        peak = tracemalloc.get_traced_memory()[1]
        assert w.session.streamer.buffer.n <= w.meta["max_history"]
        assert len(page_state(comm.packets())["steps"]) <= w.meta["max_history"]
    finally:
        tracemalloc.stop()
    w.close()
    assert peak < 200_000_000, f"peak {peak / 1e6:.0f} MB"


def test_the_default_history_grows_with_the_runs_within_its_budget():
    """Each race gets rows for every run's loss extremes per pixel column (the kernel's
    buffer and the page's meta agree), again after an optimizer is added; a given
    max_history is kept whatever the runs."""
    one, _ = make(gd.functions.rosenbrock(), {"gd": gd.optim.sgd(1e-3)})
    eight = {f"r{i}": gd.optim.sgd(1e-4 * (i + 1)) for i in range(8)}
    w, _ = make(gd.functions.rosenbrock(), eight)
    fixed, _ = make(gd.functions.rosenbrock(), eight, max_history=512)
    try:
        assert one.meta["max_history"] == one.session.streamer.buffer.capacity == 4096
        assert w.meta["max_history"] == w.session.streamer.buffer.capacity == 16_384
        assert w.session.streamer.buffer.nbytes() < 8_000_000
        one.add_optimizer("adam", gd.optim.adam(0.01))
        assert one.meta["max_history"] == one.session.streamer.buffer.capacity == 6144
        assert fixed.meta["max_history"] == fixed.session.streamer.buffer.capacity == 512
    finally:
        for x in (one, w, fixed):
            x.close()


def test_the_status_says_each_runs_path_bound_and_it_holds():
    """A run the rows cannot hold within a pixel (Adam scribbling at its minimum, in 256
    rows) has its bound in the status the legend reads; every true point keeps to it."""
    f = gd.functions.rosenbrock()
    opts = {"adam": gd.optim.adam(0.05), "gd": gd.optim.sgd(1e-3)}
    w, _ = make(f, opts, start=(-1.5, 2.0), max_history=512)
    try:
        w.step(20_000)
        px = {s["label"]: s["path_px"] for s in w.status}
        assert px == {
            "adam": pytest.approx(w.history.precision["run_px"][0], abs=1e-3),
            "gd": pytest.approx(w.history.precision["run_px"][1], abs=1e-3),
        }
        assert px["adam"] > 1.0 >= px["gd"]
        truth = gd.run(f, opts, start=(-1.5, 2.0), steps=20_000, device="cpu", grad_tol=0.0)
        view = w.session.streamer.buffer.view
        for r, label in enumerate(opts):
            true_px = view.to_px(truth.params[:, r, :2])
            held_px = view.to_px(w.history.xy[:, r])
            worst = distance_to_polyline(true_px, held_px).max()
            assert worst <= px[label] + 1e-3, (label, worst, px[label])
    finally:
        w.close()


def test_a_view_tells_the_plot_size_the_paths_are_thinned_for():
    w, comm = make()
    before = w.session.streamer.buffer.view
    assert (before.sx, before.sy) == (450 / 4, 400 / 4)  # the default plot on a 4 x 4 box
    comm.page_sends({"type": "view_open", "id": "v", "px": [300, 200]})
    after = w.session.streamer.buffer.view
    assert w.session.out.px == (300, 200) and (after.sx, after.sy) == (75.0, 50.0)
    w.close()


def test_paths_stay_thinned_for_the_largest_plot_a_view_has_had():
    """A window made narrower for a while (or a second, smaller view) must not leave the rows
    thinned for its smaller plot: back at the larger size, every run keeps its tolerance
    there, and each true point is within the bound of the rows held."""
    f, opts = gd.functions.rosenbrock(), {"adam": gd.optim.adam(0.05), "gd": gd.optim.sgd(1e-3)}
    w, comm = make(f, opts, start=(-1.5, 2.0), max_history=512)
    try:
        comm.page_sends({"type": "view_open", "id": "v", "px": [600, 400]})
        w.step(10_000)
        comm.page_sends({"type": "view_open", "id": "v", "px": [200, 130]})  # narrower
        assert w.session.out.px == (600, 400)
        generation = w.session.streamer.buffer.generation
        w.step(10_000)
        assert w.session.streamer.buffer.generation > generation  # thinned while narrow
        comm.page_sends({"type": "view_open", "id": "v", "px": [600, 400]})  # wide again
        prec = w.history.precision
        assert max(prec["run_px"]) <= float(np.max(prec["tolerance"])) + 1e-9
        truth = gd.run(f, opts, start=(-1.5, 2.0), steps=20_000, device="cpu", grad_tol=0.0)
        view = w.session.streamer.buffer.view
        for r in range(2):
            worst = distance_to_polyline(
                view.to_px(truth.params[::5, r, :2]), view.to_px(w.history.xy[:, r])
            ).max()
            assert worst <= prec["run_px"][r] + 1e-3
        comm.page_sends({"type": "view_open", "id": "w", "px": [800, 300]})  # a second view
        assert w.session.out.px == (800, 400)
    finally:
        w.close()


def test_subscribers_see_every_frame_and_can_leave():
    w, comm = make(Bowl(), {"gd": gd.optim.sgd(0.1)}, start=(1.0, 1.0))
    comm.page_sends({"type": "request_history"})
    seen = []
    leave = w.subscribe(lambda: seen.append(w.history.steps[-1]))
    w.step(5)
    assert seen and seen[-1] == 5  # the listener reads the history that includes the frame's rows
    leave()
    n = len(seen)
    w.step(5)
    assert len(seen) == n
    w.close()


def test_a_failing_subscriber_does_not_stop_the_stream(caplog):
    w, comm = make(Bowl(), {"gd": gd.optim.sgd(0.1)}, start=(1.0, 1.0))
    comm.page_sends({"type": "request_history"})
    w.subscribe(lambda: 1 / 0)
    w.step(3)
    assert w.run.t == 3 and "frame listener failed" in caplog.text
    w.close()


def test_closing_one_of_two_views_counts_the_other():
    views = viewcount.ViewCount()
    for i in ("a", "b"):
        views.note(gd.live.protocol.ViewOpen(id=i, px=None), (1, 1))
    views.note(gd.live.protocol.ViewClose(id="a"), (1, 1))
    assert list(views.ids) == ["b"] and not views.all_gone and not views.gone_for_good()
    views.note(gd.live.protocol.ViewClose(id="b"), (1, 1))
    assert views.all_gone
