"""The loss over the path's plane, evaluated a few points at a time in the training thread.

``loss_fn`` evaluates the user's own model, so the surface is computed where the
model is trained (in the optimizer's hook, or in ``log()``), between two steps, and
never in another thread: the parameters are set to a point of the plane, the loss
is read, and the parameters are put back before the next step. A
:class:`SurfaceJob` holds one grid; :meth:`SurfaceJob.work` evaluates points while
its time credit lasts (a share of the wall time, so a surface costs training at most
about ``SHARE`` of its time, and comes at a bounded rate).

``loss_fn`` with a torch model: ``loss_fn()`` or ``loss_fn(model)`` (if it takes one
argument), a scalar tensor or float, evaluated under ``torch.no_grad()`` with the
model in ``eval()`` mode (dropout off, batch-norm statistics neither used from the
batch nor updated), its modes restored after. Without a model: ``loss_fn(params)``
with ``params`` a float64 NumPy vector of every parameter.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from .projection import PathPlane

__all__ = ["NumpyEvaluator", "SurfaceJob", "TorchEvaluator", "takes_argument"]

#: Share of the wall time the surface may take from training.
SHARE = 0.03
#: Most seconds of credit saved up (so that a long pause brings no long stall).
MAX_CREDIT = 0.05


def takes_argument(fn: Callable[..., Any]) -> bool:
    """Whether ``fn`` needs a positional argument (``loss_fn(model)`` rather than ``loss_fn()``)."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return False
    return any(
        p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        for p in sig.parameters.values()
    )


class SurfaceJob:
    """One grid of ``nx`` by ``ny`` loss values over ``bounds`` of ``plane``."""

    def __init__(
        self, plane: PathPlane, bounds: list[list[float]], nx: int = 41, ny: int = 41
    ) -> None:
        self.plane = plane
        self.bounds = bounds
        self.xs = np.linspace(bounds[0][0], bounds[0][1], nx)
        self.ys = np.linspace(bounds[1][0], bounds[1][1], ny)
        self.values = np.full((ny, nx), np.nan)
        self.next = 0
        self.credit = 0.0
        self.last = time.perf_counter()

    @property
    def done(self) -> bool:
        return self.next >= self.values.size

    def ab(self, j: int) -> np.ndarray:
        """Plane coordinates of grid point ``j`` (row-major, row 0 at ``y0``)."""
        nx = self.xs.shape[0]
        return np.array([self.xs[j % nx], self.ys[j // nx]])

    def work(self, evaluator: Any, everything: bool = False) -> None:
        """Evaluate points while the credit lasts (all of them with ``everything``)."""
        now = time.perf_counter()
        self.credit = min(self.credit + SHARE * (now - self.last), MAX_CREDIT)
        self.last = now
        if self.done or (self.credit <= 0 and not everything):
            return
        evaluator.begin(self.plane)
        try:
            while not self.done and (everything or self.credit > 0):
                t0 = time.perf_counter()
                self.values.flat[self.next] = evaluator.value(self.ab(self.next))
                self.next += 1
                self.credit -= time.perf_counter() - t0
        finally:
            t0 = time.perf_counter()
            evaluator.end()
            self.credit -= time.perf_counter() - t0
            self.last = time.perf_counter()


class NumpyEvaluator:
    """``loss_fn(params)`` on the newest parameters logged, with the plane's coordinates set."""

    def __init__(
        self,
        loss_fn: Callable[[np.ndarray], Any],
        latest: Callable[[], np.ndarray | None],
        index: Callable[[], np.ndarray | None],
    ) -> None:
        self.loss_fn = loss_fn
        self.latest = latest
        self.index = index
        self._base: np.ndarray | None = None
        self._plane: PathPlane | None = None

    def begin(self, plane: PathPlane) -> None:
        base = self.latest()
        if base is None:
            raise RuntimeError("no parameters were logged")
        self._base, self._plane = base, plane

    def value(self, ab: np.ndarray) -> float:
        assert self._base is not None and self._plane is not None
        x = self._base.copy()
        idx = self.index()
        p = self._plane.point(ab)
        if idx is None:
            x[:] = p
        else:
            x[idx] = p
        return float(self.loss_fn(x))

    def end(self) -> None:
        self._base = None


class TorchEvaluator:
    """``loss_fn()`` (or ``loss_fn(model)``) with the model's parameters set on its device."""

    def __init__(
        self, probe: Any, loss_fn: Callable[..., Any], index: Callable[[], np.ndarray | None]
    ) -> None:
        self.probe = probe
        self.loss_fn = loss_fn
        self.with_model = takes_argument(loss_fn) and probe.model is not None
        self.index = index
        self._saved: list[Any] = []
        self._modes: list[tuple[Any, bool]] = []
        self._cache: tuple[int, Any, Any, Any] | None = None
        self._grad: Any = None

    def begin(self, plane: PathPlane) -> None:
        torch = self.probe.torch
        params = self.probe.params
        self._grad = torch.no_grad()
        self._grad.__enter__()
        self._saved = [p.detach().clone() for p in params]
        model = self.probe.model
        if model is not None:
            self._modes = [(m, m.training) for m in model.modules()]
            model.eval()
        dev, dtype = self.probe.device, params[0].dtype
        if self._cache is None or self._cache[0] != id(plane):
            idx = self.index()
            self._cache = (
                id(plane),
                torch.as_tensor(plane.origin, device=dev, dtype=torch.float64),
                torch.as_tensor(plane.dirs, device=dev, dtype=torch.float64),
                None if idx is None else torch.as_tensor(idx, device=dev),
            )
        self._base = torch.cat([s.reshape(-1).to(dev, dtype) for s in self._saved])

    def value(self, ab: np.ndarray) -> float:
        torch = self.probe.torch
        assert self._cache is not None
        _, origin, dirs, idx = self._cache
        point = origin + dirs @ torch.as_tensor(ab, device=origin.device, dtype=torch.float64)
        flat = self._base.clone()
        if idx is None:
            flat.copy_(point)
        else:
            flat[idx] = point.to(flat.dtype)
        off = 0
        for p in self.probe.params:
            n = p.numel()
            p.copy_(flat[off : off + n].view_as(p))
            off += n
        out = self.loss_fn(self.probe.model) if self.with_model else self.loss_fn()
        return float(out)

    def end(self) -> None:
        try:
            for p, s in zip(self.probe.params, self._saved, strict=True):
                p.copy_(s)
            for m, mode in self._modes:
                m.training = mode
        finally:
            self._saved, self._modes = [], []
            if self._grad is not None:
                self._grad.__exit__(None, None, None)
                self._grad = None
