"""Shared by the Playground's kernel-side tests: objectives, a fake comm standing for the page."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import numpy as np

import gdwidget as gd
from gdwidget.backend import namespace_of
from gdwidget.objectives.base import Objective
from gdwidget.stream import apply, unpack
from gdwidget.widget import Playground


# ---------------------------------------------------------------------------------------
# Helpers: objectives, a fake comm standing for the page, waiting
# ---------------------------------------------------------------------------------------
class Bowl(Objective):
    """0.5 * (x^2 + 4 y^2): a gradient step is easy to predict."""

    name = "bowl"
    n_params = 2
    bounds = ((-2.0, 2.0), (-1.0, 3.0))
    default_start = (1.5, 1.0)
    minima = [(0.0, 0.0)]
    global_minima = [(0.0, 0.0)]

    def __init__(self, fail_at: int | None = None) -> None:
        self.calls = 0
        self.fail_at = fail_at
        self.lock = threading.Lock()

    def value(self, params: Any, batch: Any = None) -> Any:
        xp = namespace_of(params)
        return 0.5 * (params[..., 0] ** 2 + 4.0 * params[..., 1] ** 2) + 0.0 * xp.sum(params, -1)

    def value_and_grad(self, params: Any, batch: Any = None) -> tuple[Any, Any]:
        with self.lock:
            self.calls += 1
            if self.fail_at is not None and self.calls >= self.fail_at:
                raise ZeroDivisionError("boom in the user's objective")
        xp = namespace_of(params)
        grad = xp.stack([params[..., 0], 4.0 * params[..., 1]], axis=-1)
        return self.value(params), grad


#: the messages whose rows a page holds
PAGE_ROWS = ("frame", "thin", "history")


class FakeComm:
    """Stands for the page: records what the kernel sends, delivers what the page sends."""

    kernel = object()  # ipywidgets sends only when the comm has a kernel

    def __init__(self) -> None:
        self.comm_id = uuid.uuid4().hex
        self.sent: list[tuple[dict[str, Any], list[Any]]] = []
        self.lock = threading.Lock()
        self._handler = None

    def send(self, data: dict[str, Any], buffers: Any = None, **_: Any) -> None:
        with self.lock:
            self.sent.append((data, list(buffers or [])))

    def on_msg(self, handler: Any) -> None:
        self._handler = handler

    def close(self, *_: Any, **__: Any) -> None:
        pass

    # -- the page's side --
    def page_sends(self, content: Any) -> None:
        self._handler(
            {"content": {"data": {"method": "custom", "content": content}}, "buffers": []}
        )

    def packets(self) -> list[dict[str, Any]]:
        with self.lock:
            msgs = list(self.sent)
        return [
            unpack(d["content"], b)
            for d, b in msgs
            if d.get("method") == "custom" and d["content"].get("type") in PAGE_ROWS
        ]

    def updates(self, key: str) -> list[Any]:
        with self.lock:
            msgs = list(self.sent)
        return [
            d["state"][key] for d, _ in msgs if d.get("method") == "update" and key in d["state"]
        ]

    def clear(self) -> None:
        with self.lock:
            self.sent.clear()


def page_state(packets: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """What a page holds after these unpacked packets (the page's rule: ``wire.apply``)."""
    held = None
    for p in packets:
        held = apply(held, p)
    return held


def wait_for(cond: Any, timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.01)
    return cond()


def make(objective: Objective | None = None, optimizers: Any = None, **kw: Any):
    kw.setdefault("device", "cpu")
    kw.setdefault("grad_tol", 0.0)
    optimizers = optimizers or {"gd": gd.optim.sgd(0.1), "adam": gd.optim.adam(0.05)}
    w = Playground(objective or Bowl(), optimizers, **kw)
    comm = FakeComm()
    original = w.comm
    if original is not None:
        comm.comm_id = original.comm_id  # the same model id, so close() unregisters the widget
    w.comm = comm
    if original is not None:
        original.on_msg(None)  # the stand-in comm alone leads to the widget now
        original.close()
    return w, comm


def make_shown(*args: Any, **kw: Any):
    """:func:`make`, and its fake page has asked for the history, as a page does."""
    w, comm = make(*args, **kw)
    comm.page_sends({"type": "request_history"})
    return w, comm


def loop_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "gdwidget-session"]


def distance_to_polyline(points: np.ndarray, line: np.ndarray) -> np.ndarray:
    """Each point's distance to the polyline (brute force over every segment)."""
    if len(line) == 1:
        return np.hypot(*(points - line[0]).T)
    a, b = line[:-1], line[1:]
    ab = b - a
    out = np.empty(len(points))
    for i, p in enumerate(points):
        t = np.clip(
            np.einsum("ij,ij->i", p - a, ab) / np.maximum(np.einsum("ij,ij->i", ab, ab), 1e-300),
            0,
            1,
        )
        out[i] = np.min(np.hypot(*(a + t[:, None] * ab - p).T))
    return out
