"""Schedules against the PyTorch schedulers and optax schedules they name."""

from __future__ import annotations

import math

import pytest

import gdwidget as gd
from gdwidget import schedules as S

torch = pytest.importorskip("torch")
lrs = torch.optim.lr_scheduler


def torch_lrs(make_scheduler, lr, n, optimizer="sgd"):
    """Step a dummy optimizer ``n`` times and read the rate used by each update."""
    p = torch.nn.Parameter(torch.zeros(2))
    if optimizer == "sgd":
        opt = torch.optim.SGD([p], lr=lr, momentum=0.9)
    else:
        opt = torch.optim.Adam([p], lr=lr)
    sched = make_scheduler(opt)
    out = []
    for _ in range(n):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


def ours(schedule, n):
    return [schedule(t) for t in range(n)]


def assert_equal_lists(a, b, rel=0.0, abs_=0.0):
    assert len(a) == len(b)
    for t, (x, y) in enumerate(zip(a, b, strict=True)):
        assert math.isclose(x, y, rel_tol=rel, abs_tol=abs_), f"step {t}: {x!r} != {y!r}"


def test_lazy_module_name():
    assert gd.schedules is S


def test_constant():
    s = S.constant(0.3)
    assert ours(s, 5) == [0.3] * 5
    assert repr(s) == "constant(lr=0.3)"


@pytest.mark.parametrize("step_size,gamma", [(1, 0.9), (7, 0.1), (30, 0.5)])
def test_step_matches_torch(step_size, gamma):
    ref = torch_lrs(lambda o: lrs.StepLR(o, step_size, gamma), 0.2, 300)
    assert_equal_lists(ours(S.step(0.2, step_size, gamma), 300), ref)


@pytest.mark.parametrize("gamma", [0.99, 0.9, 1.01])
def test_exponential_matches_torch(gamma):
    ref = torch_lrs(lambda o: lrs.ExponentialLR(o, gamma), 0.05, 400)
    assert_equal_lists(ours(S.exponential(0.05, gamma), 400), ref)


@pytest.mark.parametrize("T_max,eta_min", [(1, 0.0), (7, 0.0), (50, 0.001), (100, 0.0)])
def test_cosine_matches_torch_within_and_beyond_T_max(T_max, eta_min):
    n = max(5 * T_max + 3, 300)  # several half periods past T_max
    ref = torch_lrs(lambda o: lrs.CosineAnnealingLR(o, T_max, eta_min), 0.1, n)
    got = ours(S.cosine(0.1, T_max, eta_min), n)
    assert_equal_lists(got, ref)  # bit for bit: same recursion as torch
    # and the closed form, which it approximates
    closed = [eta_min + (0.1 - eta_min) * (1 + math.cos(math.pi * t / T_max)) / 2 for t in range(n)]
    assert_equal_lists(got, closed, abs_=1e-12)


@pytest.mark.parametrize(
    "warmup,a,b", [(5, 1 / 3, 1.0), (40, 0.1, 1.0), (30, 1.0, 0.2), (20, 0.5, 0.0)]
)
def test_linear_warmup_matches_torch_linear_lr(warmup, a, b):
    ref = torch_lrs(
        lambda o: lrs.LinearLR(o, start_factor=a, end_factor=b, total_iters=warmup), 0.3, 200
    )
    assert_equal_lists(ours(S.linear_warmup(0.3, warmup, a, b), 200), ref)


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"pct_start": 0.25, "anneal_strategy": "linear"},
        {"three_phase": True},
        {"three_phase": True, "anneal_strategy": "linear", "div_factor": 10.0},
        {"pct_start": 0.5, "final_div_factor": 100.0},
    ],
)
@pytest.mark.parametrize("total", [100, 333])
def test_one_cycle_matches_torch(kw, total):
    ref = torch_lrs(lambda o: lrs.OneCycleLR(o, max_lr=0.8, total_steps=total, **kw), 0.8, total)
    got = ours(S.one_cycle(0.8, total, **kw), total)
    assert_equal_lists(got, ref)
    # past the end it holds the final minimum instead of raising
    assert S.one_cycle(0.8, total, **kw)(total + 10) == pytest.approx(
        0.8 / kw.get("div_factor", 25.0) / kw.get("final_div_factor", 1e4)
    )


