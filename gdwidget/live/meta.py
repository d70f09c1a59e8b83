"""What the page is told about a race: ``meta`` (fixed for a run) and ``status`` (per frame).

Plain functions of a source; they read it and change nothing.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..optim.hyper import show
from . import viewcount
from .hypers import settings
from .planned import planned
from .schedulepick import catalogue as schedule_catalogue
from .schedulepick import describe as describe_schedule
from .toggles import toggles_meta

#: Twelve colours (Tableau 10 and two more), then dash patterns, so that many runs stay apart.
PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
    "#17becf",
    "#8c6bb1",
)
DASHES = ([], [8, 4], [2, 3], [10, 3, 2, 3])


def style(group_index: int) -> tuple[str, list[int]]:
    """Colour and dash pattern of the ``group_index``-th optimizer."""
    colour = PALETTE[group_index % len(PALETTE)]
    dash = DASHES[(group_index // len(PALETTE)) % len(DASHES)]
    return colour, list(dash)


def fmt(v: Any) -> str:
    """A hyperparameter as legend text (an array of per-run values as its range)."""
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, np.ndarray):
        return show(v)
    if isinstance(v, tuple | list):
        return "(" + ", ".join(fmt(x) for x in v) + ")"
    return str(v)


def _row_value(v: Any, i: int) -> Any:
    """Run ``i``'s own value of a setting that may be per run."""
    if isinstance(v, tuple):
        return tuple(_row_value(x, i) for x in v)
    return float(v[i]) if isinstance(v, np.ndarray) else v


def device_label(backend: Any) -> str:
    """``"CPU · NumPy"`` or ``"GPU · CuPy"`` for the status line."""
    if backend.device == "gpu":
        return "GPU · CuPy"
    name = getattr(backend.xp, "__name__", "numpy").split(".")[0]
    return f"CPU · {'NumPy' if name == 'numpy' else name}"


def runs_meta(run: Any) -> list[dict[str, Any]]:
    """One entry per run; a run of a swept group shows its own settings."""
    group_index = {label: i for i, label in enumerate(run.optimizers)}
    described = {g: opt.describe(changed_only=True) for g, opt in run.optimizers.items()}
    out = []
    for r, (label, group) in enumerate(zip(run.labels, run.groups, strict=True)):
        d = described[group]
        i = r - run.slices[group].start
        colour, dash = style(group_index[group])
        out.append(
            {
                "label": label,
                "group": group,
                "color": colour,
                "dash": dash,
                "hyper": {
                    k: fmt(_row_value(v, i)) for k, v in d.items() if k not in ("optimizer", "lr")
                },
            }
        )
    return out


def groups_meta(run: Any, ranges: dict[str, tuple[float, float]]) -> list[dict[str, Any]]:
    """One entry per optimizer: the slider's value and range (``ranges`` keeps them put).

    A swept group (per-run settings) is one entry: ``runs`` is its number of runs,
    ``lr_range`` the smallest and largest rate of its runs (the slider shows the largest),
    and ``hyper`` its settings, each swept one as its range (``0.5..0.9 (2 runs)``).
    """
    from ..schedules import schedule_peak  # noqa: PLC0415

    out = []
    for label, opt in run.optimizers.items():
        scheduled = callable(opt.lr)
        scale = float(getattr(opt, "lr_scale", 1.0))
        peak = schedule_peak(opt.lr) if scheduled else None
        now = np.asarray(opt.lr_at(run.t), dtype=np.float64)
        lr = scale * peak if peak is not None else float(now.max())
        if label not in ranges:
            e = math.floor(math.log10(lr)) if lr > 0 and math.isfinite(lr) else -3
            ranges[label] = (10.0 ** (e - 2), 10.0 ** (e + 2))
        lo, hi = ranges[label]
        d = opt.describe(changed_only=True)
        sl = run.slices[label]
        out.append(
            {
                "label": label,
                "optimizer": d["optimizer"],
                "lr": float(lr),
                "lr_min": lo,
                "lr_max": hi,
                "schedule": repr(opt.lr) if scheduled else None,
                "scale": scale,
                "peak": peak,
                "runs": sl.stop - sl.start,
                "lr_range": [float(now.min()), float(now.max())] if now.ndim else None,
                # the settings given one value per run ("lr", "betas", ...): a swept group
                "swept": swept_names(opt, d),
                "hyper": {k: fmt(v) for k, v in d.items() if k not in ("optimizer", "lr")},
                # every hyperparameter, for the settings panel (live/hypers.py)
                "settings": settings(opt),
                # the clip, noise and weight decay toggles (live/toggles.py)
                "toggles": toggles_meta(run, label),
                # the schedule picker's choice, and the planned rates (live/planned.py)
                "schedule_pick": describe_schedule(opt.lr),
                "planned": planned(opt, run.t),
            }
        )
    return out


