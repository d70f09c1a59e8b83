"""Per-run settings of gradient transforms: a chain whose clip or noise has one value per
run equals, bit for bit, separate chains with one value each (the reference is the scalar
path that tests/test_transforms.py compares with torch), and the boundary checks."""

from __future__ import annotations

import numpy as np
import pytest

import gdwidget as gd
from gdwidget.engine import Run

go, gt = gd.optim, gd.transforms
N, STEPS = 64, 200


def _grad(p):
    """Rosenbrock's gradient, row by row (rows cannot affect each other)."""
    x, y = p[:, :1], p[:, 1:]
    return np.concatenate([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)], axis=1)


def _settings(kind, rng):
    u = lambda lo, hi: rng.uniform(lo, hi, N)  # noqa: E731
    return {
        "clip_by_global_norm": {"max_norm": 10 ** u(-1, 2)},
        "clip_by_value": {"limit": 10 ** u(-1, 2)},
        "add_noise": {"eta": u(0, 2), "gamma": u(0, 1), "seed": rng.integers(0, 5, N)},
        "add_noise_one_seed": {"eta": u(0, 2), "gamma": 0.3, "seed": 7},
    }[kind]


def _make(kind, kw):
    name = "add_noise" if kind.startswith("add_noise") else kind
    return getattr(gt, name)(**kw)


def _row(kw, i):
    return {k: v[i].item() if isinstance(v, np.ndarray) else v for k, v in kw.items()}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "kind", ["clip_by_global_norm", "clip_by_value", "add_noise", "add_noise_one_seed"]
)
def test_a_per_run_transform_equals_separate_chains_bit_for_bit(kind, dtype):
    rng = np.random.default_rng(sum(map(ord, kind)))
    kw = _settings(kind, rng)
    lr = 10 ** rng.uniform(-4, -3, N)
    group = gd.chain(_make(kind, kw), go.sgd(lr, momentum=0.9))
    assert group.n_runs == N
    singles = [gd.chain(_make(kind, _row(kw, i)), go.sgd(lr[i], momentum=0.9)) for i in range(N)]
    assert all(o.n_runs is None for o in singles)
    start = np.column_stack([rng.uniform(-1.5, 1.5, N), rng.uniform(-0.5, 2, N)]).astype(dtype)
    P = start.copy()
    S = group.init(P)
    rows = [start[i : i + 1].copy() for i in range(N)]
    states = [o.init(r) for o, r in zip(singles, rows, strict=True)]
    with np.errstate(all="ignore"):
        for t in range(STEPS):
            group.step(P, _grad(P), S)
            for o, r, s in zip(singles, rows, states, strict=True):
                o.step(r, _grad(r), s)
            np.testing.assert_array_equal(P, np.concatenate(rows), err_msg=f"step {t + 1}")
    assert P.dtype == dtype and np.isfinite(P).all()


def test_fifty_clips_are_one_group_and_equal_fifty_runs():
    max_norm = np.logspace(-1, 1, 50)
    h = gd.run(
        "rosenbrock",
        {"c": gd.chain(gt.clip_by_global_norm(max_norm), go.sgd(1e-3))},
        steps=100,
        device="cpu",
    )
    assert h.groups == ["c"] * 50
    clipped = 0
    for i in (0, 7, 25, 49):
        one = gd.chain(gt.clip_by_global_norm(max_norm[i]), go.sgd(1e-3))
        ref = gd.run("rosenbrock", {"c": one}, steps=100, device="cpu")
        np.testing.assert_array_equal(h.params[:, i], ref.params[:, 0])
        np.testing.assert_array_equal(h.loss[:, i], ref.loss[:, 0])
        clipped += not np.array_equal(
            ref.params, gd.run("rosenbrock", {"c": go.sgd(1e-3)}, steps=100, device="cpu").params
        )
    assert clipped >= 2  # the small norms do clip: the test can tell the settings apart
    df = h.to_pandas()
    last = df[df.step == 100].set_index("run")
    assert last.loc["c[49]", "max_norm"] == max_norm[49]
    assert h.swept == ["max_norm"]


def test_a_chain_with_per_run_settings_takes_its_rows_in_a_run():
    noise = gt.add_noise(np.array([0.1, 0.2, 0.3]), seed=np.array([1, 2, 3]))
    r = Run("rosenbrock", {"n": gd.chain(noise, go.adam(0.01))}, device="cpu")
    assert r.labels == ["n[0]", "n[1]", "n[2]"]
    chunk = r.advance(30)
    one = gd.chain(gt.add_noise(0.2, seed=2), go.adam(0.01))
    ref = Run("rosenbrock", {"n": one}, device="cpu").advance(30)
    np.testing.assert_array_equal(chunk.params[:, 1], ref.params[:, 0])


def test_describe_shows_a_range():
    c = gd.chain(gt.clip_by_value(np.array([0.5, 2.0])), go.sgd(0.1))
    assert c.describe()["transforms"] == ["clip_by_value(limit=0.5..2 (2 runs))"]
    assert repr(gt.add_noise([0.1, 0.2], seed=[0, 1])).startswith("add_noise(eta=0.1..0.2 (2 runs)")
    assert gt.clip_by_global_norm([1.0, 3.0]).row(1).max_norm == 3.0


