"""A sweep's grid: hyperparameter values, checked, and the grid points as flat per-run columns.

Grid points are numbered in C order over the grid's keys (the last key varies fastest), as
``itertools.product`` lists them. A value is a number, or a tuple of numbers for a
hyperparameter that is a tuple (Adam's ``betas``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from numbers import Real
from typing import Any

import numpy as np

__all__ = ["Grid", "make_grid", "looks_log_spaced"]


@dataclass(frozen=True)
class Grid:
    """The checked grid: each hyperparameter's values, in the order given."""

    names: tuple[str, ...]
    values: tuple[tuple[Any, ...], ...]

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(v) for v in self.values)

    @property
    def n_points(self) -> int:
        return math.prod(self.shape)

    def point_index(self) -> np.ndarray:
        """``(n_points, n_names)``: each grid point's index along each hyperparameter."""
        idx = np.indices(self.shape).reshape(len(self.names), -1).T
        return np.ascontiguousarray(idx)

    def column(self, name: str, points: np.ndarray) -> list[Any]:
        """The value of ``name`` at each of ``points`` (grid point numbers)."""
        k = self.names.index(name)
        along = self.point_index()[np.asarray(points, dtype=np.int64), k]
        return [self.values[k][i] for i in along]

    def point(self, i: int) -> dict[str, Any]:
        """The hyperparameters of grid point ``i``."""
        along = np.unravel_index(int(i), self.shape)
        return {
            n: self.values[k][int(a)]
            for k, (n, a) in enumerate(zip(self.names, along, strict=True))
        }


def make_grid(grid: Any) -> Grid:
    """Check ``grid`` (``{"lr": [...], "momentum": [...]}``) and return it as a :class:`Grid`.

    Raises
    ------
    TypeError, ValueError
        Naming the key and the value that is wrong.
    """
    if not isinstance(grid, Mapping) or not grid:
        raise TypeError(
            f"grid must be a non-empty dict {{name: values}} such as "
            f"{{'lr': [0.01, 0.1]}}, got {grid!r}"
        )
    names, values = [], []
    for name, vals in grid.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"grid keys must be hyperparameter names (str), got {name!r}")
        names.append(name)
        values.append(_values(name, vals))
    return Grid(tuple(names), tuple(values))


def _values(name: str, vals: Any) -> tuple[Any, ...]:
    if isinstance(vals, str | bytes) or not isinstance(vals, Sequence | np.ndarray):
        raise TypeError(f"grid[{name!r}] must be a sequence of values, got {vals!r}")
    arr = list(np.asarray(vals, dtype=object).reshape(-1)) if np.ndim(vals) == 1 else list(vals)
    if not arr:
        raise ValueError(f"grid[{name!r}] is empty")
    out = [_value(name, v) for v in arr]
    return tuple(out)


def _value(name: str, v: Any) -> Any:
    if isinstance(v, tuple | list | np.ndarray) and not isinstance(v, str):
        return tuple(_number(name, x) for x in np.asarray(v, dtype=object).reshape(-1))
    return _number(name, v)


def _number(name: str, v: Any) -> Any:
    if isinstance(v, bool | np.bool_):
        return bool(v)  # a switch (nesterov): one group per value
    if isinstance(v, Real):
        f = float(v)
        if not math.isfinite(f):
            raise ValueError(f"grid[{name!r}] holds a value that is not finite: {v!r}")
        return int(v) if isinstance(v, int | np.integer) else f
    raise TypeError(f"grid[{name!r}] values must be numbers (or tuples of numbers), got {v!r}")


def looks_log_spaced(values: Sequence[float]) -> bool:
    """Whether ``values`` (at least 3, all > 0) are evenly spaced in log and not in linear."""
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1 or v.size < 3 or not np.all(v > 0):
        return False
    lg = np.diff(np.log(v))
    lin = np.diff(v)
    even_log = np.allclose(lg, lg[0], rtol=1e-3, atol=0)
    even_lin = np.allclose(lin, lin[0], rtol=1e-3, atol=0)
    return bool(even_log and not even_lin)
