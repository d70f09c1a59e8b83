"""Test functions: minima against the literature, Rosenbrock and the quadratic against scipy
and their definitions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gdwidget.objectives import functions as F

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
