"""Views of a model on data: its training examples, gradient arrows and fitted curves or regions.

Plain functions of a source (read, never changed); each returns the protocol's
message (docs/protocol.md, "Models on data").
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import to_numpy

MAX_DATA_ROWS = 2000  # training examples sent for the model view
LINE_POINTS = 128  # inputs of the fitted curves ("line" view)
BOUNDARY_GRID = 64  # decision regions: a 64 x 64 grid ("boundary" view)


def choose(obj: Any) -> str | None:
    """``"line"``, ``"boundary"`` or None: the model view that fits ``obj``."""
    if not (hasattr(obj, "predict") and hasattr(obj, "_X")):
        return None
    task, d = getattr(obj, "task", None), getattr(obj, "n_features", 0)
    if task == "regression" and d == 1:
        return "line"
    if task == "classification" and d == 2:
        return "boundary"
    return None


def padded(v: np.ndarray, pad: float) -> list[float]:
    """``[lo, hi]`` of the finite values, widened by ``pad`` of the span on each side."""
    v = v[np.isfinite(v)]
    if v.size == 0:
        return [-1.0, 1.0]
    lo, hi = float(v.min()), float(v.max())
    span = hi - lo if hi > lo else max(1.0, abs(lo))
    return [lo - pad * span, hi + pad * span]


def data_trait(obj: Any, view: str | None) -> tuple[bytes, dict[str, Any]]:
    """The training examples for the model view (protocol: ``data``, ``data_meta``)."""
    if view is None:
        return b"", {}
    X = np.asarray(to_numpy(obj._X), dtype=np.float64)[:MAX_DATA_ROWS]
    t = np.asarray(to_numpy(obj._y), dtype=np.float64)[:MAX_DATA_ROWS]
    n = X.shape[0]
    rows = np.zeros((n, 3))
    rows[:, 0] = X[:, 0]
    if view == "boundary":
        rows[:, 1] = X[:, 1]
    rows[:, 2] = t
    pad = 0.05 if view == "line" else 0.1
    k = int(getattr(obj, "n_classes", 0) or 0)
    meta = {
        "n": n,
        "view": view,
        "x0": padded(rows[:, 0], pad),
        "x1": padded(rows[:, 1], pad) if view == "boundary" else [0.0, 0.0],
        "t": padded(t, 0.05) if view == "line" else [0.0, float(max(k - 1, 1))],
        "n_classes": k,
    }
    with np.errstate(over="ignore", invalid="ignore"):
        return rows.astype("<f4").tobytes(), meta


def gradients(source: Any) -> tuple[np.ndarray, np.ndarray]:
    """Each run's current mini-batch and full-batch gradient, in plane coordinates."""
    r = source.run
    if source.plane is None:
        raise ValueError("gradients() is for models on data")
    with np.errstate(all="ignore"):
        _, full = r.objective.value_and_grad(r.params, None)
        gb = np.asarray(to_numpy(source.plane.vectors(r.grad)), dtype=np.float64)
        gf = np.asarray(to_numpy(source.plane.vectors(full)), dtype=np.float64)
    return gb, gf


def arrows_message(source: Any, view: list[list[float]]) -> tuple[dict[str, Any], list[bytes]]:
    """The protocol's ``arrows`` message for the current point of every run."""
    gb, gf = gradients(source)
    (x0, x1), (y0, y1) = view
    norms = np.hypot(gf[:, 0], gf[:, 1])
    norms = norms[np.isfinite(norms) & (norms > 0)]
    # the longest full-batch arrow spans 15% of the view's shorter side
    scale = 0.15 * min(x1 - x0, y1 - y0) / float(norms.max()) if norms.size else 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        buf = np.concatenate([gb, gf], axis=1).astype("<f4")
    return {"type": "arrows", "n_runs": source.n_runs, "scale": scale}, [buf.tobytes()]


def model_view_message(
    source: Any, view: str | None, data_meta: dict[str, Any], selected: int
) -> tuple[dict[str, Any], list[bytes]]:
    """The protocol's ``model_view`` message for the current parameters."""
    r = source.run
    obj = r.objective
    if view == "line":
        lo, hi = data_meta["x0"]
        xs = np.linspace(lo, hi, LINE_POINTS)
        with np.errstate(all="ignore"):
            pred = np.asarray(to_numpy(obj.predict(r.params, xs[:, None])), dtype=np.float64)
            buf = pred.reshape(r.n_runs, LINE_POINTS).astype("<f4").tobytes()
        content = {
            "type": "model_view",
            "view": "line",
            "n_runs": r.n_runs,
            "nx": LINE_POINTS,
            "x": [float(lo), float(hi)],
        }
        return content, [buf]
    if view != "boundary":
        raise ValueError("this model has no model view")
    g = BOUNDARY_GRID
    (a0, a1), (b0, b1) = data_meta["x0"], data_meta["x1"]
    gx, gy = np.meshgrid(np.linspace(a0, a1, g), np.linspace(b0, b1, g))  # row 0 at b0
    pts = np.stack([gx.ravel(), gy.ravel()], axis=1)
    sel = min(selected, r.n_runs - 1)
    with np.errstate(all="ignore"):
        p = np.asarray(to_numpy(obj.predict(r.params[sel], pts)), dtype=np.float64)
        if p.ndim == 2:  # class probabilities
            p = p[:, 1] if p.shape[1] == 2 else np.argmax(p, axis=1).astype(np.float64)
        buf = p.reshape(g, g).astype("<f4").tobytes()
    content = {
        "type": "model_view",
        "view": "boundary",
        "run": sel,
        "nx": g,
        "ny": g,
        "x0": [float(a0), float(a1)],
        "x1": [float(b0), float(b1)],
        "n_classes": int(data_meta["n_classes"]),
    }
    return content, [buf]
