"""The bqplot figures: a chart of curves over steps and a chart of paths over the landscape.

Each chart owns one :class:`bqplot.Figure` and draws a :class:`~.sources.Frame`'s curves into
it: one ``Lines`` mark per label (its colour and dash the Playground's), a filled band mark for
a curve with a band, and for paths a ``HeatMap`` of the landscape with start and current markers.
:meth:`update` changes the marks' data in place, every change of one update sent as one message
per mark (``hold_sync``).
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

import numpy as np

from ..export.colors import color_positions
from .sources import Curve, Grid

__all__ = ["LineChart", "PathChart", "colour_values", "require_bqplot", "spans_decades"]

#: a dash pattern of :data:`gdwidget.live.meta.DASHES` as a bqplot line style
LINE_STYLES = {(): "solid", (8, 4): "dashed", (2, 3): "dotted", (10, 3, 2, 3): "dash_dotted"}
#: the loss axis turns log when its positive values span this ratio (two decades)
DECADES_RATIO = 100.0
#: log axis tick labels: 10, 5, 2, 1, 0.5, 1e-05 (d3-format's trimmed general format)
LOG_TICKS = "~g"
FIG_MARGIN = {"top": 40, "bottom": 40, "left": 72, "right": 20}
#: the y axes' titles clear of their tick labels (a log axis writes "1e-12")
Y_LABEL_OFFSET = "52px"


def require_bqplot() -> Any:
    """The bqplot module, or an ImportError naming the extra that brings it."""
    try:
        import bqplot  # noqa: PLC0415
    except ImportError as exc:
        raise ImportError(
            'gd.plots needs bqplot, which comes with the plots extra: pip install "gdwidget[plots]"'
        ) from exc
    return bqplot


def spans_decades(curves: list[Curve]) -> bool:
    """Whether the curves' values are all positive and span at least two decades."""
    ys = [np.asarray(c.y, dtype=np.float64) for c in curves]
    ys = [y[np.isfinite(y)] for y in ys]
    ys = [y for y in ys if y.size]
    if not ys:
        return False
    lo, hi = min(float(y.min()) for y in ys), max(float(y.max()) for y in ys)
    return lo > 0 and hi / lo >= DECADES_RATIO


def _f64(a: Any, log: bool = False) -> np.ndarray:
    """Float64 values for a mark; on a log axis values <= 0 become NaN (not drawn)."""
    out = np.array(a, dtype=np.float64)
    if log:
        with np.errstate(invalid="ignore"):
            out[~(out > 0)] = np.nan
    return out


def _figure(bq: Any, title: str, axes: list[Any], css: str) -> Any:
    import ipywidgets as widgets  # noqa: PLC0415

    fig = bq.Figure(
        marks=[],
        axes=axes,
        title=title,
        fig_margin=dict(FIG_MARGIN),
        legend_location="top-right",
        layout=widgets.Layout(width="460px", min_width="360px", height="340px"),
    )
    fig.add_class(css)
    return fig


class LineChart:
    """Curves over steps: ``update(curves)`` keeps one ``Lines`` mark per label.

    ``log_y`` True or False fixes the y scale; None starts linear and turns log (for good)
    once ``update`` is told so (``hint``) or the curves span two decades.
    """

    def __init__(self, title: str, y_label: str, *, log_y: bool | None, css: str) -> None:
        self.bq = bq = require_bqplot()
        self.auto = log_y is None
        self.log = bool(log_y)
        self.sx = bq.LinearScale()
        self.sy = bq.LogScale() if self.log else bq.LinearScale()
        self.ax = bq.Axis(scale=self.sx, label="step", grid_lines="none")
        self.ay = bq.Axis(
            scale=self.sy,
            label=y_label,
            side="left",
            grid_lines="none",
            label_offset=Y_LABEL_OFFSET,
        )
        if self.log:
            self.ay.tick_format = LOG_TICKS
        self.lines: dict[str, Any] = {}
        self.bands: dict[str, Any] = {}
        self.figure = _figure(bq, title, [self.ax, self.ay], css)

    def update(self, curves: list[Curve], hint: bool | None = None) -> None:
        """Draw ``curves`` (new labels get new marks; labels gone are dropped)."""
        with ExitStack() as stack:
            stack.enter_context(self.figure.hold_sync())
            if self.auto and not self.log and (hint if hint is not None else spans_decades(curves)):
                self._to_log()
            labels = [c.label for c in curves]
            if labels != list(self.lines) or [c.label for c in curves if c.band] != list(
                self.bands
            ):
                self._rebuild(curves)
            for c in curves:
                mark = self.lines[c.label]
                stack.enter_context(mark.hold_sync())
                mark.x, mark.y = _f64(c.x), _f64(c.y, self.log)
                if c.band is not None:
                    band = self.bands[c.label]
                    stack.enter_context(band.hold_sync())
                    band.x = _f64(c.x)
                    band.y = np.stack([_f64(c.band[0], self.log), _f64(c.band[1], self.log)])

    def _rebuild(self, curves: list[Curve]) -> None:
        bq, scales = self.bq, {"x": self.sx, "y": self.sy}
        lines, bands = {}, {}
        for c in curves:
            lines[c.label] = self.lines.get(c.label) or curve_line(bq, c, scales)
            if c.band is not None:
                bands[c.label] = self.bands.get(c.label) or bq.Lines(
                    x=[],
                    y=[[], []],
                    scales=scales,
                    colors=[c.color],
                    fill="between",
                    fill_colors=[c.color],
                    fill_opacities=[0.2],
                    stroke_width=0,
                    labels=[f"{c.label} (band)"],
                )
        self.lines, self.bands = lines, bands
        self.figure.marks = [*bands.values(), *lines.values()]

    def _to_log(self) -> None:
        self.log = True
        self.sy = self.bq.LogScale()
        self.ay.scale, self.ay.tick_format = self.sy, LOG_TICKS
        for mark in [*self.lines.values(), *self.bands.values()]:
            mark.scales = {"x": self.sx, "y": self.sy}
            mark.y = _f64(mark.y, True)


