"""Buffers fallback (docs/protocol.md): the binary probe, its acknowledgement, base64 buffers.

Through the fake comm of widget_helpers: without an ack every message stays binary; after a
failed ack every frame, history, arrows and model view carries its buffers as base64 in its
JSON content, and they decode (with the standard library, not the sink's helper) to the bytes
that the binary path sends for the same state.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
import pytest
from widget_helpers import FakeComm, loop_threads, make, page_state, wait_for

import gdwidget as gd
from gdwidget.live import protocol as p
from gdwidget.live.sinks import PROBE_BYTES, WidgetSink, decode_buffers, encode_buffers
from gdwidget.stream import unpack

pytestmark = pytest.mark.filterwarnings("ignore:gdwidget's JavaScript bundle is missing")


@pytest.fixture(autouse=True)
def _no_stray_loops():
    yield
    assert wait_for(lambda: not loop_threads(), 5.0), "a Playground loop thread outlived its test"


def customs(comm: FakeComm, *kinds: str) -> list[tuple[dict[str, Any], list[Any]]]:
    """The custom messages sent, in order: (content, binary buffers)."""
    with comm.lock:
        msgs = list(comm.sent)
    return [
        (d["content"], b)
        for d, b in msgs
        if d.get("method") == "custom" and (not kinds or d["content"].get("type") in kinds)
    ]


def raw(content: dict[str, Any], buffers: list[Any]) -> list[bytes]:
    """The bytes a message carries: base64 decoded with the standard library, or binary."""
    if "b64" in content:
        assert not buffers, "a base64 message also sent binary buffers"
        return [base64.b64decode(s, validate=True) for s in content["b64"]]
    return [bytes(b) for b in buffers]


def without_transport(content: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in content.items() if k not in ("b64", "n_buffers")}


def line_model() -> Any:
    return gd.models.linear_regression(*gd.data.linear(64, noise=0.5, seed=0))


# ---------------------------------------------------------------------------------------
# the protocol and the sink on their own
# ---------------------------------------------------------------------------------------
def test_probe_ack_parses_to_one_command_and_refuses_anything_but_a_bool():
    assert p.parse({"type": "probe_ack", "ok": False}) == p.ProbeAck(False)
    assert p.parse({"type": "probe_ack", "ok": True}) == p.ProbeAck(True)
    for ok in (None, 0, 1, "no", "false"):
        bad = {"type": "probe_ack"} if ok is None else {"type": "probe_ack", "ok": ok}
        with pytest.raises(p.BadMessage, match="probe_ack ok"):
            p.parse(bad)


def test_encode_buffers_takes_any_bytes_like_and_round_trips():
    arr = np.array([[1.5, -np.inf], [np.nan, 2.0**-140]], dtype="<f4")
    bufs = [b"", b"\x00\xff\x80", memoryview(b"abc"), arr, bytearray(range(256))]
    out = encode_buffers({"type": "x", "k": 1}, bufs)
    assert out["type"] == "x" and out["k"] == 1 and out["n_buffers"] == 5
    decoded = [base64.b64decode(s) for s in out["b64"]]
    assert decoded == [b"", b"\x00\xff\x80", b"abc", arr.tobytes(), bytes(range(256))]
    assert decode_buffers(out, []) == decoded
    assert decode_buffers({"type": "x"}, [memoryview(b"ab")]) == [b"ab"]


class _Widget:
    """The least a WidgetSink needs of a widget: a comm and send (as a monitor's widget)."""

    def __init__(self, comm: Any = True) -> None:
        self.comm = comm
        self.sent: list[tuple[dict[str, Any], list[Any]]] = []

    def send(self, content: dict[str, Any], buffers: Any = None) -> None:
        self.sent.append((content, list(buffers or [])))


def test_widget_sink_switches_once_and_never_back():
    w = _Widget()
    sink = WidgetSink(w)
    assert sink.probe() is True
    assert w.sent[-1] == ({"type": "probe", "n_buffers": 1, "size": 256}, [PROBE_BYTES])
    assert PROBE_BYTES == bytes(range(256))
    sink.send({"type": "frame"}, [b"\x01\x02"])
    assert w.sent[-1] == ({"type": "frame", "n_buffers": 1}, [b"\x01\x02"])
    sink.send({"type": "note"}, [])
    assert w.sent[-1] == ({"type": "note"}, [])  # nothing to lose: unchanged
    assert sink.acknowledge(True) is False and not sink.base64
    assert sink.acknowledge(False) is True and sink.base64
    assert sink.acknowledge(False) is False  # already switched: no second history
    assert sink.acknowledge(True) is False and sink.base64  # one-way
    assert sink.probe() is False
    sink.send({"type": "frame"}, [b"\x01\x02"])
    assert w.sent[-1] == ({"type": "frame", "n_buffers": 1, "b64": ["AQI="]}, [])
    quiet = _Widget(comm=None)
    assert WidgetSink(quiet).probe() is False and quiet.sent == []


# ---------------------------------------------------------------------------------------
# a Playground
# ---------------------------------------------------------------------------------------
def test_the_page_is_probed_first_and_without_an_ack_everything_stays_binary():
    w, comm = make()
    w.step(5)
    comm.clear()
    comm.page_sends({"type": "request_history"})
    msgs = customs(comm)
    assert [c["type"] for c, _ in msgs] == ["probe", "history"]
    probe, history = msgs
    assert probe == ({"type": "probe", "n_buffers": 1, "size": 256}, [bytes(range(256))])
    assert history[0]["n_buffers"] == len(history[1]) == 4 and "b64" not in history[0]
    w.step(3)
    frames = customs(comm, "frame", "thin", "history")[1:]
    assert frames and all("b64" not in c and len(b) == c["n_buffers"] for c, b in frames)
    comm.page_sends({"type": "probe_ack", "ok": True})  # a page whose buffers arrive
    w.step(2)
    assert all("b64" not in c for c, _ in customs(comm))
    assert not w.session.sink.base64


def test_after_a_failed_ack_frames_and_histories_carry_the_binary_paths_bytes():
    kw = {"max_fps": 1e-3}  # frames only when forced: both widgets send the same messages
    a, comm_a = make(**kw)
    b, comm_b = make(**kw)
    for w in (a, b):
        w.step(5)
    comm_a.clear()
    comm_b.clear()
    comm_b.page_sends({"type": "probe_ack", "ok": False})  # the page got the probe bare
    (resent,) = customs(comm_b)  # the history again, at once, now in base64
    assert resent[0]["type"] == "history" and "b64" in resent[0] and resent[1] == []
    comm_a.page_sends({"type": "request_history"})
    (history_a,) = customs(comm_a, "history")
    assert raw(*resent) == raw(*history_a)
    assert without_transport(resent[0]) == without_transport(history_a[0])

    comm_b.page_sends({"type": "request_history"})  # a page reload: no probe in base64 mode
    assert [c["type"] for c, _ in customs(comm_b)] == ["history", "history"]
    for w in (a, b):
        w.step(7)
        w.reset(start=(1.0, -0.5))
        w.step(4)
    msgs_a = customs(comm_a, "frame", "thin", "history")[1:]
    msgs_b = customs(comm_b, "frame", "thin", "history")[2:]
    assert [c["type"] for c, _ in msgs_b] == [c["type"] for c, _ in msgs_a]
    assert len(msgs_b) >= 3
    for (ca, ba), (cb, bb) in zip(msgs_a, msgs_b, strict=True):
        assert "b64" in cb and bb == [] and cb["n_buffers"] == len(cb["b64"]) == 4
        assert raw(cb, bb) == raw(ca, ba)
        assert without_transport(cb) == without_transport(ca)
    # and what a page holds from the base64 messages is the widget's history
    kinds = ("frame", "thin", "history")
    state = page_state([unpack(c, raw(c, bb)) for c, bb in customs(comm_b, *kinds)])
    h = b.history
    np.testing.assert_array_equal(state["steps"], h.steps)
    np.testing.assert_array_equal(state["xy"], h.xy.astype(np.float32))


def test_after_a_failed_ack_arrows_and_model_views_go_as_base64_too():
    w, comm = make(line_model(), {"sgd": gd.optim.sgd(0.05)}, batch_size=8)
    w.step(3)
    comm.clear()
    comm.page_sends({"type": "probe_ack", "ok": False})
    kinds = {c["type"] for c, _ in customs(comm)}
    assert {"history", "arrows", "model_view"} <= kinds
    assert all("b64" in c and b == [] for c, b in customs(comm))
    comm.clear()
    w.step(6)  # ends with the arrows and model view of the final point, forced
    (arrows, arrows_b), *_ = customs(comm, "arrows")[-1:]
    content, binary = w.arrows_message()
    assert raw(arrows, arrows_b) == [bytes(x) for x in binary]
    assert without_transport(arrows) == content
    (view, view_b), *_ = customs(comm, "model_view")[-1:]
    content, binary = w.model_view_message()
    assert raw(view, view_b) == [bytes(x) for x in binary]
    assert without_transport(view) == content


def test_a_malformed_ack_changes_nothing():
    w, comm = make()
    w.step(2)
    comm.clear()
    comm.page_sends({"type": "probe_ack", "ok": "false"})
    comm.page_sends({"type": "probe_ack"})
    assert customs(comm) == [] and not w.session.sink.base64
