"""What a sweep reports of each run, from its loss curve: the one place these rules live.

- ``final_loss``: the loss after the last step (a diverged run keeps the loss it
  recorded when its numbers stopped being finite, as the engine freezes it);
- ``best_loss``: the lowest finite loss seen, the start included;
- ``steps_to_tol``: the first step whose loss is ``<= tol`` (0 when the start already is;
  NaN when never, or when ``tol`` is None);
- ``diverged``: the engine marked the run diverged (a loss or a parameter overflowed), or
  its final loss ended more than the engine's blow-up factor (1000) times above its start.

The curve may come in chunks (:class:`Tracker`), so that a sweep of many runs never holds
every step of every run at once; a whole :class:`~gdwidget.engine.History` gives the same
figures (:func:`from_history`), which is how a sweep is checked against runs done one by one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine.results import BLOWUP_FACTOR, BLOWUP_FLOOR

__all__ = ["FIGURES", "Tracker", "from_history"]

#: the columns a sweep reports per run, in table order
FIGURES = ("final_loss", "best_loss", "steps_to_tol", "diverged")


class Tracker:
    """The figures of ``n_runs`` runs, fed their loss rows chunk by chunk.

    Parameters
    ----------
    n_runs : int
    tol : float or None
        The loss level ``steps_to_tol`` waits for.
    """

    def __init__(self, n_runs: int, tol: float | None) -> None:
        self.tol = tol
        self.start: np.ndarray | None = None
        self.final = np.full(n_runs, np.nan)
        self.best = np.full(n_runs, np.inf)
        self.reached = np.full(n_runs, np.nan)

    def update(self, steps: np.ndarray, loss: np.ndarray) -> None:
        """Take rows ``loss[i]`` (one per run) recorded after ``steps[i]`` updates."""
        if len(steps) == 0:
            return
        loss = np.asarray(loss, dtype=np.float64)
        if self.start is None:
            self.start = loss[0].copy()
        self.final = loss[-1].copy()
        finite = np.where(np.isfinite(loss), loss, np.inf)
        self.best = np.minimum(self.best, finite.min(axis=0))
        if self.tol is not None:
            hit = loss <= self.tol
            first = np.argmax(hit, axis=0)
            new = np.isnan(self.reached) & hit.any(axis=0)
            self.reached[new] = np.asarray(steps)[first[new]]

    def result(self, status: list[str] | np.ndarray) -> dict[str, np.ndarray]:
        """The figures, given each run's engine status (``"diverged"`` or another)."""
        start = np.zeros_like(self.final) if self.start is None else self.start
        blown = ~np.isfinite(self.final) | (
            np.abs(self.final) > BLOWUP_FACTOR * np.maximum(np.abs(start), BLOWUP_FLOOR)
        )
        diverged = (np.asarray(status) == "diverged") | blown
        best = np.where(np.isinf(self.best), np.nan, self.best)
        return {
            "final_loss": self.final.copy(),
            "best_loss": best,
            "steps_to_tol": self.reached.copy(),
            "diverged": diverged,
        }


def from_history(hist: Any, tol: float | None) -> dict[str, np.ndarray]:
    """The figures of every run of a :class:`~gdwidget.engine.History` (``gd.run``)."""
    t = Tracker(hist.n_runs, tol)
    t.update(hist.steps, hist.loss)
    return t.result(hist.status)
