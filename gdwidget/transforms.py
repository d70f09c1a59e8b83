"""Gradient transforms, composed in front of any optimizer with :func:`chain`.

A transform changes the gradient before the optimizer sees it: clipping, noise.
Like the optimizers, each works on ``(n_runs, n_params)`` arrays of any array
namespace, and anything that reduces does so over the last axis: every run is
clipped by its own norm.

Their numeric settings may be one value per run, as an optimizer's hyperparameters
(:mod:`gdwidget.optim.hyper`, same checks): ``clip_by_global_norm(np.logspace(-1, 1, 50))``
in a chain makes 50 runs in one group, each clipped as a chain with its own value would.

>>> import gdwidget as gd
>>> opt = gd.chain(gd.transforms.clip_by_global_norm(1.0), gd.optim.sgd(0.1, momentum=0.9))
"""

from __future__ import annotations

import copy
import inspect
from typing import Any

import numpy as np

from . import _transform_runs as per_run
from ._checks import check_int, check_real
from .backend import Random, namespace_of, to_numpy
from .optim.base import Optimizer, State
from .optim.hyper import hyper_value, runs_of, show

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
            hyper = {
                k: v
                for k, v in hyper.items()
                if isinstance(v, np.ndarray) or k not in defaults or defaults[k] != v
            }
        args = ", ".join(
            f"{k}={show(v) if isinstance(v, np.ndarray) else repr(v)}" for k, v in hyper.items()
        )
        return f"{self.name}({args})"

    def _hyper(self) -> dict[str, Any]:
        return {}

    @property
    def n_runs(self) -> int | None:
        """How many runs the per-run settings give; None if all are numbers."""
        return runs_of(self._hyper())

    def row(self, i: int) -> GradientTransform:
        """A copy of this transform with run ``i``'s settings (numbers, not arrays)."""
        out = copy.copy(self)
        for k, v in self._hyper().items():
            if isinstance(v, np.ndarray):
                setattr(out, k, v[i].item())
        return out

    def __repr__(self) -> str:
        return self.describe()


class ClipByGlobalNorm(GradientTransform):
    r"""Scale each run's gradient so that its Euclidean norm is at most ``max_norm``.

    Per run (row) :math:`g`, as ``torch.nn.utils.clip_grad_norm_`` applied to that run:

    .. math::

        g \leftarrow g \cdot \min\!\left(1,\ \frac{c}{\lVert g \rVert_2 + 10^{-6}}\right)
    """

    name = "clip_by_global_norm"

    def __init__(self, max_norm: Any) -> None:
        self.max_norm = hyper_value("max_norm", max_norm, low=0.0, low_open=True)

    def _hyper(self) -> dict[str, Any]:
        return {"max_norm": self.max_norm}

    def apply(self, grad: Any, state: State, params: Any) -> None:
        xp = namespace_of(grad)
        norm = xp.sqrt(xp.sum(grad * grad, axis=-1, keepdims=True))
        grad *= xp.clip(per_run.column(self.max_norm, grad) / (norm + 1e-6), max=1.0)


class ClipByValue(GradientTransform):
    r"""Clip every gradient entry to :math:`[-c, c]`, as ``torch.nn.utils.clip_grad_value_``.

    .. math::

        g_i \leftarrow \min(\max(g_i, -c), c)
    """

    name = "clip_by_value"

    def __init__(self, limit: Any) -> None:
        self.limit = hyper_value("limit", limit, low=0.0, low_open=True)

    def _hyper(self) -> dict[str, Any]:
        return {"limit": self.limit}

    def apply(self, grad: Any, state: State, params: Any) -> None:
        xp = namespace_of(grad)
        limit = per_run.column(self.limit, grad)
        grad[...] = xp.clip(grad, min=-limit, max=limit)


class AddNoise(GradientTransform):
    r"""Add annealed Gaussian noise (Neelakantan et al. 2015), as ``optax.add_noise``.

    On update :math:`t = 0, 1, \dots`:

    .. math::

        g \leftarrow g + \sigma_t\, z, \qquad
        \sigma_t^2 = \frac{\eta}{(1 + t)^{\gamma}}, \qquad z \sim \mathcal N(0, I)

    The generator is seeded and kept in the state, so equal seeds give equal runs.

    ``eta``, ``gamma`` and ``seed`` may be one value per run. Then each run draws from its
    own generator, seeded with its ``seed`` (the same for every run when ``seed`` is one
    number), so each run gets the noise a chain with its settings alone would get.
    """

    name = "add_noise"

    def __init__(self, eta: Any, gamma: Any = 0.55, seed: Any = 0) -> None:
        self.eta = hyper_value("eta", eta, low=0.0)
        self.gamma = hyper_value("gamma", gamma, low=0.0)
        self.seed = per_run.seed_value(seed)
        _ = self.n_runs  # the per-run settings agree in length

    def _hyper(self) -> dict[str, Any]:
        return {"eta": self.eta, "gamma": self.gamma, "seed": self.seed}

    def init(self, params: Any) -> State:
        xp = namespace_of(params)
        n = self.n_runs
        if n is None:
            return {"count": 0, "rng": Random(xp, self.seed)}
        per_run.rows_match("add_noise", n, params)
        seeds = self.seed.tolist() if isinstance(self.seed, np.ndarray) else [self.seed] * n
        return {"count": 0, "rng": [Random(xp, s) for s in seeds]}

    def apply(self, grad: Any, state: State, params: Any) -> None:
        rng, count = state["rng"], state["count"]
        if not isinstance(rng, list):
            std = (self.eta / (1.0 + count) ** self.gamma) ** 0.5
            grad += std * rng.normal(tuple(grad.shape), grad.dtype)
        else:  # one generator and one sigma per run, each computed as for a single run
            xp = namespace_of(grad)
            n, shape = len(rng), (1, *tuple(grad.shape)[1:])
            eta, gamma = (per_run.each(v, n) for v in (self.eta, self.gamma))
            std = np.array(
                [(e / (1.0 + count) ** g) ** 0.5 for e, g in zip(eta, gamma, strict=True)]
            )
            concat = getattr(xp, "concat", None) or xp.concatenate
            z = concat([r.normal(shape, grad.dtype) for r in rng], axis=0)
            grad += per_run.column(std, grad) * z
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
        _ = self.n_runs  # the per-run settings agree in length

    @property
    def n_runs(self) -> int | None:  # type: ignore[override]
        """How many runs the per-run settings give, the transforms' and the optimizer's
        (None if all are numbers); ValueError if two differ."""
        sizes = [(t.name, t.n_runs) for t in self.transforms]
        sizes.append((self.optimizer.name, self.optimizer.n_runs))
        given = [(name, n) for name, n in sizes if n is not None]
        if len({n for _, n in given}) > 1:
            shown = ", ".join(f"{name}: {n}" for name, n in given)
            raise ValueError(f"per-run settings in a chain must all have one length, got {shown}")
        return given[0][1] if given else None

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
        for t in self.transforms:  # per-run settings, by name (History's columns, legends)
            for k, v in t._hyper().items():
                if isinstance(v, np.ndarray):
                    d.setdefault(k if k not in d else f"{t.name}.{k}", v)
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
