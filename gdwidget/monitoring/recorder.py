"""The monitor's bounded history: one row per step, a column per logged value.

Rows come in through :meth:`Recorder.add` (the flusher ingests what ``log()`` and
the torch hook queued). A row whose step equals the last row's step is merged into
it (the optimizer's hook and ``m.log(loss=...)`` of the same step share one row).

When the history is full (``capacity`` rows), it is thinned to at most half of it
by the stream's M4 rule (:func:`gdwidget.stream.m4.m4_rows`): per bucket of
``width`` steps (a power of two, so that buckets nest from one thinning to the
next) the first and last row, and each curve's smallest and largest finite value.
The curves are every scalar's mean (and band edges with seeds), every lr column,
the global gradient norm and, when they fit, the per-layer norms. The bucket
width only grows, so the extremes of a bucket survive every later thinning.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from ..stream.m4 import bucket_width, m4_rows

__all__ = ["Block", "Recorder", "band_columns"]


class Block:
    """Rows gathered for :meth:`Recorder.add_block`: steps in order (a repeated step is
    the same row), and each value with the row it belongs to."""

    def __init__(self) -> None:
        self.steps: list[int] = []
        self.scalars: dict[str, tuple[list[int], list[Any]]] = {}
        self.lr_pos: list[int] = []
        self.lr_vals: list[list[float]] = []
        self.norm_pos: list[int] = []
        self.norm_vals: list[Any] = []
        self.clip_pos: list[int] = []

    def row(self, step: int) -> None:
        if not self.steps or step != self.steps[-1]:
            self.steps.append(step)

    def scalar(self, name: str, value: Any) -> None:
        pos, vals = self.scalars.setdefault(name, ([], []))
        pos.append(len(self.steps) - 1)
        vals.append(value)

    def lr(self, values: list[float]) -> None:
        self.lr_pos.append(len(self.steps) - 1)
        self.lr_vals.append(values)

    def norms(self, values: Any) -> None:
        self.norm_pos.append(len(self.steps) - 1)
        self.norm_vals.append(values)

    def clip(self) -> None:
        self.clip_pos.append(len(self.steps) - 1)


def band_columns(values: np.ndarray, band: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, lower and upper edge over the seeds of ``values`` ``(n, k)``, ignoring NaN.

    ``band="minmax"``: min and max; ``"std"``: mean -/+ the standard deviation
    (``ddof=0``). Rows with no finite value give NaN in all three.
    """
    finite = np.isfinite(values)
    count = finite.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        v0 = np.where(finite, values, 0.0)
        mean = v0.sum(axis=1) / count
        if band == "std":
            var = (np.where(finite, values - mean[:, None], 0.0) ** 2).sum(axis=1) / count
            sd = np.sqrt(var)
            lo, hi = mean - sd, mean + sd
        else:
            lo = np.where(finite, values, np.inf).min(axis=1)
            hi = np.where(finite, values, -np.inf).max(axis=1)
    none = count == 0
    for a in (mean, lo, hi):
        a[none] = np.nan
    return mean, lo, hi


