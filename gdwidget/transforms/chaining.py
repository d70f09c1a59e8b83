"""The chain: gradient transforms applied in order in front of an optimizer, which is itself
an optimizer (:class:`Chain`, built by :func:`chain`; ``gd.chain``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import namespace_of
from ..optim.base import Optimizer, State
from .base import GradientTransform

__all__ = ["Chain", "chain"]


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
        # per-run settings, by name (History's columns, legends, meta's "swept"); a name the
        # optimizer has gets the transform's prefix, whether or not its value is shown
        taken = set(d) | set(self.optimizer.describe() if changed_only else ())
        for t in self.transforms:
            for k, v in t._hyper().items():
                if isinstance(v, np.ndarray):
                    name = k if k not in taken else f"{t.name}.{k}"
                    if name not in taken:
                        d[name] = v
                        taken.add(name)
        return d

    def __repr__(self) -> str:
        parts = [t.describe() for t in self.transforms] + [repr(self.optimizer)]
        return f"chain({', '.join(parts)})"


def _copy(a: Any) -> Any:
    xp = namespace_of(a)
    out = xp.empty_like(a)
    out[...] = a
    return out


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
