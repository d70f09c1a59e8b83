"""Models on data: dtypes, parameter views, predictions, input checks and array namespaces."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from models_helpers import MODELS, _data, _make, _params

import gdwidget as gd
from gdwidget.backend import Random

# -- dtypes, views, predictions -----------------------------------------------------------------


@pytest.mark.parametrize("name", MODELS)
def test_float32_stays_float32(name):
    model = _make(name)
    P64 = _params(model)
    P32 = P64.astype(np.float32)
    loss, G = model.value_and_grad(P32, batch=np.arange(8))
    assert loss.dtype == np.float32 and G.dtype == np.float32
    loss64, G64 = model.value_and_grad(P64, batch=np.arange(8))
    np.testing.assert_allclose(loss, loss64, rtol=1e-5)
    np.testing.assert_allclose(G, G64, rtol=1e-4, atol=1e-5)
    assert model.hvp(P32, P32).dtype == np.float32
    assert model.predict(P32).dtype == np.float32
    if model.task == "classification":
        assert model.gnb_hessian_diag(P32, Random(np, 0)).dtype == np.float32


def test_unflatten_views_and_names():
    X, y = _data("multi")
    model = gd.models.mlp(X, y, hidden=(4,))
    assert model.layer_sizes == (3, 4, 3) and model.n_params == 3 * 4 + 4 + 4 * 3 + 3
    theta = np.arange(model.n_params, dtype=float)
    v = model.unflatten(theta)
    assert list(v) == ["W1", "b1", "W2", "b2"]
    assert v["W1"].shape == (3, 4) and v["b2"].shape == (3,)
    np.testing.assert_array_equal(v["b1"], np.arange(12, 16))
    v["b1"][0] = -1.0
    assert theta[12] == -1.0  # a view, not a copy
    assert model.unflatten(np.zeros((5, model.n_params)))["W2"].shape == (5, 4, 3)
    lin = gd.models.linear_regression(*gd.data.linear(20))
    v = lin.unflatten(np.array([2.0, -1.0]))
    assert v["w"].shape == (1,) and v["b"].shape == () and float(v["b"]) == -1.0
    sm = gd.models.softmax_regression(X, y)
    assert {k: a.shape for k, a in sm.unflatten(np.zeros(sm.n_params)).items()} == {
        "W": (3, 3),
        "b": (3,),
    }


def test_init_params():
    X, y = _data("multi", n=40)
    for name in ("linear", "logistic", "softmax"):
        theta = _make(name).init_params(seed=3)
        assert theta.dtype == np.float64 and not theta.any()
    big = np.random.default_rng(0).standard_normal((50, 400))
    model = gd.models.mlp(big, np.arange(50) % 2, hidden=(300,), activation="relu")
    theta = model.init_params(seed=1)
    assert theta.shape == (model.n_params,)
    v = model.unflatten(theta)
    assert np.std(v["W1"]) == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    assert np.std(v["W2"]) == pytest.approx(np.sqrt(1 / 300), rel=0.1)
    assert not v["b1"].any()
    np.testing.assert_array_equal(theta, model.init_params(seed=1))
    assert not np.array_equal(theta, model.init_params(seed=2))
    assert model.init_params(0, dtype="float32").dtype == np.float32


def test_predict_and_accuracy():
    X, y = gd.data.blobs(n=90, centers=[[-4.0, 0.0], [4.0, 0.0], [0.0, 6.0]], noise=0.5)
    model = gd.models.softmax_regression(X, y)
    P = np.zeros((2, model.n_params))
    proba = model.predict(P, X[:7])
    assert proba.shape == (2, 7, 3)
    np.testing.assert_allclose(proba, 1 / 3)
    opt = gd.optim.adam(0.1)
    state = opt.init(P)
    for _ in range(150):
        opt.step(P, model.value_and_grad(P)[1], state)
    np.testing.assert_allclose(model.accuracy(P), [1.0, 1.0])
    assert model.accuracy(P, batch=[0, 1]).shape == (2,)
    assert model.predict(P[0]).shape == (90, 3)
    np.testing.assert_allclose(model.predict(P[0]).sum(-1), 1.0)
    Xb, yb = gd.data.moons(60)
    logit = gd.models.logistic_regression(Xb, yb)
    theta = np.array([0.0, -5.0, 1.0])  # class 1 below y = 0.2
    p = logit.predict(theta, [[0.0, -1.0], [0.0, 2.0]])
    assert p[0] > 0.99 and p[1] < 0.01
    acc = logit.accuracy(theta)
    assert acc == pytest.approx(np.mean((Xb[:, 1] < 0.2) == yb))
    reg = gd.models.linear_regression(*gd.data.linear(20))
    np.testing.assert_allclose(reg.predict(np.array([2.0, 1.0]), [[1.0], [3.0]]), [3.0, 7.0])
    with pytest.raises(ValueError, match="accuracy is defined for classifiers"):
        reg.accuracy(np.zeros(2))


def test_linear_regression_frames_its_solution():
    X, y = gd.data.linear(n=200, noise=0.1, seed=0)
    model = gd.models.linear_regression(X, y)
    assert model.n_params == 2 and model.n_examples == 200
    w, b = model.minima[0]
    assert w == pytest.approx(2.0, abs=0.05) and b == pytest.approx(-1.0, abs=0.05)
    (wl, wh), (bl, bh) = model.bounds
    assert wl < w < wh and bl < b < bh
    sw, sb = model.default_start
    assert wl < sw < wh and bl < sb < bh and abs(sw - w) > 0.5
    _, G = model.value_and_grad(np.array(model.minima))
    np.testing.assert_allclose(G, 0.0, atol=1e-12)
    assert model.min_value == pytest.approx(0.01, rel=0.3)  # the noise variance
    ridge = gd.models.linear_regression(X, y, l2=1.0)
    _, G = ridge.value_and_grad(np.array(ridge.minima))
    np.testing.assert_allclose(G, 0.0, atol=1e-12)
    assert abs(ridge.minima[0][0]) < abs(w)


def test_user_arrays_pandas_and_lists():
    X, y = gd.data.moons(50)
    df = pd.DataFrame(X, columns=["a", "b"])
    m1 = gd.models.mlp(df, pd.Series(y), hidden=(3,))
    m2 = gd.models.mlp(X.tolist(), y.tolist(), hidden=(3,))
    m3 = gd.models.mlp(X, y.astype(float), hidden=(3,))
    P = m1.init_params(0)[None]
    assert m1.value(P)[0] == m2.value(P)[0] == m3.value(P)[0]
    assert m1.predict(P, df.iloc[:3]).shape == (1, 3, 2)


def test_model_on_iris_learns():
    X, y = gd.data.iris()
    train, val = gd.data.train_val_split(gd.data.standardize(X), y, val_fraction=0.3)
    model = gd.models.mlp(*train, hidden=(8,))
    P = model.init_params(0)[None]
    opt = gd.optim.adam(0.05)
    state = opt.init(P)
    for _ in range(100):
        opt.step(P, model.value_and_grad(P)[1], state)
    held_out = gd.models.mlp(*val, hidden=(8,), n_classes=3)
    assert held_out.accuracy(P)[0] > 0.85


def test_to_moves_data_once():
    model = gd.models.logistic_regression(*gd.data.moons(20))
    assert model.to("cpu", "float32") is model
    X32, _ = model._data(np, np.float32)
    assert X32.dtype == np.float32
    model.value(np.zeros((1, 3), np.float32))
    assert model._data(np, np.float32)[0] is X32


# -- input checks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, batch, match",
    [
        (np.zeros((2, 5)), None, r"params must have shape \(n_runs, 3\) or \(3,\)"),
        (np.zeros((2, 3, 1)), None, r"params must have shape"),
        (np.zeros((2, 3), dtype=np.int64), None, "params must be float32 or float64"),
        (np.zeros((2, 3)), np.array([0, 20]), r"batch indices must be in 0..19, got 20"),
        (np.zeros((2, 3)), np.array([-1, 2]), r"batch indices must be in 0..19, got -1"),
        (np.zeros((2, 3)), np.array([0.0, 1.0]), "batch must be None or a 1-D integer array"),
        (np.zeros((2, 3)), np.array([[0, 1]]), "batch must be None or a 1-D integer array"),
        (np.zeros((2, 3)), np.array([], dtype=int), "batch is empty"),
    ],
)
def test_bad_params_and_batches(params, batch, match):
    model = gd.models.logistic_regression(*gd.data.moons(20))
    with pytest.raises(ValueError, match=match):
        model.value_and_grad(params, batch=batch)


@pytest.mark.parametrize(
    "make, match",
    [
        (
            lambda: gd.models.linear_regression(np.zeros((5, 2)), np.zeros(4)),
            "X and y have different lengths: 5 examples in X, 4 in y",
        ),
        (
            lambda: gd.models.logistic_regression(np.zeros((3, 1)), [0, 1, 2]),
            "must be in 0..1, got 2",
        ),
        (
            lambda: gd.models.softmax_regression(np.zeros((3, 1)), [0, 1, 3], n_classes=3),
            "must be in 0..2, got 3",
        ),
        (lambda: gd.models.mlp(np.zeros((3, 1)), [0.0, 1.5, 1.0]), "must be integers, got 1.5"),
        (lambda: gd.models.mlp(np.zeros((0, 2)), np.zeros(0)), "X is empty"),
        (lambda: gd.models.linear_regression([[1.0], [np.nan]], [1.0, 2.0]), "X contains NaN"),
        (lambda: gd.models.linear_regression([[1.0], [2.0]], [1.0, np.inf]), "y contains NaN"),
        (
            lambda: gd.models.mlp(np.zeros((3, 1)), [0, 1, 0], activation="sigmoid"),
            "unknown activation 'sigmoid'",
        ),
        (
            lambda: gd.models.mlp(np.zeros((3, 1)), [0, 1, 0], task="clasification"),
            "did you mean 'classification'",
        ),
        (
            lambda: gd.models.mlp(np.zeros((3, 1)), [0, 1, 0], hidden=(4, 0)),
            "hidden width must be >= 1",
        ),
        (
            lambda: gd.models.logistic_regression(np.zeros((3, 1)), [0, 1, 0], l2=-1),
            "l2 must be >= 0",
        ),
    ],
)
def test_bad_models(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_second_order_and_view_input():
    model = gd.models.softmax_regression(*_data("multi"))
    P = np.zeros((2, model.n_params))
    with pytest.raises(ValueError, match="v must have the shape of params"):
        model.hvp(P, np.zeros((1, model.n_params)))
    with pytest.raises(ValueError, match="rng must be a gdwidget.backend.Random"):
        model.gnb_hessian_diag(P, np.random.default_rng(0))
    with pytest.raises(ValueError, match="params must have shape"):
        model.unflatten(np.zeros(3))
    with pytest.raises(ValueError, match="X must have 3 features"):
        model.predict(P, np.zeros((2, 2)))


@pytest.mark.gpu
def test_cupy_params_match_numpy():
    import cupy as cp

    model = _make("mlp_tanh", l2=0.1)
    P = _params(model)
    loss, G = model.value_and_grad(P, batch=np.arange(9))
    loss_g, G_g = model.value_and_grad(cp.asarray(P), batch=np.arange(9))
    assert isinstance(G_g, cp.ndarray)
    np.testing.assert_allclose(cp.asnumpy(loss_g), loss, rtol=1e-10)
    np.testing.assert_allclose(cp.asnumpy(G_g), G, rtol=1e-9, atol=1e-12)
    h = model.gnb_hessian_diag(cp.asarray(P, dtype=cp.float32), Random(cp, 0))
    assert isinstance(h, cp.ndarray) and h.dtype == cp.float32
    X, y = _data("multi")
    on_gpu = gd.models.softmax_regression(cp.asarray(X), cp.asarray(y))
    cpu = gd.models.softmax_regression(X, y)
    Q = _params(cpu)
    np.testing.assert_allclose(cp.asnumpy(on_gpu.value(cp.asarray(Q))), cpu.value(Q), rtol=1e-10)


@pytest.mark.parametrize("name", MODELS)
def test_array_api_namespace_gives_the_same_numbers(name):
    xp = pytest.importorskip("array_api_strict")
    model = _make(name, l2=0.1)
    P = _params(model, n_runs=2)
    batch = np.array([1, 2, 3, 11])
    loss, G = model.value_and_grad(xp.asarray(P), batch=batch)
    assert namespace_of_is(G, xp)
    loss0, G0 = model.value_and_grad(P, batch=batch)
    np.testing.assert_allclose(np.asarray(loss), loss0, rtol=1e-14)
    np.testing.assert_allclose(np.asarray(G), G0, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(
        np.asarray(model.hvp(xp.asarray(P), xp.asarray(P))), model.hvp(P, P), rtol=1e-12, atol=1e-14
    )
    h = model.gnb_hessian_diag(xp.asarray(P), Random(xp, 0))
    np.testing.assert_array_equal(np.asarray(h), model.gnb_hessian_diag(P, Random(np, 0)))
    np.testing.assert_allclose(np.asarray(model.predict(xp.asarray(P))), model.predict(P))


def namespace_of_is(a, xp):
    return gd.backend.namespace_of(a) is xp
