"""Models on data: gradients against finite differences and PyTorch, training against
torch.optim.Adam, batches, HVPs, the GNB Hessian estimate, dtypes and input checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import gdwidget as gd
from gdwidget.backend import Random

torch = pytest.importorskip("torch")
F = torch.nn.functional


def _data(kind, n=40, seed=0):
    if kind == "regression":
        return gd.data.linear(n=n, n_features=3, noise=0.3, seed=seed)
    if kind == "binary":
        X, y = gd.data.moons(n=n, seed=seed)
        return X, y
    return gd.data.blobs(n=n, centers=3, n_features=3, seed=seed)


def _make(name, l2=0.0):
    if name == "linear":
        return gd.models.linear_regression(*_data("regression"), l2=l2)
    if name == "logistic":
        return gd.models.logistic_regression(*_data("binary"), l2=l2)
    if name == "softmax":
        return gd.models.softmax_regression(*_data("multi"), l2=l2)
    if name == "mlp_tanh":
        return gd.models.mlp(*_data("multi"), hidden=(5, 4), activation="tanh", l2=l2)
    if name == "mlp_relu":
        return gd.models.mlp(*_data("binary"), hidden=(6,), activation="relu", l2=l2)
    if name == "mlp_reg":
        return gd.models.mlp(*_data("regression"), hidden=(5,), task="regression", l2=l2)
    raise KeyError(name)


MODELS = ["linear", "logistic", "softmax", "mlp_tanh", "mlp_relu", "mlp_reg"]


def _params(model, n_runs=3, seed=1, scale=0.7):
    return np.random.default_rng(seed).standard_normal((n_runs, model.n_params)) * scale


def _fd_grad(model, P, batch=None, h=1e-6):
    G = np.zeros_like(P)
    for j in range(P.shape[1]):
        e = np.zeros_like(P)
        e[:, j] = h
        G[:, j] = (model.value(P + e, batch) - model.value(P - e, batch)) / (2 * h)
    return G


# -- gradients --------------------------------------------------------------------------------


@pytest.mark.parametrize("l2", [0.0, 0.3])
@pytest.mark.parametrize("name", MODELS)
def test_gradient_matches_central_differences(name, l2):
    model = _make(name, l2)
    P = _params(model)
    loss, G = model.value_and_grad(P)
    assert loss.shape == (3,) and G.shape == P.shape
    np.testing.assert_allclose(loss, model.value(P), rtol=1e-13)
    np.testing.assert_allclose(G, _fd_grad(model, P), atol=1e-7, rtol=1e-6)
    batch = np.array([7, 3, 3, 20])
    _, Gb = model.value_and_grad(P, batch=batch)
    np.testing.assert_allclose(Gb, _fd_grad(model, P, batch), atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("name", MODELS)
def test_batch_none_is_the_mean_over_all_examples(name):
    model = _make(name)
    P = _params(model)
    loss, G = model.value_and_grad(P)
    loss_all, G_all = model.value_and_grad(P, batch=np.arange(model.n_examples))
    np.testing.assert_allclose(loss, loss_all, rtol=1e-12)
    np.testing.assert_allclose(G, G_all, rtol=1e-12, atol=1e-14)
    # a batch is the mean of its single-example losses (repeats count twice)
    batch = [5, 1, 5, 30]
    singles = [model.value_and_grad(P, batch=np.array([i])) for i in batch]
    np.testing.assert_allclose(model.value(P, batch), np.mean([s[0] for s in singles], axis=0))
    np.testing.assert_allclose(
        model.value_and_grad(P, batch)[1], np.mean([s[1] for s in singles], axis=0), atol=1e-14
    )


@pytest.mark.parametrize("name", MODELS)
def test_runs_are_independent(name):
    model = _make(name)
    P = _params(model, n_runs=4)
    loss, G = model.value_and_grad(P, batch=np.arange(10))
    for r in range(4):
        lr_, gr = model.value_and_grad(P[r], batch=np.arange(10))  # a single row
        assert np.ndim(lr_) == 0 and gr.shape == (model.n_params,)
        np.testing.assert_allclose(lr_, loss[r], rtol=1e-13)
        np.testing.assert_allclose(gr, G[r], rtol=1e-12, atol=1e-15)


# -- against PyTorch ----------------------------------------------------------------------------


def _torch_net(model, P_row):
    """nn.Sequential with our weights (torch's Linear weight is our W transposed)."""
    act = torch.nn.Tanh if model.activation == "tanh" else torch.nn.ReLU
    layers = []
    views = model.unflatten(P_row)
    n_layers = len(model.layer_sizes) - 1
    for i in range(n_layers):
        lin = torch.nn.Linear(model.layer_sizes[i], model.layer_sizes[i + 1]).double()
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(np.array(views[f"W{i + 1}"]).T))
            lin.bias.copy_(torch.from_numpy(np.array(views[f"b{i + 1}"])))
        layers.append(lin)
        if i < n_layers - 1:
            layers.append(act())
    return torch.nn.Sequential(*layers)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("task", ["classification", "regression"])
