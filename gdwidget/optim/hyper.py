"""Hyperparameters that may vary per run: checks, sizes and host arithmetic.

A numeric hyperparameter is a float, or a 1-D float64 NumPy array of one value per run
(a list or any 1-D array-like is converted). Every per-step coefficient an optimizer
derives from its hyperparameters is computed on the host in float64 with the same
operations whether the values are floats or arrays, so row ``i`` of a swept optimizer
gets exactly the numbers a scalar optimizer with row ``i``'s settings gets (:func:`power`
keeps that true for powers, which NumPy may round differently from Python).
"""

from __future__ import annotations

from numbers import Real
from typing import Any

import numpy as np

from .._checks import check_real

Value = float | np.ndarray


def is_per_run(value: Any) -> bool:
    """True for an array (or list) of values rather than one number or a schedule."""
    if isinstance(value, str | bytes | tuple) or callable(value) or isinstance(value, Real):
        return False
    return isinstance(value, list) or hasattr(value, "__array__") or hasattr(value, "shape")


def hyper_value(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> Value:
    """``value`` checked: a float, or a read-only 1-D float64 array of one value per run.

    Every value must be finite and in the interval; the error names the argument, the
    first bad entry and its value (``momentum[3] must be >= 0, got -0.5``).
    """
    if not is_per_run(value):
        return check_real(name, value, low=low, high=high, low_open=low_open, high_open=high_open)
    try:
        from ..backend import to_numpy  # noqa: PLC0415

        arr = np.asarray(value if isinstance(value, list) else to_numpy(value))
    except Exception:  # noqa: BLE001 - anything that is not an array of numbers
        raise ValueError(f"{name} must be a number or a 1-D array of numbers") from None
    if arr.dtype.kind not in "iuf" or arr.ndim != 1 or arr.size == 0:
        raise ValueError(
            f"{name} must be a number or a non-empty 1-D array of real numbers (one per run), "
            f"got an array of shape {arr.shape} and dtype {arr.dtype}"
        )
    arr = arr.astype(np.float64)
    for i, v in enumerate(arr.tolist()):
        check_real(f"{name}[{i}]", v, low=low, high=high, low_open=low_open, high_open=high_open)
    arr.setflags(write=False)
    return arr


def hyper_pair(name: str, value: Any, low: float = 0.0, high: float = 1.0) -> tuple[Value, Value]:
    """A pair such as ``betas``, each entry a number or per-run array in ``[low, high)``."""
    if isinstance(value, str):
        raise ValueError(f"{name} must be a pair (beta1, beta2), got {value!r}")
    try:
        first, second = value
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (beta1, beta2), got {value!r}") from None
    out = []
    for i, b in enumerate((first, second)):
        if not is_per_run(b) and (not isinstance(b, Real) or not low <= float(b) < high):
            raise ValueError(f"{name}[{i}] must be in [{low:g}, {high:g}), got {b!r}")
        out.append(hyper_value(f"{name}[{i}]", b, low=low, high=high, high_open=True))
    return out[0], out[1]


def switch(name: str, value: Any) -> bool:
    """A switch that changes the rule: one bool per optimizer, never per run."""
    if is_per_run(value):
        raise TypeError(
            f"{name} changes the update rule and is one value per optimizer; it cannot be "
            f"an array of one value per run (make one optimizer per setting), got {value!r}"
        )
    return bool(value)


def runs_of(values: dict[str, Any]) -> int | None:
    """The common length of the per-run values (None if all are numbers); ValueError if
    two arrays differ in length."""
    sizes: dict[str, int] = {}
    for name, v in values.items():
        parts = v if isinstance(v, tuple) else (v,)
        for i, x in enumerate(parts):
            if isinstance(x, np.ndarray):
                sizes[name if len(parts) == 1 else f"{name}[{i}]"] = int(x.shape[0])
    if len(set(sizes.values())) > 1:
        shown = ", ".join(f"{k}: {n}" for k, n in sizes.items())
        raise ValueError(f"per-run hyperparameters must all have one length, got {shown}")
    return next(iter(sizes.values()), None)


def power(base: Value, t: int) -> Value:
    """``base ** t`` for a number or each entry of an array, rounded as Python rounds it."""
    if isinstance(base, np.ndarray):
        return np.array([b**t for b in base.tolist()], dtype=np.float64)
    return base**t


def any_nonzero(value: Value) -> bool:
    """True if the number, or any entry of the array, is not zero."""
    return bool(np.any(value != 0.0)) if isinstance(value, np.ndarray) else value != 0.0


def kind(value: Value, test: Any) -> str:
    """``"all"``, ``"none"`` or ``"mixed"``: whether ``test`` holds for every entry."""
    if not isinstance(value, np.ndarray):
        return "all" if test(value) else "none"
    hits = np.asarray(test(value))
    if hits.all():
        return "all"
    return "none" if not hits.any() else "mixed"


def show(value: Any) -> str:
    """A value for legends: ``0.9``, or ``1e-04..1 (1000 runs)`` for an array."""
    if isinstance(value, np.ndarray):
        lo, hi = float(value.min()), float(value.max())
        span = f"{lo:g}" if lo == hi else f"{lo:g}..{hi:g}"
        return f"{span} ({value.shape[0]} runs)"
    if isinstance(value, tuple | list):
        return "(" + ", ".join(show(x) for x in value) + ")"
    return f"{value:g}" if isinstance(value, float) else str(value)
