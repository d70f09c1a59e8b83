"""What ``log()`` accepts, checked at the boundary (cheap for the common case, a float)."""

from __future__ import annotations

import keyword
from numbers import Real
from typing import Any

import numpy as np

from ..backend import to_numpy

__all__ = ["RESERVED", "check_name", "host_vector", "scalar_value"]

#: Names that are frame columns of their own.
RESERVED = frozenset({"step", "params", "grad_norm", "clipped"})


def check_name(name: str) -> None:
    if not (isinstance(name, str) and name.isidentifier() and not keyword.iskeyword(name)):
        raise ValueError(f"a logged name must be a Python identifier, got {name!r}")
    if name in RESERVED:
        raise ValueError(f"{name!r} is reserved (it is a column of its own); use another name")


def host_vector(value: Any) -> np.ndarray:
    """Any array (NumPy, CuPy, JAX, torch, a list) as a flat float64 NumPy vector."""
    if type(value).__module__.split(".")[0] == "torch":
        value = value.detach().to("cpu").numpy()
    try:
        a = np.asarray(to_numpy(value), dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"expected an array of numbers, got {type(value).__name__}") from None
    return a.reshape(-1)


def scalar_value(name: str, value: Any) -> float | np.ndarray:
    """A number (a float, an int, a 0-d array or tensor) as a float; a 1-D sequence of
    numbers (several seeds) as a float64 array of at least 2 values."""
    t = type(value)
    if t is float:
        return value
    if t is int:
        return float(value)
    if t is bool or isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a number or a 1-D sequence of numbers, got {value!r}")
    if isinstance(value, Real):
        return float(value)
    shape = getattr(value, "shape", None)
    if shape is not None and len(shape) == 0:
        try:
            return float(value)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be a number, got {value!r}") from None
    if shape is not None or isinstance(value, (list, tuple)):
        try:
            if shape is None and any(isinstance(v, bool) for v in value):
                raise TypeError
            a = host_vector(value) if shape is not None else np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must hold numbers, got {value!r}") from None
        if shape is not None and len(shape) != 1 or a.ndim != 1:
            raise ValueError(f"{name} must be a number or a 1-D sequence, got shape {a.shape}")
        if a.size == 0:
            raise ValueError(f"{name} must hold at least one value, got an empty sequence")
        return float(a[0]) if a.size == 1 else a
    raise TypeError(
        f"{name} must be a number, a 0-d array or a 1-D sequence of numbers, "
        f"got {type(value).__name__}"
    )
