"""User functions: safe expressions with exact derivatives, and Python callables."""

from __future__ import annotations

import numpy as np
import pytest

import gdwidget as gd
from gdwidget.objectives import functions as F
from gdwidget.objectives.custom import Function


def fd_grad(value, P, h=1e-6):
    G = np.empty_like(P)
    for i in range(P.shape[1]):
        E = np.zeros_like(P)
        E[:, i] = h * np.maximum(1.0, np.abs(P[:, i]))
        G[:, i] = (value(P + E) - value(P - E)) / (2 * E[:, i])
    return G


def fd_hvp(grad, P, V, h=1e-6):
    return (grad(P + h * V) - grad(P - h * V)) / (2 * h)


def assert_close_scaled(a, b, rtol):
    scale = np.maximum(1.0, np.abs(b).max(axis=1, keepdims=True))
    err = np.abs(a - b) / scale
    assert err.max() < rtol, f"max scaled error {err.max():.3g}\n{a}\n{b}"


# expressions covering every operator and function; points where each is smooth
EXPRESSIONS = [
    "x**2 + 3*sin(y)",
    "(1 - x)**2 + 100*(y - x**2)**2",
    "exp(-(x**2 + y**2)/2) * cos(2*x) + log(1 + x**2) - sqrt(4 + y**2)",
    "tan(0.3*x) + tanh(y) * sinh(0.5*x) - cosh(0.2*y) + atan(x*y) + arctan(y)",
    "abs(x - 7.5)*y**3 + x/(2 + y**2) + 2**x + e**(0.1*y) - pi*x",
    "(x**2 + 1)**(0.5*y) + (x**2 + 1)**-2 + (y**2 + 1)**1.5",
    "-x + (-y)**3 / 3 - 1/(x**2 + 1) + y/x**2 * 0.01",
    "+x * -y - -x",
    "x**4 - 2*x**3*y + 5*x**5",
    "sin(x)**2 / (1.5 + cos(y)) + (x*y)**0.5**2",
]


@pytest.mark.parametrize("expr", EXPRESSIONS)
def test_expression_gradient_and_hvp_match_finite_differences(expr, rng):
    f = gd.Function(expr)
    assert f.n_params == 2 and f.exact_grad and f.exact_hvp and f.has_hvp
    P = rng.uniform(0.3, 1.5, size=(12, 2)) * rng.choice([-1.0, 1.0], size=(12, 2))
    if "**(0.5*y)" in expr or "(x*y)**0.5" in expr:
        P = np.abs(P)
    loss, grad = f.value_and_grad(P)
    assert loss.shape == (12,) and grad.shape == (12, 2)
    assert np.isfinite(loss).all()
    np.testing.assert_array_equal(loss, f.value(P))
    assert_close_scaled(grad, fd_grad(f.value, P), 1e-7)
    V = rng.standard_normal(P.shape)
    hv = f.hvp(P, V)
    assert_close_scaled(hv, fd_hvp(f.grad, P, V), 1e-6)


def test_expression_nd(rng):
    f = gd.Function("x0**2 + x1*x2 - sin(x3) + exp(0.1*x0*x3)")
    assert f.n_params == 4
    P = rng.standard_normal((6, 4))
    assert_close_scaled(f.grad(P), fd_grad(f.value, P), 1e-7)
    V = rng.standard_normal(P.shape)
    assert_close_scaled(f.hvp(P, V), fd_hvp(f.grad, P, V), 1e-6)
    g = gd.Function("x0**2", n_params=3)
    assert g.n_params == 3
    np.testing.assert_array_equal(g.grad(np.ones((2, 3))), [[2.0, 0.0, 0.0]] * 2)


def test_expression_partial_and_constant():
    f = gd.Function("x**3")
    assert f.n_params == 2
    loss, grad = f.value_and_grad(np.array([[2.0, 5.0]]))
    assert loss[0] == 8.0 and grad.tolist() == [[12.0, 0.0]]
    assert f.hvp(np.array([[2.0, 5.0]]), np.array([[1.0, 1.0]])).tolist() == [[12.0, 0.0]]
    c = gd.Function("2*pi - e")
    loss, grad = c.value_and_grad(np.zeros((3, 2)))
    np.testing.assert_array_equal(loss, 2 * np.pi - np.e)
    np.testing.assert_array_equal(grad, 0.0)
    np.testing.assert_array_equal(c.hvp(np.zeros((3, 2)), np.ones((3, 2))), 0.0)