@pytest.mark.parametrize("hidden", [(7,), (6, 5)])
def test_mlp_matches_pytorch(activation, task, hidden):
    X, y = _data("multi" if task == "classification" else "regression", n=50, seed=4)
    l2 = 0.05
    model = gd.models.mlp(X, y, hidden=hidden, activation=activation, task=task, l2=l2)
    P = np.stack([model.init_params(seed=s) + 0.05 for s in range(2)])
    batch = np.array([0, 4, 9, 9, 17, 33, 49])
    loss, G = model.value_and_grad(P, batch=batch)
    for r in range(2):
        net = _torch_net(model, P[r])
        xb = torch.from_numpy(X[batch])
        out = net(xb)
        if task == "classification":
            ref = F.cross_entropy(out, torch.from_numpy(y[batch]))
        else:
            ref = F.mse_loss(out[:, 0], torch.from_numpy(y[batch]))
        linears = [m for m in net if isinstance(m, torch.nn.Linear)]
        ref = ref + 0.5 * l2 * sum((m.weight**2).sum() for m in linears)
        ref.backward()
        assert loss[r] == pytest.approx(ref.item(), rel=1e-12)
        ref_grad = np.concatenate(
            [
                np.concatenate([m.weight.grad.numpy().T.ravel(), m.bias.grad.numpy()])
                for m in linears
            ]
        )
        np.testing.assert_allclose(G[r], ref_grad, rtol=1e-10, atol=1e-13)
        # predictions too
        pred = model.predict(P[r], X[:5])
        with torch.no_grad():
            o = net(torch.from_numpy(X[:5]))
            o = torch.softmax(o, -1) if task == "classification" else o[:, 0]
        np.testing.assert_allclose(pred, o.numpy(), rtol=1e-12, atol=1e-15)


def test_softmax_and_logistic_losses_match_pytorch():
    X, y = _data("multi", n=30)
    model = gd.models.softmax_regression(X, y)
    P = _params(model, n_runs=1, scale=3.0)
    W = model.unflatten(P[0])
    logits = torch.from_numpy(X) @ torch.from_numpy(np.array(W["W"])) + torch.from_numpy(
        np.array(W["b"])
    )
    assert model.value(P)[0] == pytest.approx(
        F.cross_entropy(logits, torch.from_numpy(y)).item(), rel=1e-13
    )
    X, y = _data("binary", n=30)
    model = gd.models.logistic_regression(X, y)
    P = _params(model, n_runs=1, scale=3.0)
    v = model.unflatten(P[0])
    z = torch.from_numpy(X) @ torch.from_numpy(np.array(v["w"])) + float(v["b"])
    ref = F.binary_cross_entropy_with_logits(z, torch.from_numpy(y.astype(float)))
    assert model.value(P)[0] == pytest.approx(ref.item(), rel=1e-13)


def test_cross_entropy_is_stable_for_huge_logits():
    X = np.array([[1.0], [-1.0]])
    model = gd.models.logistic_regression(X, [1, 0])
    loss, G = model.value_and_grad(np.array([[1000.0, 0.0], [-1000.0, 0.0]]))
    assert np.all(np.isfinite(loss)) and np.all(np.isfinite(G))
    assert loss[0] == pytest.approx(0.0, abs=1e-300) and loss[1] == pytest.approx(1000.0)
    model = gd.models.softmax_regression(X, [1, 0])
    loss, G = model.value_and_grad(np.array([[800.0, -800.0, 0.0, 0.0]]))
    assert np.all(np.isfinite(G)) and loss[0] == pytest.approx(1600.0)


