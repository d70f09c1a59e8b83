"""Models on data: HVPs against torch autograd, the GNB Hessian estimate against the
Gauss-Newton diagonal."""

from __future__ import annotations

import numpy as np
import pytest
from models_helpers import MODELS, _data, _make, _params

import gdwidget as gd
from gdwidget.backend import Random

torch = pytest.importorskip("torch")
F = torch.nn.functional


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
