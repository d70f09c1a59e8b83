"""Bad input gets a clear ValueError at the boundary, and no RuntimeWarning escapes.

Counts that are inf or huge, class labels that would build giant models, validation
models of another shape, complex numbers, user functions returning the wrong thing,
expressions nested too deeply, and huge starts.
"""

from __future__ import annotations

import sys
import tracemalloc
import warnings

import numpy as np
import pytest

import gdwidget as gd
from gdwidget._checks import check_int
from gdwidget.models import check_validation
from gdwidget.objectives.slice import slice_values


@pytest.fixture
def strict_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def _xy(n=40, seed=0):
    return np.random.default_rng(seed).normal(size=(n, 2))


# --------------------------------------------------------------------------------- counts

NOT_COUNTS = [
    float("inf"),
    -float("inf"),
    float("nan"),
    np.float64("inf"),
    2.5,
    "5",
    None,
    True,
    1 + 0j,
    [3],
]


@pytest.mark.parametrize("value", NOT_COUNTS, ids=repr)
def test_check_int_refuses_non_integers_with_a_value_error(value):
    with pytest.raises(ValueError, match="steps must be an integer"):
        check_int("steps", value, low=0)


@pytest.mark.parametrize("value", [10**400, 1e300, 10**9 + 1])
def test_check_int_upper_bound_names_the_argument(value):
    with pytest.raises(ValueError, match=r"n must be <= 1,000,000,000"):
        check_int("n", value, high=10**9)


def test_check_int_accepts_integer_values():
    assert check_int("n", np.int64(7)) == 7
    assert check_int("n", 7.0) == 7
    assert check_int("n", 10**400) == 10**400  # no bound: Python ints are exact


@pytest.mark.parametrize(
    "call",
    [
        lambda: gd.run("rosenbrock", {"a": gd.optim.sgd(1e-3)}, steps=float("inf"), device="cpu"),
        lambda: gd.data.moons(n=float("inf")),
        lambda: gd.data.moons(n=10**12),
        lambda: gd.models.mlp(*gd.data.moons(40), hidden=(float("inf"),)),
        lambda: gd.models.mlp(*gd.data.moons(40), hidden=(10**400,)),
        lambda: gd.functions.quadratic(n=10**6),
        lambda: gd.functions.rastrigin(n=float("nan")),
        lambda: gd.Function(lambda p: p[:, 0], n_params=10**12),
    ],
    ids=[
        "steps=inf",
        "n=inf",
        "n=1e12",
        "width=inf",
        "width=10**400",
        "quadratic n=1e6",
        "rastrigin n=nan",
        "n_params=1e12",
    ],
)
def test_infinite_or_huge_counts_are_a_value_error(call):
    with pytest.raises(ValueError):
        call()


def test_separable_functions_stay_cheap_in_many_dimensions():
    f = gd.functions.rastrigin(n=100)  # 2n local minima refined coordinate-wise
    assert len(f.minima) == 201
    g = f.grad(np.asarray(f.minima[1]))
    assert np.abs(g).max() < 1e-9
    assert len(gd.functions.styblinski_tang(n=10_000).minima) == 1  # not n vectors of n


# --------------------------------------------------------------------------------- labels


@pytest.mark.parametrize("big", [10**9, 10**4 + 1])
def test_labels_beyond_a_sane_class_count_are_refused(big):
    X = _xy()
    y = np.zeros(40, dtype=np.int64)
    y[:20] = 1
    y[0] = big
    for make in (gd.models.softmax_regression, gd.models.mlp):
        with pytest.raises(ValueError, match=f"{big + 1:,} classes"):
            make(X, y)


def test_sparse_labels_are_refused_unless_n_classes_is_given():
    X = _xy()
    y = np.where(np.arange(40) % 2 == 0, 0, 500)
    with pytest.raises(ValueError, match=r"only 2 distinct labels .* 501 classes"):
        gd.models.softmax_regression(X, y)
    assert gd.models.softmax_regression(X, y, n_classes=501).n_classes == 501
    with pytest.raises(ValueError, match="n_classes must be an integer >= 2 and <= 10,000"):
        gd.models.softmax_regression(X, y, n_classes=20_000)


