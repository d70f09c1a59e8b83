"""Sweeps: a grid of hyperparameters run as vectorized runs (:func:`sweep`), here or on a
Dask cluster, and the phase map widget (:class:`PhaseMap`).

- :mod:`.grid`: the grid, checked, and its points;
- :mod:`.plan`: the optimizer to vary, the plan, one block of points as one Run;
- :mod:`.metrics`: final loss, best loss, steps to a tolerance, diverged (the rules);
- :mod:`.run`: :func:`sweep` and the tidy table;
- :mod:`.dask`: the blocks on a ``dask.distributed.Client``;
- :mod:`.phasemap`: :class:`PhaseMap`, the heat map widget.
"""

from __future__ import annotations

from typing import Any

from .run import sweep

__all__ = ["sweep", "PhaseMap"]


def __getattr__(name: str) -> Any:
    if name == "PhaseMap":  # the widget (anywidget) loads on first use
        from .phasemap import PhaseMap  # noqa: PLC0415

        return PhaseMap
    raise AttributeError(f"module 'gdwidget.sweeps' has no attribute {name!r}")
