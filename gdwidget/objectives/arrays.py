"""Array helpers shared by the objectives: input checks and namespace-neutral operations.

Objectives take ``params`` of shape ``(n_runs, n_params)`` (or one point,
``(n_params,)``) in any array namespace; :func:`as_params` checks and normalizes
it, :func:`unbatch` undoes the single-point promotion on results.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

import numpy as np

from ..backend import namespace_of


def dtype_kind(a: Any) -> str:
    """NumPy's dtype kind letter (``"f"``, ``"c"``, ``"i"``, ...), also for array-API arrays
    whose dtypes have none; ``"?"`` when unknown."""
    kind = getattr(a.dtype, "kind", None)
    if isinstance(kind, str):
        return kind
    isdtype = getattr(namespace_of(a), "isdtype", None)
    if isdtype is None:
        return "?"
    for k, name in (
        ("b", "bool"),
        ("c", "complex floating"),
        ("f", "real floating"),
        ("i", "integral"),
    ):
        if isdtype(a.dtype, name):
            return k
    return "?"


def as_params(params: Any, n_params: int, name: str = "params") -> tuple[ModuleType, Any, bool]:
    """Check ``params`` and bring it to shape ``(n_runs, n_params)`` with a float dtype.

    Returns the namespace, the 2-D array and whether the input was a single point
    (1-D), in which case results are to be squeezed back with :func:`unbatch`.
    """
    if (  # the common case first: the engine's (n_runs, n_params) float NumPy array
        type(params) is np.ndarray
        and params.ndim == 2
        and params.shape[1] == n_params
        and params.dtype.kind == "f"
    ):
        return np, params, False
    xp = namespace_of(params)
    if not hasattr(params, "shape") or not hasattr(params, "dtype"):
        try:
            params = np.asarray(params)
        except (TypeError, ValueError, OverflowError):
            raise ValueError(f"{name} must be an array of numbers, got {params!r}") from None
        xp = np
    kind = dtype_kind(params)
    if kind == "c":
        raise ValueError(f"{name} must be real numbers, got complex values (dtype {params.dtype})")
    if kind not in ("f", "i", "u", "b"):
        raise ValueError(f"{name} must be an array of numbers, got dtype {params.dtype}")
    shape = tuple(params.shape)
    if len(shape) not in (1, 2) or shape[-1] != n_params:
        raise ValueError(
            f"{name} must have shape (n_runs, {n_params}) or ({n_params},), got {shape}"
        )
    if kind != "f":
        params = xp.asarray(params, dtype=xp.float64)
    if len(shape) == 1:
        return xp, xp.reshape(params, (1, n_params)), True
    return xp, params, False


def unbatch(xp: ModuleType, a: Any, single: bool) -> Any:
    """Undo the single-point promotion of :func:`as_params` on a result."""
    if not single:
        return a
    return xp.reshape(a, a.shape[1:])


def xp_func(xp: ModuleType, name: str, alias: str | None = None) -> Callable[..., Any]:
    """``xp.<name>``, or its NumPy-style ``alias`` in namespaces that predate the standard name."""
    f = getattr(xp, name, None)
    if f is None and alias is not None:
        f = getattr(xp, alias)
    if f is None:
        raise AttributeError(f"array namespace {xp.__name__} has no {name}")
    return f


def match_v(xp: ModuleType, P: Any, V: Any, params: Any, v: Any) -> Any:
    """``V`` (one row, or one per run) broadcast to ``P``'s shape and dtype."""
    if V.shape[0] not in (P.shape[0], 1):
        raise ValueError(
            f"v must have the shape of params {tuple(params.shape)}, got {tuple(v.shape)}"
        )
    if V.dtype != P.dtype:
        V = xp.asarray(V, dtype=P.dtype)
    if V.shape != P.shape:
        V = xp.broadcast_to(V, P.shape)
    return V


def concat_cols(xp: ModuleType, arrays: Sequence[Any]) -> Any:
    return xp_func(xp, "concat", "concatenate")(list(arrays), axis=1)


def pad_cols(xp: ModuleType, a: Any, left: int, right: int) -> Any:
    """``a`` with ``left`` zero columns before and ``right`` after."""
    parts = []
    if left:
        parts.append(xp.zeros((a.shape[0], left), dtype=a.dtype))
    parts.append(a)
    if right:
        parts.append(xp.zeros((a.shape[0], right), dtype=a.dtype))
    return concat_cols(xp, parts)


def overlap_add(xp: ModuleType, left: Any, right: Any) -> Any:
    """``pad_cols(left, 0, 1) + pad_cols(right, 1, 0)`` bit for bit, in fewer operations.

    The columns that meet a padding zero get ``+ 0.0`` as they do there (it turns -0.0
    into +0.0); the others are ``left + right``.
    """
    if left.shape[1] == 1:  # every column meets a zero (x + 0.0 and 0.0 + x are equal)
        return concat_cols(xp, [left, right]) + 0.0
    return concat_cols(xp, [left[:, :1] + 0.0, left[:, 1:] + right[:, :-1], 0.0 + right[:, -1:]])


def sum_cols(xp: ModuleType, a: Any) -> Any:
    """``xp.sum(a, axis=1)`` (for NumPy without the wrapper's cost: the same reduction)."""
    if xp is np:
        return np.add.reduce(a, axis=1)
    return xp.sum(a, axis=1)


def stack_cols(xp: ModuleType, cols: Sequence[Any]) -> Any:
    return xp.stack(list(cols), axis=1)
