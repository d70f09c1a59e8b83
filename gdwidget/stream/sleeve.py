"""Which offered rows the history takes, by chords: the sleeve filter (needs numba).

A row skipped is drawn as part of the chord between the rows taken around it. The ball
filter of :mod:`.prefilter` takes a row as soon as a run strays a fraction of a pixel from
its point in the previous row taken; the sleeve filter takes one only when no chord from
that row could pass within ``delta`` pixels of every point skipped since (a sleeve, or
sector, bound: see :mod:`._sleeve`). Both keep the same promise (every point skipped within
``delta`` of its chord, with the bound recorded per row taken); the sleeve takes far fewer
rows on straight stretches and none on a run oscillating between two points. It is used
once its compiled code is loaded (:data:`COMPILED`); until then, and without numba, the
history takes rows by the ball.

Unlike the ball, it may decide to take a row only later (the last *good* row, whose chord
covered every point skipped), so :class:`Sleeve` holds that row's data aside.
"""

from __future__ import annotations

import numpy as np

from .._compiled import Background
from .prefilter import Block

__all__ = ["COMPILED", "Sleeve"]


def _warm() -> None:
    sleeve = Sleeve(2, 0.3)
    rows = (np.arange(3), np.zeros((3, 2)), np.zeros((3, 2, 2)), np.zeros((3, 2)), np.zeros((3, 2)))
    sleeve.offer(rows, np.zeros((3, 2, 2)), np.array([True, False, False]), False)
    sleeve.commit()


#: the compiled filter (:mod:`._sleeve`), loaded in the background the first time
COMPILED = Background("gdwidget-sleeve-load", _warm)


class Sleeve:
    """The filter's state between chunks: each run's cone, the rows since the last good row
    (scanned again if it is taken) and the newest row, held aside.

    Parameters
    ----------
    n_runs : int
    delta : float
        Pixels a skipped point may lie from its chord.
    """

    def __init__(self, n_runs: int, delta: float) -> None:
        from ._sleeve import WIDTH  # noqa: PLC0415 - needs numba

        self.delta = float(delta)
        self.state = np.zeros((n_runs, WIDTH))
        self.carry: tuple[np.ndarray, ...] | None = None  # rows from the last good row on
        self.carry_px = np.zeros((0, n_runs, 2))
        self.tail: tuple[np.ndarray, ...] | None = None  # the newest row, not scanned yet
        self.tail_px = np.zeros((0, n_runs, 2))
        self.tail_must = False  # whether it must be taken (known so far)

    @property
    def pending(self) -> bool:
        """Whether a row offered is held aside (see :meth:`commit`)."""
        return self.tail is not None

    def restart(self, anchor: np.ndarray) -> None:
        """Forget every point skipped: the row taken last is at pixels ``anchor`` (R, 2)."""
        self.state[:] = 0.0
        self.state[:, 0:2] = anchor
        self.carry, self.carry_px = None, self.carry_px[:0]

    def pending_bound(self) -> float:
        """A bound on the distance of the rows held to the chords they will be drawn on."""
        return self.delta if self.pending else 0.0

    def offer(
        self,
        rows: tuple[np.ndarray, ...],
        px: np.ndarray,
        must: np.ndarray,
        tail_must: bool,
        anchor: np.ndarray | None = None,
    ) -> list[Block]:
        """Rows offered (``rows``: steps, loss, xy, grad_norm, lr; ``px`` (m, R, 2) pixels, NaN
        where not finite; ``must`` (m,)); ``tail_must``: the row held aside must be taken
        (the first offered starts a bucket or changes finiteness); ``anchor`` is not needed
        (the state holds it). Returns what to write, in order; the newest row is held aside."""
        held = [b for b in (self.carry, self.tail) if b is not None]
        head = tuple(np.concatenate(parts) for parts in zip(*held, strict=True)) if held else None
        head_px = np.concatenate([self.carry_px, self.tail_px])
        head_must = np.zeros(len(head_px), dtype=bool)
        if self.tail is not None:
            head_must[-1] = self.tail_must or tail_must
        m = px.shape[0]
        blocks = self._scan(head, head_px, head_must, rows, px[: m - 1], must[: m - 1])
        self.tail = tuple(a[m - 1 :].copy() for a in rows)
        self.tail_px, self.tail_must = px[m - 1 :].copy(), bool(must[m - 1])
        return blocks

    def commit(self) -> list[Block]:
        """Take the row held aside (and what its chord needs); returns what to write."""
        if self.tail is None:
            return []
        no = np.zeros(len(self.carry_px), dtype=bool)
        must = np.ones(1, dtype=bool)
        blocks = self._scan(self.carry, self.carry_px, no, self.tail, self.tail_px, must)
        self.tail, self.tail_px = None, self.tail_px[:0]
        return blocks

    def _scan(self, head, head_px, head_must, rows, px, must) -> list[Block]:
        from ._sleeve import scan  # noqa: PLC0415 - needs numba

        c = len(self.carry_px)  # rows scanned before: the carry
        k = len(head_px)
        all_px = np.concatenate([head_px, px]) if k else px
        n, R = all_px.shape[:2]
        take = np.zeros(n, dtype=bool)
        err = np.zeros((n, R))
        g = scan(
            np.ascontiguousarray(all_px, dtype=np.float64),
            np.concatenate([head_must, must]),
            c,
            0 if c else -1,
            self.state,
            self.delta,
            take,
            err,
        )
        idx = np.flatnonzero(take)
        blocks: list[Block] = []
        near, far = idx[idx < k], idx[idx >= k] - k
        if near.size:
            blocks.append((tuple(a[near] for a in head), err[near]))
        if far.size:
            blocks.append((tuple(a[far] for a in rows), err[far + k]))
        if g < 0:
            self.carry, self.carry_px = None, all_px[:0]
        else:  # the rows from the last good row on, scanned again if it is taken
            scanned = tuple(x[: len(px)] for x in rows)
            if g < k:
                self.carry = tuple(
                    np.concatenate([h[g:], x]) for h, x in zip(head, scanned, strict=True)
                )
            else:
                self.carry = tuple(x[g - k :].copy() for x in scanned)
            self.carry_px = all_px[g:].copy()
        return blocks
