"""Models on data, as objectives over one flat parameter vector.

>>> import gdwidget as gd
>>> X, y = gd.data.moons(200, seed=0)
>>> model = gd.models.mlp(X, y, hidden=(16,), activation="tanh")
>>> P = model.init_params(seed=0)[None, :]          # (n_runs, n_params)
>>> loss, grad = model.value_and_grad(P, batch=[0, 1, 2, 3])

All models share :class:`Model`: ``value_and_grad(params, batch=None)``,
``value``, ``hvp``, ``gnb_hessian_diag`` (Sophia), ``predict``, ``accuracy``
(classifiers), ``unflatten``, ``init_params`` and ``to(device, dtype)``. See
:mod:`gdwidget.models.network` for the parameter layout, the loss and how data
follow the parameters onto the GPU.
"""

from .compat import check_validation
from .network import Model
from .zoo import (
    MLP,
    LinearRegression,
    LogisticRegression,
    SoftmaxRegression,
    linear_regression,
    logistic_regression,
    mlp,
    softmax_regression,
)

__all__ = [
    "Model",
    "LinearRegression",
    "LogisticRegression",
    "SoftmaxRegression",
    "MLP",
    "linear_regression",
    "logistic_regression",
    "softmax_regression",
    "mlp",
    "check_validation",
]
