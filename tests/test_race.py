"""The compiled small-race path (engine/_race.py) against the step-by-step path, bit for bit.

Every optimizer family and every traced test function, in float64 and float32, through
divergence, convergence, pieces and an interrupted commit. The step-by-step path is itself
checked against torch.optim (test_optim_everywhere.py, test_optim_reference.py); here the reference
is that path with the compiled one turned off.
"""

from __future__ import annotations

import numpy as np
import pytest

import gdwidget as gd
import gdwidget.optim as go
from gdwidget.engine import Run, _encode, _race, stepping
from gdwidget.objectives import _trace

pytest.importorskip("numba")


@pytest.fixture(autouse=True, scope="module")
def loaded():
    """The compiled race loads in the background; these tests need it loaded."""
    assert _race.load(np.float64) and _race.load(np.float32)


FAMILIES = {
    "gd": lambda: go.gd(1e-3),
    "momentum": lambda: go.sgd(1e-3, momentum=0.9, dampening=0.1, weight_decay=0.01),
    "nesterov": lambda: go.sgd(1e-3, momentum=0.9, nesterov=True),
    "adagrad": lambda: go.adagrad(0.1, lr_decay=0.01, weight_decay=0.01),
    "rmsprop": lambda: go.rmsprop(1e-2, momentum=0.5, weight_decay=0.01),
    "rmsprop-centered": lambda: go.rmsprop(1e-2, centered=True),
    "adam": lambda: go.adam(2e-2, weight_decay=0.01),
    "amsgrad": lambda: go.adam(2e-2, amsgrad=True),
    "adamw": lambda: go.adamw(2e-2),
    "lion": lambda: go.lion(1e-2, weight_decay=0.1),
}
TRACED = [n for n in gd.functions.names() if _encode.objective_program(gd.functions.get(n))]


def race() -> dict:
    return {name: make() for name, make in FAMILIES.items()}


def compare(monkeypatch, make_run, steps, calls=1) -> tuple[Run, Run]:
    """The same run stepped the compiled way and the step-by-step way; asserts equality."""
    taken = []
    original = _race.Race.advance

    def counting(self, r, rec, n):
        ok = original(self, r, rec, n)
        taken.append(ok)
        return ok

    monkeypatch.setattr(_race.Race, "advance", counting)
    fast = make_run()
    fast_chunks = [fast.advance(steps) for _ in range(calls)]
    assert any(taken), "the compiled path was not taken"
    monkeypatch.setattr(_race.Race, "plan", classmethod(lambda cls, r: None))
    slow = make_run()
    slow_chunks = [slow.advance(steps) for _ in range(calls)]
    for a, b in zip(fast_chunks, slow_chunks, strict=True):
        for field in ("steps", "loss", "params", "grad_norm", "lr"):
            np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)
    assert fast.t == slow.t
    assert fast.status == slow.status and fast.notes == slow.notes
    np.testing.assert_array_equal(fast.stop_step, slow.stop_step)
    np.testing.assert_array_equal(fast.blowup_step, slow.blowup_step)
    for name in ("params", "grad", "loss", "_gnorm"):
        np.testing.assert_array_equal(getattr(fast, name), getattr(slow, name), err_msg=name)
    for label in fast.states:
        a, b = fast.states[label], slow.states[label]
        assert a.keys() == b.keys()
        for key in a:
            np.testing.assert_array_equal(a[key], b[key], err_msg=f"{label} {key}")
    np.testing.assert_array_equal(fast.before_step[1], slow.before_step[1])
    assert fast.before_step[0] == slow.before_step[0]
    return fast, slow


def test_some_functions_are_traced_and_the_others_are_not():
    assert {"rosenbrock", "himmelblau", "booth", "saddle"} <= set(TRACED)
    # cos, exp, x**3 and a matrix product may round otherwise in another library: not traced
    for name in ("rastrigin", "ackley", "monkey_saddle", "quadratic"):
        assert _encode.objective_program(gd.functions.get(name)) is None


