"""The loss of an objective over a box of a :class:`~gdwidget.projection.Plane`.

Evaluated on the objective's device, in chunks of points small enough that a
large model never builds a huge array.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ._checks import check_int
from .backend import Backend, get_backend, to_numpy

if TYPE_CHECKING:
    from .projection import Plane

__all__ = ["GRID_CHUNK_ELEMENTS", "loss_grid"]

#: Elements (points x per-point work) one chunk of :func:`loss_grid` may touch.
GRID_CHUNK_ELEMENTS = 1 << 22


def _work_per_point(objective: Any) -> int:
    """Rough number of array elements one loss evaluation touches per point."""
    n = int(objective.n_params)
    examples = getattr(objective, "n_examples", None)
    sizes = getattr(objective, "layer_sizes", None)
    if examples:
        width = max(sizes) if sizes else 1
        n = max(n, int(examples) * int(width))
    return max(1, n)


def loss_grid(
    objective: Any,
    plane: Plane,
    view: Any,
    nx: int,
    ny: int,
    backend: Backend | str = "cpu",
    *,
    max_elements: int = GRID_CHUNK_ELEMENTS,
) -> np.ndarray:
    """The objective's loss over a box of the plane, ``(ny, nx)`` on the host.

    Parameters
    ----------
    objective : Objective
        Vectorized over rows: ``objective.value(points)`` for ``(k, n_params)``
        points (models: the loss on all their data).
    plane : Plane
    view : [[x0, x1], [y0, y1]]
        The box in plane coordinates.
    nx, ny : int
        Grid size; row ``i`` is at ``y0 + i (y1 - y0) / (ny - 1)``, column ``j`` at
        ``x0 + j (x1 - x0) / (nx - 1)``.
    backend : Backend or {"cpu", "gpu", "auto"}
        Where the points are built and the loss evaluated.
    max_elements : int
        Points go to the objective in chunks of at most about this many array
        elements of work (points times the larger of ``n_params`` and, for
        models, examples times the widest layer), so a large model never builds
        a huge array.

    Returns
    -------
    ndarray, shape (ny, nx), float64
        Non-finite losses are NaN.
    """
    nx = check_int("nx", nx, low=2)
    ny = check_int("ny", ny, low=2)
    max_elements = check_int("max_elements", max_elements, low=1)
    try:
        (x0, x1), (y0, y1) = ((float(a), float(b)) for a, b in view)
    except (TypeError, ValueError):
        raise ValueError(f"view must be [[x0, x1], [y0, y1]], got {view!r}") from None
    if not all(np.isfinite(v) for v in (x0, x1, y0, y1)):
        raise ValueError(f"view must be finite, got {view!r}")
    if int(objective.n_params) != plane.n_params:
        raise ValueError(
            f"the plane has {plane.n_params} parameters, the objective {objective.n_params}"
        )
    be = backend if isinstance(backend, Backend) else get_backend(backend)
    xp, dtype = be.xp, be.dtype
    xs = xp.linspace(x0, x1, nx, dtype=dtype)
    ys = xp.linspace(y0, y1, ny, dtype=dtype)
    gx, gy = xp.meshgrid(xs, ys)  # (ny, nx): row 0 at y0
    a = xp.reshape(gx, (-1,))
    b = xp.reshape(gy, (-1,))
    total = nx * ny
    step = max(1, min(total, max_elements // _work_per_point(objective)))
    parts = []
    with np.errstate(all="ignore"):
        for s in range(0, total, step):
            pts = plane.points(a[s : s + step], b[s : s + step])
            parts.append(xp.reshape(objective.value(pts), (-1,)))
        z = parts[0] if len(parts) == 1 else xp.concatenate(parts)
        out = np.asarray(to_numpy(z), dtype=np.float64).reshape(ny, nx)
    out[~np.isfinite(out)] = np.nan
    return out
