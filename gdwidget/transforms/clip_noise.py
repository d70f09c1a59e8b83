"""The clip and noise transforms: :class:`ClipByGlobalNorm`, :class:`ClipByValue`,
:class:`AddNoise`, and :class:`Toggles` (a clip and a noise switched on and off while the runs
go on), each with its factory (``clip_by_global_norm`` ...)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _transform_runs as per_run
from .._checks import check_int, check_real
from ..backend import Random, namespace_of, to_numpy
from ..optim.base import State
from ..optim.hyper import hyper_value
from .base import GradientTransform

__all__ = [
    "ClipByGlobalNorm",
    "ClipByValue",
    "AddNoise",
    "Toggles",
    "clip_by_global_norm",
    "clip_by_value",
    "add_noise",
    "toggles",
]


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
