"""Validation at the public boundary: clear ValueErrors that name the argument and the value."""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable
from numbers import Integral, Real
from typing import Any


def _is_real(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _as_float(value: Any) -> float | None:
    """``float(value)`` for a real number (not a bool), else None; huge ints become inf."""
    if not _is_real(value):
        return None
    try:
        return float(value)
    except OverflowError:  # an int such as 10**400
        return math.inf if value > 0 else -math.inf
    except (TypeError, ValueError):
        return None


def check_real(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``float(value)`` if it is a finite real in the given interval, else raise."""
    v = _as_float(value)
    if v is None or not math.isfinite(v):
        raise ValueError(f"{name} must be a finite number, got {_show(value)}")
    if low is not None and (v < low or (low_open and v == low)):
        op = ">" if low_open else ">="
        raise ValueError(f"{name} must be {op} {low:g}, got {_show(value)}")
    if high is not None and (v > high or (high_open and v == high)):
        op = "<" if high_open else "<="
        raise ValueError(f"{name} must be {op} {high:g}, got {_show(value)}")
    return v


def check_int(name: str, value: Any, *, low: int | None = None, high: int | None = None) -> int:
    """Return ``int(value)`` for an integer (or an integer-valued finite float) in
    ``[low, high]``; anything else (``inf``, ``nan``, ``2.5``, ``"5"``, ``True``) raises
    ``ValueError``, never ``OverflowError``."""
    ok = _is_real(value)
    if ok and not isinstance(value, Integral):
        v = _as_float(value)
        ok = v is not None and math.isfinite(v) and v == math.floor(v)
    if not ok:
        raise ValueError(f"{name} must be an integer, got {_show(value)}")
    n = int(value)
    if low is not None and n < low:
        raise ValueError(f"{name} must be >= {low}, got {_show(value)}")
    if high is not None and n > high:
        raise ValueError(f"{name} must be <= {high:,}, got {_show(value)}")
    return n


def _show(value: Any) -> str:
    """``repr(value)``, shortened so that a 10**400 or a long string stays readable."""
    try:
        text = repr(value)
    except ValueError:  # an int beyond sys.get_int_max_str_digits()
        text = f"an integer of {value.bit_length()} bits"
    return text if len(text) <= 80 else f"{text[:60]}...{text[-10:]} ({len(text)} characters)"


def check_lr(value: Any, name: str = "lr") -> Any:
    """A learning rate is a float > 0 or a schedule (a callable ``step -> lr``)."""
    if callable(value):
        return value
    return check_real(name, value, low=0.0, low_open=True)


def check_betas(betas: Any, name: str = "betas") -> tuple[float, float]:
    try:
        b1, b2 = betas
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (beta1, beta2), got {betas!r}") from None
    for i, b in enumerate((b1, b2)):
        if not _is_real(b) or not 0.0 <= float(b) < 1.0:
            raise ValueError(f"{name}[{i}] must be in [0, 1), got {b!r}")
    return float(b1), float(b2)


def check_choice(name: str, value: Any, choices: Iterable[str]) -> str:
    """``value`` must be one of ``choices``; otherwise say which names are close."""
    choices = list(choices)
    if isinstance(value, str) and value in choices:
        return value
    close = difflib.get_close_matches(str(value), choices, n=3, cutoff=0.5)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    raise ValueError(f"unknown {name} {value!r}{hint} (choose from {', '.join(choices)})")
