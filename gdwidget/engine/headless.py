"""Headless runs: :func:`run` steps a :class:`~gdwidget.engine.Run` to the end and returns its
:class:`~gdwidget.engine.results.History`."""

from __future__ import annotations

import logging
from typing import Any

from .._checks import check_int
from .core import MAX_STEPS, Run
from .results import Chunk, History

log = logging.getLogger("gdwidget")


def run(
    objective: Any,
    optimizers: Any,
    start: Any = None,
    steps: int = 1000,
    *,
    device: str = "auto",
    dtype: Any = "float64",
    grad_tol: float = 0.0,
    loss_tol: float = 0.0,
    batch_size: int | None = None,
    seed: int = 0,
    record_params: bool | None = None,
    validation: Any = None,
    eval_every: int | None = None,
    progress: bool = False,
    chunk_size: int = 1000,
) -> History:
    """Run optimizers on an objective without a widget and return the History.

    Takes ``steps`` steps, or fewer once every run has converged, diverged or stopped.
    ``progress=True`` shows a tqdm progress bar (``pip install tqdm``). The other
    parameters are those of :class:`Run`.

    Examples
    --------
    >>> import gdwidget as gd
    >>> hist = gd.run(gd.functions.rosenbrock(), {"adam": gd.optim.adam(0.02)}, steps=500)
    >>> hist.loss.shape
    (501, 1)
    """
    steps = check_int("steps", steps, low=0, high=MAX_STEPS)
    chunk_size = check_int("chunk_size", chunk_size, low=1, high=MAX_STEPS)
    r = Run(
        objective,
        optimizers,
        start,
        device=device,
        dtype=dtype,
        grad_tol=grad_tol,
        loss_tol=loss_tol,
        batch_size=batch_size,
        seed=seed,
        record_params=record_params,
        validation=validation,
        eval_every=eval_every,
    )
    chunks = [r.reset()]
    bar = _progress(progress, steps)
    try:
        while r.t < steps and not r.done:
            chunk = r.advance(min(chunk_size, steps - r.t))
            chunks.append(chunk)
            if bar is not None:
                bar.update(len(chunk))
            if len(chunk) == 0:
                break
    finally:
        if bar is not None:
            bar.close()
    c = Chunk.concat(chunks)
    return History(
        loss=c.loss,
        params=c.params,
        grad_norm=c.grad_norm,
        lr=c.lr,
        steps=c.steps,
        labels=list(r.labels),
        groups=list(r.groups),
        status=r.status,
        stop_step=r.stop_step,
        optimizers={lb: opt.describe() for lb, opt in r.optimizers.items()},
        device=r.backend.device,
        evals=c.evals,
        blowup_step=r.blowup_step,
        notes=r.notes,
    )


def _progress(enabled: bool, total: int) -> Any:
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm  # noqa: PLC0415
    except ImportError:
        log.warning("progress=True needs tqdm (pip install tqdm); running without a bar")
        return None
    return tqdm(total=total, unit="step", desc="gdwidget")
