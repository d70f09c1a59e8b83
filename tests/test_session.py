"""The live layer's promises: no orphaned, stuck or dead Playground.

Driven through the fake comm of widget_helpers, as the page would drive them.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import Any

import numpy as np
import pytest
from widget_helpers import Bowl, loop_threads, page_state, wait_for
from widget_helpers import make_shown as make

import gdwidget as gd
from gdwidget.backend import namespace_of
from gdwidget.live import interrupt, viewcount

pytestmark = [
    pytest.mark.filterwarnings("ignore:gdwidget's JavaScript bundle is missing"),
    pytest.mark.usefixtures("no_stray_loops"),
]


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


def test_an_interrupt_while_paused_does_not_swallow_the_next_play_or_step():
    # a student interrupts a long cell while a Playground is paused, then presses play: it
    # plays (the interrupt's pause was for what played at the time, not for what comes later)
    w, comm = make(speed=0)
    w.play()
    assert wait_for(lambda: w.run.t > 3)
    w.pause()
    interrupt.pause_all()
    w.play()
    t = w.run.t
    assert wait_for(lambda: w.run.t > t + 3, 2.0)
    assert w.playing
    w.pause()
    interrupt.pause_all()
    t = w.run.t
    comm.page_sends({"type": "step", "n": 5})  # the page's step button
    assert wait_for(lambda: w.run.t == t + 5 and not w.running, 2.0)
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
