"""Shared by the monitor's tests: a monitor wired to a fake page, and what that page holds."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
from widget_helpers import FakeComm

import gdwidget as gd
from gdwidget.monitoring.wire import unpack

MONITOR_TYPES = ("frame", "history", "path", "surface")


def attach(m: Any) -> FakeComm:
    """Replace the monitor's comm with a FakeComm standing for the page."""
    comm = FakeComm()
    original = m.comm
    if original is not None:
        comm.comm_id = original.comm_id
    m.comm = comm
    if original is not None:
        original.on_msg(None)
        original.close()
    return comm


def make(*args: Any, **kw: Any) -> tuple[Any, FakeComm]:
    m = gd.monitor(*args, **kw)
    return m, attach(m)


def messages(comm: FakeComm, kinds: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """Every custom message the kernel sent, decoded."""
    with comm.lock:
        sent = list(comm.sent)
    out = []
    for d, b in sent:
        if d.get("method") != "custom" or d["content"].get("type") not in MONITOR_TYPES:
            continue  # the buffers probe is the live layer's
        msg = unpack(d["content"], b)
        if kinds is None or msg["type"] in kinds:
            out.append(msg)
    return out


def page_rows(comm: FakeComm) -> dict[str, Any]:
    """What a page holds: a history replaces everything, a frame of the same generation
    appends (a frame of another generation is ignored until the next history)."""
    steps: np.ndarray | None = None
    cols: dict[str, np.ndarray] = {}
    gen = None
    for msg in messages(comm, ("frame", "history")):
        if msg["type"] == "history" or steps is None:
            steps, cols, gen = msg["steps"].copy(), dict(msg["columns"]), msg["generation"]
        elif msg["generation"] == gen:
            n_old = steps.shape[0]
            steps = np.concatenate([steps, msg["steps"]])
            for k, v in msg["columns"].items():
                old = cols.get(k, np.full(n_old, np.nan))
                cols[k] = np.concatenate([old, v])
    return {"steps": steps if steps is not None else np.zeros(0), "columns": cols}


def monitor_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "gdwidget-monitor"]


def bilinear(xs: np.ndarray, ys: np.ndarray, values: np.ndarray, x: float, y: float) -> float:
    """The grid ``values`` (ny, nx) over nodes ``xs``, ``ys`` interpolated at ``(x, y)``."""
    j = int(np.clip(np.searchsorted(xs, x) - 1, 0, len(xs) - 2))
    i = int(np.clip(np.searchsorted(ys, y) - 1, 0, len(ys) - 2))
    tx = (x - xs[j]) / (xs[j + 1] - xs[j])
    ty = (y - ys[i]) / (ys[i + 1] - ys[i])
    v = values
    return float(
        (1 - ty) * ((1 - tx) * v[i, j] + tx * v[i, j + 1])
        + ty * ((1 - tx) * v[i + 1, j] + tx * v[i + 1, j + 1])
    )
