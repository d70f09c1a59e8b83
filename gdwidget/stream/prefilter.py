"""Which offered rows the history takes (the thinning rule, applied as rows arrive).

Most steps change nothing that is drawn: a run that moved a hundredth of a
pixel, a loss that is not the extreme of its pixel column. The history takes a
row when (:func:`ball_filter`) some run's point left the ball of ``delta``
pixels around its point in the previous row taken, or when the loss chart needs
it (:func:`loss_records`, plus the rows that start or end a bucket and those
around a loss or point that stops being finite). Every function here works on a
whole chunk at once; :class:`Ball` keeps the ball filter's state between chunks
(:class:`.sleeve.Sleeve`, by chords, has the same interface).
"""

from __future__ import annotations

import numpy as np

from .m4 import finite_edges

__all__ = ["Ball", "ball_filter", "exits", "loss_records", "must_take", "strays"]

#: Above this many runs the grid of cells is used (its cost does not grow with a log factor).
MAX_BOX_RUNS = 32
#: Columns of the exit-time tables built at once (bounds temporary memory).
_BLOCK = 256
#: Up to this many buckets in a chunk, :func:`loss_records` of finite losses goes bucket by bucket.
_FEW_PARTS = 32


def must_take(
    buckets: np.ndarray,
    new_first: bool,
    loss: np.ndarray,
    fin_xy: np.ndarray,
    fin_l: np.ndarray,
    prev_fin: np.ndarray,
    run_min: np.ndarray,
    run_max: np.ndarray,
) -> tuple[np.ndarray, bool]:
    """The rows of a chunk that must be taken whatever the paths do ``(m,)``, and whether the
    row held aside before the chunk must be taken too.

    These are the rows that start or end a loss bucket (``buckets``: each row's bucket;
    ``new_first``: the first row starts one), hold a bucket's new extreme
    (:func:`loss_records`), or sit on either side of a change of finiteness of some run's
    point (``fin_xy``) or loss (``fin_l``, both ``(m, R)``; ``prev_fin`` ``(R, 2)``: the
    row offered before the chunk).
    """
    m = buckets.shape[0]
    if prev_fin.all() and fin_xy.all() and fin_l.all():
        beside = np.zeros(m + 1, dtype=bool)  # all finite: no row changes finiteness
    else:  # the row before the chunk, then the chunk's rows
        fin = np.concatenate([prev_fin[None], np.stack([fin_xy, fin_l], axis=-1)])
        beside = finite_edges(fin.reshape(m + 1, -1))
    newb = np.empty(m, dtype=bool)
    newb[0] = True
    np.not_equal(buckets[1:], buckets[:-1], out=newb[1:])
    starts = np.flatnonzero(newb)  # the first row of each bucket's part in the chunk
    newb[0] = new_first
    must = beside[1:] | newb
    must[:-1] |= newb[1:]  # the last row of a bucket
    must |= loss_records(loss, fin_l, starts, not new_first, run_min, run_max)
    return must, bool(new_first or beside[0])


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
    out = np.zeros(loss.shape[0], dtype=bool)
    for fill, reduce, so_far in ((np.inf, np.minimum, run_min), (-np.inf, np.maximum, run_max)):
        ext, first = _extremes(loss, finite, starts, fill, reduce)
        rec = np.isfinite(ext)
        if continues:
            rec[0] &= reduce(ext[0], so_far) != so_far
        out[first[rec]] = True
        so_far[:] = reduce(ext[-1], so_far) if continues and starts.size == 1 else ext[-1]
    return out


