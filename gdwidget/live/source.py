"""Sources: what a session steps.

A source produces rows of history (a :class:`~gdwidget.engine.Chunk` per call)
and says where each run is drawn. :class:`EngineSource` is driven by the engine:
the session asks it for ``n`` more steps. A push source (a user's own training
loop) will hand rows over as they come; both meet the session through the
methods of :class:`Source`.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from ..backend import to_numpy
from ..engine import Chunk, Run, _as_objective
from ..projection import Plane
from . import planes

#: models on at most this many examples are evaluated on all their data every
#: DISPLAY_EVAL_EVERY steps (cheap there), so the widget's curves fill in quickly
DISPLAY_EVAL_EXAMPLES = 20_000
DISPLAY_EVAL_EVERY = 10


class Source(Protocol):
    """What the session needs from whatever produces the steps."""

    n_runs: int
    labels: list[str]
    groups: list[str]

    @property
    def t(self) -> int: ...

    @property
    def done(self) -> bool: ...

    def reset(self, start: Any = None) -> Chunk: ...

    def advance(self, n: int) -> Chunk: ...

    def points(self, chunk: Chunk) -> np.ndarray: ...


class EngineSource:
    """A :class:`~gdwidget.engine.Run` and how its runs are drawn (function or model plane).

    Parameters are those of :class:`gdwidget.Playground`.
    """

    def __init__(
        self,
        objective: Any,
        optimizers: Any,
        start: Any = None,
        *,
        device: str = "auto",
        dtype: Any = "float64",
        grad_tol: float = 1e-6,
        loss_tol: float = 0.0,
        batch_size: int | None = None,
        seed: int = 0,
        validation: Any = None,
        eval_every: int | None = None,
        plane: str = "auto",
        pilot_steps: int = 200,
    ) -> None:
        obj = _as_objective(objective)
        self.is_model = getattr(obj, "n_examples", None) is not None
        kind = planes.choose_plane(obj, plane, self.is_model)
        if eval_every is None and self.is_model and obj.n_examples <= DISPLAY_EVAL_EXAMPLES:
            eval_every = DISPLAY_EVAL_EVERY
        self.run = Run(
            obj,
            optimizers,
            start,
            device=device,
            dtype=dtype,
            grad_tol=grad_tol,
            loss_tol=loss_tol,
            batch_size=None if batch_size == 0 else batch_size,
            seed=seed,
            validation=validation,
            eval_every=eval_every,
            record_params=False if kind in ("pca", "random") else None,
        )
        self.plane: Plane | None = None
        self.plane_bounds: list[list[float]] | None = None
        if self.is_model:
            self.plane, self.plane_bounds = planes.make_plane(self.run, kind, pilot_steps)
            if self.plane.kind != "params":
                self.run.project = self.plane.coords
        #: the point the landscape of a function of more than two parameters is a slice through
        self.slice_point = np.asarray(self.run._starts[0], dtype=np.float64).copy()

    # -- what the session reads ------------------------------------------------------------
    @property
    def n_runs(self) -> int:
        return self.run.n_runs

    @property
    def labels(self) -> list[str]:
        return self.run.labels

    @property
    def groups(self) -> list[str]:
        return self.run.groups

    @property
    def t(self) -> int:
        return int(self.run.t)

    @property
    def done(self) -> bool:
        return self.run.done

    # -- stepping --------------------------------------------------------------------------
    def reset(self, start: Any = None) -> Chunk:
        """Back to step 0 (from ``start``: a landscape point or a full start).

        Raises ValueError, and changes nothing, where the objective fails at the start.
        """
        full = self.full_start(start)
        chunk = self.run.reset(full)
        if full is not None:
            self.slice_point = np.asarray(self.run._starts[0], dtype=np.float64).copy()
        return chunk

    def advance(self, n: int) -> Chunk:
        return self.run.advance(n)

    def points(self, chunk: Chunk) -> np.ndarray:
        """Where each run of ``chunk`` is drawn: ``(len(chunk), n_runs, 2)``."""
        if chunk.xy is not None:
            return chunk.xy
        if chunk.params is not None:
            p = chunk.params
            if p.shape[-1] >= 2:
                return p[..., :2]
            out = np.zeros((*p.shape[:-1], 2))
            out[..., 0] = p[..., 0]
            return out
        # the engine did not record every parameter: draw the current point
        cur = np.asarray(to_numpy(self.run.params), dtype=np.float64)[:, :2]
        return np.broadcast_to(cur, (len(chunk.steps), *cur.shape))

    def full_start(self, start: Any) -> Any:
        """A 2-D point from the page becomes a full start (other parameters kept)."""
        if start is None or self.run.n_params <= 2:
            return start
        s = np.asarray(start, dtype=np.float64)
        if self.plane is not None and s.shape == (2,):  # a point of the model's plane
            return np.asarray(self.plane.points(s[:1], s[1:])[0])
        if s.shape == (2,):
            full = self.slice_point.copy()
            full[:2] = s
            return full
        return start
