"""``gd.monitor``: watch your own training loop, live.

>>> import gdwidget as gd
>>> m = gd.monitor()                         # doctest: +SKIP
>>> for t in range(100):                     # doctest: +SKIP
...     m.log(loss=1.0 / (t + 1))

With a torch model and optimizer, the optimizer's step hook records each param
group's learning rate and the gradient norms by itself; with ``loss_fn=`` the loss
over the path's plane is drawn too. See docs/monitor.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .history import MonitorHistory
from .widget import Monitor

__all__ = ["Monitor", "MonitorHistory", "monitor"]


def monitor(
    model: Any = None,
    optimizer: Any = None,
    *,
    loss_fn: Callable[..., Any] | None = None,
    max_history: int = 4096,
    smooth: float = 0.0,
    band: str = "minmax",
    log_y: bool = False,
    projection: str | None = "pca",
    max_fps: float = 30.0,
    grad_every: int | None = None,
) -> Monitor:
    """A widget that shows a training loop gdwidget does not own; display it, then log.

    Parameters
    ----------
    model : torch.nn.Module, optional
        Its parameters give the layers of the gradient-norm strip and the path.
    optimizer : torch.optim.Optimizer, optional
        Hooked (a step post-hook): after each ``optimizer.step()`` the monitor records
        each param group's learning rate, the global and per-layer gradient L2 norms,
        clipping by ``torch.nn.utils.clip_grad_norm_``, and samples the path.
    loss_fn : callable, optional
        Draws the loss over the path's plane: with a model, ``loss_fn()`` or
        ``loss_fn(model)`` (the loss on a fixed batch); without, ``loss_fn(params)`` on
        a float64 NumPy vector. Evaluated in the training thread, within about 3% of
        its time, on a 41 x 41 grid.
    max_history : int
        Rows kept (thinned past it: each curve keeps its extremes per bucket of steps).
    smooth : float
        EMA factor in [0, 1) the page starts with (0: raw).
    band : {"minmax", "std"}
        For names logged with several values (seeds): mean with min-max, or +-std.
    log_y : bool
        Whether the page starts with a log y axis.
    projection : {"pca", "random"} or None
        The path's plane: the PCA of the path so far (refreshed as it grows), or two
        filter-normalized random directions through its start; None draws no path.
    max_fps : float
        Frames sent a second, at most.
    grad_every : int, optional
        Read the gradient norms every this many steps. Default: every step while that
        costs at most about 0.25% of a step, else less often (NaN in between).

    Returns
    -------
    Monitor
        ``m.log(...)``, ``m.history``, ``m.subscribe(fn)``, ``m.close()``.
    """
    return Monitor(
        model,
        optimizer,
        loss_fn=loss_fn,
        max_history=max_history,
        smooth=smooth,
        band=band,
        log_y=log_y,
        projection=projection,
        max_fps=max_fps,
        grad_every=grad_every,
    )
