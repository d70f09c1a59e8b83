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

Hyperparameters are stored once, as attributes (``opt.momentum``); :attr:`Optimizer.hyper`,
:meth:`Optimizer.describe` and the update all read those attributes.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from numbers import Real
from typing import Any

from .._checks import check_lr, check_real
from ..backend import namespace_of

State = dict[str, Any]


class LRError(ValueError):
    """A learning rate that is not a number >= 0, or a schedule that raised."""


def _short(value: Any) -> str:
    text = f"{value:g}" if isinstance(value, float) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


class Optimizer:
    """Base class: hyperparameters, learning rate (float or schedule) and the step contract.

    Subclasses set ``name`` and ``hyper_names`` (the attributes that are hyperparameters),
    implement :meth:`_init` (extra state arrays), :meth:`_update` (the rule, given the
    learning rate of this step) and :meth:`_factory` (the public function whose defaults
    ``describe(changed_only=True)`` compares against).

    The learning rate of update ``t`` is ``lr_scale * lr(t)`` for a schedule ``lr`` and
    ``lr_scale * lr`` for a number (:meth:`lr_at`); ``lr_scale`` is 1 unless a control
    scales the rate (``Run.scale_lr``).
    """

    name: str = "optimizer"
    #: the attributes that are hyperparameters, in display order
    hyper_names: tuple[str, ...] = ()
    #: > 0 for optimizers that use a Hessian-diagonal estimate refreshed every k steps
    #: (Sophia); the engine then passes ``hessian=`` to :meth:`step` on those steps.
    hessian_every: int = 0

    def __init__(self, lr: Any) -> None:
        self.lr = check_lr(lr)
        self._lr_scale = 1.0

    # -- learning rate ---------------------------------------------------------------
    @property
    def lr_scale(self) -> float:
        """Factor applied to the learning rate or schedule (finite, > 0; default 1)."""
        return self._lr_scale

    @lr_scale.setter
    def lr_scale(self, value: float) -> None:
        self._lr_scale = check_real("lr_scale", value, low=0.0, low_open=True)

    def lr_at(self, step: int) -> float:
        """The learning rate of update number ``step`` (0 for the first update).

        ``lr_scale * lr(step)`` for a schedule, ``lr_scale * lr`` for a number. The value
        is not checked here; the engine checks it at every step.
        """
        lr = self.lr(step) if callable(self.lr) else self.lr
        return lr if self.lr_scale == 1.0 else self.lr_scale * lr

    def checked_lr_at(self, step: int) -> float:
        """:meth:`lr_at` as a float, or :class:`LRError` if it is not a number >= 0.

        The engine calls this once per group and step. A schedule that raises, or gives
        a negative, NaN, infinite or non-numeric rate, raises :class:`LRError` whose text
        names the step and the value (``gave lr=-1 at step 5``).
        """
        try:
            raw = self.lr(step) if callable(self.lr) else self.lr
        except Exception as exc:
            raise LRError(f"raised at step {step}: {type(exc).__name__}: {exc}") from exc
        if isinstance(raw, bool) or not isinstance(raw, Real):
            raise LRError(f"gave lr={_short(raw)} at step {step} (not a number)")
        lr = float(raw) * self.lr_scale
        if not (math.isfinite(lr) and lr >= 0.0):
            raise LRError(f"gave lr={_short(raw)} at step {step}")
        return lr

    # -- the contract ----------------------------------------------------------------
    def init(self, params: Any) -> State:
        """Fresh state for ``params`` (zeros like ``params``, step 0)."""
        state: State = {"step": 0}
        state.update(self._init(params, namespace_of(params)))
        return state

    def step(
        self, params: Any, grad: Any, state: State, hessian: Any = None, lr: float | None = None
    ) -> None:
        """Apply one update to ``params`` and ``state`` in place.

        ``hessian`` is a Hessian-diagonal estimate shaped like ``params``; only
        optimizers with ``hessian_every > 0`` use it. ``lr`` is the learning rate of
        this update when the caller has already computed (and checked) it; ``None``
        reads ``lr_at(state["step"])``.
        """
        if lr is None:
            lr = float(self.lr_at(state["step"]))
        self._update(params, grad, state, lr, namespace_of(params, grad), hessian)
        state["step"] += 1

    # -- for subclasses ----------------------------------------------------------------
    def _init(self, params: Any, xp: Any) -> State:
        return {}

    def _update(
        self, params: Any, grad: Any, state: State, lr: float, xp: Any, hessian: Any
    ) -> None:
        raise NotImplementedError

    def _factory(self) -> Callable[..., Any]:
        """The public function that builds this optimizer (its defaults are the defaults)."""
        return type(self).__init__

    # -- display -----------------------------------------------------------------------
    @property
    def hyper(self) -> dict[str, Any]:
        """The hyperparameters other than ``lr``, read from the attributes."""
        return {name: getattr(self, name) for name in self.hyper_names}

    def defaults(self) -> dict[str, Any]:
        """The default value of each hyperparameter, as the factory that built it has them.

        ``gd.optim.adamw``'s ``weight_decay`` default is 0.01 and ``gd.optim.adam``'s is 0.
        """
        params = inspect.signature(self._factory()).parameters
        return {
            name: p.default
            for name, p in params.items()
            if name in self.hyper_names and p.default is not inspect.Parameter.empty
        }

    def describe(self, changed_only: bool = False) -> dict[str, Any]:
        """Name, learning rate and hyperparameters, for legends and tables.

        ``changed_only=True`` leaves out the hyperparameters that have their default
        value, which keeps a legend short (``sgd lr=0.001 momentum=0.9``). ``lr`` is
        the number, or the schedule's repr (a plain function's name); a scaled rate
        also shows ``lr_scale``.
        """
        lr = self.lr
        if callable(lr):  # a schedule shows its repr, a plain function its name
            lr = getattr(lr, "__name__", None) or repr(lr)
        hyper = self.hyper
        if changed_only:
            defaults = self.defaults()
            hyper = {k: v for k, v in hyper.items() if k not in defaults or defaults[k] != v}
        out = {"optimizer": self.name, "lr": lr, **hyper}
        if self.lr_scale != 1.0:
            out["lr_scale"] = self.lr_scale
        return out

    def __repr__(self) -> str:
        d = self.describe()
        args = ", ".join(f"{k}={v!r}" for k, v in d.items() if k != "optimizer")
        return f"{d['optimizer']}({args})"
