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

Every numeric hyperparameter, ``lr`` included, may also be a 1-D array of one value per
run (:func:`hyper_value`): ``adam(lr=np.logspace(-4, 0, 1000))`` is one optimizer whose
``n_runs`` is 1000, stepped as one ``(1000, n_params)`` block, each row with its own
settings. Switches that change the rule (``nesterov``, ``amsgrad``, ``centered``) are
one per optimizer (:func:`switch`).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from numbers import Real
from typing import Any

import numpy as np

from .._checks import check_real
from ..backend import namespace_of
from .hyper import Value, hyper_value, is_per_run, runs_of

State = dict[str, Any]


class LRError(ValueError):
    """A learning rate that is not a number >= 0, or a schedule that raised.

    Where a per-run rate is bad for some runs only, ``rows`` lists them, ``rates`` holds
    the rates with 0 in their place (the other runs go on), and ``values`` the rates given.
    """

    rows: Any = None
    rates: Any = None
    values: Any = None


def check_lr(value: Any, name: str = "lr") -> Any:
    """A learning rate: a number > 0, a 1-D array of them (one per run), or a schedule."""
    if callable(value):
        return value
    return hyper_value(name, value, low=0.0, low_open=True)


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

    # -- runs --------------------------------------------------------------------------
    @property
    def n_runs(self) -> int | None:
        """How many runs (rows) the per-run hyperparameters give; None if all are numbers.

        A :class:`~gdwidget.engine.Run` gives this optimizer that many rows (one start
        for all of them, or one start each).
        """
        lr = self.lr
        if callable(lr):  # a schedule of one rate per run (gd.schedules with arrays) counts
            n = getattr(lr, "n_runs", None)
            lr = np.zeros(n) if isinstance(n, int) and not isinstance(n, bool) else None
        return runs_of({"lr": lr, **self.hyper})

    def _sized(self) -> None:
        """Check that the per-run hyperparameters agree in length (end of ``__init__``)."""
        _ = self.n_runs

    # -- learning rate ---------------------------------------------------------------
    @property
    def lr_scale(self) -> float:
        """Factor applied to the learning rate or schedule (finite, > 0; default 1)."""
        return self._lr_scale

    @lr_scale.setter
    def lr_scale(self, value: float) -> None:
        self._lr_scale = check_real("lr_scale", value, low=0.0, low_open=True)

    def lr_at(self, step: int) -> Value:
        """The learning rate of update number ``step`` (0 for the first update).

        ``lr_scale * lr(step)`` for a schedule, ``lr_scale * lr`` for a number; one value
        per run where the rate (or the schedule's result) is an array. The value is not
        checked here; the engine checks it at every step.
        """
        lr = self.lr(step) if callable(self.lr) else self.lr
        return lr if self.lr_scale == 1.0 else self.lr_scale * lr

    def checked_lr_at(self, step: int) -> Value:
        """:meth:`lr_at` as a float (or float64 array), or :class:`LRError` if a rate is
        not a number >= 0.

        The engine calls this once per group and step. A schedule that raises, or gives
        a negative, NaN, infinite or non-numeric rate (in any run), raises :class:`LRError`
        whose text names the step and the value (``gave lr=-1 at step 5``); for a per-run
        rate bad in some runs only, the error says which (``rows``, ``rates``).
        """
        try:
            raw = self.lr(step) if callable(self.lr) else self.lr
        except Exception as exc:
            raise LRError(f"raised at step {step}: {type(exc).__name__}: {exc}") from exc
        if is_per_run(raw):
            try:
                lr = np.asarray(raw, dtype=np.float64) * self.lr_scale
            except (TypeError, ValueError):
                raise LRError(f"gave lr={_short(raw)} at step {step} (not numbers)") from None
            good = np.isfinite(lr) & (lr >= 0.0)
            bad = np.flatnonzero(~good)
            if lr.ndim != 1 or bad.size:
                where = f"lr[{bad[0]}]={lr[bad[0]]:g}" if bad.size else f"shape {lr.shape}"
                err = LRError(f"gave {where} at step {step}")
                if lr.ndim == 1 and bad.size < lr.size:  # some runs only
                    err.rows, err.rates, err.values = bad, np.where(good, lr, 0.0), lr
                raise err
            return lr
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
            lr = self.lr_at(state["step"])
            lr = float(lr) if not isinstance(lr, np.ndarray) else lr
        self._update(params, grad, state, lr, namespace_of(params, grad), hessian)
        state["step"] += 1

    # -- for subclasses ----------------------------------------------------------------
    def _init(self, params: Any, xp: Any) -> State:
        return {}

    def bind(self, params: Any, state: State) -> Callable[[Any, Any, Any], None]:
        """``step(grad, hessian, lr)`` for this block of parameters and its state.

        The same update as ``self.step(params, grad, state, hessian, lr)``, with the
        rule's program, kernel and arrays looked up once rather than at every step. It
        holds while the settings and the state's buffers stay as they are: the engine binds
        every group again at each ``advance`` call (settings change only between them).
        """
        if self.rule is None or self.hessian_every:
            return lambda grad, hessian, lr: self.step(params, grad, state, hessian, lr)
        runners: dict[bool, Any] = {}  # a rule's switches may differ at the first step

        def step(grad: Any, hessian: Any, lr: Any) -> None:
            first = state["step"] == 0
            run = runners.get(first)
            if run is None:
                run = runners[first] = self.rule.bind(*self._parts(params, None, state))
            if lr is None or run is None or not run(grad, self._coefs(lr, state)):
                self.step(params, grad, state, hessian, lr)  # the checked way
                return
            state["step"] += 1

        return step

    #: the family's update rule (gdwidget/optim/_rule.py) where the update is one rule; it
    #: is then given by :meth:`_parts` (arrays and switches) and :meth:`_coefs`
    rule: Any = None

    def _parts(self, params: Any, grad: Any, state: State) -> tuple[dict, dict]:
        """The rule's arrays (``params`` as ``"p"``, ``grad`` as ``"g"``) and switches."""
        raise NotImplementedError

    def _coefs(self, lr: Any, state: State) -> dict[str, Any]:
        """The rule's coefficients of this update (host numbers, or one per run)."""
        raise NotImplementedError

    def _update(
        self, params: Any, grad: Any, state: State, lr: float, xp: Any, hessian: Any
    ) -> None:
        if self.rule is None:
            raise NotImplementedError
        arrays, switches = self._parts(params, grad, state)
        self.rule.apply(arrays, self._coefs(lr, state), **switches)

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
            hyper = {k: v for k, v in hyper.items() if not _same(defaults.get(k, _NONE), v)}
        out = {"optimizer": self.name, "lr": lr, **hyper}
        if self.lr_scale != 1.0:
            out["lr_scale"] = self.lr_scale
        return out

    def __repr__(self) -> str:
        d = {k: _plain(v) for k, v in self.describe().items()}
        args = ", ".join(f"{k}={v!r}" for k, v in d.items() if k != "optimizer")
        return f"{d['optimizer']}({args})"


_NONE = object()


def _same(default: Any, value: Any) -> bool:
    """Whether a hyperparameter has its default value (an array never has)."""
    parts = value if isinstance(value, tuple) else (value,)
    if default is _NONE or any(isinstance(x, np.ndarray) for x in parts):
        return False
    return default == value


def _plain(value: Any) -> Any:
    """Arrays as lists, for a repr that can be read back."""
    if isinstance(value, tuple):
        return tuple(_plain(x) for x in value)
    return value.tolist() if isinstance(value, np.ndarray) else value
