"""Per-run settings of gradient transforms: checks and the arrays a step uses.

A transform's numeric setting is a number or a 1-D array of one value per run, checked as
an optimizer's hyperparameters are (:mod:`gdwidget.optim.hyper`); a seed may be an array of
ints. A per-run value reaches the step as a ``(n_runs, 1)`` column of the gradient's dtype,
so row ``i`` gets exactly the number a transform with row ``i``'s setting would use.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._checks import check_int
from .backend import namespace_of, to_numpy
from .optim.hyper import is_per_run

__all__ = ["column", "each", "rows_match", "seed_value"]


def column(value: Any, grad: Any) -> Any:
    """A number as it is; a per-run array as a ``(n_runs, 1)`` column of ``grad``'s dtype."""
    if not isinstance(value, np.ndarray):
        return value
    rows_match("a per-run setting", value.shape[0], grad)
    xp = namespace_of(grad)
    return xp.asarray(np.ascontiguousarray(value[:, None]), dtype=grad.dtype)


def rows_match(what: str, n: int, a: Any) -> None:
    rows = int(tuple(a.shape)[0]) if len(tuple(a.shape)) > 1 else 1
    if rows != n:
        raise ValueError(f"{what} has {n} values (one per run) but the block has {rows} runs")


def each(value: Any, n: int) -> list[Any]:
    """The ``n`` runs' values of a setting, as Python numbers."""
    return value.tolist() if isinstance(value, np.ndarray) else [value] * n


def seed_value(seed: Any) -> Any:
    """A seed (int >= 0) or a read-only 1-D int64 array of one seed per run."""
    if not is_per_run(seed):
        return check_int("seed", seed, low=0)
    arr = np.asarray(seed if isinstance(seed, list) else to_numpy(seed))
    if arr.dtype.kind not in "iu" or arr.ndim != 1 or arr.size == 0:
        raise ValueError(
            f"seed must be an int or a non-empty 1-D array of ints (one per run), "
            f"got an array of shape {arr.shape} and dtype {arr.dtype}"
        )
    out = np.array([check_int(f"seed[{i}]", int(v), low=0) for i, v in enumerate(arr)])
    out.setflags(write=False)
    return out
