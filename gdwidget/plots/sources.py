"""Any source of a race as one small read interface, for the figures of :mod:`gdwidget.plots`.

A source is a :class:`~gdwidget.Playground` (live), a finished :class:`~gdwidget.engine.History`
or a monitor (``gd.monitor(...)``, live; or its ``history``, read once). :func:`adapt` wraps it in
an :class:`Adapter`, whose :meth:`Adapter.read` gives one :class:`Frame`: the curves of loss,
learning rate and gradient norms and the 2-D paths, each a :class:`Curve` with its colour and
dash (the Playground's own, :mod:`gdwidget.live.meta`). A live adapter holds no data of its own:
each read copies the source's bounded history once (shared by every figure of the adapter until
the source moves on).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..live.meta import PALETTE, style
from ..stream.m4 import bucket_width, m4_rows
from ..stream.paths import simplify
from ..stream.thinning import PixelView

__all__ = ["Adapter", "Curve", "Frame", "Grid", "adapt"]

#: A finished history longer than this is thinned for drawing (loss extremes and path shapes kept).
MAX_ROWS = 4096
#: Loss-chart columns and path pixels assumed when thinning a long finished history.
_COLUMNS, _PATH_PX, _PATH_TOL = 1024, (600, 600), 0.5


@dataclass(frozen=True)
class Curve:
    """One drawn line: ``y`` over ``x`` (a path: ``y`` over ``x`` in the plane), its style and
    an optional ``band`` (``(lo, hi)``, as long as ``x``: several seeds' min and max)."""

    label: str
    x: np.ndarray
    y: np.ndarray
    color: str
    dash: tuple[int, ...] = ()
    band: tuple[np.ndarray, np.ndarray] | None = None
    width: float = 2.0


@dataclass(frozen=True)
class Grid:
    """The loss over a box: ``z[j, i]`` at ``(x[i], y[j])``, NaN where not finite."""

    x: np.ndarray
    y: np.ndarray
    z: np.ndarray
    log: bool


@dataclass(frozen=True)
class Frame:
    """One read of a source: every series the figures draw."""

    loss: list[Curve]
    lr: list[Curve]
    grad_norms: list[Curve]
    paths: list[Curve]
    axes: tuple[str, str] = ("x", "y")
    #: the source's own choice of a log loss axis (a Playground's objective), None if it has none
    log_scale: bool | None = None


EMPTY = Frame([], [], [], [])


class Adapter:
    """The read interface: :meth:`read`, :meth:`grid`, and for live sources :meth:`subscribe`.

    Subclasses implement :meth:`_read` (and, when live, :meth:`_subscribe`). Reads are cached
    until the source tells of a new frame, so the figures of one dashboard copy it once.
    """

    live = False

    def __init__(self, source: Any) -> None:
        self.source = source
        self._lock = threading.Lock()
        self._listeners: list[Callable[[], None]] = []
        self._unsub: Callable[[], None] | None = None
        self._version = 0
        self._cached: tuple[int, Frame] | None = None

    def read(self) -> Frame:
        """Every series, as the source holds them now."""
        with self._lock:
            version = self._version
            # a live source is cached only while it tells of its frames
            cache = not self.live or self._unsub is not None
            if cache and self._cached is not None and self._cached[0] == version:
                return self._cached[1]
        frame = self._read()
        if cache:
            with self._lock:
                self._cached = (version, frame)
        return frame

    def grid(self) -> Grid | None:
        """The loss over the view box the source shows, or None (no landscape)."""
        return None

    def subscribe(self, fn: Callable[[], None]) -> Callable[[], None]:
        """Call ``fn()`` after each new frame of a live source; returns the unsubscribe.

        The adapter listens to its source only while someone listens to it.
        """
        with self._lock:
            self._listeners.append(fn)
            first = self.live and self._unsub is None
        if first:
            self._unsub = self._subscribe(self._notify)

        def unsubscribe() -> None:
            with self._lock:
                if fn in self._listeners:
                    self._listeners.remove(fn)
                last = not self._listeners and self._unsub is not None
                unsub, self._unsub = (self._unsub, None) if last else (None, self._unsub)
            if unsub is not None:
                unsub()

        return unsubscribe

    def on_close(self, fn: Callable[[], None]) -> Callable[[], None]:
        """Call ``fn()`` once when the source (a widget) closes; returns the remover."""
        return self._observe("comm", lambda new: new is None and fn())

    def on_grid(self, fn: Callable[[], None]) -> Callable[[], None]:
        """Call ``fn()`` when the source's landscape changes; returns the remover."""
        return lambda: None

    def _observe(self, name: str, fn: Callable[[Any], Any]) -> Callable[[], None]:
        """Observe trait ``name`` of a widget source (``fn(new)``); a no-op for other sources."""
        src = self.source
        if not (hasattr(src, "has_trait") and src.has_trait(name)):
            return lambda: None

        def changed(change: dict[str, Any]) -> None:
            fn(change["new"])

        src.observe(changed, names=name)
        return lambda: src.unobserve(changed, names=name)

    def _notify(self) -> None:
        with self._lock:
            self._version += 1
            listeners = list(self._listeners)
        for fn in listeners:
            fn()

    def _read(self) -> Frame:  # pragma: no cover - abstract
        raise NotImplementedError

    def _subscribe(self, fn: Callable[[], None]) -> Callable[[], None]:
        return lambda: None


# ---------------------------------------------------------------------------------------------
# runs of optimizers: a Playground, its DecimatedHistory, a finished History
# ---------------------------------------------------------------------------------------------
def _group_styles(groups: list[str], order: list[str]) -> dict[str, tuple[str, tuple[int, ...]]]:
    """Each optimizer's colour and dash, by its place in ``order`` (as the Playground does)."""
    order = list(dict.fromkeys([*order, *groups]))
    return {g: (c, tuple(d)) for i, g in enumerate(order) for c, d in [style(i)]}


def _run_frame(
    h: Any,
    xy: np.ndarray | None,
    styles: dict[str, tuple[str, tuple[int, ...]]],
    axes: tuple[str, str],
    log_scale: bool | None,
) -> Frame:
    """The frame of a history of runs (rows ``steps``; columns ``labels``)."""
    steps = np.asarray(h.steps)
    series: dict[str, list[Curve]] = {"loss": [], "lr": [], "grad_norm": []}
    paths = []
    for r, (label, group) in enumerate(zip(h.labels, h.groups, strict=True)):
        colour, dash = styles[group]
        for name, out in series.items():
            out.append(Curve(label, steps, np.asarray(getattr(h, name))[:, r], colour, dash))
        if xy is not None:
            paths.append(Curve(label, xy[:, r, 0], xy[:, r, 1], colour, dash))
    return Frame(series["loss"], series["lr"], series["grad_norm"], paths, axes, log_scale)


class PlaygroundSource(Adapter):
    """A :class:`~gdwidget.Playground`: its bounded ``history``, its colours and landscape."""

    live = True

    def _read(self) -> Frame:
        w = self.source
        h = w.history
        meta = w.meta or {}
        runs = {r["label"]: r for r in meta.get("runs", [])}
        styles = _group_styles(h.groups, list(dict.fromkeys(h.groups)))
        for label, group in zip(h.labels, h.groups, strict=True):
            if label in runs:  # the page's own colour and dash of this run's optimizer
                styles[group] = (runs[label]["color"], tuple(runs[label]["dash"]))
        axes = tuple(meta.get("axes", ("x", "y"))[:2])
        log_scale = bool(meta["log_scale"]) if "log_scale" in meta else None
        return _run_frame(h, np.asarray(h.xy), styles, axes, log_scale)  # type: ignore[arg-type]

    def grid(self) -> Grid | None:
        gm, raw = dict(self.source.grid_meta or {}), self.source.grid
        if not gm or not raw:
            return None
        nx, ny = int(gm["nx"]), int(gm["ny"])
        z = np.frombuffer(raw, dtype="<f4").reshape(ny, nx).astype(np.float64)
        x = np.linspace(gm["x0"], gm["x1"], nx)
        y = np.linspace(gm["y0"], gm["y1"], ny)
        return Grid(x, y, z, bool(gm.get("log", False)))

    def on_grid(self, fn: Callable[[], None]) -> Callable[[], None]:
        return self._observe("grid_meta", lambda _new: fn())

    def _subscribe(self, fn: Callable[[], None]) -> Callable[[], None]:
        return self.source.subscribe(fn)


class DecimatedSource(Adapter):
    """A Playground's history copy (``w.history``), read once."""

    def _read(self) -> Frame:
        h = self.source
        return _run_frame(h, np.asarray(h.xy), _group_styles(h.groups, []), ("x", "y"), None)


class HistorySource(Adapter):
    """A finished :class:`~gdwidget.engine.History`; a long one is thinned for drawing."""

    def _read(self) -> Frame:
        h = self.source
        xy = None
        if h.params is not None and h.params.shape[-1] >= 2:
            xy = np.asarray(h.params[:, :, :2], dtype=np.float64)
        names = ("x", "y") if h.params is None or h.params.shape[-1] == 2 else ("p[0]", "p[1]")
        view = _Rows(h, xy, thin_rows(np.asarray(h.steps), np.asarray(h.loss), xy))
        return _run_frame(view, view.xy, _group_styles(h.groups, list(h.optimizers)), names, None)


class _Rows:
    """The kept rows of a history of runs (what :func:`_run_frame` reads)."""

    def __init__(self, h: Any, xy: np.ndarray | None, keep: np.ndarray | None) -> None:
        pick = (lambda a: a) if keep is None else (lambda a: np.asarray(a)[keep])
        self.steps, self.loss = pick(h.steps), pick(h.loss)
        self.lr, self.grad_norm = pick(h.lr), pick(h.grad_norm)
        self.xy = None if xy is None else pick(xy)
        self.labels, self.groups = h.labels, h.groups


def thin_rows(steps: np.ndarray, loss: np.ndarray, xy: np.ndarray | None) -> np.ndarray | None:
    """Rows of a long finished history worth drawing, or None (draw every row).

    Kept: each loss bucket's first, last, smallest and largest row (about ``_COLUMNS``
    buckets), and the rows that keep every path within ``_PATH_TOL`` of a pixel of
    ``_PATH_PX`` pixels over the paths' box (:mod:`gdwidget.stream.thinning`).
    """
    n = steps.shape[0]
    if n <= MAX_ROWS:
        return None
    keep = m4_rows(steps, loss, bucket_width(int(steps[-1]), _COLUMNS))
    keep[[0, -1]] = True
    if xy is not None:
        pts = xy[np.isfinite(xy).all(axis=-1)]
        if len(pts):
            lo, hi = pts.min(axis=0), pts.max(axis=0)
            half = np.maximum((hi - lo) / 2, 1e-12)
            mid = (lo + hi) / 2
            bounds = [[mid[0] - half[0], mid[0] + half[0]], [mid[1] - half[1], mid[1] + half[1]]]
            view = PixelView.from_bounds(bounds, _PATH_PX)
            shape, _ = simplify(xy, view, np.zeros(xy.shape[:2]), keep, _PATH_TOL)
            keep |= shape
    return keep


# ---------------------------------------------------------------------------------------------
# a monitor of the user's own loop
# ---------------------------------------------------------------------------------------------
def _seed_curve(i: int, name: str, steps: np.ndarray, values: np.ndarray, band: str) -> Curve:
    """A logged series: the mean of its seeds (columns) where any was logged, with a band.

    Coloured by its place ``i`` as the monitor's page colours it (the palette, no dashes);
    ``band`` is ``"minmax"`` (min to max) or ``"std"`` (mean -/+ the standard deviation).
    """
    v = np.asarray(values, dtype=np.float64)
    if v.ndim == 1:
        v = v[:, None]
    finite = np.isfinite(v)
    count = finite.sum(axis=1)
    with np.errstate(all="ignore"):
        mean = np.where(finite, v, 0.0).sum(axis=1) / count
        if band == "std":
            sd = np.sqrt((np.where(finite, v - mean[:, None], 0.0) ** 2).sum(axis=1) / count)
            lo, hi = mean - sd, mean + sd
        else:
            lo = np.where(finite, v, np.inf).min(axis=1)
            hi = np.where(finite, v, -np.inf).max(axis=1)
    # a step where nothing finite was logged is left out: the line joins the logged steps
    # (a val_loss logged each epoch, gradient norms read every few steps)
    keep = count > 0
    colour = PALETTE[i % len(PALETTE)]
    band_ = (lo[keep], hi[keep]) if v.shape[1] > 1 else None
    return Curve(name, steps[keep], mean[keep], colour, (), band_)


def monitor_frame(h: Any, band: str = "minmax", log_y: bool | None = None) -> Frame:
    """The frame of a monitor's history (``steps``, ``scalars``, ``lr``, ``grad_norm``, ...)."""
    steps = np.asarray(h.steps)
    scalars = dict(h.scalars)
    loss = [_seed_curve(i, k, steps, v, band) for i, (k, v) in enumerate(scalars.items())]
    lrs = dict(h.lr or {})
    lr = [_seed_curve(i, k, steps, v, band) for i, (k, v) in enumerate(lrs.items())]
    norms = []
    g = np.asarray(getattr(h, "grad_norm", np.zeros(0)), dtype=np.float64)
    if g.size and np.isfinite(g).any():
        norms.append(_seed_curve(0, "global", steps, g, band))
    ln = np.asarray(getattr(h, "layer_norms", np.zeros(0)), dtype=np.float64)
    layers = list(getattr(h, "layers", []))
    if ln.size and layers:
        ln = ln.reshape(len(steps), -1)
        for j, name in enumerate(layers[: ln.shape[1]]):
            c = _seed_curve(j + 1, str(name), steps, ln[:, j], band)
            norms.append(Curve(c.label, c.x, c.y, c.color, width=1.0))
    paths = []
    path = np.asarray(getattr(h, "path", np.zeros((0, 2))), dtype=np.float64).reshape(-1, 2)
    if path.size:
        paths.append(Curve("path", path[:, 0], path[:, 1], PALETTE[0]))
    return Frame(loss, lr, norms, paths, ("dir 1", "dir 2"), log_y)


class MonitorSource(Adapter):
    """A monitor (``gd.monitor(...)``): its bounded ``history``, live through ``subscribe``.

    Its band (min-max or std) and log y (when asked for) are the monitor's own (``meta``).
    """

    live = True

    def _read(self) -> Frame:
        meta = dict(getattr(self.source, "meta", None) or {})
        log_y = True if meta.get("log_y") else None
        return monitor_frame(self.source.history, meta.get("band", "minmax"), log_y)

    def _subscribe(self, fn: Callable[[], None]) -> Callable[[], None]:
        return self.source.subscribe(fn)


class MonitorHistorySource(Adapter):
    """A monitor's ``history`` copy, read once."""

    def _read(self) -> Frame:
        return monitor_frame(self.source)


def adapt(source: Any) -> Adapter:
    """The :class:`Adapter` of ``source``.

    Raises
    ------
    TypeError
        If ``source`` is none of a Playground, a History (or ``w.history``), a monitor or
        a monitor's history.
    """
    from ..engine import History  # noqa: PLC0415
    from ..stream.history import DecimatedHistory  # noqa: PLC0415
    from ..widget import Playground  # noqa: PLC0415

    if isinstance(source, Adapter):
        return source
    if isinstance(source, Playground):
        return PlaygroundSource(source)
    if isinstance(source, History):
        return HistorySource(source)
    if isinstance(source, DecimatedHistory):
        return DecimatedSource(source)
    if hasattr(source, "scalars") and hasattr(source, "steps"):
        return MonitorHistorySource(source)
    if callable(getattr(source, "subscribe", None)) and hasattr(source, "history"):
        return MonitorSource(source)
    raise TypeError(
        "source must be a gd.Playground, a gd.History (from gd.run), a monitor (gd.monitor) "
        f"or a history of one, got {type(source).__name__}"
    )
