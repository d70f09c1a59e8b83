"""Which views of the page are open: a session's count of them, and what a new view needs.

A Playground shown in several outputs has one view per output. The page says ``view_open``
and ``view_close`` (docs/protocol.md); a session whose views have all gone pauses after a
grace period and sends nothing, and a view that opens after that asks for the history. The
session calls these methods under its own lock.

A page that dies without a word (a crashed tab, a killed browser, a laptop closed) sends no
``view_close``: each view repeats its ``view_open`` every :data:`HEARTBEAT_S` seconds, and a
view not heard from for :data:`SILENT_S` seconds counts as gone. While the kernel runs a
cell, the page's messages wait in its queue, so time in cells does not count (:class:`Cells`).
"""

from __future__ import annotations

import time

from . import protocol as p

#: a playing session pauses this long after its last view went
VIEW_GRACE_S = 1.0
#: how often a view says it is still open (seconds; the page reads it from ``meta``)
HEARTBEAT_S = 10.0
#: a view silent this long, outside running cells, is gone (a hidden tab's timers may fire
#: only once a minute)
SILENT_S = 150.0


class Cells:
    """The time the kernel could hear the page: wall time less the time spent in cells.

    Messages from the page are handled between cells only, so a view is silent only for as
    long as the kernel was free to hear it (IPython's ``pre_run_cell`` and ``post_run_cell``
    events). A cell of any length, or a test polling the kernel with short cells, neither
    counts as silence nor hides the silence around it."""

    running_since: float | None = None  # monotonic start of the cell running now
    busy = 0.0  # seconds spent in cells that ended
    _watching = False

    @classmethod
    def watch(cls) -> None:
        """Follow IPython's cells (once; nothing outside IPython)."""
        if cls._watching:
            return
        try:
            from IPython import get_ipython  # noqa: PLC0415 - only inside a kernel
        except ImportError:
            return
        shell = get_ipython()
        if shell is None:
            return
        cls._watching = True
        shell.events.register("pre_run_cell", cls._start)
        shell.events.register("post_run_cell", cls._end)

    @classmethod
    def listening(cls, now: float) -> float:
        """Seconds outside cells (a clock that stops while a cell runs)."""
        start = cls.running_since
        return now - cls.busy - (0.0 if start is None else now - start)

    @classmethod
    def _start(cls, *_: object) -> None:
        cls.running_since = time.monotonic()

    @classmethod
    def _end(cls, *_: object) -> None:
        start, cls.running_since = cls.running_since, None
        if start is not None:
            cls.busy += time.monotonic() - start


class ViewCount:
    """The open views' ids, and whether any view was ever open."""

    def __init__(self) -> None:
        self.ids: dict[str, float] = {}  # id -> when it was last heard (Cells.listening)
        self.had_view = False
        self._none_since = time.monotonic()
        Cells.watch()

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def all_gone(self) -> bool:
        """Every view that was open has gone or fallen silent (none ever open: False)."""
        self.forget_silent()
        return self.had_view and not self.ids

    def gone_for_good(self) -> bool:
        """Every view has been gone (or silent) longer than the grace period."""
        return self.all_gone and time.monotonic() - self._none_since > VIEW_GRACE_S

    def forget_silent(self) -> None:
        """Count as gone the views not heard from for :data:`SILENT_S` (outside cells)."""
        if not self.ids:
            return
        now = time.monotonic()
        heard = Cells.listening(now)
        if heard - min(self.ids.values()) <= SILENT_S:
            return
        self.ids = {i: t for i, t in self.ids.items() if heard - t <= SILENT_S}
        if not self.ids:
            self._none_since = now

    def take(self, other: ViewCount) -> None:
        """Count ``other``'s open views (a session that replaces another)."""
        self.ids, self.had_view = dict(other.ids), other.had_view

    def note(self, cmd: p.ViewOpen | p.ViewClose, px: tuple[int, int]) -> list[p.Command]:
        """Count a view opening (or saying again that it is open) or closing; returns what a
        new view needs: its plot size (when not ``px``), and the history when it comes after
        every view had gone (none was sent meanwhile)."""
        follow: list[p.Command] = []
        if isinstance(cmd, p.ViewOpen):
            if cmd.px is not None and tuple(cmd.px) != tuple(px):
                follow.append(p.SetPixels(cmd.px))
            if self.all_gone:
                follow.append(p.RequestHistory())
            self.ids[cmd.id] = Cells.listening(time.monotonic())
            self.had_view = True
        else:
            self.ids.pop(cmd.id, None)
            if not self.ids:
                self._none_since = time.monotonic()
        return follow
