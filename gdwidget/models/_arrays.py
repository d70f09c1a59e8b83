"""Small array helpers of the models, for NumPy, CuPy and array-API namespaces."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np


def _quiet(method: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``method`` with NumPy's floating-point warnings off: overflow gives inf or nan,
    which the caller reports (a diverged run), not a RuntimeWarning."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with np.errstate(all="ignore"):
            return method(*args, **kwargs)

    return wrapper


def _mT(a: Any) -> Any:
    """Swap the last two axes."""
    if hasattr(a, "swapaxes"):
        return a.swapaxes(-1, -2)
    return a.mT


def _astype(xp: Any, a: Any, dtype: Any) -> Any:
    if hasattr(a, "astype"):
        return a.astype(dtype)
    return xp.astype(a, dtype)


def _is_float_dtype(xp: Any, dtype: Any) -> bool:
    return dtype == xp.float32 or dtype == xp.float64
