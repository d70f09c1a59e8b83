"""The engine: many runs of gradient descent stepped together, knowing nothing of widgets.

- :mod:`.core`: :class:`Run`, its set-up, ``reset`` (which commits only on success) and state;
- :mod:`.status`: where each run stands (status, stop steps, notes, ``done``);
- :mod:`.stepping`: ``advance(n)``, each step a transaction (rolled back if it raises);
- :mod:`.rates`: each optimizer's learning rate, computed and checked once a step;
- :mod:`.batches`: the batch order of models on data;
- :mod:`.results`: :class:`Chunk`, :class:`History`, status names, notes and tables;
- :mod:`.headless`: :func:`run`, a whole race without a widget.
"""

from __future__ import annotations

from .core import MAX_STEPS, Run, _as_objective, _as_optimizers, _starts
from .headless import run
from .results import (
    CONVERGED,
    DIVERGED,
    RUNNING,
    STATUS_NAMES,
    STOPPED,
    Chunk,
    History,
    ObjectiveError,
    evals_table,
    long_table,
)

__all__ = [
    "CONVERGED",
    "DIVERGED",
    "MAX_STEPS",
    "RUNNING",
    "STATUS_NAMES",
    "STOPPED",
    "Chunk",
    "History",
    "ObjectiveError",
    "Run",
    "evals_table",
    "long_table",
    "run",
    "_as_objective",
    "_as_optimizers",
    "_starts",
]
