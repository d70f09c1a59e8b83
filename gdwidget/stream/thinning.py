"""The one thinning rule: which rows of a full history to keep.

A history row is one step with every run's loss and drawn point. When the
bounded history is full, :func:`select_rows` chooses at most ``target`` rows so
that what is drawn stays true:

* **paths keep their shape**: every run's polyline through the kept rows stays
  within ``tolerance`` pixels (of the current view) of every true point of that
  run. The selection is a Ramer-Douglas-Peucker simplification run on all runs
  at once on the plotted coordinates, with error *bounds* carried from earlier
  thinnings (``err``), so that repeated thinnings never add up to more than the
  tolerance;
* **loss curves keep their extremes**: per column of the loss chart (buckets of
  ``width`` steps, a power of two, about one pixel column each) the first, the
  last, and each run's smallest and largest finite loss are kept (M4
  aggregation, Jugel et al., VLDB 2014). Buckets of powers of two nest, so the
  extremes of a coarser bucket are among those of the finer ones kept earlier;
* the first and the last row, the newest ``tail`` rows, and the rows where a
  run's loss or point stops (or starts) being finite are always kept.

With so many runs that one bucket's extremes (``2 * R + 2`` rows) would take
more than half the rows, the loss extremes are given up (``width`` None) and
only the paths' promise is kept.

If that does not fit, the rule coarsens until it does, and says what it achieved:
first the loss buckets (twice as wide a level, each still keeping its extremes, until
one bucket spans every step), and only then the paths' pixel tolerance (twice a level).

:mod:`.prefilter` applies the same promises as rows arrive, so that thinning
is rare: a row is taken only if some run moved a fraction of a pixel, or the
loss extremes of its bucket need it; the error bounds it records feed this rule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._compiled import Background
from ..optim import _fused

__all__ = [
    "PixelView",
    "Selection",
    "bucket_width",
    "finite_edges",
    "m4_rows",
    "segment_distance",
    "select_rows",
    "simplify",
]

#: Pixel coordinates are clipped to this magnitude (far points stay far, without overflow).
_PX_LIMIT = 1e9
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
    _rdp.simplify(np.zeros((3, 1, 2)), np.zeros((3, 1), np.float32), keep, 1.0, _GREEDY_ROUNDS)


#: the compiled simplification (:mod:`._rdp`), loaded in the background the first time
COMPILED = Background("gdwidget-thinning-load", _warm)


@dataclass(frozen=True)
class PixelView:
    """The affine map from plotted coordinates to pixels of the landscape view."""

    x0: float
    y0: float
    sx: float
    sy: float

    @classmethod
    def from_bounds(cls, bounds: object, px: object) -> PixelView:
        """``bounds`` ``[[x0, x1], [y0, y1]]`` drawn on ``px`` ``(w, h)`` pixels."""
        try:
            (x0, x1), (y0, y1) = ((float(a), float(b)) for a, b in bounds)  # type: ignore[union-attr]
        except (TypeError, ValueError):
            raise ValueError(f"bounds must be [[x0, x1], [y0, y1]], got {bounds!r}") from None
        try:
            w, h = (float(v) for v in px)  # type: ignore[union-attr]
        except (TypeError, ValueError):
            raise ValueError(f"px must be (width, height), got {px!r}") from None
        if not all(math.isfinite(v) for v in (x0, x1, y0, y1)) or not (x1 > x0 and y1 > y0):
            raise ValueError(f"bounds must be finite with x1 > x0 and y1 > y0, got {bounds!r}")
        if not (math.isfinite(w) and math.isfinite(h) and w >= 1 and h >= 1):
            raise ValueError(f"px must be two finite numbers >= 1, got {px!r}")
        sx, sy = w / (x1 - x0), h / (y1 - y0)
        if not (math.isfinite(sx) and math.isfinite(sy) and sx > 0 and sy > 0):
            raise ValueError(f"bounds {bounds!r} on {px!r} pixels give no finite scale")
        return cls(x0, y0, sx, sy)

    def to_px(self, xy: np.ndarray) -> np.ndarray:
        """Pixel coordinates (float64) of points ``(..., 2)``; NaN where not finite."""
        out = np.empty(xy.shape, dtype=np.float64)
        with np.errstate(over="ignore", invalid="ignore"):
            np.subtract(xy[..., 0], self.x0, out=out[..., 0])
            out[..., 0] *= self.sx
            np.subtract(xy[..., 1], self.y0, out=out[..., 1])
            out[..., 1] *= self.sy
        bad = ~np.isfinite(out)
        np.clip(out, -_PX_LIMIT, _PX_LIMIT, out=out)
        out[bad] = np.nan
        return out

    def stretch(self, new: PixelView) -> float:
        """How much a pixel distance in this view can grow in ``new`` (at most)."""
        return max(new.sx / self.sx, new.sy / self.sy)


@dataclass
class Selection:
    """What :func:`select_rows` chose.

    Attributes
    ----------
    keep : ndarray (k,) of int
        Indices of the rows kept, increasing.
    err : ndarray (k, R)
        For each kept row, a bound (pixels) on the distance from every true
        point between the previous kept row and it to the segment joining them.
    tolerance : float
        The pixel tolerance the path simplification held to (inf: none).
    width : int or None
        The loss buckets' width in steps; None when the extremes were given up.
    level : int
        How many times the rule coarsened.
    """

    keep: np.ndarray
    err: np.ndarray
    tolerance: float
    width: int | None
    level: int


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


def m4_rows(steps: np.ndarray, values: np.ndarray, width: int) -> np.ndarray:
    """Rows of the M4 aggregate of each column of ``values`` over buckets of ``width`` steps.

    Per bucket (``steps // width``): its first and last row, and each column's
    first row of smallest and of largest finite value. ``(n,), (n, K) -> (n,)`` mask.
    """
    n = steps.shape[0]
    keep = np.zeros(n, dtype=bool)
    if n == 0:
        return keep
    b = np.asarray(steps) // int(width)
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


def simplify(
    xy: np.ndarray,
    view: PixelView,
    err: np.ndarray,
    must: np.ndarray,
    tolerance: float,
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
    tolerance : float
        Pixels.

    Returns
    -------
    keep : ndarray (n,) of bool
    err : ndarray (n, R)
        The bounds for the kept rows' segments (rows not kept: meaningless).

    Notes
    -----
    Dropping the rows strictly between kept rows ``a`` and ``b`` leaves, for
    run r, the bound ``max over v in (a, b) of d(v, ab) + max(err[v], err[v + 1])``
    (the distance to a segment is convex along a segment); ranges over the
    tolerance are split at their worst row, for every run together. With numba, the
    compiled form (:mod:`._rdp`) does the same, bit for bit, once it is loaded.
    """
    n, R = err.shape
    keep = must.copy()
    new_err = err.copy()
    px = np.empty((n, R, 2), dtype=np.float64 if n * R <= _BIG else np.float32)
    for s in range(0, R, _BLOCK):
        px[:, s : s + _BLOCK] = view.to_px(xy[:, s : s + _BLOCK])
    if px.dtype == np.float64 and _fused.enabled() and COMPILED.ready():
        from ._rdp import simplify as compiled  # noqa: PLC0415 - needs numba

        return keep, compiled(px, err, keep, float(tolerance), _GREEDY_ROUNDS)
    a, b = _ranges(keep)
    rounds = 0
    while a.size:
        k = a.size
        lens = b - a - 1
        off = np.zeros(k, dtype=np.int64)
        np.cumsum(lens[:-1], out=off[1:])
        total = int(lens.sum())
        rid = np.repeat(np.arange(k), lens)
        v = a[rid] + 1 + (np.arange(total) - off[rid])
        rowmax = np.zeros(total)
        rangemax = np.empty((k, R))
        for s in range(0, R, _BLOCK):
            sl = slice(s, s + _BLOCK)
            d = segment_distance(px[v, sl], px[a, sl][rid], px[b, sl][rid])
            d += np.maximum(err[v, sl], err[v + 1, sl])
            np.maximum(rowmax, d.max(axis=1), out=rowmax)
            rangemax[:, sl] = np.maximum.reduceat(d, off, axis=0)
        worst = rangemax.max(axis=1)
        ok = worst <= tolerance
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


def select_rows(
    steps: np.ndarray,
    loss: np.ndarray,
    xy: np.ndarray,
    err: np.ndarray,
    target: int,
    view: PixelView,
    *,
    tolerance: float,
    columns: int,
    tail: int = 0,
    level: int = 0,
    min_width: int = 1,
) -> Selection:
    """Choose at most ``target`` rows of a full history (see the module's doc).

    Parameters
    ----------
    steps : ndarray (n,)
    loss : ndarray (n, R)
    xy : ndarray (n, R, 2)
    err : ndarray (n, R)
        Error bounds carried from earlier thinnings (see :func:`simplify`).
    target : int
        Most rows to keep (>= 2).
    view : PixelView
    tolerance : float
        Pixels the paths may deviate at level 0.
    columns : int
        Pixel columns of the loss chart (its steps run from 0 to the last step).
    tail : int
        Newest rows always kept at level 0 (halved per level).
    level : int
        The level to start from (the previous thinning's, less one, is a good guess).
    min_width : int
        Narrowest loss bucket allowed (the widest used before: finer ones were lost).
    """
    n = steps.shape[0]
    if n <= target:
        return Selection(np.arange(n), err.copy(), tolerance, min_width, 0)
    last = int(steps[-1])
    fixed = np.zeros(n, dtype=bool)
    fixed[0] = fixed[-1] = True
    fixed |= finite_edges(np.isfinite(loss)) | finite_edges(np.isfinite(xy).all(axis=-1))
    base = bucket_width(last, columns)
    level = max(0, int(level))
    cand, cand_width = np.arange(n), 1  # the M4 rows at cand_width (M4 is compositional)
    # so many runs that one bucket's extremes would take half the rows: paths only
    extremes = 2 * loss.shape[1] + 2 <= target // 2
    # the paths' promise comes first: the loss buckets widen until one spans every step
    # (each still keeps its extremes) before the pixel tolerance grows
    widest = 0
    while extremes and (base << widest) <= last:
        widest += 1
    while True:
        loss_k = min(level, widest) if extremes else 0
        eps = tolerance * 2.0 ** (level - loss_k)
        width = max(base << loss_k, int(min_width))
        must = fixed.copy()
        if extremes:
            if width < cand_width:  # finer than the candidates: start again from every row
                cand, cand_width = np.arange(n), 1
            if width != cand_width:
                cand = cand[m4_rows(steps[cand], loss[cand], width)]
                cand_width = width
            must[cand] = True
        t = int(tail) >> level
        if t:
            must[n - t :] = True
        if int(must.sum()) <= target:
            keep, new_err = simplify(xy, view, err, must, eps)
            if int(keep.sum()) <= target:
                idx = np.flatnonzero(keep)
                return Selection(idx, new_err[idx], eps, width if extremes else None, level)
        elif (width > last or not extremes) and t == 0:
            break  # one bucket, no tail: coarsening the loss cannot help any more
        if eps > _PX_LIMIT:
            break
        level += 1
    # last resort: no loss extremes, no path promise; first and last, then what fits
    idx = np.flatnonzero(fixed)
    if idx.size > target:
        idx = np.unique(idx[np.round(np.linspace(0, idx.size - 1, target)).astype(np.int64)])
    must = np.zeros(n, dtype=bool)
    must[idx] = True
    keep, new_err = simplify(xy, view, err, must, math.inf)
    return Selection(idx, new_err[idx], math.inf, None, level)
