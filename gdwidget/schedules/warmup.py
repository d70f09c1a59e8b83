"""Schedules that rise first: ``linear_warmup`` (PyTorch's LinearLR), ``warmup_cosine`` (optax) and
``one_cycle`` (PyTorch's OneCycleLR)."""

from __future__ import annotations

import math

from .._checks import check_choice, check_int, check_real
from .base import Schedule, _Recursive
from .per_run import per_run


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
    return per_run(
        "linear_warmup",
        _LinearWarmup,
        lr=lr,
        warmup_steps=warmup_steps,
        start_factor=start_factor,
        end_factor=end_factor,
    )


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
    return per_run(
        "warmup_cosine",
        _WarmupCosine,
        init_value=init_value,
        peak_value=peak_value,
        warmup_steps=warmup_steps,
        decay_steps=decay_steps,
        end_value=end_value,
    )


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
    return per_run(
        "one_cycle",
        _OneCycle,
        max_lr=max_lr,
        total_steps=total_steps,
        pct_start=pct_start,
        div_factor=div_factor,
        final_div_factor=final_div_factor,
        anneal_strategy=anneal_strategy,
        three_phase=three_phase,
    )
