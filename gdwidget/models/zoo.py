"""The models users build: linear, logistic and softmax regression, and the MLP."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import check_choice
from ..backend import to_numpy
from .network import Model

__all__ = [
    "LinearRegression",
    "LogisticRegression",
    "SoftmaxRegression",
    "MLP",
    "linear_regression",
    "logistic_regression",
    "softmax_regression",
    "mlp",
]


class _Linear(Model):
    """A single dense layer with one output: parameters ``(w_1..w_d, b)``."""

    def _param_names(self) -> list[tuple[str, str]]:
        return [("w", "b")]

    def _shapes(self, i: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
        return (self.n_features,), ()


class LinearRegression(_Linear):
    """Least squares with a bias; see :func:`linear_regression`."""

    def __init__(self, X: Any, y: Any, l2: float = 0.0) -> None:
        super().__init__(X, y, head="mse", l2=l2, name="linear_regression")
        self._frame()

    def solution(self) -> np.ndarray:
        """The exact minimizer ``(w_1..w_d, b)`` (ridge when ``l2 > 0``), float64."""
        X = to_numpy(self._X).astype(np.float64)
        y = to_numpy(self._y).astype(np.float64)
        n, d = X.shape
        A = np.hstack([X, np.ones((n, 1))])
        # gradient: (2/n) A^T (A theta - y) + l2 * D theta = 0, D = diag(1..1, 0)
        H = (2.0 / n) * (A.T @ A)
        H[np.arange(d), np.arange(d)] += self.l2
        rhs = (2.0 / n) * (A.T @ y)
        theta, *_ = np.linalg.lstsq(H, rhs, rcond=None)
        return theta

    def _frame(self) -> None:
        """Landscape box, start and minimum: the box centred on the solution."""
        theta = self.solution()
        half = max(1.0, 1.5 * float(np.max(np.abs(theta))))
        self.minima = [tuple(float(t) for t in theta)]
        self.global_minima = list(self.minima)
        self.min_value = float(self.value(theta))
        self.bounds = tuple((float(t - half), float(t + half)) for t in theta)
        signs = np.where(np.arange(theta.size) % 2 == 0, -1.0, 1.0)
        self.default_start = tuple(float(t) for t in theta + 0.8 * half * signs)


class LogisticRegression(_Linear):
    """Binary cross-entropy on one logit; see :func:`logistic_regression`."""

    def __init__(self, X: Any, y: Any, l2: float = 0.0) -> None:
        super().__init__(X, y, head="bce", l2=l2, name="logistic_regression")


class SoftmaxRegression(Model):
    """Multinomial logistic regression; see :func:`softmax_regression`."""

    def __init__(self, X: Any, y: Any, n_classes: int | None = None, l2: float = 0.0) -> None:
        super().__init__(X, y, head="ce", n_classes=n_classes, l2=l2, name="softmax_regression")

    def _param_names(self) -> list[tuple[str, str]]:
        return [("W", "b")]


class MLP(Model):
    """A multilayer perceptron; see :func:`mlp`."""

    def __init__(
        self,
        X: Any,
        y: Any,
        hidden: Any = (16,),
        activation: str = "tanh",
        task: str = "classification",
        n_classes: int | None = None,
        l2: float = 0.0,
    ) -> None:
        task = check_choice("task", task, ("classification", "regression"))
        if isinstance(hidden, int):
            hidden = (hidden,)
        super().__init__(
            X,
            y,
            hidden=hidden,
            activation=activation,
            head="ce" if task == "classification" else "mse",
            n_classes=n_classes,
            l2=l2,
            name="mlp",
        )


def linear_regression(X: Any, y: Any, l2: float = 0.0) -> LinearRegression:
    r"""Linear least squares with a bias, as an objective on ``(w, b)``.

    .. math:: L(w, b) = \frac1B \sum_i (x_i^\top w + b - y_i)^2 + \frac{l_2}{2} \lVert w\rVert^2

    Parameters
    ----------
    X : array-like, shape (n, d) or (n,)
        Features (NumPy, CuPy, pandas, lists). 1-D ``X`` gives the line
        ``y = w x + b`` with parameters ordered ``(w, b)``.
    y : array-like, shape (n,)
        Real targets.
    l2 : float
        L2 penalty on ``w`` (not on ``b``).

    Returns
    -------
    LinearRegression
        ``n_params = d + 1``; ``bounds`` is a box centred on the exact
        solution, ``default_start`` a corner-ish point inside it,
        ``minima[0]`` the solution and ``min_value`` its loss;
        ``unflatten`` gives ``w`` ``(d,)`` and ``b`` ``()``.

    Examples
    --------
    >>> import gdwidget as gd
    >>> model = gd.models.linear_regression(*gd.data.linear(100, noise=0.1))
    >>> model.n_params, [round(t, 1) for t in model.minima[0]]
    (2, [2.0, -1.0])
    """
    return LinearRegression(X, y, l2=l2)


def logistic_regression(X: Any, y: Any, l2: float = 0.0) -> LogisticRegression:
    r"""Binary logistic regression, labels 0 and 1, parameters ``(w_1..w_d, b)``.

    .. math:: L(w, b) = \frac1B \sum_i \left[\log(1 + e^{z_i}) - y_i z_i\right]
              + \frac{l_2}{2}\lVert w\rVert^2, \qquad z_i = x_i^\top w + b

    computed with ``logaddexp`` so that large ``|z|`` stays finite. ``predict``
    gives :math:`P(y = 1) = \sigma(z)`; ``accuracy`` thresholds it at 1/2.
    """
    return LogisticRegression(X, y, l2=l2)


def softmax_regression(
    X: Any, y: Any, n_classes: int | None = None, l2: float = 0.0
) -> SoftmaxRegression:
    r"""Multinomial logistic regression: cross-entropy on ``x @ W + b``.

    .. math:: L(W, b) = \frac1B \sum_i \left[\operatorname{logsumexp}(z_i) - z_{i, y_i}\right]
              + \frac{l_2}{2}\lVert W\rVert_F^2, \qquad z_i = x_i^\top W + b

    with a max-shifted log-sum-exp. ``W`` is ``(d, n_classes)``, ``b``
    ``(n_classes,)``; ``n_params = (d + 1) * n_classes``. ``n_classes``
    defaults to ``max(y) + 1``.
    """
    return SoftmaxRegression(X, y, n_classes=n_classes, l2=l2)


def mlp(
    X: Any,
    y: Any,
    hidden: Any = (16,),
    activation: str = "tanh",
    task: str = "classification",
    n_classes: int | None = None,
    l2: float = 0.0,
) -> MLP:
    r"""A multilayer perceptron with a hand-written backward pass.

    Layers ``d -> hidden[0] -> ... -> out`` compute ``a @ W + b``; hidden layers
    use ``activation``; the output is ``n_classes`` logits with cross-entropy
    (``task="classification"``) or one value with squared error
    (``task="regression"``). Parameters ``W1, b1, W2, b2, ...`` (see
    ``unflatten``); ``init_params(seed)`` draws scaled random weights.

    Parameters
    ----------
    X, y : array-like
    hidden : int or tuple of int
        Hidden layer widths.
    activation : {"tanh", "relu"}
    task : {"classification", "regression"}
    n_classes : int, optional
        Classification only; default ``max(y) + 1``.
    l2 : float
        L2 penalty ``0.5 * l2 * sum ||W||^2`` on the weights, not the biases.
    """
    return MLP(X, y, hidden=hidden, activation=activation, task=task, n_classes=n_classes, l2=l2)