def test_one_cycle_with_adam_same_lr():
    ref = torch_lrs(
        lambda o: lrs.OneCycleLR(o, max_lr=0.01, total_steps=250), 0.01, 250, optimizer="adam"
    )
    assert_equal_lists(ours(S.one_cycle(0.01, 250), 250), ref)


def test_recursive_cache_random_access():
    s = S.cosine(0.1, 37, 0.01)
    forward = ours(s, 1200)
    # out of order, backwards, and jumps: same values as a fresh forward pass
    for t in [1199, 5, 600, 3, 1000, 0, 256, 255, 257, 1199]:
        assert s(t) == forward[t]
    fresh = S.cosine(0.1, 37, 0.01)
    assert fresh(900) == forward[900]


# optax references: computed by optax in float64 when jax is installed, otherwise by an
# equivalent PyTorch SequentialLR composition


def _optax_values(make, n):
    jax = pytest.importorskip("jax")
    optax = pytest.importorskip("optax")
    import numpy as np  # noqa: PLC0415

    prev = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        f = make(optax)
        return [float(np.asarray(f(np.int64(t)), dtype=np.float64)) for t in range(n)]
    finally:
        jax.config.update("jax_enable_x64", prev)


@pytest.mark.parametrize(
    "init,peak,warm,decay,end",
    [
        (0.0, 0.1, 20, 200, 0.0),
        (0.01, 0.5, 1, 50, 0.05),
        (0.02, 0.2, 0, 100, 0.001),
        (0.2, 0.1, 30, 31, 0.0),
    ],
)
def test_warmup_cosine_matches_optax(init, peak, warm, decay, end):
    n = decay + 40
    ref = _optax_values(
        lambda ox: ox.warmup_cosine_decay_schedule(init, peak, warm, decay, end_value=end), n
    )
    assert_equal_lists(
        ours(S.warmup_cosine(init, peak, warm, decay, end), n), ref, rel=1e-13, abs_=1e-15
    )


def test_join_matches_optax():
    n = 300
    ref = _optax_values(
        lambda ox: ox.join_schedules(
            [
                ox.linear_schedule(0.0, 0.3, 25),
                ox.constant_schedule(0.3),
                ox.cosine_decay_schedule(0.3, 150, alpha=0.1),
            ],
            [25, 60],
        ),
        n,
    )
    ramp = S.warmup_cosine(0.0, 0.3, 25, 10**9)  # a pure linear ramp for 25 steps
    got = S.join([ramp, 0.3, S.warmup_cosine(0.3, 0.3, 0, 150, 0.03)], [25, 60])
    assert_equal_lists(ours(got, n), ref, rel=1e-13, abs_=1e-15)


def test_join_matches_torch_sequential_lr():
    # warmup (LinearLR) then cosine: each later schedule counts from its boundary
    n, W = 260, 20
    ref = torch_lrs(
        lambda o: lrs.SequentialLR(
            o,
            [lrs.LinearLR(o, start_factor=0.1, total_iters=W), lrs.CosineAnnealingLR(o, T_max=200)],
            milestones=[W],
        ),
        0.1,
        n,
    )
    got = S.join([S.linear_warmup(0.1, W, 0.1), S.cosine(0.1, 200)], [W])
    assert_equal_lists(ours(got, n), ref, rel=1e-12)


def test_join_counts_from_boundary():
    s = S.join([S.constant(1.0), S.exponential(1.0, 0.5), S.constant(0.01)], [3, 5])
    assert ours(s, 7) == [1.0, 1.0, 1.0, 1.0, 0.5, 0.01, 0.01]
    assert repr(s).startswith("join([constant(lr=1), exponential(lr=1, gamma=0.5)")


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda: S.constant(0), "lr must be > 0, got 0"),
        (lambda: S.constant("0.1"), "lr must be a finite number"),
        (lambda: S.step(0.1, 0), "step_size must be >= 1, got 0"),
        (lambda: S.step(0.1, 2.5), "step_size must be an integer"),
        (lambda: S.exponential(0.1, -0.5), "gamma must be > 0"),
        (lambda: S.cosine(0.1, 0), "T_max must be >= 1"),
        (lambda: S.cosine(0.1, 10, eta_min=-1), "eta_min must be >= 0"),
        (lambda: S.linear_warmup(0.1, 5, start_factor=0), "start_factor must be > 0"),
        (lambda: S.linear_warmup(0.1, 5, end_factor=1.5), "end_factor must be <= 1"),
        (lambda: S.warmup_cosine(0.0, 0.1, 100, 100), "decay_steps must be > warmup_steps"),
        (lambda: S.warmup_cosine(0.0, float("nan"), 1, 100), "peak_value must be a finite"),
        (lambda: S.one_cycle(0.1, 100, anneal_strategy="cosine"), "did you mean 'cos'"),
        (lambda: S.one_cycle(0.1, 2), "phase"),
        (lambda: S.one_cycle(0.1, 100, pct_start=1.5), "pct_start must be <= 1"),
        (lambda: S.join([S.constant(1.0)], [3]), "one entry fewer"),
        (lambda: S.join([S.constant(1.0), S.constant(2.0), 0.5], [5, 3]), "non-decreasing"),
    ],
)
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("bad", [-1, 2.5, "3", None])
def test_bad_step(bad):
    with pytest.raises(ValueError, match="step must be a non-negative integer"):
        S.cosine(0.1, 10)(bad)


