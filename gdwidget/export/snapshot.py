"""What an export holds: a source's bounded history, its legend and its landscape, on the host.

:func:`snapshot` reads a Playground, a finished :class:`gdwidget.engine.History` (or a
Playground's :class:`~gdwidget.stream.DecimatedHistory`) or a monitor, and changes nothing.
Everything an export writes (the replay page's data, the static picture) comes from one
:class:`Snapshot`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..live import meta as meta_mod
from ..live.landscape import finite_points
from ..stream import DEFAULT_CAPACITY, DEFAULT_PLOT_PX, HistoryBuffer
from . import landscape as land

__all__ = ["Snapshot", "snapshot"]


@dataclass
class Snapshot:
    """One race, frozen: what the replay page and the static picture show.

    Attributes
    ----------
    kind : {"playground", "history", "monitor"}
    title : str
    meta : dict
        The protocol's ``meta`` (docs/protocol.md): runs with colours and dashes, axes,
        bounds, minima, ``log_scale``.
    view : [[x0, x1], [y0, y1]]
        The landscape's box.
    steps : ndarray (n,) of int64
    loss, lr, grad_norm : ndarray (n, n_runs) of float64
    xy : ndarray (n, n_runs, 2) of float64, or None when there is no 2-D point
    status : list of dict
        One per run, the protocol's ``status`` entry at the end (``label``, ``status``,
        ``step``, ``loss``, ``note``).
    stop_step : ndarray (n_runs,) of int64
        The step at which each run stopped, -1 if it did not.
    grid : ndarray (ny, nx) of float32, or None
        The loss over ``grid_meta``'s box (row 0 at ``y0``), NaN where not finite.
    grid_meta : dict or None
        The protocol's ``grid_meta``.
    evals : dict of ndarray, or None
        ``step`` ``(E,)`` and one ``(E, n_runs)`` array per evaluated key.
    extra : dict
        What a monitor adds (its logged scalars, per-layer gradient norms).
    """

    kind: str
    title: str
    meta: dict[str, Any]
    view: list[list[float]]
    steps: np.ndarray
    loss: np.ndarray
    lr: np.ndarray
    grad_norm: np.ndarray
    xy: np.ndarray | None
    status: list[dict[str, Any]]
    stop_step: np.ndarray
    grid: np.ndarray | None = None
    grid_meta: dict[str, Any] | None = None
    evals: dict[str, np.ndarray] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def labels(self) -> list[str]:
        return [str(r["label"]) for r in self.meta.get("runs", [])]

    @property
    def n_runs(self) -> int:
        return int(self.loss.shape[1])

    def __len__(self) -> int:
        return int(self.steps.shape[0])


def snapshot(
    source: Any,
    *,
    objective: Any = None,
    title: str | None = None,
    max_rows: int = DEFAULT_CAPACITY,
    grid_size: tuple[int, int] = (160, 120),
) -> Snapshot:
    """A :class:`Snapshot` of ``source``.

    Parameters
    ----------
    source : Playground, History, DecimatedHistory or monitor
        A Playground gives its bounded history (``w.history``), its ``meta``, its view and
        the landscape it shows. A History gives its rows (thinned by the stream's one rule
        to at most ``max_rows`` when longer); its landscape is computed when ``objective``
        is given and its paths are 2-D.
    objective : Objective or str, optional
        For a History: the objective it ran on (for the landscape, the axes and the minima).
    title : str, optional
        Default: the objective's name.
    max_rows : int
        Rows kept from a History (a Playground's history is already bounded).
    grid_size : (nx, ny)
        Landscape resolution for a History.

    Raises
    ------
    TypeError
        If ``source`` is none of these.
    """
    if isinstance(max_rows, bool) or not isinstance(max_rows, int) or max_rows < 16:
        raise ValueError(f"max_rows must be an integer >= 16, got {max_rows!r}")
    kind = _kind(source)
    if kind == "playground":
        snap = _from_playground(source)
    elif kind == "monitor":
        from .monitor import from_monitor  # noqa: PLC0415

        snap = from_monitor(source, max_rows=max_rows)
    else:
        snap = _from_history(source, objective, max_rows, grid_size)
    if title is not None:
        snap.title = str(title)
    return snap


def _kind(source: Any) -> str:
    from ..engine import History  # noqa: PLC0415
    from ..stream import DecimatedHistory  # noqa: PLC0415

    if isinstance(source, History | DecimatedHistory):
        return "history"
    if hasattr(source, "session") and hasattr(source, "meta") and hasattr(source, "history"):
        return "playground"
    if type(source).__module__.startswith("gdwidget.monitoring"):
        return "monitor"
    raise TypeError(
        "source must be a gd.Playground, a gd.History (from gd.run), a Playground's history "
        f"or a gd.monitor, got {type(source).__name__}"
    )


# -- a Playground ------------------------------------------------------------------------
def _from_playground(w: Any) -> Snapshot:
    hist = w.history
    meta = dict(w.meta)
    meta["path_px"] = hist.precision.get("px", 0.0)  # what the held rows promise
    view = _box(w.view) or _box(meta.get("bounds")) or [[-1.0, 1.0], [-1.0, 1.0]]
    grid, grid_meta = land.from_traits(w.grid, w.grid_meta)
    if grid is None:
        grid, grid_meta = land.from_source(w.session.source, view)
    notes = {s.get("label"): s.get("note") for s in (w.status or []) if isinstance(s, dict)}
    status = _status(hist.labels, hist.status, hist.stop_step, hist.loss, hist.steps, notes)
    return Snapshot(
        kind="playground",
        title=str(meta.get("objective", "gdwidget")),
        meta=meta,
        view=view,
        steps=np.asarray(hist.steps, dtype=np.int64),
        loss=np.asarray(hist.loss, dtype=np.float64),
        lr=np.asarray(hist.lr, dtype=np.float64),
        grad_norm=np.asarray(hist.grad_norm, dtype=np.float64),
        xy=np.asarray(hist.xy, dtype=np.float64),
        status=status,
        stop_step=np.asarray(hist.stop_step, dtype=np.int64),
        grid=grid,
        grid_meta=grid_meta,
        evals=hist.evals,
    )


# -- a History ---------------------------------------------------------------------------
def _from_history(h: Any, objective: Any, max_rows: int, grid_size: tuple[int, int]) -> Snapshot:
    obj = land.as_objective(objective)
    xy = _points(h)
    steps = np.asarray(h.steps, dtype=np.int64)
    loss = np.asarray(h.loss, dtype=np.float64)
    lr = np.asarray(h.lr, dtype=np.float64)
    gn = np.asarray(h.grad_norm, dtype=np.float64)
    view = land.history_bounds(obj, xy)
    path_px = 0.0
    if steps.shape[0] > max_rows:
        steps, loss, xy, gn, lr, path_px = _thin(steps, loss, xy, gn, lr, view, max_rows)
    grid, grid_meta = (None, None)
    if obj is not None and xy is not None:
        start = _start(h)
        grid, grid_meta = land.from_objective(obj, view, grid_size, start)
    labels, groups = list(h.labels), list(h.groups)
    meta = _history_meta(h, obj, view, labels, groups, max_rows)
    meta["path_px"] = path_px
    notes = dict(zip(labels, getattr(h, "notes", None) or [None] * len(labels), strict=False))
    status = _status(labels, h.status, h.stop_step, loss, steps, notes)
    return Snapshot(
        kind="history",
        title=str(meta["objective"]),
        meta=meta,
        view=view,
        steps=steps,
        loss=loss,
        lr=lr,
        grad_norm=gn,
        xy=xy,
        status=status,
        stop_step=np.asarray(h.stop_step, dtype=np.int64),
        grid=grid,
        grid_meta=grid_meta,
        evals=getattr(h, "evals", None),
    )


def _points(h: Any) -> np.ndarray | None:
    xy = getattr(h, "xy", None)
    if xy is None:
        p = getattr(h, "params", None)
        if p is None or p.ndim != 3 or p.shape[-1] < 2:
            return None
        xy = p[:, :, :2]
    return np.asarray(xy, dtype=np.float64)


def _start(h: Any) -> np.ndarray | None:
    p = getattr(h, "params", None)
    if p is None or getattr(p, "ndim", 0) != 3 or not len(p):
        return None
    return np.asarray(p[0, 0], dtype=np.float64)


def _thin(steps, loss, xy, gn, lr, view, max_rows):
    """At most ``max_rows`` rows by the stream's one rule (paths within a pixel, loss extremes),
    and the bound in pixels the paths were kept to (over a pixel where runs outgrew the rows)."""
    n, n_runs = loss.shape
    pts = xy if xy is not None else np.zeros((n, n_runs, 2))
    buf = HistoryBuffer(n_runs, max_rows, bounds=view, px=DEFAULT_PLOT_PX)
    for a in range(0, n, 1024):
        b = min(n, a + 1024)
        buf.append(steps[a:b], loss[a:b], pts[a:b], gn[a:b], lr[a:b])
    buf.commit_pending()
    r = buf.rows()
    keep = np.searchsorted(steps, r.steps)  # the kept rows, read from the History itself
    out_xy = None if xy is None else xy[keep]
    return steps[keep], loss[keep], out_xy, gn[keep], lr[keep], buf.precision["px"]


def _history_meta(h, obj, view, labels, groups, max_rows) -> dict[str, Any]:
    order = list(dict.fromkeys(list(getattr(h, "optimizers", {}) or {}) + groups))
    runs = []
    for label, group in zip(labels, groups, strict=True):
        colour, dash = meta_mod.style(order.index(group))
        desc = (getattr(h, "optimizers", {}) or {}).get(group, {})
        hyper = {"lr": meta_mod.fmt(desc["lr"])} if "lr" in desc else {}
        runs.append({"label": label, "group": group, "color": colour, "dash": dash, "hyper": hyper})
    opts = getattr(h, "optimizers", {}) or {}
    group_meta = [
        {
            "label": g,
            "optimizer": str(opts.get(g, {}).get("optimizer", g)),
            "lr": _num(opts.get(g, {}).get("lr")),
            "schedule": None,
        }
        for g in order
    ]
    n_params = int(h.params.shape[-1]) if getattr(h, "params", None) is not None else 0
    names = getattr(obj, "param_names", None) if obj is not None else None
    if names and len(names) >= 2:
        axes = [str(names[0]), str(names[1])]
    else:
        axes = ["x", "y"] if n_params == 2 else ["p[0]", "p[1]"]
    return {
        "objective": obj.name if obj is not None else "gd.run",
        "kind": "model" if obj is not None and obj.n_examples is not None else "function",
        "model": None,
        "n_params": n_params,
        "bounds": view,
        "minima": finite_points(obj.minima) if obj is not None else [],
        "global_minima": finite_points(obj.global_minima) if obj is not None else [],
        "log_scale": bool(obj.log_scale) if obj is not None else False,
        "runs": runs,
        "groups": group_meta,
        "axes": axes,
        "device": str(getattr(h, "device", "cpu")),
        "max_history": int(max_rows),
        "eval_capacity": int(max_rows),
        "plot_px": list(DEFAULT_PLOT_PX),
    }


# -- shared ------------------------------------------------------------------------------
def _status(labels, names, stop_step, loss, steps, notes) -> list[dict[str, Any]]:
    out = []
    last = int(steps[-1]) if len(steps) else 0
    for i, label in enumerate(labels):
        col = loss[:, i] if loss.size else np.zeros(0)
        finite = col[np.isfinite(col)]
        stop = int(stop_step[i]) if i < len(stop_step) else -1
        out.append(
            {
                "label": label,
                "status": str(names[i]) if i < len(names) else "stopped",
                "step": stop if stop >= 0 else last,
                "loss": float(finite[-1]) if finite.size else None,
                "note": notes.get(label),
            }
        )
    return out


def _box(b: Any) -> list[list[float]] | None:
    try:
        (x0, x1), (y0, y1) = b
        box = [[float(x0), float(x1)], [float(y0), float(y1)]]
    except (TypeError, ValueError):
        return None
    ok = all(math.isfinite(v) for v in (*box[0], *box[1]))
    return box if ok and box[0][1] > box[0][0] and box[1][1] > box[1][0] else None


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, int | float) and math.isfinite(v) else None
