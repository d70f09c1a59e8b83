"""gd.monitor without torch: logging, frames, the bounded history, the flusher, bad input."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from monitor_helpers import make, messages, monitor_threads, page_rows
from widget_helpers import wait_for

import gdwidget as gd


def test_frames_decode_to_the_logged_values() -> None:
    m, comm = make(projection=None)
    rng = np.random.default_rng(0)
    loss = rng.random(50)
    acc = rng.random((50, 3))
    for t in range(50):
        m.log(loss=float(loss[t]), acc=acc[t])
        if t % 7 == 0:
            m.flush()
    m.flush()
    page = page_rows(comm)
    np.testing.assert_array_equal(page["steps"], np.arange(50))
    cols = page["columns"]
    assert list(cols) == ["loss", "acc", "acc:lo", "acc:hi"]
    np.testing.assert_array_equal(cols["loss"], loss)
    np.testing.assert_allclose(cols["acc"], acc.mean(axis=1), rtol=1e-15)
    np.testing.assert_array_equal(cols["acc:lo"], acc.min(axis=1))
    np.testing.assert_array_equal(cols["acc:hi"], acc.max(axis=1))
    assert m.meta["names"] == ["loss", "acc"] and m.meta["seeds"] == {"loss": 1, "acc": 3}
    m.close()


def test_seeds_band_std_and_missing_values() -> None:
    m, comm = make(band="std", projection=None)
    vals = np.array([[1.0, 2.0, 6.0], [4.0, np.nan, 0.0], [np.nan, np.nan, np.nan]])
    for row in vals:
        m.log(val=row)
    m.log(step=10, other=1.5)  # val not logged at step 10: NaN there
    m.flush()
    cols = page_rows(comm)["columns"]
    mean = np.array([3.0, 2.0, np.nan, np.nan])
    sd = np.array([np.std([1, 2, 6]), 2.0, np.nan, np.nan])
    np.testing.assert_allclose(cols["val"], mean)
    np.testing.assert_allclose(cols["val:lo"], mean - sd)
    np.testing.assert_allclose(cols["val:hi"], mean + sd)
    np.testing.assert_array_equal(page_rows(comm)["steps"], [0, 1, 2, 10])
    h = m.history
    np.testing.assert_array_equal(h.scalars["val"][:3], vals)
    assert np.isnan(h.scalars["val"][3]).all()
    m.close()


def test_to_pandas_one_row_per_step() -> None:
    m = gd.monitor(projection=None)
    for t in range(5):
        m.log(step=2 * t, loss=float(t), acc=[t, t + 2.0])
    m.log(step=8, val_loss=0.5)  # the same step: one row
    df = m.history.to_pandas()
    assert list(df.columns) == ["loss", "acc", "acc[0]", "acc[1]", "val_loss"]
    assert list(df.index) == [0, 2, 4, 6, 8] and df.index.name == "step"
    np.testing.assert_array_equal(df["acc"], np.arange(5) + 1.0)
    np.testing.assert_array_equal(df["acc[1]"], np.arange(5) + 2.0)
    assert df["val_loss"].isna().sum() == 4 and df.loc[8, "val_loss"] == 0.5
    assert "grad_norm" not in df.columns  # no torch
    m.close()


def test_bounded_history_keeps_first_last_and_extremes() -> None:
    cap = 256
    m, comm = make(max_history=cap, projection=None)
    rng = np.random.default_rng(1)
    n = 100_000
    loss = np.cumsum(rng.standard_normal(n))
    acc = rng.random((n, 2))
    for t in range(n):
        m.log(loss=float(loss[t]), acc=acc[t])
        if t % 5000 == 0:
            m.flush()
    m.flush()
    h = m.history
    rec = m._recorder
    assert len(h) <= cap
    assert h.steps[0] == 0 and h.steps[-1] == n - 1
    width = rec.width
    curves = {
        "loss": loss,
        "acc": acc.mean(axis=1),
        "acc:lo": acc.min(axis=1),
        "acc:hi": acc.max(axis=1),
    }
    kept = dict(zip(h.steps.tolist(), range(len(h)), strict=True))
    bucket = np.arange(n) // width
    for name, true in curves.items():
        for b in np.unique(bucket):
            sel = np.flatnonzero(bucket == b)
            for ext in (sel[np.argmin(true[sel])], sel[np.argmax(true[sel])]):
                assert ext in kept, f"{name}: bucket {b} lost its extreme at step {ext}"
    # the page holds exactly the kernel's rows
    page = page_rows(comm)
    np.testing.assert_array_equal(page["steps"], h.steps)
    np.testing.assert_array_equal(page["columns"]["loss"], h.scalars["loss"][:, 0])
    m.close()


def test_flusher_sends_the_last_rows_after_logging_stops() -> None:
    m, comm = make(max_fps=20, projection=None)
    for t in range(30):
        m.log(loss=float(t) * 0.5)
    # no flush: the flusher thread sends the last rows by itself
    assert wait_for(lambda: page_rows(comm)["steps"].size == 30, timeout=10)
    page = page_rows(comm)
    assert page["columns"]["loss"][-1] == 14.5
    assert any(t.is_alive() for t in monitor_threads())
    m.close()


def test_close_stops_the_flusher_thread() -> None:
    before = set(monitor_threads())
    m, _ = make(projection=None)
    m.log(loss=1.0)
    assert set(monitor_threads()) - before
    m.close()
    assert not (set(t for t in monitor_threads() if t.is_alive()) - before)
    with pytest.raises(RuntimeError, match="closed"):
        m.log(loss=2.0)


def test_log_from_another_thread_reaches_the_page() -> None:
    import threading

    m, comm = make(projection=None)

    def loop() -> None:
        for t in range(200):
            m.log(loss=1.0 / (t + 1))

    th = threading.Thread(target=loop)
    th.start()
    th.join()
    assert wait_for(lambda: page_rows(comm)["steps"].size == 200, timeout=10)
    np.testing.assert_allclose(page_rows(comm)["columns"]["loss"], 1.0 / np.arange(1, 201))
    m.close()


def test_no_view_no_frames_then_history() -> None:
    m, comm = make(projection=None)
    comm.page_sends({"type": "view_open", "id": "a"})
    m.log(loss=1.0)
    m.flush()
    comm.page_sends({"type": "view_close", "id": "a"})
    comm.clear()
    for t in range(10):
        m.log(loss=float(t))
    m.flush()
    assert messages(comm) == []  # nothing heavy without a view
    assert len(m.history) == 11  # still recorded
    comm.page_sends({"type": "view_open", "id": "b"})
    m.flush()
    hist = messages(comm, ("history",))
    assert len(hist) == 1 and hist[0]["steps"].size == 11
    m.close()


def test_request_history_and_subscribe() -> None:
    m, comm = make(projection=None)
    calls = []
    unsub = m.subscribe(lambda: calls.append(len(m.history)))
    for t in range(5):
        m.log(loss=float(t))
    m.flush()
    assert calls and calls[-1] == 5
    comm.clear()
    comm.page_sends({"type": "request_history"})
    hist = messages(comm, ("history",))
    assert len(hist) == 1
    np.testing.assert_array_equal(hist[0]["columns"]["loss"], np.arange(5.0))
    unsub()
    n = len(calls)
    m.log(loss=9.0)
    m.flush()
    assert len(calls) == n
    comm.page_sends({"type": "bogus"})  # ignored, one warning
    m.close()


def test_lost_buffers_switch_the_monitor_to_base64() -> None:
    from gdwidget.live.sinks import PROBE_BYTES, decode_buffers
    from gdwidget.monitoring.wire import unpack

    m, comm = make(projection=None)
    for t in range(4):
        m.log(loss=float(t))
    comm.page_sends({"type": "request_history"})
    with comm.lock:
        probe = [(d, b) for d, b in comm.sent if d.get("content", {}).get("type") == "probe"]
    assert probe and probe[0][1] == [PROBE_BYTES]
    comm.clear()
    comm.page_sends({"type": "probe_ack", "ok": False})  # the page lost the probe's buffer
    m.log(loss=9.0)
    m.flush()
    with comm.lock:
        sent = [d["content"] for d, b in comm.sent if d.get("method") == "custom" and not b]
    kinds = [c["type"] for c in sent]
    assert kinds[:2] == ["history", "frame"]  # the history again, then frames, all in base64
    rows = [unpack(c, decode_buffers(c, None)) for c in sent[:2]]
    np.testing.assert_array_equal(rows[0]["columns"]["loss"], np.arange(4.0))
    np.testing.assert_array_equal(rows[1]["columns"]["loss"], [9.0])
    m.close()


@pytest.mark.parametrize(
    ("kwargs", "err", "match"),
    [
        ({"step": math.nan, "loss": 1.0}, ValueError, "step"),
        ({"step": -1, "loss": 1.0}, ValueError, "step"),
        ({"step": "3", "loss": 1.0}, ValueError, "step"),
        ({"loss": "high"}, TypeError, "loss"),
        ({"loss": True}, TypeError, "loss"),
        ({"loss": np.zeros((2, 2))}, ValueError, "1-D"),
        ({"loss": []}, ValueError, "at least one"),
        ({"loss": object()}, TypeError, "loss"),
        ({"a b": 1.0}, ValueError, "identifier"),
        ({"grad_norm": 1.0}, ValueError, "reserved"),
    ],
)
def test_log_rejects_bad_input(kwargs: dict, err: type, match: str) -> None:
    m = gd.monitor(projection=None)
    with pytest.raises(err, match=match):
        m.log(**kwargs)
    m.close()


def test_log_rejects_going_back_and_changing_seeds() -> None:
    m = gd.monitor(projection=None)
    m.log(step=5, loss=1.0, acc=[1.0, 2.0])
    with pytest.raises(ValueError, match="go back"):
        m.log(step=4, loss=1.0)
    with pytest.raises(ValueError, match="2 value"):
        m.log(acc=[1.0, 2.0, 3.0])
    m.log(loss=2.0)  # default: the last step + 1
    assert m.history.steps.tolist() == [5, 6]
    m.close()


@pytest.mark.parametrize(
    ("kwargs", "err"),
    [
        ({"optimizer": object()}, TypeError),
        ({"model": [1, 2]}, TypeError),
        ({"band": "iqr"}, ValueError),
        ({"projection": "tsne"}, ValueError),
        ({"max_history": 3}, ValueError),
        ({"smooth": 1.0}, ValueError),
        ({"log_y": "yes"}, TypeError),
        ({"max_fps": 0}, ValueError),
        ({"loss_fn": 3}, TypeError),
        ({"loss_fn": abs, "projection": None}, ValueError),
    ],
)
def test_monitor_rejects_bad_arguments(kwargs: dict, err: type) -> None:
    with pytest.raises(err):
        gd.monitor(**kwargs)


def test_import_and_monitor_never_import_torch() -> None:
    code = (
        "import sys, numpy as np, gdwidget as gd\n"
        "m = gd.monitor()\n"
        "m.log(loss=1.0, params=np.ones(3)); m.log(loss=0.5, params=np.zeros(3)); m.flush()\n"
        "print(len(m.history), 'torch' in sys.modules)\n"
        "m.close()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["2", "False"]
