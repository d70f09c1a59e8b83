"""What the flusher thread does for a monitor, and what the page asks of it.

:meth:`Pump.tick` moves the queued rows into the bounded history, refits the path's
plane, sends the rows, path and surface due (:mod:`.outbox`), updates the ``meta`` and
``status`` traits of the widget, then calls the subscribers. :meth:`Pump.on_msg`
answers the page (``request_history``, the buffers probe, views opening and closing).
One re-entrant lock guards the history and the page's state.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from .intake import Intake
from .outbox import Outbox
from .path import Projector
from .recorder import Recorder
from .status import StatusLine

log = logging.getLogger("gdwidget")

__all__ = ["Pump"]

STATUS_PERIOD = 0.25
IDLE_AFTER = 1.0  # seconds without a new step before the status says "stopped"


class Pump:
    """The history, the page's state and the subscribers of one monitor ``widget``."""

    def __init__(
        self,
        widget: Any,
        intake: Intake,
        recorder: Recorder,
        projector: Projector | None,
        sink: Any,
    ) -> None:
        self.widget = widget
        self.intake = intake
        self.recorder = recorder
        self.projector = projector
        self.sink = sink
        self.lock = threading.RLock()
        self.outbox = Outbox(recorder, projector, sink.send)
        self.status = StatusLine(STATUS_PERIOD, IDLE_AFTER)
        self.listeners: list[Callable[[], None]] = []
        self.closed = False

    def ingest(self) -> int:
        """Move the queued rows into the bounded history (one bulk write); how many."""
        block = self.intake.drain()
        if block is None:
            return 0
        self.recorder.add_block(block)
        return len(block.steps)

    def tick(self, final: bool) -> None:
        """One frame: the rows due (every row with ``final``), path, surface, status."""
        w = self.widget
        with self.lock:
            if self.closed and not final:
                return
            new = self.ingest()
            rec = self.recorder
            meta = w.meta
            if rec.names != meta.get("names") or rec.seeds != meta.get("seeds"):
                w.meta = {**meta, "names": list(rec.names), "seeds": dict(rec.seeds)}
            if self.projector is not None:
                self.projector.update()
            self.outbox.flush(final)
            self.outbox.flush_path()
            if self.outbox.may_send():
                err = self.projector.error if self.projector is not None else ""
                line = self.status.text(time.monotonic(), rec.last_step, err, final)
                if line is not None and line != w.status:
                    w.status = line
        if new:
            for fn in list(self.listeners):
                try:
                    fn()
                except Exception:  # noqa: BLE001 - a listener must not stop the stream
                    log.exception("gdwidget: a monitor subscriber failed")

    def on_msg(self, content: Any) -> None:
        """A message from the page (docs/protocol.md, "Monitor")."""
        try:
            kind = content.get("type") if isinstance(content, dict) else None
            with self.lock:
                if kind == "request_history":
                    self.sink.probe()  # the buffers fallback
                    self.resend()
                elif kind == "probe_ack" and isinstance(content.get("ok"), bool):
                    if self.sink.acknowledge(content["ok"]):
                        self.resend()  # now in base64: the page's rows again
                elif kind in ("view_open", "view_close") and isinstance(content.get("id"), str):
                    if kind == "view_open":
                        self.outbox.view_open(content["id"])
                    else:
                        self.outbox.view_close(content["id"])
                else:
                    log.warning("gdwidget: the monitor ignored a message: %.200r", content)
        except Exception:  # noqa: BLE001 - a message from the page must never break the kernel
            log.exception("gdwidget: the monitor failed to handle a message from the page")

    def resend(self) -> None:
        """Everything the page holds again: the history, the path and the surface."""
        self.outbox.request_history()
        self.ingest()
        self.outbox.flush(True)
        self.outbox.flush_path(force=True)
