"""A phase map cell's figures from its runs (grid point x seeds x starts): one number each.

A cell of :class:`~gdwidget.sweeps.phasemap.PhaseMap` may hold several runs, one per seed and
start. Its figures are, over those runs:

- ``final_loss``, ``best_loss``: the ``aggregate`` (``"median"``, ``"mean"``, ``"min"`` or
  ``"max"``) of the runs' values, a NaN (a run whose numbers broke) counting as infinite;
- ``steps_to_tol``: the same aggregate, a run that never reached ``tol`` counting as
  infinitely many steps, NaN where the aggregate is infinite (the median is NaN unless more
  than half of the runs reach ``tol``);
- ``diverged``: 1 when more than half of the runs diverged, else 0 (so the page's
  divergence boundary follows the majority);
- ``diverged_fraction``, ``reached_fraction``: the fraction of runs that diverged, and that
  reached ``tol`` (converged).

With one run per cell these are that run's figures.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["AGGREGATES", "FRACTIONS", "aggregate"]

AGGREGATES = ("median", "mean", "min", "max")
#: the figures a cell has beyond the sweep's (fractions of its runs)
FRACTIONS = ("diverged_fraction", "reached_fraction")

_REDUCE = {"median": np.median, "mean": np.mean, "min": np.min, "max": np.max}


def aggregate(found: dict[str, Any], how: str = "median") -> dict[str, np.ndarray]:
    """Each cell's figures from its runs' figures ``found[f]``: ``(n_points, n_seeds,
    n_starts)`` arrays as :func:`~gdwidget.sweeps.plan.run_block` gives them; the result's
    arrays are ``(n_points,)``."""
    if how not in _REDUCE:
        raise ValueError(f"aggregate must be one of {AGGREGATES}, got {how!r}")
    reduce = _REDUCE[how]

    def runs(f: str) -> np.ndarray:
        a = np.asarray(found[f], dtype=np.float64)
        return a.reshape(a.shape[0], -1)

    def over_runs(a: np.ndarray) -> np.ndarray:
        if a.shape[1] == 1:
            return a[:, 0].copy()  # one run: its own figure, NaN included
        return reduce(np.where(np.isnan(a), np.inf, a), axis=1)

    steps = runs("steps_to_tol")
    to_tol = over_runs(steps)
    div = runs("diverged").mean(axis=1)
    return {
        "final_loss": over_runs(runs("final_loss")),
        "best_loss": over_runs(runs("best_loss")),
        "steps_to_tol": np.where(np.isinf(to_tol), np.nan, to_tol),
        "diverged": (div > 0.5).astype(np.float64),
        "diverged_fraction": div,
        "reached_fraction": (~np.isnan(steps)).mean(axis=1),
    }
