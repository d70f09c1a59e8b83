"""``gd.PhaseMap``: a heat map over two hyperparameters, filled live as a sweep runs.

The sweep runs in a background thread, in blocks (here, or on a Dask cluster with
``client=``); each finished block goes to the page in the ``cells`` trait. The page draws
the chosen figure, the divergence boundary and any curves (``add_curve``: a theory's
boundary), shows a cell's values on hover, and a click sends ``{"type": "pick", "ix", "iy"}``,
which adds that setting to a linked Playground's race (``Playground.add_optimizer``).

``cells`` layout: float64, little-endian, ``(4, ny, nx)`` in C order: final_loss,
best_loss, steps_to_tol, diverged (0 or 1); NaN where a cell has not run yet (and for
steps_to_tol, where the run never reached ``tol``).

A cell may hold several runs, one per seed and start (``seeds=``, several points in
``start``); its figures are then an aggregate over them (:mod:`gdwidget.sweeps.cells`:
the median by default, ``diverged`` by majority, and the fractions of runs that diverged and
that reached ``tol`` in :attr:`PhaseMap.values`).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import anywidget
import numpy as np
import traitlets as tl

from .. import bundle
from .._checks import check_int
from .cells import AGGREGATES, FRACTIONS, aggregate
from .grid import looks_log_spaced
from .metrics import FIGURES
from .run import blocks, make_plan, table

__all__ = ["PhaseMap"]

log = logging.getLogger("gdwidget")

#: the page hears of finished blocks at most this often (the last one always)
SEND_EVERY_S = 0.1
#: a local map runs in about this many blocks, so that it fills in as it goes
LOCAL_BLOCKS = 20

MISSING_ESM = bundle.missing_esm("phasemap", "The sweep and its table work without it.")


class PhaseMap(anywidget.AnyWidget):
    """A heat map of a sweep over two hyperparameters, filled live as blocks finish.

    Parameters
    ----------
    objective : Objective or str
    optimizer : Optimizer, factory or str
        As for :func:`gdwidget.sweeps`: ``gd.optim.sgd`` or ``gd.optim.sgd(weight_decay=1e-4)``.
    x, y : (str, sequence of float)
        The hyperparameter of each axis and its values (``("lr", np.logspace(-4, -1, 100))``);
        an axis of log-spaced values is drawn in log scale.
    figure : {"steps_to_tol", "final_loss", "best_loss", "diverged"}
        What the colour shows first (the page can switch).
    steps : int
    tol : float, optional
        The loss level of ``steps_to_tol``. Default: where the objective's minimum value is
        known, the loss 1000 times closer to it than the start's.
    start : array_like, optional
        One start point ``(n_params,)`` (default the objective's), or several
        ``(n_starts, n_params)``: each cell then runs every start.
    seeds : int or list of int
        The number of seeds (0, 1, ...) or the seeds, as for :func:`gdwidget.sweeps`: each
        cell runs every seed (and start).
    aggregate : {"median", "mean", "min", "max"}
        How a cell's runs (seeds x starts) make its final_loss, best_loss and steps_to_tol
        (see :mod:`gdwidget.sweeps.cells`); ``diverged`` is the majority's. One run per
        cell: its own figures.
    playground : gd.Playground, optional
        Clicking a cell adds that setting to this Playground's race.
    client : dask.distributed.Client, optional
        Run the blocks on a cluster.
    device, dtype, block_size, batch_size
        As for :func:`gdwidget.sweeps` (``batch_size``: mini-batches, for a model on data).
    **kwargs
        The widget's own traits (``layout=``); anything else is a TypeError.

    Examples
    --------
    >>> import numpy as np, gdwidget as gd
    >>> pm = gd.PhaseMap("rosenbrock", gd.optim.sgd, x=("lr", np.logspace(-5, -2, 40)),
    ...                  y=("momentum", np.linspace(0, 0.99, 40)))   # doctest: +SKIP
    >>> pm.wait().table.head()                                       # doctest: +SKIP
    """

    _esm = bundle.read(bundle.STATIC / "phasemap.js", MISSING_ESM)

    x = tl.Dict().tag(sync=True)
    y = tl.Dict().tag(sync=True)
    figure = tl.Unicode("steps_to_tol").tag(sync=True)
    info = tl.Dict().tag(sync=True)
    cells = tl.Bytes(b"").tag(sync=True)
    done = tl.Int(0).tag(sync=True)
    total = tl.Int(0).tag(sync=True)
    status = tl.Unicode("running").tag(sync=True)
    curves = tl.List().tag(sync=True)
    picked = tl.List().tag(sync=True)

    def __init__(
        self,
        objective: Any,
        optimizer: Any,
        x: tuple[str, Sequence[float]],
        y: tuple[str, Sequence[float]],
        *,
        figure: str = "steps_to_tol",
        steps: int = 500,
        tol: float | None = None,
        start: Any = None,
        seeds: int | list[int] = 1,
        aggregate: str = "median",
        playground: Any = None,
        client: Any = None,
        device: str | None = None,
        dtype: str = "float64",
        block_size: int | None = None,
        batch_size: int | None = None,
        **kwargs: Any,
    ) -> None:
        unknown = sorted(set(kwargs) - set(self.class_trait_names()))
        if unknown:  # a misspelt or unsupported argument must not be dropped quietly
            raise TypeError(f"PhaseMap got unexpected keyword arguments {unknown}")
        (xn, xv), (yn, yv) = _axis("x", x), _axis("y", y)
        if xn == yn:
            raise ValueError(f"x and y must be two different hyperparameters, got {xn!r} twice")
        if figure not in FIGURES:
            raise ValueError(f"figure must be one of {FIGURES}, got {figure!r}")
        if playground is not None and not hasattr(playground, "add_optimizer"):
            raise TypeError(f"playground must be a gd.Playground, got {playground!r}")
        if aggregate not in AGGREGATES:
            raise ValueError(f"aggregate must be one of {AGGREGATES}, got {aggregate!r}")
        grid = {xn: xv, yn: yv}
        plan = make_plan(
            objective, optimizer, grid, start, steps, seeds, None, batch_size, device, dtype
        )
        if tol is None:
            tol = _default_tol(plan)
        plan = make_plan(
            objective, optimizer, grid, start, steps, seeds, tol, batch_size, device, dtype
        )
        if block_size is None and client is None:
            block_size = max(1, math.ceil(plan.grid.n_points / LOCAL_BLOCKS))
        elif block_size is not None:
            block_size = check_int("block_size", block_size, low=1)
        self._plan = plan
        self._aggregate = aggregate
        self._found = np.full((len(FIGURES) + len(FRACTIONS), len(yv), len(xv)), np.nan)
        runs = (plan.grid.n_points, len(plan.seeds), plan.n_starts)
        self._runs = {f: np.full(runs, np.nan) for f in FIGURES}  # each run's figures
        self._have = np.zeros(plan.grid.n_points, dtype=bool)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._listeners: list[Callable[[dict[str, Any]], None]] = []
        self.playground = playground
        super().__init__(
            x={"name": xn, "values": list(map(float, xv)), "log": looks_log_spaced(xv)},
            y={"name": yn, "values": list(map(float, yv)), "log": looks_log_spaced(yv)},
            figure=figure,
            info={
                "objective": plan.objective.name,
                "optimizer": plan.spec.factory.__name__,
                "steps": plan.steps,
                "tol": tol,
                "figures": list(FIGURES),
                "runs_per_cell": len(plan.seeds) * plan.n_starts,
                "aggregate": aggregate,
            },
            total=plan.grid.n_points,
            cells=self._found[: len(FIGURES)].tobytes(),
            **kwargs,
        )
        self.on_msg(self._on_msg)
        self._thread = threading.Thread(
            target=self._work, args=(block_size, client), name="gdwidget-phasemap", daemon=True
        )
        self._thread.start()

    # -- the sweep, in the background ------------------------------------------------------
    def _work(self, block_size: int | None, client: Any) -> None:
        last = 0.0
        try:
            for block in blocks(self._plan, block_size, client):
                self._take(block)
                if self._stop.is_set():
                    break
                if time.monotonic() - last >= SEND_EVERY_S:
                    self._push()
                    last = time.monotonic()
            self._push()
            self.status = "stopped" if self._stop.is_set() else "done"
        except BaseException as exc:  # noqa: BLE001 - shown in the page, raised by wait()
            self._error = exc
            log.warning("gdwidget: the phase map's sweep failed: %s: %s", type(exc).__name__, exc)
            self._push()
            self.status = f"error: {type(exc).__name__}: {exc}"

    def _take(self, block: dict[str, Any]) -> None:
        ny = self._found.shape[1]
        pts = np.asarray(block["points"], dtype=np.int64)
        ix, iy = pts // ny, pts % ny  # grid points: x varies slowest
        cell = aggregate(block, self._aggregate)
        with self._lock:
            for k, f in enumerate((*FIGURES, *FRACTIONS)):
                self._found[k, iy, ix] = cell[f]
            for f in FIGURES:
                self._runs[f][pts] = block[f]
            self._have[pts] = True

    def _push(self) -> None:
        with self._lock:
            cells, done = self._found[: len(FIGURES)].tobytes(), int(self._have.sum())
        self.cells = cells
        self.done = done

    # -- Python API ------------------------------------------------------------------------
    def wait(self, timeout: float | None = None) -> PhaseMap:
        """Wait until the sweep is done (or ``timeout`` seconds); raises the sweep's error."""
        self._thread.join(timeout)
        if self._error is not None:
            raise self._error
        return self

    @property
    def finished(self) -> bool:
        return not self._thread.is_alive()

    @property
    def values(self) -> dict[str, np.ndarray]:
        """Each cell figure as a ``(ny, nx)`` array (NaN where not run yet), rows along y:
        the four the page draws, then ``diverged_fraction`` and ``reached_fraction``."""
        with self._lock:
            return {f: self._found[k].copy() for k, f in enumerate((*FIGURES, *FRACTIONS))}

    @property
    def table(self) -> Any:
        """The finished cells' runs as :func:`gdwidget.sweeps`'s tidy table (one row per
        grid point, seed and, with several, start)."""
        with self._lock:
            pts = np.flatnonzero(self._have)
            found = {f: self._runs[f][pts] for f in FIGURES}
        found["diverged"] = found["diverged"].astype(bool)
        return table(self._plan, pts, found)

    def add_curve(self, x: Sequence[float], y: Sequence[float], label: str = "") -> None:
        """Draw a curve over the map in hyperparameter values (a theory's boundary)."""
        xs, ys = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        if xs.ndim != 1 or xs.shape != ys.shape or xs.size < 2:
            raise ValueError(f"x and y must be 1-D of one length >= 2, got {xs.shape}, {ys.shape}")
        pts = [[a, b] for a, b in zip(xs.tolist(), ys.tolist(), strict=True)]
        self.curves = [*self.curves, {"points": pts, "label": str(label)}]

    def setting(self, ix: int, iy: int) -> dict[str, float]:
        """The hyperparameters of cell ``(ix, iy)``."""
        ix = check_int("ix", ix, low=0, high=len(self.x["values"]) - 1)
        iy = check_int("iy", iy, low=0, high=len(self.y["values"]) - 1)
        return {self.x["name"]: self.x["values"][ix], self.y["name"]: self.y["values"][iy]}

    def pick(self, ix: int, iy: int) -> dict[str, Any]:
        """What a click on cell ``(ix, iy)`` does: add that setting to the linked Playground's
        race (and tell the ``on_pick`` callbacks). Returns the pick."""
        point = self.setting(ix, iy)
        label = ", ".join(f"{k}={v:.3g}" for k, v in point.items())
        pick = {"ix": int(ix), "iy": int(iy), "label": label, **point}
        if self.playground is not None:
            if label in self.playground.run.optimizers:
                log.info("gdwidget: %s is already in the race", label)
            else:
                self.playground.add_optimizer(label, self._plan.spec.build(**point))
        self.picked = [*self.picked, pick]
        for fn in list(self._listeners):
            try:
                fn(pick)
            except Exception:  # noqa: BLE001 - a user's callback must not break the page
                log.exception("gdwidget: an on_pick callback failed")
        return pick

    def on_pick(self, fn: Callable[[dict[str, Any]], None]) -> None:
        """Call ``fn(pick)`` after each click on a cell."""
        self._listeners.append(fn)

    def close(self) -> None:
        """Stop the sweep after its current block and close the widget."""
        stop = getattr(self, "_stop", None)  # None: __init__ refused its arguments
        if stop is not None:
            stop.set()
        super().close()

    def _on_msg(self, _widget: Any, content: Any, buffers: Any = None) -> None:
        try:
            if not isinstance(content, dict) or content.get("type") != "pick":
                raise ValueError(f"unknown message {content!r}")
            self.pick(content.get("ix"), content.get("iy"))
        except (ValueError, TypeError, RuntimeError) as exc:
            log.warning("gdwidget: ignored a phase map message: %s", exc)
        except Exception:  # noqa: BLE001 - a message from the page must never break the kernel
            log.exception("gdwidget: failed to handle a phase map message")


def _axis(name: str, axis: Any) -> tuple[str, list[float]]:
    if not isinstance(axis, tuple | list) or len(axis) != 2:
        raise TypeError(f"{name} must be a pair (hyperparameter, values), got {axis!r}")
    hyper, values = axis
    if not isinstance(hyper, str) or not hyper:
        raise TypeError(f"{name}[0] must be a hyperparameter name, got {hyper!r}")
    v = np.asarray(values, dtype=np.float64) if np.ndim(values) == 1 else None
    if v is None or v.size < 1 or not np.all(np.isfinite(v)):
        raise ValueError(f"{name}[1] must be a 1-D sequence of finite numbers, got {values!r}")
    return hyper, v.tolist()


def _default_tol(plan: Any) -> float:
    """The loss 1000 times closer to the objective's minimum value than the start's (the
    median start's loss, with several)."""
    obj = plan.objective
    f_min = getattr(obj, "min_value", None)
    if f_min is None or plan.starts is None:
        raise ValueError(
            f"{obj.name} has no known minimum value: give tol= (the loss steps_to_tol waits for)"
        )
    f0 = float(
        np.median([float(np.asarray(obj.value(np.asarray(s, np.float64)))) for s in plan.starts])
    )
    return float(f_min) + 1e-3 * (f0 - float(f_min))
