"""Scribbles drawn once: the rows a thinning may drop because a run's path already covers them.

An optimizer that scribbles at its minimum (RMSprop or Lion with a large rate) goes over the
same pixel or two for millions of steps. Ramer-Douglas-Peucker (:func:`.paths.simplify`) keeps
a polyline in step order, so such a scribble needs a row for nearly every step, and a run that
crowds the rows used to be coarsened to 2 pixels or more. This module lets its rows go while
the run stays within its tolerance, both ways:

* **windows.** Once a run crowds the rows, a window of its newest rows (:data:`WINDOW`, the
  tail excepted) is kept for good: rows in a window are never thinned again, so the run's
  drawn path there, ``U``, never changes;
* **cover chords.** A later segment of the run whose points are near ``U`` is *covered*: every
  true point it stands for is within ``err + c`` of ``U`` (``err``, its bound; ``c``, the
  segment's distance to ``U``). A stretch of covered segments whose points all lie in a box of
  diagonal ``D <= 2 * tol`` is then joined by a chord: its two ends are kept (so that no range
  of a later simplification straddles them) and the rows inside may go. Whatever rows inside
  are kept for other runs, every drawn chord between two of its points is within ``D / 2`` of
  one of them, a true point.

The bound recorded for each row inside (the larger of the two) says how far the true points
are from the run's drawn path (its segment or ``U``); later thinnings carry it as any other
bound (the segment's part by the triangle inequality, ``U``'s part because ``U`` stays), so
``run_px`` still bounds the distance from the true path to the drawn one and back. Rows whose
bound is already one to ``U`` are marked (``cover``): covered again, they add no ``c``, so
that the bounds of a scribble do not grow from one thinning to the next.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "MAX_WINDOWS",
    "WINDOW",
    "Window",
    "in_windows",
    "kept_ranges_all",
    "relax",
]

#: Rows of a window (a run's scribble kept for good, so that later rows can be covered), at
#: most; at most half the windows' budget.
WINDOW = 256
#: Windows per run, at most.
MAX_WINDOWS = 4
#: Share of the rows a thinning keeps that windows may take, at most.
WINDOW_SHARE = 8
#: A window is added when fewer than this share of the run's newest segments are covered.
_COVERED_ENOUGH = 0.5
_LEAST_WINDOW = 8  # rows: a history too small for windows this long makes none
_CELL = 0.25  # pixels: the distance map's cells
_GRID = 256  # cells a side, at most
_MARGIN = 1 - 1e-3
_BLOCK = 256  # segments at a time in the distance map
_MAPS = 64  # distance maps kept for the next thinnings, at most


@dataclass(frozen=True)
class Window:
    """Run ``run``'s rows from step ``first`` to step ``last`` are kept for good."""

    run: int
    first: int
    last: int


def in_windows(steps: np.ndarray, windows: tuple[Window, ...], run: int | None = None):
    """Rows ``(n,)`` whose step is in a window (of ``run``, or of any run)."""
    out = np.zeros(steps.shape[0], dtype=bool)
    for w in windows:
        if run is None or w.run == run:
            out[np.searchsorted(steps, w.first) : np.searchsorted(steps, w.last, "right")] = True
    return out


