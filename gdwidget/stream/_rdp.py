"""The paths' simplification of :func:`gdwidget.stream.thinning.simplify`, compiled (numba).

The same rule as the NumPy rounds there, range by range instead of all ranges at once: a
range where some run's bound is over that run's tolerance splits at its first worst row
(worst by bound over tolerance; from ``greedy`` splits deep on, at its middle too); the
bounds are the same operations in the same order, so the kept rows and their bounds are the
NumPy path's, bit for bit (tested).
Imported only where numba is.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_OPTS = {"cache": True, "nogil": True, "error_model": "numpy"}


@njit(**_OPTS)
def _distance(vx, vy, ax, ay, bx, by):
    """:func:`~gdwidget.stream.thinning.segment_distance` of one point (scalars: a helper
    taking the arrays costs more than its work, their reference counts at each call)."""
    ab0, ab1 = bx - ax, by - ay
    ap0, ap1 = vx - ax, vy - ay
    den = ab0 * ab0 + ab1 * ab1
    t = (ap0 * ab0 + ap1 * ab1) / den if den > 0 else 0.0
    if t < 0.0:
        t = 0.0
    elif t > 1.0:
        t = 1.0
    e0, e1 = ap0 - t * ab0, ap1 - t * ab1
    d = np.sqrt(e0 * e0 + e1 * e1)
    return d if np.isfinite(d) else 0.0


@njit(**_OPTS)
def simplify(px, err, keep, tolerance, greedy):
    """Split the ranges between the rows of ``keep`` (updated in place) until each holds
    every run r within ``tolerance[r]``; returns the new bounds (``err`` at the rows not
    closing a range)."""
    n, R = err.shape
    new_err = err.copy()
    worst_r = np.empty(R)
    # a stack of ranges (a, b, depth), each with rows strictly inside
    stack = np.empty((2 * n + 2, 3), dtype=np.int64)
    top = 0
    prev = -1
    for i in range(n):
        if keep[i]:
            if prev >= 0 and i - prev > 1:
                stack[top, 0], stack[top, 1], stack[top, 2] = prev, i, 0
                top += 1
            prev = i
    while top > 0:
        top -= 1
        a, b, depth = stack[top, 0], stack[top, 1], stack[top, 2]
        worst_r[:] = 0.0
        worst, split = -1.0, a + 1
        for v in range(a + 1, b):
            row = 0.0
            for r in range(R):
                d = _distance(
                    px[v, r, 0], px[v, r, 1], px[a, r, 0], px[a, r, 1], px[b, r, 0], px[b, r, 1]
                ) + max(err[v, r], err[v + 1, r])
                if d > worst_r[r]:
                    worst_r[r] = d
                q = d / tolerance[r]
                if q > row:
                    row = q
            if row > worst:
                worst, split = row, v
        if worst <= 1.0:
            for r in range(R):
                new_err[b, r] = worst_r[r]
            continue
        keep[split] = True
        lo, hi = split, split
        if depth >= greedy:
            mid = (a + b) // 2
            keep[mid] = True
            lo, hi = min(split, mid), max(split, mid)
        for lo_end, hi_end in ((a, lo), (lo, hi), (hi, b)):
            if hi_end - lo_end > 1:
                stack[top, 0], stack[top, 1], stack[top, 2] = lo_end, hi_end, depth + 1
                top += 1
    return new_err
