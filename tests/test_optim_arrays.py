"""Optimizers across arrays: array_api_strict gives the NumPy numbers, float32 stays float32,
and the numba kernels give the generic path's numbers bit for bit."""

from __future__ import annotations

import sys

import array_api_strict as xps
import numpy as np
import pytest
import torch
from optim_helpers import Quad, _check, quad_grad, rosen_grad, run_ours, run_torch, starts

import gdwidget.optim as go
from gdwidget.objectives.base import Objective
from gdwidget.optim import _fused

# -- array API: the same rule under array_api_strict gives the NumPy numbers ----------------
STRICT_OPTS = {
    "gd": lambda: go.gd(0.01),
    "sgd": lambda: go.sgd(0.01, momentum=0.9, nesterov=True, weight_decay=0.1),
    "sgd_damp": lambda: go.sgd(0.01, momentum=0.9, dampening=0.3),
    "adagrad": lambda: go.adagrad(
        0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.1
    ),
    "rmsprop": lambda: go.rmsprop(0.01, centered=True, momentum=0.9, weight_decay=0.01),
    "adam": lambda: go.adam(0.05, amsgrad=True, weight_decay=0.1),
    "adamw": lambda: go.adamw(0.05, amsgrad=True),
    "lion": lambda: go.lion(0.01, weight_decay=0.1),
    "sophia": lambda: go.sophia(0.05, k=3, estimator="hutchinson", seed=3),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", list(STRICT_OPTS))
def test_array_api_strict_equals_numpy(name, dtype):
    start = starts("quadratic").astype(dtype)
    a, _ = run_ours(STRICT_OPTS[name](), "quadratic", start, steps=30, objective=Quad())
    strict_start = xps.asarray(start)
    b, state = run_ours(
        STRICT_OPTS[name](), "quadratic", np.asarray(start), steps=30, xp=xps, objective=Quad(xps)
    )
    assert b.dtype == np.dtype(dtype)
    for key, value in state.items():
        if hasattr(value, "dtype"):
            assert value.dtype == strict_start.dtype, key
    np.testing.assert_array_equal(a, b)


# -- float32 stays float32 ----------------------------------------------------------------
ALL_F32 = {
    "gd": lambda lr: go.gd(lr),
    "sgd": lambda lr: go.sgd(
        lr, momentum=np.float64(0.9), dampening=np.float64(0.1), weight_decay=np.float64(0.01)
    ),
    "adagrad": lambda lr: go.adagrad(
        lr,
        lr_decay=np.float64(0.01),
        weight_decay=np.float64(0.1),
        initial_accumulator_value=np.float64(0.1),
    ),
    "rmsprop": lambda lr: go.rmsprop(
        lr,
        alpha=np.float64(0.9),
        centered=True,
        momentum=np.float64(0.9),
        weight_decay=np.float64(0.1),
    ),
    "adam": lambda lr: go.adam(
        lr,
        betas=(np.float64(0.9), np.float64(0.99)),
        eps=np.float64(1e-8),
        weight_decay=np.float64(0.1),
        amsgrad=True,
    ),
    "adamw": lambda lr: go.adamw(
        lr, betas=(np.float64(0.9), np.float64(0.99)), weight_decay=np.float64(0.1)
    ),
    "lion": lambda lr: go.lion(
        lr, betas=(np.float64(0.9), np.float64(0.99)), weight_decay=np.float64(0.1)
    ),
    "sophia": lambda lr: go.sophia(
        lr, rho=np.float64(0.05), weight_decay=np.float64(0.1), k=2, estimator="hutchinson"
    ),
}


@pytest.mark.parametrize("lr_kind", ["float", "numpy_scalar", "schedule"])
@pytest.mark.parametrize("name", list(ALL_F32))
def test_float32_stays_float32(name, lr_kind):
    lr = {
        "float": 0.01,
        "numpy_scalar": np.float64(0.01),
        "schedule": lambda s: np.float64(0.01) / (1 + s),
    }[lr_kind]
    opt = ALL_F32[name](lr)
    p = starts("quadratic").astype(np.float32)
    obj = Quad()
    state = opt.init(p)
    for _ in range(5):
        h = None
        if opt.hessian_every and state["step"] % opt.hessian_every == 0:
            h = opt.estimate_hessian(obj, p, state)
            assert h.dtype == np.float32
        opt.step(p, quad_grad(p), state, hessian=h)
    assert p.dtype == np.float32
    for key, value in state.items():
        if isinstance(value, np.ndarray):
            assert value.dtype == np.float32, key
    assert np.all(np.isfinite(p))


def test_float32_close_to_float64():
    p64 = starts("quadratic")
    a, _ = run_ours(go.adam(0.03), "quadratic", p64, steps=50)
    b, _ = run_ours(go.adam(0.03), "quadratic", p64.astype(np.float32), steps=50)
    assert b.dtype == np.float32
    np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-5)


