"""gdwidget: watch gradient descent happen.

>>> import gdwidget as gd
>>> hist = gd.run(gd.functions.rosenbrock(), {"adam": gd.optim.adam(0.05)}, steps=200)
"""

from __future__ import annotations

import importlib
from typing import Any

from . import optim
from .backend import get_backend, gpu_available, to_numpy

__version__ = "0.1.0"

# Heavier or later-built parts load on first use, so `import gdwidget` stays fast.
_LAZY = {
    "schedules": ("gdwidget.schedules", None),
    "transforms": ("gdwidget.transforms", None),
    "functions": ("gdwidget.objectives.functions", None),
    "Function": ("gdwidget.objectives.custom", "Function"),
    "Run": ("gdwidget.engine", "Run"),
    "run": ("gdwidget.engine", "run"),
    "History": ("gdwidget.engine", "History"),
    "chain": ("gdwidget.transforms", "chain"),
    "Playground": ("gdwidget.widget", "Playground"),
    "data": ("gdwidget.data", None),
    "models": ("gdwidget.models", None),
    "monitor": ("gdwidget.monitoring", "monitor"),
    "plots": ("gdwidget.plots", None),
    "save_html": ("gdwidget.export", "save_html"),
    "sweep": ("gdwidget.sweeps", "sweep"),
    "PhaseMap": ("gdwidget.sweeps.phasemap", "PhaseMap"),
    "load_ipython_extension": ("gdwidget.magics", "load_ipython_extension"),
    "presets": ("gdwidget.classroom", "presets"),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'gdwidget' has no attribute {name!r}")
    module_name, attr = _LAZY[name]
    module = importlib.import_module(module_name)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = ["optim", "get_backend", "gpu_available", "to_numpy", *_LAZY]
