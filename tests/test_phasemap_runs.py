"""gd.PhaseMap over several starts and seeds: each cell's figures are the aggregate of its
runs, and the runs are those gd.run makes per grid point, seed and start."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from test_sweep import FIGS, one_by_one

import gdwidget as gd
from gdwidget.sweeps.cells import aggregate

warnings.filterwarnings("ignore", message="gdwidget's JavaScript bundle is missing")

XS = np.logspace(-4, -2.4, 4)
YS = np.array([0.0, 0.6, 0.9])
STARTS = np.array([[-1.5, 2.0], [0.0, 0.0], [1.2, 1.0]])
SEEDS = (0, 3)
STEPS, TOL = 120, 0.3


def _reference():
    """Each run's figures from gd.run, as (nx, ny, seeds, starts) arrays."""
    ref = one_by_one(
        gd.functions.rosenbrock(),
        gd.optim.sgd,
        {"lr": XS, "momentum": YS},
        steps=STEPS,
        tol=TOL,
        start=STARTS,
        seeds=SEEDS,
    )
    return {
        f: ref[f].astype(np.float64).reshape(len(XS), len(YS), len(SEEDS), len(STARTS))
        for f in FIGS
    }


@pytest.mark.parametrize("how", ["median", "mean"])
def test_cells_aggregate_gd_run_per_grid_point_seed_and_start(how):
    pm = gd.PhaseMap(
        "rosenbrock",
        gd.optim.sgd,
        x=("lr", XS),
        y=("momentum", YS),
        steps=STEPS,
        tol=TOL,
        start=STARTS,
        seeds=list(SEEDS),
        aggregate=how,
        block_size=5,
    ).wait(120)
    assert pm.status == "done" and pm.info["runs_per_cell"] == 6 and pm.info["aggregate"] == how
    ref = _reference()
    reduce = {"median": np.median, "mean": np.mean}[how]
    v = pm.values
    for ix in range(len(XS)):
        for iy in range(len(YS)):
            runs = {f: ref[f][ix, iy].reshape(-1) for f in FIGS}
            for f in ("final_loss", "best_loss"):
                want = reduce(np.where(np.isnan(runs[f]), np.inf, runs[f]))
                np.testing.assert_array_equal(v[f][iy, ix], want, err_msg=f"{f} {ix} {iy}")
            steps = reduce(np.where(np.isnan(runs["steps_to_tol"]), np.inf, runs["steps_to_tol"]))
            np.testing.assert_array_equal(
                v["steps_to_tol"][iy, ix], np.nan if np.isinf(steps) else steps
            )
            div = runs["diverged"].mean()
            assert v["diverged_fraction"][iy, ix] == div
            assert v["diverged"][iy, ix] == float(div > 0.5)
            assert v["reached_fraction"][iy, ix] == np.mean(~np.isnan(runs["steps_to_tol"]))
    cells = np.frombuffer(pm.cells, dtype="<f8").reshape(4, len(YS), len(XS))
    for k, f in enumerate(FIGS):
        np.testing.assert_array_equal(cells[k], v[f])
    # the cells are not all alike: some starts reach tol and some do not, some runs diverge
    frac = v["reached_fraction"]
    assert ((frac > 0) & (frac < 1)).any() and (v["diverged_fraction"] > 0).any()
    # the table has every run: one row per grid point, seed and start, equal to gd.run's
    t = pm.table
    assert len(t) == len(XS) * len(YS) * 6 and list(t.columns[:4]) == [
        "lr",
        "momentum",
        "seed",
        "start",
    ]
    for f in FIGS:
        np.testing.assert_array_equal(t[f].to_numpy(dtype=np.float64), ref[f].reshape(-1))


def test_one_run_per_cell_is_that_runs_figures_and_bad_aggregates_are_refused():
    found = {
        "final_loss": np.array([[[np.nan]], [[2.0]]]),
        "best_loss": np.array([[[1.0]], [[2.0]]]),
        "steps_to_tol": np.array([[[np.nan]], [[5.0]]]),
        "diverged": np.array([[[True]], [[False]]]),
    }
    cell = aggregate(found)
    np.testing.assert_array_equal(cell["final_loss"], [np.nan, 2.0])
    np.testing.assert_array_equal(cell["steps_to_tol"], [np.nan, 5.0])
    np.testing.assert_array_equal(cell["diverged"], [1.0, 0.0])
    with pytest.raises(ValueError, match="aggregate must be one of"):
        aggregate(found, "mode")
    with pytest.raises(ValueError, match="aggregate must be one of"):
        gd.PhaseMap(
            "rosenbrock", gd.optim.sgd, x=("lr", XS), y=("momentum", YS), tol=1.0, aggregate="sum"
        )


def test_a_phase_map_on_mini_batches_equals_the_sweep_and_refuses_unknown_arguments():
    from sklearn.datasets import make_moons

    X, y = make_moons(80, noise=0.2, random_state=0)
    model = (
        gd.models.logistic_regression(X, y) if hasattr(gd.models, "logistic_regression") else None
    )
    if model is None:
        model = gd.models.mlp(X, y, hidden=(4,))
    grid = {"lr": [0.05, 0.2], "momentum": [0.0, 0.9]}
    pm = gd.PhaseMap(
        model,
        gd.optim.sgd,
        x=("lr", grid["lr"]),
        y=("momentum", grid["momentum"]),
        steps=30,
        batch_size=16,
        device="cpu",
        tol=1e-3,
    )
    pm.wait()
    table = gd.sweep(model, gd.optim.sgd, grid=grid, steps=30, batch_size=16, device="cpu")
    full = gd.sweep(model, gd.optim.sgd, grid=grid, steps=30, device="cpu")
    got = pm.table.sort_values(["lr", "momentum"])["final_loss"].to_numpy()
    want = table.sort_values(["lr", "momentum"])["final_loss"].to_numpy()
    assert np.array_equal(got, want)
    assert not np.array_equal(got, full.sort_values(["lr", "momentum"])["final_loss"].to_numpy())
    with pytest.raises(TypeError, match="unexpected keyword arguments \\['batchsize'\\]"):
        gd.PhaseMap(model, gd.optim.sgd, x=("lr", [0.1]), y=("momentum", [0.0]), batchsize=16)
