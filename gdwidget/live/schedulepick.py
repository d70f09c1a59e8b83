"""The schedule picker: a built-in schedule chosen by name, with its parameters, for one group.

``CATALOGUE`` lists the built-in schedules of :mod:`gdwidget.schedules` that the picker offers
and their numeric parameters. Each parameter has a default: a fixed number, ``"rate"`` (the
group's current peak rate), or ``("total", f)``: ``f`` times the *total*, the number of steps
the schedule is planned for (the race's target steps when a target names them and they lie
ahead, else ``max(300, 2 t)``; see :func:`default_total`).

A picked schedule counts steps like a schedule given at construction: its step is the
optimizer's global step (the run's ``t``), not the steps since it was picked. Picked at step
``t``, the next update's rate is ``schedule(t)``; picked at step 0 it is the same race as one
built with that schedule.
"""

from __future__ import annotations

from typing import Any

from .. import schedules as sch
from .._checks import check_real

__all__ = ["CATALOGUE", "build", "catalogue", "default_total", "describe"]

#: name -> (factory, ((parameter, default), ...)) in the order the page shows them
CATALOGUE: dict[str, tuple[Any, tuple[tuple[str, Any], ...]]] = {
    "constant": (sch.constant, (("lr", "rate"),)),
    "step": (sch.step, (("lr", "rate"), ("step_size", ("total", 0.25)), ("gamma", 0.1))),
    "exponential": (sch.exponential, (("lr", "rate"), ("gamma", 0.99))),
    "cosine": (sch.cosine, (("lr", "rate"), ("T_max", ("total", 1.0)), ("eta_min", 0.0))),
    "linear_warmup": (
        sch.linear_warmup,
        (
            ("lr", "rate"),
            ("warmup_steps", ("total", 0.1)),
            ("start_factor", 1.0 / 3),
            ("end_factor", 1.0),
        ),
    ),
    "warmup_cosine": (
        sch.warmup_cosine,
        (
            ("init_value", 0.0),
            ("peak_value", "rate"),
            ("warmup_steps", ("total", 0.1)),
            ("decay_steps", ("total", 1.0)),
            ("end_value", 0.0),
        ),
    ),
    "one_cycle": (
        sch.one_cycle,
        (
            ("max_lr", "rate"),
            ("total_steps", ("total", 1.0)),
            ("pct_start", 0.3),
            ("div_factor", 25.0),
            ("final_div_factor", 1e4),
        ),
    ),
}

#: the parameters that count steps (integers)
INT_PARAMS = {"step_size", "T_max", "warmup_steps", "decay_steps", "total_steps"}
#: the parameter that says where a built-in schedule's plan ends (the planned curve's horizon)
END_PARAMS = {"cosine": "T_max", "warmup_cosine": "decay_steps", "one_cycle": "total_steps"}
#: the horizon of a schedule whose end is not one of its parameters, at step 0
DEFAULT_TOTAL = 300


def default_total(t: int, target_steps: Any = None) -> int:
    """The steps a picked schedule is planned for when its parameters do not say.

    The race's target steps (``Playground(target={"steps": ...})``) when they lie beyond the
    current step ``t``; otherwise ``max(300, 2 t)``.
    """
    if isinstance(target_steps, int) and not isinstance(target_steps, bool) and target_steps > t:
        return target_steps
    return max(DEFAULT_TOTAL, 2 * int(t))


def catalogue() -> list[dict[str, Any]]:
    """The picker's menu for the page (``meta.schedules``): each schedule's name and its
    parameters with their defaults (a number, ``"rate"`` or ``["total", f]``) and kinds."""
    out = []
    for name, (_, params) in CATALOGUE.items():
        out.append(
            {
                "name": name,
                "params": [
                    {
                        "name": k,
                        "kind": "int" if k in INT_PARAMS else "number",
                        "default": list(d) if isinstance(d, tuple) else d,
                    }
                    for k, d in params
                ],
            }
        )
    return out


def _value(name: str, key: str, value: Any) -> Any:
    """A parameter as its factory wants it: a whole number for a step count."""
    if key in INT_PARAMS and isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name}: {key} must be a number, got {value!r}")
    return value


