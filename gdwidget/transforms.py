"""Gradient transforms, composed in front of any optimizer with :func:`chain`.

A transform changes the gradient before the optimizer sees it: clipping, noise.
Like the optimizers, each works on ``(n_runs, n_params)`` arrays of any array
namespace, and anything that reduces does so over the last axis: every run is
clipped by its own norm.

>>> import gdwidget as gd
>>> opt = gd.chain(gd.transforms.clip_by_global_norm(1.0), gd.optim.sgd(0.1, momentum=0.9))
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from ._checks import check_int, check_real
from .backend import Random, namespace_of, to_numpy
from .optim.base import Optimizer, State

__all__ = [
    "GradientTransform",
    "Chain",
    "clip_by_global_norm",
    "clip_by_value",
    "add_noise",
    "chain",
    "Toggles",
    "toggles",
]


class GradientTransform:
    """Base class: ``init(params) -> state`` and ``apply(grad, state, params)`` in place.

    ``apply`` receives a private copy of the gradient (see :class:`Chain`), which it
    may overwrite; it must not change ``params``.
    """

    name: str = "transform"

    def init(self, params: Any) -> State:
        return {}

    def apply(self, grad: Any, state: State, params: Any) -> None:
        raise NotImplementedError

    def describe(self, changed_only: bool = False) -> str:
        """A short text such as ``clip_by_global_norm(max_norm=1.0)``.

        ``changed_only=True`` leaves out the arguments that have their default value.
        """
        hyper = self._hyper()
        if changed_only:
            defaults = {
                k: p.default
                for k, p in inspect.signature(type(self).__init__).parameters.items()
                if p.default is not inspect.Parameter.empty
            }
            hyper = {k: v for k, v in hyper.items() if k not in defaults or defaults[k] != v}
        args = ", ".join(f"{k}={v!r}" for k, v in hyper.items())
        return f"{self.name}({args})"

    def _hyper(self) -> dict[str, Any]:
        return {}

    def __repr__(self) -> str:
        return self.describe()


class ClipByGlobalNorm(GradientTransform):
    r"""Scale each run's gradient so that its Euclidean norm is at most ``max_norm``.

    Per run (row) :math:`g`, as ``torch.nn.utils.clip_grad_norm_`` applied to that run:

    .. math::

        g \leftarrow g \cdot \min\!\left(1,\ \frac{c}{\lVert g \rVert_2 + 10^{-6}}\right)
    """

    name = "clip_by_global_norm"

    def __init__(self, max_norm: float) -> None:
        self.max_norm = check_real("max_norm", max_norm, low=0.0, low_open=True)

    def _hyper(self) -> dict[str, Any]:
        return {"max_norm": self.max_norm}

    def apply(self, grad: Any, state: State, params: Any) -> None:
        xp = namespace_of(grad)
        norm = xp.sqrt(xp.sum(grad * grad, axis=-1, keepdims=True))
        grad *= xp.clip(self.max_norm / (norm + 1e-6), max=1.0)


class ClipByValue(GradientTransform):
    r"""Clip every gradient entry to :math:`[-c, c]`, as ``torch.nn.utils.clip_grad_value_``.

    .. math::

        g_i \leftarrow \min(\max(g_i, -c), c)
    """

    name = "clip_by_value"

    def __init__(self, limit: float) -> None:
        self.limit = check_real("limit", limit, low=0.0, low_open=True)

    def _hyper(self) -> dict[str, Any]:
        return {"limit": self.limit}

    def apply(self, grad: Any, state: State, params: Any) -> None:
        xp = namespace_of(grad)
        grad[...] = xp.clip(grad, min=-self.limit, max=self.limit)


class AddNoise(GradientTransform):
    r"""Add annealed Gaussian noise (Neelakantan et al. 2015), as ``optax.add_noise``.

    On update :math:`t = 0, 1, \dots`:

    .. math::

        g \leftarrow g + \sigma_t\, z, \qquad
        \sigma_t^2 = \frac{\eta}{(1 + t)^{\gamma}}, \qquad z \sim \mathcal N(0, I)

    The generator is seeded and kept in the state, so equal seeds give equal runs.
    """

    name = "add_noise"

    def __init__(self, eta: float, gamma: float = 0.55, seed: int = 0) -> None:
        self.eta = check_real("eta", eta, low=0.0)
        self.gamma = check_real("gamma", gamma, low=0.0)
        self.seed = check_int("seed", seed, low=0)

    def _hyper(self) -> dict[str, Any]:
        return {"eta": self.eta, "gamma": self.gamma, "seed": self.seed}

    def init(self, params: Any) -> State:
        return {"count": 0, "rng": Random(namespace_of(params), self.seed)}

    def apply(self, grad: Any, state: State, params: Any) -> None:
        std = (self.eta / (1.0 + state["count"]) ** self.gamma) ** 0.5
        grad += std * state["rng"].normal(tuple(grad.shape), grad.dtype)
        state["count"] += 1


class Toggles(GradientTransform):
    r"""A clip and a noise that can be switched on and off while the runs go on.

    ``max_norm`` (None: off) clips each run's gradient exactly as
    :class:`ClipByGlobalNorm`; then ``sigma`` (None: off) adds constant Gaussian noise
    exactly as :class:`AddNoise` with ``eta = sigma**2`` and ``gamma = 0``, from a
    generator seeded with ``seed`` that draws only while the noise is on. The live
    toggles (:mod:`gdwidget.live.toggles`) put one in front of an optimizer group and
    change its attributes.

    The state records the clipped updates: ``"clipped"`` is a list of ``(step, rows)``,
    ``step`` the step the update led to (``state["step"]`` counts the updates) and
    ``rows`` the group's rows whose gradient the clip shortened.
    """

    name = "toggles"

    def __init__(self, max_norm: float | None = None, sigma: float | None = None, seed: int = 0):
        self.max_norm = (
            None if max_norm is None else check_real("max_norm", max_norm, low=0.0, low_open=True)
        )
        self.sigma = None if sigma is None else check_real("sigma", sigma, low=0.0, low_open=True)
        self.seed = check_int("seed", seed, low=0)

    def _hyper(self) -> dict[str, Any]:
        return {"max_norm": self.max_norm, "sigma": self.sigma, "seed": self.seed}

    def init(self, params: Any) -> State:
        rng = Random(namespace_of(params), self.seed)
        return {"step": 0, "count": 0, "rng": rng, "clipped": []}

    def apply(self, grad: Any, state: State, params: Any) -> None:
        xp = namespace_of(grad)
        state["step"] += 1
        log = state["clipped"]
        while log and log[-1][0] >= state["step"]:  # a step undone and taken again
            log.pop()
        if self.max_norm is not None:  # ClipByGlobalNorm.apply, and which rows it shortened
            norm = xp.sqrt(xp.sum(grad * grad, axis=-1, keepdims=True))
            factor = xp.clip(self.max_norm / (norm + 1e-6), max=1.0)
            grad *= factor
            rows = [int(i) for i in np.flatnonzero(np.asarray(to_numpy(factor))[:, 0] < 1.0)]
            if rows:
                log.append((state["step"], tuple(rows)))
        if self.sigma is not None:  # AddNoise.apply with eta = sigma**2, gamma = 0
            std = (self.sigma**2 / (1.0 + state["count"]) ** 0.0) ** 0.5
            grad += std * state["rng"].normal(tuple(grad.shape), grad.dtype)
            state["count"] += 1


class Chain(Optimizer):
    """Transforms applied in order to a copy of the gradient, then an optimizer.

    The state is ``{"step", "transforms": [their states], "inner": the optimizer's
    state}``. ``lr``, ``lr_scale``, the hyperparameters, ``hessian_every`` and
    :meth:`estimate_hessian` are the optimizer's (read and set through the chain, nested
    chains too), so ``Run.set_lr`` on a chain changes the optimizer's steps and a chained
    Sophia still gets its Hessian estimates from the engine.
    """

    def __init__(self, transforms: tuple[GradientTransform, ...], optimizer: Optimizer) -> None:
        for t in transforms:
            if not isinstance(t, GradientTransform):
                raise ValueError(
                    f"chain: expected gradient transforms before the optimizer, got {t!r}"
                )
        if not isinstance(optimizer, Optimizer):
            raise ValueError(f"chain: the last argument must be an optimizer, got {optimizer!r}")
        self.transforms = tuple(transforms)
        self.optimizer = optimizer

    # -- everything but the transforms is the optimizer's ------------------------------
    @property
    def lr(self) -> Any:  # type: ignore[override]
        return self.optimizer.lr

    @lr.setter
    def lr(self, value: Any) -> None:
        self.optimizer.lr = value

    @property
    def lr_scale(self) -> float:  # type: ignore[override]
        return self.optimizer.lr_scale

    @lr_scale.setter
    def lr_scale(self, value: float) -> None:
        self.optimizer.lr_scale = value

    @property
    def name(self) -> str:  # type: ignore[override]
        return self.optimizer.name

    @property
    def hessian_every(self) -> int:  # type: ignore[override]
        return self.optimizer.hessian_every

    @property
    def hyper(self) -> dict[str, Any]:  # type: ignore[override]
        return self.optimizer.hyper

    def defaults(self) -> dict[str, Any]:
        return self.optimizer.defaults()

    def lr_at(self, step: int) -> float:
        return self.optimizer.lr_at(step)

    def checked_lr_at(self, step: int) -> float:
        return self.optimizer.checked_lr_at(step)

    def init(self, params: Any) -> State:
        return {
            "step": 0,
            "transforms": [t.init(params) for t in self.transforms],
            "inner": self.optimizer.init(params),
        }

    def step(
        self, params: Any, grad: Any, state: State, hessian: Any = None, lr: float | None = None
    ) -> None:
        g = _copy(grad)
        for t, s in zip(self.transforms, state["transforms"], strict=True):
            t.apply(g, s, params)
        self.optimizer.step(params, g, state["inner"], hessian, lr=lr)
        state["step"] += 1

    def estimate_hessian(self, objective: Any, params: Any, state: State, batch: Any = None) -> Any:
        """The optimizer's Hessian estimate (for Sophia); see ``Sophia.estimate_hessian``."""
        inner = getattr(self.optimizer, "estimate_hessian", None)
        if inner is None:
            raise AttributeError(f"{self.optimizer.name} uses no Hessian estimate")
        return inner(objective, params, state["inner"], batch=batch)

    def describe(self, changed_only: bool = False) -> dict[str, Any]:
        """The optimizer's description plus ``"transforms"``: the texts of the transforms.

        A nested chain lists its transforms in the order they apply.
        """
        d = dict(self.optimizer.describe(changed_only=changed_only))
        inner = d.pop("transforms", [])
        d["transforms"] = [t.describe(changed_only=changed_only) for t in self.transforms]
        d["transforms"] += inner
        return d

    def __repr__(self) -> str:
        parts = [t.describe() for t in self.transforms] + [repr(self.optimizer)]
        return f"chain({', '.join(parts)})"


