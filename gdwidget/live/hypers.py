"""Every knob live: one hyperparameter of one optimizer group changed from the next step.

``set_hyper(run, label, name, value)`` builds the same optimizer with the new value through
its own factory (so the optimizer's own checks validate it, with the other settings as they
are now), then copies the hyperparameters onto the live optimizer and gives its state any
buffer the new setting needs (zeros, as ``init`` makes them). The next step is then the step
of a fresh optimizer built with the new value and continued from the same state.

``settings(opt)`` describes an optimizer's hyperparameters for the page's settings panel.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..optim.base import Optimizer
from ..optim.hyper import is_per_run

__all__ = ["innermost", "set_hyper", "settings"]

#: hyperparameters that act only when the state is made (at the next reset)
AT_RESET = {"initial_accumulator_value", "seed"}


def innermost(opt: Any) -> Any:
    """The optimizer inside (nested) chains; the optimizer itself otherwise."""
    while hasattr(opt, "optimizer") and hasattr(opt, "transforms"):
        opt = opt.optimizer
    return opt


def _inner_state(opt: Any, state: dict[str, Any]) -> dict[str, Any]:
    while hasattr(opt, "optimizer") and hasattr(opt, "transforms"):
        opt, state = opt.optimizer, state["inner"]
    return state


def rebuilt(opt: Optimizer, name: str, value: Any) -> Optimizer:
    """A fresh optimizer like ``opt`` with ``name=value``, built by ``opt``'s factory.

    Raises ValueError or TypeError (the factory's own checks) for a bad value, and
    ValueError for a name that is not one of ``opt``'s hyperparameters.
    """
    if name == "lr":
        raise ValueError("lr is set with set_lr(label, value), not set_hyper")
    if name not in opt.hyper_names:
        raise ValueError(
            f"{opt.name} has no hyperparameter {name!r}; its hyperparameters: "
            f"{', '.join(opt.hyper_names) or '(none but lr)'}"
        )
    if isinstance(value, list) and name == "betas":
        value = tuple(value)
    kwargs = {**opt.hyper, name: value}
    fresh = opt._factory()(opt.lr, **kwargs)
    fresh.lr_scale = opt.lr_scale
    return fresh


def set_hyper(run: Any, label: str, name: str, value: Any) -> None:
    """Set hyperparameter ``name`` of optimizer group ``label`` of ``run`` from the next step.

    The value is checked by the optimizer's factory with the group's other settings
    (``nesterov=True`` still needs ``momentum > 0``); a per-run array must have one value
    per row of the group. On any error nothing changes. ``initial_accumulator_value``
    (Adagrad) and ``seed`` (Sophia) act when the state is made, at the next reset.
    """
    if label not in run.optimizers:
        raise ValueError(f"unknown optimizer label {label!r}; labels: {list(run.optimizers)}")
    outer = run.optimizers[label]
    opt = innermost(outer)
    fresh = rebuilt(opt, name, value)
    rows = run.slices[label].stop - run.slices[label].start
    n = fresh.n_runs
    if n is not None and n != rows:
        raise ValueError(f"{name} gives {n} per-run values, but group {label!r} has {rows} run(s)")
    state = _inner_state(outer, run.states[label])
    block = run.params[run.slices[label], ...]
    missing = {k: v for k, v in fresh.init(block).items() if k not in state}
    # commit: nothing above changed the run
    for attr in opt.hyper_names:
        setattr(opt, attr, getattr(fresh, attr))
    if missing:
        state.update(missing)
        # the engine's copies before each step must cover the new buffers too
        from ..engine._rollback import Snapshots  # noqa: PLC0415

        run._snapshots = Snapshots(run.states)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "switch"
    if isinstance(value, int):
        return "int"
    if isinstance(value, str):
        return "choice"
    if isinstance(value, tuple):
        return "pair"
    return "number"


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return None  # a swept setting: not one value to edit
    if isinstance(value, float):
        return value
    return value


def settings(opt: Any) -> list[dict[str, Any]]:
    """The panel's description of ``opt``'s hyperparameters (those of a chain's optimizer).

    One entry per hyperparameter, in display order: ``name``, ``kind`` (``"number"``,
    ``"int"``, ``"switch"``, ``"pair"``, ``"choice"``), ``value`` (``None`` for a swept,
    per-run setting, which the panel shows but does not edit), ``at_reset`` (acts when the
    state is made), and ``choices`` for a choice.
    """
    from ..optim.sophia import ESTIMATORS  # noqa: PLC0415

    inner = innermost(opt)
    out = []
    for name, value in inner.hyper.items():
        parts = value if isinstance(value, tuple) else (value,)
        entry: dict[str, Any] = {
            "name": name,
            "kind": _kind(value),
            "value": None if any(is_per_run(x) for x in parts) else _plain(value),
            "at_reset": name in AT_RESET,
        }
        if name == "estimator":
            entry["choices"] = list(ESTIMATORS)
        out.append(entry)
    return out
