"""The optimizer contract shared by every rule in :mod:`gdwidget.optim`.

An optimizer is a small object holding hyperparameters. ``init(params)`` returns
its state (a dict of arrays plus the integer ``"step"``), and
``step(params, grad, state)`` applies one update, changing ``params`` and
``state`` in place. Arrays may be NumPy, CuPy or any array-API namespace; the
rule asks the arrays for their namespace and never converts them.

Parameters are laid out as ``(n_runs, n_params)``: every rule is elementwise,
so the same step advances many independent runs at once. Anything that reduces
(norms in gradient transforms, Hessian estimates) reduces over the last axis,
one value per run.
"""

from __future__ import annotations

import inspect
from typing import Any

from .._checks import check_lr
from ..backend import namespace_of

State = dict[str, Any]


class Optimizer:
    """Base class: hyperparameters, learning rate (float or schedule) and the step contract.

    Subclasses set ``name``, implement :meth:`_init` (extra state arrays) and
    :meth:`_update` (the rule, given the learning rate of this step), and list
    their hyperparameters in ``self.hyper`` for display.
    """

    name: str = "optimizer"
    #: > 0 for optimizers that use a Hessian-diagonal estimate refreshed every k steps
    #: (Sophia); the engine then passes ``hessian=`` to :meth:`step` on those steps.
    hessian_every: int = 0

    def __init__(self, lr: Any, **hyper: Any) -> None:
        self.lr = check_lr(lr)
        self.hyper = hyper

    # -- learning rate ---------------------------------------------------------------
    def lr_at(self, step: int) -> float:
        """The learning rate of update number ``step`` (0 for the first update)."""
        return float(self.lr(step)) if callable(self.lr) else float(self.lr)

    # -- the contract ----------------------------------------------------------------
    def init(self, params: Any) -> State:
        """Fresh state for ``params`` (zeros like ``params``, step 0)."""
        state: State = {"step": 0}
        state.update(self._init(params, namespace_of(params)))
        return state

    def step(self, params: Any, grad: Any, state: State, hessian: Any = None) -> None:
        """Apply one update to ``params`` and ``state`` in place.

        ``hessian`` is a Hessian-diagonal estimate shaped like ``params``; only
        optimizers with ``hessian_every > 0`` use it.
        """
        lr = self.lr_at(state["step"])
        self._update(params, grad, state, lr, namespace_of(params, grad), hessian)
        state["step"] += 1

    # -- for subclasses ----------------------------------------------------------------
    def _init(self, params: Any, xp: Any) -> State:
        return {}

    def _update(
        self, params: Any, grad: Any, state: State, lr: float, xp: Any, hessian: Any
    ) -> None:
        raise NotImplementedError

    # -- display -----------------------------------------------------------------------
    def describe(self, changed_only: bool = False) -> dict[str, Any]:
        """Name and hyperparameters, for legends and tables.

        ``changed_only=True`` leaves out the hyperparameters that have their default
        value, which keeps a legend short (``sgd lr=0.001 momentum=0.9``).
        """
        lr = self.lr
        if callable(lr):  # a schedule shows its repr, a plain function its name
            lr = getattr(lr, "__name__", None) or repr(lr)
        hyper = self.hyper
        if changed_only:
            defaults = {
                name: p.default
                for name, p in inspect.signature(type(self).__init__).parameters.items()
                if p.default is not inspect.Parameter.empty
            }
            hyper = {k: v for k, v in hyper.items() if k not in defaults or defaults[k] != v}
        return {"optimizer": self.name, "lr": lr, **hyper}

    def __repr__(self) -> str:
        d = self.describe()
        args = ", ".join(f"{k}={v!r}" for k, v in d.items() if k != "optimizer")
        return f"{d['optimizer']}({args})"