@pytest.mark.parametrize(
    ("make", "error", "pattern"),
    [
        (
            lambda: gt.clip_by_global_norm(np.array([1.0, 0.0])),
            ValueError,
            r"max_norm\[1\] must be > 0",
        ),
        (lambda: gt.clip_by_value([1.0, np.nan]), ValueError, r"limit\[1\]"),
        (lambda: gt.clip_by_value(np.ones((2, 2))), ValueError, r"limit must be .*1-D array"),
        (lambda: gt.add_noise([0.1, -1.0]), ValueError, r"eta\[1\] must be >= 0, got -1"),
        (lambda: gt.add_noise(0.1, seed=[0, -1]), ValueError, r"seed\[1\]"),
        (lambda: gt.add_noise(0.1, seed=[0.5, 1.0]), ValueError, r"seed must be an int or"),
        (lambda: gt.add_noise([0.1, 0.2], gamma=[0.1, 0.2, 0.3]), ValueError, r"one length"),
        (
            lambda: gd.chain(gt.clip_by_global_norm([1.0, 2.0]), go.sgd([0.1, 0.2, 0.3])),
            ValueError,
            r"chain must all have one length, got clip_by_global_norm: 2, sgd: 3",
        ),
    ],
)
def test_bad_per_run_settings_name_the_argument(make, error, pattern):
    with pytest.raises(error, match=pattern):
        make()


def test_a_block_of_another_size_is_refused():
    c = gd.chain(gt.clip_by_global_norm([1.0, 2.0]), go.sgd(0.1))
    with pytest.raises(ValueError, match="2 runs"):
        Run("rosenbrock", {"c": c}, start=np.zeros((3, 2)), device="cpu")


def _clipped_sgd(lr=1e-3, max_norm=1.0):
    return gd.chain(gt.clip_by_global_norm(max_norm), go.sgd(lr, momentum=0.9))


def test_a_sweep_over_a_clip_equals_gd_run_per_point():
    from gdwidget.sweeps import metrics
    from gdwidget.sweeps.grid import make_grid
    from gdwidget.sweeps.plan import array_names, as_spec

    grid = {"max_norm": [0.3, 3.0, 30.0], "lr": [5e-4, 2e-3]}
    assert array_names(as_spec(_clipped_sgd), make_grid(grid)) == ("max_norm", "lr")
    df = gd.sweep("rosenbrock", _clipped_sgd, grid, steps=150, tol=0.5)
    assert list(zip(df["max_norm"], df["lr"], strict=True)) == [
        (c, lr) for c in grid["max_norm"] for lr in grid["lr"]
    ]
    for k, (c, lr) in enumerate(zip(df["max_norm"], df["lr"], strict=True)):
        h = gd.run("rosenbrock", {"one": _clipped_sgd(lr, c)}, steps=150, device="cpu")
        f = metrics.from_history(h, 0.5)
        for name in ("final_loss", "best_loss", "steps_to_tol", "diverged"):
            np.testing.assert_array_equal(np.float64(df[name][k]), np.float64(f[name][0]))
    assert len(set(df["final_loss"])) == 6  # every setting makes its own run


def test_meta_names_a_swept_transform_setting_as_the_legend_and_to_pandas_do():
    from gdwidget.live import meta

    max_norm, lr = np.array([0.5, 2.0, 8.0]), np.array([1e-3, 2e-3, 4e-3])
    races = {
        "clip": gd.chain(gt.clip_by_global_norm(max_norm), go.sgd(1e-3)),
        "both": gd.chain(gt.clip_by_global_norm(max_norm), go.sgd(lr, momentum=0.9)),
        "plain": gd.chain(gt.clip_by_global_norm(1.0), go.sgd(1e-3)),
    }
    groups = {g["label"]: g for g in meta.groups_meta(Run("rosenbrock", races, device="cpu"), {})}
    assert groups["clip"]["swept"] == ["max_norm"] and groups["clip"]["lr_range"] is None
    assert groups["clip"]["hyper"]["max_norm"] == "0.5..8 (3 runs)"  # the legend's name
    assert groups["both"]["swept"] == ["lr", "max_norm"]
    assert groups["plain"]["swept"] == [] and groups["plain"]["runs"] == 1
    h = gd.run("rosenbrock", {"clip": races["clip"]}, steps=2, device="cpu")
    assert h.swept == groups["clip"]["swept"] and "max_norm" in h.to_pandas().columns


def test_a_transform_setting_named_as_the_optimizers_gets_its_prefix_shown_or_not():
    from gdwidget.live import meta

    c = gd.chain(gt.add_noise(0.1, seed=[1, 2]), go.sophia(0.01))  # sophia has a seed too
    assert "add_noise.seed" in c.describe() and "add_noise.seed" in c.describe(changed_only=True)
    assert meta.swept_names(c) == ["add_noise.seed"]
    assert c.describe(changed_only=True)["add_noise.seed"].tolist() == [1, 2]
