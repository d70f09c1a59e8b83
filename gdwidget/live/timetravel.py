"""Time travel in a session: the shown step (seek, step back) and forks from a past step.

*Seeking* changes nothing but what the page shows: the ``cursor`` state names a kept row of
the history (the step asked for, or the nearest kept one), and every view draws its markers
and cursors there. The next step taken clears it.

*Forking* at step ``t`` puts the run back to its full state at ``t`` (the newest checkpoint at
or before ``t``, then the steps up to ``t`` again with the settings of then: see
:mod:`gdwidget.engine.checkpoints`), sets the settings in force now, and drops the history
after ``t``. Steps are deterministic, so forking and running on with unchanged settings gives
the same steps, bit for bit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np

from ..engine import Chunk
from ..engine._rollback import copy_tree
from ..engine.checkpoints import Checkpoints, apply_settings, settings

if TYPE_CHECKING:
    from .session import Session

log = logging.getLogger("gdwidget")

__all__ = ["Timeline", "nearest_kept"]

#: seconds between two checkpoints of a playing race, at least: copying the state before
#: every chunk would slow a fast race, and a seek redoes at most about this much more stepping
CHECKPOINT_SECONDS = 0.2


def nearest_kept(steps: np.ndarray, t: int) -> int:
    """The kept step nearest to ``t`` (the earlier of two as near); ``steps`` increasing."""
    if len(steps) == 0:
        raise ValueError("there is no history to seek in")
    i = int(np.searchsorted(steps, t))
    if i >= len(steps):
        return int(steps[-1])
    if i == 0 or steps[i] == t:
        return int(steps[i])
    before, after = int(steps[i - 1]), int(steps[i])
    return before if t - before <= after - t else after


class Timeline:
    """A session's checkpoints and shown step (one per session, used by the baton holder)."""

    def __init__(self, checkpoints: Checkpoints | None = None) -> None:
        self.checkpoints = checkpoints or Checkpoints(min_seconds=CHECKPOINT_SECONDS)
        #: ``{"step": kept step shown, "asked": step asked for}``, or None: the newest step
        self.cursor: dict[str, int] | None = None
        self._broken = False
        self._changed = True

    # -- hooks of the session ------------------------------------------------------------------
    def reset(self, s: Session) -> None:
        """After a reset: one checkpoint at step 0, the newest step shown."""
        self.checkpoints.clear()
        self._broken = False
        self._show(s, None)
        self.before_advance(s)

    def changed(self) -> None:
        """A command was applied: the settings may have changed (compared before the next
        steps, to pin a checkpoint where they did)."""
        self._changed = True

    def before_advance(self, s: Session) -> None:
        """Before the session steps: a checkpoint if one is due; the shown step is the newest."""
        if self.cursor is not None:
            self._show(s, None)
        run = getattr(s.source, "run", None)
        if run is None or self._broken:
            return
        if not (self._changed or self.checkpoints.due(run)):
            return  # settings change only through commands: nothing to compare
        self._changed = False
        try:
            self.checkpoints.take(run)
        except Exception as exc:  # noqa: BLE001 - time travel is off, the race goes on
            self._broken = True
            self.checkpoints.clear()
            log.warning("gdwidget: no checkpoints for this run (%s: %s)", type(exc).__name__, exc)

    # -- commands --------------------------------------------------------------------------------
    def seek(self, s: Session, t: int) -> int:
        """Show step ``t`` (or the nearest kept one); returns the step shown."""
        step = nearest_kept(_history(s).steps, int(t))
        self._show(s, {"step": step, "asked": int(t)})
        s.send_extras(force=True)  # the outbox draws them at the step shown (``shown``)
        return step

    def step_back(self, s: Session) -> int:
        """Show the kept step before the one shown (the first stays); returns it."""
        steps = _history(s).steps
        if len(steps) == 0:
            raise ValueError("there is no history to step back in")
        now = int(steps[-1]) if self.cursor is None else self.cursor["step"]
        earlier = steps[steps < now]
        step = int(earlier[-1]) if len(earlier) else int(steps[0])
        self._show(s, {"step": step, "asked": step})
        s.send_extras(force=True)
        return step

    def fork(self, s: Session, t: int) -> None:
        """Every run goes on from step ``t`` with the settings now set; the later history goes."""
        run = s.source.run
        t = int(t)
        if self._broken:
            raise ValueError("this run keeps no checkpoints (see the log): it cannot fork")
        if not 0 <= t <= run.t:
            raise ValueError(f"fork step must be between 0 and the current step {run.t}, got {t}")
        cp = self.checkpoints.at_or_before(t)  # the replay's: rows before it stay as they are
        old = _history(s)
        now, now_batch = settings(run), run.batch_size
        chunk = None
        try:
            chunk = self._put_exactly(run, t)
        finally:
            apply_settings(run, now)
            run.restore(run.state())  # the rates of the next step from the settings now
            self.checkpoints.drop_after(t)
            self._rebuild(s, old, cp.t, chunk)
        if now_batch != run.batch_size:
            run.set_batch_size(now_batch)
            run.redraw_batch()
        self._show(s, None)

    # -- helpers ---------------------------------------------------------------------------------
    def _put_at(self, run: Any, t: int) -> Chunk | None:
        """The run at step ``t`` with the settings of then: the newest checkpoint at or before
        it, and the steps after that again (deterministic); returns those steps."""
        return self.checkpoints.replay(run, t)

    def _put_exactly(self, run: Any, t: int) -> Chunk | None:
        """:meth:`_put_at`, and the parameters before step ``t``'s own step in
        ``run.before_step`` (the X-ray's last update) where no step was replayed (a checkpoint
        at ``t``): the run is then as one stepped to ``t``. Returns :meth:`_put_at`'s steps."""
        chunk = self._put_at(run, t)
        if t > 0 and getattr(run, "before_step", (None,))[0] != t - 1:
            self._put_at(run, t - 1)
            before = copy_tree(run.params)
            self._put_at(run, t)
            run.before_step = (t - 1, before)
        return chunk

    @contextmanager
    def shown(self, s: Session) -> Iterator[None]:
        """The run as of the step the page shows while inside: put at the seeked step (back at
        its present afterwards), or as it is. Every view drawn from the run's state (the X-ray,
        a model's arrows and view) is built inside it (:class:`~gdwidget.live.outbox.Outbox`)."""
        if self.cursor is None or getattr(s.source, "run", None) is None:
            yield
            return
        with self.at_step(s, self.cursor["step"]):
            yield

    def send_extras(self, s: Session) -> None:
        """The page's extras (X-ray, a model's arrows and view) of the step shown: the seeked
        one, else the newest (the outbox asks :meth:`shown`)."""
        s.send_extras(force=True)

    def internals(self, s: Session, label: str, step: int | None = None) -> dict[str, Any]:
        """The X-ray of run ``label`` at ``step`` (default: the step shown), exactly as a run
        stepped to it reports (:func:`gdwidget.live.xray.internals`)."""
        from .xray import internals  # noqa: PLC0415

        if step is None:
            step = s.source.t if self.cursor is None else self.cursor["step"]
        with self.at_step(s, step):
            return internals(s.source, label)

    @contextmanager
    def at_step(self, s: Session, step: int) -> Iterator[Any]:
        """The run put at step ``step`` exactly, with the settings of then (the parameters before
        its last step too, for the X-ray's last update); back at its present afterwards."""
        run = s.source.run
        step = int(step)
        if not 0 <= step <= run.t:
            raise ValueError(f"step must be between 0 and the current step {run.t}, got {step}")
        if step == run.t:
            yield run
            return
        if self._broken:
            raise ValueError("this run keeps no checkpoints (see the log): no past steps")
        present, now = run.state(), settings(run)
        last = getattr(run, "before_step", None)
        try:
            self._put_exactly(run, step)
            yield run
        finally:
            apply_settings(run, now)
            run.restore(present)
            run.before_step = last

    # -- helpers ---------------------------------------------------------------------------------
    def _show(self, s: Session, cursor: dict[str, int] | None) -> None:
        self.cursor = cursor
        s.sink.update(cursor=dict(cursor or {}))

    def _rebuild(self, s: Session, old: Any, upto: int, chunk: Chunk | None) -> None:
        """The history: ``old``'s rows up to step ``upto``, then ``chunk``'s."""
        keep = old.steps <= upto
        evals = None
        if old.evals is not None:
            ek = old.evals["step"] <= upto
            evals = {k: v[ek] for k, v in old.evals.items()}
        first = np.flatnonzero(keep)[:1]
        rest = np.flatnonzero(keep)[1:]
        s.streamer.reset(_rows(old, first, evals), old.xy[first])
        s.streamer.push(_rows(old, rest, None), old.xy[rest])
        if chunk is not None and len(chunk):
            s.streamer.push(chunk, s.source.points(chunk))
        end = upto if chunk is None or not len(chunk) else int(chunk.steps[-1])
        s.out.marks = [m for m in s.out.marks if m.get("step", 0) <= end]
        s.sink.update(marks=list(s.out.marks))


def _history(s: Session) -> Any:
    src = s.source
    return s.streamer.snapshot(list(src.labels), list(src.groups))


def _rows(h: Any, idx: np.ndarray, evals: dict[str, np.ndarray] | None) -> Chunk:
    return Chunk(
        steps=h.steps[idx],
        loss=h.loss[idx],
        params=None,
        grad_norm=h.grad_norm[idx],
        lr=h.lr[idx],
        evals=evals,
    )
