"""The Dask path of a sweep: the grid in blocks, each block one vectorized run on a worker.

The plan (objective, optimizer, grid) goes to the cluster once (``scatter``); each task
runs one block of grid points with :func:`~gdwidget.sweeps.plan.run_block` on its worker,
on the worker's GPU where it has one (``device="auto"``, the default with a client), and
block results come back as they finish (``dask.distributed.as_completed``). A block's rows
are the rows a local sweep makes for those points: a run depends on its hyperparameters,
seed and start only, never on the other runs of its block.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from .plan import Plan, run_block

__all__ = ["client_blocks", "default_block_size"]

#: blocks per worker by default: enough to balance the load, few enough to stay vectorized
BLOCKS_PER_WORKER = 4


def _distributed() -> Any:
    try:
        import dask.distributed as dd  # noqa: PLC0415
    except ImportError as exc:
        raise ImportError(
            "gd.sweep(..., client=...) needs Dask: pip install 'gdwidget[dask]'"
        ) from exc
    return dd


def default_block_size(client: Any, n_points: int) -> int:
    """About :data:`BLOCKS_PER_WORKER` blocks per worker of ``client``."""
    try:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
    except Exception:  # noqa: BLE001 - a client that cannot say: assume one worker
        workers = 1
    return max(1, math.ceil(n_points / (BLOCKS_PER_WORKER * workers)))


def client_blocks(client: Any, plan: Plan, block_size: int | None) -> Iterator[dict[str, Any]]:
    """Run ``plan`` on the cluster of ``client``; yield each block's figures as it finishes.

    Leaving the loop early (or an error) cancels the blocks not yet finished.
    """
    dd = _distributed()
    if not isinstance(client, dd.Client):
        raise TypeError(f"client must be a dask.distributed.Client, got {client!r}")
    from .run import split  # noqa: PLC0415

    n = plan.grid.n_points
    size = default_block_size(client, n) if block_size is None else int(block_size)
    if size < 1:
        raise ValueError(f"block_size must be >= 1, got {block_size!r}")
    shared = client.scatter(plan, broadcast=True)
    futures = [
        client.submit(_run_block, shared, points, pure=False, key=f"gdwidget-sweep-{i}-{id(plan)}")
        for i, points in enumerate(split(n, size))
    ]
    try:
        for fut in dd.as_completed(futures):
            yield fut.result()
    finally:
        pending = [f for f in futures if not f.done()]
        if pending:
            client.cancel(pending)


def _run_block(plan: Plan, points: np.ndarray) -> dict[str, Any]:
    return run_block(plan, points)
