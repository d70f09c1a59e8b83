"""The bounded history of full-data evaluations (training and validation loss and accuracy)."""

from __future__ import annotations

import numpy as np

from .buffers import DEFAULT_CAPACITY, DEFAULT_LOSS_PX
from .m4 import LossFloor, bucket_width, finite_edges, m4_rows

__all__ = ["EvalBuffer"]


class EvalBuffer:
    """A bounded history of evaluations: one row per evaluation, one value per run and key.

    Parameters
    ----------
    n_runs : int
    keys : list of str
        ``train_loss``, ``val_loss``, ``train_acc``, ``val_acc`` (those that apply).
    capacity : int
        Most rows held (>= 4), whatever ``n_runs``.
    columns : int
        Pixel columns of the chart the curves are drawn on.

    Notes
    -----
    When full it keeps at most half: the M4 rows of every key and run over
    buckets of steps (a power of two wide, about one column each, wider if
    that does not fit; :func:`.m4.m4_rows`), always the first and the last,
    and the rows on either side of a value turning NaN or back.
    Buckets made wider stay so for the steps they held only (:attr:`floor`, a
    :class:`.m4.LossFloor`): later evaluations start at one column again.
    :attr:`generation` goes up, so that a consumer knows its copy is stale.
    Values are float32.
    """

    def __init__(
        self,
        n_runs: int,
        keys: list[str],
        capacity: int = DEFAULT_CAPACITY,
        columns: int = DEFAULT_LOSS_PX,
    ) -> None:
        if isinstance(capacity, bool) or not isinstance(capacity, int | np.integer) or capacity < 4:
            raise ValueError(f"capacity must be an integer >= 4, got {capacity!r}")
        self.n_runs = int(n_runs)
        self.keys = list(keys)
        self.capacity = int(capacity)
        self.columns = int(columns)
        self._steps = np.zeros(self.capacity, dtype=np.int64)
        self._epochs = np.zeros(self.capacity, dtype=np.int64)
        self._values = np.zeros((len(self.keys), self.capacity, self.n_runs), dtype=np.float32)
        self.n = 0
        self.generation = 0
        self.floor = LossFloor()

    def __len__(self) -> int:
        return self.n

    def nbytes(self) -> int:
        return self._steps.nbytes + self._epochs.nbytes + self._values.nbytes

    def append(self, evals: dict[str, np.ndarray]) -> int:
        """Add a chunk's ``evals`` (``step``, ``epoch`` and the keys); returns the rows added."""
        steps = np.asarray(evals["step"], dtype=np.int64).reshape(-1)
        e = steps.shape[0]
        if e == 0:
            return 0
        epochs = np.asarray(evals.get("epoch", np.zeros(e)), dtype=np.int64).reshape(-1)
        with np.errstate(over="ignore"):
            vals = np.stack(
                [np.asarray(evals[k], dtype=np.float32).reshape(e, self.n_runs) for k in self.keys]
            )
        i = 0
        while i < e:
            if self.n == self.capacity:
                self._thin()
            k = min(e - i, self.capacity - self.n)
            sl = slice(self.n, self.n + k)
            self._steps[sl] = steps[i : i + k]
            self._epochs[sl] = epochs[i : i + k]
            self._values[:, sl] = vals[:, i : i + k]
            self.n += k
            i += k
        return e

    def _thin(self) -> None:
        n, target = self.n, self.capacity // 2
        steps = self._steps[:n]
        values = self._values[:, :n].transpose(1, 0, 2).reshape(n, -1)
        last = int(steps[-1])
        width, floor = bucket_width(last, self.columns), self.floor.at(steps)
        edges = finite_edges(np.isfinite(values))
        while True:
            keep = m4_rows(steps, values, np.maximum(width, floor)) | edges
            if int(keep.sum()) <= target or width > last:
                break
            width *= 2
        idx = np.flatnonzero(keep)
        if idx.size > target:  # more runs and keys than fit: first, last and what fits
            idx = np.unique(idx[np.round(np.linspace(0, idx.size - 1, target)).astype(np.int64)])
        self.floor = self.floor.raised(last, width)
        k = idx.size
        self._steps[:k] = self._steps[idx]
        self._epochs[:k] = self._epochs[idx]
        self._values[:, :k] = self._values[:, idx]
        self.n = k
        self.generation += 1

    def rows(self, start: int = 0) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """Views of rows ``start:``: steps, epochs and ``{key: (E, R)}``."""
        sl = slice(start, self.n)
        return (
            self._steps[sl],
            self._epochs[sl],
            {k: self._values[j, sl] for j, k in enumerate(self.keys)},
        )