class Recorder:
    """The bounded, columnar history of a monitor (not thread-safe: the caller locks).

    Parameters
    ----------
    capacity : int
        Most rows held (``max_history``).
    band : {"minmax", "std"}
    groups : list of str
        The lr columns (``"lr/0"``, ...), fixed.
    layers : list of str
        Per-layer gradient-norm names, fixed.
    grads : bool
        Whether gradient norms and clipping are recorded (a torch optimizer or model).
    """

    def __init__(
        self,
        capacity: int,
        band: str = "minmax",
        groups: list[str] | None = None,
        layers: list[str] | None = None,
        grads: bool = False,
    ) -> None:
        self.capacity = int(capacity)
        self.band = band
        self.groups = list(groups or [])
        self.layers = list(layers or [])
        self.grads = bool(grads)
        self.names: list[str] = []
        self.seeds: dict[str, int] = {}
        self.n = 0
        #: increases on each thinning (rows before it are no longer what the page holds)
        self.generation = 0
        #: the M4 bucket width of the last thinning (steps); never decreases
        self.width = 1
        #: smallest row index changed since the caller last looked (merges into old rows)
        self.dirty_from = math.inf
        cap = self.capacity
        self.steps = np.zeros(cap, dtype=np.int64)
        self.scalars: dict[str, np.ndarray] = {}
        self.lr = np.full((cap, len(self.groups)), np.nan)
        self.grad_norm = np.full(cap, np.nan)
        self.layer_norms = np.full((cap, len(self.layers)), np.nan)
        self.clipped = np.zeros(cap, dtype=bool)

    # -- rows in --------------------------------------------------------------------------
    @property
    def last_step(self) -> int | None:
        return int(self.steps[self.n - 1]) if self.n else None

    def add(
        self,
        step: int,
        scalars: dict[str, Any] | None = None,
        lr: list[float] | None = None,
        norms: list[float] | None = None,
        clipped: bool = False,
    ) -> None:
        """One row: ``norms`` is the per-layer norms followed by the global one."""
        block = Block()
        block.row(step)
        for name, v in (scalars or {}).items():
            block.scalar(name, v)
        if lr is not None:
            block.lr(lr)
        if norms is not None:
            block.norms(norms)
        if clipped:
            block.clip()
        self.add_block(block)

    def add_block(self, block: Block) -> None:
        """Rows in bulk (what the flusher ingests at once), with their values in columns."""
        m = len(block.steps)
        if m == 0:
            return
        steps = np.asarray(block.steps, dtype=np.int64)
        if self.n and steps[0] < self.steps[self.n - 1]:
            raise ValueError(f"step {steps[0]} comes after step {self.steps[self.n - 1]}")
        for name, (_, vals) in block.scalars.items():
            if name not in self.scalars:
                v = vals[0]
                self._new_scalar(name, 1 if isinstance(v, float) else len(v))
        dense = self._dense(block, m)
        i0 = 0
        if self.n and steps[0] == self.steps[self.n - 1]:  # a merge: the page may hold it
            self._write(self.n - 1, dense, slice(0, 1), merge=True)
            self.dirty_from = min(self.dirty_from, self.n - 1)
            i0 = 1
        while i0 < m:
            if self.n >= self.capacity:
                self.thin()
            take = min(m - i0, self.capacity - self.n)
            self.steps[self.n : self.n + take] = steps[i0 : i0 + take]
            self._write(self.n, dense, slice(i0, i0 + take), merge=False)
            self.n += take
            i0 += take

    def _dense(self, block: Block, m: int) -> dict[str, Any]:
        out: dict[str, Any] = {"scalars": {}}
        for name, (pos, vals) in block.scalars.items():
            a = np.full((m, self.seeds[name]), np.nan)
            a[pos] = np.asarray(vals, dtype=np.float64).reshape(len(pos), -1)
            out["scalars"][name] = a
        if block.lr_pos and self.groups:
            a = np.full((m, len(self.groups)), np.nan)
            a[block.lr_pos] = np.asarray(block.lr_vals, dtype=np.float64)
            out["lr"] = a
        if block.norm_pos and self.grads:
            a = np.full((m, len(self.layers) + 1), np.nan)
            a[block.norm_pos] = np.asarray(block.norm_vals, dtype=np.float64)
            out["norms"] = a
        if block.clip_pos:
            a = np.zeros(m, dtype=bool)
            a[block.clip_pos] = True
            out["clipped"] = a
        return out

    def _write(self, i: int, dense: dict[str, Any], rows: slice, merge: bool) -> None:
        """Rows ``rows`` of ``dense`` into rows from ``i``; a merge keeps what is not given."""
        k = rows.stop - rows.start
        dst = slice(i, i + k)

        def put(col: np.ndarray, new: np.ndarray | None) -> None:
            if new is None:
                if not merge:
                    col[dst] = np.nan
            elif merge:
                col[dst] = np.where(np.isnan(new[rows]), col[dst], new[rows])
            else:
                col[dst] = new[rows]

        for name, col in self.scalars.items():
            put(col, dense["scalars"].get(name))
        put(self.lr, dense.get("lr"))
        norms = dense.get("norms")
        put(self.layer_norms, None if norms is None else norms[:, :-1])
        put(self.grad_norm, None if norms is None else norms[:, -1])
        clipped = dense.get("clipped")
        if clipped is not None:
            self.clipped[dst] = clipped[rows] | (self.clipped[dst] if merge else False)
        elif not merge:
            self.clipped[dst] = False

    def _new_scalar(self, name: str, k: int) -> np.ndarray:
        col = np.full((self.capacity, k), np.nan)
        self.scalars[name] = col
        self.names.append(name)
        self.seeds[name] = k
        return col

    # -- thinning -------------------------------------------------------------------------
    def curves(self, stop: int | None = None, layers: bool = True) -> np.ndarray:
        """Every drawn curve of rows ``[0, stop)`` side by side, ``(n, C)``."""
        n = self.n if stop is None else stop
        cols: list[np.ndarray] = []
        for name in self.names:
            v = self.scalars[name][:n]
            if v.shape[1] == 1:
                cols.append(v[:, 0])
            else:
                cols.extend(band_columns(v, self.band))
        cols.extend(self.lr[:n].T)
        if self.grads:
            cols.append(self.grad_norm[:n])
            if layers:
                cols.extend(self.layer_norms[:n].T)
        return np.stack(cols, axis=1) if cols else np.zeros((n, 0))

    def thin(self, target: int | None = None) -> np.ndarray:
        """Keep at most ``target`` rows (default half the capacity); returns the kept indices.

        The M4 rows at the narrowest bucket width (>= the last one) that fit; if even one
        bucket over every step does not fit with the per-layer norms, they are left out
        of the rule; if nothing fits, evenly spaced rows with the first and the last.
        """
        n = self.n
        target = max(2, self.capacity // 2 if target is None else int(target))
        if n <= target:
            return np.arange(n)
        steps = self.steps[:n]
        span = int(steps[-1] - steps[0])
        keep = None
        for layers in (True, False):
            values = self.curves(n, layers=layers)
            width = max(self.width, bucket_width(span, max(1, target // 4)))
            while True:
                mask = m4_rows(steps - steps[0], values, width)
                if int(mask.sum()) <= target:
                    keep = np.flatnonzero(mask)
                    break
                if width > span:
                    break
                width *= 2
            if keep is not None:
                self.width = width
                break
        if keep is None:  # too many curves for the rows: first, last and evenly spaced
            keep = np.unique(np.round(np.linspace(0, n - 1, target)).astype(np.int64))
            self.width = max(self.width, span + 1)
        self._compact(keep)
        return keep

    def _compact(self, keep: np.ndarray) -> None:
        k = keep.size
        self.steps[:k] = self.steps[keep]
        for a in self.scalars.values():
            a[:k] = a[keep]
        self.lr[:k] = self.lr[keep]
        self.grad_norm[:k] = self.grad_norm[keep]
        self.layer_norms[:k] = self.layer_norms[keep]
        self.clipped[:k] = self.clipped[keep]
        self.n = k
        self.generation += 1
        self.dirty_from = 0

    # -- rows out -------------------------------------------------------------------------
    def columns(self) -> list[str]:
        """The frame columns (docs/protocol.md, Monitor), in order."""
        out: list[str] = []
        for name in self.names:
            out.append(name)
            if self.seeds[name] > 1:
                out += [f"{name}:lo", f"{name}:hi"]
        out += self.groups
        if self.grads:
            out.append("grad_norm")
            out += [f"layer:{name}" for name in self.layers]
            out.append("clipped")
        return out

    def rows(self, start: int, stop: int) -> tuple[np.ndarray, list[np.ndarray]]:
        """Steps (float64) and each column of :meth:`columns` for rows ``[start, stop)``."""
        sl = slice(start, stop)
        cols: list[np.ndarray] = []
        for name in self.names:
            v = self.scalars[name][sl]
            if v.shape[1] == 1:
                cols.append(v[:, 0])
            else:
                cols.extend(band_columns(v, self.band))
        cols.extend(self.lr[sl].T)
        if self.grads:
            cols.append(self.grad_norm[sl])
            cols.extend(self.layer_norms[sl].T)
            cols.append(self.clipped[sl].astype(np.float64))
        return self.steps[sl].astype(np.float64), cols

    def snapshot(self) -> dict[str, Any]:
        """Copies of the rows held."""
        n = self.n
        return {
            "steps": self.steps[:n].copy(),
            "scalars": {k: self.scalars[k][:n].copy() for k in self.names},
            "lr": {g: self.lr[:n, j].copy() for j, g in enumerate(self.groups)},
            "grad_norm": self.grad_norm[:n].copy(),
            "layers": list(self.layers),
            "layer_norms": self.layer_norms[:n].copy(),
            "clipped": self.clipped[:n].copy(),
        }
