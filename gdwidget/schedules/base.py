"""The schedule contract (a callable ``step -> lr`` with a repr and a ``peak``), ``constant``,
``join`` and :func:`schedule_peak`."""

from __future__ import annotations

import math
import operator
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._checks import check_int, check_real

#: how many steps :func:`schedule_peak` looks at for a callable without a ``peak``
PEAK_STEPS = 1000


def _check_step(step: Any) -> int:
    try:
        t = operator.index(step)
    except TypeError:
        raise ValueError(f"step must be a non-negative integer, got {step!r}") from None
    if t < 0:
        raise ValueError(f"step must be a non-negative integer, got {step!r}")
    return t


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}" if float(f"{value:g}") == value else repr(value)
    return repr(value)


class Schedule:
    """Base class of the schedules: a callable ``step -> lr`` with a readable repr.

    Subclasses implement :meth:`_value` for a validated, non-negative integer step.
    """

    _name = "schedule"
    _args: dict[str, Any]

    def __call__(self, step: int) -> float:
        return self._value(_check_step(step))

    def _value(self, t: int) -> float:
        raise NotImplementedError

    @property
    def peak(self) -> float:
        """The largest rate this schedule gives (``inf`` if it grows without bound).

        Each schedule computes it from its parameters; this fallback, for subclasses
        that do not, is the largest of the first :data:`PEAK_STEPS` rates.
        """
        return max(self.values(PEAK_STEPS))

    def values(self, n: int) -> list[float]:
        """The rates of the first ``n`` updates, ``[self(0), ..., self(n - 1)]``."""
        n = check_int("n", n, low=0)
        return [self(t) for t in range(n)]

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={_fmt(v)}" for k, v in self._args.items())
        return f"{self._name}({args})"


