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
first the loss buckets, up to ``2 ** _LOSS_FIRST`` columns wide (twice as wide a level,
each still keeping its extremes), then the paths' pixel tolerance, run by run, up to
``2 ** _PATH_FIRST`` pixels: each round doubles the tolerance of the runs that need the
most rows (:func:`.paths.demand`: an optimizer that scribbles within a pixel or two at its
minimum, such as Adam with a large rate, needs thousands of rows at one pixel, a smooth
path a few dozen), so that one such run does not coarsen the others; past both, the loss
buckets widen until one spans every step, and only then do the paths coarsen further. A
path drawn coarser says so (its bound, ``run_px``, is in the legend); a loss chart of
wide buckets would not.

:mod:`.prefilter` applies the same promises as rows arrive, so that thinning
is rare: a row is taken only if some run moved a fraction of a pixel, or the
loss extremes of its bucket need it; the error bounds it records feed this rule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .paths import demand, pixels, simplify

__all__ = [
    "LossFloor",
    "PixelView",
    "Selection",
    "bucket_width",
    "finite_edges",
    "m4_rows",
    "select_rows",
]

#: Pixel coordinates are clipped to this magnitude (far points stay far, without overflow).
_PX_LIMIT = 1e9
#: Rounds of coarsening only the runs that crowd the rows; then every run at once.
_RUN_ROUNDS = 64
#: Loss levels (buckets of 2**level columns) a thinning may take before any path coarsens,
#: and path levels (2**level pixels) before the loss buckets widen further.
_LOSS_FIRST = 4
_PATH_FIRST = 2


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
    tolerance : ndarray (R,)
        The pixel tolerance the path simplification held each run to (inf: none).
    width : int or None
        The loss buckets' width in steps (or their floor's, where wider); None when the
        extremes were given up.
    level : int
        How many times the loss buckets (and the tail) coarsened.
    run_level : ndarray (R,) of int
        How many times each run's path tolerance doubled.
    """

    keep: np.ndarray
    err: np.ndarray
    tolerance: np.ndarray
    width: int | None
    level: int
    run_level: np.ndarray


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
    floor: LossFloor | None = None,
    run_level: np.ndarray | None = None,
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
        Pixels the paths may deviate at run level 0.
    columns : int
        Pixel columns of the loss chart (its steps run from 0 to the last step).
    tail : int
        Newest rows always kept at level 0 (halved per level).
    level : int
        The loss buckets' level to start from (the previous thinning's, less one, is a
        good guess).
    floor : LossFloor, optional
        Narrowest loss buckets allowed, by step (earlier thinnings lost the finer ones).
    run_level : ndarray (R,) of int, optional
        Each run's path level to start from (the previous thinning's: its rows hold no
        finer bound); default 0.
    """
    n, R = err.shape
    run_level = np.zeros(R, np.int64) if run_level is None else np.array(run_level, np.int64)
    if n <= target:
        eps = tolerance * 2.0**run_level
        return Selection(np.arange(n), err.copy(), eps, 1, 0, run_level)
    last = int(steps[-1])
    fixed = np.zeros(n, dtype=bool)
    fixed[0] = fixed[-1] = True
    fixed |= finite_edges(np.isfinite(loss)) | finite_edges(np.isfinite(xy).all(axis=-1))
    base = bucket_width(last, columns)
    start = max(0, int(level))
    least = (floor or LossFloor()).at(steps)  # each row's narrowest bucket
    # so many runs that one bucket's extremes would take half the rows: paths only
    extremes = 2 * R + 2 <= target // 2
    widest = 0  # the level at which one bucket spans every step
    while extremes and (base << widest) <= last:
        widest += 1
    cand, cand_width = np.arange(n), 1  # the M4 rows at cand_width (M4 is compositional)

    def rows_at(lv: int) -> tuple[np.ndarray, int]:
        """The rows kept whatever the paths at loss level ``lv``, and its buckets' width."""
        nonlocal cand, cand_width
        width = base << min(lv, widest)  # each row's bucket: this or its floor's
        must = fixed.copy()
        if extremes:
            if width < cand_width:  # finer than the candidates: start again from every row
                cand, cand_width = np.arange(n), 1
            if width != cand_width:
                cand = cand[m4_rows(steps[cand], loss[cand], np.maximum(width, least[cand]))]
                cand_width = width
            must[cand] = True
        t = int(tail) >> lv
        if t:
            must[n - t :] = True
        return must, width

    top = max(widest, int(tail).bit_length())  # one bucket, no tail: the loss can give no more
    # the loss levels tried before the paths coarsen (all of them without loss extremes)
    cap = min(top, _LOSS_FIRST) if extremes else top
    start = min(start, top)
    px = pixels(xy, view)
    rounds = 0
    while True:
        eps = tolerance * 2.0**run_level
        # the finest loss level up to `cap` whose rows fit (each bucket still keeps its
        # extremes; the tail halves a level), galloping up from where the last thinning
        # ended, then bisecting; when none fits, the paths coarsen, or else the loss widens
        lo = lv = min(start, cap)
        stride, found = 1, None
        while True:
            must, width = rows_at(lv)
            keep = None
            if int(must.sum()) <= target:
                keep, new_err = simplify(xy, view, err, must, eps, px=px)
                if int(keep.sum()) <= target:
                    found = (lv, width, keep, new_err)
                    break
            if lv >= cap:
                break
            lo, lv, stride = lv + 1, min(cap, lv + stride), stride * 2
        if found is None:
            if keep is None:  # what must stay does not fit: the loss must give more
                if cap < top:
                    cap = top
                    continue
                break  # not even then: the last resort
            # coarsen the paths of the runs that crowd the rows (twice a level), up to
            # 2**_PATH_FIRST pixels before the loss widens past `cap`
            need = demand(xy, view, err, keep, must, eps, px=px)
            crowd = need * 2 >= need.max() if need.max() > 0 and rounds < _RUN_ROUNDS else True
            if cap < top and (run_level[crowd] >= _PATH_FIRST).any():
                cap = top
                continue
            run_level[crowd] += 1
            rounds += 1
            if (tolerance * 2.0**run_level > _PX_LIMIT).all():
                break
            continue
        while lo < found[0]:
            mid = (lo + found[0]) // 2
            must, width = rows_at(mid)
            if int(must.sum()) <= target:
                keep, new_err = simplify(xy, view, err, must, eps, px=px)
                if int(keep.sum()) <= target:
                    found = (mid, width, keep, new_err)
                    continue
            lo = mid + 1
        level, width, keep, new_err = found
        idx = np.flatnonzero(keep)
        kept_width = width if extremes else None
        return Selection(idx, new_err[idx], eps, kept_width, level, run_level)
    # last resort: no loss extremes, no path promise; first and last, then what fits
    idx = np.flatnonzero(fixed)
    if idx.size > target:
        idx = np.unique(idx[np.round(np.linspace(0, idx.size - 1, target)).astype(np.int64)])
    must = np.zeros(n, dtype=bool)
    must[idx] = True
    keep, new_err = simplify(xy, view, err, must, math.inf)
    return Selection(idx, new_err[idx], np.full(R, math.inf), None, top, run_level)