def curve_line(bq: Any, c: Curve, scales: dict[str, Any]) -> Any:
    """An empty bqplot ``Lines`` mark in curve ``c``'s colour, dash and width, in the legend."""
    return bq.Lines(
        x=[],
        y=[],
        scales=scales,
        colors=[c.color],
        line_style=LINE_STYLES.get(tuple(c.dash), "solid"),
        stroke_width=c.width,
        labels=[c.label],
        display_legend=True,
    )


def colour_values(z: np.ndarray, log: bool, decades: int = 6) -> np.ndarray:
    """Colour positions in [0, 1] of a landscape, as the Playground's heatmap maps them: from
    its smallest to its largest finite value (:func:`gdwidget.export.colors.color_positions`).
    Values that are not finite are NaN."""
    z = np.asarray(z, dtype=np.float64)
    finite = z[np.isfinite(z)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    return np.where(np.isfinite(z), color_positions(z, lo, hi, log, decades), np.nan)


class PathChart:
    """Paths in the plane over the landscape, with each run's start and current point."""

    def __init__(self, axes: tuple[str, str], grid: Grid | None, *, css: str) -> None:
        self.bq = bq = require_bqplot()
        self.sx, self.sy = bq.LinearScale(), bq.LinearScale()
        self.sc = bq.ColorScale(scheme="viridis", min=0.0, max=1.0)
        scales = {"x": self.sx, "y": self.sy}
        self.heat = bq.HeatMap(
            x=[0.0, 1.0], y=[0.0, 1.0], color=np.zeros((2, 2)), scales={**scales, "color": self.sc}
        )
        self.heat.visible = False
        self.lines: dict[str, Any] = {}
        self.starts = bq.Scatter(x=[], y=[], scales=scales, marker="circle", default_size=40)
        self.now = bq.Scatter(x=[], y=[], scales=scales, marker="diamond", default_size=60)
        self.starts.stroke = self.now.stroke = "white"
        self.ax = bq.Axis(scale=self.sx, label=axes[0], grid_lines="none")
        self.ay = bq.Axis(scale=self.sy, label=axes[1], side="left", grid_lines="none")
        self.figure = _figure(bq, "paths", [self.ax, self.ay], "gd-plot-paths")
        self.figure.marks = [self.heat, self.starts, self.now]
        self.set_grid(grid)

    def set_grid(self, grid: Grid | None) -> None:
        """Draw the landscape ``grid`` under the paths (the view box becomes its box)."""
        if grid is None:
            return
        with self.figure.hold_sync(), self.heat.hold_sync():
            self.heat.x, self.heat.y = _f64(grid.x), _f64(grid.y)
            self.heat.color = colour_values(grid.z, grid.log)
            self.heat.visible = True
            for scale, v in ((self.sx, grid.x), (self.sy, grid.y)):
                scale.min, scale.max = float(v[0]), float(v[-1])

    def update(self, curves: list[Curve]) -> None:
        """Draw ``curves`` (x, y: points in the plane) and their first and last finite points."""
        with ExitStack() as stack:
            stack.enter_context(self.figure.hold_sync())
            if [c.label for c in curves] != list(self.lines):
                self._rebuild(curves)
            ends: list[tuple[float, float, float, float, str]] = []
            for c in curves:
                mark = self.lines[c.label]
                stack.enter_context(mark.hold_sync())
                x, y = _f64(c.x), _f64(c.y)
                mark.x, mark.y = x, y
                ok = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
                if ok.size:
                    i, j = ok[0], ok[-1]
                    ends.append((x[i], y[i], x[j], y[j], c.color))
            for mark, (xi, yi) in ((self.starts, (0, 1)), (self.now, (2, 3))):
                stack.enter_context(mark.hold_sync())
                mark.x = np.array([e[xi] for e in ends], dtype=np.float64)
                mark.y = np.array([e[yi] for e in ends], dtype=np.float64)
                mark.colors = [e[4] for e in ends] or ["black"]

    def _rebuild(self, curves: list[Curve]) -> None:
        scales = {"x": self.sx, "y": self.sy}
        self.lines = {
            c.label: self.lines.get(c.label) or curve_line(self.bq, c, scales) for c in curves
        }
        self.figure.marks = [self.heat, *self.lines.values(), self.starts, self.now]
