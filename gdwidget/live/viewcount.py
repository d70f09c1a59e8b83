"""Which views of the page are open: a session's count of them, and what a new view needs.

A Playground shown in several outputs has one view per output. The page says ``view_open``
and ``view_close`` (docs/protocol.md); a session whose views have all gone pauses after a
grace period and sends nothing, and a view that opens after that asks for the history. The
session calls these methods under its own lock.
"""

from __future__ import annotations

import time

from . import protocol as p

#: a playing session pauses this long after its last view went
VIEW_GRACE_S = 1.0


class ViewCount:
    """The open views' ids, and whether any view was ever open."""

    def __init__(self) -> None:
        self.ids: set[str] = set()
        self.had_view = False
        self._none_since = time.monotonic()

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def all_gone(self) -> bool:
        """Every view that was open has gone (none ever open: False)."""
        return self.had_view and not self.ids

    def gone_for_good(self) -> bool:
        """Every view has been gone longer than the grace period."""
        return self.all_gone and time.monotonic() - self._none_since > VIEW_GRACE_S

    def take(self, other: ViewCount) -> None:
        """Count ``other``'s open views (a session that replaces another)."""
        self.ids, self.had_view = set(other.ids), other.had_view

    def note(self, cmd: p.ViewOpen | p.ViewClose, px: tuple[int, int]) -> list[p.Command]:
        """Count a view opening or closing; returns what a new view needs: its plot size
        (when not ``px``), and the history when it comes after every view had gone (none was
        sent meanwhile)."""
        follow: list[p.Command] = []
        if isinstance(cmd, p.ViewOpen):
            if cmd.px is not None and tuple(cmd.px) != tuple(px):
                follow.append(p.SetPixels(cmd.px))
            if self.all_gone:
                follow.append(p.RequestHistory())
            self.ids.add(cmd.id)
            self.had_view = True
        else:
            self.ids.discard(cmd.id)
            if not self.ids:
                self._none_since = time.monotonic()
        return follow
