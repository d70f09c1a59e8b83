"""bqplot views of a race: loss, paths, learning rates and gradient norms.

>>> import gdwidget as gd, ipywidgets as widgets
>>> w = gd.Playground(gd.functions.rosenbrock(), {"adam": gd.optim.adam(0.05)})
>>> widgets.HBox([w, gd.plots.loss(w)])          # doctest: +SKIP

A source is a :class:`~gdwidget.Playground` or a monitor (``gd.monitor(...)``), whose figures
follow it live, or a finished :class:`~gdwidget.engine.History` (``gd.run``), drawn once. Every
figure is a :class:`bqplot.Figure` (bqplot comes with ``pip install "gdwidget[plots]"``).
"""

from __future__ import annotations

from typing import Any

from .sources import Adapter, adapt

__all__ = ["dashboard", "grad_norms", "loss", "lr", "paths"]


def _check_log_y(log_y: Any) -> bool | None:
    if log_y is not None and not isinstance(log_y, bool):
        raise TypeError(f"log_y must be True, False or None, got {log_y!r}")
    return log_y


def _line_figure(source: Any, series: str, title: str, y_label: str, log_y: Any) -> Any:
    from .figures import LineChart  # noqa: PLC0415
    from .live import follow  # noqa: PLC0415

    log_y = _check_log_y(log_y)
    adapter = adapt(source)
    chart = LineChart(title, y_label, log_y=log_y, css=f"gd-plot-{series.replace('_', '-')}")

    def update() -> None:
        frame = adapter.read()
        chart.update(getattr(frame, series), frame.log_scale if series == "loss" else None)

    update()
    follow(adapter, chart.figure, update)
    return chart.figure


def loss(source: Any, *, log_y: bool | None = None) -> Any:
    """The loss of every run (a monitor: every logged scalar) over steps.

    Parameters
    ----------
    source : Playground, History or monitor
        A live one is followed at most at the frame rate until the figure or it closes.
    log_y : bool or None
        A log y axis; None (default): as the source says (a Playground's objective), else
        when the loss spans two decades (and stays log from then on).

    Returns
    -------
    bqplot.Figure
        One ``Lines`` mark per run (label, colour and dash as in the Playground); a monitor's
        scalar logged by several seeds is their mean with a min-max band.
    """
    return _line_figure(source, "loss", "loss", "loss", log_y)


def lr(source: Any, *, log_y: bool | None = False) -> Any:
    """The learning rate of every run (a monitor: of every param group) over steps."""
    return _line_figure(source, "lr", "learning rate", "lr", log_y)


def grad_norms(source: Any, *, log_y: bool | None = None) -> Any:
    """The gradient norm of every run over steps (a monitor: the global and per-layer norms)."""
    return _line_figure(source, "grad_norms", "gradient norm", "‖g‖", log_y)


def paths(source: Any) -> Any:
    """Each run's path in the plane, over the landscape where the source has one.

    Start points are circles and current points diamonds, in the run's colour; a
    Playground's landscape (its view box, coloured as the widget colours it) is drawn
    under the paths and follows the widget's view.
    """
    from .figures import PathChart  # noqa: PLC0415
    from .live import follow  # noqa: PLC0415

    adapter = adapt(source)
    frame = adapter.read()
    chart = PathChart(frame.axes, adapter.grid(), css="gd-plot-paths")

    def update() -> None:
        chart.update(adapter.read().paths)

    def regrid() -> None:
        chart.set_grid(adapter.grid())

    update()
    follow(adapter, chart.figure, update, on_grid=regrid)
    return chart.figure


def dashboard(source: Any) -> Any:
    """Paths, loss, learning rate and gradient norms of ``source`` in a two-by-two grid.

    Returns an :class:`ipywidgets.GridBox`; the four figures share one read of the source
    per frame.
    """
    import ipywidgets as widgets  # noqa: PLC0415

    from .figures import require_bqplot  # noqa: PLC0415

    require_bqplot()
    adapter: Adapter = adapt(source)
    figs = [paths(adapter), loss(adapter), lr(adapter), grad_norms(adapter)]
    return widgets.GridBox(
        figs, layout=widgets.Layout(grid_template_columns="repeat(2, 460px)", grid_gap="4px")
    )
