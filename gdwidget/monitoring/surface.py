"""The loss around the current parameters, over the path's plane, a few points at a time.

Like the loss-landscape plots of Li et al. (2018), a surface is centred on a point of
the path, its *anchor* (the parameters of the newest step when the surface starts):
the value at plane coordinates ``(a, b)`` is the loss at
``anchor + (a - a0) * d1 + (b - b0) * d2``, where ``(a0, b0)`` are the anchor's own
plane coordinates and ``d1, d2`` the plane's directions. So the anchor's node holds
exactly ``loss_fn()`` at the anchor's parameters, although the anchor is off the plane
(a plane through the path's mean would evaluate the point's projection instead, whose
loss can be far from the network's).

``loss_fn`` evaluates the user's own model, so the surface is computed where the model
is trained (in the optimizer's hook, or in ``log()``), between two steps, never in
another thread (:mod:`.evaluators` puts the parameters back before the next step). A
:class:`SurfaceJob` holds one grid and evaluates it coarse to fine: every 8th node of
the 41 x 41 grid first (6 x 6), then every 4th, 2nd, and every node; each level is
published as a :class:`Surface` when it is complete, so a short run still gets a
picture. The grid is shifted so that the anchor is a node of every level.
:meth:`SurfaceJob.work` evaluates while its time credit lasts: ``SHARE`` of the wall
time, so a surface costs training at most about that share (``FIRST_SHARE`` for the
coarse level of a monitor's first surface, 36 evaluations once, so that a short run
shows one too).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from .projection import PathPlane

__all__ = ["Surface", "SurfaceJob", "grid_levels"]

#: Share of the wall time the surface may take from training.
SHARE = 0.03
#: Share for the coarse level of a monitor's first surface (36 evaluations, once), so that
#: a run of a second or two still shows a surface.
FIRST_SHARE = 0.1
#: Most seconds of credit saved up (so that a long pause brings no long stall).
MAX_CREDIT = 0.05


@dataclass
class Surface:
    """A finished level of a job: ``values`` ``(ny, nx)`` over ``bounds`` of ``plane``,
    centred on the parameters of step ``anchor_step`` at plane coordinates ``anchor_xy``."""

    plane: PathPlane
    bounds: list[list[float]]
    values: np.ndarray
    anchor_xy: tuple[float, float]
    anchor_step: int

    @property
    def xs(self) -> np.ndarray:
        return np.linspace(self.bounds[0][0], self.bounds[0][1], self.values.shape[1])

    @property
    def ys(self) -> np.ndarray:
        return np.linspace(self.bounds[1][0], self.bounds[1][1], self.values.shape[0])


def grid_levels(nx: int, ny: int) -> tuple[list[int], np.ndarray, list[int]]:
    """Strides (coarse to fine, ending with 1), the flat node indices in evaluation order,
    and the end of each level in that order.

    A stride ``s`` (a power of two) is a level when it divides ``nx - 1`` and ``ny - 1``
    and leaves at least 4 cells on each axis: 41 x 41 gives 8, 4, 2, 1 (6, 11, 21, 41).
    """
    strides = [1]
    s = 2
    while (nx - 1) % s == 0 and (ny - 1) % s == 0 and min(nx - 1, ny - 1) // s >= 4:
        strides.insert(0, s)
        s *= 2
    taken = np.zeros((ny, nx), dtype=bool)
    order, ends = [], []
    for s in strides:
        new = np.zeros_like(taken)
        new[::s, ::s] = True
        new &= ~taken
        order.append(np.flatnonzero(new))
        taken |= new
        ends.append(sum(o.size for o in order))
    return strides, np.concatenate(order), ends


def _aligned(lo: float, hi: float, at: float, cells: int) -> tuple[float, float]:
    """An axis ``[x0, x0 + cells * h]`` holding ``[lo, hi]`` with ``at`` on a node."""
    lo, hi = min(lo, at), max(lo, hi, at)
    if not hi > lo:
        lo, hi = at - 1.0, at + 1.0
    h = (hi - lo) / max(cells - 1, 1)
    x0 = at - math.ceil((at - lo) / h) * h
    return float(x0), float(x0 + cells * h)


class SurfaceJob:
    """One grid of ``nx`` by ``ny`` loss values around an anchor, over a box of ``plane``.

    ``box`` is the path's frame; :meth:`set_anchor` fixes the centre and the grid (the
    box widened to hold the anchor, shifted so the anchor is a node of every level).
    """

    def __init__(
        self,
        plane: PathPlane,
        box: list[list[float]],
        nx: int = 41,
        ny: int = 41,
        first: bool = False,
    ) -> None:
        self.plane = plane
        self.first = first  # the monitor's first surface: its coarse level at FIRST_SHARE
        self.box = box
        self.nx, self.ny = int(nx), int(ny)
        self.strides, self.order, self.ends = grid_levels(self.nx, self.ny)
        self.values = np.full((self.ny, self.nx), np.nan)
        self.bounds = box
        self.anchor: Any = None  # the evaluator's copy of the parameters
        self.anchor_xy: tuple[float, float] = (0.0, 0.0)
        self.anchor_step = 0
        self._h = (1.0, 1.0)  # the grid's spacing
        self._node = (0, 0)  # the anchor's column and row
        self.next = 0
        self.published = 0  # levels handed out as surfaces
        self.credit = 0.0
        self.last = time.perf_counter()

    def set_anchor(self, anchor: Any, xy: np.ndarray, step: int) -> None:
        """Centre the grid on parameters ``anchor`` at plane coordinates ``xy``."""
        a0, b0 = float(xy[0]), float(xy[1])
        s0 = self.strides[0]
        ax = _aligned(*self.box[0], a0, (self.nx - 1) // s0)
        ay = _aligned(*self.box[1], b0, (self.ny - 1) // s0)
        self.bounds = [list(ax), list(ay)]
        self.anchor, self.anchor_xy, self.anchor_step = anchor, (a0, b0), int(step)
        self._h = ((ax[1] - ax[0]) / (self.nx - 1), (ay[1] - ay[0]) / (self.ny - 1))
        self._node = (round((a0 - ax[0]) / self._h[0]), round((b0 - ay[0]) / self._h[1]))

    @property
    def done(self) -> bool:
        return self.next >= self.order.size

    @property
    def levels_done(self) -> int:
        return sum(1 for e in self.ends if e <= self.next)

    def surface(self) -> Surface:
        """The finest complete level (a copy); at least one level must be done."""
        s = self.strides[self.levels_done - 1]
        return Surface(
            self.plane,
            [list(b) for b in self.bounds],
            self.values[::s, ::s].copy(),
            self.anchor_xy,
            self.anchor_step,
        )

    def offset(self, j: int) -> tuple[float, float]:
        """Grid node ``j``'s plane coordinates (row-major, row 0 at ``y0``) minus the
        anchor's: exactly zero at the anchor's node."""
        r, c = divmod(int(j), self.nx)
        return (c - self._node[0]) * self._h[0], (r - self._node[1]) * self._h[1]

    def work(self, evaluator: Any, everything: bool = False) -> None:
        """Evaluate nodes while the credit lasts (all of them with ``everything``)."""
        now = time.perf_counter()
        share = FIRST_SHARE if self.first and self.next < self.ends[0] else SHARE
        self.credit = min(self.credit + share * (now - self.last), MAX_CREDIT)
        self.last = now
        if self.done or (self.credit <= 0 and not everything):
            return
        evaluator.begin(self)
        try:
            while not self.done and (everything or self.credit > 0):
                t0 = time.perf_counter()
                j = self.order[self.next]
                self.values.flat[j] = evaluator.value(self.offset(j))
                self.next += 1
                self.credit -= time.perf_counter() - t0
        finally:
            t0 = time.perf_counter()
            evaluator.end()
            self.credit -= time.perf_counter() - t0
            self.last = time.perf_counter()