@pytest.mark.parametrize(
    "expr,ref",
    [
        ("(1 - x)**2 + 100*(y - x**2)**2", F.rosenbrock()),
        ("(x**2 + y - 11)**2 + (x + y**2 - 7)**2", F.himmelblau()),
        ("(1.5 - x + x*y)**2 + (2.25 - x + x*y**2)**2 + (2.625 - x + x*y**3)**2", F.beale()),
        ("(4 - 2.1*x**2 + x**4/3)*x**2 + x*y + (-4 + 4*y**2)*y**2", F.six_hump_camel()),
        ("20 + x**2 - 10*cos(2*pi*x) + y**2 - 10*cos(2*pi*y)", F.rastrigin()),
        (
            "-20*exp(-0.2*sqrt(0.5*(x**2 + y**2))) - exp(0.5*(cos(2*pi*x) + cos(2*pi*y))) + 20 + e",
            F.ackley(),
        ),
        (
            "(1 + (x + y + 1)**2*(19 - 14*x + 3*x**2 - 14*y + 6*x*y + 3*y**2))"
            "*(30 + (2*x - 3*y)**2*(18 - 32*x + 12*x**2 + 48*y - 36*x*y + 27*y**2))",
            F.goldstein_price(),
        ),
    ],
)
def test_expression_equals_hand_written_function(expr, ref, rng):
    f = gd.Function(expr)
    lo = np.array([b[0] for b in ref.bounds])
    hi = np.array([b[1] for b in ref.bounds])
    P = lo + (hi - lo) * rng.random((20, 2))
    V = rng.standard_normal(P.shape)
    loss, grad = f.value_and_grad(P)
    rloss, rgrad = ref.value_and_grad(P)
    np.testing.assert_allclose(loss, rloss, rtol=1e-12, atol=1e-12)
    assert_close_scaled(grad, rgrad, 1e-12)
    assert_close_scaled(f.hvp(P, V), ref.hvp(P, V), 1e-11)


UNSAFE = [
    ("__import__('os')", "__import__"),
    ("__import__('os').system('echo hi')", "__import__"),
    ("x.__class__", "attribute access 'x.__class__'"),
    ("().__class__.__bases__[0]", "__class__"),
    ("(lambda: 1)()", "lambda"),
    ("foo + x", "name 'foo'"),
    ("open('f')", "function 'open'"),
    ("eval('1')", "function 'eval'"),
    ("x if y else 1", "conditional"),
    ("[x, y]", "list"),
    ("x[0]", "indexing"),
    ("x < y", "comparison"),
    ("x and y", "boolean"),
    ("'abc'", "constant"),
    ("True + x", "constant 'True'"),
    ("1j * x", "constant '1j'"),
    ("x % 2", "Mod"),
    ("x // 2", "FloorDiv"),
    ("x ^ 2", r"write \*\*"),
    ("~x", "Invert"),
    ("sin(x, y)", "exactly one argument"),
    ("sin(x=1)", "exactly one argument"),
    ("sin", "without arguments"),
    ("np.sin(x)", "calling"),
    ("x0 + y", "do not mix"),
    ("(x := 3)", "assignment"),
    ("f'{x}'", "f-string"),
    ("", "empty"),
    ("x +", "not a valid expression"),
    ("x; import os", "not a valid expression"),
    ("9**9**9**9", "not a finite real number"),
    ("log(-1) + x", "not a finite real number"),
    ("sqrt(-1) * x", "not a finite real number"),
    ("1/0 + x", "not a finite real number"),
    ("(-2)**x", "base <= 0"),
    ("x" * 6000, "too long"),
]


@pytest.mark.parametrize("expr,match", UNSAFE, ids=[u[0][:30] for u in UNSAFE])
def test_unsafe_or_invalid_expressions_are_refused(expr, match):
    with pytest.raises(ValueError, match=match):
        gd.Function(expr)


def test_deep_nesting_is_refused_cleanly():
    with pytest.raises(ValueError, match="nested too deeply|not a valid"):
        gd.Function("(" * 2000 + "x" + ")" * 2000)
    with pytest.raises(ValueError, match="nested too deeply|not a valid"):
        gd.Function("-" * 4900 + "x")


def test_expression_arguments():
    with pytest.raises(ValueError, match="grad= is for callables"):
        gd.Function("x**2", grad=lambda p: p)
    with pytest.raises(ValueError, match="n_params=1 is too small"):
        gd.Function("x*y", n_params=1)
    with pytest.raises(ValueError, match="f must be a string expression or a callable"):
        gd.Function(3.0)


