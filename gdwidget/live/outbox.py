"""What goes to the page: frames and the state beside them, the landscape, a model's views.

The session decides when (and whether: a Playground whose views are gone sends
nothing); the outbox builds and hands over, through the sink, what is due.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from . import landscape, modelview
from . import meta as meta_mod

log = logging.getLogger("gdwidget")

ARROWS_PERIOD = 0.1  # gradient arrows at most 10 a second
MODEL_VIEW_PERIOD = 0.2  # model views at most 5 a second
STATE_PERIOD = 0.1  # the step and status traits at most 10 a second while frames stream


class Outbox:
    """Frames, state, landscape and model views of one source, for one sink."""

    def __init__(
        self,
        source: Any,
        streamer: Any,
        sink: Any,
        *,
        bounds: list[list[float]],
        grid_size: tuple[int, int],
        plot_px: tuple[int, int],
        model_view: str | None,
        data_meta: dict[str, Any] | None,
        may_send: Callable[[], bool],
    ) -> None:
        self.source = source
        self.streamer = streamer
        self.sink = sink
        self.grid_size = grid_size
        self.model_view = model_view
        self.data_meta = data_meta or {}
        self.view = [list(b) for b in bounds]
        self.px = tuple(plot_px)  # the plot size paths are thinned for (use_pixels)
        self._told = False  # whether a view has told its plot size yet
        self.selected = 0  # the run whose decision regions the "boundary" view shows
        self.marks: list[dict[str, Any]] = []
        self.may_send = may_send
        self._last_arrows = -1e9
        self._last_model_view = -1e9
        #: the page's X-ray toggle: while on, ``xray`` messages go with the arrows
        self.xray = False
        self._last_xray = -1e9
        self._last_sync = -1e9
        #: the run as of the step the page shows while inside (a context manager; the session's
        #: timeline puts it at a seeked step): every view of the run's state is built in it
        self.shown: Callable[[], contextlib.AbstractContextManager[Any]] = contextlib.nullcontext
        #: called with no argument after each frame is built (kernel-side views, such as plots)
        self.listeners: list[Callable[[], None]] = []

    def flush(self, force: bool = False, halted: bool = False) -> None:
        """Send the frame due now (any, with ``force``), then the step and status."""
        packet = self.streamer.flush(force=force)
        if packet is None:
            if force:
                self.sync(halted)
            return
        if self.may_send():
            self.sink.send(packet.content, packet.buffers)
            self.send_extras(force=force)
        if force or halted or time.monotonic() - self._last_sync >= STATE_PERIOD:
            self.sync(halted)  # the last one of a run is forced: the traits end up to date
        self.notify()

    def notify(self) -> None:
        """Tell the kernel-side listeners that the history moved on; a failing one is logged."""
        for fn in list(self.listeners):
            try:
                fn()
            except Exception as exc:  # a listener must not stop the stream
                log.warning("gdwidget: a frame listener failed: %s: %s", type(exc).__name__, exc)

    def sync(self, halted: bool) -> None:
        """The ``t`` and ``status`` traits, from the newest row held."""
        self._last_sync = time.monotonic()
        run = self.source.run
        buf = self.streamer.buffer
        loss = buf.rows(buf.n - 1).loss[0] if buf.n else np.full(run.n_runs, np.nan)
        notes = getattr(run, "notes", None) or [None] * run.n_runs
        px = buf.run_px()  # the legend says where a run is drawn coarser
        status = meta_mod.status(run, np.asarray(loss), halted, notes, px)
        self.sink.update(t=int(run.t), status=status)

    def send_extras(self, force: bool = False) -> None:
        """The X-ray, and a model's gradient arrows and view, each at its own pace, of the step
        the page shows (``shown``: a seeked one too)."""
        if not (self.xray or self.source.is_model) or not self.may_send():
            return
        try:
            with self.shown():
                self._send_xray(force)
                self._send_model_extras(force)
        except Exception as exc:  # noqa: BLE001 - the views stay as they are, the run goes on
            log.warning("gdwidget: no views at the step shown (%s: %s)", type(exc).__name__, exc)

    def _send_model_extras(self, force: bool) -> None:
        if not self.source.is_model:
            return
        now = time.monotonic()
        if self.source.run.batch_size is not None and (
            force or now - self._last_arrows >= ARROWS_PERIOD
        ):
            self._last_arrows = now
            self._try_send("gradient arrows", modelview.arrows_message, self.source, self.view)
        if self.model_view is not None and (
            force or now - self._last_model_view >= MODEL_VIEW_PERIOD
        ):
            self._last_model_view = now
            self._try_send(
                "model view",
                modelview.model_view_message,
                self.source,
                self.model_view,
                self.data_meta,
                self.selected,
            )

    def _send_xray(self, force: bool) -> None:
        """The X-ray of every run while the page's toggle is on, at most 10 a second."""
        from .xray import xray_message  # noqa: PLC0415

        now = time.monotonic()
        if self.xray and self.may_send() and (force or now - self._last_xray >= ARROWS_PERIOD):
            self._last_xray = now
            self._try_send("x-ray", xray_message, self.source)

    def use_pixels(self, px: tuple[int, int]) -> None:
        """A view's plot is ``px`` pixels: paths are thinned for the largest plot the views
        have had (a plot made smaller for a while, by a narrower window or a second smaller
        view, must not leave the rows thinned coarser than a pixel of the larger one)."""
        px = (int(px[0]), int(px[1]))
        self.px = (max(self.px[0], px[0]), max(self.px[1], px[1])) if self._told else px
        self._told = True

    def set_view(self, bounds: list[list[float]], px: tuple[int, int] | None = None) -> None:
        """Recompute the landscape over ``bounds`` on the device and tell the page."""
        if px is not None:
            self.use_pixels(px)
        grid, grid_meta, error = landscape.grid(self.source, bounds, self.grid_size)
        self.view = bounds
        self.streamer.set_view(bounds, px=self.px)
        self.sink.update(view=bounds, grid=grid, grid_meta=grid_meta)
        if error:
            self.sink.update(error=error)
        self.send_extras(force=True)

    def _try_send(self, what: str, build: Any, *args: Any) -> None:
        try:
            content, buffers = build(*args)
        except Exception as exc:  # noqa: BLE001 - a view, not the run
            log.warning("gdwidget: the %s could not be computed: %s", what, exc)
            return
        self.sink.send(content, buffers)
