"""Learning-rate schedules: plain callables ``step -> lr``.

A schedule goes wherever an ``lr`` goes. ``schedule(0)`` is the rate of the first
update, ``schedule(1)`` the rate of the second, and so on, which is what a
PyTorch optimizer reads from ``param_groups[0]["lr"]`` after ``t`` calls of
``scheduler.step()``.

>>> import gdwidget as gd
>>> sched = gd.schedules.cosine(0.1, T_max=100)
>>> sched(0), sched(100)
(0.1, 0.0)

Where a schedule names a PyTorch scheduler it reproduces that scheduler's
arithmetic, including the recursive updates that PyTorch uses for
:class:`~torch.optim.lr_scheduler.StepLR`, ``ExponentialLR``, ``LinearLR`` and
``CosineAnnealingLR``, so the values agree with PyTorch's to the last bit rather
than to the closed form's rounding. ``warmup_cosine`` and ``join`` follow optax
(computed in float64).
"""

from __future__ import annotations

import math
import operator
import threading
from collections.abc import Callable, Sequence
from typing import Any

from ._checks import check_choice, check_int, check_real

__all__ = [
    "Schedule",
    "as_schedule",
    "constant",
    "step",
    "exponential",
    "cosine",
    "linear_warmup",
    "warmup_cosine",
    "one_cycle",
    "join",
    "schedule_peak",
]

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
    """The same rate at every step: :math:`\\eta_t = \\eta`."""
    return _Constant(lr)


def as_schedule(lr: float | Callable[[int], float]) -> Callable[[int], float]:
    """``lr`` itself if it is callable (a schedule), else ``constant(lr)``."""
    if callable(lr):
        return lr
    return _Constant(lr)


class _Step(_Recursive):
    _name = "step"

    def __init__(self, lr: float, step_size: int, gamma: float) -> None:
        self.lr = check_real("lr", lr, low=0.0, low_open=True)
        self.step_size = check_int("step_size", step_size, low=1)
        self.gamma = check_real("gamma", gamma, low=0.0, low_open=True)
        self._args = {"lr": self.lr, "step_size": self.step_size, "gamma": self.gamma}
        super().__init__()

    def _first(self) -> float:
        return self.lr

    def _next(self, t: int, prev: float) -> float:
        return prev if t % self.step_size else prev * self.gamma

    @property
    def peak(self) -> float:
        return self.lr if self.gamma <= 1.0 else math.inf


def step(lr: float, step_size: int, gamma: float = 0.1) -> Schedule:
    """Decay by ``gamma`` every ``step_size`` steps (PyTorch ``StepLR``).

    :math:`\\eta_t = \\eta\\,\\gamma^{\\lfloor t / s \\rfloor}`, computed as PyTorch
    does, by multiplying the previous rate by ``gamma`` at each multiple of ``s``.
    """
    return _Step(lr, step_size, gamma)


class _Exponential(_Recursive):
    _name = "exponential"

    def __init__(self, lr: float, gamma: float) -> None:
        self.lr = check_real("lr", lr, low=0.0, low_open=True)
        self.gamma = check_real("gamma", gamma, low=0.0, low_open=True)
        self._args = {"lr": self.lr, "gamma": self.gamma}
        super().__init__()

    def _first(self) -> float:
        return self.lr

    def _next(self, t: int, prev: float) -> float:
        return prev * self.gamma

    @property
    def peak(self) -> float:
        return self.lr if self.gamma <= 1.0 else math.inf


def exponential(lr: float, gamma: float) -> Schedule:
    """Multiply the rate by ``gamma`` every step (PyTorch ``ExponentialLR``).

    :math:`\\eta_t = \\eta\\,\\gamma^t`, computed recursively as PyTorch does.
    """
    return _Exponential(lr, gamma)


class _Cosine(_Recursive):
    _name = "cosine"

    def __init__(self, lr: float, T_max: int, eta_min: float) -> None:
        self.lr = check_real("lr", lr, low=0.0, low_open=True)
        self.T_max = check_int("T_max", T_max, low=1)
        self.eta_min = check_real("eta_min", eta_min, low=0.0)
        self._args = {"lr": self.lr, "T_max": self.T_max, "eta_min": self.eta_min}
        super().__init__()

    def _first(self) -> float:
        return self.lr

    def _next(self, t: int, prev: float) -> float:
        T, lo = self.T_max, self.eta_min
        if (t - 1 - T) % (2 * T) == 0:
            # the ratio below is 0/0 here (the previous step sat at the bottom of the cosine)
            return prev + (self.lr - lo) * (1 - math.cos(math.pi / T)) / 2
        return (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T)) * (
            prev - lo
        ) + lo

    @property
    def peak(self) -> float:  # the cosine swings between lr and eta_min
        return max(self.lr, self.eta_min)