# ---------------------------------------------------------------------------- callables


def rosen_np(p):
    return (1 - p[:, 0]) ** 2 + 100 * (p[:, 1] - p[:, 0] ** 2) ** 2


def rosen_grad_np(p):
    x, y = p[:, 0], p[:, 1]
    return np.stack([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)], axis=1)


def test_callable_with_exact_gradient(rng):
    f = gd.Function(rosen_np, grad=rosen_grad_np, name="banana")
    assert f.name == "banana" and f.exact_grad and not f.exact_hvp
    P = rng.uniform(-2, 2, size=(8, 2))
    loss, grad = f.value_and_grad(P)
    ref = F.rosenbrock()
    np.testing.assert_allclose(loss, ref.value(P), rtol=1e-14)
    np.testing.assert_allclose(grad, ref.grad(P), rtol=1e-14)
    V = rng.standard_normal(P.shape)
    assert_close_scaled(f.hvp(P, V), ref.hvp(P, V), 1e-7)  # differences of the exact grad


def test_callable_central_differences_float64(rng):
    f = gd.Function(rosen_np)
    assert f.name == "rosen_np" and not f.exact_grad
    ref = F.rosenbrock()
    P = rng.uniform(-2, 2, size=(8, 2))
    assert_close_scaled(f.grad(P), ref.grad(P), 1e-8)
    V = rng.standard_normal(P.shape)
    assert_close_scaled(f.hvp(P, V), ref.hvp(P, V), 1e-4)
    # hess_diag from HVPs
    assert_close_scaled(f.hess_diag(P), ref.hess_diag(P), 1e-4)


def test_callable_central_differences_float32(rng):
    f = gd.Function(lambda p: p[:, 0] ** 2 + 3 * np.sin(p[:, 1]))
    ref = gd.Function("x**2 + 3*sin(y)")
    P = rng.uniform(-2, 2, size=(8, 2)).astype(np.float32)
    g = f.grad(P)
    assert g.dtype == np.float32
    assert_close_scaled(g.astype(np.float64), ref.grad(P.astype(np.float64)), 2e-3)


def test_callable_with_hvp(rng):
    hv = lambda p, v: np.stack([2 * v[:, 0], -3 * np.sin(p[:, 1]) * v[:, 1]], axis=1)  # noqa: E731
    f = gd.Function(
        lambda p: p[:, 0] ** 2 + 3 * np.sin(p[:, 1]),
        grad=lambda p: np.stack([2 * p[:, 0], 3 * np.cos(p[:, 1])], axis=1),
        hvp=hv,
    )
    assert f.exact_hvp
    P, V = rng.standard_normal((5, 2)), rng.standard_normal((5, 2))
    np.testing.assert_array_equal(f.hvp(P, V), hv(P, V))


def test_callable_output_shape_errors():
    P = np.zeros((4, 2))
    with pytest.raises(ValueError, match=r"f must return shape \(4,\).*got \(4, 1\).*trailing"):
        gd.Function(lambda p: p[:, :1] ** 2).value(P)
    with pytest.raises(ValueError, match=r"got \(4, 2\) \(sum over axis 1\?\)"):
        gd.Function(lambda p: p**2).value(P)
    with pytest.raises(ValueError, match="vectorized"):
        gd.Function(lambda p: 1.0).value(P)
    with pytest.raises(ValueError, match="vectorized"):
        gd.Function(lambda p: np.float64(1.0)).value(P)
    with pytest.raises(ValueError, match=r"grad must return shape \(4, 2\)"):
        gd.Function(lambda p: p[:, 0], grad=lambda p: p[:, 0]).value_and_grad(P)
    with pytest.raises(ValueError, match="got a list"):
        gd.Function(lambda p: [1.0] * 4).value(P)
    with pytest.raises(ValueError, match="grad must be a callable"):
        gd.Function(rosen_np, grad=3)


