"""The paths' simplification: which rows keep every run's drawn path within its tolerance.

:func:`simplify` is Ramer-Douglas-Peucker on the plotted coordinates of all runs at once,
with error *bounds* carried from earlier simplifications (``err``), so that repeated
thinnings never add up to more than the tolerance; :func:`demand` says how many of the
rows kept each run needs, so that a thinning that cannot keep every run within the pixel
coarsens only the runs that crowd the rows. The compiled form is :mod:`._rdp`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .._compiled import Background
from ..optim import _fused

if TYPE_CHECKING:
    from .thinning import PixelView

__all__ = ["COMPILED", "demand", "pixels", "segment_distance", "simplify"]

#: Runs handled at once in the distance computations (bounds temporary memory).
_BLOCK = 64
#: Above this many points, pixel coordinates are float32 (1000 runs of 4096 rows).
_BIG = 1 << 20
#: RDP rounds splitting at the worst point only; later rounds also split at the middle,
#: so that the number of rounds stays logarithmic on spirals.
_GREEDY_ROUNDS = 32


def _warm() -> None:
    from . import _rdp  # noqa: PLC0415 - needs numba

    keep = np.array([True, False, True])
    _rdp.simplify(
        np.zeros((3, 1, 2)), np.zeros((3, 1), np.float32), keep, np.ones(1), _GREEDY_ROUNDS
    )


#: the compiled simplification (:mod:`._rdp`), loaded in the background the first time
COMPILED = Background("gdwidget-thinning-load", _warm)


def segment_distance(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance from points ``p`` to segments ``a``-``b`` (``(..., 2)`` each); 0 where NaN."""
    ab = b - a
    ap = p - a
    den = (ab * ab).sum(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(den > 0, (ap * ab).sum(-1) / np.where(den > 0, den, 1.0), 0.0)
    t = np.clip(t, 0.0, 1.0)[..., None]
    d = np.sqrt(((ap - t * ab) ** 2).sum(-1))
    return np.where(np.isfinite(d), d, 0.0)


def _ranges(keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    idx = np.flatnonzero(keep)
    a, b = idx[:-1], idx[1:]
    sel = b - a > 1
    return a[sel], b[sel]


def pixels(xy: np.ndarray, view: PixelView) -> np.ndarray:
    """``view.to_px`` of ``(n, R, 2)`` points, a block of runs at a time (float32 when big)."""
    n, R = xy.shape[:2]
    px = np.empty((n, R, 2), dtype=np.float64 if n * R <= _BIG else np.float32)
    for s in range(0, R, _BLOCK):
        px[:, s : s + _BLOCK] = view.to_px(xy[:, s : s + _BLOCK])
    return px


def simplify(
    xy: np.ndarray,
    view: PixelView,
    err: np.ndarray,
    must: np.ndarray,
    tolerance: float | np.ndarray,
    *,
    px: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Ramer-Douglas-Peucker on every run at once, with carried error bounds.

    Parameters
    ----------
    xy : ndarray (n, R, 2)
        The plotted points of the rows held.
    view : PixelView
    err : ndarray (n, R)
        ``err[i, r]`` bounds (pixels) the distance of run r's true points between
        rows ``i - 1`` and ``i`` to the segment joining them (``err[0]`` is 0).
    must : ndarray (n,) of bool
        Rows kept whatever the shape (the first and the last among them).
    tolerance : float or ndarray (R,)
        Pixels, for every run or each run's own.
    px : ndarray (n, R, 2), optional
        ``pixels(xy, view)``, when the caller has it already.

    Returns
    -------
    keep : ndarray (n,) of bool
    err : ndarray (n, R)
        The bounds for the kept rows' segments (rows not kept: meaningless).

    Notes
    -----
    Dropping the rows strictly between kept rows ``a`` and ``b`` leaves, for
    run r, the bound ``max over v in (a, b) of d(v, ab) + max(err[v], err[v + 1])``
    (the distance to a segment is convex along a segment); a range where some run's
    bound is over its tolerance is split, for every run together, at the row worst
    by bound over tolerance. With numba, the compiled form (:mod:`._rdp`) does the
    same, bit for bit, once it is loaded.
    """
    # a writable copy: the compiled form is loaded for writable arrays (a read-only one
    # would load another specialization at the first thinning)
    eps = np.array(np.broadcast_to(np.asarray(tolerance, dtype=np.float64), err.shape[1:]))
    keep = must.copy()
    new_err = err.copy()
    px = pixels(xy, view) if px is None else px
    if px.dtype == np.float64 and _fused.enabled() and COMPILED.ready():
        from ._rdp import simplify as compiled  # noqa: PLC0415 - needs numba

        return keep, compiled(px, err, keep, eps, _GREEDY_ROUNDS)
    a, b = _ranges(keep)
    rounds = 0
    while a.size:
        r = _Ranges(a, b)
        rangemax, rowmax = r.bounds(px, err, eps)
        total, v, off, rid = r.total, r.v, r.off, r.rid
        worst = (rangemax / eps).max(axis=1)
        ok = worst <= 1.0
        new_err[b[ok]] = rangemax[ok]
        bad = ~ok
        if not bad.any():
            break
        first = np.minimum.reduceat(
            np.where(rowmax == worst[rid], np.arange(total), total), off
        ).clip(max=total - 1)
        split, lo_end, hi_end = v[first][bad], a[bad], b[bad]
        keep[split] = True
        if rounds >= _GREEDY_ROUNDS:
            mid = (lo_end + hi_end) // 2
            keep[mid] = True
            lo, hi = np.minimum(split, mid), np.maximum(split, mid)
            a = np.concatenate([lo_end, lo, hi])
            b = np.concatenate([lo, hi, hi_end])
        else:
            a = np.concatenate([lo_end, split])
            b = np.concatenate([split, hi_end])
        sel = b - a > 1
        a, b = a[sel], b[sel]
        rounds += 1
    return keep, new_err


class _Ranges:
    """Ranges ``a[i]``-``b[i]`` of rows and the rows strictly inside them, all in one array."""

    def __init__(self, a: np.ndarray, b: np.ndarray) -> None:
        self.a, self.b = a, b
        lens = b - a - 1
        self.off = np.zeros(a.size, dtype=np.int64)  # where each range's rows start in v
        np.cumsum(lens[:-1], out=self.off[1:])
        self.total = int(lens.sum())
        self.rid = np.repeat(np.arange(a.size), lens)  # each inside row's range
        self.v = a[self.rid] + 1 + (np.arange(self.total) - self.off[self.rid])

    def bounds(self, px: np.ndarray, err: np.ndarray, eps: np.ndarray):
        """Each range's bound per run if its inside rows were dropped ``(k, R)``, and each
        inside row's largest bound over tolerance among the runs ``(total,)``."""
        a, b, v, rid, off = self.a, self.b, self.v, self.rid, self.off
        R = err.shape[1]
        rowmax = np.zeros(self.total)
        rangemax = np.empty((a.size, R))
        for s in range(0, R, _BLOCK):
            sl = slice(s, s + _BLOCK)
            d = segment_distance(px[v, sl], px[a, sl][rid], px[b, sl][rid])
            d += np.maximum(err[v, sl], err[v + 1, sl])
            np.maximum(rowmax, (d / eps[sl]).max(axis=1), out=rowmax)
            rangemax[:, sl] = np.maximum.reduceat(d, off, axis=0)
        return rangemax, rowmax


def demand(
    xy: np.ndarray,
    view: PixelView,
    err: np.ndarray,
    keep: np.ndarray,
    must: np.ndarray,
    tolerance: np.ndarray,
    *,
    px: np.ndarray | None = None,
) -> np.ndarray:
    """Per run, how many of the rows ``keep`` holds beyond ``must`` it needs: rows whose
    dropping alone would put some of that run's points over its tolerance (``(R,)`` ints;
    the arguments are those of :func:`simplify` and what it kept)."""
    out = np.zeros(err.shape[1], dtype=np.int64)
    idx = np.flatnonzero(keep)
    j = np.arange(1, max(1, idx.size - 1))
    j = j[~must[idx[j]]]
    if j.size:
        eps = np.broadcast_to(np.asarray(tolerance, dtype=np.float64), out.shape)
        px = pixels(xy, view) if px is None else px
        rangemax, _ = _Ranges(idx[j - 1], idx[j + 1]).bounds(px, err, eps)
        out += (rangemax > eps).sum(axis=0)
    return out
