"""Per-run hyperparameters: one optimizer of 64 rows, each row with its own random settings,
equals 64 separate single-row optimizers at every step, bit for bit (the reference is the
scalar path we already compare with torch.optim), and the boundary checks."""

from __future__ import annotations

import numpy as np
import pytest

import gdwidget as gd
from gdwidget.engine import Run
from gdwidget.optim import _fused

go = gd.optim
N, STEPS = 64, 200


def _grad(p):
    """Rosenbrock's gradient, row by row (elementwise, so rows cannot affect each other)."""
    x, y = p[:, :1], p[:, 1:]
    return np.concatenate([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)], axis=1)


def _hessian(p):
    return 2.0 + np.cos(3.0 * p)  # any deterministic elementwise estimate, of both signs


def settings(name, rng):
    """Random per-row keyword arguments for optimizer ``name`` (arrays of N values)."""
    u = lambda lo, hi: rng.uniform(lo, hi, N)  # noqa: E731
    some_zero = lambda a: np.where(rng.random(N) < 0.25, 0.0, a)  # noqa: E731
    lr = 10 ** u(-4, -2.5)
    return {
        "gd": {"lr": lr},
        "sgd": {
            "lr": lr,
            "momentum": some_zero(u(0, 0.99)),
            "dampening": u(0, 0.5),
            "weight_decay": some_zero(u(0, 0.1)),
        },
        "nesterov": {"lr": lr, "momentum": u(0.1, 0.99), "nesterov": True},
        "adagrad": {
            "lr": lr * 100,
            "lr_decay": u(0, 0.01),
            "weight_decay": u(0, 0.1),
            "initial_accumulator_value": u(0, 0.5),
            "eps": 10 ** u(-10, -6),
        },
        "rmsprop": {
            "lr": lr,
            "alpha": u(0.8, 0.999),
            "eps": 10 ** u(-8, -6),
            "weight_decay": u(0, 0.1),
            "momentum": some_zero(u(0, 0.9)),
        },
        "rmsprop_centered": {"lr": lr, "alpha": u(0.8, 0.999), "centered": True},
        "adam": {
            "lr": lr * 10,
            "betas": (u(0, 0.99), u(0.9, 0.9999)),  # beta1 < 0.5 too: both forms of lerp
            "eps": 10 ** u(-9, -6),
            "weight_decay": some_zero(u(0, 0.1)),
        },
        "amsgrad": {"lr": lr * 10, "betas": (0.9, u(0.9, 0.9999)), "amsgrad": True},
        "adamw": {"lr": lr * 10, "betas": (u(0.5, 0.99), 0.999), "weight_decay": u(0, 0.2)},
        "lion": {"lr": lr, "betas": (u(0.8, 0.99), u(0.9, 0.999)), "weight_decay": u(0, 0.5)},
        "sophia": {
            "lr": lr,
            "betas": (u(0.9, 0.99), u(0.9, 0.999)),
            "rho": u(0.01, 0.1),
            "weight_decay": u(0, 0.2),
            "eps": 10 ** u(-15, -10),
            "k": 3,
        },
    }[name]


FACTORY = {
    "gd": go.gd,
    "sgd": go.sgd,
    "nesterov": go.sgd,
    "adagrad": go.adagrad,
    "rmsprop": go.rmsprop,
    "rmsprop_centered": go.rmsprop,
    "adam": go.adam,
    "amsgrad": go.adam,
    "adamw": go.adamw,
    "lion": go.lion,
    "sophia": go.sophia,
}


def _row(kwargs, i):
    """Row ``i``'s settings as plain numbers."""
    pick = lambda v: float(v[i]) if isinstance(v, np.ndarray) else v  # noqa: E731
    return {
        k: tuple(pick(x) for x in v) if isinstance(v, tuple) else pick(v) for k, v in kwargs.items()
    }


def _step(opt, p, state):
    h = None
    if opt.hessian_every and state["step"] % opt.hessian_every == 0:
        h = _hessian(p)
    opt.step(p, _grad(p), state, hessian=h)


@pytest.mark.parametrize("fused", ["fused", "generic"])
@pytest.mark.parametrize("name", list(FACTORY))
def test_a_swept_group_equals_separate_optimizers_bit_for_bit(name, fused, monkeypatch):
    if fused == "fused" and not _fused.available():
        pytest.skip("numba is not installed")
    monkeypatch.setenv("GDWIDGET_FUSED", "1" if fused == "fused" else "0")
    rng = np.random.default_rng(sum(map(ord, name)))
    kwargs = settings(name, rng)
    group = FACTORY[name](**kwargs)
    assert group.n_runs == N
    singles = [FACTORY[name](**_row(kwargs, i)) for i in range(N)]
    assert all(o.n_runs is None for o in singles)
    start = np.column_stack([rng.uniform(-1.5, 1.5, N), rng.uniform(-0.5, 2, N)])
    P = start.copy()
    S = group.init(P)
    rows = [start[i : i + 1].copy() for i in range(N)]
    states = [o.init(r) for o, r in zip(singles, rows, strict=True)]
    with np.errstate(all="ignore"):  # a few rows diverge: NaN rows must agree too
        for t in range(STEPS):
            _step(group, P, S)
            for o, r, s in zip(singles, rows, states, strict=True):
                _step(o, r, s)
            np.testing.assert_array_equal(P, np.concatenate(rows), err_msg=f"step {t + 1}")
    assert np.isfinite(P).mean() > 0.5


