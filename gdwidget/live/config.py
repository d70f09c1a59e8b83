"""A Playground as JSON: what ``w.config()`` writes and ``Playground.from_config`` reads.

A teacher sets up a race (or a challenge, with ``target=``) and hands the JSON out;
``from_config`` rebuilds the same race, step for step. The description holds:

- ``function``: a built-in test function (``{"name": "rosenbrock", "args": {...}}``) or an
  expression (``{"expression": "x**2 + 3*sin(y)", "bounds": ..., ...}``);
- ``optimizers``: label -> ``{"optimizer": factory name, "args": {...}}`` (a schedule as
  ``{"schedule": name, "args": {...}}``, a chain as ``{"chain": [transforms], "optimizer":
  ...}``), with the current settings (a rate changed from the page included);
- ``starts``, ``controls`` (shown; ``null`` for all), ``target``, ``speed`` and ``settings``
  (dtype, seed, tolerances);
- ``run_starts``, every run's start, when starts were moved one by one (``w.set_start``, a
  drag in the page), and ``instant``, instant mode's steps, when it is on.

Models on data and functions made from Python callables have no JSON form: ``config()``
says so. This module also checks the ``controls=`` and ``target=`` arguments.
"""

from __future__ import annotations

import inspect
import math
from typing import Any

import numpy as np

from .. import optim, schedules, transforms
from ..objectives import functions
from ..objectives.custom import Function
from ..objectives.testfunction import TestFunction

__all__ = [
    "CONTROLS",
    "VERSION",
    "check_controls",
    "check_target",
    "describe",
    "playground_kwargs",
    "reached",
]

VERSION = 1

#: the page's controls that ``controls=[...]`` may name (``data-control`` in the page)
CONTROLS = (
    "play",
    "pause",
    "step",
    "steps",
    "reset",
    "speed",
    "batch",
    "lr",
    "legend",
    "hint",
    "picker",
    "instant",
)


# ------------------------------------------------------------------------------ arguments
def check_controls(controls: Any) -> list[str] | None:
    """``controls=``: None (all shown) or a list of names from :data:`CONTROLS`."""
    if controls is None:
        return None
    if isinstance(controls, str) or not hasattr(controls, "__iter__"):
        raise ValueError(f"controls must be a list of control names, got {controls!r}")
    out = list(controls)
    for c in out:
        if c not in CONTROLS:
            raise ValueError(f"unknown control {c!r} in controls; they are {list(CONTROLS)}")
    return out


def check_target(target: Any) -> dict[str, Any]:
    """``target=``: ``{"loss": float, "steps": int}`` (either alone) or None (no challenge)."""
    if target is None:
        return {}
    if not isinstance(target, dict) or not target or set(target) - {"loss", "steps"}:
        raise ValueError(
            f"target must be a dict with 'loss' and/or 'steps', e.g. "
            f"{{'loss': 1e-3, 'steps': 200}}; got {target!r}"
        )
    out: dict[str, Any] = {}
    if "loss" in target:
        v = target["loss"]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise ValueError(f"target['loss'] must be a finite number, got {v!r}")
        out["loss"] = float(v)
    if "steps" in target:
        v = target["steps"]
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"target['steps'] must be an int >= 1, got {v!r}")
        out["steps"] = int(v)
    return out


def reached(loss: np.ndarray, steps: np.ndarray, labels: list[str], target: dict) -> dict:
    """Each run's first step meeting ``target`` (loss at most ``target["loss"]`` by step
    ``target["steps"]``), or None: ``{label: step or None}``. The page's ``gd-target``
    applies the same rule to its rows."""
    if not target:
        return {}
    limit = target.get("steps", math.inf)
    goal = target.get("loss", math.inf)
    ok = (np.asarray(loss) <= goal) & (np.asarray(steps)[:, None] <= limit)
    return {
        label: (int(steps[np.argmax(ok[:, i])]) if ok[:, i].any() else None)
        for i, label in enumerate(labels)
    }