def test_numpy_integer_step_and_values():
    np = pytest.importorskip("numpy")
    s = S.exponential(1.0, 0.5)
    assert s(np.int64(3)) == 0.125
    assert s.values(3) == [1.0, 0.5, 0.25]


def test_as_schedule():
    assert S.as_schedule(0.1)(7) == 0.1
    s = S.cosine(0.1, 10)
    assert S.as_schedule(s) is s
    f = S.as_schedule(lambda t: 1.0 / (t + 1))
    assert f(1) == 0.5


# -- peaks -----------------------------------------------------------------------------------
PEAKS = [
    (lambda: S.constant(0.1), 0.1),
    (lambda: S.step(0.1, 10), 0.1),
    (lambda: S.exponential(0.1, 0.9), 0.1),
    (lambda: S.cosine(0.1, T_max=50), 0.1),
    (lambda: S.cosine(0.1, T_max=50, eta_min=0.3), 0.3),
    (lambda: S.linear_warmup(0.1, 10), 0.1),
    (lambda: S.linear_warmup(0.1, 10, start_factor=1.0, end_factor=0.5), 0.1),
    (lambda: S.warmup_cosine(0.0, 0.2, 10, 100), 0.2),
    (lambda: S.one_cycle(0.1, 100), 0.1),
    (lambda: S.one_cycle(0.1, 100, div_factor=0.5, three_phase=True), 0.2),
    (lambda: S.join([S.linear_warmup(0.1, 10), 0.05], [10]), S.linear_warmup(0.1, 10)(9)),
]


@pytest.mark.parametrize(("make", "peak"), PEAKS)
def test_peak_is_the_largest_rate(make, peak):
    s = make()
    assert s.peak == pytest.approx(peak, rel=1e-12)
    assert max(s.values(3000)) == pytest.approx(peak, rel=1e-9)  # brute force
    assert S.schedule_peak(s) == s.peak


def test_schedule_peak_of_anything():
    assert S.schedule_peak(0.3) == 0.3
    assert S.schedule_peak(lambda t: 0.1 / (1 + t)) == 0.1
    assert S.schedule_peak(lambda t: 1 / 0) is None
    assert S.schedule_peak(lambda t: "fast") is None
    assert S.step(0.1, 10, gamma=2.0).peak == float("inf")
    assert S.schedule_peak(S.exponential(0.1, 1.5)) is None


# -- per-run arguments ------------------------------------------------------------------
PER_RUN = [
    ("constant", S.constant, {"lr": [0.1, 0.02, 3e-4]}),
    ("step", S.step, {"lr": [0.1, 0.02, 0.5], "step_size": [3, 5, 7], "gamma": 0.5}),
    ("exponential", S.exponential, {"lr": 0.1, "gamma": [0.9, 0.99, 0.5]}),
    ("cosine", S.cosine, {"lr": [0.1, 0.02, 1.0], "T_max": 17, "eta_min": [0.0, 0.001, 0.1]}),
    ("linear_warmup", S.linear_warmup, {"lr": [0.1, 0.3, 1.0], "warmup_steps": [2, 9, 20]}),
    (
        "warmup_cosine",
        S.warmup_cosine,
        {"init_value": 0.0, "peak_value": [0.1, 0.2, 0.3], "warmup_steps": 5, "decay_steps": 40},
    ),
    ("one_cycle", S.one_cycle, {"max_lr": [0.1, 1.0, 0.3], "total_steps": [30, 50, 70]}),
]


