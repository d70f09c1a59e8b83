"""What a sweep runs: the optimizer to vary, the checked plan, and one block of grid points as
one vectorized :class:`~gdwidget.engine.Run`.

A hyperparameter that an optimizer takes as a 1-D array of one value per run (``lr``,
``momentum``, ...) becomes one flat array over a block's grid points: the block is one group
of runs, stepped by one call per step. A hyperparameter that cannot be an array (a switch
such as ``nesterov``, or one an optimizer does not vectorize) splits the block into one
group per value of it. Either way each run is the run the optimizer would make alone.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import optim as optim_mod
from ..engine import Run
from ..optim.base import Optimizer
from .grid import Grid
from .metrics import FIGURES, Tracker

__all__ = ["OptimizerSpec", "Plan", "as_spec", "run_block"]

#: rows of losses one ``advance`` call records at most (bounds a block's memory)
CHUNK_ROWS = 1 << 22


@dataclass(frozen=True)
class OptimizerSpec:
    """An optimizer factory (``gd.optim.sgd``) and the values every grid point shares."""

    factory: Callable[..., Optimizer]
    base: dict[str, Any]

    def build(self, **values: Any) -> Optimizer:
        return self.factory(**{**self.base, **values})

    @property
    def accepted(self) -> list[str]:
        return list(inspect.signature(self.factory).parameters)


def as_spec(optimizer: Any) -> OptimizerSpec:
    """An optimizer (its values are the defaults of the sweep), a factory or a name."""
    if isinstance(optimizer, Optimizer):
        factory = optimizer._factory()
        params = inspect.signature(factory).parameters
        base = {"lr": optimizer.lr} if "lr" in params else {}
        base.update({n: v for n, v in optimizer.hyper.items() if n in params})
        return OptimizerSpec(factory, base)
    if isinstance(optimizer, str):
        factory = getattr(optim_mod, optimizer, None)
        if optimizer not in optim_mod.__all__ or not callable(factory) or optimizer[0].isupper():
            names = [n for n in optim_mod.__all__ if n[0].islower() and n != "State"]
            raise ValueError(f"unknown optimizer {optimizer!r}; one of {names}")
        return OptimizerSpec(factory, {})
    if callable(optimizer):
        return OptimizerSpec(optimizer, {})
    raise TypeError(
        "optimizer must be a gdwidget optimizer (gd.optim.sgd(momentum=0.9)), a factory "
        f"(gd.optim.sgd) or a name ('sgd'), got {optimizer!r}"
    )


def array_names(spec: OptimizerSpec, grid: Grid) -> tuple[str, ...]:
    """The grid's hyperparameters that the optimizer takes as one value per run."""
    accepted = spec.accepted
    unknown = [n for n in grid.names if n not in accepted]
    if unknown:
        raise ValueError(
            f"grid names {unknown} are not hyperparameters of {spec.factory.__name__}; "
            f"it takes {accepted}"
        )
    first = grid.point(0)
    try:
        spec.build(**first)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"the grid's first point {first} is refused: {exc}") from None
    out = []
    for k, name in enumerate(grid.names):
        if any(isinstance(v, bool) for v in grid.values[k]):
            continue  # a switch changes the rule: one group per value
        pair = _per_run([first[name], first[name]])
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                opt = spec.build(**{**first, name: pair})
        except (TypeError, ValueError):
            continue
        if getattr(opt, "n_runs", 1) == 2:
            out.append(name)
    return tuple(out)


def _per_run(values: list[Any]) -> Any:
    """Values of one hyperparameter, one per run, as the optimizer takes them: a float array,
    or a tuple of arrays for a tuple-valued one (``betas``)."""
    if isinstance(values[0], tuple):
        return tuple(np.asarray(col, dtype=np.float64) for col in zip(*values, strict=True))
    return np.asarray(values, dtype=np.float64)


@dataclass(frozen=True)
class Plan:
    """Everything one block needs, picklable for a Dask worker."""

    objective: Any
    spec: OptimizerSpec
    grid: Grid
    arrays: tuple[str, ...]
    steps: int
    seeds: tuple[int, ...]
    starts: np.ndarray | None  # (n_starts, n_params), or None: the objective's own
    tol: float | None
    batch_size: int | None
    device: str
    dtype: str

    @property
    def n_starts(self) -> int:
        return 1 if self.starts is None else int(self.starts.shape[0])

    def groups(self, points: np.ndarray) -> tuple[dict[str, Optimizer], np.ndarray]:
        """One block's optimizers ``{label: optimizer}`` and the grid point of each row."""
        scalar = [n for n in self.grid.names if n not in self.arrays]
        by_key: dict[tuple, list[int]] = {}
        for p in points:
            pt = self.grid.point(int(p))
            by_key.setdefault(tuple(pt[n] for n in scalar), []).append(int(p))
        opts: dict[str, Optimizer] = {}
        rows: list[int] = []
        for g, members in enumerate(by_key.values()):
            pt = self.grid.point(members[0])
            values = {n: pt[n] for n in scalar}
            if self.arrays:
                pts = [self.grid.point(m) for m in members]
                values.update({n: _per_run([q[n] for q in pts]) for n in self.arrays})
            opts[f"g{g}"] = self.spec.build(**values)
            rows.extend(members)
        return opts, np.asarray(rows, dtype=np.int64)


def run_block(plan: Plan, points: np.ndarray) -> dict[str, Any]:
    """Run grid ``points`` for every seed and start; each figure ``(len(points), seeds, starts)``.

    Returns ``{"points": points, figure: array, ...}``, the points in the order given.
    """
    points = np.asarray(points, dtype=np.int64)
    shape = (len(points), len(plan.seeds), plan.n_starts)
    out: dict[str, Any] = {"points": points}
    out.update({f: np.empty(shape, dtype=bool if f == "diverged" else np.float64) for f in FIGURES})
    where = {int(p): i for i, p in enumerate(points)}
    for s, seed in enumerate(plan.seeds):
        for k in range(plan.n_starts):
            start = None if plan.starts is None else plan.starts[k]
            opts, rows = plan.groups(points)  # fresh optimizers for every run
            order = np.array([where[int(r)] for r in rows], dtype=np.int64)
            figures = _one_run(plan, opts, start, seed)
            for f in FIGURES:
                out[f][order, s, k] = figures[f]
    return out


def _one_run(plan: Plan, opts: dict[str, Optimizer], start: Any, seed: int) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="gdwidget runs on the CPU")
        r = Run(
            plan.objective,
            opts,
            start,
            device=plan.device,
            dtype=plan.dtype,
            batch_size=plan.batch_size,
            seed=seed,
            record_params=False,
        )
    first = r.reset()
    track = Tracker(r.n_runs, plan.tol)
    track.update(first.steps, first.loss)
    per_call = max(1, CHUNK_ROWS // max(1, r.n_runs))
    while r.t < plan.steps and not r.done:
        chunk = r.advance(min(per_call, plan.steps - r.t))
        if len(chunk) == 0:
            break
        track.update(chunk.steps, chunk.loss)
    return track.result(r.status)
