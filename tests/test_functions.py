"""Test functions: exact derivatives against finite differences, minima against the literature."""

from __future__ import annotations

import math

import numpy as np
import pytest

import gdwidget as gd
from gdwidget.objectives import functions as F
from gdwidget.objectives.base import Objective

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


# ---------------------------------------------------------------------------------- registry


def test_registry_names_and_lazy_module():
    assert gd.functions is F
    names = F.names()
    assert len(names) >= 14
    assert {
        "quadratic",
        "rosenbrock",
        "himmelblau",
        "beale",
        "booth",
        "matyas",
        "rastrigin",
        "ackley",
        "saddle",
        "monkey_saddle",
        "styblinski_tang",
        "six_hump_camel",
        "three_hump_camel",
        "goldstein_price",
    } <= set(names)
    for name in names:
        f = F.get(name)
        assert isinstance(f, Objective)
        assert f.name == name
        assert f.has_hvp
        assert getattr(F, name)().name == name


def test_get_forgives_spelling_and_passes_kwargs():
    assert F.get("Six-hump camel").name == "six_hump_camel"
    assert F.get("rosenbrock", n=5).n_params == 5


def test_get_unknown_name_suggests():
    with pytest.raises(ValueError, match="did you mean 'rosenbrock'"):
        F.get("rosenbrok")
    with pytest.raises(ValueError, match="unknown function"):
        F.get("banana")
    with pytest.raises(ValueError, match="unexpected keyword"):
        F.get("beale", n=3)


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda: F.quadratic(cond=0.5), "cond must be >= 1"),
        (lambda: F.rosenbrock(n=1), "n must be >= 2"),
        (lambda: F.rastrigin(n=0), "n must be >= 1"),
        (lambda: F.rosenbrock(b=-1), "b must be > 0"),
        (lambda: F.ackley(n=2.5), "n must be an integer"),
    ],
)
def test_bad_parameters(make, match):
    with pytest.raises(ValueError, match=match):
        make()


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


# ----------------------------------------------------------------------------------- minima

# (name, kwargs, literature global minima, literature minimum value, value tolerance)
LITERATURE = [
    ("quadratic", {"angle": 20.0}, [(0, 0)], 0.0, 1e-15),
    ("rosenbrock", {}, [(1, 1)], 0.0, 1e-15),
    ("rosenbrock", {"a": 2.0}, [(2, 4)], 0.0, 1e-15),
    ("rosenbrock", {"n": 5}, [(1, 1, 1, 1, 1)], 0.0, 1e-15),
    (
        "himmelblau",
        {},
        [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)],
        0.0,
        1e-15,
    ),
    ("beale", {}, [(3.0, 0.5)], 0.0, 1e-15),
    ("booth", {}, [(1.0, 3.0)], 0.0, 1e-15),
    ("matyas", {}, [(0.0, 0.0)], 0.0, 1e-15),
    ("rastrigin", {}, [(0.0, 0.0)], 0.0, 1e-15),
    ("rastrigin", {"n": 4}, [(0.0,) * 4], 0.0, 1e-15),
    ("ackley", {}, [(0.0, 0.0)], 0.0, 1e-14),
    ("ackley", {"n": 3}, [(0.0,) * 3], 0.0, 1e-14),
    ("styblinski_tang", {}, [(-2.903534,) * 2], -39.16599 * 2, 2e-4 * 2),
    ("styblinski_tang", {"n": 6}, [(-2.903534,) * 6], -39.16599 * 6, 2e-4 * 6),
    ("six_hump_camel", {}, [(0.0898, -0.7126), (-0.0898, 0.7126)], -1.0316, 1e-4),
    ("three_hump_camel", {}, [(0.0, 0.0)], 0.0, 1e-15),
    ("goldstein_price", {}, [(0.0, -1.0)], 3.0, 1e-12),
]

