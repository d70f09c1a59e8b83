"""Which offered rows the history takes (the thinning rule, applied as rows arrive).

Most steps change nothing that is drawn: a run that moved a hundredth of a
pixel, a loss that is not the extreme of its pixel column. The history takes a
row when (:func:`ball_filter`) some run's point left the ball of ``delta``
pixels around its point in the previous row taken, or when the loss chart needs
it (:func:`loss_records`, plus the rows that start or end a bucket and those
around a loss or point that stops being finite). Every function here works on a
whole chunk at once.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ball_filter", "exits", "loss_records", "strays"]

#: Above this many runs the grid of cells is used (its cost does not grow with a log factor).
MAX_BOX_RUNS = 32
#: Columns of the exit-time tables built at once (bounds temporary memory).
_BLOCK = 256


def loss_records(
    loss: np.ndarray,
    finite: np.ndarray,
    starts: np.ndarray,
    continues: bool,
    run_min: np.ndarray,
    run_max: np.ndarray,
) -> np.ndarray:
    """Rows holding a bucket's new smallest or largest finite loss, for some run.

    Parameters
    ----------
    loss, finite : ndarray (m, R)
    starts : ndarray
        First row of each bucket's part in the chunk.
    continues : bool
        The first part continues the bucket open before the chunk; then only its
        rows beyond ``run_min``/``run_max`` (that bucket's extremes so far) count.
    run_min, run_max : ndarray (R,)
        Updated in place to the extremes of the bucket open after the chunk.

    Notes
    -----
    The extremes of each part are taken, so the rows of a bucket hold its
    extremes whatever the chunks were (M4 is compositional); a part beaten by a
    later one costs a row, never a missing extreme.
    """
    m = loss.shape[0]
    out = np.zeros(m, dtype=bool)
    seg = np.zeros(m, dtype=np.intp)  # each row's part: 0 up to starts[1], then 1, ...
    seg[starts[1:]] = 1
    np.cumsum(seg, out=seg)
    rows = np.arange(m)[:, None]
    for fill, reduce, so_far in ((np.inf, np.minimum, run_min), (-np.inf, np.maximum, run_max)):
        v = np.where(finite, loss, fill)
        ext = reduce.reduceat(v, starts, axis=0)
        rec = np.isfinite(ext)
        if continues:
            rec[0] &= reduce(ext[0], so_far) != so_far
        pos = np.where(finite & (v == ext[seg]), rows, m)
        first = np.minimum.reduceat(pos, starts, axis=0)[rec]
        out[first[first < m]] = True
        so_far[:] = reduce(ext[-1], so_far) if continues and starts.size == 1 else ext[-1]
    return out


def _cells(px: np.ndarray, anchor: np.ndarray, must: np.ndarray, delta: float) -> np.ndarray:
    """Rows where some run's cell (of a grid whose diagonal is ``delta``) changed since the
    previous row, the previous row of the first being ``anchor``; and ``must``."""
    side = delta / np.sqrt(2.0)
    c = np.floor(np.concatenate([anchor[None], px]) / side)
    with np.errstate(invalid="ignore"):
        moved = (c[1:] != c[:-1]).any(-1) & ~np.isnan(c[1:]).any(-1) & ~np.isnan(c[:-1]).any(-1)
    return must | moved.any(axis=1)


def exits(px: np.ndarray, half: float) -> np.ndarray:
    """For each row ``a``, the first row ``j > a`` where some run left the box of half-width
    ``half`` around its point at ``a`` (``m`` if none). ``(m, R, 2) -> (m,)``.

    All rows at once: sparse tables of running maxima and a binary search (lifting)
    per row, so about ``5 log2(m)`` array operations whatever the motion. NaN
    points never leave (a change of finiteness is taken by other rules).
    """
    m = px.shape[0]
    x = px.reshape(m, -1)
    out = np.full(m, m, dtype=np.int64)
    with np.errstate(invalid="ignore"):  # all-NaN columns
        # fmax and fmin skip NaN (as nanmax and nanmin do, without their copies)
        hi, lo = np.fmax.reduce(x, 0, initial=-np.inf), np.fmin.reduce(x, 0, initial=np.inf)
        span = hi - lo
        x = x[:, span >= half]  # a coordinate that never moves that far cannot leave
        # most rows of a moving run leave at the very next row: only the others need a search
        next_out = (np.abs(x[1:] - x[:-1]) >= half).any(axis=1)
    out[:-1][next_out] = np.flatnonzero(next_out) + 1
    rows = np.flatnonzero(~next_out)  # (row m - 1 has nothing after it: it keeps m)
    if rows.size == 0:
        return out
    start = rows[:, None] + 1
    for c in range(0, x.shape[1], _BLOCK):
        xb = x[:, c : c + _BLOCK]
        nan = np.isnan(xb)
        # leaving upwards (x_j >= x_a + half) or downwards (-x_j >= -x_a + half)
        s = np.concatenate([np.where(nan, -np.inf, xb), np.where(nan, -np.inf, -xb)], axis=1)
        thr = np.concatenate([xb[rows], -xb[rows]], axis=1) + half
        thr[np.isnan(thr)] = np.inf
        w = s.shape[1]
        cols = np.arange(w)
        tables = [s]
        while 2 * (1 << (len(tables) - 1)) <= m:
            t, k = tables[-1], 1 << (len(tables) - 1)
            tables.append(np.maximum(t[:-k], t[k:]))
        pos = np.broadcast_to(start, thr.shape).copy()
        for k in range(len(tables) - 1, -1, -1):
            t, size = tables[k], 1 << k
            val = t.ravel()[np.minimum(pos, t.shape[0] - 1) * w + cols]
            pos += np.where((pos + size <= m) & (val < thr), size, 0)
        np.minimum.at(out, rows, pos.min(axis=1))
    return out


def ball_filter(px: np.ndarray, anchor: np.ndarray, must: np.ndarray, delta: float) -> np.ndarray:
    """Rows to take: ``must``, and each row where some run strayed from its point in the
    previous row taken (``anchor``, ``(R, 2)``, before the chunk) so far that the
    skipped rows could no longer stay within ``delta`` pixels of it.

    ``px`` is ``(m, R, 2)`` pixels, NaN where not finite. With at most
    :data:`MAX_BOX_RUNS` runs the test is a box of half-width ``delta / sqrt(2)``
    around the previous row taken (a jittering run does not count as moving);
    with more, a grid of cells of that side (cheaper). Either way every row
    skipped is within ``delta`` of the row taken before it.
    """
    m, R = px.shape[:2]
    if R > MAX_BOX_RUNS:
        return _cells(px, anchor, must, delta)
    pts, half = np.concatenate([anchor[None], px]), delta / np.sqrt(2.0)
    x = pts.reshape(m + 1, -1)
    with np.errstate(invalid="ignore"):  # NaN points never leave
        if (np.abs(x[1:] - x[:-1]) >= half).any(axis=1).all():
            return np.ones(m, dtype=bool)  # every row left the box of the one before: all taken
    ex = exits(pts, half).tolist()
    nxt = np.minimum.accumulate(np.where(must, np.arange(1, m + 1), m + 1)[::-1])[::-1]
    nxt = [*nxt.tolist(), m + 1]  # first must row at or after each row (0: the anchor)
    take = must.copy()
    cur = 0
    while True:
        j = min(ex[cur], nxt[cur])
        if j > m:
            break
        take[j - 1] = True
        cur = j
    return take


def strays(px: np.ndarray, take: np.ndarray, anchor: np.ndarray) -> np.ndarray:
    """How far each row's point is from its run's point in the previous row taken
    (``anchor`` before the chunk): ``(m, R)`` pixels, 0 for rows taken and NaN points."""
    m = px.shape[0]
    if take.all():
        return np.zeros(px.shape[:2])
    last = np.maximum.accumulate(np.where(take, np.arange(m), -1))
    ap = np.where((last >= 0)[:, None, None], px[np.maximum(last, 0)], anchor)
    d = np.sqrt(((px - ap) ** 2).sum(-1))
    d[~np.isfinite(d) | take[:, None]] = 0.0
    return d
