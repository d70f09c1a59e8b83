"""The sleeve filter of :mod:`gdwidget.stream.sleeve`, compiled (numba).

Imported only where numba is. One pass over the rows offered, every run at once. For each run
the state holds a *cone*: the directions from the anchor (the point of the last row taken)
along which a chord passes within ``delta`` pixels of every point skipped since. A row is
*good* when, for every run, its point lies in that cone and at least as far from the anchor as
the skipped points (less a margin): the chord from the anchor to it then passes within
``delta`` of all of them. When some run's cone closes, the last good row is taken, becomes the
anchor, and the rows after it are scanned again (at most :data:`MAX_GAP` of them).

Bound: a cone of half-width ``asin(0.8 delta / r)`` around a point at distance ``r`` keeps
it within ``0.8 delta`` of the chord's line; a chord at least ``r - 0.6 delta`` long ends
within ``0.6 delta`` of its projection; so within ``delta`` of the chord in all.

The bound recorded for a chord is tighter where the points allow: the farthest point times
the sine of the widest angle between the chord and the points' directions (which a straight
stretch makes 0), with what lies beyond the chord's end, and the points near the anchor. It
is computed only for the rows taken, from a copy of the state made when the row was good.

Directions are kept as vectors of any length (only the signs of their cross and dot products
are read, but for the sines of the bound). State (``st``, one row per run): anchor (0, 1);
cone: has (2), start (3, 4) and end (5, 6), counter-clockwise; square of the farthest skipped
point's distance (7); farthest point within ``0.8 delta`` of the anchor (8); the directions of
the points beyond that: has (9; 2 when spread all round), most clockwise (10, 11) and most
counter-clockwise (12, 13); the same of the points within it (14 to 18); columns 7 to 18 as
they were at the last good row (19 to 30).
"""

from __future__ import annotations

import numpy as np
from numba import njit

_OPTS = {"cache": True, "nogil": True, "error_model": "numpy"}
#: helpers are inlined into the scan (a call passing the state array costs more than the work)
_INLINE = {**_OPTS, "inline": "always"}

WIDTH = 31
_SAVED = 12  # the copy of columns 7 to 18 starts this many columns on
#: Rows scanned again at most after a row taken (a longer wait takes the last good row).
MAX_GAP = 64
_CONE = 0.8  # share of delta spent across the chord
_SHORT = 0.6  # share of delta spent beyond its end (0.6**2 + 0.8**2 == 1)


@njit(**_INLINE)
def _in_arc(vx, vy, lx, ly, hx, hy):
    return lx * vy - ly * vx >= 0.0 and vx * hy - vy * hx >= 0.0


@njit(**_INLINE)
def _good(st, r, x, y, delta):
    """Whether the chord from run ``r``'s anchor to ``(x, y)`` passes near every point skipped."""
    dx, dy = x - st[r, 0], y - st[r, 1]
    if not (np.isfinite(dx) and np.isfinite(dy)):
        return True  # a point that is not finite is taken by the rule of finite edges
    l2 = dx * dx + dy * dy
    if l2 < st[r, 7]:  # nearer than a point skipped: by less than 0.6 delta at most
        need = np.sqrt(st[r, 7]) - _SHORT * delta
        if need > 0.0 and l2 < need * need:
            return False
    if st[r, 2] == 0.0:
        return True
    if not _in_arc(dx, dy, st[r, 3], st[r, 4], st[r, 5], st[r, 6]):
        return False
    return dx * (st[r, 3] + st[r, 5]) + dy * (st[r, 4] + st[r, 6]) > 0.0


@njit(**_INLINE)
def _across(st, r, c, cx, cy):
    """The sine of the widest angle between the unit vector ``(cx, cy)`` and the directions
    held at columns ``c`` (has, most clockwise, most counter-clockwise); 0 when none."""
    if st[r, c] == 0.0:
        return 0.0
    if st[r, c] > 1.0:
        return 1.0  # spread over half a turn or more
    sine = 0.0
    for k in (c + 1, c + 3):
        vx, vy = st[r, k], st[r, k + 1]
        norm = np.sqrt(vx * vx + vy * vy)
        if cx * vx + cy * vy <= 0.0:
            return 1.0
        sine = max(sine, abs(cx * vy - cy * vx) / norm)
    return sine


@njit(**_INLINE)
def _bound(st, r, off, x, y, delta):
    """A bound on the distance of run ``r``'s skipped points to the good chord ending at
    ``(x, y)`` (at most ``delta``), from columns 7 to 18 (``off`` 0) or their copy."""
    dx, dy = x - st[r, 0], y - st[r, 1]
    length = np.sqrt(dx * dx + dy * dy)
    far = np.sqrt(st[r, 7 + off])
    if not (np.isfinite(length) and length > 0.0):
        return min(delta, far)
    cx, cy = dx / length, dy / length
    across = max(
        st[r, 8 + off] * _across(st, r, 14 + off, cx, cy), far * _across(st, r, 9 + off, cx, cy)
    )
    beyond = max(0.0, far - length)
    return min(delta, np.sqrt(across * across + beyond * beyond))


