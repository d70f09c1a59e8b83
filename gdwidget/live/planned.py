"""The planned learning rate of a scheduled group: its schedule over the planned horizon, thinned.

The page's lr panel draws it dashed ahead of the rates used (js/planned.js). A schedule is a
function of the global step, so the plan is ``opt.lr_at`` (the schedule times the group's
``lr_scale``, exactly what the engine uses) over the steps from 0 to the horizon:
the schedule's own end where it names one (``T_max``, ``decay_steps``, ``total_steps``), else
``max(300, 2 t)``, and at least the current step, at most :data:`MAX_AHEAD` beyond it. About
:data:`POINTS` steps are sent (evenly spread, the first and last always), each with its exact
rate, so that where a step is both planned and kept in the history the two values are equal.

The values follow the history's convention (``History.lr``): at step ``s`` the rate of the
update that led to step ``s``, ``opt.lr_at(s - 1)``, and at step 0 the first update's,
``opt.lr_at(0)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .schedulepick import default_total, plan_end

__all__ = ["MAX_AHEAD", "POINTS", "horizon", "planned"]

#: about the lr panel's width in pixels: one planned point per pixel
POINTS = 400
#: most steps the plan reaches beyond the current step (a recursive schedule computes each)
MAX_AHEAD = 100_000


def horizon(lr: Any, t: int) -> int:
    """The number of steps the plan covers (steps ``0 .. horizon - 1``): up to the step after
    the update at the schedule's end."""
    end = plan_end(lr)
    h = end + 2 if end is not None else default_total(t)
    return max(min(h, int(t) + MAX_AHEAD), int(t) + 1)


def planned(opt: Any, t: int, points: int = POINTS) -> dict[str, Any] | None:
    """``{"steps": [...], "lr": [[...], ...]}``: the planned rate at the steps sent (of the
    update that led there), one list per run for a per-run schedule, else one list; None for a
    constant rate or a schedule that fails or gives a rate that is not a finite number >= 0
    within the horizon."""
    if not callable(opt.lr):
        return None
    h = horizon(opt.lr, t)
    steps = np.unique(np.rint(np.linspace(0, h - 1, min(h, points))).astype(np.int64))
    try:
        values = np.array(
            [np.asarray(opt.lr_at(max(int(s) - 1, 0)), dtype=np.float64) for s in steps]
        )
    except Exception:  # noqa: BLE001 - a user's schedule may fail; the engine reports it
        return None
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        return None
    rows = values.T.tolist() if values.ndim == 2 else [values.tolist()]
    return {"steps": steps.tolist(), "lr": rows}