def cosine(lr: float, T_max: int, eta_min: float = 0.0) -> Schedule:
    """Cosine annealing from ``lr`` to ``eta_min`` in ``T_max`` steps (``CosineAnnealingLR``).

    In exact arithmetic

    .. math:: \\eta_t = \\eta_{min} + \\tfrac12(\\eta - \\eta_{min})(1 + \\cos(\\pi t / T_{max})),

    which keeps following the cosine beyond ``T_max`` (back up to ``lr`` at
    ``2 T_max``; there is no restart and no clamp). The values are computed with
    PyTorch's recursive update, so they equal PyTorch's at every step, within
    ``T_max`` and beyond it.
    """
    return _Cosine(lr, T_max, eta_min)


class _LinearWarmup(_Recursive):
    _name = "linear_warmup"

    def __init__(
        self, lr: float, warmup_steps: int, start_factor: float, end_factor: float
    ) -> None:
        self.lr = check_real("lr", lr, low=0.0, low_open=True)
        self.warmup_steps = check_int("warmup_steps", warmup_steps, low=1)
        self.start_factor = check_real(
            "start_factor", start_factor, low=0.0, high=1.0, low_open=True
        )
        self.end_factor = check_real("end_factor", end_factor, low=0.0, high=1.0)
        self._args = {
            "lr": self.lr,
            "warmup_steps": self.warmup_steps,
            "start_factor": self.start_factor,
            "end_factor": self.end_factor,
        }
        super().__init__()

    def _first(self) -> float:
        return self.lr * self.start_factor

    def _next(self, t: int, prev: float) -> float:
        if t > self.warmup_steps:
            return prev
        a, b = self.start_factor, self.end_factor
        return prev * (1.0 + (b - a) / (self.warmup_steps * a + (t - 1) * (b - a)))

    @property
    def peak(self) -> float:
        return self.lr * max(self.start_factor, self.end_factor)


def linear_warmup(
    lr: float, warmup_steps: int, start_factor: float = 1.0 / 3, end_factor: float = 1.0
) -> Schedule:
    """Scale ``lr`` linearly from ``start_factor`` to ``end_factor`` (PyTorch ``LinearLR``).

    :math:`\\eta_t = \\eta\\,(a + (b - a)\\min(t, W)/W)` with ``a = start_factor``,
    ``b = end_factor`` and ``W = warmup_steps`` (PyTorch's ``total_iters``), then
    constant. Computed with PyTorch's recursive update.
    """
    return _LinearWarmup(lr, warmup_steps, start_factor, end_factor)


class _WarmupCosine(Schedule):
    _name = "warmup_cosine"

    def __init__(
        self,
        init_value: float,
        peak_value: float,
        warmup_steps: int,
        decay_steps: int,
        end_value: float,
    ) -> None:
        self.init_value = check_real("init_value", init_value, low=0.0)
        self.peak_value = check_real("peak_value", peak_value, low=0.0, low_open=True)
        self.warmup_steps = check_int("warmup_steps", warmup_steps, low=0)
        self.decay_steps = check_int("decay_steps", decay_steps, low=1)
        if self.decay_steps <= self.warmup_steps:
            raise ValueError(
                f"decay_steps must be > warmup_steps (it counts the warmup too, as in optax), "
                f"got decay_steps={decay_steps!r} and warmup_steps={warmup_steps!r}"
            )
        self.end_value = check_real("end_value", end_value, low=0.0)
        self._alpha = self.end_value / self.peak_value
        self._args = {
            "init_value": self.init_value,
            "peak_value": self.peak_value,
            "warmup_steps": self.warmup_steps,
            "decay_steps": self.decay_steps,
            "end_value": self.end_value,
        }

    def _value(self, t: int) -> float:
        W = self.warmup_steps
        if t < W:
            frac = 1 - t / W
            return (self.init_value - self.peak_value) * frac + self.peak_value
        D = self.decay_steps - W
        count = min(t - W, D)
        decay = 0.5 * (1 + math.cos(math.pi * count / D))
        return self.peak_value * ((1 - self._alpha) * decay + self._alpha)

    @property
    def peak(self) -> float:  # linear, then a half cosine: the extremes are the ends
        return max(self.init_value, self.peak_value, self.end_value)


