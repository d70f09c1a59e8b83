"""Instant mode, and each run's start on its own.

In instant mode (the feel of Distill's "Why Momentum Really Works") a change is not
played out step by step: the whole path of N steps is recomputed and drawn at once.
While :attr:`Instant.steps` is N > 0, every command in :data:`CHANGES` (a start, a
learning rate, any hyperparameter, a schedule) marks the race *stale*. Once the
session has applied every queued command, so that a slider sending forty values
recomputes once, :func:`recompute` sends the race back to step 0 from the starts now
set, takes N steps, sends them as one frame, and then a ``started`` message
(``{"type": "started", "seq", "steps", "ms"}``: the page's number of the last start it
moved, N, and the kernel's time for the N steps). The page measures from its change to
the first frame drawn after that message (js/instant.js).

:func:`set_start` moves one run's start (the page's drag of a start marker): the other
runs keep theirs, and the race goes back to step 0. Out of instant mode the page gets
``started`` with ``steps`` 0 once step 0 is sent, so that a drag sends its next position
only then.

Instant mode needs a function: a model's steps are too slow to recompute on a drag.
"""

from __future__ import annotations

import gc
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from ..engine.inputs import each_run
from . import protocol as p

if TYPE_CHECKING:
    from .session import Session

__all__ = [
    "CHANGES",
    "DEFAULT_STEPS",
    "Instant",
    "answer",
    "per_run_starts",
    "recompute",
    "set_start",
]

#: steps recomputed on each change unless the page or Python says otherwise
DEFAULT_STEPS = 300
#: the commands after which instant mode recomputes the whole path (found by name, so that
#: a command another module adds joins by being listed here)
CHANGES = frozenset(
    {"Reset", "SetStart", "SetLr", "SlideLr", "ScaleLr", "SetHyper", "SetSchedule", "SetToggle"}
)


class Instant:
    """A session's instant mode: how many steps (0: off), whether the shown path is stale,
    and the page's number of the last start it moved."""

    __slots__ = ("fresh", "seq", "stale", "steps")

    def __init__(self) -> None:
        self.steps = 0
        self.stale = False
        self.seq = 0
        self.fresh = False  # the last change put the race back at step 0 (nothing since)

    def changed(self, cmd: p.Command) -> None:
        """Note that ``cmd`` was applied: the path is stale if it changes the race."""
        name = type(cmd).__name__
        if self.steps and name in CHANGES:
            self.stale = True
            self.fresh = name in ("Reset", "SetStart")


def set_instant(s: Session, steps: int) -> None:
    """Turn instant mode on with ``steps`` steps per recomputation, or off with 0."""
    steps = int(steps)
    if not 0 <= steps <= p.MAX_INSTANT_STEPS:
        raise ValueError(f"steps must be in [0, {p.MAX_INSTANT_STEPS}], got {steps}")
    if steps and getattr(s.source, "is_model", False):
        raise ValueError(
            "instant mode needs a function: a model's steps are too slow to recompute on "
            "every change (play the model instead)"
        )
    s.instant.steps = steps
    s.instant.stale = bool(steps)
    s.sink.update(instant=steps)


def per_run_starts(run: Any) -> np.ndarray:
    """Every run's start, ``(n_runs, n_params)`` on the host (a new array)."""
    return each_run(np.asarray(run._starts), run.slices, run.n_runs)


def set_start(s: Session, cmd: p.SetStart) -> None:
    """Run ``cmd.index`` starts at ``cmd.start``, the others where they started; step 0."""
    from .controls import restart  # noqa: PLC0415 - controls imports this module

    run = s.source.run
    if cmd.index >= run.n_runs:
        raise ValueError(f"index must be < {run.n_runs} (the number of runs), got {cmd.index}")
    starts = per_run_starts(run)
    full = np.asarray(s.source.full_start(cmd.start), dtype=np.float64).reshape(-1)
    if full.shape != (run.n_params,):
        raise ValueError(f"start must have {run.n_params} coordinates, got {full.shape[0]}")
    starts[cmd.index] = full
    restart(s, starts)
    s.instant.seq = cmd.seq


def recompute(s: Session) -> None:
    """The race from step 0 to N at once, sent as one frame, then the ``started`` message."""
    from .controls import restart  # noqa: PLC0415

    s.instant.stale = False
    s.set_playing(False)
    s.set_budget(0)
    t0 = time.perf_counter()
    if not (s.instant.fresh and s.source.t == 0):  # else a reset or a moved start just did
        restart(s, None)
    s.clear_error()
    collecting = gc.isenabled()
    gc.disable()  # the N steps make many small arrays and no cycles: no pauses meanwhile
    try:
        s._advance(s.instant.steps)
    finally:
        if collecting:
            gc.enable()
    ms = (time.perf_counter() - t0) * 1e3
    s.flush(force=True)
    s.send_extras(force=True)
    answer(s, s.instant.steps, ms)


def answer(s: Session, steps: int, ms: float) -> None:
    """Tell the page that the race started again (after its frames): ``started``."""
    s.sink.send({"type": "started", "seq": s.instant.seq, "steps": steps, "ms": ms}, [])
