"""The Playground widget: a live loss landscape, optimizer paths and loss curves.

``gd.Playground`` is an `anywidget <https://anywidget.dev>`_, and it is thin: traits and
wiring. Its run belongs to a :class:`~gdwidget.live.session.Session` (docs/architecture.md),
which steps it in a thread, so that the cell returns at once and the page's controls keep
working while the optimizers run (a kernel reads no message from the page while a cell is
busy). Every control, from the page or from Python, is one command that the session applies
between two engine calls. Where it runs: README.md and the Notes below.

Without a built JavaScript bundle (a source checkout without ``npm run build``) the widget
shows a short message instead of the plots; the Python API works.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import anywidget
import traitlets as tl

from . import bundle
from ._checks import check_int, check_real
from .engine import Run
from .live import config as config_mod
from .live import landscape
from .live import meta as meta_mod
from .live import picker as picker_mod
from .live import protocol as p
from .live.assemble import assemble, grid_points, quiet_backend
from .live.planes import PLANES
from .live.session import Session
from .live.sinks import WidgetSink
from .live.source import EngineSource
from .projection import Plane
from .stream import DEFAULT_MAX_FPS, DecimatedHistory
from .widget_exports import Exports
from .widget_knobs import Knobs
from .widget_models import ModelsOnData
from .widget_race import RaceEditing

__all__ = ["PLANES", "Playground"]

_bundle_present = bundle.bundle_present  # tests and benchmarks ask the widget module

log = logging.getLogger("gdwidget")


class Playground(Knobs, RaceEditing, Exports, ModelsOnData, anywidget.AnyWidget):
    """Race optimizers on an objective, live, in a notebook.

    Shows the loss landscape of the first two parameters, each run's path over it and every
    run's loss curve, with play / pause / step / reset, a speed control, a learning-rate
    slider per optimizer, and zoom and pan. Clicking the landscape restarts every run from
    the clicked point.

    Parameters
    ----------
    objective : Objective or str
        What to minimize: ``gd.functions.rosenbrock()``, ``gd.Function(...)``, a
        model on data, or a function name.
    optimizers : Optimizer or dict of str to Optimizer
        ``{"label": optimizer}``; each label gets a colour and a slider.
    start : array_like, optional
        ``(n_params,)`` or ``(n_starts, n_params)``; default the objective's.
    device : {"cpu", "gpu", "auto"}
        Where the runs and the landscape are computed (NumPy or CuPy).
    dtype : {"float64", "float32"}
    speed : float
        Steps per second while playing; ``0`` means as fast as possible (the
        loop then advances in chunks of about 1/30 s).
    grid_size : (int, int), optional
        Landscape resolution ``(nx, ny)``. Default ``(160, 120)``; for a model
        on a PCA or random plane on the CPU ``(64, 48)`` (each point of the grid
        is a full-data forward pass).
    max_history : int, optional
        Rows of history held in the kernel and in the page, whatever the number
        of runs. Past it the history is thinned by what the eye sees: each path
        stays within a pixel of the true one and each loss curve keeps the
        first, last, lowest and highest value of every pixel column. Default:
        room for every run's loss extremes per pixel column, 4,096 rows for one
        run, 16,384 for eight, within 32 MB
        (:func:`gdwidget.stream.default_capacity`, again for each new race).
    grad_tol, loss_tol : float
        A run converges (and stops) when its gradient norm, or the change of its
        loss in one step, is at most this; ``0`` never. Playing stops when every
        run has stopped.
    batch_size : int, optional
        Models on data: ``None`` (or 0) for the full batch, ``1`` for stochastic,
        ``k`` for mini-batches; the page's batch-size control changes it live.
        Every run sees the same batches.
    seed : int
        Seed of the batch order (and of the model's initialization and of a
        random plane).
    validation : Objective, optional
        The same model on held-out data: its loss (and accuracy) is evaluated
        with the full training loss and drawn as curves (see ``eval_every``).
    eval_every : int, optional
        Evaluate the full-data losses every this many steps. Default for models on
        up to 20,000 examples: every 10 steps; on more data, the engine's default.
    plane : {"auto", "params", "pca", "random"}
        Models on data: the plane of parameter space the landscape shows
        (``"params"``: the two parameters themselves; ``"pca"``: the top two
        principal directions of a short pilot run; ``"random"``: two
        filter-normalized random directions). ``"auto"`` is ``"params"`` for two
        parameters, else ``"pca"``.
    pilot_steps : int
        Steps of the pilot run for ``plane="pca"`` (and to frame the view).
    max_fps : float
        Frames sent to the page per second, at most.
    controls : list of str, optional
        The page's controls shown (``["play", "step", "reset", "lr"]``); default all. Names:
        ``gdwidget.live.config.CONTROLS``.
    target : dict, optional
        A challenge, ``{"loss": 1e-3, "steps": 200}``: the page shows it and which runs
        reached it (:meth:`reached`).
    **kwargs
        Passed to :class:`anywidget.AnyWidget` (``layout=...``).

    Notes
    -----
    Works in JupyterLab, Notebook 7, Voila and VS Code; in Google Colab call
    ``from google.colab import output; output.enable_custom_widget_manager()`` first
    (docs/colab.md). ``w.play()`` returns at once; the notebook's interrupt button pauses
    it; when every view of it is gone (its cell re-run or cleared) it pauses within 2 s.

    Examples
    --------
    >>> import gdwidget as gd
    >>> w = gd.Playground(gd.functions.rosenbrock(),
    ...                   {"gd": gd.optim.sgd(1e-3), "adam": gd.optim.adam(0.05)})
    >>> w.step(100)            # doctest: +SKIP
    >>> w.history.loss.shape   # doctest: +SKIP
    (101, 2)
    """

    _esm = bundle.read(bundle.BUNDLE, bundle.MISSING_BUNDLE_ESM)
    _css = bundle.read(bundle.BUNDLE_CSS, "")

    # -- synced traits (docs/protocol.md); the session writes them, the page only reads -----
    meta = tl.Dict().tag(sync=True)
    view = tl.List().tag(sync=True)
    grid = tl.Bytes(b"").tag(sync=True)
    grid_meta = tl.Dict().tag(sync=True)
    running = tl.Bool(False).tag(sync=True)
    speed = tl.Float(60.0).tag(sync=True)
    t = tl.Int(0).tag(sync=True)
    status = tl.List().tag(sync=True)
    error = tl.Unicode("").tag(sync=True)
    batch_size = tl.Int(0).tag(sync=True)
    data = tl.Bytes(b"").tag(sync=True)
    data_meta = tl.Dict().tag(sync=True)
    marks = tl.List().tag(sync=True)
    shown_controls = tl.List(None, allow_none=True).tag(sync=True)
    target = tl.Dict().tag(sync=True)
    picker = tl.Dict().tag(sync=True)  # the page's function picker and optimizer menu
    #: the step every view shows while seeking: ``{"step": kept, "asked": t}``; {} the newest
    cursor = tl.Dict().tag(sync=True)
    #: the clipped steps marked on the paths: ``{"steps": [...], "runs": [...]}`` (live/toggles.py)
    clipped = tl.Dict().tag(sync=True)
    #: instant mode's steps (0: off): each change recomputes the whole path (set_instant)
    instant = tl.Int(0).tag(sync=True)
    #: whether the X-ray is on (its messages sent, drawn in every view): set_xray, gd-xray
    xray = tl.Bool(False).tag(sync=True)

    def __init__(
        self,
        objective: Any,
        optimizers: Any,
        start: Any = None,
        *,
        device: str = "auto",
        dtype: Any = "float64",
        speed: float = 60.0,
        grid_size: tuple[int, int] | None = None,
        max_history: int | None = None,
        grad_tol: float = 1e-6,
        loss_tol: float = 0.0,
        batch_size: int | None = None,
        seed: int = 0,
        validation: Any = None,
        eval_every: int | None = None,
        plane: str = "auto",
        pilot_steps: int = 200,
        max_fps: float = DEFAULT_MAX_FPS,
        controls: Sequence[str] | None = None,
        target: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs["shown_controls"] = config_mod.check_controls(controls)
        kwargs["target"] = config_mod.check_target(target)
        kwargs["picker"] = picker_mod.state()
        speed = check_real("speed", speed, low=0.0)
        if max_history is not None:
            max_history = check_int("max_history", max_history, low=16, high=10**7)
        max_fps = check_real("max_fps", max_fps, low=0.0, low_open=True)
        pilot_steps = check_int("pilot_steps", pilot_steps, low=1)
        grid_points(grid_size)  # checked before the source is built
        if not bundle.bundle_present():
            warnings.warn(
                "gdwidget's JavaScript bundle is missing (gdwidget/static/widget.js): the widget "
                "will show a message instead of plots. Build it with `npm install && npm run "
                "build` in the source checkout (or `pip install -e .`).",
                RuntimeWarning,
                stacklevel=2,
            )
        source = EngineSource(
            objective,
            optimizers,
            start,
            device=quiet_backend(device, dtype),
            dtype=dtype,
            grad_tol=grad_tol,
            loss_tol=loss_tol,
            batch_size=batch_size,
            seed=seed,
            validation=validation,
            eval_every=eval_every,
            plane=plane,
            pilot_steps=pilot_steps,
        )
        self._limits = (max_history, max_fps, pilot_steps, grid_size)
        bounds = landscape.default_bounds(source)
        meta, data, data_meta = self._attach(source, speed, bounds)
        run = source.run
        super().__init__(
            meta=meta,
            speed=speed,
            batch_size=run.batch_size or 0,
            data=data,
            data_meta=data_meta,
            **kwargs,
        )
        self.on_msg(self._on_msg)
        self.observe(self._on_speed, names="speed")
        self.observe(self._on_batch_size, names="batch_size")
        self._submit(p.Reset(None))
        self._submit(p.SetView(tuple(map(tuple, bounds))))  # on the default plot size

    def _attach(
        self, source: EngineSource, speed: float, bounds: list[list[float]]
    ) -> tuple[dict[str, Any], bytes, dict[str, Any]]:
        """A session (with its streamer) for ``source``; returns meta, data and data_meta."""
        self._session, meta, data, data_meta = assemble(
            WidgetSink(self), source, speed, bounds, self._limits
        )
        return meta, data, data_meta

    # ----------------------------------------------------------------------------------
    # Python API: each method is one command to the session
    # ----------------------------------------------------------------------------------
    @property
    def run(self) -> Run:
        """The engine :class:`~gdwidget.engine.Run` behind the widget (read it; change it
        through the widget's methods, which apply between chunks)."""
        return self._session.source.run

    @property
    def session(self) -> Session:
        """The :class:`~gdwidget.live.session.Session` that steps and streams the run."""
        return self._session

    @property
    def plane(self) -> Plane | None:
        """The plane of parameter space the landscape shows (models on data), else None."""
        return self._session.source.plane

    @property
    def history(self) -> DecimatedHistory:
        """A copy of the bounded history the page shows.

        Rows are the kept ones (not contiguous once the run outgrows ``max_history``),
        and points are the drawn ones (``xy``: the first two parameters, or a model's
        coordinates in its plane). For every step and every parameter use
        :func:`gdwidget.run` headless.
        """
        r = self.run
        s = self._session
        names = meta_mod.status_names(r, s.halted)
        return s.streamer.snapshot(r.labels, r.groups, names, r.stop_step)

    def subscribe(self, fn: Callable[[], None]) -> Callable[[], None]:
        """Call ``fn()`` after each frame (read :attr:`history` there); returns the unsubscribe.

        ``fn`` runs on the thread that steps (the loop thread while playing), so it should
        be quick; one that raises is logged and the stream goes on.
        """
        return self._session.subscribe(fn)

    @property
    def playing(self) -> bool:
        """Whether the loop is stepping."""
        return self._session.playing

    def play(self) -> None:
        """Start stepping in the background at ``speed`` until paused or every run stops."""
        self._submit(p.Play())

    def pause(self) -> None:
        """Stop stepping. Returns once no further step will be taken."""
        self._submit(p.Pause())

    def step(self, n: int = 1) -> None:
        """Pause, then take ``n`` steps now (fewer if every run stops), in this thread.

        Ctrl-C stops it; every step taken is kept and shown.

        Raises
        ------
        gdwidget.engine.ObjectiveError
            If the objective raises; the error is also shown in the widget.
        """
        n = check_int("n", n, low=1, high=10**12)
        self._session.run_steps(n)

    def reset(self, start: Any = None) -> None:
        """Back to step 0; with ``start`` (a point, or one per start), from there.

        Playing goes on from the new start if it was on. A start where the objective
        fails raises ValueError and changes nothing.
        """
        self._submit(p.Reset(start))

    def set_lr(self, label: str, value: Any) -> None:
        """Set optimizer ``label``'s learning rate from the next step: a float sets a
        constant rate, a schedule replaces the schedule."""
        self._submit(p.SetLr(label, value))

    def scale_lr(self, label: str, factor: float) -> None:
        """Multiply optimizer ``label``'s rate, or its whole schedule, by ``factor`` (what
        the page's slider does for a scheduled optimizer)."""
        factor = check_real("factor", factor, low=0.0, low_open=True)
        self._submit(p.ScaleLr(label, factor))

    def set_speed(self, value: float) -> None:
        """Steps per second while playing; 0 for as fast as possible (same as ``w.speed = v``)."""
        self._submit(p.SetSpeed(check_real("speed", value, low=0.0)))

    def set_view(self, bounds: Sequence[Sequence[float]]) -> None:
        """Show the landscape over ``[[x0, x1], [y0, y1]]`` (recomputed on the device)."""
        try:
            b = p.bounds(bounds)
        except p.BadMessage as exc:
            raise ValueError(str(exc)) from None
        self._submit(p.SetView(b))

    def close(self) -> None:
        """Stop the loop and close the widget."""
        session = getattr(self, "_session", None)
        if session is not None:
            session.close()
        super().close()

    # ----------------------------------------------------------------------------------
    # Wiring
    # ----------------------------------------------------------------------------------
    def _submit(self, cmd: p.Command) -> None:
        self._session.submit(cmd)

    def _on_msg(self, _widget: Any, content: Any, buffers: Any = None) -> None:
        """The one handler of browser messages: parse, then hand to the session."""
        try:
            if isinstance(content, dict) and content.get("type") in picker_mod.TYPES:
                return picker_mod.apply(self, content)  # the race itself changes
            cmd = p.parse(content, buffers)
            self._session.submit(cmd, wait=False)
        except (ValueError, TypeError, RuntimeError) as exc:
            log.warning("gdwidget: ignored a malformed message: %s", exc)
        except Exception:  # noqa: BLE001 - a message from the page must never break the kernel
            log.exception("gdwidget: failed to handle a message from the page")

    @tl.validate("speed")
    def _valid_speed(self, proposal: dict[str, Any]) -> float:
        v = proposal["value"]
        if not (math.isfinite(v) and v >= 0):
            raise tl.TraitError(f"speed must be a finite number >= 0, got {v!r}")
        return v

    def _on_speed(self, change: dict[str, Any]) -> None:
        if change["new"] != self._session.speed:  # set from Python: one path, the command
            self._submit(p.SetSpeed(float(change["new"])))
