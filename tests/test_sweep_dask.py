"""gd.sweep on a Dask LocalCluster of two workers equals the local sweep, block by block."""

from __future__ import annotations

import numpy as np
import pytest

import gdwidget as gd

distributed = pytest.importorskip("dask.distributed", reason="the dask extra is not installed")

FIGS = ("final_loss", "best_loss", "steps_to_tol", "diverged")
GRID = {"lr": np.logspace(-4, -2.3, 6), "momentum": [0.0, 0.5, 0.9, 0.97]}


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
    )
    c = distributed.Client(cluster)
    try:
        yield c
    finally:
        c.close()
        cluster.close()


def assert_tables_equal(a, b):
    assert list(a.columns) == list(b.columns)
    for col in a.columns:
        np.testing.assert_array_equal(a[col].to_numpy(), b[col].to_numpy())


def test_dask_sweep_equals_local_sweep(client):
    local = gd.sweep("rosenbrock", gd.optim.sgd, GRID, steps=200, tol=1.0, seeds=2)
    seen = []
    remote = gd.sweep(
        "rosenbrock",
        gd.optim.sgd,
        GRID,
        steps=200,
        tol=1.0,
        seeds=2,
        client=client,
        block_size=5,
        on_block=seen.append,
    )
    assert_tables_equal(local, remote)
    assert sorted(len(b) for b in seen) == [2 * 4] + [2 * 5] * 4  # 24 points in blocks of 5
    assert local["diverged"].any() and not local["diverged"].all()


def test_both_workers_take_blocks_and_default_blocks(client):
    remote = gd.sweep(
        "quadratic", "sgd", {"lr": np.linspace(0.01, 0.3, 16)}, steps=50, client=client
    )
    local = gd.sweep("quadratic", "sgd", {"lr": np.linspace(0.01, 0.3, 16)}, steps=50)
    assert_tables_equal(local, remote)
    assert len(client.scheduler_info()["workers"]) == 2


def test_a_client_that_is_not_dask_is_refused():
    with pytest.raises(TypeError, match="dask.distributed.Client"):
        gd.sweep("quadratic", "sgd", {"lr": [0.1]}, client=object())


@pytest.mark.slow
def test_worker_processes_give_the_same_table():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    try:
        with distributed.Client(cluster) as c:
            remote = gd.sweep("rosenbrock", gd.optim.sgd, GRID, steps=100, tol=1.0, client=c)
    finally:
        cluster.close()
    local = gd.sweep("rosenbrock", gd.optim.sgd, GRID, steps=100, tol=1.0)
    assert_tables_equal(local, remote)
