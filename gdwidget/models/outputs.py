"""What a model gives besides its loss: named weights, starting points, predictions,
accuracy and Sophia's Hessian estimate.

:class:`Outputs` is a mixin of :class:`~gdwidget.models.network.Model`; it uses the
model's layout (``_layout``, ``layer_sizes``), checks and forward pass.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._checks import check_int
from ..backend import Random, _is_cupy, namespace_of, to_numpy
from ..data.validate import as_features
from ._arrays import _astype, _quiet

__all__ = ["Outputs"]


class Outputs:
    """Methods of :class:`~gdwidget.models.network.Model` beyond the loss and its derivatives."""

    @_quiet
    def gnb_hessian_diag(self, params: Any, rng: Random | int, batch: Any = None) -> Any:
        r"""Gauss-Newton-Bartlett estimate of the Hessian diagonal (Sophia's estimator).

        Labels :math:`\hat y_i` are sampled from the model's own predicted
        distribution (softmax or sigmoid), independently for every run; then

        .. math::  \hat g = \nabla_\theta \frac{1}{B} \sum_{i} \ell(f(x_i; \theta), \hat y_i),
                   \qquad \hat h = B\, \hat g \odot \hat g

        whose expectation is the diagonal of the Gauss-Newton matrix
        :math:`\frac1B \sum_i J_i^\top H_\ell J_i` (Liu et al., 2023, "Sophia").
        For the squared-error models the same estimator is used with
        :math:`\hat y_i \sim \mathcal N(f(x_i), 1/2)`, which has the same
        property for :math:`\ell = (f - y)^2`. The L2 term's exact Hessian
        diagonal (``l2`` on the weights) is added.

        Parameters
        ----------
        params : array, shape (n_runs, n_params) or (n_params,)
        rng : gdwidget.backend.Random or int
            Source of the sampled labels (an int seeds a new one).
        batch : None or 1-D integer array
            Examples to use (``None``: all); ``B`` is its length.

        Returns
        -------
        array, shape like ``params``, non-negative.
        """
        P, X, y, xp, single = self._inputs(params, batch)
        if isinstance(rng, int | np.integer) and not isinstance(rng, bool):
            rng = Random(xp, int(rng))
        if not isinstance(rng, Random):
            raise ValueError(f"rng must be a gdwidget.backend.Random or an int seed, got {rng!r}")
        z, acts = self._forward(P, X, xp)
        R, B = z.shape[0], z.shape[1]

        def draw(kind: str, shape: tuple[int, ...]) -> Any:
            a = rng.uniform(shape, P.dtype) if kind == "u" else rng.normal(shape, P.dtype)
            return a if namespace_of(a) is xp else xp.asarray(to_numpy(a), dtype=P.dtype)

        if self.head == "mse":
            y_hat = z[..., 0] + math.sqrt(0.5) * draw("n", (R, B))
        elif self.head == "bce":
            y_hat = _astype(xp, draw("u", (R, B)) < self._probs(z, xp), P.dtype)
        else:
            cdf = (
                xp.cumulative_sum(self._probs(z, xp), axis=-1)
                if hasattr(xp, "cumulative_sum")
                else xp.cumsum(self._probs(z, xp), axis=-1)
            )
            u = draw("u", (R, B, 1))
            k = self.layer_sizes[-1]
            y_hat = xp.minimum(xp.sum(_astype(xp, cdf <= u, xp.int64), axis=-1), k - 1)
        _, dz = self._head(z, y_hat, xp, need_loss=False)
        g = self._backward(P, acts, dz * (1.0 / B), xp)
        h = B * g * g
        if self.l2:
            for wo, _fi, _fo, bo in self._layout:
                h[:, wo:bo] += self.l2
        return h[0, ...] if single else h

    # -- views -------------------------------------------------------------------------
    def _param_names(self) -> list[tuple[str, str]]:
        """Names of (weight, bias) per layer."""
        return [(f"W{i + 1}", f"b{i + 1}") for i in range(len(self._layout))]

    def _shapes(self, i: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
        _, fi, fo, _ = self._layout[i]
        return (fi, fo), (fo,)

    def unflatten(self, params: Any) -> dict[str, Any]:
        """Named views of the layers of one parameter row (or of every run).

        Parameters
        ----------
        params : array, shape (n_params,) or (n_runs, n_params)

        Returns
        -------
        dict
            Name to array (a view, not a copy), with the run axis first when
            ``params`` is 2-D. For the MLP: ``W1``, ``b1``, ``W2``, ...; each
            ``W`` is ``(fan_in, fan_out)`` (layers compute ``x @ W + b``).
        """
        if not hasattr(params, "shape"):
            params = np.asarray(params, dtype=np.float64)
        xp = namespace_of(params)
        if params.shape[-1] != self.n_params or params.ndim not in (1, 2):
            raise ValueError(
                f"params must have shape ({self.n_params},) or (n_runs, "
                f"{self.n_params}), got {tuple(params.shape)}"
            )
        lead = tuple(params.shape[:-1])
        out = {}
        for i, (wname, bname) in enumerate(self._param_names()):
            wo, _fi, fo, bo = self._layout[i]
            wshape, bshape = self._shapes(i)
            out[wname] = xp.reshape(params[..., wo:bo], (*lead, *wshape))
            out[bname] = xp.reshape(params[..., bo : bo + fo], (*lead, *bshape))
        return out

    def init_params(self, seed: int = 0, dtype: Any = "float64") -> np.ndarray:
        """A starting parameter vector ``(n_params,)`` as a NumPy array.

        Zeros for the models without hidden layers. For the MLP, weights drawn
        from a normal distribution with standard deviation ``sqrt(2 / fan_in)``
        for ReLU hidden layers (He) and ``sqrt(1 / fan_in)`` for tanh hidden
        layers and the output layer (LeCun); biases zero. Reproducible by seed.
        """
        dt = np.dtype(dtype)
        if dt.name not in ("float32", "float64"):
            raise ValueError(f"dtype must be float32 or float64, got {dtype!r}")
        theta = np.zeros(self.n_params, dtype=np.float64)
        if len(self._layout) > 1:
            rng = np.random.default_rng(check_int("seed", seed, low=0))
            last = len(self._layout) - 1
            for i, (wo, fi, _fo, bo) in enumerate(self._layout):
                gain = 2.0 if (self.activation == "relu" and i < last) else 1.0
                theta[wo:bo] = rng.standard_normal(bo - wo) * math.sqrt(gain / fi)
        return theta.astype(dt)

    # -- predictions -------------------------------------------------------------------
    @_quiet
    def predict(self, params: Any, X: Any = None) -> Any:
        """Model outputs on ``X`` (default: the training data).

        Returns
        -------
        array
            Regression: predicted values ``(n_runs, m)``. Logistic regression:
            ``P(y = 1)`` ``(n_runs, m)``. Softmax regression and the MLP
            classifier: class probabilities ``(n_runs, m, n_classes)``. The run
            axis is dropped when ``params`` is 1-D.
        """
        P, xp, single = self._check_params(params)
        if X is None:
            Xd = self._data(xp, P.dtype)[0]
        else:
            Xa = as_features(X, "X", n_features=self.n_features)
            if not (_is_cupy(Xa) and getattr(xp, "__name__", "") == "cupy"):
                Xa = to_numpy(Xa)
            Xd = xp.asarray(Xa, dtype=P.dtype)
        z, _ = self._forward(P, Xd, xp)
        out = z[..., 0] if self.head == "mse" else self._probs(z, xp)
        return out[0, ...] if single else out

    @_quiet
    def accuracy(self, params: Any, batch: Any = None) -> Any:
        """Share of examples whose most probable class is the label, ``(n_runs,)``.

        Only for classifiers (logistic and softmax regression, the MLP with
        ``task="classification"``).
        """
        if self.task != "classification":
            raise ValueError(
                f"accuracy is defined for classifiers; {self.name} is a "
                "regression model (use value() for its mean squared error)"
            )
        P, X, y, xp, single = self._inputs(params, batch)
        z, _ = self._forward(P, X, xp)
        if self.head == "bce":
            pred = _astype(xp, z[..., 0] > 0, P.dtype)
            hit = pred == y
        else:
            hit = xp.argmax(z, axis=-1) == y
        acc = xp.mean(_astype(xp, hit, P.dtype), axis=1)
        return acc[0] if single else acc