class _DistanceMap:
    """Distances (pixels) from a grid's cells to a polyline's segments, read back with the
    slack of a cell: :meth:`at` is at least the distance of every point to the segments."""

    def __init__(self, a: np.ndarray, b: np.ndarray, reach: float) -> None:
        pts = np.concatenate([a, b])
        lo, hi = pts.min(axis=0) - reach, pts.max(axis=0) + reach
        self.cell = max(_CELL, float((hi - lo).max()) / _GRID)
        self.lo = lo
        self.shape = np.maximum(1, np.ceil((hi - lo) / self.cell).astype(np.int64))
        gx, gy = (lo[i] + (np.arange(self.shape[i]) + 0.5) * self.cell for i in (0, 1))
        cx, cy = (c.reshape(-1, 1) for c in np.meshgrid(gx, gy, indexing="ij"))
        dist2 = np.full(cx.shape[0], np.inf)
        for s in range(0, a.shape[0], _BLOCK):  # squared distances to a block of segments
            ax, ay = a[s : s + _BLOCK, 0], a[s : s + _BLOCK, 1]
            dx, dy = b[s : s + _BLOCK, 0] - ax, b[s : s + _BLOCK, 1] - ay
            den = np.maximum(dx * dx + dy * dy, 1e-300)
            t = np.clip(((cx - ax) * dx + (cy - ay) * dy) / den, 0.0, 1.0)
            ex, ey = ax + t * dx - cx, ay + t * dy - cy
            np.minimum(dist2, (ex * ex + ey * ey).min(axis=1), out=dist2)
        self.dist = np.sqrt(dist2).reshape(tuple(self.shape)) + self.cell * math.sqrt(0.5)

    def at(self, p: np.ndarray) -> np.ndarray:
        """At least the distance from each point ``(..., 2)`` to the polyline (inf off the grid)."""
        with np.errstate(invalid="ignore"):
            ij = np.floor((p - self.lo) / self.cell)
        inside = np.isfinite(ij).all(axis=-1) & (ij >= 0).all(axis=-1) & (ij < self.shape).all(-1)
        ij = np.where(inside[..., None], ij, 0).astype(np.int64)
        return np.where(inside, self.dist[ij[..., 0], ij[..., 1]], np.inf)


