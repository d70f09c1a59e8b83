"""Test functions: exact derivatives against finite differences, and the same numbers in
float32, under array_api_strict and with CuPy."""

from __future__ import annotations

import numpy as np
import pytest

from gdwidget.objectives import functions as F

CASES = [
    ("quadratic", {}),
    ("quadratic", {"cond": 50.0, "angle": 30.0}),
    ("quadratic", {"cond": 5.0, "angle": -60.0, "n": 4}),
    ("rosenbrock", {}),
    ("rosenbrock", {"a": 0.5, "b": 20.0}),
    ("rosenbrock", {"n": 5}),
    ("himmelblau", {}),
    ("beale", {}),
    ("booth", {}),
    ("matyas", {}),
    ("rastrigin", {}),
    ("rastrigin", {"n": 3}),
    ("ackley", {}),
    ("ackley", {"n": 4}),
    ("saddle", {}),
    ("monkey_saddle", {}),
    ("styblinski_tang", {}),
    ("styblinski_tang", {"n": 5}),
    ("six_hump_camel", {}),
    ("three_hump_camel", {}),
    ("goldstein_price", {}),
]
IDS = [name + "".join(f"-{k}{v}" for k, v in kw.items()) for name, kw in CASES]


def random_points(f, rng, n_runs=16):
    lo = np.array([b[0] for b in f.bounds])
    hi = np.array([b[1] for b in f.bounds])
    return lo + (hi - lo) * rng.random((n_runs, f.n_params))


def fd_grad(f, P):
    """Central differences of the loss, one coordinate at a time (float64)."""
    G = np.empty_like(P)
    for i in range(P.shape[1]):
        h = 1e-6 * np.maximum(1.0, np.abs(P[:, i]))
        E = np.zeros_like(P)
        E[:, i] = h
        G[:, i] = (f.value(P + E) - f.value(P - E)) / (2 * h)
    return G


def fd_hvp(f, P, V):
    """Central differences of the gradient along V."""
    h = 1e-6 * np.maximum(1.0, np.abs(P).max(axis=1, keepdims=True))
    h = h / np.linalg.norm(V, axis=1, keepdims=True)
    _, gp = f.value_and_grad(P + h * V)
    _, gm = f.value_and_grad(P - h * V)
    return (gp - gm) / (2 * h)


def assert_close_scaled(a, b, rtol):
    scale = np.maximum(1.0, np.abs(b).max(axis=1, keepdims=True))
    err = np.abs(a - b) / scale
    assert err.max() < rtol, f"max scaled error {err.max():.3g}\n{a}\n{b}"


# ------------------------------------------------------------------------------ derivatives


@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
def test_gradient_matches_finite_differences(name, kw, rng):
    f = F.get(name, **kw)
    P = random_points(f, rng)
    loss, grad = f.value_and_grad(P)
    assert loss.shape == (16,) and grad.shape == (16, f.n_params)
    np.testing.assert_array_equal(loss, f.value(P))
    np.testing.assert_array_equal(grad, f.grad(P))
    assert_close_scaled(grad, fd_grad(f, P), 1e-6)


@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
def test_hvp_matches_finite_differences(name, kw, rng):
    f = F.get(name, **kw)
    P = random_points(f, rng)
    V = rng.standard_normal(P.shape)
    hv = f.hvp(P, V)
    assert hv.shape == P.shape
    assert_close_scaled(hv, fd_hvp(f, P, V), 1e-6)
    # the Hessian is symmetric: w.Hv = v.Hw
    W = rng.standard_normal(P.shape)
    np.testing.assert_allclose(
        (W * hv).sum(1), (V * f.hvp(P, W)).sum(1), rtol=1e-10, atol=1e-10 * np.abs(hv).max()
    )
    # dense Hessian and its diagonal agree with the HVPs
    H = f.hessian(P)
    np.testing.assert_allclose(
        np.einsum("rij,rj->ri", H, V), hv, rtol=1e-12, atol=1e-12 * np.abs(hv).max()
    )
    np.testing.assert_allclose(f.hess_diag(P), np.einsum("rii->ri", H), rtol=1e-15)


def test_float32_stays_float32(rng):
    for name in F.names():
        f = F.get(name)
        P = random_points(f, rng, 4).astype(np.float32)
        loss, grad = f.value_and_grad(P)
        assert loss.dtype == np.float32 and grad.dtype == np.float32, name
        assert f.hvp(P, P).dtype == np.float32, name


def test_ackley_at_its_kink_is_finite():
    f = F.ackley(n=3)
    P = np.zeros((2, 3))
    loss, grad = f.value_and_grad(P)
    assert np.abs(loss).max() < 1e-14
    np.testing.assert_array_equal(grad, 0.0)
    assert np.isfinite(f.hvp(P, np.ones((2, 3)))).all()


def test_array_api_strict_equals_numpy(rng):
    xps = pytest.importorskip("array_api_strict")
    for name, kw in CASES:
        f = F.get(name, **kw)
        P = random_points(f, rng, 5)
        P[0] = 0.0  # the origin: Ackley's kink, saddles' stationary point
        V = rng.standard_normal(P.shape)
        Ps, Vs = xps.asarray(P), xps.asarray(V)
        loss, grad = f.value_and_grad(Ps)
        hv = f.hvp(Ps, Vs)
        assert isinstance(loss, type(Ps)) and isinstance(hv, type(Ps))
        ref_loss, ref_grad = f.value_and_grad(P)
        np.testing.assert_allclose(np.asarray(loss), ref_loss, rtol=1e-14, atol=1e-14)
        np.testing.assert_allclose(np.asarray(grad), ref_grad, rtol=1e-14, atol=1e-14)
        np.testing.assert_allclose(np.asarray(hv), f.hvp(P, V), rtol=1e-14, atol=1e-13)
        np.testing.assert_allclose(np.asarray(f.value(Ps)), ref_loss, rtol=1e-14, atol=1e-14)
        f32 = f.value_and_grad(xps.asarray(P, dtype=xps.float32))
        assert f32[0].dtype == xps.float32 and f32[1].dtype == xps.float32


@pytest.mark.gpu
def test_cupy_equals_numpy(rng):
    import cupy  # noqa: PLC0415

    for name, kw in CASES:
        f = F.get(name, **kw)
        P = random_points(f, rng, 5)
        V = rng.standard_normal(P.shape)
        loss, grad = f.value_and_grad(cupy.asarray(P))
        hv = f.hvp(cupy.asarray(P), cupy.asarray(V))
        ref_loss, ref_grad = f.value_and_grad(P)
        np.testing.assert_allclose(loss.get(), ref_loss, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(grad.get(), ref_grad, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(hv.get(), f.hvp(P, V), rtol=1e-12, atol=1e-11)