@pytest.mark.parametrize("batch_size", [None, 16])
def test_logistic_regression_trained_with_adam_matches_pytorch(batch_size):
    X, y = gd.data.moons(n=120, noise=0.2, seed=5)
    model = gd.models.logistic_regression(X, y, l2=0.01)
    lr = 0.05
    P = np.zeros((1, model.n_params))
    opt = gd.optim.adam(lr)
    state = opt.init(P)
    lin = torch.nn.Linear(2, 1).double()
    with torch.no_grad():
        lin.weight.zero_()
        lin.bias.zero_()
    topt = torch.optim.Adam(lin.parameters(), lr=lr)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y.astype(float))
    order = np.random.default_rng(0).permutation(np.tile(np.arange(120), 8))
    for step in range(60):
        idx = None if batch_size is None else order[step * 16 : (step + 1) * 16]
        loss, G = model.value_and_grad(P, batch=idx)
        sel = slice(None) if idx is None else torch.from_numpy(idx)
        topt.zero_grad()
        ref = F.binary_cross_entropy_with_logits(lin(Xt[sel])[:, 0], yt[sel])
        ref = ref + 0.5 * 0.01 * (lin.weight**2).sum()
        ref.backward()
        assert abs(loss[0] - ref.item()) < 1e-9, step
        opt.step(P, G, state)
        topt.step()
    ref_params = np.concatenate([lin.weight.detach().numpy().ravel(), lin.bias.detach().numpy()])
    np.testing.assert_allclose(P[0], ref_params, rtol=1e-9, atol=1e-12)
    assert model.value(P)[0] < 0.45  # it did learn


# -- second order --------------------------------------------------------------------------------


def _torch_flat_loss(model, X, y):
    """The loss as a torch function of the flat parameter vector (for autograd references)."""
    Xt = torch.from_numpy(X)
    yt = torch.from_numpy(np.asarray(y))

    def loss(theta):
        a = Xt
        n_layers = len(model.layer_sizes) - 1
        off = 0
        reg = 0.0
        for i in range(n_layers):
            fi, fo = model.layer_sizes[i], model.layer_sizes[i + 1]
            W = theta[off : off + fi * fo].reshape(fi, fo)
            b = theta[off + fi * fo : off + fi * fo + fo]
            off += fi * fo + fo
            reg = reg + (W**2).sum()
            a = a @ W + b
            if i < n_layers - 1:
                a = torch.tanh(a) if model.activation == "tanh" else torch.relu(a)
        if model.head == "mse":
            value = ((a[:, 0] - yt) ** 2).mean()
        elif model.head == "bce":
            value = F.binary_cross_entropy_with_logits(a[:, 0], yt.double())
        else:
            value = F.cross_entropy(a, yt)
        return value + 0.5 * model.l2 * reg

    return loss