def test_run_gives_a_swept_group_its_rows_labels_and_rates():
    lr = np.logspace(-5, -3.5, 5)
    r = Run("rosenbrock", {"sgd": go.sgd(0.001), "sweep": go.sgd(lr, momentum=0.9)}, device="cpu")
    assert r.labels == ["sgd"] + [f"sweep[{i}]" for i in range(5)]
    assert r.groups == ["sgd"] + ["sweep"] * 5
    chunk = r.advance(20)
    np.testing.assert_array_equal(chunk.lr[0], np.r_[0.001, lr])
    one = Run("rosenbrock", {"x": go.sgd(lr[3], momentum=0.9)}, device="cpu").advance(20)
    np.testing.assert_array_equal(chunk.params[:, 4], one.params[:, 0])


def test_starts_broadcast_or_pair_with_the_runs():
    opt = go.adam(lr=np.full(3, 0.01))
    starts = np.array([[-1.0, 1.0], [0.0, 0.0], [1.0, -1.0]])
    r = Run("rosenbrock", {"a": opt}, start=starts, device="cpu")
    np.testing.assert_array_equal(r.params, starts)
    with pytest.raises(ValueError, match=r"'a' has 3 runs.*got 2"):
        Run("rosenbrock", {"a": opt}, start=starts[:2], device="cpu")


@pytest.mark.parametrize(
    ("make", "error", "pattern"),
    [
        (
            lambda: go.adam(lr=np.ones(3) * 1e-3, betas=(0.9, np.full(4, 0.99))),
            ValueError,
            r"one length.*lr: 3.*betas\[1\]: 4",
        ),
        (
            lambda: go.sgd(momentum=np.array([0.5, -0.1])),
            ValueError,
            r"momentum\[1\] must be >= 0, got -0\.1",
        ),
        (
            lambda: go.adam(betas=(np.array([0.9, 1.0]), 0.999)),
            ValueError,
            r"betas\[0\]\[1\] must be < 1",
        ),
        (lambda: go.sgd(lr=np.ones((2, 2))), ValueError, r"1-D array"),
        (
            lambda: go.sgd(momentum=0.9, nesterov=np.array([True, False])),
            TypeError,
            r"nesterov changes the update rule",
        ),
        (lambda: go.adam(amsgrad=[True, False]), TypeError, r"amsgrad"),
        (lambda: go.rmsprop(centered=np.ones(2)), TypeError, r"centered"),
    ],
)
def test_bad_per_run_settings_name_the_argument(make, error, pattern):
    with pytest.raises(error, match=pattern):
        make()


def test_a_schedule_may_give_one_rate_per_run():
    lr = np.array([1e-3, 2e-3, 4e-3])
    swept = go.sgd(lambda t: lr / (1 + t), momentum=np.full(3, 0.5))
    r = Run("rosenbrock", {"s": swept}, device="cpu")
    chunk = r.advance(10)
    for i in range(3):
        one = go.sgd(lambda t, a=lr[i]: a / (1 + t), momentum=0.5)
        ref = Run("rosenbrock", {"s": one}, device="cpu").advance(10)
        np.testing.assert_array_equal(chunk.params[:, i], ref.params[:, 0])
    bad = go.sgd(lambda t: np.array([1e-3, -1.0, 1e-3]) if t == 4 else lr, momentum=np.zeros(3))
    r = Run("rosenbrock", {"s": bad}, device="cpu")
    chunk = r.advance(10)
    # the run whose rate is bad stops; the others go on as runs of their own
    assert r.status[1] == "stopped" and r.stop_step[1] == 4
    at4 = np.array([1e-3, -1.0, 1e-3])
    for i in (0, 2):
        one = go.sgd(lambda t, i=i: at4[i] if t == 4 else lr[i], momentum=0.0)
        ref = Run("rosenbrock", {"s": one}, device="cpu").advance(10)  # run 2 diverges at 7
        np.testing.assert_array_equal(chunk.params[: len(ref.steps), i], ref.params[:, 0])
    assert "lr[1]=-1 at step 4" in r.notes[1] and r.notes[0] is None


def test_history_tells_each_runs_settings():
    h = gd.run(
        "rosenbrock",
        {
            "plain": go.adam(0.01),
            "sweep": go.adam(np.array([0.01, 0.02]), betas=(0.9, [0.99, 0.9])),
        },
        steps=3,
        device="cpu",
    )
    assert h.hyper["lr"].tolist() == [0.01, 0.01, 0.02]
    assert h.hyper["beta2"].tolist() == [0.999, 0.99, 0.9]
    df = h.to_pandas()
    last = df[df.step == 3].set_index("run")
    assert last.loc["sweep[1]", "lr"] == 0.02 and last.loc["sweep[1]", "beta2"] == 0.9
    assert "eps" not in df.columns  # only the swept hyperparameters get columns


def test_legend_shows_a_swept_group_as_one_entry_with_its_range():
    from gdwidget.live import meta

    r = Run("rosenbrock", {"s": go.sgd(np.array([1e-4, 1e-3]), momentum=[0.5, 0.9])}, device="cpu")
    (group,) = meta.groups_meta(r, {})
    assert group["runs"] == 2 and group["lr"] == 1e-3 and group["lr_range"] == [1e-4, 1e-3]
    assert group["hyper"] == {"momentum": "0.5..0.9 (2 runs)"}
    runs = meta.runs_meta(r)
    assert [x["hyper"]["momentum"] for x in runs] == ["0.5", "0.9"]
    assert [x["group"] for x in runs] == ["s", "s"]
