r"""Models on data as objectives: a dense network over one flat parameter vector.

Every model here (linear, logistic and softmax regression, the MLP) is a stack
of dense layers with a loss "head" on top, so one class does the forward pass,
the hand-written backward pass, Hessian-vector products and the Sophia
Gauss-Newton-Bartlett estimate for all of them.

Layout of the parameter vector
------------------------------
Layer by layer, the weight matrix ``W`` of shape ``(fan_in, fan_out)`` in
row-major order, then its bias ``b`` of shape ``(fan_out,)``, so that a layer
computes ``x @ W + b``. (PyTorch's ``nn.Linear.weight`` is the transpose.)
:meth:`Model.unflatten` gives the named views.

Vectorized over runs
--------------------
``params`` has shape ``(n_runs, n_params)`` (a single row ``(n_params,)`` is
accepted too, and then the results lose their run axis). The data are shared:
for a batch of ``B`` examples, activations are ``(n_runs, B, width)`` and every
product is one batched ``matmul``.

Loss
----
The mean over the examples of the batch of the per-example loss, plus an
optional L2 penalty on the weights only (biases are not penalized):

.. math::  L(\theta) = \frac{1}{B} \sum_{i \in \text{batch}} \ell(f(x_i; \theta), y_i)
           + \frac{\lambda}{2} \sum_{\text{layers}} \lVert W \rVert_F^2

with ``ell`` the squared error :math:`(f - y)^2` (regression), the binary
cross-entropy :math:`\log(1 + e^{z}) - y z` on the logit ``z`` (logistic
regression) or the cross-entropy :math:`\operatorname{logsumexp}(z) - z_y` on
the logits (softmax regression, MLP classifier). Both cross-entropies are
computed in the numerically stable forms (``logaddexp`` and a max-shifted
log-sum-exp), so large logits give finite losses and gradients.

Device and dtype
----------------
The model takes the array namespace from ``params`` (NumPy, CuPy, or another
array-API library) and the data follow: the first call with CuPy ``params``
copies ``X`` and ``y`` to the GPU once and keeps them there, and float32
``params`` use a float32 copy of ``X``, so float32 stays float32. Call
:meth:`Model.to` to make that copy ahead of time. ``X`` given as a CuPy array
stays on the GPU.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import check_choice, check_int, check_real
from ..backend import Backend, _is_cupy, get_backend, namespace_of, to_numpy
from ..data.validate import as_features, as_targets
from ..objectives.base import Objective
from ._arrays import _is_float_dtype, _mT, _quiet
from .heads import Heads
from .outputs import Outputs

__all__ = ["Model"]

HEADS = ("mse", "bce", "ce")
ACTIVATIONS = ("tanh", "relu")
#: the widest hidden layer and the most parameters a model may have
MAX_WIDTH = 1_000_000
MAX_PARAMS = 100_000_000


class Model(Heads, Outputs, Objective):
    """A dense network with a loss head, as an :class:`~gdwidget.objectives.base.Objective`.

    Use the factories :func:`~gdwidget.models.linear_regression`,
    :func:`~gdwidget.models.logistic_regression`,
    :func:`~gdwidget.models.softmax_regression` and :func:`~gdwidget.models.mlp`
    rather than this class.

    Parameters
    ----------
    X : array-like, shape (n, d)
        Features (NumPy, CuPy, pandas DataFrame, nested lists). A 1-D ``X`` is
        one feature per example.
    y : array-like, shape (n,)
        Targets: real values for ``head="mse"``, integer class labels otherwise.
    hidden : tuple of int
        Widths of the hidden layers (empty for the linear models).
    activation : {"tanh", "relu"}
        Activation of the hidden layers.
    head : {"mse", "bce", "ce"}
        Squared error, binary cross-entropy on one logit, or cross-entropy on
        ``n_classes`` logits.
    n_classes : int, optional
        For ``head="ce"``; inferred from ``y`` as ``max(y) + 1`` when omitted.
    l2 : float
        Strength of the L2 penalty ``0.5 * l2 * ||W||^2`` on the weights (not
        the biases).
    name : str

    Attributes
    ----------
    n_params, n_examples, n_features, n_classes : int
    task : {"regression", "classification"}
    layer_sizes : tuple of int
        ``(d, *hidden, n_outputs)``.
    """

    has_hvp = True

    def __init__(
        self,
        X: Any,
        y: Any,
        *,
        hidden: tuple[int, ...] = (),
        activation: str = "tanh",
        head: str = "mse",
        n_classes: int | None = None,
        l2: float = 0.0,
        name: str = "model",
    ) -> None:
        self.head = check_choice("head", head, HEADS)
        self.activation = check_choice("activation", activation, ACTIVATIONS)
        self.l2 = check_real("l2", l2, low=0.0)
        try:
            hidden = tuple(hidden)
        except TypeError:
            raise ValueError(f"hidden must be a tuple of layer widths, got {hidden!r}") from None
        hidden = tuple(check_int("hidden width", h, low=1, high=MAX_WIDTH) for h in hidden)
        Xa = as_features(X, "X")
        task = {"mse": "regression", "bce": "binary", "ce": "classification"}[self.head]
        ya, k = as_targets(y, Xa.shape[0], task, n_classes=n_classes)
        self.name = name
        self.task = "regression" if self.head == "mse" else "classification"
        self.n_classes = k
        self.n_examples, self.n_features = int(Xa.shape[0]), int(Xa.shape[1])
        n_out = k if self.head == "ce" else 1
        self.layer_sizes = (self.n_features, *hidden, n_out)
        # (weight offset, fan_in, fan_out, bias offset) per layer
        self._layout: list[tuple[int, int, int, int]] = []
        off = 0
        for fi, fo in zip(self.layer_sizes[:-1], self.layer_sizes[1:], strict=True):
            self._layout.append((off, fi, fo, off + fi * fo))
            off += fi * fo + fo
        if off > MAX_PARAMS:
            raise ValueError(
                f"{name} with layers {self.layer_sizes} would have {off:,} "
                f"parameters, more than {MAX_PARAMS:,}: use fewer or narrower "
                f"layers, or fewer features or classes"
            )
        self.n_params = off
        self._X, self._y = Xa, ya
        self._cache: dict[tuple[str, str], tuple[Any, Any]] = {}

    def structure(self) -> tuple[Any, ...]:
        """What a model and its validation model must share: ``(kind, head, activation,
        layer_sizes)`` (the activation is ``None`` without hidden layers).

        Two models with equal structures have the same parameter layout and compute the
        same function of their parameters; only their data differ.
        """
        act = self.activation if len(self._layout) > 1 else None
        return (type(self).__name__, self.head, act, tuple(self.layer_sizes))

    # -- data placement ----------------------------------------------------------------
    def _data(self, xp: Any, dtype: Any) -> tuple[Any, Any]:
        """``X`` and ``y`` in namespace ``xp``, ``X`` with ``dtype``; cached."""
        key = (getattr(xp, "__name__", str(xp)), str(dtype))
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        X, y = self._X, self._y
        if not (_is_cupy(X) and getattr(xp, "__name__", "") == "cupy"):
            X, y = to_numpy(X), to_numpy(y)
        X = xp.asarray(X, dtype=dtype)
        y = xp.asarray(y, dtype=xp.int64 if self.head == "ce" else dtype)
        self._cache[key] = (X, y)
        return X, y

    def to(self, device: str | Backend = "cpu", dtype: Any = "float64") -> Model:
        """Copy the data to ``device`` with ``dtype`` now (else on first use); returns self.

        Parameters
        ----------
        device : {"cpu", "gpu", "auto"} or Backend
        dtype : {"float64", "float32"}
        """
        be = get_backend(device, dtype)
        self._data(be.xp, be.dtype)
        return self

    # -- input checks ------------------------------------------------------------------
    def _check_params(self, params: Any, name: str = "params") -> tuple[Any, Any, bool]:
        if not hasattr(params, "shape") or not hasattr(params, "dtype"):
            params = np.asarray(params, dtype=np.float64)
        xp = namespace_of(params)
        single = params.ndim == 1
        if single:
            params = xp.reshape(params, (1, -1))
        if params.ndim != 2 or params.shape[1] != self.n_params:
            raise ValueError(
                f"{name} must have shape (n_runs, {self.n_params}) or "
                f"({self.n_params},) for {self.name}, got {tuple(params.shape)}"
            )
        if not _is_float_dtype(xp, params.dtype):
            raise ValueError(f"{name} must be float32 or float64, got dtype {params.dtype}")
        return params, xp, single

    def _check_batch(self, batch: Any, xp: Any) -> Any:
        if batch is None:
            return None
        b = batch
        if not hasattr(b, "shape") or not hasattr(b, "dtype"):
            b = np.asarray(b)
        kind = getattr(b.dtype, "kind", None)
        if kind is None:  # array-API dtype objects have no .kind
            kind = "i" if namespace_of(b).isdtype(b.dtype, "integral") else "f"
        if b.ndim != 1 or kind not in "iu":
            raise ValueError(
                f"batch must be None or a 1-D integer array of example indices, "
                f"got shape {tuple(b.shape)} and dtype {b.dtype}"
            )
        if b.shape[0] == 0:
            raise ValueError("batch is empty: give at least one example index")
        bxp = namespace_of(b)
        lo, hi = int(bxp.min(b)), int(bxp.max(b))
        if lo < 0 or hi >= self.n_examples:
            raise ValueError(
                f"batch indices must be in 0..{self.n_examples - 1}, got {lo if lo < 0 else hi}"
            )
        if bxp is not xp:
            b = xp.asarray(to_numpy(b))
        return b

    def _inputs(self, params: Any, batch: Any) -> tuple[Any, Any, Any, Any, bool]:
        P, xp, single = self._check_params(params)
        idx = self._check_batch(batch, xp)
        X, y = self._data(xp, P.dtype)
        if idx is not None:
            X, y = xp.take(X, idx, axis=0), xp.take(y, idx, axis=0)
        return P, X, y, xp, single

    # -- layers ------------------------------------------------------------------------
    def _layer(self, P: Any, xp: Any, i: int) -> tuple[Any, Any]:
        wo, fi, fo, bo = self._layout[i]
        W = xp.reshape(P[:, wo:bo], (P.shape[0], fi, fo))
        b = xp.reshape(P[:, bo : bo + fo], (P.shape[0], 1, fo))
        return W, b

    def _forward(self, P: Any, X: Any, xp: Any) -> tuple[Any, list[Any]]:
        """Logits ``(R, B, n_out)`` and the inputs of every layer (``X`` first)."""
        acts = [X]
        a = X
        last = len(self._layout) - 1
        for i in range(len(self._layout)):
            W, b = self._layer(P, xp, i)
            z = xp.matmul(a, W) + b
            if i < last:
                a = xp.tanh(z) if self.activation == "tanh" else xp.maximum(z, 0)
                acts.append(a)
            else:
                a = z
        return a, acts

    def _backward(self, P: Any, acts: list[Any], dz: Any, xp: Any) -> Any:
        """Gradient ``(R, n_params)`` from ``dz``, the derivative wrt the logits."""
        G = xp.empty_like(P)
        R = P.shape[0]
        for i in range(len(self._layout) - 1, -1, -1):
            wo, fi, fo, bo = self._layout[i]
            a_in = acts[i]
            if xp is np:  # write the weight gradient in place (G's block is a view)
                np.matmul(_mT(a_in), dz, out=G[:, wo:bo].reshape(R, fi, fo))
            else:
                G[:, wo:bo] = xp.reshape(xp.matmul(_mT(a_in), dz), (R, fi * fo))
            G[:, bo : bo + fo] = xp.sum(dz, axis=1)
            if i > 0:
                W, _ = self._layer(P, xp, i)
                da = xp.matmul(dz, _mT(W))
                if self.activation == "tanh":
                    dz = da * (1 - a_in * a_in)
                else:
                    dz = xp.where(a_in > 0, da, 0)
        return G

    def _weights_l2(self, P: Any, xp: Any) -> Any:
        """``0.5 * l2 * sum(W**2)`` per run."""
        total = 0
        for wo, _fi, _fo, bo in self._layout:
            total = total + xp.sum(P[:, wo:bo] * P[:, wo:bo], axis=1)
        return 0.5 * self.l2 * total

    def _add_l2_grad(self, G: Any, P: Any) -> None:
        for wo, _fi, _fo, bo in self._layout:
            G[:, wo:bo] += self.l2 * P[:, wo:bo]

    # -- heads -------------------------------------------------------------------------
    # -- the objective -----------------------------------------------------------------
    @_quiet
    def value_and_grad(self, params: Any, batch: Any = None) -> tuple[Any, Any]:
        """Mean loss and its gradient over the batch, for every run.

        Parameters
        ----------
        params : array, shape (n_runs, n_params) or (n_params,)
        batch : None or 1-D integer array
            Indices of the examples to use (repeats allowed); ``None`` uses all
            ``n_examples``.

        Returns
        -------
        loss : array, shape (n_runs,)
        grad : array, shape (n_runs, n_params)
        """
        P, X, y, xp, single = self._inputs(params, batch)
        z, acts = self._forward(P, X, xp)
        loss_ex, dz = self._head(z, y, xp)
        B = X.shape[0]
        loss = xp.mean(loss_ex, axis=1)
        G = self._backward(P, acts, dz * (1.0 / B), xp)
        if self.l2:
            loss = loss + self._weights_l2(P, xp)
            self._add_l2_grad(G, P)
        return (loss[0], G[0, ...]) if single else (loss, G)

    @_quiet
    def value(self, params: Any, batch: Any = None) -> Any:
        """Mean loss over the batch (``None``: all examples), ``(n_runs,)``."""
        P, X, y, xp, single = self._inputs(params, batch)
        z, _ = self._forward(P, X, xp)
        loss = xp.mean(self._head(z, y, xp)[0], axis=1)
        if self.l2:
            loss = loss + self._weights_l2(P, xp)
        return loss[0] if single else loss

    @_quiet
    def hvp(self, params: Any, v: Any, batch: Any = None) -> Any:
        r"""Hessian-vector product :math:`\nabla^2 L(\theta)\, v`, one per run.

        Exact for the models without hidden layers (linear, logistic and softmax
        regression: there the Hessian is :math:`J^\top H_\ell J / B` plus the L2
        term, computed in closed form). For the MLP it is the central finite
        difference of gradients
        :math:`(\nabla L(\theta + \epsilon v) - \nabla L(\theta - \epsilon v)) / 2\epsilon`
        with :math:`\epsilon = u^{1/3} \max(1, \lVert\theta\rVert_\infty) /
        \lVert v\rVert_\infty` per run (``u`` the unit roundoff of the dtype), which is
        accurate to about :math:`u^{2/3}` relative (1e-10 in float64, 1e-5 in float32).

        Parameters
        ----------
        params, v : arrays of the same shape, (n_runs, n_params) or (n_params,)
        batch : None or 1-D integer array
        """
        P, X, y, xp, single = self._inputs(params, batch)
        V, _, _ = self._check_params(v, "v")
        if V.shape != P.shape:
            raise ValueError(
                f"v must have the shape of params {tuple(P.shape)}, got {tuple(V.shape)}"
            )
        if len(self._layout) == 1:
            z, acts = self._forward(P, X, xp)
            W, b = self._layer(V, xp, 0)
            du = xp.matmul(X, W) + b
            s = self._curvature(z, du, xp) * (1.0 / X.shape[0])
            out = self._backward(P, acts, s, xp)
            if self.l2:
                self._add_l2_grad(out, V)
        else:
            u = float(xp.finfo(P.dtype).eps)
            pscale = xp.maximum(xp.max(xp.abs(P), axis=1, keepdims=True), 1.0)
            vscale = xp.max(xp.abs(V), axis=1, keepdims=True)
            vscale = xp.where(vscale > 0, vscale, 1.0)
            eps = u ** (1 / 3) * pscale / vscale
            both = (
                xp.concat([P + eps * V, P - eps * V], axis=0)
                if hasattr(xp, "concat")
                else xp.concatenate([P + eps * V, P - eps * V], axis=0)
            )
            _, G = self.value_and_grad(both, batch)
            R = P.shape[0]
            out = (G[:R, :] - G[R:, :]) / (2 * eps)
        return out[0, ...] if single else out

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} {self.name} layers={self.layer_sizes} "
            f"n_params={self.n_params} n_examples={self.n_examples}>"
        )