def test_defaults_and_metadata():
    f = gd.Function("x**2 + 3*sin(y)")
    assert f.name == "x**2 + 3*sin(y)" and f.expression == "x**2 + 3*sin(y)"
    assert f.bounds == ((-3.0, 3.0), (-3.0, 3.0))
    assert f.default_start == (-1.8, 1.8)
    assert f.minima == [] and f.min_value is None and not f.log_scale
    assert "x**2 + 3*sin(y)" in repr(f)
    g = gd.Function("(x - 4)**2 + (y + 1)**2 + 1", minima=[(4, -1)])
    assert g.min_value == 1.0 and g.global_minima == [(4.0, -1.0)]
    lo, hi = g.bounds[0]
    assert lo <= 4 * 1.2 <= hi  # widened to show the minimum
    h = gd.Function(
        "(x**2 - 1)**2 + y**2 + 0.3*x",
        minima=[(0.96, 0), (-1.04, 0)],
        bounds=(-2, 2),
        start=(0.1, 1),
    )
    assert h.bounds == ((-2.0, 2.0), (-2.0, 2.0)) and h.default_start == (0.1, 1.0)
    assert h.minima[0] == (-1.04, 0.0) and h.global_minima == [(-1.04, 0.0)]
    assert gd.Function("(1-x)**2 + 100*(y-x**2)**2").log_scale
    assert not gd.Function("(1-x)**2 + 100*(y-x**2)**2", log_scale=False).log_scale
    assert gd.Function(lambda p: p[:, 0] ** 2).name == "function"


@pytest.mark.parametrize(
    "kw,match",
    [
        ({"bounds": [(-1, 1)]}, "one .low, high. pair per parameter"),
        ({"bounds": [(1, -1), (0, 1)]}, r"bounds\[0\] must have low < high"),
        ({"bounds": [(0, float("inf")), (0, 1)]}, r"bounds\[0\]\[1\] must be a finite number"),
        ({"start": (1, 2, 3)}, "start must be a point of 2"),
        ({"start": "ab"}, "start must be a point"),
        ({"minima": [(0, 0), (1,)]}, r"minima\[1\] must be a point of 2"),
        ({"n_params": 0}, "n_params must be >= 1"),
        ({"log_scale": "yes"}, "log_scale must be"),
    ],
)
def test_bad_metadata(kw, match):
    with pytest.raises(ValueError, match=match):
        gd.Function("x**2 + y**2", **kw)


def test_single_point():
    f = gd.Function("x**2 + 3*sin(y)")
    loss, grad = f.value_and_grad(np.array([1.0, 0.0]))
    assert loss.shape == () and grad.shape == (2,)
    assert float(loss) == 1.0 and grad.tolist() == [2.0, 3.0]


def test_array_api_strict_equals_numpy(rng):
    xps = pytest.importorskip("array_api_strict")
    P = rng.uniform(0.3, 1.5, size=(6, 2))
    V = rng.standard_normal(P.shape)
    for expr in EXPRESSIONS:
        f = gd.Function(expr)
        loss, grad = f.value_and_grad(xps.asarray(P))
        hv = f.hvp(xps.asarray(P), xps.asarray(V))
        rl, rg = f.value_and_grad(P)
        np.testing.assert_allclose(np.asarray(loss), rl, rtol=1e-14)
        np.testing.assert_allclose(np.asarray(grad), rg, rtol=1e-14, atol=1e-15)
        np.testing.assert_allclose(np.asarray(hv), f.hvp(P, V), rtol=1e-13, atol=1e-14)
        np.testing.assert_allclose(np.asarray(f.value(xps.asarray(P))), rl, rtol=1e-14)
        l32 = f.value(xps.asarray(P, dtype=xps.float32))
        assert l32.dtype == xps.float32
    # a callable written with operators runs on any namespace; differences too
    g = gd.Function(lambda p: p[:, 0] ** 2 + 3 * p[:, 1] ** 3)
    out = g.grad(xps.asarray(P))
    np.testing.assert_allclose(np.asarray(out), g.grad(P), rtol=1e-14)
    np.testing.assert_allclose(
        np.asarray(g.hvp(xps.asarray(P), xps.asarray(V))), g.hvp(P, V), rtol=1e-12
    )


@pytest.mark.gpu
def test_cupy_expression(rng):
    import cupy  # noqa: PLC0415

    f = gd.Function(EXPRESSIONS[2])
    P = rng.standard_normal((5, 2))
    loss, grad = f.value_and_grad(cupy.asarray(P))
    rl, rg = f.value_and_grad(P)
    np.testing.assert_allclose(loss.get(), rl, rtol=1e-12)
    np.testing.assert_allclose(grad.get(), rg, rtol=1e-12, atol=1e-14)


def test_is_exported_lazily():
    assert gd.Function is Function