def build(name: Any, params: dict[str, Any], *, rate: float, total: int) -> Any:
    """The schedule ``name`` with ``params``; missing ones take their defaults.

    ``name`` is a built-in's name (:data:`CATALOGUE`) or a schedule itself (a callable
    ``step -> lr``, then ``params`` must be empty). ``rate`` is the default for the rate
    parameter, ``total`` the steps the schedule is planned for. Raises ValueError naming the
    argument: an unknown name or parameter, or a value the schedule's own checks refuse.
    """
    if callable(name):
        if params:
            raise ValueError(f"params are for a schedule given by name, got {sorted(params)}")
        return name
    if not isinstance(name, str) or name not in CATALOGUE:
        raise ValueError(f"name must be one of {', '.join(CATALOGUE)}, got {name!r}")
    factory, spec = CATALOGUE[name]
    known = [k for k, _ in spec]
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise ValueError(
            f"{name} has no parameter {unknown[0]!r}; its parameters: {', '.join(known)}"
        )
    rate = check_real("rate", rate, low=0.0, low_open=True)
    kwargs = {}
    for key, default in spec:
        if key in params:
            kwargs[key] = _value(name, key, params[key])
        elif default == "rate":
            kwargs[key] = rate
        elif isinstance(default, tuple):
            kwargs[key] = max(1, round(default[1] * total))
        else:
            kwargs[key] = default
    if name == "warmup_cosine" and "warmup_steps" not in params:
        kwargs["warmup_steps"] = min(kwargs["warmup_steps"], kwargs["decay_steps"] - 1)
    return factory(**kwargs)


def describe(lr: Any) -> dict[str, Any] | None:
    """``{"name", "params"}`` of a built-in schedule the picker knows (its current choice in
    the page), else None (a number, a per-run schedule, a user's callable)."""
    name = getattr(lr, "_name", None)
    if name not in CATALOGUE or getattr(lr, "n_runs", None) is not None:
        return None
    args = getattr(lr, "_args", {})
    keys = [k for k, _ in CATALOGUE[name][1]]
    return {"name": name, "params": {k: args[k] for k in keys if k in args}}


def plan_end(lr: Any) -> int | None:
    """The step where a built-in schedule's plan ends (``T_max``, ``decay_steps``,
    ``total_steps``; the largest over the runs of a per-run schedule), else None."""
    rows = getattr(lr, "rows", None) or [lr]
    ends = []
    for row in rows:
        key = END_PARAMS.get(getattr(row, "_name", None))
        if key is None:
            return None
        ends.append(int(getattr(row, key)))
    return max(ends) if ends else None


def current_rate(opt: Any, t: int) -> float:
    """The group's rate as the page's slider shows it: a schedule's peak (times its scale),
    else the largest rate of the next update."""
    import numpy as np  # noqa: PLC0415

    peak = sch.schedule_peak(opt.lr) if callable(opt.lr) else None
    if peak is not None:
        return float(opt.lr_scale) * peak
    return float(np.max(np.asarray(opt.lr_at(t), dtype=np.float64)))


def set_schedule(
    run: Any, label: str, name: Any, params: dict[str, Any] | None = None, total: int | None = None
) -> Any:
    """Give optimizer group ``label`` of ``run`` the schedule ``name`` from the next step.

    The schedule is built by :func:`build` (defaults: the group's current peak rate, and
    ``total`` steps, :func:`default_total` when None) and set with ``run.set_lr``, so the
    group's ``lr_scale`` goes back to 1 and the next update ``t`` uses ``schedule(t)``. On any
    error (ValueError naming the argument) nothing changes. Returns the schedule.
    """
    if label not in run.optimizers:
        raise ValueError(f"label must be one of {list(run.optimizers)}, got {label!r}")
    opt = run.optimizers[label]
    if total is None:
        total = default_total(run.t)
    sched = build(name, dict(params or {}), rate=current_rate(opt, run.t), total=total)
    run.set_lr(label, sched)
    return sched
