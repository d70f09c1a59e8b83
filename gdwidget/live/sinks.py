"""Sinks: where a session's frames, messages and state go.

:class:`WidgetSink` delivers them to an anywidget: custom messages over its comm
and state as its synced traits. More sinks (bqplot figures, an HTML file) meet
the session through the same three methods.

Some widget managers (Google Colab's, googlecolab/colab-cdn-widget-manager #8
and #33) deliver a custom message without its binary buffers. A
:class:`WidgetSink` therefore probes the page once (:meth:`WidgetSink.probe`: a
``probe`` message with a known buffer); the page answers ``probe_ack`` with
whether the buffer arrived intact, and on a failed answer
(:meth:`WidgetSink.acknowledge`) the sink sends every later message's buffers
as base64 strings in its JSON content instead (docs/protocol.md, "Buffers
fallback"). The page decodes either form through one function
(``messageBuffers`` in js/decode.js).
"""

from __future__ import annotations

import base64
import logging
import threading
from typing import Any, Protocol

log = logging.getLogger("gdwidget")

#: The probe's buffer: every byte value once, so a manager that drops or mangles binary
#: buffers (a lost buffer, a text decoding) is caught.
PROBE_BYTES = bytes(range(256))


class Sink(Protocol):
    def send(self, content: dict[str, Any], buffers: list[Any]) -> None: ...

    def update(self, **state: Any) -> None: ...

    def update_meta(self, **keys: Any) -> None: ...


def encode_buffers(content: dict[str, Any], buffers: list[Any]) -> dict[str, Any]:
    """``content`` with ``buffers`` as base64 strings under ``"b64"`` (a new dict).

    Parameters
    ----------
    content : dict
        A custom message's JSON content (left unchanged).
    buffers : list of bytes-like
        Its binary buffers (bytes, memoryview, contiguous NumPy arrays).

    Returns
    -------
    dict
        ``{**content, "n_buffers": len(buffers), "b64": [str, ...]}``.
    """
    b64 = [base64.b64encode(memoryview(b).cast("B")).decode("ascii") for b in buffers]
    return {**content, "n_buffers": len(buffers), "b64": b64}


def decode_buffers(content: dict[str, Any], buffers: list[Any] | None) -> list[bytes]:
    """The buffers of a message in either form: ``content["b64"]`` if present, else ``buffers``.

    The kernel-side twin of js/decode.js ``messageBuffers`` (for tests and tools).
    """
    if "b64" in content:
        return [base64.b64decode(s) for s in content["b64"]]
    return [bytes(memoryview(b).cast("B")) for b in buffers or []]


class WidgetSink:
    """Frames and messages over the widget's comm; state into its synced traits.

    Every custom message with buffers carries ``n_buffers`` (how many), so that the
    page sees when they were lost. The widget starts in binary mode; after the page
    says (``probe_ack`` with ``ok: false``) that buffers do not arrive,
    :attr:`base64` is True and every message's buffers go as base64 in its content.
    The switch is one-way: a widget shown in several pages stays readable in all.
    """

    def __init__(self, widget: Any) -> None:
        self.widget = widget
        self._base64 = False
        self._lock = threading.Lock()

    @property
    def base64(self) -> bool:
        """Whether buffers go as base64 strings in the JSON content (``content["b64"]``)."""
        return self._base64

    def send(self, content: dict[str, Any], buffers: list[Any]) -> None:
        w = self.widget
        if w.comm is None:
            return
        if not buffers:
            w.send(content, buffers)
        elif self._base64:
            w.send(encode_buffers(content, buffers), [])
        else:
            w.send({**content, "n_buffers": len(buffers)}, list(buffers))

    def probe(self) -> bool:
        """Send the binary probe (``{type: "probe", n_buffers: 1}`` + :data:`PROBE_BYTES`).

        Call it when a page asks for the history (a page's first message). Returns
        whether a probe was sent: none once in base64 mode, or without a comm.
        """
        w = self.widget
        if self._base64 or w.comm is None:
            return False
        w.send({"type": "probe", "n_buffers": 1, "size": len(PROBE_BYTES)}, [PROBE_BYTES])
        return True

    def acknowledge(self, ok: bool) -> bool:
        """The page's answer to the probe (or its report of a message without buffers).

        Returns True when this switched the widget to base64 (the caller then resends
        what the page holds: the history); False when nothing changed.
        """
        if ok:
            return False
        with self._lock:
            if self._base64:
                return False
            self._base64 = True
        log.info("gdwidget: the page lost binary buffers; sending them as base64 from now on")
        return True

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
