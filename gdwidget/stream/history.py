"""The copy of a Playground's bounded history that users read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..engine import evals_table, long_table

__all__ = ["DecimatedHistory"]


@dataclass
class DecimatedHistory:
    """A copy of a Playground's bounded history, on the host.

    Unlike the headless :class:`gdwidget.engine.History`, rows are *thinned*:
    ``steps`` is increasing but not contiguous once a run outgrows the buffer,
    and the points are the drawn 2-D ones (``xy``: the first two parameters by
    default), not every parameter. What the rows keep is in :attr:`precision`
    (see :mod:`gdwidget.stream.thinning`): every step's point within ``px``
    pixels of its run's polyline, and each bucket of ``loss_steps`` steps its
    first, last, smallest and largest loss.

    Attributes
    ----------
    steps : ndarray (n,) of int64
    loss, grad_norm, lr : ndarray (n, n_runs)
    xy : ndarray (n, n_runs, 2)
    labels, groups : list of str
    status : list of str
        ``"running"``, ``"converged"``, ``"diverged"`` or ``"stopped"``.
    stop_step : ndarray of int
        The step at which each run stopped, -1 while running.
    precision : dict
        :attr:`gdwidget.stream.HistoryBuffer.precision` at the time of the copy.
    evals : dict of ndarray, or None
        The full-data evaluations held (bounded too): ``step`` and ``epoch``
        ``(E,)``, and ``train_loss``, ``val_loss``, ``train_acc``, ``val_acc``
        ``(E, n_runs)`` where they apply; None when the run never evaluated.
    """

    steps: np.ndarray
    loss: np.ndarray
    xy: np.ndarray
    grad_norm: np.ndarray
    lr: np.ndarray
    labels: list[str]
    groups: list[str]
    status: list[str] = field(default_factory=list)
    stop_step: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    precision: dict[str, Any] = field(default_factory=dict)
    evals: dict[str, np.ndarray] | None = None

    @property
    def n_runs(self) -> int:
        return len(self.labels)

    @property
    def params(self) -> np.ndarray:
        """Alias of :attr:`xy` (the drawn coordinates)."""
        return self.xy

    @property
    def final_loss(self) -> np.ndarray:
        return self.loss[-1]

    def __len__(self) -> int:
        return int(self.steps.shape[0])

    def to_pandas(self) -> Any:
        """One row per kept step and run: step, run, optimizer, loss, grad_norm, lr, x, y."""
        cols = {"loss": self.loss, "grad_norm": self.grad_norm, "lr": self.lr}
        cols.update(x=self.xy[:, :, 0], y=self.xy[:, :, 1])
        return long_table(self.steps, self.labels, self.groups, cols)

    def evals_to_pandas(self) -> Any:
        """One row per evaluation and run: step, epoch, run, optimizer and the evaluated keys."""
        return evals_table(self.evals, self.labels, self.groups)
