"""The Playground's kernel side under ipywidgets 7.7.1 and ipykernel 6, through a fake comm.

Messages as ipywidgets 7 puts them on the comm (custom messages with binary buffers, state
updates with ``buffer_paths``), frames from the loop thread, a failing objective shown in the
``error`` trait and never raised or printed as a traceback from the thread, and the buffers
fallback (probe, failed ack, base64).
"""

from __future__ import annotations

import base64
import threading

import ipykernel
import ipywidgets
import numpy as np
import pytest
from compat_helpers import make
from widget_helpers import Bowl, loop_threads, page_state, wait_for

from gdwidget.stream import unpack

pytestmark = pytest.mark.filterwarnings("ignore:gdwidget's JavaScript bundle is missing")


@pytest.fixture(autouse=True)
def _no_stray_loops():
    yield
    assert wait_for(lambda: not loop_threads(), 5.0), "a Playground loop thread outlived its test"


def customs(comm, *kinds):
    with comm.lock:
        msgs = list(comm.sent)
    return [
        (d["content"], b)
        for d, b in msgs
        if d.get("method") == "custom" and (not kinds or d["content"].get("type") in kinds)
    ]


def test_the_stack_is_colabs():
    assert ipywidgets.__version__ == "7.7.1"
    assert ipykernel.version_info[0] == 6


def test_state_and_custom_messages_take_ipywidgets_7s_shape():
    w, comm = make()
    w.step(4)
    w.set_view([[-1.0, 1.0], [-1.0, 1.0]])
    grids = [
        (d, b)
        for d, b in comm.sent
        if d.get("method") == "update" and ["grid"] in d.get("buffer_paths", [])
    ]
    assert grids, "the grid trait did not go as a binary state buffer"
    d, bufs = grids[-1]
    nx, ny = w.grid_meta["nx"], w.grid_meta["ny"]
    assert len(bytes(bufs[d["buffer_paths"].index(["grid"])])) == nx * ny * 4
    comm.clear()
    comm.page_sends({"type": "request_history"})
    kinds = [c["type"] for c, _ in customs(comm)]
    assert kinds == ["probe", "history"]
    (h,) = comm.packets()
    np.testing.assert_array_equal(h["steps"], np.arange(5))
    np.testing.assert_array_equal(h["xy"], w.history.xy.astype(np.float32))


def test_frames_from_the_loop_thread_reach_the_page():
    w, comm = make(speed=0)
    comm.page_sends({"type": "view_open", "id": "v1"})
    comm.page_sends({"type": "request_history"})
    w.play()
    assert wait_for(lambda: w.t >= 200, 20.0), w.t
    w.pause()
    frames = [p for p in comm.packets() if p["type"] == "frame"]
    assert frames, "no frame came from the loop thread"
    state = page_state(comm.packets())
    h = w.history
    np.testing.assert_array_equal(state["steps"], h.steps)
    np.testing.assert_array_equal(state["xy"], h.xy.astype(np.float32))
    assert comm.updates("running")[-1] is False
    w.close()


def test_an_error_in_the_loop_thread_is_shown_in_the_widget_not_raised(capfd):
    hooked = []
    previous = threading.excepthook
    threading.excepthook = lambda args: hooked.append(args)
    try:
        w, comm = make(Bowl(fail_at=30), speed=0)
        comm.page_sends({"type": "view_open", "id": "v1"})
        w.play()
        assert wait_for(lambda: "ZeroDivisionError" in w.error and not w.playing, 20.0)
    finally:
        threading.excepthook = previous
    assert "boom in the user's objective" in w.error
    assert any("ZeroDivisionError" in e for e in comm.updates("error")), "error never sent"
    assert hooked == [], "an exception escaped the loop thread"
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err
    # every step before the failing one is kept and shown
    assert w.t == len(w.history.steps) - 1 > 0
    w.close()


def test_after_a_failed_ack_frames_go_as_base64_that_decodes_to_the_history():
    w, comm = make(speed=0)
    comm.page_sends({"type": "view_open", "id": "v1"})
    comm.page_sends({"type": "request_history"})
    comm.page_sends({"type": "probe_ack", "ok": False})
    w.play()
    assert wait_for(lambda: w.t >= 100, 20.0), w.t
    w.pause()
    msgs = customs(comm, "frame", "thin", "history")
    first_b64 = next(i for i, (c, _) in enumerate(msgs) if "b64" in c)
    assert msgs[first_b64][0]["type"] == "history"
    later = msgs[first_b64:]
    assert all("b64" in c and b == [] for c, b in later)
    packets = [unpack(c, [base64.b64decode(s) for s in c["b64"]]) for c, _ in later]
    state = page_state(packets)
    h = w.history
    np.testing.assert_array_equal(state["steps"], h.steps)
    np.testing.assert_array_equal(state["loss"], h.loss.astype(np.float32))
    w.close()