def compiled_objective(traced, P):
    """The traced program run by the race's kernel: one step of a race with no optimizer,
    which evaluates the objective at every row (its loss and gradient are what it keeps)."""
    from gdwidget.engine import _kernels

    enc = _encode.Encoder()
    out = _encode.encode_objective(enc, traced)
    ins, regs = enc.finish(P.dtype)
    out = np.array([enc.place(r) for r in out], dtype=np.int64)
    R, N = P.shape
    dt = P.dtype.type
    loss, grad = np.zeros(R, dtype=P.dtype), np.zeros_like(P)
    status, stop, blowup = (np.full(R, v, dtype=np.int32) for v in (0, -1, -1))
    _kernels.race(
        ins, np.zeros((0, 6), np.int64), np.zeros((0, 2), np.int64),
        np.array([0, len(ins)]), out, regs, P.copy(), grad, np.zeros((1, 1, 1), P.dtype),
        np.zeros((1, 1), P.dtype), np.empty_like(P), loss, status, stop, blowup,
        np.full(R, np.inf, P.dtype), dt(0), dt(0), False, False, 0, np.empty((1, R), P.dtype),
        np.empty((1, R), P.dtype), np.empty((0, R, N), P.dtype), 0, 1,
    )  # fmt: skip
    return loss, grad


@pytest.mark.parametrize("name", TRACED)
def test_a_traced_function_is_the_function_bit_for_bit(name):
    f = gd.functions.get(name)
    for dtype in (np.float64, np.float32):
        traced = _encode.objective_program(f, dtype)
        P = _trace.probe(f.n_params, f.bounds, dtype)
        with np.errstate(all="ignore"):
            ref_loss, ref_grad = f.value_and_grad(P)
        for loss, grad in (compiled_objective(traced, P), _trace.evaluate(traced, P)):
            assert loss.tobytes() == ref_loss.tobytes()
            assert grad.tobytes() == ref_grad.tobytes()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", TRACED)
def test_every_family_on_every_traced_function(monkeypatch, name, dtype):
    f = gd.functions.get(name)
    starts = np.array(f.default_start)[None] + np.array([[0.0, 0.0], [0.3, -0.2]])

    compare(monkeypatch, lambda: Run(f, race(), start=starts, device="cpu", dtype=dtype), 250)


def test_divergence_convergence_and_blowup_match(monkeypatch):
    f = gd.functions.rosenbrock()
    opts = {"boom": go.sgd(0.1), "settle": go.sgd(1e-3), **race()}
    fast, _ = compare(
        monkeypatch,
        lambda: Run(f, opts, start=(-1.5, 2.0), device="cpu", grad_tol=1e-3, loss_tol=1e-12),
        3000,
    )
    assert fast.status[0] == "diverged"
    assert fast.blowup_step[0] > 0


def test_every_run_stopping_trims_the_steps_alike(monkeypatch):
    f = gd.functions.booth()
    opts = {k: v for k, v in race().items() if k != "adagrad"}  # too slow to converge here
    fast, _ = compare(
        monkeypatch,
        lambda: Run(f, opts, device="cpu", grad_tol=1e-2, loss_tol=1e-10),
        20000,
        calls=2,
    )
    assert fast.done and fast.t < 20000


def test_more_steps_than_a_piece_and_several_calls(monkeypatch):
    f = gd.functions.himmelblau()
    n = _race.PIECE * 2 + 37
    compare(monkeypatch, lambda: Run(f, race(), device="cpu"), n, calls=3)


def test_adams_coefficients_over_many_steps_are_pythons(monkeypatch):
    f = gd.functions.rosenbrock()
    opts = {"a": go.adam(1e-4, betas=(0.8, 0.9999)), "w": go.adamw(1e-4, betas=(0.95, 0.99))}
    compare(monkeypatch, lambda: Run(f, opts, device="cpu"), 20000)


