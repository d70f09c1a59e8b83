"""What a monitor tells its page, and when (docs/protocol.md, "Monitor").

Rows go as ``frame`` messages (the rows since the last one) or as a ``history``
(every row held: when a view asks, when the bounded history was thinned, when a new
column appeared, or when a row the page holds changed). The newest row is held
back while logging goes on (the optimizer's hook and ``log()`` of the same step may
still be merging into it) and goes as soon as logging pauses. Nothing goes to a
page whose views have all gone; a view that comes back gets the history.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

from .path import Projector
from .recorder import Recorder
from .wire import pack_path, pack_rows, pack_surface

log = logging.getLogger("gdwidget")

__all__ = ["Outbox"]

Send = Callable[[dict[str, Any], list[bytes]], None]


class Outbox:
    """Frames, histories, path and surface for one page (not thread-safe: the caller locks)."""

    def __init__(self, recorder: Recorder, projector: Projector | None, send: Send) -> None:
        self.recorder = recorder
        self.projector = projector
        self.send = send
        self.sent = 0
        self.columns: list[str] | None = None
        self.generation = 0
        self.history_due = False
        self.views: set[str] = set()
        self.had_view = False
        self.frames = 0

    # -- the page's views -----------------------------------------------------------------------
    def may_send(self) -> bool:
        return not (self.had_view and not self.views)

    def view_open(self, view_id: str) -> None:
        if self.had_view and not self.views:
            self.request_history()  # nothing went while every view was gone
        self.views.add(view_id)
        self.had_view = True

    def view_close(self, view_id: str) -> None:
        self.views.discard(view_id)

    def request_history(self) -> None:
        self.history_due = True

    # -- sending --------------------------------------------------------------------------
    def flush(self, final: bool) -> bool:
        """Send the rows due (all of them with ``final``); whether a message went."""
        if not self.may_send():
            return False
        rec = self.recorder
        stop = rec.n if final else max(rec.n - 1, 0)
        cols = rec.columns()
        if (
            self.history_due
            or cols != self.columns
            or rec.generation != self.generation
            or rec.dirty_from < self.sent
        ):
            kind, start = "history", 0
        elif stop > self.sent:
            kind, start = "frame", self.sent
        else:
            return False
        steps, values = rec.rows(start, stop)
        self.send(*pack_rows(kind, steps, cols, values, rec.generation))
        self.sent, self.columns, self.generation = stop, cols, rec.generation
        self.history_due = False
        rec.dirty_from = math.inf
        self.frames += 1
        return True

    def flush_path(self, force: bool = False) -> None:
        """The path and the surface, when they changed (or with ``force``)."""
        pr = self.projector
        if pr is None or not self.may_send():
            return
        surface = pr.surface_message(force)
        path = pr.path_message(force or surface is not None)
        if surface is not None:
            self.send(
                *pack_surface(
                    surface.values, surface.bounds, surface.anchor_xy, surface.anchor_step
                )
            )
        if path is not None:
            steps, xy, explained = path
            self.send(*pack_path(steps, xy, pr.kind, explained))
