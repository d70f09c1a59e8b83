"""Sinks: where a session's frames, messages and state go.

:class:`WidgetSink` delivers them to an anywidget: custom messages over its comm
and state as its synced traits. More sinks (bqplot figures, an HTML file) meet
the session through the same three methods.
"""

from __future__ import annotations

from typing import Any, Protocol


class Sink(Protocol):
    def send(self, content: dict[str, Any], buffers: list[Any]) -> None: ...

    def update(self, **state: Any) -> None: ...

    def update_meta(self, **keys: Any) -> None: ...


class WidgetSink:
    """Frames and messages over the widget's comm; state into its synced traits."""

    def __init__(self, widget: Any) -> None:
        self.widget = widget

    def send(self, content: dict[str, Any], buffers: list[Any]) -> None:
        w = self.widget
        if w.comm is not None:
            w.send(content, buffers)

    def update(self, **state: Any) -> None:
        w = self.widget
        if w.comm is None:
            return
        with w.hold_sync():
            for name, value in state.items():
                if getattr(w, name) != value:
                    w.set_trait(name, value)

    def update_meta(self, **keys: Any) -> None:
        w = self.widget
        if w.comm is not None:
            w.meta = {**w.meta, **keys}