def test_dense_labels_still_infer_their_count():
    X = _xy(200)
    y = np.arange(200) % 100  # 100 classes, every one present
    assert gd.models.softmax_regression(X, y).n_classes == 100


@pytest.mark.parametrize("y", [np.linspace(0, 1, 40), np.full(40, 1e30), np.full(40, 1.0 + 0j)])
def test_non_integer_labels_for_classification_are_refused(y):
    with pytest.raises(ValueError, match="class label"):
        gd.models.mlp(_xy(), y)


# ----------------------------------------------------------------------------- validation


def test_validation_model_of_another_shape_with_the_same_parameter_count():
    X, y = gd.data.moons(60, seed=0)
    Xv, yv = gd.data.moons(30, seed=1)
    a = gd.models.mlp(X, y, hidden=(4, 2))
    b = gd.models.mlp(Xv, yv, hidden=(2, 4))
    assert a.n_params == b.n_params == 28  # the trap: same count, other weights
    with pytest.raises(ValueError, match=r"layer sizes \(2, 2, 4, 2\).*\(2, 4, 2, 2\)"):
        check_validation(a, b)
    with pytest.raises(ValueError, match="relu"):
        check_validation(a, gd.models.mlp(Xv, yv, hidden=(4, 2), activation="relu"))
    lin = gd.models.linear_regression(X, y.astype(float))
    with pytest.raises(ValueError, match="LogisticRegression"):
        check_validation(lin, gd.models.logistic_regression(Xv, yv))
    with pytest.raises(ValueError, match="not a model"):
        check_validation(
            gd.models.linear_regression(X[:, :1], y.astype(float)), gd.functions.rosenbrock()
        )
    same = gd.models.mlp(Xv, yv, hidden=(4, 2))
    assert check_validation(a, same) is same
    assert check_validation(a, None) is None


def test_validation_missing_a_class_says_to_pass_n_classes():
    X = _xy(60)
    y = np.arange(60) % 3
    with pytest.raises(ValueError, match="pass n_classes=3"):
        check_validation(
            gd.models.softmax_regression(X, y), gd.models.softmax_regression(X[:40], y[:40] % 2)
        )


def test_run_refuses_a_validation_model_of_another_shape():
    X, y = gd.data.moons(60, seed=0)
    a = gd.models.mlp(X, y, hidden=(4, 2))
    b = gd.models.mlp(*gd.data.moons(30, seed=1), hidden=(2, 4))
    with pytest.raises(ValueError, match="layer sizes"):
        gd.run(a, {"sgd": gd.optim.sgd(0.1)}, steps=2, validation=b, device="cpu")


# -------------------------------------------------------------------------------- complex


def test_complex_starts_are_refused(strict_warnings):
    for start in (np.array([1 + 2j, 0]), (1 + 2j, 0.0), np.array([1 + 0j, 0])):
        with pytest.raises(ValueError, match="complex"):
            gd.run("rosenbrock", {"a": gd.optim.sgd(1e-3)}, start=start, steps=1, device="cpu")
    with pytest.raises(ValueError, match="complex"):
        gd.functions.rosenbrock().value(np.array([1 + 2j, 0]))
    with pytest.raises(ValueError, match="start"):
        gd.Function("x**2 + y**2", start=(1 + 2j, 0))


def test_complex_losses_are_refused(strict_warnings):
    f = gd.Function(lambda p: (p**2).sum(axis=1) + 0j, grad=lambda p: 2 * p, name="cbowl")
    with pytest.raises(ValueError, match="Function 'cbowl': f must return real numbers"):
        f.value(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="complex"):
        gd.run(f, {"a": gd.optim.sgd(1e-3)}, steps=1, device="cpu")
    g = gd.Function(lambda p: (p**2).sum(axis=1), grad=lambda p: 2j * p, name="cgrad")
    with pytest.raises(ValueError, match="Function 'cgrad': grad must return real numbers"):
        g.grad(np.zeros((3, 2)))


# ------------------------------------------------------------------ custom function outputs