def kept_ranges_all(flags: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """For kept rows ``idx`` ``(k,)``: whether ``flags`` ``(n, R)`` holds on every row from
    the one after the previous kept row to it ``(k, R)`` (the first: from row 0)."""
    bad = np.cumsum(~flags, axis=0)
    prev = np.concatenate([[-1], idx[:-1]]) if idx.size else idx
    before = np.where(prev[:, None] >= 0, bad[np.maximum(prev, 0)], 0)
    return bad[idx] - before == 0


def _covered(
    px: np.ndarray,
    err: np.ndarray,
    cover: np.ndarray,
    u_rows: np.ndarray,
    stop: int,
    eps: float,
    maps: dict,
) -> np.ndarray | None:
    """For each row's segment (from the row before), a bound on its true points' distance to
    ``U`` (the polyline through rows ``u_rows``): ``err`` where it bounds that already
    (``cover``), else ``err + c``; NaN where over ``eps``. None without ``U``. ``maps`` keeps
    the distance maps made, by ``U``'s points (they change only with the view)."""
    u = px[u_rows]
    fin = np.isfinite(u).all(axis=1)
    seg = fin[:-1] & fin[1:] & (np.diff(u_rows) == 1)
    if not seg.any():
        return None
    key = (u.tobytes(), seg.tobytes(), eps)
    umap = maps.get(key)
    if umap is None:
        if len(maps) >= _MAPS:
            maps.clear()
        umap = maps[key] = _DistanceMap(u[:-1][seg], u[1:][seg], eps)
    a, b = px[: stop - 1], px[1:stop]
    length = np.hypot(*(b - a).T)
    # the distance to U is 1-Lipschitz: between samples half a segment apart it is at most
    # a quarter of the segment more than at the larger of them
    c = np.maximum(np.maximum(umap.at(a), umap.at(b)), umap.at((a + b) / 2)) + length / 4
    bound = np.full(stop, np.nan)
    bound[1:] = np.where(cover[1:stop], 0.0, c) + err[1:stop]
    bound[1:][~(length <= 2 * eps)] = np.nan
    bound[u_rows[u_rows < stop]] = np.nan  # U's own rows are kept as they are
    bound[~(bound <= eps * _MARGIN)] = np.nan
    return bound


def _chords(p: np.ndarray, ok: np.ndarray, diag: float) -> list[tuple[int, int, float]]:
    """Greedy chords ``(v, j, half)``, ``j > v + 1``: segments ``v + 1 .. j`` all ``ok`` and
    the points ``v .. j`` in a box of diagonal at most ``diag`` (``2 * half``)."""
    out: list[tuple[int, int, float]] = []
    n = ok.shape[0]
    # the first row at or after each whose segment is not ok (n if none)
    stop = np.minimum.accumulate(np.where(ok, n, np.arange(n))[::-1])[::-1]
    v = 0
    while v < n - 1:
        if not ok[v + 1]:
            v += 1
            continue
        end = int(stop[v + 1])  # segments v + 1 .. end - 1 ok
        m = 64
        while True:
            block = p[v : min(end, v + m)]
            d = np.hypot(*(np.maximum.accumulate(block) - np.minimum.accumulate(block)).T)
            fits = int(np.flatnonzero(d <= diag)[-1])
            if fits < block.shape[0] - 1 or v + m >= end:
                break
            m *= 4
        if fits > 1:
            out.append((v, v + fits, float(d[fits]) / 2))
        v += max(fits, 1)
    return out


def relax(
    steps: np.ndarray,
    px: np.ndarray,
    err: np.ndarray,
    cover: np.ndarray,
    eps: np.ndarray,
    runs: np.ndarray,
    windows: tuple[Window, ...],
    *,
    stop: int,
    budget: int,
    maps: dict | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, tuple[Window, ...]]:
    """Join the covered stretches of ``runs`` (see the module's doc) for a simplification.

    Parameters
    ----------
    steps, px, err : the rows held, their points in pixels ``(n, R, 2)`` and bounds ``(n, R)``
    cover : ndarray (n, R) of bool
        Where ``err`` bounds the distance of the true points to the run's windows' path.
    eps : ndarray (R,)
        Each run's tolerance.
    runs : ndarray of int
        The runs to relax (those crowding the rows).
    windows : the windows so far
    stop : int
        Rows from ``stop`` on (the tail) are left as they are.
    budget : int
        Rows all windows may hold.
    maps : dict, optional
        Distance maps kept from one thinning to the next (the caller's, emptied when full).

    Returns
    -------
    px, err, cover : copies where changed: inside each chord, the run's points moved onto the
        chord (so that the simplification sees no distance), the rows' bounds raised to the
        chord's, and marked as bounds to the windows' path
    ends : ndarray (n,) of bool
        The chords' ends, to be kept.
    windows : the windows, with those added
    """
    ends = np.zeros(steps.shape[0], dtype=bool)
    px, err, cover = px.copy(), err.copy(), cover.copy()
    maps = {} if maps is None else maps
    for r in (int(r) for r in runs):
        tol = float(eps[r])
        if not (math.isfinite(tol) and stop > 2):
            continue
        mine = [w for w in windows if w.run == r]
        u_rows = np.flatnonzero(in_windows(steps, windows, r))
        bound = None
        if u_rows.size:
            bound = _covered(px[:, r], err[:, r], cover[:, r], u_rows, stop, tol, maps)
        size = min(WINDOW, budget // 2)  # a window's rows (fewer in a small history)
        recent = slice(max(1, stop - size), stop)
        share = 0.0 if bound is None else float(np.isfinite(bound[recent]).mean())
        held = int(in_windows(steps, windows).sum())
        room = size >= _LEAST_WINDOW and held + size <= budget and len(mine) < MAX_WINDOWS
        if share < _COVERED_ENOUGH and room:
            first = max(0, stop - size)
            windows = (*windows, Window(r, int(steps[first]), int(steps[stop - 1])))
            u_rows = np.flatnonzero(in_windows(steps, windows, r))
            bound = _covered(px[:, r], err[:, r], cover[:, r], u_rows, stop, tol, maps)
        if bound is None:
            continue
        p = px[:stop, r].astype(np.float64)
        for v, j, half in _chords(p, np.isfinite(bound), 2 * tol * _MARGIN):
            t = (np.arange(1, j - v) / (j - v))[:, None]
            px[v + 1 : j, r] = p[v] + t * (p[j] - p[v])
            err[v + 1 : j + 1, r] = max(half, float(bound[v + 1 : j + 1].max()))
            cover[v + 1 : j + 1, r] = True
            ends[v] = ends[j] = True
    return px, err, cover, ends, windows
