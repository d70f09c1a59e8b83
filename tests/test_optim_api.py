"""Optimizers' interface: bad arguments named in the error, Sophia's Hessian estimators,
describe and repr."""

from __future__ import annotations

import math

import numpy as np
import pytest
from optim_helpers import QUAD_A, Quad, Rosen, quad_grad, rosen_hess_diag, run_ours, starts

import gdwidget.optim as go
from gdwidget.objectives.base import Objective

# -- validation ----------------------------------------------------------------------------
BAD = [  # (factory, kwargs, pattern naming the argument and the value)
    (go.gd, {"lr": -1.0}, r"lr must be > 0, got -1\.0"),
    (go.gd, {"lr": 0.0}, r"lr must be > 0, got 0\.0"),
    (go.gd, {"lr": float("nan")}, r"lr must be a finite number, got nan"),
    (go.sgd, {"lr": "0.1"}, r"lr must be a finite number, got '0\.1'"),
    (go.sgd, {"momentum": -0.1}, r"momentum must be >= 0, got -0\.1"),
    (go.sgd, {"weight_decay": -1.0}, r"weight_decay must be >= 0, got -1\.0"),
    (go.sgd, {"dampening": 1.5}, r"dampening must be <= 1, got 1\.5"),
    (go.sgd, {"nesterov": True}, r"nesterov.*momentum=0\.0"),
    (go.sgd, {"momentum": 0.9, "dampening": 0.1, "nesterov": True}, r"nesterov.*dampening=0\.1"),
    (go.adagrad, {"lr_decay": -0.1}, r"lr_decay must be >= 0, got -0\.1"),
    (go.adagrad, {"initial_accumulator_value": -1.0}, r"initial_accumulator_value.*-1\.0"),
    (go.adagrad, {"eps": -1e-10}, r"eps must be >= 0, got -1e-10"),
    (go.rmsprop, {"alpha": -0.1}, r"alpha must be >= 0, got -0\.1"),
    (go.rmsprop, {"alpha": 1.5}, r"alpha must be <= 1, got 1\.5"),
    (go.rmsprop, {"momentum": -1.0}, r"momentum must be >= 0, got -1\.0"),
    (go.rmsprop, {"eps": -1.0}, r"eps must be >= 0, got -1\.0"),
    (go.adam, {"lr": -1e-3}, r"lr must be > 0, got -0\.001"),
    (go.adam, {"betas": (1.0, 0.999)}, r"betas\[0\] must be in \[0, 1\), got 1\.0"),
    (go.adam, {"betas": (0.9, -0.1)}, r"betas\[1\] must be in \[0, 1\), got -0\.1"),
    (go.adam, {"betas": 0.9}, r"betas must be a pair.*got 0\.9"),
    (go.adam, {"eps": -1e-8}, r"eps must be >= 0, got -1e-08"),
    (go.adam, {"weight_decay": -0.1}, r"weight_decay must be >= 0, got -0\.1"),
    (go.adamw, {"weight_decay": -0.1}, r"weight_decay must be >= 0, got -0\.1"),
    (go.lion, {"betas": (0.9,)}, r"betas must be a pair"),
    (go.lion, {"weight_decay": -1.0}, r"weight_decay must be >= 0, got -1\.0"),
    (go.sophia, {"rho": -1.0}, r"rho must be >= 0, got -1\.0"),
    (go.sophia, {"k": 0}, r"k must be >= 1, got 0"),
    (go.sophia, {"k": 2.5}, r"k must be an integer, got 2\.5"),
    (go.sophia, {"eps": 0.0}, r"eps must be > 0, got 0\.0"),
    (go.sophia, {"estimator": "hutch"}, r"unknown estimator 'hutch'.*hutchinson"),
]


