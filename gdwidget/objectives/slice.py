"""The landscape of an n-dimensional objective over the plane of its first two parameters.

The grid's points differ from a base point in two coordinates only, so they are
built and evaluated a few rows at a time: memory stays bounded by ``max_bytes``
whatever the number of parameters (a 10,000-parameter function on a 160 x 120
grid needs 1.5 GB as one ``(nx * ny, n)`` array, and about 32 MB this way).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from .._checks import check_int
from ..backend import to_numpy
from .base import Objective

__all__ = ["slice_values"]

MAX_BYTES = 32 * 2**20


def slice_values(
    objective: Objective,
    point: Any,
    xs: Any,
    ys: Any,
    *,
    xp: ModuleType = np,
    dtype: Any = None,
    chunk_rows: int | None = None,
    max_bytes: int = MAX_BYTES,
) -> np.ndarray:
    """The objective's values over a grid in the plane of parameters 0 and 1 through ``point``.

    Parameters
    ----------
    objective : Objective
        Anything with ``value(params)`` and ``n_params``.
    point : array-like, shape (n_params,)
        The base point: parameters 2, 3, ... keep its values (ignored for one or two
        parameters).
    xs : array-like, shape (nx,)
        Values of parameter 0, one per grid column.
    ys : array-like, shape (ny,)
        Values of parameter 1, one per grid row (ignored, but for its length, when the
        objective has one parameter).
    xp : array namespace, optional
        Where to evaluate (NumPy, CuPy): the points are made there. Default NumPy.
    dtype : dtype, optional
        Of the points; default float64.
    chunk_rows : int, optional
        Grid rows per call of ``objective.value``. By default as many as fit in
        ``max_bytes`` of points (at least one row; a row wider than that is split).
    max_bytes : int
        Bound on the points made at once, 32 MiB by default.

    Returns
    -------
    numpy.ndarray, shape (ny, nx), float64
        ``z[j, i]`` is the value at ``(xs[i], ys[j])``, on the host. Evaluation errors
        propagate; overflow gives ``inf``/``nan`` without a RuntimeWarning.
    """
    n = check_int("objective.n_params", objective.n_params, low=1)
    dtype = xp.float64 if dtype is None else dtype
    xs = xp.asarray(xs, dtype=dtype)
    ys = xp.asarray(ys, dtype=dtype)
    if xs.ndim != 1 or ys.ndim != 1:
        raise ValueError(
            f"xs and ys must be 1-D, got shapes {tuple(xs.shape)} and {tuple(ys.shape)}"
        )
    nx, ny = int(xs.shape[0]), int(ys.shape[0])
    base = xp.reshape(xp.asarray(point, dtype=dtype), (-1,))
    if base.shape[0] != n:
        raise ValueError(f"point must have {n} coordinates, got shape {tuple(base.shape)}")
    itemsize = int(getattr(xs.dtype, "itemsize", 8))
    max_bytes = check_int("max_bytes", max_bytes, low=1)
    per_chunk = max(1, max_bytes // (n * itemsize))  # points per call
    if chunk_rows is not None:
        per_chunk = check_int("chunk_rows", chunk_rows, low=1) * nx
    out = np.empty(nx * ny, dtype=np.float64)
    with np.errstate(all="ignore"):
        for lo in range(0, nx * ny, per_chunk):
            hi = min(lo + per_chunk, nx * ny)
            idx = xp.arange(lo, hi)
            P = xp.empty((hi - lo, n), dtype=dtype)
            P[...] = base
            P[:, 0] = xp.take(xs, idx % nx)
            if n > 1:
                P[:, 1] = xp.take(ys, idx // nx)
            out[lo:hi] = np.asarray(to_numpy(objective.value(P)), dtype=np.float64)
            del P  # before the next chunk's points are made
    return out.reshape(ny, nx)
