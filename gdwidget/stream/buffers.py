"""The bounded history of many runs, on the host.

Rows arrive every step; :class:`HistoryBuffer` takes those that change what is
drawn (a pre-filter, vectorized over each chunk) and, when it is full, thins
them with the one rule of :mod:`.thinning`. Memory is ``O(capacity * n_runs)``
however long the run goes and however many runs there are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..optim import _fused
from . import sleeve
from .cover import Window
from .m4 import LossFloor, bucket_width
from .prefilter import Ball, must_take
from .thinning import PixelView, select_rows

__all__ = [
    "BALL_FRACTION",
    "DEFAULT_CAPACITY",
    "DEFAULT_LOSS_PX",
    "DEFAULT_PLOT_PX",
    "DEFAULT_TOLERANCE_PX",
    "HistoryBuffer",
    "Rows",
    "default_capacity",
]

#: Rows of history kept by default (per Playground, all runs together).
DEFAULT_CAPACITY = 4096
#: The landscape's plot area in pixels until the page says otherwise (``set_view``).
DEFAULT_PLOT_PX = (450, 400)
#: Pixel columns of the loss chart.
DEFAULT_LOSS_PX = 360
#: Paths stay within this many pixels of the true ones (before any coarsening).
DEFAULT_TOLERANCE_PX = 1.0
#: Rows are taken when a run moved this fraction of the tolerance (see :mod:`.prefilter`).
BALL_FRACTION = 0.3
#: Arrays of the buffer are float64 up to this many bytes, float32 beyond (1000 runs).
_FLOAT64_BUDGET = 64 << 20
#: Bytes the default history (:func:`default_capacity`) may take at most.
_DEFAULT_BUDGET = 32 << 20


def default_capacity(n_runs: int, loss_px: int = DEFAULT_LOSS_PX) -> int:
    """Rows held by default for ``n_runs`` runs: room for every run's smallest and largest
    loss in each of ``loss_px`` columns two and a half times over (a thinning keeps half the
    rows, and the paths need some), within ``_DEFAULT_BUDGET`` bytes, at least
    :data:`DEFAULT_CAPACITY`; a multiple of 1024. One run: 4,096; eight: 16,384."""
    want = -(-(5 * loss_px * (n_runs + 1)) // 1024) * 1024
    fit = _DEFAULT_BUDGET // (16 + n_runs * (5 * 8 + 4)) // 1024 * 1024  # float64 rows
    return max(DEFAULT_CAPACITY, min(want, fit))


@dataclass
class Rows:
    """A block of history rows on the host (views or copies, see the producer)."""

    steps: np.ndarray  # (n,) int64
    loss: np.ndarray  # (n, R)
    xy: np.ndarray  # (n, R, 2)
    grad_norm: np.ndarray  # (n, R)
    lr: np.ndarray  # (n, R)

    def __len__(self) -> int:
        return int(self.steps.shape[0])


def _check_count(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


class HistoryBuffer:
    """A bounded, thinned history of many runs.

    Parameters
    ----------
    n_runs : int
    capacity : int
        Most rows ever held, whatever ``n_runs`` (>= 4).
    bounds : [[x0, x1], [y0, y1]], optional
        The landscape view the paths are thinned for; default: a box around the
        first row's points (the widget always passes its view).
    px : (w, h)
        The view's size in pixels.
    loss_px : int
        Pixel columns of the loss chart.
    tolerance : float
        Pixels a drawn path may stray from the true one.

    Notes
    -----
    **Taking rows.** A row offered to :meth:`append` is taken when some run's
    point is ``tolerance * BALL_FRACTION`` pixels or more from its point in the
    previous row taken (:mod:`.prefilter`), when it starts or ends a loss bucket (see
    :mod:`.thinning`), when it holds a new smallest or largest loss of its bucket
    for some run, or when a run's loss or point stops (or starts) being finite.
    The newest row, if not taken, is held aside (:meth:`commit_pending` takes it:
    a frame does, so the page always shows the newest point). For each taken row
    the buffer keeps a bound of how far the skipped points strayed (``err``), so
    the thinning's promise covers every step, not only the rows held.

    **Thinning.** When full, :func:`.thinning.select_rows` keeps at most half
    of the capacity; :attr:`generation` goes up so that a consumer knows its
    copy is stale, and :attr:`precision` says what still holds.
    """

    def __init__(
        self,
        n_runs: int,
        capacity: int = DEFAULT_CAPACITY,
        *,
        bounds: Any = None,
        px: Any = DEFAULT_PLOT_PX,
        loss_px: int = DEFAULT_LOSS_PX,
        tolerance: float = DEFAULT_TOLERANCE_PX,
    ) -> None:
        self.n_runs = _check_count("n_runs", n_runs, 1)
        self.capacity = _check_count("capacity", capacity, 4)
        self.loss_px = _check_count("loss_px", loss_px, 1)
        if not (isinstance(tolerance, int | float) and math.isfinite(tolerance) and tolerance > 0):
            raise ValueError(f"tolerance must be a finite number > 0, got {tolerance!r}")
        self.tolerance = float(tolerance)
        self.dims = 2
        self._px = tuple(px)
        self._view = None if bounds is None else PixelView.from_bounds(bounds, px)
        C, R = self.capacity, self.n_runs
        big = C * R * 5 * 8 > _FLOAT64_BUDGET
        self.dtype = np.dtype(np.float32 if big else np.float64)
        self._steps = np.zeros(C, dtype=np.int64)
        self._loss = np.zeros((C, R), dtype=self.dtype)
        self._xy = np.zeros((C, R, 2), dtype=self.dtype)
        self._gnorm = np.zeros((C, R), dtype=self.dtype)
        self._lr = np.zeros((C, R), dtype=self.dtype)
        self._err = np.zeros((C, R), dtype=np.float32)  # see the class notes
        self._cover = np.zeros((C, R), dtype=bool)  # err bounds the distance to a window's path
        self._origin = np.zeros(C, dtype=np.int64)  # each row's index at the mark; -1: newer
        self.clear()

    # -- state -------------------------------------------------------------------------
    def clear(self) -> None:
        """Forget every row (after a reset)."""
        R = self.n_runs
        self.n = 0
        self.marked = 0  # rows held at the last mark()
        self.generation = 0
        self.level = 0  # the loss buckets' coarsening at the last thinning
        self._run_level = np.zeros(R, dtype=np.int64)  # each run's path coarsening, so far
        self._tol = self.tolerance  # the largest tolerance the last thinning held a run to
        self._floor = LossFloor()  # the narrowest loss buckets left, by step
        self._loss_lost = False  # a thinning had to give up the loss extremes
        self._windows: tuple[Window, ...] = ()  # rows kept for good (see .cover)
        self._maps: dict = {}  # .cover's distance maps, from one thinning to the next
        self._last_seen = -1
        # the filter that takes rows: by chords once compiled, else by balls (made again on a
        # reset, which forgets what it held; see _row_filter)
        self._filter: Ball | sleeve.Sleeve = Ball(R, self.tolerance * BALL_FRACTION)
        self._prev_fin = np.zeros((R, 2), dtype=bool)  # last row offered: point, loss finite
        self._bmin = np.full(R, np.inf)  # extremes of the open bucket, so far
        self._bmax = np.full(R, -np.inf)

    def __len__(self) -> int:
        return self.n

    @property
    def last_step(self) -> int:
        """Step of the newest row offered (-1 when none)."""
        return self._last_seen

    @property
    def view(self) -> PixelView | None:
        return self._view

    def set_view(self, bounds: Any, px: Any = None) -> None:
        """Thin for another view from now on: ``bounds`` on ``px`` pixels (default: unchanged).

        The error bounds held are rescaled (a zoom in makes the old points' stray
        larger in pixels; thinning cannot bring back what was dropped).
        """
        px = self._px if px is None else tuple(px)
        new = PixelView.from_bounds(bounds, px)
        if self._filter.pending:  # the filter's state is in the old view's pixels
            self.commit_pending()
        self._filter.restart(new.to_px(self._xy[self.n - 1]) if self.n else 0.0)
        if self._view is not None:
            f = self._view.stretch(new)
            self._err[: self.n] *= np.float32(f)
        self._view, self._px = new, px

    def rows(self, start: int = 0, stop: int | None = None) -> Rows:
        """Views of taken rows ``start:stop`` (valid until the next change)."""
        stop = self.n if stop is None else min(stop, self.n)
        sl = slice(start, stop)
        return Rows(self._steps[sl], self._loss[sl], self._xy[sl], self._gnorm[sl], self._lr[sl])

    def nbytes(self) -> int:
        """Host memory held by the buffer's arrays."""
        arrays = (self._steps, self._loss, self._xy, self._gnorm, self._lr, self._err, self._cover)
        return sum(a.nbytes for a in arrays)

    @property
    def has_pending(self) -> bool:
        """Whether the newest row offered is held aside (see :meth:`commit_pending`)."""
        return self._filter.pending

    @property
    def _base(self) -> int:
        """The loss buckets' width in steps where no thinning widened them (a power of two)."""
        return bucket_width(max(self._last_seen, 0), self.loss_px)

    def bucket_starts(self, steps: np.ndarray) -> np.ndarray:
        """The first step of each step's loss bucket now: buckets of :attr:`bucket_steps`,
        wider where a thinning kept only wider ones (:class:`.m4.LossFloor`)."""
        return self._floor.starts(steps, self._base)

    @property
    def columns(self) -> int:
        """Loss buckets over steps ``0..last`` now."""
        return self._floor.count(self._last_seen + 1, self._base)

    @property
    def bucket_steps(self) -> int:
        """Width in steps of the newest steps' loss buckets now (a power of two)."""
        last = max(self._last_seen, 0)
        return max(self._base, int(self._floor.at(np.array([last]))[0]))

    def run_px(self) -> np.ndarray:
        """Each run's bound (pixels of the current view) on the distance from its steps'
        points to its polyline through the held rows and the rows held aside ``(R,)``."""
        run_px = self._err[: self.n].max(axis=0) if self.n else np.zeros(self.n_runs)
        return np.maximum(run_px, self._filter.pending_bound())

    @property
    def precision(self) -> dict[str, Any]:
        """What the held rows promise now.

        ``px``: a bound on the distance (pixels of the current view) from every
        step's point to its run's polyline through the held rows (and the rows
        held aside), and ``run_px`` the same for each run (a run that scribbles
        at its minimum may have been coarsened alone, see :mod:`.thinning`);
        ``loss_steps``: each bucket of that many steps keeps its first, last, and
        every run's smallest and largest finite loss (None: given up), and
        ``loss_floor`` pairs ``[end, width]``: the steps before ``end`` keep such
        buckets only ``width`` steps wide (a thinning lost finer ones);
        ``loss_columns``: how many buckets span the steps; ``level``: how many
        times the last thinning had to coarsen the loss buckets.
        """
        run_px = self.run_px()
        steps = None if self._loss_lost else self.bucket_steps
        return {
            "px": float(run_px.max()),
            "run_px": [float(v) for v in run_px],
            "tolerance": self._tol,
            "loss_steps": steps,
            "loss_floor": [p for p in self._floor.pairs() if steps and p[1] > steps],
            "loss_columns": self.columns if steps else 0,
            "level": self.level,
        }

    def mark(self) -> None:
        """Remember the rows held now (a consumer holds a copy of them: :attr:`marked` rows)."""
        self._origin[: self.n] = np.arange(self.n)
        self.marked = self.n

    def since_mark(self) -> tuple[np.ndarray, int]:
        """The rows of the last :meth:`mark` still held (their indices then, increasing), and
        the first row taken after it: held rows ``0:first`` are those, the rest are new."""
        origin = self._origin[: self.n]
        first = int(np.count_nonzero(origin >= 0))
        return origin[:first].copy(), first

    # -- appending ---------------------------------------------------------------------
    def append(
        self,
        steps: np.ndarray,
        loss: np.ndarray,
        xy: np.ndarray,
        grad_norm: np.ndarray,
        lr: np.ndarray,
    ) -> int:
        """Offer consecutive rows; returns how many were taken now.

        Steps must increase and follow the rows already offered.
        """
        steps = np.asarray(steps, dtype=np.int64).reshape(-1)
        m = steps.shape[0]
        if m == 0:
            return 0
        R = self.n_runs
        loss = np.asarray(loss, dtype=np.float64).reshape(m, R)
        xy = np.asarray(xy, dtype=np.float64).reshape(m, R, 2)
        grad_norm = np.asarray(grad_norm).reshape(m, R)
        lr = np.asarray(lr).reshape(m, R)
        if steps[0] <= self._last_seen or (m > 1 and (steps[1:] <= steps[:-1]).any()):
            raise ValueError(
                f"history rows must follow step {self._last_seen} in increasing order, "
                f"got steps {int(steps[0])}..{int(steps[-1])}"
            )
        if self._view is None:
            self._view = PixelView.around(xy[:1], self._px)
        view = self._view
        first_ever = self._last_seen < 0
        prev_step = self._last_seen
        self._last_seen = int(steps[-1])

        px = view.to_px(xy)
        fin_xy = ~(np.isnan(px[..., 0]) | np.isnan(px[..., 1]))
        fin_l = np.isfinite(loss)
        b = self.bucket_starts(steps)
        new_first = first_ever or b[0] != self.bucket_starts(np.array([prev_step]))[0]
        must, tail_must = must_take(
            b, new_first, loss, fin_xy, fin_l, self._prev_fin, self._bmin, self._bmax
        )
        rows = (steps, loss, xy, grad_norm, lr)
        anchor = view.to_px(self._xy[self.n - 1]) if self.n else px[0]
        blocks = self._row_filter().offer(rows, px, must, tail_must, anchor)
        taken = sum(self._write(*r, err=e) for r, e in blocks)
        self._prev_fin = np.empty((R, 2), dtype=bool)
        self._prev_fin[:, 0], self._prev_fin[:, 1] = fin_xy[-1], fin_l[-1]
        return taken

    def _row_filter(self) -> Ball | sleeve.Sleeve:
        """The sleeve filter once its compiled code is loaded, else the ball; on a change, the
        row held aside is taken and the new filter starts from it."""
        chords = _fused.enabled() and sleeve.COMPILED.ready()
        if chords != isinstance(self._filter, sleeve.Sleeve):
            self.commit_pending()
            kind = sleeve.Sleeve if chords else Ball
            self._filter = kind(self.n_runs, self.tolerance * BALL_FRACTION)
            if self.n:
                self._filter.restart(self._view.to_px(self._xy[self.n - 1]))
        return self._filter

    def commit_pending(self) -> int:
        """Take the row held aside (the newest one offered), if any; returns how many."""
        return sum(self._write(*r, err=e) for r, e in self._filter.commit())

    def _write(self, steps, loss, xy, grad_norm, lr, *, err) -> int:
        k = steps.shape[0]
        i = 0
        while i < k:
            if self.n == self.capacity:
                self._thin()
            j = min(k, i + self.capacity - self.n)
            sl = slice(self.n, self.n + j - i)
            self._steps[sl] = steps[i:j]
            with np.errstate(over="ignore"):  # float32 storage: huge values become inf
                self._loss[sl] = loss[i:j]
                self._xy[sl] = xy[i:j]
                self._gnorm[sl] = grad_norm[i:j]
                self._lr[sl] = lr[i:j]
            self._err[sl] = err[i:j]
            self._cover[sl] = False
            self._origin[sl] = -1
            self.n += j - i
            i = j
        return k

    def _thin(self) -> None:
        """Keep at most half the capacity, by the rule of :mod:`.thinning`."""
        n = self.n
        sel = select_rows(
            self._steps[:n],
            self._loss[:n],
            self._xy[:n],
            self._err[:n],
            max(2, self.capacity // 2),
            self._view,
            tolerance=self.tolerance * (1 - 1e-3),  # room for float32 storage
            columns=self.loss_px,
            tail=self.capacity // 64,
            level=self.level - 1,
            floor=self._floor,
            run_level=self._run_level,
            windows=self._windows,
            cover=self._cover[:n],
            maps=self._maps,
        )
        idx = sel.keep
        k = idx.size
        last = int(self._steps[n - 1])
        for a in (self._steps, self._loss, self._xy, self._gnorm, self._lr, self._origin):
            a[:k] = a[idx]
        self._err[:k] = sel.err
        self._cover[:k] = sel.cover
        self.n = k
        self.level = sel.level
        self._run_level = sel.run_level
        self._windows = sel.windows
        self._tol = float(sel.tolerance.max())
        if sel.width is None:
            self._loss_lost = True
        else:
            self._floor = self._floor.raised(last, sel.width)
        self.generation += 1
