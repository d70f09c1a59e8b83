"""Checkpoints of a :class:`~gdwidget.engine.Run`, bounded, and the settings in force after each.

Going back to step ``t`` is: the newest checkpoint at or before ``t``, then the steps up to
``t`` again, with the settings that were in force then (steps are deterministic: the batch
order and every generator are in the checkpoint). An entry is taken wherever the settings
changed (*pinned*), so that they never change between two entries; the others are taken at
most every ``spacing`` steps and every ``min_seconds`` (a fast race is not slowed by copies
of its state; a replay redoes at most about that much more stepping). When more than
``limit`` entries hold a state, every other one gives it up and the spacing doubles (like
the history, the older past is kept more coarsely): an unpinned entry goes, a pinned one keeps
its settings only, and a replay that crosses it sets them there (and draws a new batch where
the batch size changed, as the control did). The limit follows the size of a state, so that
the states together hold about ``budget`` bytes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._rollback import is_array, n_elements
from .results import Chunk

__all__ = ["Checkpoint", "Checkpoints", "apply_settings", "same_settings", "settings"]

#: bytes that the (unpinned) checkpoints of one run may hold together, about
DEFAULT_BUDGET = 256 << 20
#: most unpinned checkpoints, whatever their size
MAX_CHECKPOINTS = 64
#: fewest unpinned checkpoints, whatever their size
MIN_CHECKPOINTS = 4
#: the objects whose attributes are settings: optimizers, chains and gradient transforms
_SETTINGS_MODULES = ("gdwidget.optim", "gdwidget.transforms")


@dataclass
class Checkpoint:
    """The run's :meth:`~gdwidget.engine.Run.state` at step ``t`` (None once thinned away) and
    the settings of the steps that follow it."""

    t: int
    state: dict[str, Any] | None
    settings: dict[int, dict[str, Any]]
    pinned: bool = False


class Checkpoints:
    """The checkpoints of one run, oldest first (see the module's notes).

    Parameters
    ----------
    budget : int
        Bytes the unpinned checkpoints may hold together (about).
    spacing : int
        Steps between two checkpoints at first (it doubles at each thinning).
    min_seconds : float
        Seconds (of the clock) between two unpinned checkpoints, at least.
    """

    def __init__(
        self, budget: int = DEFAULT_BUDGET, spacing: int = 1, min_seconds: float = 0.0
    ) -> None:
        if budget <= 0 or spacing < 1 or not min_seconds >= 0:
            raise ValueError(
                f"budget and spacing must be > 0 and min_seconds >= 0, "
                f"got {budget!r}, {spacing!r}, {min_seconds!r}"
            )
        self.budget = int(budget)
        self.first_spacing = int(spacing)
        self.min_seconds = float(min_seconds)
        self.clear()

    def clear(self) -> None:
        self.items: list[Checkpoint] = []
        self.spacing = self.first_spacing
        self.limit = MAX_CHECKPOINTS
        self._taken_at = -float("inf")

    def __len__(self) -> int:
        return len(self.items)

    @property
    def steps(self) -> list[int]:
        return [c.t for c in self.items]

    def due(self, run: Any) -> bool:
        """Whether an unpinned checkpoint is due at ``run``'s step (by steps and by time)."""
        if not self.items:
            return True
        last = self.items[-1].t
        return run.t - last >= self.spacing and (
            time.monotonic() - self._taken_at >= self.min_seconds
        )

    def take(self, run: Any) -> Checkpoint | None:
        """Before ``run`` steps on: a checkpoint where the settings changed (pinned), or where
        the last one is ``spacing`` steps back; returns it, or None when none was needed."""
        now = settings(run)
        last = self.items[-1] if self.items else None
        changed = last is None or not same_settings(now, last.settings)
        if last is not None and last.t == run.t:
            # nothing was stepped since: the settings (and a redrawn batch) are the ones to keep
            if changed:
                self.items[-1] = Checkpoint(run.t, run.state(), now, True)
            return None
        if not changed and (
            run.t - last.t < self.spacing or time.monotonic() - self._taken_at < self.min_seconds
        ):
            return None
        cp = Checkpoint(int(run.t), run.state(), now, changed)
        self.items.append(cp)
        self._taken_at = time.monotonic()
        if len(self.items) == 1:  # the first sets how many fit in the budget
            size = max(1, _nbytes(cp.state))
            self.limit = int(np.clip(self.budget // size, MIN_CHECKPOINTS, MAX_CHECKPOINTS))
        self._thin()
        return cp

    def _thin(self) -> None:
        full = [i for i, c in enumerate(self.items) if c.state is not None]
        if len(full) <= self.limit + 1:
            return
        thin = set(full[1:][1::2])  # every other one after the first, the oldest kept
        for i in thin:
            self.items[i].state = None
        self.items = [c for i, c in enumerate(self.items) if i not in thin or c.pinned]
        self.spacing *= 2

    @property
    def n_states(self) -> int:
        """Entries holding a state (at most ``limit + 1``)."""
        return sum(c.state is not None for c in self.items)

    def at_or_before(self, t: int) -> Checkpoint:
        """The newest checkpoint at or before step ``t`` that holds a state."""
        best = None
        for c in self.items:
            if c.t <= t and c.state is not None:
                best = c
        if best is None:
            raise ValueError(f"no checkpoint at or before step {t} (reset the run)")
        return best

    def replay(self, run: Any, t: int) -> Chunk | None:
        """Put ``run`` at step ``t`` with the settings of then; returns the steps taken again
        (after the checkpoint used), or None."""
        cp = self.at_or_before(t)
        apply_settings(run, cp.settings)
        run.restore(cp.state)
        chunks = []
        for e in self.items:
            if cp.t < e.t <= t:  # a change of settings on the way (its state was thinned)
                chunks.append(run.advance(e.t - run.t))
                apply_settings(run, e.settings)
                run._rates = None  # the next rates follow the settings set, as set_lr does
                batch = e.settings[0]["batch_size"]
                if batch != run.batch_size:
                    run.set_batch_size(batch)
                    run.redraw_batch()
        chunks.append(run.advance(t - run.t))
        chunks = [c for c in chunks if len(c)]
        return Chunk.concat(chunks) if chunks else None

    def drop_after(self, t: int) -> None:
        """Forget the checkpoints after step ``t`` (a future that was dropped)."""
        self.items = [c for c in self.items if c.t <= t]


# -- settings --------------------------------------------------------------------------------
def settings(run: Any) -> dict[int, dict[str, Any]]:
    """The run's settings now: every optimizer's (and chain's, transform's) attributes,
    by object id, and the run's batch size under id 0. A shallow copy: values are shared."""
    out: dict[int, dict[str, Any]] = {0: {"batch_size": run.batch_size}}
    for opt in run.optimizers.values():
        _collect(opt, out)
    return out


def _collect(obj: Any, out: dict[int, dict[str, Any]]) -> None:
    if isinstance(obj, list | tuple):
        for v in obj:
            _collect(v, out)
        return
    attrs = getattr(obj, "__dict__", None)
    if attrs is None or is_array(obj) or id(obj) in out:
        return
    if not type(obj).__module__.startswith(_SETTINGS_MODULES):
        return  # a schedule is a value (replaced, never changed); it may cache its last rate
    out[id(obj)] = dict(attrs)
    out[id(obj)]["__obj__"] = obj
    for v in attrs.values():
        _collect(v, out)


def same_settings(a: dict[int, dict[str, Any]], b: dict[int, dict[str, Any]]) -> bool:
    """Whether two :func:`settings` hold the same objects with the same attribute values
    (by identity: a setting that was set again counts as changed)."""
    if a.keys() != b.keys():
        return False
    for k, attrs in a.items():
        other = b[k]
        if attrs.keys() != other.keys():
            return False
        if any(v is not other[n] and not _equal(v, other[n]) for n, v in attrs.items()):
            return False
    return True


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, int | float | str | bool | type(None)) and type(a) is type(b):
        return a == b
    return False


def apply_settings(run: Any, saved: dict[int, dict[str, Any]]) -> None:
    """Put the optimizers' attributes back to ``saved`` (the batch size is the caller's)."""
    for k, attrs in saved.items():
        if k == 0:
            continue
        obj = attrs["__obj__"]
        values = {n: v for n, v in attrs.items() if n != "__obj__"}
        for name in [n for n in vars(obj) if n not in values]:
            delattr(obj, name)
        vars(obj).update(values)


def _nbytes(state: dict[str, Any]) -> int:
    return 8 * (n_elements(state["params"]) * 3 + n_elements(state["states"]))
