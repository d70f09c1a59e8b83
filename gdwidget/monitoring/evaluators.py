"""``loss_fn`` at a grid node of a surface: the anchor's parameters moved along the plane.

An evaluator takes a copy of the parameters (:meth:`snapshot`: the surface's anchor,
and its stored coordinates for the path), then, for a slice of a
:class:`~.surface.SurfaceJob`, sets the parameters to
``anchor + da * d1 + db * d2`` node after node (:meth:`begin`, :meth:`value`) and puts
the live ones back (:meth:`end`).

``loss_fn`` with a torch model: ``loss_fn()`` or ``loss_fn(model)`` (if it takes one
argument), a scalar tensor or float, evaluated under ``torch.no_grad()`` with the model
in ``eval()`` mode (dropout off, batch-norm statistics neither used from the batch nor
updated), its modes restored after, on the parameters' own device. Without a model:
``loss_fn(params)`` with ``params`` a float64 NumPy vector of every parameter.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["NumpyEvaluator", "TorchEvaluator", "takes_argument"]


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


def _full_dirs(dirs: np.ndarray, index: np.ndarray | None, n: int) -> np.ndarray:
    """The plane's directions ``(D, 2)`` over every parameter ``(n, 2)`` (zero off ``index``)."""
    if index is None:
        return dirs
    full = np.zeros((n, 2))
    full[index] = dirs
    return full


class NumpyEvaluator:
    """``loss_fn(params)`` on the newest parameters logged, moved along the plane."""

    def __init__(
        self,
        loss_fn: Callable[[np.ndarray], Any],
        latest: Callable[[], np.ndarray | None],
        index: Callable[[], np.ndarray | None],
    ) -> None:
        self.loss_fn = loss_fn
        self.latest = latest
        self.index = index
        self._anchor: np.ndarray | None = None
        self._dirs: np.ndarray | None = None

    def snapshot(self) -> tuple[np.ndarray, np.ndarray]:
        """Every parameter (the anchor) and its stored coordinates (for the path)."""
        full = self.latest()
        if full is None:
            raise ValueError("no parameters were logged: log params= first")
        idx = self.index()
        return full, (full if idx is None else full[idx]).copy()

    def begin(self, job: Any) -> None:
        self._anchor = job.anchor
        self._dirs = _full_dirs(job.plane.dirs, self.index(), job.anchor.shape[0])

    def value(self, dab: tuple[float, float]) -> float:
        assert self._anchor is not None and self._dirs is not None
        d = self._dirs
        return float(self.loss_fn(self._anchor + dab[0] * d[:, 0] + dab[1] * d[:, 1]))

    def end(self) -> None:
        self._anchor = self._dirs = None


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
        self._dirs: tuple[Any, list[Any], list[Any]] | None = None
        self._anchor: list[Any] = []
        self._grad: Any = None

    def snapshot(self) -> tuple[list[Any], np.ndarray]:
        """A copy of every parameter on its device (the anchor), and the stored coordinates."""
        torch = self.probe.torch
        with torch.no_grad():
            anchor = [p.detach().clone() for p in self.probe.params]
        return anchor, self.probe.flat(self.index())

    def _directions(self, plane: Any) -> tuple[list[Any], list[Any]]:
        """``d1``, ``d2`` split per parameter, in its dtype, on its device (cached per plane)."""
        if self._dirs is None or self._dirs[0] is not plane:
            torch = self.probe.torch
            params = self.probe.params
            full = _full_dirs(plane.dirs, self.index(), self.probe.n_params)
            d1, d2, off = [], [], 0
            for p in params:
                n = p.numel()
                for out, k in ((d1, 0), (d2, 1)):
                    seg = torch.as_tensor(np.ascontiguousarray(full[off : off + n, k]))
                    out.append(seg.to(p.device, p.dtype).view_as(p))
                off += n
            self._dirs = (plane, d1, d2)
        return self._dirs[1], self._dirs[2]

    def begin(self, job: Any) -> None:
        torch = self.probe.torch
        self._grad = torch.no_grad()
        self._grad.__enter__()
        self._saved = [p.detach().clone() for p in self.probe.params]
        model = self.probe.model
        if model is not None:
            self._modes = [(m, m.training) for m in model.modules()]
            model.eval()
        self._d1, self._d2 = self._directions(job.plane)
        self._anchor = job.anchor

    def value(self, dab: tuple[float, float]) -> float:
        da, db = dab
        for p, a, d1, d2 in zip(self.probe.params, self._anchor, self._d1, self._d2, strict=True):
            p.copy_(a)
            if da:
                p.add_(d1, alpha=da)
            if db:
                p.add_(d2, alpha=db)
        out = self.loss_fn(self.probe.model) if self.with_model else self.loss_fn()
        return float(out)

    def end(self) -> None:
        try:
            for p, s in zip(self.probe.params, self._saved, strict=True):
                p.copy_(s)
            for m, mode in self._modes:
                m.training = mode
        finally:
            self._saved, self._modes, self._anchor = [], [], []
            if self._grad is not None:
                self._grad.__exit__(None, None, None)
                self._grad = None
