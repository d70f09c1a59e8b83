"""What a :class:`~gdwidget.engine.core.Run` is given, checked and normalized: optimizers, the
objective and the starts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..backend import to_numpy
from ..objectives.base import Objective
from ..optim.base import Optimizer

__all__ = ["_as_objective", "_as_optimizers", "_starts"]


def _as_optimizers(optimizers: Any) -> dict[str, Optimizer]:
    if isinstance(optimizers, Optimizer):
        return {optimizers.name: optimizers}
    if not isinstance(optimizers, Mapping) or not optimizers:
        raise ValueError(
            "optimizers must be an optimizer or a non-empty dict {label: optimizer}, "
            f"got {optimizers!r}"
        )
    out: dict[str, Optimizer] = {}
    for label, opt in optimizers.items():
        if not isinstance(label, str) or not label:
            raise ValueError(f"optimizer labels must be non-empty strings, got {label!r}")
        if not isinstance(opt, Optimizer):
            raise ValueError(
                f"optimizers[{label!r}] must be a gdwidget optimizer such as "
                f"gd.optim.adam(0.01), got {opt!r}"
            )
        out[label] = opt
    return out


def _as_objective(objective: Any) -> Objective:
    if isinstance(objective, Objective):
        return objective
    if isinstance(objective, str):
        from ..objectives import functions  # noqa: PLC0415

        return functions.get(objective)
    raise ValueError(
        "objective must be a gdwidget objective (gd.functions.rosenbrock(), gd.Function(...), "
        f"a model) or a function name, got {objective!r}"
    )


def _starts(objective: Objective, start: Any, seed: int = 0) -> np.ndarray:
    """Start points as a host array ``(n_starts, n_params)``."""
    if start is None and objective.default_start is None and hasattr(objective, "init_params"):
        start = objective.init_params(seed)  # models: their own initialization
    if start is None:
        if objective.default_start is None:
            raise ValueError(f"start is required: {objective.name} has no default start")
        start = objective.default_start
    try:
        s = np.asarray(to_numpy(start) if not isinstance(start, list | tuple) else start)
        kind = s.dtype.kind
        s = s.astype(np.float64) if kind in "biuf" else s
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"start must be numbers, got {start!r}") from None
    if kind == "c":
        raise ValueError(f"start must be real numbers, got complex values {start!r}")
    if kind not in "biuf":
        raise ValueError(f"start must be numbers, got {start!r} (dtype {s.dtype})")
    if s.ndim == 1:
        s = s[None, :]
    if s.ndim != 2 or s.shape[1] != objective.n_params or s.shape[0] < 1:
        raise ValueError(
            f"start must have shape ({objective.n_params},) or (n_starts, {objective.n_params}) "
            f"for {objective.name}, got shape {np.shape(start)}"
        )
    if not np.all(np.isfinite(s)):
        raise ValueError(f"start must be finite, got {start!r}")
    return s


def each_run(starts: np.ndarray, slices: dict[str, slice], n_runs: int) -> np.ndarray:
    """Every run's start, ``(n_runs, n_params)``, from the starts a Run keeps: one per run
    (given run by run), or the same points for every group."""
    if starts.shape[0] == n_runs:
        return np.array(starts, dtype=np.float64)
    n_params = starts.shape[1]
    return np.concatenate(
        [np.broadcast_to(starts, (sl.stop - sl.start, n_params)) for sl in slices.values()]
    )
