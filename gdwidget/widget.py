"""The Playground widget: a live loss landscape, optimizer paths and loss curves.

``gd.Playground`` is an `anywidget <https://anywidget.dev>`_ whose kernel side
owns a :class:`gdwidget.engine.Run` and a background thread that steps it and
streams the new rows to the browser (see docs/protocol.md for the wire format).

The run loop lives in a thread because a kernel does not read messages from the
browser while a cell is busy: with the loop in a thread, the cell that shows the
widget returns at once and the buttons, sliders and clicks of the page keep
working while the optimizers run. A lock makes every control (play, pause,
step, reset, learning rate, speed, zoom) apply between two engine calls.

Where it runs
-------------
* **JupyterLab >= 4, Notebook >= 7, Voila**: works out of the box.
* **ipykernel**: use ipykernel >= 7.1. Versions 7.0 pin the output of a thread to
  the cell that started it; 7.1 restored routing of thread output (the loop's
  logged warnings) to the current cell.
* **Google Colab**: enable third-party widgets once per notebook, before showing
  a Playground (anywidget tries to do it for you)::

      from google.colab import output
      output.enable_custom_widget_manager()

* **VS Code**: the Jupyter extension renders anywidgets; install gdwidget (and
  so ipywidgets >= 8) into the kernel's environment and select that kernel.

If the JavaScript bundle was not built (a source checkout without
``npm run build``), the widget shows a short message saying so instead of the
plots, and the Python API keeps working.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import math
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import anywidget
import numpy as np
import traitlets as tl

from ._checks import check_int, check_real
from .backend import to_numpy
from .engine import ObjectiveError, Run, _as_objective
from .projection import Plane, loss_grid, params_plane, pca_plane, random_plane
from .stream import DEFAULT_CAPACITY, DEFAULT_MAX_FPS, DecimatedHistory, Packet, Streamer

__all__ = ["Playground"]

log = logging.getLogger("gdwidget")

_STATIC = Path(__file__).parent / "static"
_BUNDLE = _STATIC / "widget.js"
_BUNDLE_CSS = _STATIC / "widget.css"

_MISSING_BUNDLE_ESM = """
function render({ el }) {
  const box = document.createElement("div");
  box.setAttribute("data-testid", "gd-missing-bundle");
  box.style.cssText = "font: 13px sans-serif; padding: 8px 12px; border: 1px solid #d9a400;" +
    " background: #fff8e1; color: #5d4200; border-radius: 4px;";
  box.textContent = "gdwidget: the JavaScript bundle (gdwidget/static/widget.js) is missing, so " +
    "the plots cannot be drawn. In a source checkout run `npm install && npm run build` " +
    "(or `pip install -e .`), then restart the kernel. The Python API works without it.";
  el.appendChild(box);
}
export default { render };
"""

#: Colours of the optimizers (Tableau 10), in the order they are given.
PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)

_MAX_CHUNK = 8192  # most steps per engine call from Python's step(n)
_MAX_STEP_MESSAGE = 10_000_000  # most steps one browser "step" message may ask for
_FAST_TARGET_S = 1.0 / 30.0  # an engine call at speed 0 lasts about this long
_ARROWS_PERIOD = 0.1  # gradient arrows at most 10 a second
_MODEL_VIEW_PERIOD = 0.2  # model views at most 5 a second
_MAX_DATA_ROWS = 2000  # training examples sent for the model view
_LINE_POINTS = 128  # inputs of the fitted curves ("line" view)
_BOUNDARY_GRID = 64  # decision regions: a 64 x 64 grid ("boundary" view)
PLANES = ("auto", "params", "pca", "random")


def _bundle_present() -> bool:
    return _BUNDLE.is_file()


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, tuple | list):
        return "(" + ", ".join(_fmt(x) for x in v) + ")"
    return str(v)


#: models on at most this many examples are evaluated on all their data every
#: DISPLAY_EVAL_EVERY steps (cheap there), so the widget's curves fill in quickly
DISPLAY_EVAL_EXAMPLES = 20_000
DISPLAY_EVAL_EVERY = 10


class _BadMessage(ValueError):
    """A browser message that does not follow docs/protocol.md."""


class Playground(anywidget.AnyWidget):
    """Race optimizers on an objective, live, in a notebook.

    Shows the loss landscape of the first two parameters, each run's path over
    it and every run's loss curve, with play / pause / step / reset, a speed
    control, a learning-rate slider per optimizer, and zoom and pan. Clicking the
    landscape restarts every run from the clicked point.

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
    max_history : int
        Rows of history held in the kernel and in the page. Past it the
        history is decimated (every other step, keeping the first and last
        steps and each run's loss extremes), so memory stays bounded however
        long the run goes.
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
        up to 20,000 examples: every 10 steps, so that the curves fill in at the
        pace of a class whatever the batch size; on more data, the engine's
        default (once an epoch; see :class:`gdwidget.engine.Run`).
    plane : {"auto", "params", "pca", "random"}
        Models on data: the plane of parameter space the landscape shows.
        ``"params"``: the two parameters themselves (two-parameter models such as
        ``y = w x + b``); ``"pca"``: the top two principal directions of a short
        pilot run of the same race from the same start (Li et al. 2018);
        ``"random"``: two filter-normalized random directions through the
        start. ``"auto"`` is ``"params"`` for two parameters, else ``"pca"``.
        Paths are drawn at their least-squares coordinates in the plane, and
        the landscape over the plane is computed on the device.
    pilot_steps : int
        Steps of the pilot run for ``plane="pca"`` (and to frame the view).
    max_fps : float
        Frames sent to the page per second, at most.
    **kwargs
        Passed to :class:`anywidget.AnyWidget` (``layout=...``).

    Notes
    -----
    Works in JupyterLab, Notebook 7, Voila and VS Code; in Google Colab call
    ``from google.colab import output; output.enable_custom_widget_manager()``
    first. Use ipykernel >= 7.1. Messages from the page are handled only while
    no cell is running, which is why the loop runs in a background thread:
    ``w.play()`` returns at once.

    Examples
    --------
    >>> import gdwidget as gd
    >>> w = gd.Playground(gd.functions.rosenbrock(),
    ...                   {"gd": gd.optim.sgd(1e-3), "adam": gd.optim.adam(0.05)})
    >>> w.step(100)            # doctest: +SKIP
    >>> w.history.loss.shape   # doctest: +SKIP
    (101, 2)
    """

    _esm = _BUNDLE if _bundle_present() else _MISSING_BUNDLE_ESM
    _css = _BUNDLE_CSS if _BUNDLE_CSS.is_file() else ""

    # -- synced traits (docs/protocol.md) ----------------------------------------------
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
        max_history: int = DEFAULT_CAPACITY,
        grad_tol: float = 1e-6,
        loss_tol: float = 0.0,
        batch_size: int | None = None,
        seed: int = 0,
        validation: Any = None,
        eval_every: int | None = None,
        plane: str = "auto",
        pilot_steps: int = 200,
        max_fps: float = DEFAULT_MAX_FPS,
        **kwargs: Any,
    ) -> None:
        speed = check_real("speed", speed, low=0.0)
        max_history = check_int("max_history", max_history, low=16)
        max_fps = check_real("max_fps", max_fps, low=0.0, low_open=True)
        try:
            nx, ny = (check_int("grid_size", g, low=2) for g in grid_size or (160, 120))
        except TypeError:
            raise ValueError(f"grid_size must be a pair (nx, ny), got {grid_size!r}") from None
        if nx * ny > 4_000_000:
            raise ValueError(f"grid_size {nx}x{ny} is too large (at most 4 million points)")
        if not _bundle_present():
            warnings.warn(
                "gdwidget's JavaScript bundle is missing (gdwidget/static/widget.js): the widget "
                "will show a message instead of plots. Build it with `npm install && npm run "
                "build` in the source checkout (or `pip install -e .`).",
                RuntimeWarning,
                stacklevel=2,
            )

        obj = _as_objective(objective)
        is_model = getattr(obj, "n_examples", None) is not None
        plane_kind = self._choose_plane(obj, plane, is_model)
        if eval_every is None and is_model and obj.n_examples <= DISPLAY_EVAL_EXAMPLES:
            eval_every = DISPLAY_EVAL_EVERY
        pilot_steps = check_int("pilot_steps", pilot_steps, low=1)
        run = Run(
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
            record_params=False if plane_kind in ("pca", "random") else None,
        )
        self._run = run
        self._kind = "model" if is_model else "function"
        self._plane: Plane | None = None
        self._plane_bounds: list[list[float]] | None = None
        self._selected = 0  # the run whose decision regions the "boundary" view shows
        self._last_arrows = -math.inf
        self._last_model_view = -math.inf
        self._model_view = self._choose_model_view(obj) if is_model else None
        if is_model:
            self._plane, self._plane_bounds = self._make_plane(plane_kind, pilot_steps)
            if self._plane.kind != "params":
                run.project = self._plane.coords
        if grid_size is None and self._plane is not None and self._plane.kind != "params":
            nx, ny = (64, 48) if run.backend.device == "cpu" else (160, 120)
        self._grid_size = (nx, ny)
        self._lock = threading.RLock()
        self._wake = threading.Condition(self._lock)
        self._want = 0  # controls waiting for the lock (the loop then yields it)
        self._want_lock = threading.Lock()
        self._playing = False
        self._budget = 0  # steps still to take for a browser "step" message
        self._worker_active = False
        self._closed = False
        self._halted = False  # an error stopped the runs that were still running
        self._timer: threading.Timer | None = None
        self._last_exc: BaseException | None = None
        self._speed = speed
        self._fast_n = 16  # steps per engine call at speed 0, adapted to ~1/30 s
        self._streamer = Streamer(run.n_runs, capacity=max_history, max_fps=max_fps)
        self._slice_point = np.asarray(run._starts[0], dtype=np.float64).copy()
        self._lr_ranges: dict[str, tuple[float, float]] = {}

        meta = self._build_meta()
        bounds = meta["bounds"]
        data, data_meta = self._data_trait()
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

        with self._control():
            first = run.reset()
            self._push(first, reset=True)
            self._set_view(bounds)
            self._sync_traits()

    # ----------------------------------------------------------------------------------
    # Python API
    # ----------------------------------------------------------------------------------
    @property
    def run(self) -> Run:
        """The engine :class:`~gdwidget.engine.Run` behind the widget.

        Read it freely; to change it while the widget may be playing, use the
        widget's methods (they take the lock that the loop holds while stepping).
        """
        return self._run

    @property
    def history(self) -> DecimatedHistory:
        """A copy of the bounded, decimated history the page shows.

        Rows are not contiguous once the run outgrows ``max_history`` (the first
        and last steps and each run's loss extremes are kept), and points are the
        drawn ones (``xy``: the first two parameters, or a model's coordinates in
        its plane). ``evals`` holds the full-data evaluations (training and
        validation loss and accuracy), bounded too. For every step and every
        parameter use :func:`gdwidget.run` headless.
        """
        with self._control():
            r = self._run
            return self._streamer.snapshot(r.labels, r.groups, self._status_names(), r.stop_step)

    @property
    def playing(self) -> bool:
        """Whether the loop is stepping (same as the ``running`` trait, read under the lock)."""
        with self._control():
            return self._playing or self._budget > 0

    def play(self) -> None:
        """Start stepping in the background at ``speed`` until paused or every run stops."""
        with self._control():
            if self._closed:
                raise RuntimeError("this Playground was closed")
            if self._run.done:
                log.info("every run has stopped; reset() to start again")
                return
            self._clear_error()
            self._playing = True
            self._ensure_worker()

    def pause(self) -> None:
        """Stop stepping. Returns once no further step will be taken."""
        with self._control():
            self._playing = False
            self._budget = 0
            self._wake.notify_all()
            self._flush(force=True)
            self._sync_traits()

    def step(self, n: int = 1) -> None:
        """Pause, then take ``n`` steps now (fewer if every run stops), in this thread.

        Raises
        ------
        gdwidget.engine.ObjectiveError
            If the objective raises; the error is also shown in the widget.
        """
        n = check_int("n", n, low=1)
        with self._control():
            self._playing = False
            self._budget = 0
            self._wake.notify_all()
            self._clear_error()
            left = n
            while left > 0 and not self._run.done:
                k = min(left, _MAX_CHUNK)
                if not self._advance(k):
                    assert self._last_exc is not None
                    raise self._last_exc  # the error is in the widget already
                left -= k
                if left > 0 and self._flush():  # a long step(n) animates the page as it goes
                    self._sync_traits()
            self._flush()
            self._send_extras(force=True)  # the arrows and the model view where it stopped
            self._sync_traits()

    def reset(self, start: Any = None) -> None:
        """Back to step 0; with ``start`` (a point, or one per start), from there.

        Playing goes on from the new start if it was on.
        """
        with self._control():
            start = self._full_start(start)
            chunk = self._run.reset(start)
            if start is not None:
                self._slice_point = np.asarray(self._run._starts[0], dtype=np.float64).copy()
            self._clear_error()
            self._push(chunk, reset=True)
            self._flush(force=True)
            self._sync_traits()
            if self._plane is None and self._run.n_params > 2 and start is not None:
                self._set_view(self.view)  # the landscape is a slice through the start

    def set_lr(self, label: str, value: Any) -> None:
        """Set optimizer ``label``'s learning rate (a float or a schedule) from the next step."""
        with self._control():
            self._run.set_lr(label, value)
            self.meta = {**self.meta, "groups": self._group_meta()}

    def set_batch_size(self, batch_size: int | None) -> None:
        """Examples per gradient from the next step: ``None`` or 0 full batch, 1, or k.

        Every run gets the same new shuffle of the data. Only for models on data.
        """
        n = self._run.objective.n_examples
        if n is None:
            raise ValueError(
                f"batch_size needs a model on data; {self._run.objective.name} is a function"
            )
        b = None if batch_size is None else check_int("batch_size", batch_size, low=0)
        b = None if b == 0 else b
        with self._control():
            if b == self._run.batch_size:
                return
            self._run.set_batch_size(b)  # checks b <= n_examples
            try:
                self._run.redraw_batch()
            except Exception as exc:  # noqa: BLE001 - shown in the widget
                self._fail(exc)
            if self.batch_size != (b or 0):
                self.batch_size = b or 0
            self._send_extras(force=True)

    def select_run(self, index: int) -> None:
        """Show run ``index``'s decision regions in the model view (two-feature classifiers)."""
        index = check_int("index", index, low=0)
        if index >= self._run.n_runs:
            raise ValueError(
                f"index must be < {self._run.n_runs} (the number of runs), got {index}"
            )
        with self._control():
            self._selected = index
            self._send_model_view(force=True)

    @property
    def plane(self) -> Plane | None:
        """The plane of parameter space the landscape shows (models on data), else None."""
        return self._plane

    def set_view(self, bounds: Sequence[Sequence[float]]) -> None:
        """Show the landscape over ``[[x0, x1], [y0, y1]]`` (recomputed on the device)."""
        with self._control():
            self._set_view(self._check_bounds(bounds))

    def close(self) -> None:
        """Stop the loop and close the widget."""
        if not hasattr(self, "_lock"):  # the constructor failed before the loop existed
            super().close()
            return
        with self._control():
            self._closed = True
            self._playing = False
            self._budget = 0
            self._wake.notify_all()
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        super().close()

    # ----------------------------------------------------------------------------------
    # The one handler of browser messages
    # ----------------------------------------------------------------------------------
    def _on_msg(self, _widget: Any, content: Any, buffers: Any = None) -> None:
        try:
            if not isinstance(content, dict):
                raise _BadMessage(f"a message must be an object, got {type(content).__name__}")
            kind = content.get("type")
            if kind == "request_history":
                self._streamer.request_history()
                with self._control():
                    self._flush(force=True)
                    self._send_extras(force=True)
                    self._sync_traits()
            elif kind == "play":
                self.play()
            elif kind == "pause":
                self.pause()
            elif kind == "step":
                n = content.get("n", 1)
                if isinstance(n, bool) or not isinstance(n, int | float) or n != int(n) or n < 1:
                    raise _BadMessage(f"step needs an integer n >= 1, got {n!r}")
                with self._control():
                    if self._closed:
                        return
                    self._playing = False
                    self._budget = min(int(n), _MAX_STEP_MESSAGE)
                    self._clear_error()
                    self._ensure_worker()
            elif kind == "reset":
                start = content.get("start")
                if start is not None:
                    start = self._check_point(start)
                try:
                    self.reset(start)
                except ValueError as exc:  # a start where the objective fails
                    self.error = str(exc)
                    log.warning("gdwidget: reset failed: %s", exc)
            elif kind == "set_lr":
                group, value = content.get("group"), content.get("value")
                if group not in self._run.optimizers:
                    raise _BadMessage(f"set_lr: unknown optimizer {group!r}")
                value = self._check_number("set_lr value", value, positive=True)
                self.set_lr(group, value)
            elif kind == "set_speed":
                self.speed = self._check_number("set_speed value", content.get("value"))
            elif kind == "set_view":
                self.set_view(content.get("bounds"))
            elif kind == "set_batch_size":
                n = self._run.objective.n_examples
                if n is None:
                    raise _BadMessage("set_batch_size: the objective has no data")
                v = self._check_number("set_batch_size value", content.get("value"))
                if v != int(v):
                    raise _BadMessage(f"set_batch_size needs an integer, got {v!r}")
                self.set_batch_size(min(int(v), n))  # 0: full batch; clamped to n_examples
            elif kind == "select_run":
                i = content.get("index")
                if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < self._run.n_runs:
                    raise _BadMessage(f"select_run needs an index in 0..{self._run.n_runs - 1}")
                self.select_run(i)
            else:
                raise _BadMessage(f"unknown message type {kind!r}")
        except (_BadMessage, ValueError, TypeError) as exc:
            log.warning("gdwidget: ignored a malformed message %r: %s", _short(content), exc)
        except Exception:  # noqa: BLE001 - a message from the page must never break the kernel
            log.exception("gdwidget: failed to handle the message %r", _short(content))

    @staticmethod
    def _check_number(name: str, value: Any, positive: bool = False) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _BadMessage(f"{name} must be a number, got {value!r}")
        v = float(value)
        if not math.isfinite(v) or v < 0 or (positive and v == 0):
            raise _BadMessage(
                f"{name} must be a finite number {'>' if positive else '>='} 0, got {value!r}"
            )
        return v

    @staticmethod
    def _check_point(p: Any) -> list[float]:
        if not isinstance(p, list | tuple) or len(p) != 2:
            raise _BadMessage(f"a point must be [x, y], got {p!r}")
        out = []
        for v in p:
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise _BadMessage(f"a point must be two finite numbers, got {p!r}")
            out.append(float(v))
        return out

    def _check_bounds(self, b: Any) -> list[list[float]]:
        if not isinstance(b, list | tuple) or len(b) != 2:
            raise _BadMessage(f"bounds must be [[x0, x1], [y0, y1]], got {b!r}")
        (x0, x1), (y0, y1) = (self._check_point(r) for r in b)
        if not (x0 < x1 and y0 < y1):
            raise _BadMessage(f"bounds need x0 < x1 and y0 < y1, got {b!r}")
        return [[x0, x1], [y0, y1]]

    def _on_speed(self, change: dict[str, Any]) -> None:
        v = change["new"]
        if not (math.isfinite(v) and v >= 0):
            log.warning("gdwidget: speed must be a finite number >= 0, got %r", v)
            self.speed = change["old"]
            return
        with self._control():
            self._speed = float(v)
            self._wake.notify_all()

    def _on_batch_size(self, change: dict[str, Any]) -> None:
        """The ``batch_size`` trait set from Python or the page (``set_batch_size`` sets it too)."""
        new = change["new"]
        if (self._run.batch_size or 0) == new:
            return
        try:
            self.set_batch_size(new)
        except ValueError as exc:
            log.warning("gdwidget: batch_size: %s", exc)
            self.batch_size = change["old"]

    # ----------------------------------------------------------------------------------
    # The loop
    # ----------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _control(self) -> Iterator[None]:
        """Hold the lock for a control; the loop, seeing someone waiting, yields it soon."""
        with self._want_lock:
            self._want += 1
        try:
            self._lock.acquire()
        finally:
            with self._want_lock:
                self._want -= 1
        try:
            yield
        finally:
            self._lock.release()

    def _ensure_worker(self) -> None:
        """Start the loop thread if none is active (call with the lock held)."""
        self._wake.notify_all()
        if not self._worker_active:
            self._worker_active = True
            self.running = True
            threading.Thread(target=self._loop, name="gdwidget-playground", daemon=True).start()

    def _loop(self) -> None:
        credit = 0.0
        last = time.monotonic()
        try:
            while True:
                with self._lock:
                    if self._closed or not (self._playing or self._budget > 0):
                        break
                    now = time.monotonic()
                    if self._budget > 0 or self._speed == 0:
                        n = self._fast_n if self._budget == 0 else min(self._fast_n, self._budget)
                        credit, last = 0.0, now
                    else:
                        # a paused or slow loop does not build up a burst of steps
                        credit = min(credit + self._speed * (now - last), 1 + self._speed / 10)
                        last = now
                        n = min(int(credit), self._fast_n)  # high speeds: chunks of ~1/30 s
                        credit -= n
                    if n > 0:
                        t0 = time.perf_counter()
                        ok = self._advance(n)
                        dt = time.perf_counter() - t0
                        if self._budget > 0:
                            self._budget = max(0, self._budget - n)
                        self._adapt_fast_n(n, dt)
                        if not ok or self._run.done:
                            self._playing = False
                            self._budget = 0
                    if self._flush():
                        self._sync_traits()
                    if not (self._playing or self._budget > 0):
                        break
                    fast = self._budget > 0 or self._speed == 0
                    if not fast:
                        # sleep until a step is due (or a frame may go), woken by any control
                        wait = (1.0 - credit) / self._speed
                        if self._streamer.pending:
                            wait = min(wait, self._streamer.clock.wait_time())
                        self._wake.wait(timeout=max(0.001, min(wait, 0.25)))
                if fast and self._want:
                    time.sleep(0.0005)  # let a waiting control take the lock between chunks
        except Exception as exc:  # noqa: BLE001 - a bug here must not kill the kernel quietly
            log.exception("gdwidget: the Playground loop stopped")
            with self._lock:
                self._fail(exc)
        finally:
            with self._lock:
                self._worker_active = False
                self._playing = False
                self._budget = 0
                if not self._closed:
                    self._flush(force=True)
                    self._sync_traits()
                    self.running = False

    def _adapt_fast_n(self, n: int, dt: float) -> None:
        if dt <= 0:
            self._fast_n = min(self._fast_n * 2, 1 << 16)
            return
        ideal = n * _FAST_TARGET_S / dt
        # move half way in log space; never more than 4x up at once
        new = math.sqrt(self._fast_n * max(1.0, min(ideal, 4.0 * self._fast_n)))
        self._fast_n = int(max(1, min(new, 1 << 16)))

    def _advance(self, n: int) -> bool:
        """Advance ``n`` steps and keep the rows (lock held). False when the objective raised."""
        try:
            chunk = self._run.advance(n)
        except ObjectiveError as exc:
            self._push(exc.chunk)
            self._fail(exc.__cause__ or exc, at=self._run.t + 1)
            self._last_exc = exc
            return False
        except Exception as exc:  # noqa: BLE001 - shown in the widget and logged
            self._fail(exc)
            self._last_exc = exc
            return False
        self._push(chunk)
        return True

    def _fail(self, exc: BaseException, at: int | None = None) -> None:
        where = f" at step {at}" if at is not None else ""
        self.error = f"{type(exc).__name__}{where}: {exc}"
        self._halted = True
        self._playing = False
        self._budget = 0
        log.warning("gdwidget: the run stopped%s: %s: %s", where, type(exc).__name__, exc)

    def _clear_error(self) -> None:
        self._halted = False
        if self.error:
            self.error = ""

    # ----------------------------------------------------------------------------------
    # Rows, frames, traits
    # ----------------------------------------------------------------------------------
    def _push(self, chunk: Any, reset: bool = False) -> None:
        xy = getattr(chunk, "xy", None)
        if xy is None and chunk.params is None and len(chunk.steps):
            # the engine did not record every parameter: draw the current point
            cur = to_numpy(self._run.params)[:, :2].astype(np.float64)
            xy = np.broadcast_to(cur, (len(chunk.steps), *cur.shape))
        if reset:
            self._streamer.reset(chunk, xy)
        else:
            self._streamer.push(chunk, xy)

    def _flush(self, force: bool = False) -> bool:
        """Send the packet due now, or arrange for it to go shortly. True when one went."""
        packet = self._streamer.flush(force=force)
        if packet is None:
            if self._streamer.pending:
                self._flush_later(self._streamer.clock.wait_time())
            elif force:
                self._send_extras(force=True)
            return False
        self._send_packet(packet)
        self._send_extras(force=force)
        return True

    def _send_packet(self, packet: Packet) -> None:
        self.send(packet.content, packet.buffers)

    def _flush_later(self, delay: float) -> None:
        if self._timer is not None or self._worker_active or self._closed:
            return  # a loop that is running flushes by itself

        def go() -> None:
            with self._control():
                self._timer = None
                if not self._closed and self._flush(force=True):
                    self._sync_traits()

        self._timer = threading.Timer(delay + 0.001, go)
        self._timer.daemon = True
        self._timer.start()

    def _status_names(self) -> list[str]:
        names = self._run.status
        if self._halted:
            names = ["stopped" if s == "running" else s for s in names]
        return names

    def _sync_traits(self) -> None:
        r = self._run
        rows = self._streamer.buffer
        loss = rows.rows(rows.n - 1).loss[0] if rows.n else np.full(r.n_runs, np.nan)
        stop = r.stop_step
        status = []
        for i, (label, s) in enumerate(zip(r.labels, self._status_names(), strict=True)):
            v = float(loss[i])
            status.append(
                {
                    "label": label,
                    "status": s,
                    "step": int(stop[i]) if stop[i] >= 0 else int(r.t),
                    "loss": v if math.isfinite(v) else None,
                }
            )
        with self.hold_sync():
            self.t = int(r.t)
            self.status = status

    # ----------------------------------------------------------------------------------
    # Meta and landscape
    # ----------------------------------------------------------------------------------
    def _build_meta(self) -> dict[str, Any]:
        r = self._run
        obj = r.objective
        group_index = {label: i for i, label in enumerate(r.optimizers)}
        runs = []
        for label, group in zip(r.labels, r.groups, strict=True):
            d = r.optimizers[group].describe(changed_only=True)
            hyper = {k: _fmt(v) for k, v in d.items() if k not in ("optimizer", "lr")}
            runs.append(
                {
                    "label": label,
                    "group": group,
                    "color": PALETTE[group_index[group] % len(PALETTE)],
                    "hyper": hyper,
                }
            )
        names = getattr(obj, "param_names", None)
        if self._plane is not None:
            axes = list(self._plane.axes)
        elif names and len(names) >= 2:
            axes = [str(names[0]), str(names[1])]
        elif r.n_params == 2:
            axes = ["x", "y"]
        else:
            axes = ["p[0]", "p[1]"]
        model = None
        if self._kind == "model":
            assert self._plane is not None
            model = {
                "task": getattr(obj, "task", "regression"),
                "n_examples": int(obj.n_examples),
                "n_features": int(getattr(obj, "n_features", 0)),
                "n_classes": int(getattr(obj, "n_classes", 0) or 0),
                "plane": self._plane.kind,
                "view": self._model_view,
            }
            if self._plane.kind == "pca":
                model["explained"] = list(self._plane.info.get("explained", []))
        return {
            "objective": obj.name,
            "kind": self._kind,
            "model": model,
            "n_params": r.n_params,
            "bounds": self._default_bounds(),
            "minima": self._plane_points(obj.minima),
            "global_minima": self._plane_points(obj.global_minima),
            "log_scale": bool(obj.log_scale),
            "runs": runs,
            "groups": self._group_meta(),
            "axes": axes,
            "device": r.backend.device,
        }

    def _plane_points(self, pts: Any) -> list[list[float]]:
        """Known minima where the landscape shows them (projected onto a model's plane)."""
        if self._plane is None or self._plane.kind == "params":
            return _points(pts)
        rows = [p for p in pts or [] if len(p) == self._run.n_params]
        if not rows:
            return []
        return _points(self._plane.coords(np.asarray(rows, dtype=np.float64)).tolist())

    def _group_meta(self) -> list[dict[str, Any]]:
        out = []
        for label, opt in self._run.optimizers.items():
            schedule = repr(opt.lr) if callable(opt.lr) else None
            lr = opt.lr_at(self._run.t)
            if label not in self._lr_ranges:  # the slider's range stays put once chosen
                e = math.floor(math.log10(lr)) if lr > 0 and math.isfinite(lr) else -3
                self._lr_ranges[label] = (10.0 ** (e - 2), 10.0 ** (e + 2))
            lo, hi = self._lr_ranges[label]
            out.append(
                {
                    "label": label,
                    "optimizer": opt.describe()["optimizer"],
                    "lr": lr,
                    "lr_min": lo,
                    "lr_max": hi,
                    "schedule": schedule,
                }
            )
        return out

    def _default_bounds(self) -> list[list[float]]:
        obj = self._run.objective
        if self._plane_bounds is not None:
            return self._plane_bounds
        b = obj.bounds
        if b is not None and len(b) >= 2:
            (x0, x1), (y0, y1) = b[0], b[1]
            return [[float(x0), float(x1)], [float(y0), float(y1)]]
        pts = self._run._starts[:, :2] if self._run.n_params >= 2 else np.zeros((1, 2))
        mins = np.asarray(_points(obj.minima) or np.zeros((0, 2))).reshape(-1, 2)
        allp = np.concatenate([pts, mins])
        lo, hi = allp.min(axis=0), allp.max(axis=0)
        centre, half = (lo + hi) / 2, np.maximum((hi - lo) / 2 * 1.5, 1.0)
        return [
            [float(centre[0] - half[0]), float(centre[0] + half[0])],
            [float(centre[1] - half[1]), float(centre[1] + half[1])],
        ]

    def _full_start(self, start: Any) -> Any:
        """A 2-D point from the page becomes a full start (other parameters kept)."""
        if start is None or self._run.n_params <= 2:
            return start
        s = np.asarray(start, dtype=np.float64)
        if self._plane is not None and s.shape == (2,):  # a point of the model's plane
            return np.asarray(self._plane.points(s[:1], s[1:])[0])
        if s.shape == (2,):
            full = self._slice_point.copy()
            full[:2] = s
            return full
        return start

    def _set_view(self, bounds: list[list[float]]) -> None:
        """Evaluate the landscape over ``bounds`` on the run's device, in one call."""
        (x0, x1), (y0, y1) = bounds
        r = self._run
        xp, dtype = r.backend.xp, r.backend.dtype
        nx, ny = self._grid_size
        xs = xp.linspace(x0, x1, nx, dtype=dtype)
        ys = xp.linspace(y0, y1, ny, dtype=dtype)
        gx, gy = xp.meshgrid(xs, ys)  # (ny, nx): row 0 at y0, column 0 at x0
        if self._plane is not None:
            pts = None  # the model's loss over its plane, in chunks on the device
        elif r.n_params == 2:
            pts = xp.stack([xp.reshape(gx, (-1,)), xp.reshape(gy, (-1,))], axis=1)
        else:
            pts = xp.tile(xp.asarray(self._slice_point, dtype=dtype), (nx * ny, 1))
            pts[:, 0] = xp.reshape(gx, (-1,))
            if r.n_params > 1:
                pts[:, 1] = xp.reshape(gy, (-1,))
        try:
            if self._plane is not None:
                z = loss_grid(r.objective, self._plane, bounds, nx, ny, r.backend)
            else:
                with np.errstate(all="ignore"):
                    z = to_numpy(r.objective.value(pts))
                z = np.asarray(z, dtype=np.float64).reshape(ny, nx)
        except Exception as exc:  # noqa: BLE001 - a landscape failure must not stop the widget
            log.warning("gdwidget: the landscape could not be computed: %s", exc)
            self.error = f"landscape: {type(exc).__name__}: {exc}"
            z = np.full((ny, nx), np.nan)
        with np.errstate(over="ignore", invalid="ignore"):
            z32 = z.astype("<f4")
        z32[~np.isfinite(z32)] = np.nan
        finite = z32[np.isfinite(z32)]
        zmin = float(finite.min()) if finite.size else 0.0
        zmax = float(finite.max()) if finite.size else 1.0
        with self.hold_sync():
            self.view = [[float(x0), float(x1)], [float(y0), float(y1)]]
            self.grid = z32.tobytes()
            self.grid_meta = {
                "nx": nx,
                "ny": ny,
                "x0": float(x0),
                "x1": float(x1),
                "y0": float(y0),
                "y1": float(y1),
                "zmin": zmin,
                "zmax": zmax,
                "log": bool(r.objective.log_scale),
            }

    # ----------------------------------------------------------------------------------
    # Models on data: the plane, the data, gradient arrows, model views
    # ----------------------------------------------------------------------------------
    @staticmethod
    def _choose_plane(obj: Any, plane: Any, is_model: bool) -> str | None:
        if plane not in PLANES:
            raise ValueError(f"plane must be one of {PLANES}, got {plane!r}")
        if not is_model:
            if plane != "auto":
                raise ValueError(
                    f"plane={plane!r} is for models on data; {obj.name} is a function "
                    "(its landscape is over its first two parameters)"
                )
            return None
        if plane == "auto":
            return "params" if obj.n_params == 2 else "pca"
        if plane == "params" and obj.n_params != 2:
            raise ValueError(
                f"plane='params' needs a model with 2 parameters; {obj.name} has "
                f"{obj.n_params}: use plane='pca' or plane='random'"
            )
        return plane

    @staticmethod
    def _choose_model_view(obj: Any) -> str | None:
        if not (hasattr(obj, "predict") and hasattr(obj, "_X")):
            return None
        task, d = getattr(obj, "task", None), getattr(obj, "n_features", 0)
        if task == "regression" and d == 1:
            return "line"
        if task == "classification" and d == 2:
            return "boundary"
        return None

    def _pilot(self, steps: int) -> Any:
        """A headless run of the same race from the same start: ``(n_snapshots, R, P)``.

        On the device; about 50 snapshots, whatever ``steps`` is.
        """
        r = self._run
        pilot = Run(
            r.objective,
            copy.deepcopy(r.optimizers),
            r._starts,
            device=r.backend,
            batch_size=r.batch_size,
            seed=r.seed,
            record_params=False,
            eval_every=0,
        )
        every = max(1, steps // 50)
        xp = r.xp
        snaps = [pilot.params.copy()]
        done = 0
        while done < steps and not pilot.done:
            k = min(every, steps - done)
            pilot.advance(k)
            done += k
            snaps.append(pilot.params.copy())
        return xp.stack(snaps)

    def _make_plane(self, kind: str, pilot_steps: int) -> tuple[Plane, list[list[float]] | None]:
        """The plane of a model and, when it is not the objective's own box, a view box."""
        r = self._run
        obj = r.objective
        origin = np.asarray(r._starts[0], dtype=np.float64)
        if kind == "params":
            plane = params_plane(obj)
            if obj.bounds is not None:
                return plane, None
            try:  # frame the box on where a pilot run goes
                traj = to_numpy(self._pilot(pilot_steps))
            except Exception as exc:  # noqa: BLE001 - framing is a nicety
                log.warning("gdwidget: the pilot run failed (%s); default view", exc)
                return plane, None
            return plane, _frame(np.asarray(traj, dtype=np.float64))
        if kind == "random":
            plane = random_plane(obj, origin, seed=r.seed)
            return plane, [[-1.0, 1.0], [-1.0, 1.0]]
        try:
            traj = self._pilot(pilot_steps)
        except Exception as exc:
            raise ValueError(
                f"plane='pca': the pilot run failed ({type(exc).__name__}: {exc}); "
                "try plane='random'"
            ) from exc
        try:
            plane = pca_plane(traj, origin, seed=r.seed)
        except ValueError as exc:
            log.warning("gdwidget: %s; using random directions (plane='random')", exc)
            plane = random_plane(obj, origin, seed=r.seed)
            return plane, [[-1.0, 1.0], [-1.0, 1.0]]
        coords = np.asarray(to_numpy(plane.coords(traj)), dtype=np.float64)
        return plane, _frame(coords)

    def _data_trait(self) -> tuple[bytes, dict[str, Any]]:
        """The training examples for the model view (protocol: ``data``, ``data_meta``)."""
        view = self._model_view
        if view is None:
            return b"", {}
        obj = self._run.objective
        X = np.asarray(to_numpy(obj._X), dtype=np.float64)[:_MAX_DATA_ROWS]
        t = np.asarray(to_numpy(obj._y), dtype=np.float64)[:_MAX_DATA_ROWS]
        n = X.shape[0]
        rows = np.zeros((n, 3))
        rows[:, 0] = X[:, 0]
        if view == "boundary":
            rows[:, 1] = X[:, 1]
        rows[:, 2] = t
        pad = 0.05 if view == "line" else 0.1
        k = int(getattr(obj, "n_classes", 0) or 0)
        meta = {
            "n": n,
            "view": view,
            "x0": _padded(rows[:, 0], pad),
            "x1": _padded(rows[:, 1], pad) if view == "boundary" else [0.0, 0.0],
            "t": _padded(t, 0.05) if view == "line" else [0.0, float(max(k - 1, 1))],
            "n_classes": k,
        }
        with np.errstate(over="ignore", invalid="ignore"):
            return rows.astype("<f4").tobytes(), meta

    def _send_extras(self, force: bool = False) -> None:
        """Gradient arrows and the model view, each at its own pace (lock held)."""
        if self._kind != "model" or self._closed:
            return
        self._send_arrows(force)
        self._send_model_view(force)

    def _send_arrows(self, force: bool = False) -> None:
        now = time.monotonic()
        if self._run.batch_size is None:
            return
        if not force and now - self._last_arrows < _ARROWS_PERIOD:
            return
        try:
            content, buffers = self.arrows_message()
        except Exception as exc:  # noqa: BLE001 - arrows are a view, not the run
            log.warning("gdwidget: the gradient arrows could not be computed: %s", exc)
            return
        self._last_arrows = now
        self.send(content, buffers)

    def _send_model_view(self, force: bool = False) -> None:
        now = time.monotonic()
        if self._model_view is None:
            return
        if not force and now - self._last_model_view < _MODEL_VIEW_PERIOD:
            return
        try:
            content, buffers = self.model_view_message()
        except Exception as exc:  # noqa: BLE001 - a view, not the run
            log.warning("gdwidget: the model view could not be computed: %s", exc)
            return
        self._last_model_view = now
        self.send(content, buffers)

    def gradients(self) -> tuple[np.ndarray, np.ndarray]:
        """Each run's current mini-batch gradient and full-batch gradient, in plane coordinates.

        The mini-batch gradient is the one the next step will use (on the batch
        the engine drew); both are mapped into the landscape's coordinates by the
        linear part of the plane's coordinate map (identity for ``plane="params"``).

        Returns
        -------
        batch, full : ndarray, shape (n_runs, 2)
        """
        with self._control():
            r = self._run
            if self._plane is None:
                raise ValueError("gradients() is for models on data")
            _, full = r.objective.value_and_grad(r.params, None)
            with np.errstate(all="ignore"):
                gb = np.asarray(to_numpy(self._plane.vectors(r.grad)), dtype=np.float64)
                gf = np.asarray(to_numpy(self._plane.vectors(full)), dtype=np.float64)
            return gb, gf

    def arrows_message(self) -> tuple[dict[str, Any], list[bytes]]:
        """The protocol's ``arrows`` message for the current point of every run."""
        gb, gf = self.gradients()
        (x0, x1), (y0, y1) = self.view
        norms = np.hypot(gf[:, 0], gf[:, 1])
        norms = norms[np.isfinite(norms) & (norms > 0)]
        # the longest full-batch arrow spans 15% of the view's shorter side
        scale = 0.15 * min(x1 - x0, y1 - y0) / float(norms.max()) if norms.size else 0.0
        with np.errstate(over="ignore", invalid="ignore"):
            buf = np.concatenate([gb, gf], axis=1).astype("<f4")
        content = {"type": "arrows", "n_runs": self._run.n_runs, "scale": scale}
        return content, [buf.tobytes()]

    def model_view_message(self) -> tuple[dict[str, Any], list[bytes]]:
        """The protocol's ``model_view`` message for the current parameters."""
        r = self._run
        obj = r.objective
        meta = self.data_meta
        if self._model_view == "line":
            lo, hi = meta["x0"]
            xs = np.linspace(lo, hi, _LINE_POINTS)
            with np.errstate(all="ignore"):
                pred = np.asarray(to_numpy(obj.predict(r.params, xs[:, None])), dtype=np.float64)
            content = {
                "type": "model_view",
                "view": "line",
                "n_runs": r.n_runs,
                "nx": _LINE_POINTS,
                "x": [float(lo), float(hi)],
            }
            return content, [pred.reshape(r.n_runs, _LINE_POINTS).astype("<f4").tobytes()]
        if self._model_view != "boundary":
            raise ValueError("this model has no model view")
        g = _BOUNDARY_GRID
        (a0, a1), (b0, b1) = meta["x0"], meta["x1"]
        gx, gy = np.meshgrid(np.linspace(a0, a1, g), np.linspace(b0, b1, g))  # row 0 at b0
        pts = np.stack([gx.ravel(), gy.ravel()], axis=1)
        sel = min(self._selected, r.n_runs - 1)
        with np.errstate(all="ignore"):
            p = np.asarray(to_numpy(obj.predict(r.params[sel], pts)), dtype=np.float64)
        k = int(meta["n_classes"])
        if p.ndim == 2:  # class probabilities
            p = p[:, 1] if p.shape[1] == 2 else np.argmax(p, axis=1).astype(np.float64)
        content = {
            "type": "model_view",
            "view": "boundary",
            "run": sel,
            "nx": g,
            "ny": g,
            "x0": [float(a0), float(a1)],
            "x1": [float(b0), float(b1)],
            "n_classes": k,
        }
        return content, [p.reshape(g, g).astype("<f4").tobytes()]


def _padded(v: np.ndarray, pad: float) -> list[float]:
    """``[lo, hi]`` of the finite values, widened by ``pad`` of the span on each side."""
    v = v[np.isfinite(v)]
    if v.size == 0:
        return [-1.0, 1.0]
    lo, hi = float(v.min()), float(v.max())
    span = hi - lo if hi > lo else max(1.0, abs(lo))
    return [lo - pad * span, hi + pad * span]


def _frame(coords: np.ndarray) -> list[list[float]]:
    """A view box around plane coordinates ``(..., 2)`` and the origin, with a margin."""
    c = coords.reshape(-1, 2)
    c = np.vstack([c[np.all(np.isfinite(c), axis=1)], np.zeros((1, 2))])
    lo, hi = c.min(axis=0), c.max(axis=0)
    centre, half = (lo + hi) / 2, (hi - lo) / 2 * 1.3
    big = float(half.max())
    if big <= 0:
        big = 1.0
    # neither axis thinner than a quarter of the other, so the landscape stays readable
    half = np.maximum(half, 0.25 * big)
    return [
        [float(centre[0] - half[0]), float(centre[0] + half[0])],
        [float(centre[1] - half[1]), float(centre[1] + half[1])],
    ]


def _points(pts: Any) -> list[list[float]]:
    out = []
    for p in pts or []:
        p = [float(v) for v in p]
        if len(p) >= 2 and all(math.isfinite(v) for v in p[:2]):
            out.append(p[:2])
    return out


def _short(content: Any, limit: int = 200) -> str:
    s = repr(content)
    return s if len(s) <= limit else s[:limit] + "..."
