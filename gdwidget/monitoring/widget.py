"""The ``Monitor`` widget: a training loop that gdwidget does not own, live.

``log()`` and the optimizer's hook only queue rows under a lock; the flusher thread
(:mod:`.flusher`) ingests them into the bounded history (:mod:`.recorder`), and sends
frames, the parameter path and the loss surface (:mod:`.outbox`) at most ``max_fps``
times a second. The path is sampled, and the surface evaluated, in the training
thread (:mod:`.path`, :mod:`.surface`), within a small share of its time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import anywidget
import numpy as np
import traitlets as tl

from .. import bundle
from .._checks import check_choice, check_int, check_real
from ..live.sinks import WidgetSink
from . import torchhooks
from .flusher import Flusher
from .history import MonitorHistory
from .inputs import check_name, host_vector, scalar_value
from .outbox import Outbox
from .path import Projector
from .projection import frame_bounds
from .recorder import Block, Recorder
from .surface import NumpyEvaluator, SurfaceJob, TorchEvaluator

log = logging.getLogger("gdwidget")

__all__ = ["Monitor"]

MISSING_ESM = """
function render({ el }) {
  const box = document.createElement("div");
  box.setAttribute("data-testid", "gd-missing-bundle");
  box.style.cssText = "font: 13px sans-serif; padding: 8px 12px; border: 1px solid #d9a400;" +
    " background: #fff8e1; color: #5d4200; border-radius: 4px;";
  box.textContent = "gdwidget: the monitor's JavaScript bundle (gdwidget/static/monitor.js) is " +
    "missing, so nothing can be drawn. In a source checkout run `npm install && npm run build`, " +
    "then restart the kernel. m.log() and m.history work without it.";
  el.appendChild(box);
}
export default { render };
"""
STATUS_PERIOD = 0.25
PATH_GAP = 0.05  # seconds between two samples of a torch model's parameters, at least


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
        self._loss_fn = loss_fn
        self._recorder = Recorder(
            max_history,
            band,
            groups=probe.groups if probe else [],
            layers=probe.layers if probe else [],
            grads=probe is not None,
        )
        self._projector: Projector | None = None
        if projection is not None:
            self._projector = Projector(
                projection,
                surveying=loss_fn is not None,
                shapes=probe.layout if probe else None,
                min_gap=PATH_GAP if probe else 0.0,
            )
            if probe is not None:
                self._projector.setup(probe.n_params)
        self._evaluator: Any = None
        if loss_fn is not None and probe is not None:
            self._evaluator = TorchEvaluator(probe, loss_fn, lambda: self._projector.index)
        elif loss_fn is not None:
            self._evaluator = NumpyEvaluator(
                loss_fn, self._latest_params, lambda: self._projector.index
            )
        self._latest: Any = None
        self._lock = threading.Lock()  # the queue of rows
        self._flush_lock = threading.RLock()  # the recorder and the page
        self._pending: list[tuple[int, Any, Any]] = []
        self._last_step: int | None = None
        self._seeds: dict[str, int] = {}
        self._listeners: list[Callable[[], None]] = []
        self._closed = False
        self._status_at = 0.0
        self._rate = (time.monotonic(), 0)
        self._label = probe.label if probe else "CPU · NumPy"
        self._projection = projection if (probe is not None and projection) else None
        self._flusher = Flusher(self._tick, 1.0 / max_fps)
        self._outbox = Outbox(self._recorder, self._projector, self._deliver)
        self._sink = WidgetSink(self)
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
                "projection": self._projection,
                "device_label": self._label,
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
        values = {}
        known = self._seeds
        for name, v in scalars.items():
            if name not in known:
                check_name(name)
            values[name] = scalar_value(name, v)
        probe = self._probe
        with self._lock:
            last = self._last_step
            if step is None:
                if probe is not None and probe.optimizer is not None:
                    s = probe.step_count if last is None else max(probe.step_count, last)
                else:
                    s = 0 if last is None else last + 1
            else:
                s = check_int("step", step, low=0)
                if last is not None and s < last:
                    raise ValueError(f"step must not go back: got {s} after {last}")
            for name, v in values.items():
                k = 1 if type(v) is float else len(v)
                seen = known.get(name)
                if seen is None:
                    known[name] = k
                elif seen != k:
                    raise ValueError(f"{name} was logged with {seen} value(s), now with {k}")
            self._pending.append((s, values, None))
            self._last_step = s
        self._flusher.poke()
        if params is not None:
            self._add_params(s, params)
        elif probe is not None and probe.optimizer is None:
            self._queue_probe(s)
            self._sample_model(s)

    def _after_step(self) -> None:
        """The optimizer's step post-hook: lrs, gradient norms, clipping; path; surface."""
        if self._closed:
            return
        row = self._probe.read()  # the step count is the optimizer's now
        with self._lock:
            last = self._last_step
            s = row[0] if last is None or row[0] > last else last
            self._pending.append((s, None, row[1:]))
            self._last_step = s
        self._flusher.poke()
        self._sample_model(s)

    def _queue_probe(self, s: int) -> None:
        row = self._probe.read()
        with self._lock:
            self._pending.append((s, None, row[1:]))
            self._last_step = s
        self._flusher.poke()

    def _sample_model(self, s: int) -> None:
        pr = self._projector
        if pr is None:
            return
        if pr.wants():
            probe = self._probe
            if pr.kind == "random" and pr.shown is None:  # the plane needs every parameter once
                full = probe.flat()
                pr.add(s, full if pr.index is None else full[pr.index], full)
            else:
                pr.add(s, probe.flat(pr.index))
        if self._evaluator is not None:
            pr.work(self._evaluator)

    def _add_params(self, s: int, params: Any) -> None:
        pr = self._projector
        if pr is None:
            return
        self._latest = params
        if pr.wants():
            full = host_vector(params)
            first = pr.n_params is None
            pr.setup(full.shape[0])
            if first and self._probe is None:
                self.meta = {**self.meta, "projection": pr.kind, "device_label": _label_of(params)}
            if np.isfinite(full).all():
                pr.add(s, full if pr.index is None else full[pr.index], full)
        if self._evaluator is not None:
            pr.work(self._evaluator)

    def _latest_params(self) -> np.ndarray | None:
        return None if self._latest is None else host_vector(self._latest).copy()

    # ------------------------------------------------------------------------------------------
    # Reading
    # ------------------------------------------------------------------------------------------
    @property
    def history(self) -> MonitorHistory:
        """A copy of the bounded history (everything logged so far, thinned past max_history)."""
        with self._flush_lock:
            self._ingest()
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
        """Evaluate the whole loss surface over the path's plane now, in this thread, and
        send it. Call it where the model is not being trained (after the loop, or from the
        training thread). Returns ``{"xs", "ys", "values" (ny, nx), "bounds"}``."""
        pr = self._projector
        if self._evaluator is None or pr is None:
            raise ValueError("compute_surface needs loss_fn= and a projection")
        with self._flush_lock:
            pr.update()
            with pr.lock:
                plane, xy = pr.shown, pr.xy[: pr.k].copy()
            if plane is None:
                raise ValueError("no parameter path yet: log params (or train the model) first")
            job = SurfaceJob(plane, frame_bounds(xy), *pr.grid)
            job.work(self._evaluator, everything=True)
            pr.set_surface(job)
            self._outbox.flush_path()
        return {"xs": job.xs, "ys": job.ys, "values": job.values, "bounds": job.bounds}

    # ------------------------------------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------------------------------------
    def flush(self) -> None:
        """Send every row logged so far now (the flusher does this by itself)."""
        self._tick(True)

    def _ingest(self) -> int:
        """Move the queued rows into the bounded history (one bulk write)."""
        with self._lock:
            pending, self._pending = self._pending, []
        if not pending:
            return 0
        block = Block()
        norms = []
        for s, values, row in pending:
            block.row(s)
            if values:
                for name, v in values.items():
                    block.scalar(name, v)
            if row is not None:
                lrs, n, clips = row
                if lrs:
                    block.lr(lrs)
                if n is not None:
                    block.norm_pos.append(len(block.steps) - 1)
                    norms.append(n)
                if clips and torchhooks.resolve_clipped(clips):
                    block.clip()
        if norms:
            block.norm_vals = self._probe.layer_norms(norms)
        self._recorder.add_block(block)
        return len(pending)

    def _tick(self, final: bool) -> None:
        with self._flush_lock:
            if self._closed and not final:
                return
            new = self._ingest()
            rec = self._recorder
            meta = self.meta
            if rec.names != meta.get("names") or rec.seeds != meta.get("seeds"):
                self.meta = {**meta, "names": list(rec.names), "seeds": dict(rec.seeds)}
            if self._projector is not None:
                self._projector.update()
            self._outbox.flush(final)
            self._outbox.flush_path()
            self._update_status(final)
        if new:
            for fn in list(self._listeners):
                try:
                    fn()
                except Exception:  # noqa: BLE001 - a listener must not stop the stream
                    log.exception("gdwidget: a monitor subscriber failed")

    def _update_status(self, final: bool) -> None:
        now = time.monotonic()
        if not self._outbox.may_send() or (now - self._status_at < STATUS_PERIOD and not final):
            return
        last = self._recorder.last_step
        if last is None:
            return
        t0, s0 = self._rate
        rate = (last - s0) / (now - t0) if now > t0 else 0.0
        self._status_at, self._rate = now, (now, last)
        line = f"step {last:,} · {rate:,.0f} steps/s" if rate > 0 else f"step {last:,}"
        err = self._projector.error if self._projector is not None else ""
        self.status = f"{line} · {err}" if err else line

    def _deliver(self, content: dict[str, Any], buffers: list[bytes]) -> None:
        self._sink.send(content, buffers)

    def _on_msg(self, _widget: Any, content: Any, buffers: Any = None) -> None:
        try:
            kind = content.get("type") if isinstance(content, dict) else None
            with self._flush_lock:
                if kind == "request_history":
                    self._sink.probe()  # the buffers fallback (docs/protocol.md)
                    self._resend()
                elif kind == "probe_ack" and isinstance(content.get("ok"), bool):
                    if self._sink.acknowledge(content["ok"]):
                        self._resend()  # now in base64: the page's rows again
                elif kind in ("view_open", "view_close") and isinstance(content.get("id"), str):
                    if kind == "view_open":
                        self._outbox.view_open(content["id"])
                    else:
                        self._outbox.view_close(content["id"])
                else:
                    log.warning("gdwidget: the monitor ignored a message: %.200r", content)
        except Exception:  # noqa: BLE001 - a message from the page must never break the kernel
            log.exception("gdwidget: the monitor failed to handle a message from the page")

    def _resend(self) -> None:
        """Everything the page holds again: the history, the path and the surface."""
        self._outbox.request_history()
        self._ingest()
        self._outbox.flush(True)
        self._outbox.flush_path(force=True)

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
            self._tick(True)
        finally:
            self._closed = True
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
