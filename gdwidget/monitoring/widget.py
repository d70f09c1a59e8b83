"""The ``Monitor`` widget: a training loop that gdwidget does not own, live.

The widget holds the traits and wires the parts: ``log()`` and the optimizer's hook
only queue rows (:mod:`.intake`); the flusher thread (:mod:`.flusher`) runs the pump
(:mod:`.pump`), which ingests them into the bounded history (:mod:`.recorder`) and sends
frames, the parameter path and the loss surface (:mod:`.outbox`) at most ``max_fps`` times
a second, with the status line (:mod:`.status`), and answers the page. The path is
sampled, and the surface evaluated, in the training thread (:mod:`.tracker`), within a
small share of its time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import anywidget
import traitlets as tl

from .. import bundle
from .._checks import check_choice, check_int, check_real
from ..live.sinks import WidgetSink
from . import torchhooks
from .flusher import Flusher
from .history import MonitorHistory
from .intake import Intake
from .pump import Pump
from .recorder import Recorder
from .tracker import Tracker

log = logging.getLogger("gdwidget")

__all__ = ["Monitor"]

MISSING_ESM = bundle.missing_esm("monitor", "m.log() and m.history work without it.")


class Monitor(anywidget.AnyWidget):
    """Watch a training loop live (see :func:`gdwidget.monitoring`)."""

    _esm = bundle.read(bundle.STATIC / "monitor.js", MISSING_ESM)
    _css = bundle.read(bundle.STATIC / "monitor.css", "")

    meta = tl.Dict().tag(sync=True)
    status = tl.Unicode("").tag(sync=True)

    def __init__(
        self,
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
        **kwargs: Any,
    ) -> None:
        torchhooks.check_torch_objects(model, optimizer)
        if loss_fn is not None and not callable(loss_fn):
            raise TypeError(f"loss_fn must be callable (or None), got {type(loss_fn).__name__}")
        max_history = check_int("max_history", max_history, low=16, high=10**7)
        smooth = check_real("smooth", smooth, low=0.0, high=1.0, high_open=True)
        band = check_choice("band", band, ("minmax", "std"))
        if not isinstance(log_y, bool):
            raise TypeError(f"log_y must be True or False, got {log_y!r}")
        if projection is not None:
            projection = check_choice("projection", projection, ("pca", "random"))
        if loss_fn is not None and projection is None:
            raise ValueError("loss_fn draws the loss over the path's plane: it needs a projection")
        max_fps = check_real("max_fps", max_fps, low=0.0, low_open=True)
        if grad_every is not None:
            grad_every = check_int("grad_every", grad_every, low=1)

        probe = None
        if model is not None or optimizer is not None:
            probe = torchhooks.TorchProbe(model, optimizer, grad_every)
        self._probe = probe
        self._intake = Intake(probe)
        self._recorder = Recorder(
            max_history,
            band,
            groups=probe.groups if probe else [],
            layers=probe.layers if probe else [],
            grads=probe is not None,
        )
        self._tracker: Tracker | None = None
        if projection is not None:
            self._tracker = Tracker(projection, probe, loss_fn, self._first_params)
        self._projector = self._tracker.projector if self._tracker else None
        self._closed = False
        self._pump = Pump(self, self._intake, self._recorder, self._projector, WidgetSink(self))
        self._outbox, self._status = self._pump.outbox, self._pump.status
        self._listeners = self._pump.listeners
        self._flusher = Flusher(self._pump.tick, 1.0 / max_fps)
        super().__init__(
            meta={
                "names": [],
                "seeds": {},
                "band": band,
                "smooth": smooth,
                "log_y": log_y,
                "groups": list(self._recorder.groups),
                "layers": list(self._recorder.layers),
                "max_history": max_history,
                "projection": projection if (probe is not None and projection) else None,
                "device_label": probe.label if probe else "CPU · NumPy",
            },
            **kwargs,
        )
        self.on_msg(self._on_msg)
        if probe is not None and optimizer is not None:
            probe.install(self._after_step)
        elif probe is not None:
            probe.install(lambda: None)  # clipping only; log() reads the gradients

    # ------------------------------------------------------------------------------------------
    # Logging
    # ------------------------------------------------------------------------------------------
    def log(self, step: int | None = None, *, params: Any = None, **scalars: Any) -> None:
        """Record named scalars (and optionally the parameters) at ``step``.

        Parameters
        ----------
        step : int, optional
            Default: the hooked optimizer's step count (its first step is 1), else the
            last step + 1 (0 at first). Steps never go back; logging the same step
            again adds to its row.
        params : array, optional
            Every parameter as one array (NumPy, CuPy, JAX, torch), for a path without
            a torch model; brought to the host as float64 when sampled.
        **scalars : float, 0-d array or tensor, or 1-D sequence
            ``loss=0.3``; a sequence holds one value per seed (drawn as mean and band).
        """
        if self._closed:
            raise RuntimeError("this monitor was closed")
        s = self._intake.log(step, scalars)
        self._flusher.poke()
        tracker = self._tracker
        if params is not None:
            if tracker is not None:
                tracker.add_params(s, params)
        elif self._probe is not None and self._probe.optimizer is None:
            self._intake.probe_at(s)
            if tracker is not None:
                tracker.sample_model(s)

    def _after_step(self) -> None:
        """The optimizer's step post-hook: lrs, gradient norms, clipping; path; surface."""
        if self._closed:
            return
        s = self._intake.hook()
        self._flusher.poke()
        if self._tracker is not None:
            self._tracker.sample_model(s)

    def _first_params(self, params: Any) -> None:
        """The first ``params`` logged without a torch model: the page learns their kind."""
        self.meta = {
            **self.meta,
            "projection": self._projector.kind,
            "device_label": _label_of(params),
        }

    # ------------------------------------------------------------------------------------------
    # Reading
    # ------------------------------------------------------------------------------------------
    @property
    def history(self) -> MonitorHistory:
        """A copy of the bounded history (everything logged so far, thinned past max_history)."""
        with self._pump.lock:
            self._pump.ingest()
            snap = self._recorder.snapshot()
        if self._projector is not None:
            snap["path_steps"], snap["path"] = self._projector.snapshot()
        return MonitorHistory(**snap)

    def subscribe(self, fn: Callable[[], None]) -> Callable[[], None]:
        """Call ``fn()`` after each frame (read :attr:`history` there); returns the unsubscribe.

        ``fn`` runs in the flusher thread; one that raises is logged.
        """
        if not callable(fn):
            raise TypeError(f"subscribe needs a callable, got {type(fn).__name__}")
        self._listeners.append(fn)

        def unsubscribe() -> None:
            if fn in self._listeners:
                self._listeners.remove(fn)

        return unsubscribe

    def compute_surface(self) -> dict[str, Any]:
        """Evaluate the whole loss surface now, in this thread, around the current
        parameters (the path's newest point) over a plane fitted to the path now, and send
        it. The loop computes surfaces by itself while it trains; call this where the model
        is not being trained (after the loop, or from the training thread). Returns
        ``{"xs", "ys", "values" (ny, nx), "bounds", "anchor" (a0, b0)}``."""
        if self._tracker is None or self._tracker.evaluator is None:
            raise ValueError("compute_surface needs loss_fn= and a projection")
        with self._pump.lock:
            self._pump.ingest()
            self._tracker.survey_now(self._intake.last_step)
            self._outbox.flush_path()
        surf = self._projector.surface
        return {
            "xs": surf.xs,
            "ys": surf.ys,
            "values": surf.values,
            "bounds": surf.bounds,
            "anchor": surf.anchor_xy,
        }

    def save_html(self, path: Any, **kw: Any) -> Any:
        """Write a self-contained HTML page of what this monitor recorded
        (:func:`gdwidget.export.save_html`)."""
        from ..export import save_html  # noqa: PLC0415

        return save_html(self, path, **kw)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """The widget's view, plus a static picture (``image/svg+xml``) of what it recorded,
        which a notebook converted to HTML without widget state shows (docs/export.md)."""
        from ..export.static import with_picture  # noqa: PLC0415

        return with_picture(self, super()._repr_mimebundle_(**kwargs))

    # ------------------------------------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------------------------------------
    def flush(self) -> None:
        """Send every row logged so far now (the flusher does this by itself)."""
        self._pump.tick(True)

    def _on_msg(self, _widget: Any, content: Any, buffers: Any = None) -> None:
        self._pump.on_msg(content)

    # ------------------------------------------------------------------------------------------
    # The end
    # ------------------------------------------------------------------------------------------
    def detach(self) -> None:
        """Remove the torch hooks (the monitor still records what ``log()`` gets)."""
        if self._probe is not None:
            self._probe.remove()

    def close(self) -> None:
        """Send the last rows, stop the flusher thread, remove the torch hooks, close."""
        if getattr(self, "_closed", True):
            super().close()
            return
        self.detach()
        self._flusher.close()
        try:
            self._pump.tick(True)
        finally:
            self._closed = self._pump.closed = True
            super().close()


def _label_of(params: Any) -> str:
    mod = type(params).__module__.split(".")[0]
    if mod == "cupy":
        return "GPU · CuPy"
    if mod in ("jax", "jaxlib"):
        return "JAX"
    if mod == "torch":
        return f"{params.device.type.upper()} · torch"
    return "CPU · NumPy"