def _extremes(
    loss: np.ndarray, finite: np.ndarray, starts: np.ndarray, fill: float, reduce: np.ufunc
) -> tuple[np.ndarray, np.ndarray]:
    """Per part (``starts``) and run: the extreme (``reduce``) finite loss, or ``fill`` if none,
    and the first row holding it. ``(P, R)`` each."""
    m = loss.shape[0]
    if starts.size <= _FEW_PARTS and finite.all():  # the same, in fewer passes
        pick = np.argmin if reduce is np.minimum else np.argmax
        ends = [*starts[1:].tolist(), m]
        first = np.stack(
            [a + pick(loss[a:b], axis=0) for a, b in zip(starts.tolist(), ends, strict=True)]
        )
        return np.take_along_axis(loss, first, axis=0), first
    seg = np.zeros(m, dtype=np.intp)  # each row's part: 0 up to starts[1], then 1, ...
    seg[starts[1:]] = 1
    np.cumsum(seg, out=seg)
    v = np.where(finite, loss, fill)
    ext = reduce.reduceat(v, starts, axis=0)
    pos = np.where(finite & (v == ext[seg]), np.arange(m)[:, None], m)
    return ext, np.minimum.reduceat(pos, starts, axis=0)


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


Block = tuple[tuple[np.ndarray, ...], np.ndarray]  # history rows and their bounds


class Ball:
    """The ball filter's state between chunks: the newest row, held aside unless taken, and
    how far the rows skipped since the last row taken strayed.

    Parameters
    ----------
    n_runs : int
    delta : float
        Pixels a run may move from the last row taken before a row is taken.
    """

    def __init__(self, n_runs: int, delta: float) -> None:
        self.delta = float(delta)
        self.tail: tuple[np.ndarray, ...] | None = None
        self.tail_err = np.zeros(n_runs)  # its stray
        self.skip_err = np.zeros(n_runs)  # stray of the rows skipped before it

    @property
    def pending(self) -> bool:
        return self.tail is not None

    def pending_bound(self) -> float:
        return float(max(self.skip_err.max(), self.tail_err.max()))

    def restart(self, anchor: np.ndarray) -> None:
        """After :meth:`commit`: nothing is held (the anchor is read from the history)."""

    def offer(
        self,
        rows: tuple[np.ndarray, ...],
        px: np.ndarray,
        must: np.ndarray,
        tail_must: bool,
        anchor: np.ndarray,
    ) -> list[Block]:
        """Rows offered (see :meth:`.sleeve.Sleeve.offer`); ``anchor``: pixels of the last
        row taken (R, 2). Returns what to write, in order."""
        blocks: list[Block] = []
        if self.tail is not None:
            if tail_must:
                blocks.append((self.tail, self.skip_err[None]))
                self.skip_err = np.zeros_like(self.skip_err)
            else:
                self.skip_err = np.maximum(self.skip_err, self.tail_err)
            self.tail = None
            self.tail_err = np.zeros_like(self.tail_err)
        m = px.shape[0]
        take = ball_filter(px, anchor, must, self.delta)
        d = strays(px, take, anchor)
        idx = np.flatnonzero(take)
        after = slice(0, m - 1)
        if idx.size:
            bounds = np.empty_like(idx)
            bounds[0] = 0
            np.add(idx[:-1], 1, out=bounds[1:])
            err = np.maximum.reduceat(d[: idx[-1] + 1], bounds, axis=0)
            err[0] = np.maximum(err[0], self.skip_err)
            self.skip_err = np.zeros_like(self.skip_err)
            after = slice(idx[-1] + 1, m - 1)
            blocks.append((tuple(a[idx] for a in rows), err))
        if d[after].size:
            self.skip_err = np.maximum(self.skip_err, d[after].max(axis=0))
        if not take[-1]:
            self.tail = tuple(a[-1:] for a in rows)
            self.tail_err = d[-1].copy()
        return blocks

    def commit(self) -> list[Block]:
        """Take the row held aside, if any; returns what to write."""
        if self.tail is None:
            return []
        block = (self.tail, self.skip_err[None])
        self.tail = None
        self.skip_err = np.zeros_like(self.skip_err)
        self.tail_err = np.zeros_like(self.tail_err)
        return [block]
