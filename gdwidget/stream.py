"""What the browser gets: a bounded host history, binary frames and their pacing.

The engine hands over one :class:`~gdwidget.engine.Chunk` per ``advance`` call.
This module turns those chunks into what docs/protocol.md describes:

* :class:`HistoryBuffer` keeps a bounded, decimated history on the host. Rows
  are accepted on a step stride (every step at first); when the buffer is full
  the stride doubles and the rows off the new stride are dropped, except the
  first row, the last row and each run's loss minimum and maximum. Memory is
  ``O(capacity)`` however long the run goes.
* :func:`pack` lays rows out as the protocol's message: a small JSON
  ``content`` and four little-endian buffers (Float64 steps, Float32 loss, xy
  and lr). :func:`unpack` is its inverse, for tests and tools.
* :class:`EvalBuffer` keeps the full-data evaluations (training and validation
  loss and accuracy) the same way, bounded; packets carry them after the four
  buffers (docs/protocol.md, "Models on data").
* :class:`FrameClock` coalesces frames to at most ``max_fps`` a second.
* :class:`Streamer` ties the three together: ``push`` chunks in, ``flush``
  packets out. A packet is a ``"frame"`` (only the rows accepted since the last
  packet) or, after a reset, a request from a late view or a decimation, a
  ``"history"`` (every row held; the browser replaces what it had). The browser
  therefore always holds exactly the kernel's decimated history.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .engine import evals_table, long_table

__all__ = [
    "DecimatedHistory",
    "EvalBuffer",
    "FrameClock",
    "HistoryBuffer",
    "Packet",
    "Streamer",
    "first_two",
    "pack",
    "unpack",
]

#: Rows of history kept by default (per Playground, all runs together).
DEFAULT_CAPACITY = 4096
#: Frames per second, at most.
DEFAULT_MAX_FPS = 30.0

Projection = Callable[[np.ndarray], np.ndarray]


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
# The bounded history
# ---------------------------------------------------------------------------------------
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


def _finite_or(a: np.ndarray, fill: float) -> np.ndarray:
    return np.where(np.isfinite(a), a, fill)


class HistoryBuffer:
    """A bounded, decimated history of many runs, on the host.

    Parameters
    ----------
    n_runs : int
    capacity : int
        Most rows ever held. It is raised to ``8 * (n_runs + 2)`` if smaller, so
        that the rows every decimation must keep (first, last, each run's
        extremes) fit in a quarter of it.
    dims : int
        Width of the drawn point of a run (2: the landscape's x and y).

    Notes
    -----
    Rows are *committed* when their step is a multiple of :attr:`stride`. Two
    kinds of off-stride rows are held aside as *pending* instead: the newest row,
    and for each run the row with the lowest and the highest loss seen so far.
    A pending row is committed just before the next committed row (so the
    records of a run are never lost), or by :meth:`commit_pending` (when a frame
    goes, so that the page shows the newest point), unless a newer record
    supersedes it first. Rows are therefore committed at most at the rate of the
    stride plus the rate of frames, not at the rate of engine calls.

    When the buffer is full it is decimated: rows off the stride are dropped,
    and if that does not free half of it the stride doubles (until it does);
    the first and last rows and each run's loss argmin and argmax always
    survive. Decimation raises :attr:`generation`, so that a consumer knows its
    copy is stale.
    """

    def __init__(self, n_runs: int, capacity: int = DEFAULT_CAPACITY, dims: int = 2) -> None:
        if isinstance(n_runs, bool) or not isinstance(n_runs, int | np.integer) or n_runs < 1:
            raise ValueError(f"n_runs must be an integer >= 1, got {n_runs!r}")
        if not isinstance(capacity, int | np.integer) or isinstance(capacity, bool) or capacity < 2:
            raise ValueError(f"capacity must be an integer >= 2, got {capacity!r}")
        self.n_runs = int(n_runs)
        self.dims = int(dims)
        self.capacity = max(int(capacity), 8 * (self.n_runs + 2))
        C, R = self.capacity, self.n_runs
        self._steps = np.zeros(C, dtype=np.int64)
        self._loss = np.zeros((C, R))
        self._xy = np.zeros((C, R, self.dims))
        self._gnorm = np.zeros((C, R))
        self._lr = np.zeros((C, R))
        self.clear()

    # -- state -------------------------------------------------------------------------
    def clear(self) -> None:
        """Forget every row (after a reset)."""
        self.n = 0
        self.stride = 1
        self.generation = 0
        self.n_seen = 0  # rows offered, committed or not
        self._last_seen = -1
        self._best = np.full(self.n_runs, np.inf)
        self._worst = np.full(self.n_runs, -np.inf)
        # pending rows: role -> (step, loss, xy, grad_norm, lr); roles ("lo", r), ("hi", r), "tail"
        self._pending: dict[Any, tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}

    def __len__(self) -> int:
        return self.n

    @property
    def last_step(self) -> int:
        """Step of the newest row offered (-1 when none)."""
        return self._last_seen

    def rows(self, start: int = 0, stop: int | None = None) -> Rows:
        """Views of committed rows ``start:stop`` (valid until the next change)."""
        stop = self.n if stop is None else min(stop, self.n)
        sl = slice(start, stop)
        return Rows(self._steps[sl], self._loss[sl], self._xy[sl], self._gnorm[sl], self._lr[sl])

    def nbytes(self) -> int:
        """Host memory held by the buffer's arrays."""
        return sum(a.nbytes for a in (self._steps, self._loss, self._xy, self._gnorm, self._lr))

    @property
    def has_pending(self) -> bool:
        """Whether some offered rows are held aside (see :meth:`commit_pending`)."""
        last = int(self._steps[self.n - 1]) if self.n else -1
        return any(p[0] > last for p in self._pending.values())

    # -- appending ---------------------------------------------------------------------
    def append(
        self,
        steps: np.ndarray,
        loss: np.ndarray,
        xy: np.ndarray,
        grad_norm: np.ndarray,
        lr: np.ndarray,
    ) -> int:
        """Offer consecutive rows; returns how many were committed now.

        Steps must increase and follow the rows already offered.
        """
        steps = np.asarray(steps, dtype=np.int64).reshape(-1)
        m = steps.shape[0]
        if m == 0:
            return 0
        R = self.n_runs
        loss = np.asarray(loss, dtype=np.float64).reshape(m, R)
        xy = np.asarray(xy, dtype=np.float64).reshape(m, R, self.dims)
        grad_norm = np.asarray(grad_norm, dtype=np.float64).reshape(m, R)
        lr = np.asarray(lr, dtype=np.float64).reshape(m, R)
        if steps[0] <= self._last_seen or (m > 1 and np.any(np.diff(steps) <= 0)):
            raise ValueError(
                f"history rows must follow step {self._last_seen} in increasing order, "
                f"got steps {int(steps[0])}..{int(steps[-1])}"
            )
        self.n_seen += m
        self._last_seen = int(steps[-1])

        on = steps % self.stride == 0
        if self.n == 0 and not self._pending:
            on[0] = True  # the first row ever
        n_on = int(on.sum())
        seg = np.cumsum(on) - on  # rows before the first on-stride row are segment 0
        forced = np.zeros(m, dtype=bool)  # records to commit now
        carried: list[tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []

        for kind, vals, best in (
            ("lo", _finite_or(loss, np.inf), self._best),
            ("hi", -_finite_or(loss, -np.inf), -self._worst),
        ):
            # a record: strictly better than everything offered before it
            prev = np.minimum.accumulate(np.concatenate([best[None, :], vals[:-1]]), axis=0)
            rec = vals < prev
            for r in np.flatnonzero(rec.any(axis=0)):
                idx = np.flatnonzero(rec[:, r])
                s = seg[idx]
                last_in_seg = idx[np.r_[s[1:] != s[:-1], True]]
                final = last_in_seg[seg[last_in_seg] == n_on]  # after the last on-stride row
                forced[last_in_seg[seg[last_in_seg] < n_on]] = True
                old = self._pending.pop((kind, r), None)
                if old is not None and seg[idx[0]] != 0 and n_on:
                    carried.append(old)  # not superseded before the next committed row
                if final.size:
                    i = int(final[-1])
                    self._pending[(kind, r)] = (int(steps[i]), loss[i], xy[i], grad_norm[i], lr[i])
            if kind == "lo":
                self._best = np.minimum(self._best, vals.min(axis=0))
            else:
                self._worst = np.maximum(self._worst, -vals.min(axis=0))

        if n_on:
            # pending records of runs without a new record in segment 0 go before the chunk
            for key in [k for k in self._pending if k != "tail"]:
                p = self._pending[key]
                if p[0] < steps[0]:
                    carried.append(self._pending.pop(key))
        self._pending.pop("tail", None)
        if not on[-1] and not forced[-1]:
            self._pending["tail"] = (int(steps[-1]), loss[-1], xy[-1], grad_norm[-1], lr[-1])

        committed = 0
        if carried:
            committed += self._write_pending(carried)
        idx = np.flatnonzero(on | forced)
        if idx.size:
            committed += self._write(
                steps[idx],
                loss[idx],
                xy[idx],
                grad_norm[idx],
                lr[idx],
                forced[idx] | (idx == m - 1),
            )
        return committed

    def commit_pending(self) -> int:
        """Commit the rows held aside (the newest row, unbeaten records); returns how many."""
        last = int(self._steps[self.n - 1]) if self.n else -1
        rows = [p for p in self._pending.values() if p[0] > last]
        self._pending.clear()
        return self._write_pending(rows)

    def _write_pending(self, rows: list[tuple[Any, ...]]) -> int:
        if not rows:
            return 0
        uniq = {int(p[0]): p for p in rows}
        order = sorted(uniq)
        ps = [uniq[s] for s in order]
        return self._write(
            np.array(order, dtype=np.int64),
            np.stack([p[1] for p in ps]),
            np.stack([p[2] for p in ps]),
            np.stack([p[3] for p in ps]),
            np.stack([p[4] for p in ps]),
            np.ones(len(ps), dtype=bool),
        )

    def _write(
        self,
        steps: np.ndarray,
        loss: np.ndarray,
        xy: np.ndarray,
        grad_norm: np.ndarray,
        lr: np.ndarray,
        forced: np.ndarray,
    ) -> int:
        written = 0
        idx = np.arange(steps.shape[0])
        while idx.size:
            space = self.capacity - self.n
            if space == 0:
                self._decimate()
                # rows not yet written must meet the (maybe doubled) stride too
                idx = idx[forced[idx] | (steps[idx] % self.stride == 0)]
                continue
            take = idx[:space]
            k = take.size
            sl = slice(self.n, self.n + k)
            self._steps[sl] = steps[take]
            self._loss[sl] = loss[take]
            self._xy[sl] = xy[take]
            self._gnorm[sl] = grad_norm[take]
            self._lr[sl] = lr[take]
            self.n += k
            written += k
            idx = idx[k:]
        return written

    def _decimate(self) -> None:
        """Free at least half the buffer: drop off-stride rows, doubling the stride as needed.

        The first and last rows and each run's loss argmin and argmax are kept.
        """
        n = self.n
        steps = self._steps[:n]
        must = np.zeros(n, dtype=bool)
        must[0] = must[n - 1] = True
        loss = self._loss[:n]
        must[np.argmin(_finite_or(loss, np.inf), axis=0)] = True
        must[np.argmax(_finite_or(loss, -np.inf), axis=0)] = True
        target = self.capacity // 2
        keep = must | (steps % self.stride == 0)
        while int(keep.sum()) > target and self.stride <= int(steps[-1]):
            self.stride *= 2
            keep = must | (steps % self.stride == 0)
        idx = np.flatnonzero(keep)
        k = idx.size
        for a in (self._steps, self._loss, self._xy, self._gnorm, self._lr):
            a[:k] = a[idx]
        self.n = k
        self.generation += 1


class EvalBuffer:
    """A bounded history of evaluations: one row per evaluation, one value per run and key.

    Parameters
    ----------
    n_runs : int
    keys : list of str
        ``train_loss``, ``val_loss``, ``train_acc``, ``val_acc`` (those that apply).
    capacity : int
        Most rows held. When full, every other row is dropped (the first and the
        last are kept) and :attr:`generation` goes up, so a consumer knows that
        its copy is stale.
    """

    def __init__(self, n_runs: int, keys: list[str], capacity: int = DEFAULT_CAPACITY) -> None:
        self.n_runs = int(n_runs)
        self.keys = list(keys)
        self.capacity = max(4, int(capacity))
        self._steps = np.zeros(self.capacity, dtype=np.int64)
        self._epochs = np.zeros(self.capacity, dtype=np.int64)
        self._values = np.zeros((len(self.keys), self.capacity, self.n_runs))
        self.n = 0
        self.generation = 0

    def __len__(self) -> int:
        return self.n

    def nbytes(self) -> int:
        return self._steps.nbytes + self._epochs.nbytes + self._values.nbytes

    def append(self, evals: dict[str, np.ndarray]) -> int:
        """Add a chunk's ``evals`` (``step``, ``epoch`` and the keys); returns the rows added."""
        steps = np.asarray(evals["step"], dtype=np.int64).reshape(-1)
        e = steps.shape[0]
        if e == 0:
            return 0
        epochs = np.asarray(evals.get("epoch", np.zeros(e)), dtype=np.int64).reshape(-1)
        vals = np.stack(
            [np.asarray(evals[k], dtype=np.float64).reshape(e, self.n_runs) for k in self.keys]
        )
        i = 0
        while i < e:
            if self.n == self.capacity:
                self._decimate()
            k = min(e - i, self.capacity - self.n)
            sl = slice(self.n, self.n + k)
            self._steps[sl] = steps[i : i + k]
            self._epochs[sl] = epochs[i : i + k]
            self._values[:, sl] = vals[:, i : i + k]
            self.n += k
            i += k
        return e

    def _decimate(self) -> None:
        n = self.n
        keep = np.zeros(n, dtype=bool)
        keep[::2] = True
        keep[n - 1] = True
        idx = np.flatnonzero(keep)
        k = idx.size
        self._steps[:k] = self._steps[idx]
        self._epochs[:k] = self._epochs[idx]
        self._values[:, :k] = self._values[:, idx]
        self.n = k
        self.generation += 1

    def rows(self, start: int = 0) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """Views of rows ``start:``: steps, epochs and ``{key: (E, R)}``."""
        sl = slice(start, self.n)
        return (
            self._steps[sl],
            self._epochs[sl],
            {k: self._values[j, sl] for j, k in enumerate(self.keys)},
        )


# ---------------------------------------------------------------------------------------
# Packing
# ---------------------------------------------------------------------------------------
#: Evaluations for :func:`pack`: their steps ``(E,)`` and ``{key: (E, R)}``.
Evals = tuple[np.ndarray, dict[str, np.ndarray]]


def pack(kind: str, rows: Rows, evals: Evals | None = None) -> tuple[dict[str, Any], list[bytes]]:
    """Lay rows out as a protocol message (``"frame"`` or ``"history"``).

    Parameters
    ----------
    kind : {"frame", "history"}
    rows : Rows
    evals : (steps, {key: values}), optional
        Evaluations to carry: ``steps`` ``(E,)`` and ``(E, R)`` values per key.
        Left out (no ``evals`` field) when None or empty.

    Returns
    -------
    content : dict
        ``{type, n, n_runs, dims, first_step}``, plus ``evals: {n: E, keys}``.
    buffers : list of bytes
        ``[steps, loss, xy, lr]``: little-endian Float64 ``(n,)``, Float32
        ``(n * R)``, Float32 ``(n * R * 2)``, Float32 ``(n * R)``, row-major;
        then, with evaluations, Float64 ``(E,)`` steps and one Float32
        ``(E * R)`` per key.
    """
    if kind not in ("frame", "history"):
        raise ValueError(f"kind must be 'frame' or 'history', got {kind!r}")
    n = len(rows)
    n_runs = int(rows.loss.shape[1]) if rows.loss.ndim == 2 else 0
    dims = int(rows.xy.shape[-1]) if rows.xy.ndim == 3 else 2
    with np.errstate(over="ignore", invalid="ignore"):  # huge values become +-inf in float32
        buffers = [
            np.ascontiguousarray(rows.steps, dtype="<f8").tobytes(),
            np.ascontiguousarray(rows.loss, dtype="<f4").tobytes(),
            np.ascontiguousarray(rows.xy, dtype="<f4").tobytes(),
            np.ascontiguousarray(rows.lr, dtype="<f4").tobytes(),
        ]
    content: dict[str, Any] = {
        "type": kind,
        "n": n,
        "n_runs": n_runs,
        "dims": dims,
        "first_step": int(rows.steps[0]) if n else 0,
    }
    if evals is not None and len(evals[0]):
        e_steps, values = evals
        keys = list(values)
        content["evals"] = {"n": int(len(e_steps)), "keys": keys}
        buffers.append(np.ascontiguousarray(e_steps, dtype="<f8").tobytes())
        with np.errstate(over="ignore", invalid="ignore"):
            for k in keys:
                buffers.append(np.ascontiguousarray(values[k], dtype="<f4").tobytes())
    return content, buffers


def unpack(content: dict[str, Any], buffers: list[Any]) -> dict[str, Any]:
    """Decode a packed message back into NumPy arrays (the browser's decoder, in Python).

    Returns a dict with ``type``, ``steps`` ``(n,)``, ``loss`` ``(n, R)``,
    ``xy`` ``(n, R, dims)``, ``lr`` ``(n, R)`` and ``evals``: None, or
    ``{"step": (E,), key: (E, R), ...}``.
    """
    n, R, D = int(content["n"]), int(content["n_runs"]), int(content["dims"])
    steps = np.frombuffer(buffers[0], dtype="<f8")
    loss = np.frombuffer(buffers[1], dtype="<f4")
    xy = np.frombuffer(buffers[2], dtype="<f4")
    lr = np.frombuffer(buffers[3], dtype="<f4")
    if steps.size != n or loss.size != n * R or xy.size != n * R * D or lr.size != n * R:
        raise ValueError("buffer sizes do not match the message header")
    evals = None
    if "evals" in content:
        e, keys = int(content["evals"]["n"]), list(content["evals"]["keys"])
        if len(buffers) != 5 + len(keys):
            raise ValueError(f"evals with {len(keys)} keys need {5 + len(keys)} buffers")
        evals = {"step": np.frombuffer(buffers[4], dtype="<f8")}
        for j, k in enumerate(keys):
            evals[k] = np.frombuffer(buffers[5 + j], dtype="<f4")
        if evals["step"].size != e or any(evals[k].size != e * R for k in keys):
            raise ValueError("evals buffer sizes do not match the message header")
        evals.update({k: evals[k].reshape(e, R) for k in keys})
    return {
        "type": content["type"],
        "first_step": int(content["first_step"]),
        "steps": steps,
        "loss": loss.reshape(n, R),
        "xy": xy.reshape(n, R, D),
        "lr": lr.reshape(n, R),
        "evals": evals,
    }


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
# The history a user reads
# ---------------------------------------------------------------------------------------
@dataclass
class DecimatedHistory:
    """A copy of a Playground's bounded history, on the host.

    Unlike the headless :class:`gdwidget.engine.History`, rows are *decimated*:
    ``steps`` is increasing but not contiguous once a run outgrows the buffer
    (the first and last steps and each run's loss extremes are always there),
    and the points are the drawn 2-D ones (``xy``: the first two parameters by
    default), not every parameter.

    Attributes
    ----------
    steps : ndarray (n,) of int64
    loss, grad_norm, lr : ndarray (n, n_runs)
    xy : ndarray (n, n_runs, 2)
    labels, groups : list of str
    status : list of str
        ``"running"``, ``"converged"``, ``"diverged"`` or ``"stopped"``.
    stop_step : ndarray of int
        The step at which each run stopped, -1 while running.
    stride : int
        The buffer's step stride at the time of the copy (1: nothing dropped yet).
    evals : dict of ndarray, or None
        The full-data evaluations held (bounded too): ``step`` and ``epoch``
        ``(E,)``, and ``train_loss``, ``val_loss``, ``train_acc``, ``val_acc``
        ``(E, n_runs)`` where they apply; None when the run never evaluated.
    """

    steps: np.ndarray
    loss: np.ndarray
    xy: np.ndarray
    grad_norm: np.ndarray
    lr: np.ndarray
    labels: list[str]
    groups: list[str]
    status: list[str] = field(default_factory=list)
    stop_step: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    stride: int = 1
    evals: dict[str, np.ndarray] | None = None

    @property
    def n_runs(self) -> int:
        return len(self.labels)

    @property
    def params(self) -> np.ndarray:
        """Alias of :attr:`xy` (the drawn coordinates)."""
        return self.xy

    @property
    def final_loss(self) -> np.ndarray:
        return self.loss[-1]

    def __len__(self) -> int:
        return int(self.steps.shape[0])

    def to_pandas(self) -> Any:
        """One row per kept step and run: step, run, optimizer, loss, grad_norm, lr, x, y."""
        cols = {"loss": self.loss, "grad_norm": self.grad_norm, "lr": self.lr}
        cols.update(x=self.xy[:, :, 0], y=self.xy[:, :, 1])
        return long_table(self.steps, self.labels, self.groups, cols)

    def evals_to_pandas(self) -> Any:
        """One row per evaluation and run: step, epoch, run, optimizer and the evaluated keys."""
        return evals_table(self.evals, self.labels, self.groups)


# ---------------------------------------------------------------------------------------
# Chunks in, packets out
# ---------------------------------------------------------------------------------------
class Streamer:
    """The history buffer, the frame clock and packing, behind one lock.

    Parameters
    ----------
    n_runs : int
    capacity : int
        See :class:`HistoryBuffer`.
    max_fps : float
        Frames a second, at most (history packets are not limited).
    project : callable, optional
        ``(n, R, P) -> (n, R, 2)`` host arrays: the drawn point of each run.
        Default :func:`first_two`.
    clock : callable, optional
        Monotonic seconds, for tests.
    """

    def __init__(
        self,
        n_runs: int,
        capacity: int = DEFAULT_CAPACITY,
        max_fps: float = DEFAULT_MAX_FPS,
        project: Projection | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.buffer = HistoryBuffer(n_runs, capacity)
        self.evals: EvalBuffer | None = None  # made on the first chunk that has evaluations
        self._eval_capacity = int(capacity)
        self._evals_sent = 0
        self._evals_generation = 0
        self.clock = FrameClock(max_fps, clock)
        self.project = project or first_two
        self._lock = threading.RLock()
        self._sent = 0  # rows of the buffer the browser already has
        self._generation = 0  # buffer generation the browser has
        self._need_history = True  # the browser must replace what it holds
        self.frames_sent = 0
        self.histories_sent = 0
        self.bytes_sent = 0

    # -- in ----------------------------------------------------------------------------
    def push(self, chunk: Any, xy: np.ndarray | None = None) -> int:
        """Add an engine Chunk (``steps``, ``loss``, ``params``, ``grad_norm``, ``lr``).

        ``xy`` overrides the projection of ``chunk.params`` (needed when the
        engine did not record parameters). Returns the rows accepted.
        """
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
            self.evals = EvalBuffer(self.buffer.n_runs, keys, self._eval_capacity)
            self._evals_sent = 0
            self._need_history = True  # the page's evaluations (if any) are another set
        self.evals.append(evals)

    def reset(self, chunk: Any, xy: np.ndarray | None = None) -> None:
        """Forget everything and start again from ``chunk`` (the step-0 row)."""
        with self._lock:
            self.buffer.clear()
            self.evals = None
            self._evals_sent = 0
            self._evals_generation = 0
            self._sent = 0
            self._generation = self.buffer.generation
            self._need_history = True
            self.push(chunk, xy)

    def request_history(self) -> None:
        """The next packet will be the whole history (a late view asked for it)."""
        with self._lock:
            self._need_history = True

    # -- out ---------------------------------------------------------------------------
    @property
    def pending(self) -> bool:
        """Whether a packet is waiting to go."""
        with self._lock:
            b = self.buffer
            return (
                self._need_history
                or b.generation != self._generation
                or self._evals_stale()
                or self._sent < b.n
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

        A history packet goes whenever it is needed; a frame only when the frame
        clock allows it, unless ``force``. Rows the buffer held aside (the
        newest one) are committed first, so a packet always ends at the newest step.
        """
        with self._lock:
            b = self.buffer
            history = self._need_history or b.generation != self._generation
            history = history or self._evals_stale()
            if not history and not (force or self.clock.due()):
                return None
            b.commit_pending()
            new_evals = self.evals is not None and self._evals_sent < self.evals.n
            if history or b.generation != self._generation:
                content, buffers = pack("history", b.rows(), self._evals_since(0))
                self.histories_sent += 1
            elif self._sent < b.n or new_evals:
                content, buffers = pack(
                    "frame", b.rows(self._sent), self._evals_since(self._evals_sent)
                )
                self.frames_sent += 1
            else:
                return None
            self._sent = b.n
            self._generation = b.generation
            if self.evals is not None:
                self._evals_sent = self.evals.n
                self._evals_generation = self.evals.generation
            self._need_history = False
            self.clock.mark()
            packet = Packet(content, buffers)
            self.bytes_sent += packet.nbytes
            return packet

    def history_packet(self) -> Packet:
        """The whole history as a packet, without changing what counts as sent."""
        with self._lock:
            content, buffers = pack("history", self.buffer.rows(), self._evals_since(0))
            return Packet(content, buffers)

    def snapshot(
        self,
        labels: list[str],
        groups: list[str],
        status: list[str] | None = None,
        stop_step: np.ndarray | None = None,
    ) -> DecimatedHistory:
        """A copy of the history for users."""
        with self._lock:
            self.buffer.commit_pending()
            r = self.buffer.rows()
            return DecimatedHistory(
                steps=r.steps.copy(),
                loss=r.loss.copy(),
                xy=r.xy.copy(),
                grad_norm=r.grad_norm.copy(),
                lr=r.lr.copy(),
                labels=list(labels),
                groups=list(groups),
                status=list(status or []),
                stop_step=(
                    np.full(len(labels), -1, dtype=np.int64)
                    if stop_step is None
                    else np.asarray(stop_step).copy()
                ),
                stride=self.buffer.stride,
                evals=self._evals_copy(),
            )

    def _evals_copy(self) -> dict[str, np.ndarray] | None:
        if self.evals is None:
            return None
        steps, epochs, values = self.evals.rows()
        return {"step": steps.copy(), "epoch": epochs.copy()} | {
            k: v.copy() for k, v in values.items()
        }