def _copy(a: Any) -> Any:
    xp = namespace_of(a)
    out = xp.empty_like(a)
    out[...] = a
    return out


def clip_by_global_norm(max_norm: float) -> ClipByGlobalNorm:
    """Clip each run's gradient to Euclidean norm ``max_norm`` (torch's ``clip_grad_norm_``)."""
    return ClipByGlobalNorm(max_norm)


def clip_by_value(limit: float) -> ClipByValue:
    """Clip each gradient entry to ``[-limit, limit]`` (torch's ``clip_grad_value_``)."""
    return ClipByValue(limit)


def add_noise(eta: float, gamma: float = 0.55, seed: int = 0) -> AddNoise:
    """Add Gaussian noise of variance ``eta / (1 + t)**gamma`` (``optax.add_noise``)."""
    return AddNoise(eta, gamma=gamma, seed=seed)


def toggles(max_norm: float | None = None, sigma: float | None = None, seed: int = 0) -> Toggles:
    """A clip (``max_norm``) and a constant noise (``sigma``), each None for off: see
    :class:`Toggles`."""
    return Toggles(max_norm, sigma=sigma, seed=seed)


def chain(*parts: Any, optimizer: Optimizer | None = None) -> Chain:
    """Apply gradient transforms, in order, in front of an optimizer.

    ``chain(t1, t2, opt)`` or ``chain(t1, t2, optimizer=opt)``; the result is an
    :class:`~gdwidget.optim.Optimizer` and can itself be chained.
    """
    if optimizer is None:
        if not parts:
            raise ValueError("chain needs an optimizer as its last argument")
        *transforms, optimizer = parts
    else:
        transforms = list(parts)
    return Chain(tuple(transforms), optimizer)
