"""Classroom presets: ready-made races that each show one idea within seconds.

(The module is ``classroom``, not ``presets``, so that ``gd.presets`` stays the function
whatever is imported.)

``gd.presets()`` lists them (name -> one line); ``gd.Playground.preset(name)``
builds one, and :func:`setup` gives the Playground's keyword arguments of a preset
(objective, optimizers, starts, speed, the controls shown), which is also what
``gd.run`` needs to check a preset's claim headless (tests/test_presets.py).

>>> import gdwidget as gd
>>> list(gd.presets())[:2]
['lr-too-high', 'lr-too-low']
>>> w = gd.Playground.preset("ravine")                 # doctest: +SKIP
>>> w = gd.Playground.preset("ravine", speed=20)       # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import optim as O
from .objectives import functions as F
from .objectives.custom import Function
from .schedules import warmup_cosine
from .transforms import add_noise, chain

__all__ = ["Preset", "presets", "setup", "swarm"]

#: the controls a lesson about one knob needs (the speed and step box stay out of the way)
_LESSON = ["play", "pause", "step", "reset", "lr"]


@dataclass(frozen=True)
class Preset:
    """A classroom setup.

    Attributes
    ----------
    description : str
        One line: what to watch.
    steps : int
        Steps within which the point shows (its tests run this many).
    make : callable
        ``() -> dict``: the Playground's keyword arguments (fresh optimizers each call).
    """

    description: str
    steps: int
    make: Callable[[], dict[str, Any]]


def swarm(objective: Any, n: int = 5, kind: str = "grid", seed: int = 0) -> np.ndarray:
    """Starts spread over ``objective``'s view box: ``n x n`` on a grid or ``n * n`` at random.

    The grid stays 10% inside the box's edges. Returns ``(n * n, 2)`` float64.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be an int >= 1, got {n!r}")
    (x0, x1), (y0, y1) = objective.bounds[:2]
    if kind == "grid":
        pad_x, pad_y = 0.1 * (x1 - x0), 0.1 * (y1 - y0)
        xs = np.linspace(x0 + pad_x, x1 - pad_x, n)
        ys = np.linspace(y0 + pad_y, y1 - pad_y, n)
        return np.array([(x, y) for y in ys for x in xs], dtype=np.float64)
    if kind == "random":
        rng = np.random.default_rng(seed)
        return np.column_stack([rng.uniform(x0, x1, n * n), rng.uniform(y0, y1, n * n)])
    raise ValueError(f"kind must be 'grid' or 'random', got {kind!r}")


# ------------------------------------------------------------------------------ the presets
def _lr_too_high() -> dict[str, Any]:
    return {
        "objective": F.quadratic(cond=10, angle=30),
        "optimizers": {"lr 0.25 (too high)": O.gd(0.25), "lr 0.15": O.gd(0.15)},
        "controls": _LESSON,
    }


def _lr_too_low() -> dict[str, Any]:
    return {
        "objective": F.quadratic(cond=10, angle=30),
        "optimizers": {"lr 0.0002 (too low)": O.gd(2e-4), "lr 0.15": O.gd(0.15)},
        "controls": _LESSON,
    }


def _ravine() -> dict[str, Any]:
    return {
        "objective": F.quadratic(cond=100, angle=30),
        "optimizers": {"gd": O.gd(0.019), "momentum 0.8": O.sgd(0.019, momentum=0.8)},
        "controls": _LESSON,
    }


def _saddle() -> dict[str, Any]:
    return {
        "objective": F.saddle(),
        "optimizers": {
            "gd": O.gd(0.05),
            "gd + noise": chain(add_noise(0.01), O.gd(0.05)),
            "adam": O.adam(0.05),
        },
        "start": (-1.5, 1e-6),
        "controls": _LESSON,
    }


def _local_vs_global() -> dict[str, Any]:
    f = F.three_hump_camel()
    return {
        "objective": f,
        "optimizers": {"gd": O.gd(0.01)},
        "start": swarm(f, 5),
        "controls": ["play", "pause", "step", "reset", "speed"],
    }


