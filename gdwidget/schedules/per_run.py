"""Schedules with one value per run: a built-in schedule whose numeric arguments are arrays.

``gd.schedules.cosine(np.array([0.1, 0.01]), T_max=100)`` is one schedule that gives, at
each step, one rate per run: ``[cosine(0.1, 100)(t), cosine(0.01, 100)(t)]``. Each run's
rate is computed by the scalar schedule of that run's arguments, so row ``i`` equals,
bit for bit, the schedule built with row ``i``'s numbers (the recursive schedules keep
PyTorch's arithmetic per run). It goes wherever a per-run ``lr`` goes
(``gd.optim.adam(lr=...)``: the optimizer then has that many runs).
"""

from __future__ import annotations

from numbers import Number
from typing import Any

import numpy as np

from .base import Schedule, _check_step


def _is_array(value: Any) -> bool:
    if isinstance(value, str | bytes | bool | Number) or callable(value):
        return False
    return isinstance(value, list | tuple) or hasattr(value, "__array__")


def per_run(name: str, make: Any, **kwargs: Any) -> Schedule:
    """``make(**kwargs)``, or a :class:`PerRun` schedule when some arguments are 1-D arrays.

    Every array must have the same length ``n``; run ``i`` gets ``make`` with entry ``i``
    of each array and the other arguments as they are. A bad entry raises ValueError
    naming the argument and the run.
    """
    arrays: dict[str, np.ndarray] = {}
    for key, value in kwargs.items():
        if not _is_array(value):
            continue
        arr = np.asarray(value)
        if arr.ndim != 1 or arr.size == 0 or arr.dtype.kind not in "iuf":
            raise ValueError(
                f"{name}: {key} must be a number or a non-empty 1-D array of numbers (one per "
                f"run), got {value!r}"
            )
        arrays[key] = arr
    if not arrays:
        return make(**kwargs)
    sizes = {k: a.shape[0] for k, a in arrays.items()}
    if len(set(sizes.values())) > 1:
        shown = ", ".join(f"{k}: {n}" for k, n in sizes.items())
        raise ValueError(f"{name}: per-run arguments must all have one length, got {shown}")
    n = next(iter(sizes.values()))
    rows = []
    for i in range(n):
        args = {k: (arrays[k][i].item() if k in arrays else v) for k, v in kwargs.items()}
        try:
            rows.append(make(**args))
        except ValueError as exc:
            bad = ", ".join(f"{k}[{i}]={args[k]!r}" for k in arrays)
            raise ValueError(f"{name}: run {i} ({bad}): {exc}") from None
    return PerRun(name, rows, kwargs, arrays)


class PerRun(Schedule):
    """One scalar schedule per run, called together: ``self(t)`` is a ``(n_runs,)`` array.

    Attributes
    ----------
    rows : list of Schedule
        Run ``i``'s schedule.
    n_runs : int
    """

    def __init__(
        self, name: str, rows: list[Schedule], kwargs: dict[str, Any], arrays: dict[str, Any]
    ) -> None:
        self._name = name
        self.rows = rows
        self.n_runs = len(rows)
        self._args = {k: (_Span(arrays[k]) if k in arrays else v) for k, v in kwargs.items()}

    def __call__(self, step: int) -> np.ndarray:  # type: ignore[override]
        t = _check_step(step)
        return np.array([row._value(t) for row in self.rows], dtype=np.float64)

    def _value(self, t: int) -> np.ndarray:  # type: ignore[override]
        return self(t)

    @property
    def peak(self) -> float:
        """The largest rate of any run."""
        return max(row.peak for row in self.rows)

    def values(self, n: int) -> list[np.ndarray]:  # type: ignore[override]
        """The rates of the first ``n`` updates, one ``(n_runs,)`` array each."""
        return super().values(n)


class _Span:
    """An array argument in a repr: ``0.001..0.1 (3 runs)``."""

    def __init__(self, arr: np.ndarray) -> None:
        self.arr = arr

    def __repr__(self) -> str:
        lo, hi = self.arr.min().item(), self.arr.max().item()
        span = f"{lo:g}" if lo == hi else f"{lo:g}..{hi:g}"
        return f"[{span} ({self.arr.shape[0]} runs)]"
