"""What a monitor recorded: :class:`MonitorHistory`, a copy of its bounded history."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["MonitorHistory"]


@dataclass
class MonitorHistory:
    """A copy of a monitor's bounded history (rows thinned past ``max_history``).

    Attributes
    ----------
    steps : ndarray (n,) of int64
        Increasing; not contiguous once the history was thinned.
    scalars : dict of str to ndarray (n, k)
        Each logged name, ``k`` values per step (``k > 1``: several seeds); NaN where
        the name was not logged at that step.
    lr : dict of str to ndarray (n,)
        Each torch param group's learning rate (``"lr/0"``, ...).
    grad_norm : ndarray (n,)
        The global gradient L2 norm (NaN without torch, or where it was not read).
    layers : list of str
    layer_norms : ndarray (n, L)
        Each layer's gradient L2 norm.
    clipped : ndarray (n,) of bool
        Steps where ``clip_grad_norm_`` found a norm above its ``max_norm``.
    path_steps : ndarray (k,) of int64
    path : ndarray (k, 2)
        The sampled parameter path on its plane (empty without one).
    """

    steps: np.ndarray
    scalars: dict[str, np.ndarray]
    lr: dict[str, np.ndarray]
    grad_norm: np.ndarray
    layers: list[str]
    layer_norms: np.ndarray
    clipped: np.ndarray
    path_steps: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    path: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))

    def __len__(self) -> int:
        return int(self.steps.shape[0])

    def to_pandas(self) -> Any:
        """One row per step (indexed by ``step``).

        Columns: each scalar's mean over seeds (and ``name[0]``, ``name[1]``, ... when
        logged with several), each lr column, ``grad_norm``, ``grad_norm/<layer>`` for
        each layer and ``clipped`` (the last four with torch only).
        """
        try:
            import pandas as pd
        except ImportError:  # pragma: no cover - pandas is in the test environment
            raise ImportError(
                'MonitorHistory.to_pandas needs pandas: pip install "gdwidget[pandas]"'
            ) from None
        cols: dict[str, np.ndarray] = {}
        for name, v in self.scalars.items():
            finite = np.isfinite(v)
            count = finite.sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = np.where(finite, v, 0.0).sum(axis=1) / count
            mean[count == 0] = np.nan
            cols[name] = mean
            if v.shape[1] > 1:
                for j in range(v.shape[1]):
                    cols[f"{name}[{j}]"] = v[:, j]
        cols.update(self.lr)
        if self.layers or np.isfinite(self.grad_norm).any():
            cols["grad_norm"] = self.grad_norm
            for j, name in enumerate(self.layers):
                cols[f"grad_norm/{name}"] = self.layer_norms[:, j]
            cols["clipped"] = self.clipped
        index = pd.Index(self.steps, name="step")
        return pd.DataFrame(cols, index=index)