def test_an_interrupted_commit_leaves_the_run_at_its_last_step(monkeypatch):
    f = gd.functions.rosenbrock()
    ref = Run(f, race(), device="cpu")
    ref.advance(500)
    run = Run(f, race(), device="cpu")
    run.advance(100)

    def interrupted(self, k, row):
        raise KeyboardInterrupt

    monkeypatch.setattr(stepping._Rows, "put_lr", interrupted)
    with pytest.raises(KeyboardInterrupt) as info:
        run.advance(400)
    assert info.value.gdwidget_chunk.steps.size == 0 and run.t == 100
    monkeypatch.undo()
    run.advance(400)
    np.testing.assert_array_equal(run.params, ref.params)
    for label in run.states:
        for key, value in run.states[label].items():
            np.testing.assert_array_equal(value, ref.states[label][key])


def test_what_the_path_does_not_take_steps_as_before():
    f = gd.functions.rosenbrock()
    clip = gd.transforms.clip_by_global_norm(1.0)
    cases = [
        Run(gd.functions.rastrigin(), race(), device="cpu"),  # not traced
        Run(f, {"s": go.sophia(1e-2)}, device="cpu"),  # a Hessian estimate
        Run(f, {"a": go.adam(np.array([1e-3, 1e-2]))}, device="cpu"),  # per-run rates
        Run(f, {"a": go.adam(gd.schedules.cosine(1e-3, 100))}, device="cpu"),  # a schedule
        Run(f, {"c": gd.chain(clip, go.adam(1e-2))}, device="cpu"),  # a transform chain
    ]
    for run in cases:
        run.advance(1)
        assert _race.Race.plan(run) is None


def test_zero_and_negative_zero_are_two_literals():
    enc = _encode.Encoder()
    assert enc.reg(0.0, 0) != enc.reg(-0.0, 0)
    assert enc.reg(0.0, 0) == enc.reg(0, 0)
    _, regs = enc.finish(np.float64)
    assert sorted(np.signbit(regs).tolist()) == [False, True]


def test_settings_changed_between_calls_are_followed(monkeypatch):
    """Hyperparameters set in place (the Playground's sliders) between advance calls."""
    from gdwidget.live.hypers import set_hyper

    changes = [
        ("adam", "betas", (0.8, 0.99)),
        ("adam", "amsgrad", True),
        ("momentum", "momentum", 0.5),
        ("lion", "weight_decay", 0.0),
        ("rmsprop", "eps", 1e-3),
    ]

    class Stepped(Run):
        calls = 0

        def advance(self, n):
            if Stepped.calls:
                set_hyper(self, *changes[(Stepped.calls - 1) % len(changes)])
            Stepped.calls += 1
            return super().advance(n)

    def make():
        Stepped.calls = 0
        return Stepped(gd.functions.himmelblau(), race(), device="cpu")

    compare(monkeypatch, make, 40, calls=len(changes) + 1)


def test_a_race_whose_coefficients_never_change(monkeypatch):
    f = gd.functions.booth()
    opts = {"gd": go.gd(1e-2), "sgd": go.sgd(1e-2, momentum=0.5), "rms": go.rmsprop(1e-2)}
    compare(monkeypatch, lambda: Run(f, opts, device="cpu"), 100)


def test_coefficients_that_branch_on_the_step_step_the_ordinary_way(monkeypatch):
    class Doubling(type(go.gd(1e-3))):
        """Plain gradient descent whose fifth step is twice as long."""

        def _coefs(self, lr, state):
            return {"lr": lr * 2 if state["step"] == 4 else lr}

    def make():
        return Run(
            gd.functions.rosenbrock(), {"d": Doubling(1e-3), "a": go.adam(1e-2)}, device="cpu"
        )

    run = make()
    run.advance(3)
    assert _race.Race.plan(run) is None  # its coefficients cannot be traced
    fast, slow = make(), make()
    fast.advance(20)
    monkeypatch.setattr(_race.Race, "plan", classmethod(lambda cls, r: None))
    slow.advance(20)
    np.testing.assert_array_equal(fast.params, slow.params)
