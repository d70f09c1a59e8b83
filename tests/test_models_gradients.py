"""Models on data: gradients against finite differences and PyTorch, losses and training
against torch.optim.Adam, batches."""

from __future__ import annotations

import numpy as np
import pytest
from models_helpers import MODELS, _data, _make, _params

import gdwidget as gd

torch = pytest.importorskip("torch")
F = torch.nn.functional


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
