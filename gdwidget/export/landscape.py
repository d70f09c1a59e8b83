"""The landscape an export embeds: the Playground's own grid, or one computed for a History."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

import numpy as np

from ..backend import get_backend
from ..live import landscape as live_landscape

log = logging.getLogger("gdwidget")

__all__ = ["as_objective", "from_objective", "from_source", "from_traits", "history_bounds"]


def from_traits(grid: bytes, grid_meta: dict) -> tuple[np.ndarray | None, dict | None]:
    """The ``grid`` / ``grid_meta`` traits as an ``(ny, nx)`` float32 array and its meta."""
    if not grid or not grid_meta:
        return None, None
    nx, ny = int(grid_meta.get("nx", 0)), int(grid_meta.get("ny", 0))
    values = np.frombuffer(grid, dtype="<f4")
    if nx < 1 or ny < 1 or values.size != nx * ny:
        return None, None
    return values.reshape(ny, nx).copy(), dict(grid_meta)


def from_source(source: Any, view: list[list[float]], size=(160, 120)):
    """The loss over ``view`` computed from a live source (live/landscape.py's ``grid``)."""
    data, meta, _error = live_landscape.grid(source, view, size)
    return from_traits(data, meta)


def as_objective(objective: Any) -> Any:
    """An objective from an objective or a function name; None stays None."""
    if objective is None:
        return None
    from ..engine.core import _as_objective  # noqa: PLC0415

    return _as_objective(objective)


def history_bounds(objective: Any, xy: np.ndarray | None) -> list[list[float]]:
    """The objective's own box when it has one, else a box around the paths and minima."""
    b = getattr(objective, "bounds", None) if objective is not None else None
    if b is not None and len(b) >= 2:
        (x0, x1), (y0, y1) = b[0], b[1]
        return [[float(x0), float(x1)], [float(y0), float(y1)]]
    pts = [] if xy is None else [xy.reshape(-1, 2)]
    if objective is not None:
        mins = live_landscape.finite_points(objective.minima)
        if mins:
            pts.append(np.asarray(mins, dtype=np.float64))
    allp = np.concatenate(pts) if pts else np.zeros((0, 2))
    allp = allp[np.all(np.isfinite(allp), axis=1)]
    if not len(allp):
        return [[-1.0, 1.0], [-1.0, 1.0]]
    lo, hi = allp.min(axis=0), allp.max(axis=0)
    centre, half = (lo + hi) / 2, np.maximum((hi - lo) / 2 * 1.15, 1e-3)
    return [
        [float(centre[0] - half[0]), float(centre[0] + half[0])],
        [float(centre[1] - half[1]), float(centre[1] + half[1])],
    ]


def from_objective(objective: Any, view, size, start: np.ndarray | None):
    """The loss of a function over ``view`` on the CPU, through ``start`` when more than 2-D.

    Models on data get a landscape only with exactly two parameters (their plane is the
    parameters themselves); None otherwise.
    """
    n = int(objective.n_params)
    if n < 2 or (objective.n_examples is not None and n != 2):
        return None, None
    point = np.zeros(n) if start is None or start.shape != (n,) else start
    run = SimpleNamespace(backend=get_backend("cpu", "float64"), objective=objective)
    source = SimpleNamespace(run=run, plane=None, slice_point=point)
    return from_source(source, view, size)
