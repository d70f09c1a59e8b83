"""The parameter path: a bounded sample of it, its plane, and the surface over that plane.

The training thread samples (:meth:`Projector.wants`, :meth:`Projector.add`) and
evaluates the surface a few points at a time (:meth:`Projector.work`); the flusher
thread refits the plane and takes the messages (:meth:`Projector.update`,
:meth:`Projector.path_message`, :meth:`Projector.surface_message`). One lock guards
the state; the heavy parts (the SVD, the loss evaluations) run outside it.

Bounds: at most ``PATH_POINTS`` points are held (every other one is dropped when full,
and sampling slows by half: the path keeps its whole span), of at most ``PATH_FLOATS``
numbers in all: a vector of more parameters is subsampled to a fixed random subset of
its coordinates (the plane then lies in those coordinates; the others stay where the
model has them). Sampling a torch model's parameters costs a copy of them, so it also
waits ``min_gap`` seconds between samples. The PCA plane is refitted each time the
number of samples has grown by a quarter, within 0.5% of the wall time; with ``loss_fn``
the path keeps the plane of the surface on show until the new plane's first (coarse)
surface is computed, so that path and surface always share coordinates. A surface is
centred on the newest sample when it starts (:mod:`.surface`); a refit waits for the
surface in progress to have shown its coarse level, then replaces it, and so does a
surface around the newest point once the path has gone on by more than a coarse cell.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from typing import Any

import numpy as np

from .projection import PathPlane, fit_pca, frame_bounds, random_plane
from .surface import Surface, SurfaceJob

log = logging.getLogger("gdwidget")

__all__ = ["Projector"]

PATH_POINTS = 1000
PATH_FLOATS = 1 << 20
MIN_POINTS = 256
FIT_POINTS = 64
FIT_SHARE = 0.005
PATH_PERIOD = 0.1  # seconds between path messages, at least


class Projector:
    """The path's sample, plane and surface (docs: module)."""

    def __init__(
        self,
        kind: str,
        surveying: bool = False,
        shapes: list[tuple[int, ...]] | None = None,
        grid: tuple[int, int] = (41, 41),
        seed: int = 0,
        min_gap: float = 0.0,
    ) -> None:
        self.kind = kind
        self.surveying = surveying
        self.shapes = shapes
        self.grid = grid
        self.seed = seed
        self.min_gap = float(min_gap)
        self._sampled_at = -math.inf
        self.lock = threading.Lock()
        self.n_params: int | None = None
        self.index: np.ndarray | None = None
        self.capacity = 0
        self.x = np.zeros((0, 0))
        self.steps = np.zeros(0, dtype=np.int64)
        self.xy = np.zeros((0, 2))
        self.k = 0
        self.stride = 1
        self.total = 0
        self._tick = 0
        self.shown: PathPlane | None = None
        self.job: SurfaceJob | None = None
        self.surface: Surface | None = None  # the last level finished
        self.error = ""
        self._fit_total = 0
        self._next_fit = 0.0
        self._version = 0
        self._path_dirty = False
        self._surface_dirty = False
        self._path_sent = -math.inf
        self._projected = 0  # rows whose plane coordinates are computed

    # -- set-up --------------------------------------------------------------------------------
    def setup(self, n_params: int) -> None:
        """Sizes for vectors of ``n_params`` (once; later vectors must match)."""
        if self.n_params is not None:
            if n_params != self.n_params:
                raise ValueError(
                    f"params must keep their length: got {n_params} after {self.n_params}"
                )
            return
        p = int(n_params)
        if p < 1:
            raise ValueError("params must have at least one element")
        if p * PATH_POINTS <= PATH_FLOATS:
            k, d = PATH_POINTS, p
        else:
            k = max(MIN_POINTS, PATH_FLOATS // p)
            d = min(p, PATH_FLOATS // k)
        if d < p:
            rng = np.random.default_rng(self.seed)
            self.index = np.sort(rng.choice(p, d, replace=False))
        self.n_params, self.capacity = p, k
        self.x = np.zeros((k, d))
        self.steps = np.zeros(k, dtype=np.int64)
        self.xy = np.full((k, 2), np.nan)

    # -- the training thread -------------------------------------------------------------------
    def wants(self) -> bool:
        """Whether this step's parameters should be sampled: every ``stride``-th call, and
        no sooner than ``min_gap`` seconds after the last sample."""
        self._tick += 1
        if (self._tick - 1) % self.stride:
            return False
        if self.min_gap:
            now = time.monotonic()
            if now - self._sampled_at < self.min_gap:
                self._tick -= 1  # try again at the next call
                return False
            self._sampled_at = now
        return True

    def add(self, step: int, x: np.ndarray, full: np.ndarray | None = None) -> None:
        """Append a sample ``x`` (already restricted to :attr:`index`); ``full``: every
        parameter (needed once, for a random plane)."""
        plane = None
        if self.kind == "random" and self.shown is None:
            src = full if full is not None else x
            idx = self.index if full is not None else None
            plane = random_plane(src, self.shapes, idx, self.seed, self._new_version())
        with self.lock:
            if self.k == self.capacity:
                keep = np.arange(0, self.k, 2)
                n = keep.size
                self.x[:n] = self.x[keep]
                self.steps[:n] = self.steps[keep]
                self.xy[:n] = self.xy[keep]
                self.k = n
                self._projected = (self._projected + 1) // 2
                self.stride *= 2
            i = self.k
            self.x[i] = x
            self.steps[i] = step
            self.k += 1
            self.total += 1
            if plane is not None:
                self.shown = plane
            self._path_dirty = self.shown is not None  # projected by the flusher (_sync)

    def work(self, evaluator: Any, step: int) -> None:
        """Evaluate the pending surface's nodes for a while (the training thread only);
        a surface not started yet is centred on the parameters of ``step`` first."""
        job = self.job
        if job is None or job.done or not self.surveying:
            return
        try:
            if job.anchor is None and not self._anchor(job, evaluator, step):
                return
            job.work(evaluator)
        except Exception as exc:  # noqa: BLE001 - a failing loss_fn stops the surface only
            self.surveying = False
            self.error = f"loss_fn failed: {type(exc).__name__}: {exc}"
            log.warning("gdwidget: the monitor's surface stopped: %s", self.error)

    def _anchor(self, job: SurfaceJob, evaluator: Any, step: int) -> bool:
        """Centre ``job`` on the current parameters, which become the path's newest sample
        (False, and no centre, while they are not finite)."""
        anchor, sample = evaluator.snapshot()
        if not np.isfinite(sample).all():
            return False
        with self.lock:
            newest = int(self.steps[self.k - 1]) if self.k else None
        if newest != step:
            self.add(step, sample)
        job.set_anchor(anchor, job.plane.coords(sample), step)
        return True

    def survey_now(self, evaluator: Any, step: int) -> SurfaceJob:
        """The whole surface now, centred on the current parameters (of ``step``), over a
        plane fitted now to the path with them (``Monitor.compute_surface``)."""
        anchor, sample = evaluator.snapshot()
        if not np.isfinite(sample).all():
            raise ValueError("the current parameters are not finite: no surface around them")
        with self.lock:
            newest = int(self.steps[self.k - 1]) if self.k else None
        if newest != step:
            self.add(step, sample)
        with self.lock:
            rows, total, previous = self.x[: self.k].copy(), self.total, self.shown
        plane = previous
        if self.kind == "pca":
            sel = np.unique(np.round(np.linspace(0, len(rows) - 1, min(len(rows), FIT_POINTS))))
            fitted = fit_pca(rows[sel.astype(np.int64)], previous, self.seed, self._new_version())
            plane = fitted or previous
        if plane is None:
            raise ValueError("no parameter path yet: log params (or train the model) first")
        job = SurfaceJob(plane, frame_bounds(plane.coords(rows)), *self.grid)
        job.set_anchor(anchor, plane.coords(sample), step)
        job.work(evaluator, everything=True)
        with self.lock:
            self._fit_total = max(self._fit_total, total)
            if plane is not self.shown:
                self._show(plane)
            self.surface, self.job = job.surface(), None
            job.published = job.levels_done
            self._surface_dirty = True
        return job

    # -- the flusher thread ------------------------------------------------------------------------
    def update(self) -> None:
        """Refit the PCA plane when due; start or finish a surface."""
        now = time.monotonic()
        fit_rows = None
        with self.lock:
            due = (
                self.kind == "pca"
                and (self.job is None or self.job.published > 0 or not self.surveying)
                and self.k >= 2
                and self.total >= max(2, math.ceil(1.25 * self._fit_total))
                and now >= self._next_fit
            )
            if due:
                sel = np.unique(np.round(np.linspace(0, self.k - 1, min(self.k, FIT_POINTS))))
                fit_rows = self.x[sel.astype(np.int64)].copy()
                fit_total, previous = self.total, self.shown
        if fit_rows is not None:
            t0 = time.perf_counter()
            plane = fit_pca(fit_rows, previous, self.seed, self._new_version())
            with self.lock:
                self._fit_total = fit_total
                if plane is not None:
                    if self.surveying and self.shown is not None:
                        box = frame_bounds(plane.coords(self.x[: self.k]))
                        self.job = SurfaceJob(plane, box, *self.grid, first=self.surface is None)
                    else:
                        self._show(plane)
            cost = time.perf_counter() - t0
            self._next_fit = time.monotonic() + cost / FIT_SHARE
        with self.lock:
            self._sync()
            job = self.job
            if job is not None and job.levels_done > job.published:
                if job.plane is not self.shown:
                    self._show(job.plane)
                self.surface = job.surface()
                job.published = job.levels_done
                self._surface_dirty = True
                if job.done:
                    self.job = None
            elif job is not None and job.published and _moved(self, job):
                # the path went on by more than a coarse cell: a fresh surface around its
                # newest point rather than a finer one around an old point
                self.job = SurfaceJob(self.shown, frame_bounds(self.xy[: self.k]), *self.grid)
            elif (
                self.surveying
                and job is None
                and self.shown is not None
                and self.k
                and (self.surface is None or self.surface.plane is not self.shown or _outside(self))
            ):
                box = frame_bounds(self.xy[: self.k])
                self.job = SurfaceJob(self.shown, box, *self.grid, first=self.surface is None)

    def _show(self, plane: PathPlane) -> None:
        self.shown = plane
        self._projected = 0
        self._sync()
        self._path_dirty = True

    def _sync(self) -> None:
        """Plane coordinates of the rows added since the last call (under the lock)."""
        if self.shown is not None and self._projected < self.k:
            sl = slice(self._projected, self.k)
            self.xy[sl] = self.shown.coords(self.x[sl])
            self._projected = self.k

    def _new_version(self) -> int:
        self._version += 1
        return self._version

    def path_message(self, force: bool = False) -> tuple[np.ndarray, np.ndarray, Any] | None:
        """``(steps, xy, explained)`` if the path changed (at most every ``PATH_PERIOD`` s)."""
        now = time.monotonic()
        with self.lock:
            if not (force or self._path_dirty) or self.shown is None:
                return None
            if not force and now - self._path_sent < PATH_PERIOD:
                return None
            self._sync()
            self._path_dirty = False
            self._path_sent = now
            return self.steps[: self.k].copy(), self.xy[: self.k].copy(), self.shown.explained

    def surface_message(self, force: bool = False) -> Surface | None:
        with self.lock:
            if self.surface is None or not (force or self._surface_dirty):
                return None
            self._surface_dirty = False
            return self.surface

    def snapshot(self) -> tuple[np.ndarray, np.ndarray]:
        """The held path's steps and plane coordinates (empty before a plane exists)."""
        with self.lock:
            if self.shown is None:
                return np.zeros(0, dtype=np.int64), np.zeros((0, 2))
            self._sync()
            return self.steps[: self.k].copy(), self.xy[: self.k].copy()

    def points(self) -> tuple[np.ndarray, np.ndarray]:
        """The held samples: steps ``(k,)`` and stored coordinates ``(k, D)`` (copies)."""
        with self.lock:
            return self.steps[: self.k].copy(), self.x[: self.k].copy()


def _outside(p: Projector) -> bool:
    """Whether the path has left the last surface's box."""
    (x0, x1), (y0, y1) = p.surface.bounds  # type: ignore[union-attr]
    xy = p.xy[: p.k]
    xy = xy[np.isfinite(xy).all(axis=1)]
    x, y = xy[:, 0], xy[:, 1]
    return bool(((x < x0) | (x > x1) | (y < y0) | (y > y1)).any())


def _moved(p: Projector, job: SurfaceJob) -> bool:
    """Whether the newest point is more than a coarse cell from ``job``'s anchor (on the
    plane shown, which is the job's once it has shown a level)."""
    if job.plane is not p.shown or not p.k or job.done:
        return False
    xy = p.xy[p.k - 1]
    if not np.isfinite(xy).all():
        return False
    s = job.strides[0]
    (x0, x1), (y0, y1) = job.bounds
    cell = ((x1 - x0) * s / (job.nx - 1), (y1 - y0) * s / (job.ny - 1))
    return bool(abs(xy[0] - job.anchor_xy[0]) > cell[0] or abs(xy[1] - job.anchor_xy[1]) > cell[1])