def swept_names(opt: Any, described: dict[str, Any] | None = None) -> list[str]:
    """The names of ``opt``'s settings that are one value per run, as its description
    (``opt.describe(changed_only=True)``, ``described`` when given) and so the legend's
    ``hyper`` name them: ``lr`` (for a per-run schedule too), a hyperparameter (``betas``
    when either of the pair is per run), and for a chain its transforms' (``max_norm``, or
    ``add_noise.seed`` where the optimizer has a ``seed``: ``Chain.describe`` names them,
    as ``History.to_pandas()``'s columns do)."""
    d = opt.describe(changed_only=True) if described is None else described
    out = [k for k, v in d.items() if _per_run(v)]
    if "lr" not in out and getattr(opt.lr, "n_runs", None):
        out.insert(0, "lr")
    return out


def _per_run(v: Any) -> bool:
    return any(isinstance(x, np.ndarray) for x in (v if isinstance(v, tuple) else (v,)))


def axes(source: Any) -> list[str]:
    names = getattr(source.run.objective, "param_names", None)
    if source.plane is not None:
        return list(source.plane.axes)
    if names and len(names) >= 2:
        return [str(names[0]), str(names[1])]
    return ["x", "y"] if source.run.n_params == 2 else ["p[0]", "p[1]"]


def plane_points(source: Any, pts: Any) -> list[list[float]]:
    """Known minima where the landscape shows them (projected onto a model's plane)."""
    from .landscape import finite_points  # noqa: PLC0415

    if source.plane is None or source.plane.kind == "params":
        return finite_points(pts)
    rows = [p for p in pts or [] if len(p) == source.run.n_params]
    if not rows:
        return []
    return finite_points(source.plane.coords(np.asarray(rows, dtype=np.float64)).tolist())


def model_meta(source: Any, model_view: str | None) -> dict[str, Any] | None:
    if not source.is_model:
        return None
    obj = source.run.objective
    out = {
        "task": getattr(obj, "task", "regression"),
        "n_examples": int(obj.n_examples),
        "n_features": int(getattr(obj, "n_features", 0)),
        "n_classes": int(getattr(obj, "n_classes", 0) or 0),
        "plane": source.plane.kind,
        "view": model_view,
    }
    if source.plane.kind == "pca":
        out["explained"] = list(source.plane.info.get("explained", []))
    return out


def build(
    source: Any,
    *,
    bounds: list[list[float]],
    ranges: dict[str, tuple[float, float]],
    model_view: str | None,
    max_history: int,
    eval_capacity: int,
    plot_px: tuple[int, int],
) -> dict[str, Any]:
    """The protocol's ``meta`` trait."""
    run = source.run
    obj = run.objective
    return {
        "objective": obj.name,
        "kind": "model" if source.is_model else "function",
        "model": model_meta(source, model_view),
        "n_params": run.n_params,
        "bounds": bounds,
        "minima": plane_points(source, obj.minima),
        "global_minima": plane_points(source, obj.global_minima),
        "log_scale": bool(obj.log_scale),
        "runs": runs_meta(run),
        "groups": groups_meta(run, ranges),
        "axes": axes(source),
        "device": run.backend.device,
        "device_label": device_label(run.backend),
        "max_history": int(max_history),
        "eval_capacity": int(eval_capacity),
        "plot_px": [int(plot_px[0]), int(plot_px[1])],
        "heartbeat_s": viewcount.HEARTBEAT_S,  # how often a view says it is still open
        "schedules": schedule_catalogue(),  # the schedule picker's menu
    }


def status_names(run: Any, halted: bool) -> list[str]:
    """Each run's status; runs still running count as stopped once an error halted them."""
    return ["stopped" if halted and s == "running" else s for s in run.status]


def status(
    run: Any,
    last_loss: np.ndarray,
    halted: bool,
    notes: list[str | None],
    path_px: Any = (),
) -> list[dict[str, Any]]:
    """The protocol's ``status`` trait: one entry per run (``path_px``: each run's bound on
    its drawn path, the history's ``precision["run_px"]``, where known)."""
    names = status_names(run, halted)
    stop = run.stop_step
    out = []
    for i, (label, s) in enumerate(zip(run.labels, names, strict=True)):
        v = float(last_loss[i]) if i < len(last_loss) else math.nan
        out.append(
            {
                "label": label,
                "status": s,
                "step": int(stop[i]) if stop[i] >= 0 else int(run.t),
                "loss": v if math.isfinite(v) else None,
                "note": notes[i] if i < len(notes) else None,
            }
        )
        if i < len(path_px):
            out[-1]["path_px"] = round(float(path_px[i]), 3)
    return out