@pytest.mark.parametrize("name", MODELS)
def test_hvp_matches_torch(name):
    model = _make(name, l2=0.2)
    X, y = _data(
        {
            "linear": "regression",
            "mlp_reg": "regression",
            "logistic": "binary",
            "mlp_relu": "binary",
        }.get(name, "multi")
    )
    P = _params(model, n_runs=2)
    V = _params(model, n_runs=2, seed=9)
    Hv = model.hvp(P, V)
    f = _torch_flat_loss(model, X, y)
    exact = name in ("linear", "logistic", "softmax")
    for r in range(2):
        _, ref = torch.autograd.functional.hvp(f, torch.from_numpy(P[r]), torch.from_numpy(V[r]))
        tol = dict(rtol=1e-10, atol=1e-12) if exact else dict(rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(Hv[r], ref.numpy(), **tol)
    assert model.has_hvp


def _gauss_newton_diag(model, X, theta):
    """diag of (1/B) sum_i J_i^T H_i J_i with torch Jacobians of the logits (reference)."""
    Xt = torch.from_numpy(X)

    def logits(th):
        a = Xt
        off = 0
        n_layers = len(model.layer_sizes) - 1
        for i in range(n_layers):
            fi, fo = model.layer_sizes[i], model.layer_sizes[i + 1]
            a = a @ th[off : off + fi * fo].reshape(fi, fo) + th[off + fi * fo : off + fi * fo + fo]
            off += fi * fo + fo
            if i < n_layers - 1:
                a = torch.tanh(a) if model.activation == "tanh" else torch.relu(a)
        return a

    th = torch.from_numpy(theta)
    J = torch.autograd.functional.jacobian(logits, th)  # (B, K, P)
    z = logits(th).detach()
    if model.head == "mse":
        H = 2 * torch.ones(len(X), 1, 1, dtype=torch.float64)
    elif model.head == "bce":
        p = torch.sigmoid(z)
        H = (p * (1 - p))[:, :, None]
    else:
        p = torch.softmax(z, -1)
        H = torch.diag_embed(p) - p[:, :, None] * p[:, None, :]
    GN = torch.einsum("bkp,bkl,blp->p", J, H, J) / len(X)
    return GN.numpy() + model.l2 * _weight_mask(model)


def _weight_mask(model):
    mask = np.zeros(model.n_params)
    off = 0
    for fi, fo in zip(model.layer_sizes[:-1], model.layer_sizes[1:], strict=True):
        mask[off : off + fi * fo] = 1
        off += fi * fo + fo
    return mask


@pytest.mark.parametrize(
    "name", ["logistic", "softmax", "mlp_tanh", "mlp_relu", "mlp_reg", "linear"]
)
def test_gnb_estimate_is_unbiased_for_the_gauss_newton_diagonal(name):
    X, y = _data(
        {
            "linear": "regression",
            "mlp_reg": "regression",
            "logistic": "binary",
            "mlp_relu": "binary",
        }.get(name, "multi"),
        n=40,
        seed=2,
    )
    make = {
        "linear": lambda: gd.models.linear_regression(X, y, l2=0.1),
        "logistic": lambda: gd.models.logistic_regression(X, y, l2=0.1),
        "softmax": lambda: gd.models.softmax_regression(X, y, l2=0.1),
        "mlp_tanh": lambda: gd.models.mlp(X, y, hidden=(5, 4), l2=0.1),
        "mlp_relu": lambda: gd.models.mlp(X, y, hidden=(6,), activation="relu", l2=0.1),
        "mlp_reg": lambda: gd.models.mlp(X, y, hidden=(5,), task="regression", l2=0.1),
    }
    model = make[name]()
    theta = _params(model, n_runs=1, seed=3, scale=0.5)[0]
    batch = np.arange(5, 35)
    n_samples = 6000
    P = np.tile(theta, (n_samples, 1))  # every run draws its own labels
    h = model.gnb_hessian_diag(P, Random(np, seed=11), batch=batch)
    assert h.shape == P.shape and np.all(h >= 0)
    ref = _gauss_newton_diag(model, X[batch], theta)
    np.testing.assert_allclose(h.mean(axis=0), ref, rtol=0.12, atol=0.03 * ref.max())
    # for the models without hidden layers the Gauss-Newton matrix is the Hessian
    if name in ("linear", "logistic", "softmax"):
        e = np.eye(model.n_params)
        H = np.stack([model.hvp(theta, e[i], batch=batch) for i in range(model.n_params)])
        np.testing.assert_allclose(np.diag(H), ref, rtol=1e-9)
    # the same seed gives the same estimate; an int seed works too
    h1 = model.gnb_hessian_diag(theta, Random(np, seed=4), batch=batch)
    h2 = model.gnb_hessian_diag(theta, 4, batch=batch)
    np.testing.assert_array_equal(h1, h2)


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


def test_logistic_regression_through_gd_run_matches_pytorch_per_step():
    """The whole path a user takes (gd.run, full batch, from zero) against torch, 1e-9."""
    X, y = gd.data.moons(n=150, noise=0.25, seed=2)
    model = gd.models.logistic_regression(X, y)
    hist = gd.run(
        model,
        {"adam": gd.optim.adam(0.05)},
        start=np.zeros(model.n_params),
        steps=100,
        device="cpu",
    )
    lin = torch.nn.Linear(2, 1).double()
    with torch.no_grad():
        lin.weight.zero_()
        lin.bias.zero_()
    topt = torch.optim.Adam(lin.parameters(), lr=0.05)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y.astype(float))
    ref = []
    for _ in range(101):
        topt.zero_grad()
        loss = F.binary_cross_entropy_with_logits(lin(Xt)[:, 0], yt)
        loss.backward()
        ref.append(loss.item())
        topt.step()
    np.testing.assert_allclose(hist.loss[:, 0], ref, rtol=0, atol=1e-9)