def _adamw_vs_adam() -> dict[str, Any]:
    f = Function("(x-2)**2 + 10*(y-2)**2", bounds=[(-1, 3), (-1, 3)], start=(-0.5, -0.5))
    return {
        "objective": f,
        "optimizers": {
            "adam + L2 0.5": O.adam(0.05, weight_decay=0.5),
            "adamw 0.5": O.adamw(0.05, weight_decay=0.5),
        },
        "speed": 120.0,
    }


def _warmup_cosine() -> dict[str, Any]:
    def noisy(lr: Any) -> Any:
        return chain(add_noise(0.25, gamma=0.0), O.sgd(lr, momentum=0.9))

    return {
        "objective": F.quadratic(cond=10, angle=30),
        "optimizers": {
            "constant 0.05": noisy(0.05),
            "warmup + cosine": noisy(warmup_cosine(0.0, 0.05, 30, 300)),
        },
    }


def _lion() -> dict[str, Any]:
    return {
        "objective": F.rosenbrock(),
        "optimizers": {"adam": O.adam(0.01), "lion": O.lion(0.01)},
    }


def _sophia() -> dict[str, Any]:
    return {
        "objective": F.rosenbrock(),
        "optimizers": {
            "adam": O.adam(0.05),
            "sophia": O.sophia(0.2, rho=0.05, weight_decay=0.0, k=1),
        },
    }


_PRESETS: dict[str, Preset] = {
    "lr-too-high": Preset(
        "a learning rate past 2/L (0.25 on a bowl of curvature up to 10) overshoots further "
        "each step and blows up; 0.15 settles",
        30,
        _lr_too_high,
    ),
    "lr-too-low": Preset(
        "a learning rate of 0.0002 barely moves in 100 steps where 0.15 has arrived",
        100,
        _lr_too_low,
    ),
    "ravine": Preset(
        "a narrow valley (condition number 100): plain GD zig-zags and crawls along the floor, "
        "momentum builds speed along it",
        100,
        _ravine,
    ),
    "saddle": Preset(
        "a start a hair off a saddle's ridge: plain GD lingers at the saddle, gradient noise "
        "and Adam's normalized steps escape at once",
        80,
        _saddle,
    ),
    "local-vs-global": Preset(
        "a 5 x 5 swarm of starts on the three-hump camel: each start rolls into its basin, "
        "some to the global minimum, some to a local one",
        500,
        _local_vs_global,
    ),
    "adamw-vs-adam": Preset(
        "weight decay 0.5 on (x-2)^2 + 10(y-2)^2: Adam's L2 ends at the regularized minimum "
        "(the flat x shrinks, the steep y hardly), AdamW's decoupled decay shrinks both alike",
        1500,
        _adamw_vs_adam,
    ),
    "warmup-cosine": Preset(
        "noisy gradients: warmup starts with small steps, cosine decay calms the path at the "
        "end where a constant rate keeps bouncing",
        300,
        _warmup_cosine,
    ),
    "lion": Preset(
        "Lion steps by the sign: every coordinate moves exactly lr each step, whatever the "
        "gradient's size, and so goes diagonally",
        300,
        _lion,
    ),
    "sophia": Preset(
        "Sophia divides by the curvature (clipped): it follows Rosenbrock's curved valley to "
        "the minimum where Adam crawls",
        300,
        _sophia,
    ),
}


def presets() -> dict[str, str]:
    """The classroom presets: name -> one-line description, in a teaching order."""
    return {name: p.description for name, p in _PRESETS.items()}


def get(name: str) -> Preset:
    """The :class:`Preset` called ``name``; an unknown name raises ValueError listing them."""
    if not isinstance(name, str) or name not in _PRESETS:
        raise ValueError(f"unknown preset {name!r}; the presets are: {', '.join(_PRESETS)}")
    return _PRESETS[name]


def setup(name: str, **overrides: Any) -> dict[str, Any]:
    """The Playground's keyword arguments for preset ``name``, with ``overrides`` on top.

    Every call builds fresh optimizers, so two Playgrounds of one preset share nothing.
    """
    return {**get(name).make(), **overrides}