BAD_OUTPUTS = [
    ("f", lambda p: [1.0] * p.shape[0], "got a list"),
    ("f", lambda p: "loss", "got str"),
    ("f", lambda p: None, "got NoneType"),
    ("f", lambda p: p, r"shape \(3,\) .* got \(3, 2\)"),
    ("f", lambda p: p.sum(), r"shape \(3,\) .* got \(\)"),
    ("f", lambda p: np.array(["a"] * p.shape[0]), "array of numbers"),
    ("f", lambda p: np.array([{}] * p.shape[0]), "array of numbers"),
    ("grad", lambda p: p[:, 0], r"shape \(3, 2\) .* got \(3,\)"),
    ("grad", lambda p: None, "got NoneType"),
    ("grad", lambda p: np.array([[None, None]] * p.shape[0]), "array of numbers"),
    ("grad", lambda p: (2 * p).tolist(), "got a list"),
]


@pytest.mark.parametrize(
    "which,bad,match", BAD_OUTPUTS, ids=[f"{w}-{m[:14]}" for w, _, m in BAD_OUTPUTS]
)
def test_wrong_outputs_of_a_user_function_name_it_and_the_shape(which, bad, match):
    def good(p):
        return (p**2).sum(axis=1)

    f = gd.Function(
        bad if which == "f" else good, grad=bad if which == "grad" else None, name="mine"
    )
    P = np.zeros((3, 2))
    with pytest.raises(ValueError, match=f"Function 'mine': {which} must return .*{match}"):
        f.value_and_grad(P)
    with pytest.raises(ValueError, match="Function 'mine'"):
        gd.run(f, {"a": gd.optim.sgd(0.1)}, steps=1, device="cpu")


def test_wrong_hvp_output_is_refused():
    f = gd.Function(
        lambda p: (p**2).sum(axis=1), grad=lambda p: 2 * p, hvp=lambda p, v: v[:, :1], name="h"
    )
    with pytest.raises(ValueError, match=r"Function 'h': hvp must return shape \(2, 2\)"):
        f.hvp(np.zeros((2, 2)), np.ones((2, 2)))


# ------------------------------------------------------------------------------ expressions

TOO_DEEP = [
    "(" * 500 + "x" + ")" * 500,
    "-" * 10000 + "x",
    "-" * 4990 + "x",
    "sin(" * 2000 + "x" + ")" * 2000,
    "sin(" * 300 + "x" + ")" * 300,
    "9" * 10000,
    "9" * 4400,
    "9" * 4000 + "*x",
    "1e999 * x",
]


@pytest.mark.parametrize("expr", TOO_DEEP, ids=lambda e: f"{e[:8]}..{len(e)}")
def test_expressions_too_deep_or_too_big_are_a_value_error(expr):
    with pytest.raises(ValueError, match="^f: "):
        gd.Function(expr)


def _at_depth(depth, fn):
    """Call ``fn`` with ``depth`` Python frames already on the stack."""
    return fn() if depth <= 0 else _at_depth(depth - 1, fn)


@pytest.mark.parametrize(
    "expr,value,grad",
    [
        ("x" + " + x" * 1200, 1201.0, 1201.0),
        ("x" + "**x" * 500, 1.0, 1.0),
        ("-" * 900 + "x", 1.0, 1.0),
        ("x" + "*1.001" * 700, 1.001**700, 1.001**700),
    ],
)
def test_deep_expressions_evaluate_without_recursion(expr, value, grad):
    f = gd.Function(expr)
    P = np.array([[1.0, 0.5]])
    # evaluated with only ~60 frames of stack left: a recursive evaluator would fail here
    depth = sys.getrecursionlimit() - len(_stack()) - 60
    loss, g = _at_depth(depth, lambda: f.value_and_grad(P))
    np.testing.assert_allclose(loss, [value], rtol=1e-12)
    np.testing.assert_allclose(g, [[grad, 0.0]], rtol=1e-12)
    hv = _at_depth(depth, lambda: f.hvp(P, np.ones_like(P)))
    assert hv.shape == (1, 2) and np.all(np.isfinite(hv))


def _stack():
    import inspect  # noqa: PLC0415

    return inspect.stack(0)


# ------------------------------------------------------------------------ runtime warnings

HUGE = [1e300, -1e300, 1e200, 1e155]


@pytest.mark.parametrize("name", gd.functions.names())
def test_test_functions_warn_nothing_at_huge_points(name, strict_warnings):
    f = gd.functions.get(name)
    for h in HUGE:
        P = np.full((2, f.n_params), h)
        P[1, 0] = -h
        f.value(P)
        f.value_and_grad(P)
        f.grad(P)
        f.hvp(P, P)
        f.hessian(P)