def test_grad_is_not_modified():
    p = starts("rosenbrock")
    for make in (
        lambda: go.sgd(1e-3, momentum=0.9, weight_decay=0.1),
        lambda: go.adam(weight_decay=0.1),
        lambda: go.rmsprop(weight_decay=0.1),
        lambda: go.adagrad(weight_decay=0.1),
        lambda: go.lion(weight_decay=0.1),
    ):
        opt = make()
        state = opt.init(p)
        g = rosen_grad(p)
        g0 = g.copy()
        for _ in range(3):
            opt.step(p, g, state)
            np.testing.assert_array_equal(g, g0)


# -- fused kernels ------------------------------------------------------------------------------
FUSED = {
    "gd": [lambda: go.gd(0.01)],
    "sgd": [
        lambda: go.sgd(0.01, momentum=0.9, nesterov=True, weight_decay=0.1),
        lambda: go.sgd(0.01, momentum=0.9, dampening=0.3),
        lambda: go.sgd(0.01, weight_decay=0.1),
    ],
    "adagrad": [
        lambda: go.adagrad(0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.1)
    ],
    "rmsprop": [
        lambda: go.rmsprop(0.01),
        lambda: go.rmsprop(0.01, centered=True, momentum=0.9, weight_decay=0.01),
    ],
    "adam": [
        lambda: go.adam(0.05),
        lambda: go.adam(0.05, amsgrad=True, weight_decay=0.1),
        lambda: go.adam(0.05, betas=(0.3, 0.99)),
    ],
    "adamw": [lambda: go.adamw(0.05), lambda: go.adamw(0.05, amsgrad=True, weight_decay=0.3)],
    "lion": [lambda: go.lion(0.01), lambda: go.lion(0.01, weight_decay=0.1)],
    "sophia": [
        lambda: go.sophia(0.01, k=3, estimator="hutchinson"),
        lambda: go.sophia(0.01, rho=2.0, weight_decay=0.0, k=1, estimator="hutchinson"),
    ],
}
needs_numba = pytest.mark.skipif(not _fused.available(), reason="numba is not installed")


def _run_big(opt, dtype, steps=15):
    rng = np.random.default_rng(0)
    p = rng.standard_normal((512, 3)).astype(dtype)
    state = opt.init(p)
    obj = _Cubic()
    for _ in range(steps):
        h = None
        if opt.hessian_every and state["step"] % opt.hessian_every == 0:
            h = opt.estimate_hessian(obj, p, state)
        opt.step(p, (np.sin(3 * p) + p).astype(dtype), state, hessian=h)
    return p, state


class _Cubic(Objective):
    """Elementwise, with curvature of both signs: hvp = (1 - 9 sin(3p)) v."""

    has_hvp = True

    def hvp(self, params, v):
        return (1.0 - 9.0 * np.sin(3 * params)) * v


@needs_numba
@pytest.mark.parametrize("threads", ["serial", "parallel"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(FUSED))
def test_fused_equals_generic(name, dtype, threads, monkeypatch):
    """The numba kernel and the generic NumPy path, both made from the one rule, agree
    bit for bit (same operations, same order, same precision)."""
    if threads == "parallel":
        monkeypatch.setattr(_fused, "PARALLEL_MIN_SIZE", 0)
    calls = []
    real = _fused.run
    monkeypatch.setattr(_fused, "run", lambda *a: (calls.append(1), real(*a))[1])
    for make in FUSED[name]:
        monkeypatch.setenv("GDWIDGET_FUSED", "1")
        fused, s1 = _run_big(make(), dtype)
        assert calls, "the fused kernel was not used"
        calls.clear()
        monkeypatch.setenv("GDWIDGET_FUSED", "0")
        generic, s2 = _run_big(make(), dtype)
        assert not calls, "GDWIDGET_FUSED=0 did not disable the fused kernel"
        assert fused.dtype == dtype
        np.testing.assert_array_equal(fused, generic)
        for key in s1:
            if isinstance(s1[key], np.ndarray):
                np.testing.assert_array_equal(s1[key], s2[key])


@needs_numba
def test_fused_only_for_suitable_arrays(monkeypatch):
    a = np.zeros((8, 2))
    assert _fused.usable(a, a)
    assert not _fused.usable(a, a.astype(np.float32))  # mixed dtypes
    assert not _fused.usable(a, np.zeros((8, 4))[:, ::2])  # not contiguous
    assert not _fused.usable(a, np.zeros((2, 8)))  # other shape
    assert not _fused.usable(a.astype(np.int64), a.astype(np.int64))
    assert not _fused.usable(xps.asarray(a), xps.asarray(a))
    monkeypatch.setattr(_fused, "MIN_SIZE", 100)
    assert not _fused.usable(a, a)  # below the size set for the fused path


def test_works_without_numba(monkeypatch):
    """With numba not importable, the generic path runs and still matches torch."""
    monkeypatch.setitem(sys.modules, "numba", None)  # `import numba` raises ImportError
    monkeypatch.setattr(_fused, "_NUMBA", None)
    assert not _fused.available() and not _fused.usable(np.zeros(4), np.zeros(4))
    start = starts("rosenbrock")
    mine, _ = run_ours(go.adam(1e-2, amsgrad=True), "rosenbrock", start, steps=50)
    ref = run_torch(
        lambda ps: torch.optim.Adam(ps, lr=1e-2, amsgrad=True), "rosenbrock", start, steps=50
    )
    _check(mine, ref)
