"""The loss curves' extremes: M4 buckets of steps, and what earlier thinnings left of them.

Per column of the loss chart (buckets of ``width`` steps, a power of two, about one pixel
column each) the first, the last, and each run's smallest and largest finite loss are kept
(M4 aggregation, Jugel et al., VLDB 2014). Buckets of powers of two nest, so the extremes of a
coarser bucket are among those of the finer ones kept earlier. :mod:`.thinning` applies it to
the history, :mod:`.evals` to the evaluations, and the plots and the monitor to their rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["LossFloor", "bucket_width", "finite_edges", "m4_rows"]


@dataclass(frozen=True)
class LossFloor:
    """The narrowest loss buckets left, by step.

    A thinning that kept the extremes of buckets ``w`` steps wide lost the finer ones of
    the steps it held, so the steps before ``end`` (the end of the bucket of its last step)
    keep buckets of at least ``w`` steps; later steps start fine again. ``ends`` increase
    and ``widths`` decrease (a pair that another covers is dropped).
    """

    ends: tuple[int, ...] = ()
    widths: tuple[int, ...] = ()

    def at(self, steps: np.ndarray) -> np.ndarray:
        """The narrowest width allowed at each of ``steps`` (1 where nothing was lost)."""
        widths = np.array((*self.widths, 1), dtype=np.int64)
        return widths[np.searchsorted(np.array(self.ends, dtype=np.int64), steps, "right")]

    def raised(self, last_step: int, width: int) -> LossFloor:
        """This floor after a thinning that kept buckets of ``width`` up to ``last_step``."""
        end = -(-(int(last_step) + 1) // int(width)) * int(width)
        pairs = sorted([*zip(self.ends, self.widths, strict=True), (end, int(width))])
        kept: list[tuple[int, int]] = []
        for e, w in reversed(pairs):  # latest end first: keep a pair wider than all later
            if not kept or w > kept[-1][1]:
                kept.append((e, w))
        kept.reverse()
        return LossFloor(tuple(e for e, _ in kept), tuple(w for _, w in kept))

    def pairs(self) -> list[list[int]]:
        return [[e, w] for e, w in zip(self.ends, self.widths, strict=True)]

    def starts(self, steps: np.ndarray, base: int) -> np.ndarray:
        """The first step of each of ``steps``' buckets, ``base`` steps wide or the floor's."""
        width: int | np.ndarray = base
        if self.ends and steps.size and steps[0] < self.ends[-1]:
            width = np.maximum(base, self.at(steps))
        return steps // width * width

    def count(self, stop: int, base: int) -> int:
        """How many buckets (``base`` steps wide or the floor's) span steps ``0..stop - 1``."""
        count, lo, prev = 0, 0, -1
        for end, floor in [*zip(self.ends, self.widths, strict=True), (math.inf, 1)]:
            hi = min(end, stop)  # steps lo..hi - 1 have buckets of one width
            if hi <= lo:
                continue
            w = max(base, floor)
            first, last = lo // w * w, (hi - 1) // w * w
            count += (last - first) // w + 1 - (first == prev)  # a bucket across the edge
            lo, prev = hi, last
        return count


def bucket_width(last_step: int, columns: int) -> int:
    """The smallest power of two ``w`` with ``ceil((last_step + 1) / w) <= columns``."""
    need = -(-(int(last_step) + 1) // max(1, int(columns)))
    return 1 << max(0, need - 1).bit_length()


def finite_edges(finite: np.ndarray) -> np.ndarray:
    """Rows on either side of a change of finiteness of any column: ``(n, K) -> (n,)``."""
    n = finite.shape[0]
    out = np.zeros(n, dtype=bool)
    if n > 1:
        change = (finite[1:] != finite[:-1]).any(axis=1)
        out[1:] |= change
        out[:-1] |= change
    return out


def _first_where(mask: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per segment (``starts``) and column, the first row where ``mask``; ``n`` if none."""
    n = mask.shape[0]
    pos = np.where(mask, np.arange(n)[:, None], n)
    return np.minimum.reduceat(pos, starts, axis=0)


def m4_rows(steps: np.ndarray, values: np.ndarray, width: int | np.ndarray) -> np.ndarray:
    """Rows of the M4 aggregate of each column of ``values`` over buckets of ``width`` steps
    (one width, or each row's: powers of two that tile the steps, see :class:`LossFloor`).

    Per bucket: its first and last row, and each column's first row of smallest and of
    largest finite value. ``(n,), (n, K) -> (n,)`` mask.
    """
    n = steps.shape[0]
    keep = np.zeros(n, dtype=bool)
    if n == 0:
        return keep
    width = np.asarray(width, dtype=np.int64)
    b = np.asarray(steps) // width * width  # each row's bucket, by its first step
    new = np.r_[True, b[1:] != b[:-1]]
    starts = np.flatnonzero(new)
    keep[starts] = True
    keep[np.r_[starts[1:] - 1, n - 1]] = True
    if values.size == 0:
        return keep
    seg = np.cumsum(new) - 1
    finite = np.isfinite(values)
    for fill, reduce in ((np.inf, np.minimum), (-np.inf, np.maximum)):
        v = np.where(finite, values, fill)
        ext = reduce.reduceat(v, starts, axis=0)
        first = _first_where(finite & (v == ext[seg]), starts)
        keep[first[first < n]] = True
    return keep