# ------------------------------------------------------------------------------ to JSON
def _plain(value: Any, where: str) -> Any:
    """A hyperparameter as JSON: numbers, lists (per-run arrays, pairs), schedules."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, tuple | list):
        return [_plain(v, where) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, schedules.Schedule):
        name = getattr(value, "_name", "")
        if getattr(schedules, name, None) is None or name == "join":
            raise ValueError(f"config(): {where}: the schedule {value!r} has no JSON form")
        return {"schedule": name, "args": {k: _plain(v, where) for k, v in value._args.items()}}
    if callable(value):
        raise ValueError(
            f"config(): {where} is a Python function ({value!r}); only gd.schedules have a "
            "JSON form"
        )
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise ValueError(f"config(): {where}: {value!r} has no JSON form")


def _optimizer(opt: Any, where: str) -> dict[str, Any]:
    if isinstance(opt, transforms.Chain):
        steps = [
            {"transform": t.name, "args": {k: _plain(v, where) for k, v in t._hyper().items()}}
            for t in opt.transforms
        ]
        return {"chain": steps, "optimizer": _optimizer(opt.optimizer, where)}
    factory = opt._factory()
    name = getattr(factory, "__name__", "")
    if getattr(optim, name, None) is not factory:
        raise ValueError(f"config(): {where}: {opt!r} was not made by a gd.optim factory")
    names = inspect.signature(factory).parameters
    args = {p: _plain(getattr(opt, p), f"{where}.{p}") for p in names}
    out: dict[str, Any] = {"optimizer": name, "args": args}
    if opt.lr_scale != 1.0:
        out["lr_scale"] = float(opt.lr_scale)
    return out


def _function(obj: Any) -> dict[str, Any]:
    if isinstance(obj, Function):
        if obj.expression is None:
            raise ValueError(
                "config(): the function was made from a Python callable; only an expression "
                "string (gd.Function('x**2 + y**2')) or a built-in function has a JSON form"
            )
        return {
            "expression": obj.expression,
            "n_params": obj.n_params,
            "bounds": [list(b) for b in obj.bounds],
            "start": list(obj.default_start),
            "minima": [list(m) for m in obj.minima] or None,
            "name": obj.name,
            "log_scale": obj._log_scale,
        }
    name = getattr(obj, "name", None)
    if isinstance(obj, TestFunction) and name in functions.names():
        factory = getattr(functions, name)
        params = inspect.signature(factory).parameters
        args = {p: obj.n_params if p == "n" else _plain(getattr(obj, p), p) for p in params}
        return {"name": name, "args": args}
    raise ValueError(
        f"config(): {name or type(obj).__name__} has no JSON form; config() covers the "
        "built-in test functions and gd.Function expressions (not models on data)"
    )


def describe(w: Any) -> dict[str, Any]:
    """The JSON-able description of Playground ``w`` (see the module's docstring)."""
    r = w.run
    starts = np.asarray(r._starts, dtype=np.float64)
    # each run's start on its own (moved in the page): a start to build with, then every run's
    per_run = starts.shape[0] == r.n_runs and len(r.slices) > 1
    extra: dict[str, Any] = {"run_starts": starts.tolist()} if per_run else {}
    if w.instant:
        extra["instant"] = int(w.instant)
    return {
        "gdwidget_config": VERSION,
        "function": _function(r.objective),
        "optimizers": {label: _optimizer(o, label) for label, o in r.optimizers.items()},
        "starts": (starts[:1] if per_run else starts).tolist(),
        **extra,
        "controls": None if w.shown_controls is None else list(w.shown_controls),
        "target": dict(w.target) or None,
        "speed": float(w.speed),
        "settings": {
            "dtype": str(np.dtype(r.backend.dtype)),
            "seed": int(r.seed),
            "grad_tol": float(r.grad_tol),
            "loss_tol": float(r.loss_tol),
        },
    }


# ------------------------------------------------------------------------------ from JSON
def _value(v: Any) -> Any:
    if isinstance(v, dict) and "schedule" in v:
        name = v["schedule"]
        factory = getattr(schedules, name, None) if isinstance(name, str) else None
        if factory is None or not isinstance(factory, type(_value)):
            raise ValueError(f"from_config: unknown schedule {name!r}")
        return factory(**{k: _value(x) for k, x in v.get("args", {}).items()})
    return v


def _build_optimizer(spec: Any, where: str) -> Any:
    if not isinstance(spec, dict):
        raise ValueError(f"from_config: optimizers[{where!r}] must be a dict, got {spec!r}")
    if "chain" in spec:
        parts = []
        for t in spec["chain"]:
            factory = getattr(transforms, str(t.get("transform")), None)
            if factory is None or t.get("transform") not in transforms.__all__:
                raise ValueError(f"from_config: {where}: unknown transform {t.get('transform')!r}")
            parts.append(factory(**t.get("args", {})))
        return transforms.chain(*parts, _build_optimizer(spec["optimizer"], where))
    name = spec.get("optimizer")
    if name not in optim.__all__ or not name.islower():
        raise ValueError(f"from_config: {where}: unknown optimizer {name!r}")
    args = {k: _value(v) for k, v in spec.get("args", {}).items()}
    if isinstance(args.get("betas"), list):
        args["betas"] = tuple(args["betas"])
    opt = getattr(optim, name)(**args)
    if "lr_scale" in spec:
        opt.lr_scale = spec["lr_scale"]
    return opt


def _build_function(spec: Any) -> Any:
    if not isinstance(spec, dict):
        raise ValueError(f"from_config: function must be a dict, got {spec!r}")
    if "expression" in spec:
        kw = {k: spec[k] for k in ("n_params", "bounds", "start", "minima", "name", "log_scale")}
        return Function(spec["expression"], **{k: v for k, v in kw.items() if v is not None})
    return functions.get(spec.get("name"), **spec.get("args", {}))


def playground_kwargs(cfg: Any) -> dict[str, Any]:
    """The Playground's keyword arguments for a description made by :func:`describe`."""
    if not isinstance(cfg, dict) or cfg.get("gdwidget_config") != VERSION:
        raise ValueError(
            f"from_config expects a dict made by Playground.config() (with 'gdwidget_config': "
            f"{VERSION}), got {str(cfg)[:80]!r}"
        )
    settings = cfg.get("settings") or {}
    return {
        "objective": _build_function(cfg["function"]),
        "optimizers": {k: _build_optimizer(v, k) for k, v in cfg["optimizers"].items()},
        "start": np.asarray(cfg["starts"], dtype=np.float64),
        "controls": cfg.get("controls"),
        "target": cfg.get("target"),
        "speed": float(cfg.get("speed", 60.0)),
        **{k: settings[k] for k in ("dtype", "seed", "grad_tol", "loss_tol") if k in settings},
    }