# classic local minima: (name, kwargs, point, value, location tolerance, value tolerance)
LOCAL = [
    ("six_hump_camel", {}, (-1.7036, 0.7961), -0.2155, 1e-4, 1e-4),
    ("six_hump_camel", {}, (1.7036, -0.7961), -0.2155, 1e-4, 1e-4),
    ("six_hump_camel", {}, (1.6071, 0.5687), 2.1043, 1e-4, 1e-4),
    ("six_hump_camel", {}, (-1.6071, -0.5687), 2.1043, 1e-4, 1e-4),
    ("three_hump_camel", {}, (1.7476, -0.8738), 0.2986, 1e-4, 1e-4),
    ("three_hump_camel", {}, (-1.7476, 0.8738), 0.2986, 1e-4, 1e-4),
    ("goldstein_price", {}, (-0.6, -0.4), 30.0, 1e-12, 1e-10),
    ("goldstein_price", {}, (1.8, 0.2), 84.0, 1e-12, 1e-10),
    ("goldstein_price", {}, (1.2, 0.8), 840.0, 1e-12, 1e-9),
    (
        "styblinski_tang",
        {},
        (2.746803, -2.903534),
        -39.16599 + 0.5 * (2.746803**4 - 16 * 2.746803**2 + 5 * 2.746803),
        1e-5,
        1e-3,
    ),
    ("rastrigin", {}, (0.994959, 0.0), 0.994959, 1e-5, 1e-5),
]


def assert_minimum(f, p):
    P = np.asarray([p], dtype=np.float64)
    _, g = f.value_and_grad(P)
    scale = max(1.0, float(np.abs(f.hessian(P)).max()))
    assert np.abs(g).max() < 1e-9 * scale, f"gradient {g} at {p}"
    if f.name == "ackley":  # not twice differentiable at its minimum
        return
    eig = np.linalg.eigvalsh(f.hessian(P)[0])
    assert eig.min() > 0, f"Hessian eigenvalues {eig} at {p}"


@pytest.mark.parametrize(
    "name,kw,points,value,tol", LITERATURE, ids=[f"{c[0]}-{c[1]}" for c in LITERATURE]
)
def test_global_minima_match_literature(name, kw, points, value, tol):
    f = F.get(name, **kw)
    assert len(f.global_minima) == len(points)
    assert f.minima[: len(points)] == f.global_minima
    assert f.min_value == pytest.approx(value, abs=tol)
    for lit in points:  # each literature point is one of ours, to its printed precision
        dist = [max(abs(a - b) for a, b in zip(p, lit, strict=True)) for p in f.global_minima]
        assert min(dist) < 1e-6 + 1e-4 * (name == "six_hump_camel")
    for p in f.global_minima:
        assert f.value(np.asarray([p]))[0] == pytest.approx(value, abs=tol)
        assert_minimum(f, p)
    for p in f.minima[len(f.global_minima) :]:  # local minima are higher, and minima
        assert f.value(np.asarray([p]))[0] > f.min_value
        assert_minimum(f, p)


@pytest.mark.parametrize(
    "name,kw,point,value,xtol,vtol", LOCAL, ids=[f"{c[0]}-{c[2]}" for c in LOCAL]
)
def test_local_minima_match_literature(name, kw, point, value, xtol, vtol):
    f = F.get(name, **kw)
    local = f.minima[len(f.global_minima) :]
    dist = [max(abs(a - b) for a, b in zip(p, point, strict=True)) for p in local]
    i = int(np.argmin(dist))
    assert dist[i] < xtol
    assert f.value(np.asarray([local[i]]))[0] == pytest.approx(value, abs=vtol)


@pytest.mark.parametrize("n", [4, 5, 6, 7])
def test_rosenbrock_nd_local_minimum(n):
    f = F.rosenbrock(n=n)
    assert len(f.minima) == 2
    p = f.minima[1]
    assert p[0] < 0 and f.value(np.asarray([p]))[0] > 0
    assert_minimum(f, p)


def test_styblinski_tang_local_minima_count():
    assert len(F.styblinski_tang(n=3).minima) == 8  # 2^3 corners
    assert len(F.styblinski_tang(n=6).minima) == 7  # global + one-flip neighbours


