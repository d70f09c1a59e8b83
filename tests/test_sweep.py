"""gd.sweep against the same runs made one by one with gd.run, and its table and errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import gdwidget as gd
from gdwidget.sweeps import metrics
from gdwidget.sweeps.grid import looks_log_spaced, make_grid

FIGS = ("final_loss", "best_loss", "steps_to_tol", "diverged")


def one_by_one(objective, factory, grid, *, steps, tol, start=None, seeds=(0,), base=None, **kw):
    """The reference: one gd.run per grid point, seed and start, figures from its History."""
    starts = [None] if start is None or np.ndim(start) == 1 else list(start)
    one_start = start if start is None or np.ndim(start) == 1 else None
    rows = []
    for values in itertools.product(*grid.values()):
        point = dict(zip(grid, values, strict=True))
        for seed in seeds:
            for s in starts:
                opt = factory(**{**(base or {}), **point})
                h = gd.run(
                    objective,
                    {"one": opt},
                    one_start if s is None else s,
                    steps=steps,
                    device="cpu",
                    seed=seed,
                    record_params=False,
                    **kw,
                )
                f = metrics.from_history(h, tol)
                rows.append({k: f[k][0] for k in FIGS})
    return {k: np.array([r[k] for r in rows]) for k in FIGS}


def assert_same(df, ref):
    for k in FIGS:
        got = df[k].to_numpy()
        if k == "diverged":
            np.testing.assert_array_equal(got, ref[k])
        else:  # bit for bit, NaN where NaN
            np.testing.assert_array_equal(got.astype(np.float64), ref[k].astype(np.float64))


def test_sweep_equals_gd_run_per_point_on_rosenbrock():
    grid = {"lr": [1e-4, 5e-4, 2e-3, 4e-3], "momentum": [0.0, 0.5, 0.9]}
    df = gd.sweep("rosenbrock", gd.optim.sgd, grid, steps=300, tol=0.5)
    ref = one_by_one(gd.functions.rosenbrock(), gd.optim.sgd, grid, steps=300, tol=0.5)
    assert list(df.columns) == ["lr", "momentum", "seed", *FIGS]
    assert len(df) == 12
    assert_same(df, ref)
    # the grid has both outcomes and some runs reach the tolerance
    assert df["diverged"].any() and not df["diverged"].all()
    assert np.isfinite(df["steps_to_tol"]).any() and np.isnan(df["steps_to_tol"]).any()


def test_rows_are_in_grid_order_last_key_fastest():
    grid = {"lr": [1e-3, 2e-3], "momentum": [0.0, 0.3, 0.6]}
    df = gd.sweep("quadratic", gd.optim.sgd, grid, steps=5)
    expected = list(itertools.product(grid["lr"], grid["momentum"]))
    assert list(zip(df["lr"], df["momentum"], strict=True)) == expected


def test_a_switch_and_tuples_split_groups_and_still_equal_gd_run():
    grid = {"lr": [1e-3, 3e-3], "momentum": [0.5, 0.9], "nesterov": [False, True]}
    df = gd.sweep("rosenbrock", gd.optim.sgd, grid, steps=120, tol=1.0)
    ref = one_by_one(gd.functions.rosenbrock(), gd.optim.sgd, grid, steps=120, tol=1.0)
    assert_same(df, ref)
    grid = {"lr": [0.01, 0.05], "betas": [(0.9, 0.999), (0.5, 0.9)]}
    opt = gd.optim.adam(0.1, eps=1e-6)
    df = gd.sweep("himmelblau", opt, grid, steps=100, tol=1e-3)
    ref = one_by_one(
        gd.functions.himmelblau(), gd.optim.adam, grid, steps=100, tol=1e-3, base={"eps": 1e-6}
    )
    assert_same(df, ref)
    assert df["betas"].tolist() == [(0.9, 0.999), (0.5, 0.9)] * 2


def test_seeds_and_starts_make_rows_and_equal_gd_run():
    grid = {"lr": [1e-3, 2e-3]}
    starts = np.array([[-1.5, 2.0], [0.5, -0.5], [1.2, 1.0]])
    df = gd.sweep("rosenbrock", "sgd", grid, start=starts, steps=80, seeds=[3, 7], tol=0.1)
    assert list(df.columns) == ["lr", "seed", "start", *FIGS]
    assert len(df) == 2 * 2 * 3
    assert df["seed"].tolist()[:6] == [3, 3, 3, 7, 7, 7]
    assert df["start"].tolist()[:6] == [0, 1, 2, 0, 1, 2]
    ref = one_by_one(
        gd.functions.rosenbrock(), gd.optim.sgd, grid, steps=80, tol=0.1, start=starts, seeds=(3, 7)
    )
    assert_same(df, ref)


def test_blocks_change_nothing_and_on_block_sees_each_block():
    grid = {"lr": np.logspace(-4, -2, 7), "momentum": [0.0, 0.8, 0.95]}
    whole = gd.sweep("rosenbrock", gd.optim.sgd, grid, steps=150, tol=1.0)
    parts = []
    blocked = gd.sweep(
        "rosenbrock", gd.optim.sgd, grid, steps=150, tol=1.0, block_size=4, on_block=parts.append
    )
    assert [len(p) for p in parts] == [4, 4, 4, 4, 4, 1]
    for k in FIGS:
        np.testing.assert_array_equal(whole[k].to_numpy(), blocked[k].to_numpy())


def test_a_model_with_mini_batches_equals_gd_run():
    X, y = gd.data.moons(60, seed=1)
    model = gd.models.logistic_regression(X, y)
    grid = {"lr": [0.05, 0.5], "momentum": [0.0, 0.9]}
    df = gd.sweep(model, gd.optim.sgd, grid, steps=40, batch_size=8, seeds=2, tol=0.45)
    ref = one_by_one(model, gd.optim.sgd, grid, steps=40, tol=0.45, seeds=(0, 1), batch_size=8)
    assert_same(df, ref)
    # the seed changes the batch order: the seeds' rows differ
    assert not np.array_equal(df["final_loss"][::2].to_numpy(), df["final_loss"][1::2].to_numpy())


def test_tracker_in_chunks_equals_whole_curve_brute_force():
    rng = np.random.default_rng(0)
    loss = rng.uniform(0, 2, size=(50, 6))
    loss[30:, 2] = np.inf
    loss[10, 4] = np.nan
    steps = np.arange(50)
    whole = metrics.Tracker(6, 0.1)
    whole.update(steps, loss)
    parts = metrics.Tracker(6, 0.1)
    for a in range(0, 50, 7):
        parts.update(steps[a : a + 7], loss[a : a + 7])
    w = whole.result(["running"] * 6)
    p = parts.result(["running"] * 6)
    for k in FIGS:
        np.testing.assert_array_equal(w[k], p[k])
    for r in range(6):  # brute force, run by run
        col = loss[:, r]
        hits = [i for i in range(50) if col[i] <= 0.1]
        assert (hits[0] if hits else None) == (
            None if np.isnan(w["steps_to_tol"][r]) else w["steps_to_tol"][r]
        )
        assert w["best_loss"][r] == min(v for v in col if np.isfinite(v))
    assert w["diverged"].tolist() == [False, False, True, False, False, False]


def test_log_spacing_detection():
    assert looks_log_spaced(np.logspace(-4, 0, 20))
    assert not looks_log_spaced(np.linspace(0.1, 1, 20))
    assert not looks_log_spaced([0.0, 0.5, 0.9])
    assert not looks_log_spaced([1e-3, 1e-2])


@pytest.mark.parametrize(
    ("grid", "err", "match"),
    [
        ({}, TypeError, "non-empty dict"),
        ({"lr": []}, ValueError, "empty"),
        ({"lr": "0.1"}, TypeError, "sequence"),
        ({"lr": [0.1, float("nan")]}, ValueError, "not finite"),
        ({"lr": [0.1, "x"]}, TypeError, "numbers"),
    ],
)
def test_bad_grids_say_what_is_wrong(grid, err, match):
    with pytest.raises(err, match=match):
        make_grid(grid)


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="not hyperparameters of sgd"):
        gd.sweep("rosenbrock", gd.optim.sgd, {"beta": [0.1]})
    with pytest.raises(ValueError, match="unknown optimizer"):
        gd.sweep("rosenbrock", "sgdd", {"lr": [0.1]})
    with pytest.raises(TypeError, match="optimizer must be"):
        gd.sweep("rosenbrock", 3, {"lr": [0.1]})
    with pytest.raises(ValueError, match="refused"):
        gd.sweep("rosenbrock", gd.optim.sgd, {"lr": [-1.0]})
    with pytest.raises(ValueError, match="seeds"):
        gd.sweep("rosenbrock", gd.optim.sgd, {"lr": [0.1]}, seeds=0)
    with pytest.raises(ValueError, match="steps"):
        gd.sweep("rosenbrock", gd.optim.sgd, {"lr": [0.1]}, steps=-1)
    with pytest.raises(ValueError, match="device"):
        gd.sweep("rosenbrock", gd.optim.sgd, {"lr": [0.1]}, device="tpu")


def scalar_momentum_sgd(lr=1e-3, momentum=0.0):
    """An optimizer factory that takes momentum as one number only (float() of an array fails)."""
    return gd.optim.sgd(lr, momentum=float(momentum))


def test_one_group_when_vectorized_and_a_group_per_value_otherwise():
    from gdwidget.sweeps.run import make_plan

    grid = {"lr": [1e-3, 2e-3, 3e-3], "momentum": [0.0, 0.5, 0.9]}
    plan = make_plan("rosenbrock", gd.optim.sgd, grid)
    opts, rows = plan.groups(np.arange(9))
    assert plan.arrays == ("lr", "momentum") and len(opts) == 1
    assert opts["g0"].n_runs == 9 and rows.tolist() == list(range(9))
    fallback = make_plan("rosenbrock", scalar_momentum_sgd, grid)
    opts, rows = fallback.groups(np.arange(9))
    assert fallback.arrays == ("lr",) and len(opts) == 3  # one group per momentum
    assert sorted(rows.tolist()) == list(range(9))
    a = gd.sweep("rosenbrock", gd.optim.sgd, grid, steps=200, tol=0.5)
    b = gd.sweep("rosenbrock", scalar_momentum_sgd, grid, steps=200, tol=0.5)
    for k in FIGS:
        np.testing.assert_array_equal(a[k].to_numpy(), b[k].to_numpy())