@njit(**_INLINE)
def _spread(has, lx, ly, hx, hy, ux, uy):
    """Directions ``(has, most clockwise, most counter-clockwise)`` widened to ``(ux, uy)``;
    once they may spread over a quarter turn from either end, they count as spread all round
    (``has`` 2). Scalars in and out: a helper writing to the state array costs more than its
    work (the array's reference count, at each call)."""
    if has == 0.0:
        return 1.0, ux, uy, ux, uy
    if has > 1.0:
        return has, lx, ly, hx, hy
    if ux * lx + uy * ly <= 0.0 or ux * hx + uy * hy <= 0.0:
        return 2.0, lx, ly, hx, hy
    if ux * ly - uy * lx > 0.0:
        lx, ly = ux, uy
    if hx * uy - hy * ux > 0.0:
        hx, hy = ux, uy
    return has, lx, ly, hx, hy


@njit(**_INLINE)
def _meet(olx, oly, ohx, ohy, lx, ly, hx, hy):
    """The arc where two arcs under half a turn meet: ``(met, start, end)``. It starts at the
    start lying in the other arc and ends at the end lying in the other one; if no start
    does, they are apart."""
    if _in_arc(lx, ly, olx, oly, ohx, ohy):
        olx, oly = lx, ly
    elif not _in_arc(olx, oly, lx, ly, hx, hy):
        return False, olx, oly, ohx, ohy
    if _in_arc(hx, hy, olx, oly, ohx, ohy):
        ohx, ohy = hx, hy
    elif not _in_arc(ohx, ohy, lx, ly, hx, hy):
        return False, olx, oly, ohx, ohy
    return True, olx, oly, ohx, ohy


@njit(**_INLINE)
def _restart(st, px, i):
    for r in range(st.shape[0]):
        st[r, 0], st[r, 1] = px[i, r, 0], px[i, r, 1]
        st[r, 2] = 0.0
        st[r, 7] = 0.0
        st[r, 8] = 0.0
        st[r, 9] = 0.0
        st[r, 14] = 0.0


@njit(**_OPTS)
def scan(px, must, start, g, st, delta, take, err):
    """Decide rows ``start:`` of ``px`` ``(n, R, 2)``; ``must`` rows are taken whatever the shape.

    Rows before ``start`` were scanned before (``st`` holds their cones); ``g`` is the last
    good row among them (-1: none, the anchor being the row before ``start``). Fills ``take``
    (n,) and, for the rows taken, ``err`` (n, R): a bound on the distance of the points
    skipped before each to the chord that ends there (at most ``delta``). Returns the new
    last good row (-1: none since the last row taken).
    """
    n, R = px.shape[0], px.shape[1]
    c = _CONE * delta
    c2 = c * c
    i = start
    while i < n:
        good = True
        for r in range(R):
            if not _good(st, r, px[i, r, 0], px[i, r, 1], delta):
                good = False
                break
        closed = False
        if not must[i]:
            if good:
                for r in range(R):
                    for k in range(7, 19):
                        st[r, k + _SAVED] = st[r, k]
                g = i
            for r in range(R):  # narrow each run's cone by this point
                dx, dy = px[i, r, 0] - st[r, 0], px[i, r, 1] - st[r, 1]
                l2 = dx * dx + dy * dy
                if not l2 < np.inf:
                    continue  # a point that is not finite: taken by the rule of finite edges
                if l2 > st[r, 7]:
                    st[r, 7] = l2
                if l2 <= c2:  # this close to the anchor, it is near any chord from it
                    if l2 > 0.0:
                        st[r, 8] = max(st[r, 8], np.sqrt(l2))
                        st[r, 14], st[r, 15], st[r, 16], st[r, 17], st[r, 18] = _spread(
                            st[r, 14], st[r, 15], st[r, 16], st[r, 17], st[r, 18], dx, dy
                        )
                    continue
                st[r, 9], st[r, 10], st[r, 11], st[r, 12], st[r, 13] = _spread(
                    st[r, 9], st[r, 10], st[r, 11], st[r, 12], st[r, 13], dx, dy
                )
                # the arc's ends: the direction turned by asin(c / length) either way, times
                # the length
                co = np.sqrt(l2 - c2)
                lx, ly = co * dx + c * dy, co * dy - c * dx
                hx, hy = co * dx - c * dy, co * dy + c * dx
                if st[r, 2] == 0.0:
                    st[r, 2], st[r, 3], st[r, 4], st[r, 5], st[r, 6] = 1.0, lx, ly, hx, hy
                    continue
                met, st[r, 3], st[r, 4], st[r, 5], st[r, 6] = _meet(
                    st[r, 3], st[r, 4], st[r, 5], st[r, 6], lx, ly, hx, hy
                )
                if not met:
                    closed = True
            if g >= 0 and i - g >= MAX_GAP:
                closed = True
            if not closed:
                i += 1
                continue
        if good and g != i:
            # a required row, good: the points skipped are near its chord
            for r in range(R):
                err[i, r] = _bound(st, r, 0, px[i, r, 0], px[i, r, 1], delta)
            take[i] = True
            _restart(st, px, i)
            g = -1
            i += 1
            continue
        if g < 0:  # no good row before it (only ever the row right after the anchor: good)
            for r in range(R):
                err[i, r] = np.sqrt(st[r, 7])
            take[i] = True
            _restart(st, px, i)
            i += 1
            continue
        # take the last good row, and scan the rows after it again
        take[g] = True
        for r in range(R):
            err[g, r] = _bound(st, r, _SAVED, px[g, r, 0], px[g, r, 1], delta)
        _restart(st, px, g)
        i = g + 1
        g = -1
    return g