@pytest.mark.parametrize(("name", "make", "kw"), PER_RUN, ids=[p[0] for p in PER_RUN])
def test_per_run_arguments_give_each_row_its_scalar_schedule(name, make, kw):
    import numpy as np  # noqa: PLC0415

    kw = {k: np.array(v) if isinstance(v, list) else v for k, v in kw.items()}
    sched = make(**kw)
    assert sched.n_runs == 3 and f"{name}(" in repr(sched)
    scalar = [
        make(**{k: v[i] if isinstance(v, np.ndarray) else v for k, v in kw.items()})
        for i in range(3)
    ]
    got = np.stack(sched.values(120))
    want = np.array([[s(t) for s in scalar] for t in range(120)])
    np.testing.assert_array_equal(got, want)  # bit for bit, row by row
    assert got.dtype == np.float64 and got.shape == (120, 3)
    assert sched(57).tolist() == [s(57) for s in scalar]  # random access too
    assert sched.peak == max(s.peak for s in scalar)


def test_per_run_arguments_are_checked():
    import numpy as np  # noqa: PLC0415

    with pytest.raises(ValueError, match="one length, got lr: 2, eta_min: 3"):
        S.cosine(np.array([0.1, 0.2]), T_max=10, eta_min=np.zeros(3))
    with pytest.raises(ValueError, match=r"cosine: run 1 \(lr\[1\]=-1.0\): lr must be > 0"):
        S.cosine(np.array([0.1, -1.0]), T_max=10)
    with pytest.raises(ValueError, match="1-D array of numbers"):
        S.exponential(np.zeros((2, 2)) + 0.1, gamma=0.9)
    assert not hasattr(S.cosine(0.1, T_max=10), "n_runs")  # numbers: the scalar schedule


def test_an_optimizer_with_a_per_run_schedule_races_each_row_as_its_own():
    import numpy as np  # noqa: PLC0415

    lrs_ = np.array([1e-3, 3e-3, 1e-2])
    opt = gd.optim.adam(S.cosine(lrs_, T_max=20))
    assert opt.n_runs == 3
    h = gd.run("rosenbrock", {"a": opt}, steps=30, device="cpu")
    assert h.labels == ["a[0]", "a[1]", "a[2]"]
    for i, lr in enumerate(lrs_):
        ref = gd.run(
            "rosenbrock", {"a": gd.optim.adam(S.cosine(lr, T_max=20))}, steps=30, device="cpu"
        )
        np.testing.assert_array_equal(h.params[:, i], ref.params[:, 0])
        np.testing.assert_array_equal(h.lr[:, i], ref.lr[:, 0])


def test_join_of_per_run_schedules():
    import numpy as np  # noqa: PLC0415

    warm = S.linear_warmup(np.array([0.1, 0.2]), 5)
    sched = S.join([warm, S.cosine(np.array([0.1, 0.2]), T_max=20)], boundaries=[5])
    assert sched(7).tolist() == [S.cosine(0.1, 20)(2), S.cosine(0.2, 20)(2)]
    assert sched.peak == 0.2


def test_every_schedule_can_be_copied_and_pickled_with_its_values() -> None:
    import copy
    import pickle

    made = [
        gd.schedules.step(0.1, step_size=7, gamma=0.5),
        gd.schedules.exponential(0.1, gamma=0.97),
        gd.schedules.cosine(0.1, T_max=50),
        gd.schedules.linear_warmup(0.1, 10),
        gd.schedules.warmup_cosine(0.0, 0.1, 10, 60),
        gd.schedules.one_cycle(0.1, 80),
    ]
    for s in made:
        want = [s(t) for t in range(300)]  # the copy carries the values computed so far
        for twin in (copy.deepcopy(s), pickle.loads(pickle.dumps(s))):
            assert [twin(t) for t in range(300)] == want, s
            assert [twin(t) for t in range(299, -1, -1)] == want[::-1], s


def test_a_model_playground_takes_a_schedule() -> None:
    from sklearn.datasets import make_moons

    X, y = make_moons(60, noise=0.2, random_state=0)
    w = gd.Playground(
        gd.models.mlp(X, y, hidden=(4,)),
        {"adam": gd.optim.adam(gd.schedules.cosine(0.1, T_max=50))},
        device="cpu",
        pilot_steps=20,
    )
    try:
        w.step(3)
        assert w.run.t == 3
    finally:
        w.close()