def test_saddles_have_no_minimum():
    for f in (F.saddle(), F.monkey_saddle()):
        assert f.global_minima == [] and f.minima == [] and f.min_value is None
        np.testing.assert_array_equal(f.grad(np.zeros((1, 2))), 0.0)
    eig = np.linalg.eigvalsh(F.saddle().hessian(np.zeros((1, 2)))[0])
    np.testing.assert_array_equal(eig, [-2.0, 2.0])
    np.testing.assert_array_equal(F.monkey_saddle().hessian(np.zeros((1, 2))), 0.0)


# -------------------------------------------------------------------- references: scipy


@pytest.mark.parametrize("n", [2, 5])
def test_rosenbrock_matches_scipy(n, rng):
    so = pytest.importorskip("scipy.optimize")
    f = F.rosenbrock(n=n)
    P = rng.uniform(-2, 2, size=(10, n))
    V = rng.standard_normal((10, n))
    loss, grad = f.value_and_grad(P)
    hv = f.hvp(P, V)
    for r in range(10):
        assert loss[r] == pytest.approx(so.rosen(P[r]), rel=1e-14)
        np.testing.assert_allclose(grad[r], so.rosen_der(P[r]), rtol=1e-13, atol=1e-12)
        np.testing.assert_allclose(hv[r], so.rosen_hess_prod(P[r], V[r]), rtol=1e-12, atol=1e-11)
        np.testing.assert_allclose(f.hessian(P[r]), so.rosen_hess(P[r]), rtol=1e-13, atol=1e-12)


def test_quadratic_condition_number_and_rotation():
    f = F.quadratic(cond=10.0, angle=30.0)
    H = f.hessian(np.zeros(2))
    w, U = np.linalg.eigh(H)
    np.testing.assert_allclose(w, [1.0, 10.0], rtol=1e-14)
    # the stiff direction is the y axis turned by 30 degrees
    t = math.radians(30.0)
    assert abs(abs(U[:, 1] @ np.array([-math.sin(t), math.cos(t)])) - 1.0) < 1e-14
    w4 = np.linalg.eigvalsh(F.quadratic(cond=8.0, n=4).hessian(np.ones(4)))
    np.testing.assert_allclose(w4, [1.0, 2.0, 4.0, 8.0], rtol=1e-14)


# ------------------------------------------------------------------------ conventions


@pytest.mark.parametrize("name", F.names())
def test_metadata(name):
    f = F.get(name)
    assert len(f.bounds) == f.n_params
    assert len(f.default_start) == f.n_params
    for (lo, hi), s in zip(f.bounds, f.default_start, strict=True):
        assert lo < s < hi
    for p in f.minima:
        assert len(p) == f.n_params
        assert all(isinstance(c, float) for c in p)
    loss = f.value(np.asarray([f.default_start]))
    assert np.isfinite(loss).all()
    if f.min_value is not None:
        assert loss[0] > f.min_value
    assert "n_params=" in repr(f)


def test_log_scale_where_the_range_is_wide():
    for name in ("rosenbrock", "beale", "goldstein_price", "himmelblau"):
        assert F.get(name).log_scale
    for name in ("quadratic", "saddle", "styblinski_tang", "ackley"):
        assert not F.get(name).log_scale


def test_single_point_and_lists():
    f = F.beale()
    loss, grad = f.value_and_grad(np.array([1.0, 2.0]))
    assert loss.shape == () and grad.shape == (2,)
    loss2, grad2 = f.value_and_grad(np.array([[1.0, 2.0]]))
    assert loss == loss2[0] and (grad == grad2[0]).all()
    assert f.value([1.0, 2.0]) == loss
    assert f(np.array([[1, 2]])).dtype == np.float64  # integers become floats
    assert f.hvp(np.array([1.0, 2.0]), np.array([1.0, 0.0])).shape == (2,)


def test_bad_shape_is_a_clear_error():
    with pytest.raises(ValueError, match=r"params must have shape \(n_runs, 2\).*got \(3, 3\)"):
        F.himmelblau().value(np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"v must have"):
        F.himmelblau().hvp(np.zeros((3, 2)), np.zeros((2, 2)))


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