class _Recursive(Schedule):
    """A schedule defined by a first value and an update ``lr_t = next(t, lr_{t-1})``.

    This is how PyTorch's chainable schedulers compute their rates. Values are
    cached: calls with increasing steps cost O(1) each, and a step far behind the
    last one restarts from a checkpoint kept every ``_EVERY`` steps.
    """

    _EVERY = 256

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cursor = (0, self._first())
        self._ckpt = [self._cursor[1]]

    def __getstate__(self) -> dict:
        """Copies and pickles carry the values so far, with a lock of their own."""
        state = dict(self.__dict__)
        del state["_lock"]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def _first(self) -> float:
        raise NotImplementedError

    def _next(self, t: int, prev: float) -> float:
        raise NotImplementedError

    def _value(self, t: int) -> float:
        with self._lock:
            t0, lr = self._cursor
            if t0 > t:
                k = min(t // self._EVERY, len(self._ckpt) - 1)
                t0, lr = k * self._EVERY, self._ckpt[k]
            for s in range(t0 + 1, t + 1):
                lr = self._next(s, lr)
                if s % self._EVERY == 0 and s // self._EVERY == len(self._ckpt):
                    self._ckpt.append(lr)
            self._cursor = (t, lr)
            return lr


class _Constant(Schedule):
    _name = "constant"

    def __init__(self, lr: float) -> None:
        self.lr = check_real("lr", lr, low=0.0, low_open=True)
        self._args = {"lr": self.lr}

    def _value(self, t: int) -> float:
        return self.lr

    @property
    def peak(self) -> float:
        return self.lr


def constant(lr: float) -> Schedule:
    """The same rate at every step: :math:`\\eta_t = \\eta` (an array: one rate per run)."""
    from .per_run import per_run  # noqa: PLC0415 - per_run builds on this module

    return per_run("constant", _Constant, lr=lr)


def as_schedule(lr: float | Callable[[int], float]) -> Callable[[int], float]:
    """``lr`` itself if it is callable (a schedule), else ``constant(lr)``."""
    if callable(lr):
        return lr
    return _Constant(lr)


class _Join(Schedule):
    _name = "join"

    def __init__(self, schedules: Sequence[Any], boundaries: Sequence[int]) -> None:
        if isinstance(schedules, str | bytes) or not isinstance(schedules, Sequence):
            raise ValueError(f"schedules must be a list of schedules, got {schedules!r}")
        if len(schedules) < 1:
            raise ValueError("schedules must hold at least one schedule, got []")
        if isinstance(boundaries, str | bytes) or not isinstance(boundaries, Sequence):
            raise ValueError(f"boundaries must be a list of steps, got {boundaries!r}")
        if len(boundaries) != len(schedules) - 1:
            raise ValueError(
                f"boundaries must have one entry fewer than schedules "
                f"({len(schedules) - 1}), got {len(boundaries)}: {list(boundaries)!r}"
            )
        self.schedules = [
            s if callable(s) else _Constant(check_real(f"schedules[{i}]", s))
            for i, s in enumerate(schedules)
        ]
        self.boundaries = [
            check_int(f"boundaries[{i}]", b, low=0) for i, b in enumerate(boundaries)
        ]
        if any(b1 > b2 for b1, b2 in zip(self.boundaries, self.boundaries[1:], strict=False)):
            raise ValueError(f"boundaries must be non-decreasing, got {list(boundaries)!r}")
        self._args = {}

    @property
    def peak(self) -> float:
        """The largest rate over the parts each schedule is used for.

        A part used for at most :data:`PEAK_STEPS` steps is looked at step by step; a
        longer one (and the last) counts with its whole schedule's peak.
        """
        ends = [*self.boundaries, None]
        starts = [0, *self.boundaries]
        best = -math.inf
        for sched, a, b in zip(self.schedules, starts, ends, strict=True):
            length = None if b is None else b - a
            if length == 0:
                continue
            if length is not None and length <= PEAK_STEPS:
                value = max(float(np.max(sched(t))) for t in range(length))
            else:
                value = schedule_peak(sched)
                if value is None:
                    raise ValueError(f"join: cannot find the peak of {sched!r}")
            best = max(best, value)
        return best

    def _value(self, t: int) -> float:
        out = self.schedules[0](t)
        for b, sched in zip(self.boundaries, self.schedules[1:], strict=True):
            if t >= b:
                out = sched(t - b)
        return out

    def __repr__(self) -> str:
        return f"join([{', '.join(repr(s) for s in self.schedules)}], boundaries={self.boundaries})"


def join(
    schedules: Sequence[Callable[[int], float] | float], boundaries: Sequence[int]
) -> Schedule:
    """Join schedules end to end (``optax.join_schedules``).

    ``schedules[0]`` runs until ``boundaries[0]``; from step ``boundaries[i]`` on,
    ``schedules[i + 1]`` takes over and sees the step counted from its boundary,
    ``schedules[i + 1](step - boundaries[i])``. Numbers are taken as constants.

    >>> warm = linear_warmup(0.1, 10)
    >>> sched = join([warm, cosine(0.1, T_max=90)], boundaries=[10])
    """
    return _Join(schedules, boundaries)


def schedule_peak(lr: Any) -> float | None:
    """The largest learning rate ``lr`` gives: a number itself, a schedule its ``peak``.

    A callable without a ``peak`` attribute counts with the largest of its first
    :data:`PEAK_STEPS` rates. ``None`` when that fails (it raises, gives a non-number)
    or the peak is not a finite number > 0 (an exponential schedule with ``gamma > 1``
    has no peak).

    >>> schedule_peak(warmup_cosine(0.0, 0.1, 10, 100))
    0.1
    """
    try:
        if not callable(lr):
            value = float(lr)
        elif hasattr(lr, "peak"):
            value = float(lr.peak)
        else:
            value = max(float(lr(t)) for t in range(PEAK_STEPS))
    except Exception:  # a user's callable may fail in any way; the answer is "unknown"
        return None
    return value if math.isfinite(value) and value > 0 else None
