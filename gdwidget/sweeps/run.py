""":func:`sweep`: a grid of hyperparameters (times seeds, times starts), stepped as vectorized
runs, as a tidy table; here or, block by block, on a Dask cluster."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .._checks import check_int, check_real
from ..engine import MAX_STEPS, _as_objective, _starts
from .grid import Grid, make_grid
from .metrics import FIGURES
from .plan import Plan, array_names, as_spec, run_block

__all__ = ["sweep", "make_plan", "blocks", "table"]

#: a local sweep runs this many grid points at once at most (bounds memory)
LOCAL_BLOCK = 65_536


def sweep(
    objective: Any,
    optimizer: Any,
    grid: dict[str, Any],
    *,
    start: Any = None,
    steps: int = 500,
    seeds: int | list[int] = 1,
    tol: float | None = None,
    batch_size: int | None = None,
    device: str | None = None,
    dtype: str = "float64",
    client: Any = None,
    block_size: int | None = None,
    on_block: Callable[[Any], None] | None = None,
) -> Any:
    """Run every point of a hyperparameter grid and return one row per run as a DataFrame.

    The grid's points (times seeds, times starts) are stepped as vectorized runs: a
    hyperparameter the optimizer takes as one value per run (``lr``, ``momentum``, ...)
    makes one group of runs stepped by one call per step; a switch (``nesterov``) makes
    one group per value. Each run equals the same run made alone with :func:`gdwidget.run`.

    Parameters
    ----------
    objective : Objective or str
        What to minimize (a test function, ``gd.Function``, a model on data, or a name).
    optimizer : Optimizer, factory or str
        ``gd.optim.sgd(momentum=0.9)`` (its values are those not in the grid),
        ``gd.optim.sgd`` or ``"sgd"``.
    grid : dict
        ``{"lr": [...], "momentum": [...]}``: the values of each swept hyperparameter;
        every combination is run. A tuple-valued one takes tuples (``"betas": [(0.9, 0.99)]``).
    start : array_like, optional
        ``(n_params,)`` or ``(n_starts, n_params)``; default the objective's (models:
        ``init_params(seed)``).
    steps : int
        Steps of each run (a run that diverges is frozen where it did).
    seeds : int or list of int
        The number of seeds (0, 1, ...) or the seeds: each seeds the batch order and a
        model's initialization (a closed-form function gives the same run for every seed).
    tol : float, optional
        ``steps_to_tol`` is the first step whose loss is ``<= tol``.
    batch_size : int, optional
        Models on data: examples per gradient (``None``: the full batch).
    device : {"cpu", "gpu", "auto"}, optional
        Default ``"cpu"`` here, and ``"auto"`` on Dask workers (a worker's GPU if it has one).
    dtype : {"float64", "float32"}
    client : dask.distributed.Client, optional
        Run the grid in blocks on the cluster (``pip install gdwidget[dask]``); block results
        come back as they finish. The table is the same as a local sweep's.
    block_size : int, optional
        Grid points per block (default: the whole grid here; about four blocks per worker
        on a cluster).
    on_block : callable, optional
        Called with each block's rows (a DataFrame) as the block finishes.

    Returns
    -------
    pandas.DataFrame
        One row per grid point, seed (and start, with several): a column per swept
        hyperparameter, ``seed`` (``start``), ``final_loss``, ``best_loss``,
        ``steps_to_tol`` (NaN if never), ``diverged`` (see :mod:`gdwidget.sweeps.metrics`).

    Examples
    --------
    >>> import gdwidget as gd
    >>> df = gd.sweep("rosenbrock", gd.optim.sgd, {"lr": [1e-4, 1e-3], "momentum": [0, 0.9]},
    ...               steps=200, tol=1e-2)
    >>> len(df)
    4
    """
    plan = make_plan(
        objective, optimizer, grid, start, steps, seeds, tol, batch_size, device, dtype, client
    )
    found = {f: np.empty((plan.grid.n_points, len(plan.seeds), plan.n_starts)) for f in FIGURES}
    found["diverged"] = found["diverged"].astype(bool)
    for block in blocks(plan, block_size, client):
        for f in FIGURES:
            found[f][block["points"]] = block[f]
        if on_block is not None:
            on_block(table(plan, block["points"], block))
    return table(plan, np.arange(plan.grid.n_points), found)


def make_plan(
    objective: Any,
    optimizer: Any,
    grid: Any,
    start: Any = None,
    steps: int = 500,
    seeds: Any = 1,
    tol: float | None = None,
    batch_size: int | None = None,
    device: str | None = None,
    dtype: str = "float64",
    client: Any = None,
) -> Plan:
    """The checked plan of a sweep (every argument checked here, before any run)."""
    obj = _as_objective(objective)
    spec = as_spec(optimizer)
    g: Grid = make_grid(grid)
    steps = check_int("steps", steps, low=0, high=MAX_STEPS)
    seed_list = _seeds(seeds)
    starts = None
    if start is not None or obj.default_start is not None:
        starts = _starts(obj, start)
    if tol is not None:
        tol = check_real("tol", tol)
    if batch_size is not None:
        batch_size = check_int("batch_size", batch_size, low=1)
    if device is None:
        device = "auto" if client is not None else "cpu"
    if device not in ("cpu", "gpu", "auto"):
        raise ValueError(f"device must be 'cpu', 'gpu' or 'auto', got {device!r}")
    if dtype not in ("float64", "float32"):
        raise ValueError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
    return Plan(
        objective=obj,
        spec=spec,
        grid=g,
        arrays=array_names(spec, g),
        steps=steps,
        seeds=seed_list,
        starts=starts,
        tol=tol,
        batch_size=batch_size,
        device=device,
        dtype=dtype,
    )


def _seeds(seeds: Any) -> tuple[int, ...]:
    if isinstance(seeds, int | np.integer) and not isinstance(seeds, bool):
        n = check_int("seeds", seeds, low=1, high=1_000_000)
        return tuple(range(n))
    try:
        out = tuple(check_int("seeds", s, low=0, high=2**63 - 1) for s in seeds)
    except TypeError:
        raise TypeError(f"seeds must be a count or a list of ints, got {seeds!r}") from None
    if not out or len(set(out)) != len(out):
        raise ValueError(f"seeds must be distinct and not empty, got {seeds!r}")
    return out


def split(n_points: int, block_size: int) -> list[np.ndarray]:
    """Grid point numbers in consecutive blocks of at most ``block_size``."""
    return [np.arange(a, min(a + block_size, n_points)) for a in range(0, n_points, block_size)]


def blocks(plan: Plan, block_size: int | None = None, client: Any = None) -> Iterator[dict]:
    """Each block's figures as it finishes (see :func:`~gdwidget.sweeps.plan.run_block`)."""
    if client is not None:
        from .dask import client_blocks  # noqa: PLC0415

        yield from client_blocks(client, plan, block_size)
        return
    size = LOCAL_BLOCK if block_size is None else check_int("block_size", block_size, low=1)
    for points in split(plan.grid.n_points, size):
        yield run_block(plan, points)


def table(plan: Plan, points: np.ndarray, found: dict[str, Any]) -> Any:
    """The tidy rows of grid ``points``: point x seed (x start), hyperparameters first.

    ``found[figure]`` is ``(len(points), n_seeds, n_starts)``, or indexed by point number
    when it covers the whole grid.
    """
    import pandas as pd  # noqa: PLC0415

    points = np.asarray(points, dtype=np.int64)
    n_seeds, n_starts = len(plan.seeds), plan.n_starts
    reps = n_seeds * n_starts
    cols: dict[str, Any] = {}
    for name in plan.grid.names:
        vals = plan.grid.column(name, points)
        cols[name] = [v for v in vals for _ in range(reps)]
    cols["seed"] = np.tile(np.repeat(np.asarray(plan.seeds, dtype=np.int64), n_starts), len(points))
    if n_starts > 1:
        cols["start"] = np.tile(np.arange(n_starts, dtype=np.int64), len(points) * n_seeds)
    for f in FIGURES:
        arr = np.asarray(found[f])
        if arr.shape[0] != len(points):
            arr = arr[points]
        cols[f] = arr.reshape(-1)
    return pd.DataFrame(cols)
