"""The landscape: the default view box and the loss over a box, computed on the run's device."""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np

from ..backend import to_numpy
from ..objectives.slice import slice_values
from ..planegrid import loss_grid

log = logging.getLogger("gdwidget")


def finite_points(pts: Any) -> list[list[float]]:
    """``[[x, y], ...]`` of the points whose first two coordinates are finite."""
    out = []
    for p in pts or []:
        p = [float(v) for v in p]
        if len(p) >= 2 and all(math.isfinite(v) for v in p[:2]):
            out.append(p[:2])
    return out


def default_bounds(source: Any) -> list[list[float]]:
    """The objective's own box, a model plane's frame, or a box around starts and minima."""
    if source.plane_bounds is not None:
        return source.plane_bounds
    obj = source.run.objective
    b = obj.bounds
    if b is not None and len(b) >= 2:
        (x0, x1), (y0, y1) = b[0], b[1]
        return [[float(x0), float(x1)], [float(y0), float(y1)]]
    run = source.run
    pts = run._starts[:, :2] if run.n_params >= 2 else np.zeros((1, 2))
    mins = np.asarray(finite_points(obj.minima) or np.zeros((0, 2))).reshape(-1, 2)
    allp = np.concatenate([pts, mins])
    lo, hi = allp.min(axis=0), allp.max(axis=0)
    centre, half = (lo + hi) / 2, np.maximum((hi - lo) / 2 * 1.5, 1.0)
    return [
        [float(centre[0] - half[0]), float(centre[0] + half[0])],
        [float(centre[1] - half[1]), float(centre[1] + half[1])],
    ]


def grid(
    source: Any, bounds: list[list[float]], size: tuple[int, int]
) -> tuple[bytes, dict[str, Any], str]:
    """The loss over ``bounds``: float32 bytes, the protocol's ``grid_meta`` and an error text.

    Row 0 is at y0, column 0 at x0; NaN where the loss is not finite. A failure of the
    objective gives an all-NaN grid and the reason (the widget shows it; the run goes on).
    """
    (x0, x1), (y0, y1) = bounds
    run = source.run
    xp, dtype = run.backend.xp, run.backend.dtype
    nx, ny = size
    error = ""
    try:
        with np.errstate(all="ignore"):
            if source.plane is not None:
                z = loss_grid(run.objective, source.plane, bounds, nx, ny, run.backend)
            else:
                xs = xp.linspace(x0, x1, nx, dtype=dtype)
                ys = xp.linspace(y0, y1, ny, dtype=dtype)
                z = slice_values(run.objective, source.slice_point, xs, ys, xp=xp, dtype=dtype)
            z = np.asarray(to_numpy(z), dtype=np.float64).reshape(ny, nx)
    except Exception as exc:  # noqa: BLE001 - a landscape failure must not stop the widget
        log.warning("gdwidget: the landscape could not be computed: %s", exc)
        error = f"landscape: {type(exc).__name__}: {exc}"
        z = np.full((ny, nx), np.nan)
    with np.errstate(over="ignore", invalid="ignore"):
        z32 = z.astype("<f4")
    z32[~np.isfinite(z32)] = np.nan
    finite = z32[np.isfinite(z32)]
    meta = {
        "nx": nx,
        "ny": ny,
        "x0": float(x0),
        "x1": float(x1),
        "y0": float(y0),
        "y1": float(y1),
        "zmin": float(finite.min()) if finite.size else 0.0,
        "zmax": float(finite.max()) if finite.size else 1.0,
        "log": bool(run.objective.log_scale),
    }
    return z32.tobytes(), meta, error
