"""Chunks in, packets out: the frame clock and the streamer.

:class:`Streamer` ties the bounded history (:mod:`.buffers`, thinned by the
rule of :mod:`.thinning`), the evaluations (:mod:`.evals`), the wire format
(:mod:`.wire`) and :class:`FrameClock` together: ``push`` chunks in, ``flush``
packets out. A packet is a ``"frame"`` (only the rows taken since the last
packet), after a thinning a ``"thin"`` (which of its rows the page keeps, then the
rows taken since), or, after a reset, a request from a late view or a thinning of
the evaluations, a ``"history"`` (every row held; the page replaces what it had).
The page therefore always holds exactly the kernel's rows.

A playing session pushes with ``wait=False``: the history takes the chunk on the intake
thread (one for every Streamer) while the engine takes the next steps, which the
compiled filters and NumPy's large loops let go on together. Everything else a Streamer
does first waits for that chunk, so what it reads or changes comes after it.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from .buffers import DEFAULT_CAPACITY, DEFAULT_LOSS_PX, DEFAULT_PLOT_PX, HistoryBuffer
from .evals import EvalBuffer
from .history import DecimatedHistory
from .wire import Evals, pack

__all__ = ["DEFAULT_MAX_FPS", "FrameClock", "Packet", "Projection", "Streamer", "first_two"]

#: Frames per second, at most.
DEFAULT_MAX_FPS = 30.0

Projection = Callable[[np.ndarray], np.ndarray]

#: The thread on which histories take the chunks pushed without waiting (all Streamers).
_INTAKE = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gdwidget-intake")


def first_two(params: np.ndarray) -> np.ndarray:
    """The default projection: the first two parameters, ``(..., P) -> (..., 2)``.

    A one-parameter problem is drawn on the line ``y = 0``.
    """
    if params.shape[-1] >= 2:
        return params[..., :2]
    out = np.zeros((*params.shape[:-1], 2), dtype=params.dtype)
    out[..., 0] = params[..., 0]
    return out


# ---------------------------------------------------------------------------------------
# Pacing
# ---------------------------------------------------------------------------------------
class FrameClock:
    """Allows at most ``max_fps`` frames a second, on average.

    Frames are due on a grid of ``1 / max_fps`` seconds rather than a minimum
    gap after the previous frame, so that a producer whose ticks last a little
    less than the period still gets ``max_fps`` frames (not one every other
    tick); no frame comes sooner than half a period after the previous one.

    Parameters
    ----------
    max_fps : float
    clock : callable, optional
        Monotonic time in seconds (``time.monotonic``); tests pass a fake one.
    """

    def __init__(
        self, max_fps: float = DEFAULT_MAX_FPS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if not max_fps > 0:
            raise ValueError(f"max_fps must be > 0, got {max_fps!r}")
        self.period = 1.0 / float(max_fps)
        self.clock = clock
        self._next = -math.inf

    def wait_time(self) -> float:
        """Seconds until the next frame may go (0 when it may go now)."""
        return max(0.0, self._next - self.clock())

    def due(self) -> bool:
        return self.wait_time() == 0.0

    def mark(self) -> None:
        """Record that a frame went now."""
        now = self.clock()
        self._next = max(self._next + self.period, now + 0.5 * self.period)

    def reset(self) -> None:
        self._next = -math.inf


@dataclass
class Packet:
    """One custom message for the browser: its JSON content and binary buffers."""

    content: dict[str, Any]
    buffers: list[bytes]

    @property
    def nbytes(self) -> int:
        return sum(len(b) for b in self.buffers)


# ---------------------------------------------------------------------------------------
# Chunks in, packets out
# ---------------------------------------------------------------------------------------
class Streamer:
    """The history buffer, the frame clock and packing, behind one lock.

    Parameters
    ----------
    n_runs : int
    capacity : int
        Most rows of history, whatever ``n_runs`` (see :class:`.buffers.HistoryBuffer`).
    max_fps : float
        Frames a second, at most (history packets are not limited).
    project : callable, optional
        ``(n, R, P) -> (n, R, 2)`` host arrays: the drawn point of each run.
        Default :func:`first_two`.
    clock : callable, optional
        Monotonic seconds, for tests.
    eval_capacity : int, optional
        Most rows of evaluations (default: ``capacity``).
    bounds : [[x0, x1], [y0, y1]], optional
        The landscape view paths are thinned for (see :meth:`set_view`).
    px : (w, h), optional
        The view's plot area in pixels (default ``DEFAULT_PLOT_PX``).
    loss_px : int
        Pixel columns of the loss chart.
    """

    def __init__(
        self,
        n_runs: int,
        capacity: int = DEFAULT_CAPACITY,
        max_fps: float = DEFAULT_MAX_FPS,
        project: Projection | None = None,
        clock: Callable[[], float] = time.monotonic,
        *,
        eval_capacity: int | None = None,
        bounds: Any = None,
        px: Any = None,
        loss_px: int = DEFAULT_LOSS_PX,
    ) -> None:
        px = DEFAULT_PLOT_PX if px is None else px
        self.buffer = HistoryBuffer(n_runs, capacity, bounds=bounds, px=px, loss_px=loss_px)
        self.evals: EvalBuffer | None = None  # made on the first chunk that has evaluations
        self.eval_capacity = int(capacity if eval_capacity is None else eval_capacity)
        if self.eval_capacity < 4:
            raise ValueError(f"eval_capacity must be an integer >= 4, got {eval_capacity!r}")
        self._evals_sent = 0
        self._evals_generation = 0
        self.clock = FrameClock(max_fps, clock)
        self.project = project or first_two
        self._lock = threading.RLock()
        self._generation = 0  # buffer generation the browser has
        self._need_history = True  # the browser must replace what it holds
        self._job: Future[int] | None = None  # a chunk pushed without waiting
        self._job_lock = threading.Lock()

    # -- in ----------------------------------------------------------------------------
    def push(self, chunk: Any, xy: np.ndarray | None = None, *, wait: bool = True) -> int:
        """Add an engine Chunk (``steps``, ``loss``, ``params``, ``grad_norm``, ``lr``).

        ``xy`` overrides the projection of ``chunk.params`` (needed when the
        engine did not record parameters). Returns the rows accepted; with ``wait`` False,
        0 at once, the chunk being taken on the intake thread (its arrays must not change).
        """
        self.settle()
        if not wait:
            with self._job_lock:
                self._job = _INTAKE.submit(self._push, chunk, xy)
            return 0
        return self._push(chunk, xy)

    def settle(self) -> None:
        """Wait until the chunk pushed without waiting is taken; an error taking it is raised
        here (once)."""
        with self._job_lock:
            job = self._job
        if job is None:
            return
        try:
            job.result()
        finally:
            with self._job_lock:
                if self._job is job:
                    self._job = None

    def _push(self, chunk: Any, xy: np.ndarray | None) -> int:
        m = len(chunk.steps)
        if m == 0:
            return 0
        if xy is None:
            if chunk.params is None:
                raise ValueError("the chunk has no params: pass xy")
            xy = self.project(chunk.params)
        with self._lock:
            self._push_evals(getattr(chunk, "evals", None))
            return self.buffer.append(chunk.steps, chunk.loss, xy, chunk.grad_norm, chunk.lr)

    def _push_evals(self, evals: dict[str, np.ndarray] | None) -> None:
        if not evals or len(evals.get("step", ())) == 0:
            return
        keys = [k for k in evals if k not in ("step", "epoch")]
        if self.evals is None or self.evals.keys != keys:
            self.evals = EvalBuffer(
                self.buffer.n_runs, keys, self.eval_capacity, self.buffer.loss_px
            )
            self._evals_sent = 0
            self._need_history = True  # the page's evaluations (if any) are another set
        self.evals.append(evals)

    def reset(self, chunk: Any, xy: np.ndarray | None = None) -> None:
        """Forget everything and start again from ``chunk`` (the step-0 row)."""
        self.settle()
        with self._lock:
            self.buffer.clear()
            self.evals = None
            self._evals_sent = 0
            self._evals_generation = 0
            self._generation = self.buffer.generation
            self._need_history = True
            self.push(chunk, xy)

    def set_view(self, bounds: Any, px: Any = None) -> None:
        """Thin paths for the view ``bounds`` (``[[x0, x1], [y0, y1]]``) on ``px`` ``(w, h)``
        pixels from now on (``px`` None: unchanged). Raises ValueError on a bad view."""
        self.settle()
        with self._lock:
            self.buffer.set_view(bounds, px)

    def request_history(self) -> None:
        """The next packet will be the whole history (a late view asked for it)."""
        self.settle()
        with self._lock:
            self._need_history = True

    # -- out ---------------------------------------------------------------------------
    @property
    def pending(self) -> bool:
        """Whether a packet is waiting to go."""
        self.settle()
        with self._lock:
            b = self.buffer
            return (
                self._need_history
                or b.generation != self._generation
                or self._evals_stale()
                or b.marked < b.n
                or b.has_pending
                or (self.evals is not None and self._evals_sent < self.evals.n)
            )

    def _evals_stale(self) -> bool:
        """The evaluation buffer was decimated since the page got it."""
        return self.evals is not None and self.evals.generation != self._evals_generation

    def _evals_since(self, start: int) -> Evals | None:
        if self.evals is None or self.evals.n <= start:
            return None
        steps, _, values = self.evals.rows(start)
        return steps, values

    def flush(self, force: bool = False) -> Packet | None:
        """The packet due now, or None (nothing new, or too soon after the last frame).

        A history packet goes whenever it is needed; a frame or a thin only when the
        frame clock allows it, unless ``force`` (however many thinnings came between).
        Rows the buffer held aside (the newest one) are committed first, so a packet
        always ends at the newest step.
        """
        self.settle()
        with self._lock:
            b = self.buffer
            history = self._need_history or self._evals_stale()
            if not history and not (force or self.clock.due()):
                return None
            b.commit_pending()
            new_evals = self.evals is not None and self._evals_sent < self.evals.n
            if history:
                content, buffers = pack("history", b.rows(), self._evals_since(0))
            elif b.generation != self._generation:
                keep, first = b.since_mark()
                evals = self._evals_since(self._evals_sent)
                content, buffers = pack("thin", b.rows(first), evals, keep=keep, base=b.marked)
            elif b.marked < b.n or new_evals:
                content, buffers = pack(
                    "frame", b.rows(b.marked), self._evals_since(self._evals_sent)
                )
            else:
                return None
            self._generation = b.generation
            b.mark()  # the rows the browser holds now
            if self.evals is not None:
                self._evals_sent = self.evals.n
                self._evals_generation = self.evals.generation
            self._need_history = False
            self.clock.mark()
            packet = Packet(content, buffers)
            return packet

    def snapshot(
        self,
        labels: list[str],
        groups: list[str],
        status: list[str] | None = None,
        stop_step: np.ndarray | None = None,
    ) -> DecimatedHistory:
        """A copy of the history for users."""
        self.settle()
        with self._lock:
            self.buffer.commit_pending()
            r = self.buffer.rows()
            return DecimatedHistory(
                steps=r.steps.copy(),
                loss=r.loss.astype(np.float64),
                xy=r.xy.astype(np.float64),
                grad_norm=r.grad_norm.astype(np.float64),
                lr=r.lr.astype(np.float64),
                labels=list(labels),
                groups=list(groups),
                status=list(status or []),
                stop_step=(
                    np.full(len(labels), -1, dtype=np.int64)
                    if stop_step is None
                    else np.asarray(stop_step).copy()
                ),
                precision=self.buffer.precision,
                evals=self._evals_copy(),
            )

    def _evals_copy(self) -> dict[str, np.ndarray] | None:
        if self.evals is None:
            return None
        steps, epochs, values = self.evals.rows()
        return {"step": steps.copy(), "epoch": epochs.copy()} | {
            k: v.copy() for k, v in values.items()
        }
