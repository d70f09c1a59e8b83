"""Shared by the model tests: small data sets, one model of each kind, random parameters."""

from __future__ import annotations

import numpy as np

import gdwidget as gd


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