@pytest.mark.parametrize(
    "f",
    [
        gd.Function("x**2 + exp(y)"),
        gd.Function("log(x) + sqrt(y) + 1/x + x**0.5 + tan(y) + cosh(x)"),
        gd.Function("(x**2 + 1)**y + 2**x + sinh(y)*atan(x)"),
        gd.Function(lambda p: (p**4).sum(axis=1)),  # central differences
        gd.Function(lambda p: np.exp(p).sum(axis=1), grad=lambda p: np.exp(p)),
    ],
    ids=["exp", "log-sqrt", "powers", "callable-fd", "callable-grad"],
)
def test_user_functions_warn_nothing_at_huge_points(f, strict_warnings):
    for h in HUGE + [0.0, -1.0]:
        P = np.array([[h, h], [-h, h], [h, -h]])
        f.value(P)
        f.value_and_grad(P)
        f.hvp(P, P)


def test_models_warn_nothing_at_huge_parameters(strict_warnings):
    X, y = gd.data.moons(50, seed=0)
    for m in (
        gd.models.mlp(X, y, hidden=(8,)),
        gd.models.logistic_regression(X, y),
        gd.models.linear_regression(X, y.astype(float), l2=0.1),
    ):
        P = np.full((2, m.n_params), 1e200)
        P[1] *= -1
        m.value(P)
        m.value_and_grad(P)
        m.hvp(P, P)
        m.gnb_hessian_diag(P, 0)
        m.predict(P)


def test_runs_from_huge_starts_warn_nothing(strict_warnings):
    with pytest.raises(ValueError, match="not finite"):
        gd.run("rosenbrock", {"a": gd.optim.sgd(1e-3)}, start=(1e200, 1e200), steps=5, device="cpu")
    h = gd.run("rosenbrock", {"a": gd.optim.sgd(1e-3)}, start=(1e50, 1e50), steps=5, device="cpu")
    assert h.status == ["diverged"]


# --------------------------------------------------------------------------- landscape slice


def test_slice_values_equal_the_tiled_evaluation(rng):
    for f in (
        gd.functions.rosenbrock(n=5),
        gd.Function("x0**2 + sin(x1*x3) - x4", n_params=5),
        gd.functions.rosenbrock(),
    ):
        point = rng.normal(size=f.n_params)
        xs, ys = np.linspace(-2, 2, 7), np.linspace(-1, 3, 5)
        X, Y = np.meshgrid(xs, ys)
        P = np.tile(point, (X.size, 1))
        P[:, 0], P[:, 1] = X.ravel(), Y.ravel()
        ref = f.value(P).reshape(5, 7)
        for kw in ({}, {"chunk_rows": 1}, {"chunk_rows": 2}, {"max_bytes": 1}):
            np.testing.assert_array_equal(slice_values(f, point, xs, ys, **kw), ref)


def test_slice_values_of_one_parameter_and_bad_points():
    f = gd.Function(lambda p: p[:, 0] ** 2, n_params=1)
    z = slice_values(f, [0.0], [1.0, 2.0, 3.0], [0.0, 1.0])
    np.testing.assert_array_equal(z, [[1, 4, 9], [1, 4, 9]])
    with pytest.raises(ValueError, match="point must have 2 coordinates"):
        slice_values(gd.functions.rosenbrock(), [0.0, 1.0, 2.0], [0.0], [0.0])


def test_slice_of_a_10000_dimensional_expression_stays_small():
    f = gd.Function("x0**2 + 3*x1**2 + sin(x9999)", n_params=10_000)
    point = np.linspace(-1.0, 1.0, 10_000)
    xs, ys = np.linspace(-2, 2, 160), np.linspace(-1, 1, 120)
    tracemalloc.start()
    try:
        z = slice_values(f, point, xs, ys)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 200 * 2**20, f"peak {peak / 2**20:.0f} MB"  # a tiled grid: 1.5 GB
    X, Y = np.meshgrid(xs, ys)
    np.testing.assert_allclose(z, X**2 + 3 * Y**2 + np.sin(1.0), rtol=1e-15)