def warmup_cosine(
    init_value: float,
    peak_value: float,
    warmup_steps: int,
    decay_steps: int,
    end_value: float = 0.0,
) -> Schedule:
    """Linear warmup then cosine decay (``optax.warmup_cosine_decay_schedule``).

    The rate goes linearly from ``init_value`` to ``peak_value`` over
    ``warmup_steps``, then follows a half cosine from ``peak_value`` down to
    ``end_value``, reached at step ``decay_steps`` (which, as in optax, counts the
    warmup), and stays there.
    """
    return _WarmupCosine(init_value, peak_value, warmup_steps, decay_steps, end_value)


class _OneCycle(Schedule):
    _name = "one_cycle"

    def __init__(
        self,
        max_lr: float,
        total_steps: int,
        pct_start: float,
        div_factor: float,
        final_div_factor: float,
        anneal_strategy: str,
        three_phase: bool,
    ) -> None:
        self.max_lr = check_real("max_lr", max_lr, low=0.0, low_open=True)
        self.total_steps = check_int("total_steps", total_steps, low=1)
        self.pct_start = check_real("pct_start", pct_start, low=0.0, high=1.0)
        self.div_factor = check_real("div_factor", div_factor, low=0.0, low_open=True)
        self.final_div_factor = check_real(
            "final_div_factor", final_div_factor, low=0.0, low_open=True
        )
        self.anneal_strategy = check_choice("anneal_strategy", anneal_strategy, ("cos", "linear"))
        if not isinstance(three_phase, bool):
            raise ValueError(f"three_phase must be True or False, got {three_phase!r}")
        self.three_phase = three_phase
        self._args = {
            "max_lr": self.max_lr,
            "total_steps": self.total_steps,
            "pct_start": self.pct_start,
            "div_factor": self.div_factor,
            "final_div_factor": self.final_div_factor,
            "anneal_strategy": self.anneal_strategy,
            "three_phase": self.three_phase,
        }
        initial = self.max_lr / self.div_factor
        self.min_lr = initial / self.final_div_factor
        up = float(self.pct_start * self.total_steps) - 1
        last = self.total_steps - 1
        if three_phase:
            self._phases = [
                (up, initial, self.max_lr),
                (float(2 * self.pct_start * self.total_steps) - 2, self.max_lr, initial),
                (last, initial, self.min_lr),
            ]
        else:
            self._phases = [(up, initial, self.max_lr), (last, self.max_lr, self.min_lr)]
        start = 0.0
        for end, _, _ in self._phases:
            if not end > start:
                raise ValueError(
                    f"one_cycle needs every phase to last more than one step: with "
                    f"total_steps={total_steps!r} and pct_start={pct_start!r} a phase would "
                    f"end at step {end:g}, not after step {start:g}; raise total_steps or "
                    f"move pct_start away from 0 and 1"
                )
            start = end

    @property
    def peak(self) -> float:  # every phase moves between two of these three rates
        return max(self.max_lr, self.max_lr / self.div_factor, self.min_lr)

    def _value(self, t: int) -> float:
        if t >= self.total_steps:
            return self.min_lr
        start = 0.0
        for i, (end, lo, hi) in enumerate(self._phases):
            if t <= end or i == len(self._phases) - 1:
                pct = (t - start) / (end - start)
                if self.anneal_strategy == "cos":
                    return hi + (lo - hi) / 2.0 * (math.cos(math.pi * pct) + 1)
                return (hi - lo) * pct + lo
            start = end
        raise AssertionError("unreachable")  # pragma: no cover


def one_cycle(
    max_lr: float,
    total_steps: int,
    pct_start: float = 0.3,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    anneal_strategy: str = "cos",
    three_phase: bool = False,
) -> Schedule:
    """The 1cycle policy (PyTorch ``OneCycleLR``, its learning rate only).

    The rate rises from ``max_lr / div_factor`` to ``max_lr`` over the first
    ``pct_start`` of ``total_steps``, then anneals to
    ``max_lr / div_factor / final_div_factor`` (``"cos"`` or ``"linear"``); with
    ``three_phase=True`` it first comes back down to the initial rate
    symmetrically, then anneals to the minimum.

    Values equal PyTorch's for steps ``0 .. total_steps - 1`` (the updates of a
    ``total_steps``-long run). From step ``total_steps`` on the rate stays at the
    final minimum: PyTorch raises beyond ``total_steps`` and, at exactly
    ``total_steps``, extrapolates past the end of its last phase (a value above
    the minimum with ``"cos"``, below it and possibly negative with ``"linear"``).
    """
    return _OneCycle(
        max_lr, total_steps, pct_start, div_factor, final_div_factor, anneal_strategy, three_phase
    )


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
                value = max(float(sched(t)) for t in range(length))
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
