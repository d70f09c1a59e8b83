"""The parameter path and the loss surface, fed from the training thread.

:class:`Tracker` samples the parameters into the :class:`~.path.Projector` (a torch
model's through its probe, or the arrays given to ``log(params=...)``) and lets the
surface in progress evaluate a few nodes, between two steps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .evaluators import NumpyEvaluator, TorchEvaluator
from .inputs import host_vector
from .path import Projector
from .surface import SurfaceJob

__all__ = ["Tracker"]

PATH_GAP = 0.05  # seconds between two samples of a torch model's parameters, at least


class Tracker:
    """Path sampling and surface evaluation for one monitor (the training thread)."""

    def __init__(
        self,
        projection: str,
        probe: Any,
        loss_fn: Callable[..., Any] | None,
        on_first_params: Callable[[Any], None],
    ) -> None:
        self.probe = probe
        self.projector = Projector(
            projection,
            surveying=loss_fn is not None,
            shapes=probe.layout if probe else None,
            min_gap=PATH_GAP if probe else 0.0,
        )
        if probe is not None:
            self.projector.setup(probe.n_params)
        self.latest: Any = None
        self.latest_step: int | None = None
        self._on_first = on_first_params
        index = self._index
        self.evaluator: Any = None
        if loss_fn is not None and probe is not None:
            self.evaluator = TorchEvaluator(probe, loss_fn, index)
        elif loss_fn is not None:
            self.evaluator = NumpyEvaluator(loss_fn, self._latest_params, index)

    def _index(self) -> np.ndarray | None:
        return self.projector.index

    def _latest_params(self) -> np.ndarray | None:
        return None if self.latest is None else host_vector(self.latest).copy()

    def sample_model(self, s: int) -> None:
        """Step ``s`` of a torch model: a path sample when due, then surface work."""
        pr = self.projector
        if pr.wants():
            probe = self.probe
            if pr.kind == "random" and pr.shown is None:  # the plane needs every parameter once
                full = probe.flat()
                pr.add(s, full if pr.index is None else full[pr.index], full)
            else:
                pr.add(s, probe.flat(pr.index))
        if self.evaluator is not None:
            pr.work(self.evaluator, s)

    def add_params(self, s: int, params: Any) -> None:
        """Step ``s`` logged with ``params``: a path sample when due, then surface work."""
        pr = self.projector
        self.latest, self.latest_step = params, s
        if pr.wants():
            full = host_vector(params)
            first = pr.n_params is None
            pr.setup(full.shape[0])
            if first and self.probe is None:
                self._on_first(params)
            if np.isfinite(full).all():
                pr.add(s, full if pr.index is None else full[pr.index], full)
        if self.evaluator is not None:
            pr.work(self.evaluator, s)

    def survey_now(self, step: int | None) -> SurfaceJob:
        """The whole surface now, centred on the current parameters (``compute_surface``)."""
        if self.evaluator is None:
            raise ValueError("compute_surface needs loss_fn= and a projection")
        if self.probe is None:
            step = self.latest_step
        if step is None:
            raise ValueError("no parameter path yet: log params (or train the model) first")
        return self.projector.survey_now(self.evaluator, step)
