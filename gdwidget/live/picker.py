"""Building a race without code: the page's function picker, "add optimizer" menu and the
remove button of each run (``js/picker.js``).

Each of these changes the race itself (its objective or its optimizers), so it is not a
session command: the Playground builds a new source (:func:`with_function`,
:func:`without_optimizer`, or ``assemble.with_optimizer``) and swaps its session, as
``Playground.add_optimizer`` does. The page's messages::

    {"type": "set_function", "name": "himmelblau"}
    {"type": "set_function", "expression": "x**2 + 3*sin(y)"}
    {"type": "add_optimizer", "optimizer": "adam", "lr": 0.01}
    {"type": "remove_optimizer", "label": "adam"}
    {"type": "set_swarm", "n": 3, "kind": "grid", "seed": 0}

A message that cannot be applied (a bad expression, an unknown name, the last optimizer)
changes nothing and says why in the ``picker`` trait's ``error``, which the page shows.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import optim
from ..engine import _as_optimizers
from ..objectives import functions
from ..objectives.custom import Function
from . import protocol as p
from .assemble import with_optimizers
from .source import EngineSource

__all__ = [
    "FACTORIES",
    "MAX_SWARM_RUNS",
    "TYPES",
    "apply",
    "state",
    "swarm_starts",
    "with_function",
    "with_swarm",
    "without_optimizer",
]

TYPES = ("set_function", "add_optimizer", "remove_optimizer", "set_swarm")

#: the most runs a start swarm may make, all optimizers together (n * n starts each)
MAX_SWARM_RUNS = 400

#: the optimizers the page's menu offers, with the rate it starts them at
FACTORIES = {
    "gd": 0.01,
    "sgd": 0.01,
    "adagrad": 0.5,
    "rmsprop": 0.01,
    "adam": 0.05,
    "adamw": 0.05,
    "lion": 0.01,
    "sophia": 0.05,
}


def state(error: str = "") -> dict[str, Any]:
    """The ``picker`` trait: what the page offers, and the last refusal (``""`` if none)."""
    return {
        "functions": functions.names(),
        "optimizers": FACTORIES,
        "error": error,
        "swarm_max_runs": MAX_SWARM_RUNS,
    }


def objective_of(msg: dict[str, Any]) -> Any:
    """The objective a ``set_function`` message asks for; ValueError saying what is wrong."""
    if "expression" in msg:
        text = msg["expression"]
        if not isinstance(text, str) or not text.strip():
            raise ValueError("type an expression in x and y, such as x**2 + 3*sin(y)")
        try:
            return Function(text)
        except (ValueError, TypeError, SyntaxError) as exc:
            raise ValueError(f"{exc}") from None
    return functions.get(msg.get("name"))


def with_function(source: EngineSource, objective: Any, *, pilot_steps: int) -> EngineSource:
    """``source``'s optimizers and settings on ``objective``, from its default start."""
    r = source.run
    return EngineSource(
        objective,
        _as_optimizers(dict(r.optimizers)),
        None,
        device=r.backend,
        dtype=r.backend.dtype,
        grad_tol=r.grad_tol,
        loss_tol=r.loss_tol,
        seed=r.seed,
        pilot_steps=pilot_steps,
    )


def without_optimizer(source: EngineSource, label: str, *, pilot_steps: int) -> EngineSource:
    """``source``'s race without optimizer ``label`` (the others keep their starts)."""
    r = source.run
    if label not in r.optimizers:
        raise ValueError(f"no optimizer {label!r} in the race: {list(r.optimizers)}")
    if len(r.optimizers) == 1:
        raise ValueError("a race needs an optimizer: add another one before removing this")
    rest = {k: v for k, v in r.optimizers.items() if k != label}
    return with_optimizers(source, rest, pilot_steps=pilot_steps)


def swarm_starts(source: EngineSource, n: int, kind: str = "grid", seed: int = 0) -> Any:
    """The full starts of an ``n x n`` swarm (:func:`gdwidget.classroom.swarm` over the
    objective's box; further parameters from the landscape's slice point), or the objective's
    default start for ``n == 1``. ValueError, naming the bound, past :data:`MAX_SWARM_RUNS`."""
    from ..classroom import swarm  # noqa: PLC0415
    from ..engine.inputs import _starts  # noqa: PLC0415

    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be an int >= 1, got {n!r}")
    if kind not in ("grid", "random"):
        raise ValueError(f"kind must be 'grid' or 'random', got {kind!r}")
    r = source.run
    if source.is_model:
        raise ValueError(f"a start swarm needs a function; {r.objective.name} is a model")
    if n == 1:
        return _starts(r.objective, None, r.seed)
    runs = n * n * len(r.optimizers)
    if runs > MAX_SWARM_RUNS:
        raise ValueError(
            f"a swarm of {n} x {n} starts for {len(r.optimizers)} optimizer(s) makes {runs} runs; "
            f"at most {MAX_SWARM_RUNS} runs in all (n <= "
            f"{math.isqrt(MAX_SWARM_RUNS // len(r.optimizers))} here)"
        )
    points = swarm(r.objective, n, kind, seed)
    full = np.tile(source.slice_point, (len(points), 1))
    full[:, :2] = points
    return full


def with_swarm(
    source: EngineSource, n: int, kind: str = "grid", seed: int = 0, *, pilot_steps: int
) -> EngineSource:
    """``source``'s race with every optimizer from the starts of :func:`swarm_starts`."""
    starts = swarm_starts(source, n, kind, seed)
    return with_optimizers(source, source.run.optimizers, pilot_steps=pilot_steps, starts=starts)


def new_optimizer(msg: dict[str, Any], taken: list[str]) -> tuple[str, Any]:
    """The label and optimizer an ``add_optimizer`` message asks for (a free label)."""
    name = msg.get("optimizer")
    if name not in FACTORIES:
        raise ValueError(f"unknown optimizer {name!r}; the menu has {list(FACTORIES)}")
    lr = msg.get("lr", FACTORIES[name])
    number = isinstance(lr, int | float) and not isinstance(lr, bool)
    if not (number and math.isfinite(lr) and lr > 0):
        raise ValueError(f"the learning rate must be a number > 0, got {lr!r}")
    label, k = name, 2
    while label in taken:
        label, k = f"{name} {k}", k + 1
    return label, getattr(optim, name)(float(lr))


def apply(w: Any, msg: dict[str, Any]) -> None:
    """Apply a picker message to Playground ``w``; a refusal goes to ``w.picker["error"]``."""
    try:
        kind = msg.get("type")
        if kind == "set_function":
            w.set_function(objective_of(msg))
        elif kind == "add_optimizer":
            w.add_optimizer(*new_optimizer(msg, list(w.run.optimizers)))
        elif kind == "remove_optimizer":
            w.remove_optimizer(msg.get("label"))
        elif kind == "set_swarm":
            cmd = p.parse(msg)
            w.set_swarm(cmd.n, cmd.kind, cmd.seed)
        w.picker = state()
    except ValueError as exc:
        w.picker = state(str(exc))
