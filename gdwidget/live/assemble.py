"""Putting a live Playground together: a source's session, streamer and the page's first state.

:func:`assemble` is the one place where a session is built for a source (a new
Playground, or one whose race gained an optimizer); :func:`with_optimizer` makes
that larger source from the old one's settings.
"""

from __future__ import annotations

import warnings
from typing import Any

from .._checks import check_int
from ..backend import Backend, get_backend
from ..engine import _as_optimizers
from ..stream import Streamer, default_capacity
from . import meta as meta_mod
from . import modelview
from .session import Session
from .source import EngineSource

__all__ = [
    "PLOT_PX",
    "assemble",
    "grid_points",
    "quiet_backend",
    "with_optimizer",
    "with_optimizers",
]

PLOT_PX = (450, 400)  # the landscape's plot area in the page, until a view says otherwise


def quiet_backend(device: Any, dtype: Any) -> Backend:
    """The backend, without the CPU fallback warning: the status line says the device."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="gdwidget runs on the CPU", category=RuntimeWarning
        )
        return get_backend(device, dtype)


def grid_points(grid_size: Any) -> tuple[int, int]:
    """The landscape grid ``(nx, ny)``, checked (default 160 x 120)."""
    try:
        nx, ny = (check_int("grid_size", g, low=2) for g in grid_size or (160, 120))
    except TypeError:
        raise ValueError(f"grid_size must be a pair (nx, ny), got {grid_size!r}") from None
    if nx * ny > 4_000_000:
        raise ValueError(f"grid_size {nx}x{ny} is too large (at most 4 million points)")
    return nx, ny


def assemble(
    sink: Any,
    source: EngineSource,
    speed: float,
    bounds: list[list[float]],
    limits: tuple[int, float, int, Any],
) -> tuple[Session, dict[str, Any], bytes, dict[str, Any]]:
    """A session streaming ``source`` to ``sink``; returns it with meta, data and data_meta.

    ``limits`` is ``(max_history, max_fps, pilot_steps, grid_size)`` as the widget was given
    (``max_history`` None: :func:`~gdwidget.stream.default_capacity` for this race's runs).
    """
    max_history, max_fps, _pilot, grid_size = limits
    run = source.run
    size = grid_points(grid_size)
    if grid_size is None and source.plane is not None and source.plane.kind != "params":
        size = (64, 48) if run.backend.device == "cpu" else (160, 120)
    view_kind = modelview.choose(run.objective) if source.is_model else None
    data, data_meta = modelview.data_trait(run.objective, view_kind)
    capacity = max_history or default_capacity(run.n_runs)
    streamer = Streamer(run.n_runs, capacity=capacity, max_fps=max_fps, bounds=bounds, px=PLOT_PX)
    session = Session(
        source,
        streamer,
        sink,
        speed=speed,
        bounds=bounds,
        grid_size=size,
        plot_px=PLOT_PX,
        model_view=view_kind,
        data_meta=data_meta,
    )
    meta = meta_mod.build(
        source,
        bounds=bounds,
        ranges=session.lr_ranges,
        model_view=view_kind,
        max_history=streamer.buffer.capacity,
        eval_capacity=streamer.eval_capacity,
        plot_px=PLOT_PX,
    )
    return session, meta, data, data_meta


def with_optimizer(
    source: EngineSource, label: str, optimizer: Any, *, pilot_steps: int
) -> EngineSource:
    """``source``'s race with ``optimizer`` added as ``label`` (see :func:`with_optimizers`)."""
    r = source.run
    if label in r.optimizers:
        raise ValueError(f"label {label!r} is already in the race: {list(r.optimizers)}")
    return with_optimizers(source, {**r.optimizers, label: optimizer}, pilot_steps=pilot_steps)


def with_optimizers(
    source: EngineSource, optimizers: Any, *, pilot_steps: int, starts: Any = None
) -> EngineSource:
    """A race of ``optimizers`` from ``source``'s starts (or ``starts``) and settings (a new
    source: its run starts at step 0)."""
    r = source.run
    return EngineSource(
        r.objective,
        _as_optimizers(optimizers),
        r._starts if starts is None else starts,
        device=r.backend,
        dtype=r.backend.dtype,
        grad_tol=r.grad_tol,
        loss_tol=r.loss_tol,
        batch_size=r.batch_size,
        seed=r.seed,
        validation=r.validation,
        eval_every=r._eval_every_arg,
        plane="auto" if source.plane is None else source.plane.kind,
        pilot_steps=pilot_steps,
    )
