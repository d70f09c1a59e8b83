"""A monitor's race for an export: its logged scalars as curves, its parameter path on the
plane it shows, and the loss surface over that plane when one was computed.

Each logged scalar (each seed column of it) is a "run" of the Playground's views: its values,
each step holding the latest one logged (a name logged every ten steps is a line, not dots),
are that run's curve. The parameter path is the model's, shared by every logged name: each
run's point at a step is the path's latest sample at or before it. What is exact, and what the
Playground's views have no place for (the scalars as logged, per-layer gradient norms,
clipping, each param group's lr, the path's samples), rides along in ``extra``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..live import meta as meta_mod
from ..stream import DEFAULT_PLOT_PX
from . import landscape as land

__all__ = ["NothingLogged", "from_monitor"]


class NothingLogged(ValueError):
    """A monitor that has logged no scalar yet: there is nothing to draw or export."""


def from_monitor(source: Any, *, max_rows: int) -> Any:
    """A :class:`~.snapshot.Snapshot` of a monitor (or of its ``m.history``)."""
    from .snapshot import Snapshot, _status  # noqa: PLC0415

    h = source.history if hasattr(source, "log") else source
    steps = np.asarray(h.steps, dtype=np.int64)
    n = steps.shape[0]
    labels, columns = [], []
    for name, v in h.scalars.items():
        v = np.asarray(v, dtype=np.float64).reshape(n, -1)
        for j in range(v.shape[1]):
            labels.append(name if v.shape[1] == 1 else f"{name}[{j}]")
            columns.append(_hold(v[:, j]))
    if not labels:
        raise NothingLogged("the monitor has logged no scalar yet: nothing to export")
    loss = np.stack(columns, axis=1)
    n_runs = loss.shape[1]
    lr_cols = list(h.lr.values())
    lr1 = np.asarray(lr_cols[0], dtype=np.float64) if lr_cols else np.full(n, np.nan)
    lr = np.repeat(lr1[:, None], n_runs, axis=1)
    gn = np.repeat(np.asarray(h.grad_norm, dtype=np.float64)[:, None], n_runs, axis=1)
    path_steps = np.asarray(h.path_steps, dtype=np.int64)
    path = np.asarray(h.path, dtype=np.float64).reshape(-1, 2)
    xy = None
    if path.shape[0]:
        xy = np.full((n, n_runs, 2), np.nan)
        at = np.searchsorted(path_steps, steps, side="right") - 1  # latest sample <= step
        ok = at >= 0
        xy[ok] = path[at[ok]][:, None, :]
    grid, grid_meta, view = _surface(source, path)
    runs = []
    for r, label in enumerate(labels):
        colour, dash = meta_mod.style(r)
        runs.append({"label": label, "group": label, "color": colour, "dash": dash, "hyper": {}})
    meta = {
        "objective": "monitor",
        "kind": "monitor",
        "model": None,
        "n_params": 2,
        "bounds": view,
        "minima": [],
        "global_minima": [],
        "log_scale": False,
        "runs": runs,
        "groups": [{"label": g, "optimizer": "", "lr": None, "schedule": None} for g in h.lr],
        "axes": ["PC1", "PC2"],
        "device": "cpu",
        "max_history": int(max_rows),
        "eval_capacity": 0,
        "plot_px": list(DEFAULT_PLOT_PX),
    }
    stop = np.full(n_runs, -1, dtype=np.int64)
    status = _status(labels, ["running"] * n_runs, stop, loss, steps, {})
    extra = {f"scalars/{k}": np.asarray(v, dtype=np.float64) for k, v in h.scalars.items()}
    extra |= {str(k): np.asarray(v, dtype=np.float64) for k, v in h.lr.items()}  # "lr/0", ...
    extra |= {
        "grad_norm": np.asarray(h.grad_norm, dtype=np.float64),
        "layers": list(h.layers),
        "layer_norms": np.asarray(h.layer_norms, dtype=np.float64),
        "clipped": np.asarray(h.clipped, dtype=np.float64),
        "path_steps": path_steps.astype(np.float64),
        "path": path,
    }
    return Snapshot(
        kind="monitor",
        title="gd.monitor",
        meta=meta,
        view=view,
        steps=steps,
        loss=loss,
        lr=lr,
        grad_norm=gn,
        xy=xy,
        status=status,
        stop_step=stop,
        grid=grid,
        grid_meta=grid_meta,
        extra=extra,
    )


def _hold(v: np.ndarray) -> np.ndarray:
    """Each NaN replaced by the latest finite value before it (leading NaNs stay)."""
    idx = np.where(np.isfinite(v), np.arange(v.shape[0]), -1)
    idx = np.maximum.accumulate(idx)
    out = np.where(idx >= 0, v[np.maximum(idx, 0)], np.nan)
    return out


def _surface(source: Any, path: np.ndarray):
    """The last surface the monitor computed over the plane its path is shown on, if any."""
    pr = getattr(source, "_projector", None)
    job = getattr(pr, "surface", None)
    if job is not None and getattr(job, "plane", None) is getattr(pr, "shown", object()):
        values = np.asarray(job.values, dtype=np.float64)
        (x0, x1), (y0, y1) = job.bounds
        finite = values[np.isfinite(values)]
        meta = {
            "nx": int(values.shape[1]),
            "ny": int(values.shape[0]),
            "x0": float(x0),
            "x1": float(x1),
            "y0": float(y0),
            "y1": float(y1),
            "zmin": float(finite.min()) if finite.size else 0.0,
            "zmax": float(finite.max()) if finite.size else 1.0,
            "log": False,
        }
        view = [[float(x0), float(x1)], [float(y0), float(y1)]]
        return values.astype(np.float32), meta, view
    return None, None, land.history_bounds(None, path[None] if path.shape[0] else None)