@pytest.mark.parametrize(
    ("factory", "kwargs", "pattern"),
    BAD,
    ids=[f"{f.__name__}-{i}" for i, (f, _, _) in enumerate(BAD)],
)
def test_bad_input_names_the_argument(factory, kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        factory(**kwargs)


# -- Sophia's Hessian estimators -------------------------------------------------------------
class _Recorder(Objective):
    name = "recorder"

    def __init__(self, gnb=False, hvp=False):
        self.calls = []
        self.has_hvp = hvp
        if gnb:
            self.gnb_hessian_diag = self._gnb

    def _gnb(self, params, rng):
        self.calls.append(("gnb", rng))
        return np.full_like(params, 2.0)

    def hvp(self, params, v):
        self.calls.append(("hvp",))
        return 3.0 * v


def test_sophia_auto_picks_gnb_then_hutchinson_else_errors():
    p = np.zeros((3, 2))
    opt = go.sophia(estimator="auto")
    state = opt.init(p)
    obj = _Recorder(gnb=True, hvp=True)
    np.testing.assert_array_equal(opt.estimate_hessian(obj, p, state), 2.0)
    assert obj.calls[0][0] == "gnb" and obj.calls[0][1] is state["rng"]
    obj = _Recorder(hvp=True)
    np.testing.assert_array_equal(opt.estimate_hessian(obj, p, state), 3.0)  # u * 3u = 3
    assert obj.calls == [("hvp",)]
    with pytest.raises(ValueError, match="estimator='auto'"):
        opt.estimate_hessian(_Recorder(), p, state)


def test_sophia_named_estimators_need_their_method():
    p = np.zeros((3, 2))
    for est, obj in (
        ("gnb", _Recorder(hvp=True)),
        ("hutchinson", _Recorder()),
        ("exact", _Recorder()),
    ):
        opt = go.sophia(estimator=est)
        with pytest.raises(ValueError, match=f"estimator='{est}'"):
            opt.estimate_hessian(obj, p, opt.init(p))


def test_sophia_exact_uses_hess_diag_and_default_hvp_loop():
    p = starts("rosenbrock")
    opt = go.sophia(estimator="exact")
    np.testing.assert_array_equal(opt.estimate_hessian(Rosen(), p, opt.init(p)), rosen_hess_diag(p))
    # an objective with only an hvp gets the base class's unit-vector loop
    np.testing.assert_allclose(
        opt.estimate_hessian(Quad(), p, opt.init(p)),
        np.broadcast_to(np.diag(QUAD_A), p.shape),
        rtol=1e-14,
    )


def test_hutchinson_is_seeded_and_unbiased():
    p = np.zeros((4000, 2))
    obj = Quad()
    opt = go.sophia(estimator="hutchinson", seed=5)
    a = opt.estimate_hessian(obj, p, opt.init(p))
    b = opt.estimate_hessian(obj, p, opt.init(p))
    np.testing.assert_array_equal(a, b)
    c = go.sophia(estimator="hutchinson", seed=6)
    assert not np.array_equal(a, c.estimate_hessian(obj, p, c.init(p)))
    # successive draws from one state differ
    state = opt.init(p)
    assert not np.array_equal(
        opt.estimate_hessian(obj, p, state), opt.estimate_hessian(obj, p, state)
    )
    # E[u * A u] = diag(A) for Rademacher u; the error is |A_01| / sqrt(n)
    tol = 5 * abs(QUAD_A[0, 1]) / math.sqrt(p.shape[0])
    np.testing.assert_allclose(a.mean(axis=0), np.diag(QUAD_A), atol=tol)
    assert np.all(np.abs(a - np.diag(QUAD_A)) > 0.1)  # each single draw is off by +-A_01


def test_sophia_hutchinson_runs_reproducible():
    start = starts("rosenbrock")

    def path():
        opt = go.sophia(0.01, k=2, estimator="hutchinson", seed=1)
        return run_ours(opt, "rosenbrock", start, steps=40, objective=Rosen())[0]

    np.testing.assert_array_equal(path(), path())


def test_sophia_hessian_none_keeps_h():
    p = starts("quadratic")
    opt = go.sophia(0.01, estimator="exact")
    state = opt.init(p)
    opt.step(p, quad_grad(p), state, hessian=opt.estimate_hessian(Quad(), p, state))
    h = state["hessian"].copy()
    np.testing.assert_allclose(h, 0.01 * np.broadcast_to(np.diag(QUAD_A), p.shape))
    for _ in range(3):
        opt.step(p, quad_grad(p), state)
    np.testing.assert_array_equal(state["hessian"], h)
    assert opt.hessian_every == 10 and state["step"] == 4
    with pytest.raises(ValueError, match="hessian"):
        opt.step(p, quad_grad(p), state, hessian=np.ones((2, 2)))


def test_describe_and_repr():
    opt = go.adamw(0.01)
    d = opt.describe()
    assert d["optimizer"] == "adamw" and d["lr"] == 0.01 and d["weight_decay"] == 0.01
    assert repr(go.sgd(0.1, momentum=0.9)).startswith("sgd(lr=0.1, momentum=0.9")
    assert go.sophia().hessian_every == 10 and go.adam().hessian_every == 0


def test_describe_can_leave_out_defaults():
    from gdwidget import schedules

    opt = go.sgd(1e-3, momentum=0.9)
    assert opt.describe(changed_only=True) == {"optimizer": "sgd", "lr": 1e-3, "momentum": 0.9}
    assert set(opt.describe()) >= {"momentum", "dampening", "weight_decay", "nesterov"}
    short = go.adam(schedules.cosine(0.1, T_max=10)).describe(changed_only=True)
    assert short == {"optimizer": "adam", "lr": "cosine(lr=0.1, T_max=10, eta_min=0)"}
