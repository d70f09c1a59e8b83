"""The one thinning rule: which rows of a full history to keep.

A history row is one step with every run's loss and drawn point. When the
bounded history is full, :func:`select_rows` chooses at most ``target`` rows so
that what is drawn stays true:

* **paths keep their shape**: every true point of a run stays within ``tolerance``
  pixels (of the current view) of the run's polyline through the kept rows, and every
  point of that polyline within it of the true path. The selection is a
  Ramer-Douglas-Peucker simplification run on all runs at once on the plotted
  coordinates, with error *bounds* carried from earlier thinnings (``err``), so that
  repeated thinnings never add up to more than the tolerance;
* **loss curves keep their extremes** (:mod:`.m4`): per column of the loss chart the
  first, the last, and each run's smallest and largest finite loss are kept;
* the first and the last row, the newest ``tail`` rows, and the rows where a
  run's loss or point stops (or starts) being finite are always kept.

With so many runs that one bucket's extremes (``2 * R + 2`` rows) would take
more than half the rows, the loss extremes are given up (``width`` None) and
only the paths' promise is kept.

If that does not fit, the runs that need the most rows (:func:`.paths.demand`) first let go
the rows that their drawn paths already cover (:mod:`.cover`; a run that did before does so
at once); that keeps an optimizer scribbling within a pixel or two of its minimum within the
tolerance for as long as it runs. If that is not enough, the rule coarsens until the rows
fit, and says what it achieved: first the loss buckets, up to ``2 ** _LOSS_FIRST`` columns
wide (twice as wide a level, each still keeping its extremes), then the paths' pixel
tolerance, run by run, up to ``2 ** _PATH_FIRST`` pixels: each round doubles the tolerance
of the runs that need the most rows (:func:`.paths.demand`: an optimizer that scribbles
within a pixel or two at its minimum, such as Adam with a large rate, needs thousands of
rows at one pixel, a smooth path a few dozen), so that one such run does not coarsen the
others; past both, the loss buckets widen until one spans every step, and only then do the
paths coarsen further. A path drawn coarser says so (its bound, ``run_px``, is in the
legend); a loss chart of wide buckets would not.

:mod:`.prefilter` applies the same promises as rows arrive, so that thinning
is rare: a row is taken only if some run moved a fraction of a pixel, or the
loss extremes of its bucket need it; the error bounds it records feed this rule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .cover import WINDOW_SHARE, Window, in_windows, kept_ranges_all, relax
from .m4 import LossFloor, bucket_width, finite_edges, m4_rows
from .paths import demand, pixels, simplify

__all__ = ["PixelView", "Selection", "select_rows"]

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

    @classmethod
    def around(cls, xy: np.ndarray, px: object) -> PixelView:
        """A view of the finite points ``xy`` ``(..., 2)``, twice their spread (at least 2 wide)."""
        pts = xy[np.isfinite(xy).all(axis=-1)]
        lo, hi = (pts.min(axis=0), pts.max(axis=0)) if pts.size else (np.zeros(2), np.zeros(2))
        half = np.maximum(0.5 * (hi - lo), 1.0)
        mid = 0.5 * (lo + hi)
        lo, hi = mid - 2 * half, mid + 2 * half
        return cls.from_bounds([[lo[0], hi[0]], [lo[1], hi[1]]], px)

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
    windows : tuple of :class:`.cover.Window`
        The rows kept for good, so far (see :mod:`.cover`).
    cover : ndarray (k, R) of bool
        Where ``err`` bounds the distance of the true points to the run's windows' path.
    """

    keep: np.ndarray
    err: np.ndarray
    tolerance: np.ndarray
    width: int | None
    level: int
    run_level: np.ndarray
    windows: tuple[Window, ...] = ()
    cover: np.ndarray | None = None


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
    windows: tuple[Window, ...] = (),
    cover: np.ndarray | None = None,
    maps: dict | None = None,
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
    windows : tuple of :class:`.cover.Window`
        Rows kept for good (:mod:`.cover`); a thinning may add some.
    cover : ndarray (n, R) of bool, optional
        Where ``err`` bounds the distance to the run's windows' path (:mod:`.cover`).
    maps : dict, optional
        Where :mod:`.cover` keeps its distance maps from one thinning to the next.
    """
    n, R = err.shape
    cover = np.zeros((n, R), dtype=bool) if cover is None else cover
    run_level = np.zeros(R, np.int64) if run_level is None else np.array(run_level, np.int64)
    if n <= target:
        eps = tolerance * 2.0**run_level
        return Selection(np.arange(n), err.copy(), eps, 1, 0, run_level, windows, cover.copy())
    last = int(steps[-1])
    fixed = np.zeros(n, dtype=bool)
    fixed[0] = fixed[-1] = True
    fixed |= finite_edges(np.isfinite(loss)) | finite_edges(np.isfinite(xy).all(axis=-1))
    fixed |= in_windows(steps, windows)
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
    relaxed = np.zeros(R, dtype=bool)

    def relax_runs(runs: np.ndarray) -> None:
        """Let the rows go that ``runs``' drawn paths cover (:mod:`.cover`), once a thinning."""
        nonlocal px, err, cover, windows, fixed
        runs = runs & ~relaxed
        if not runs.any():
            return
        relaxed[runs] = True
        eps = tolerance * 2.0**run_level
        px, err, cover, ends, windows = relax(
            steps, px, err, cover, eps, np.flatnonzero(runs), windows,
            stop=n - int(tail), budget=target // WINDOW_SHARE, maps=maps,
        )  # fmt: skip
        fixed |= ends | in_windows(steps, windows)

    # the runs that crowded the rows before (they have windows) first, then those that do now
    relax_runs(np.isin(np.arange(R), [w.run for w in windows]))
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
            crowd = np.broadcast_to(crowd, (R,))
            if (crowd & ~relaxed).any():  # first let go the rows their drawn paths cover
                relax_runs(crowd)
                continue
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
        kept_cover = kept_ranges_all(cover, idx)
        return Selection(idx, new_err[idx], eps, kept_width, level, run_level, windows, kept_cover)
    # last resort: no loss extremes, no path promise; first and last, then what fits
    idx = np.flatnonzero(fixed)
    if idx.size > target:
        idx = np.unique(idx[np.round(np.linspace(0, idx.size - 1, target)).astype(np.int64)])
    must = np.zeros(n, dtype=bool)
    must[idx] = True
    keep, new_err = simplify(xy, view, err, must, math.inf)
    kept_cover = kept_ranges_all(cover, idx)
    inf = np.full(R, math.inf)
    return Selection(idx, new_err[idx], inf, None, top, run_level, windows, kept_cover)
