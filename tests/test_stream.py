"""The host side of streaming: bounded history, packing and frame pacing."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from gdwidget.stream import (
    FrameClock,
    HistoryBuffer,
    Rows,
    Streamer,
    apply,
    first_two,
    pack,
    unpack,
)


@dataclass
class FakeChunk:
    steps: np.ndarray
    loss: np.ndarray
    params: np.ndarray | None
    grad_norm: np.ndarray
    lr: np.ndarray


def make_chunk(start: int, n: int, R: int = 3, P: int = 2, loss_fn=None) -> FakeChunk:
    steps = np.arange(start, start + n, dtype=np.int64)
    if loss_fn is None:
        loss = np.stack([1.0 / (1.0 + steps + r) for r in range(R)], axis=1)
    else:
        loss = loss_fn(steps)
    params = np.stack(
        [np.stack([steps * 0.5 + r, -steps * 0.25 + r], axis=-1) for r in range(R)], axis=1
    )[..., :P]
    if P > 2:
        params = np.concatenate([params, np.ones((n, R, P - 2))], axis=-1)
    return FakeChunk(steps, loss, params, np.abs(loss), np.full((n, R), 0.01))


def feed(buf: HistoryBuffer, total: int, chunk: int, loss_fn=None) -> None:
    """Offer steps 0..total-1 in chunks, then commit the rows held aside (a frame would)."""
    R = buf.n_runs
    for s in range(0, total, chunk):
        c = make_chunk(s, min(chunk, total - s), R, loss_fn=loss_fn)
        buf.append(c.steps, c.loss, first_two(c.params), c.grad_norm, c.lr)
    buf.commit_pending()


# ---------------------------------------------------------------------------------------
# HistoryBuffer
# ---------------------------------------------------------------------------------------
def test_small_history_keeps_every_row():
    buf = HistoryBuffer(2, capacity=256)
    feed(buf, 100, 7)
    r = buf.rows()
    np.testing.assert_array_equal(r.steps, np.arange(100))
    assert buf.generation == 0 and buf.precision["px"] == 0.0


def test_decimation_is_bounded_and_keeps_first_last_and_extremes():
    R = 3
    rng = np.random.default_rng(0)
    noise = rng.normal(size=(200_000, R))
    spike_min = {0: 77_777, 1: 123_457, 2: 199_999}
    spike_max = {0: 150_001, 1: 3, 2: 99_999}

    def loss_fn(steps):
        out = 10.0 + noise[steps]
        for r, s in spike_min.items():
            out[steps == s, r] = -100.0
        for r, s in spike_max.items():
            out[steps == s, r] = 100.0
        return out

    buf = HistoryBuffer(R, capacity=512)
    nbytes = buf.nbytes()
    feed(buf, 200_000, 997, loss_fn)
    assert buf.nbytes() == nbytes  # preallocated; never grows
    assert len(buf) <= buf.capacity
    r = buf.rows()
    assert r.steps[0] == 0 and r.steps[-1] == 199_999
    assert np.all(np.diff(r.steps) > 0)
    for run, s in spike_min.items():
        i = int(np.argmin(r.loss[:, run]))
        assert r.steps[i] == s and r.loss[i, run] == -100.0
    for run, s in spike_max.items():
        i = int(np.argmax(r.loss[:, run]))
        assert r.steps[i] == s and r.loss[i, run] == 100.0
    assert buf.generation > 0
    assert buf.precision["loss_steps"] is not None  # the extremes were never given up
    # the kept rows are the true rows of those steps
    np.testing.assert_allclose(r.xy[:, 0, 0], r.steps * 0.5)


@pytest.mark.parametrize("chunk", [1, 7, 64, 10_000, 60_000])
def test_decimation_bounded_for_any_chunk_size(chunk):
    buf = HistoryBuffer(2, capacity=256)
    total = 6_000 if chunk == 1 else 60_000
    feed(buf, total, chunk)
    assert 0 < len(buf) <= 256
    r = buf.rows()
    assert r.steps[0] == 0 and r.steps[-1] == total - 1
    assert np.all(np.diff(r.steps) > 0)
    # every step's point is within the recorded bound of the kept polyline (a straight line here)
    assert buf.precision["px"] < 1e-6


def test_ten_million_steps_stay_bounded():
    buf = HistoryBuffer(1, capacity=1024)
    steps_per_chunk = 100_000
    for s in range(0, 10_000_000, steps_per_chunk):
        steps = np.arange(s, s + steps_per_chunk)
        loss = (1.0 / (1 + steps))[:, None]
        buf.append(steps, loss, np.zeros((steps_per_chunk, 1, 2)), loss, loss)
        assert len(buf) <= 1024
    buf.commit_pending()
    assert len(buf) <= 1024
    assert buf.rows().steps[-1] == 9_999_999


def test_nan_and_inf_losses_do_not_break_extremes():
    buf = HistoryBuffer(2, capacity=64)

    def loss_fn(steps):
        out = np.stack([np.cos(steps * 0.1), np.full(steps.shape, np.nan)], axis=1)
        out[steps > 500, 0] = np.inf
        return out

    feed(buf, 2000, 50, loss_fn)
    assert len(buf) <= 64
    assert buf.rows().steps[-1] == 1999


def test_rows_must_follow():
    buf = HistoryBuffer(1, capacity=64)
    feed(buf, 10, 10)
    with pytest.raises(ValueError, match="follow step 9"):
        buf.append(
            np.array([5]), np.zeros((1, 1)), np.zeros((1, 1, 2)), np.zeros((1, 1)), np.zeros((1, 1))
        )


def test_capacity_is_not_raised_for_many_runs():
    buf = HistoryBuffer(100, capacity=16)
    assert buf.capacity == 16 and buf._steps.shape[0] == 16  # not 8 * (n_runs + 2)
    with pytest.raises(ValueError, match="capacity"):
        HistoryBuffer(1, capacity=3)


# ---------------------------------------------------------------------------------------
# Packing
# ---------------------------------------------------------------------------------------
def test_pack_round_trips_through_frombuffer():
    c = make_chunk(40, 5, R=3)
    rows = Rows(c.steps, c.loss, first_two(c.params), c.grad_norm, c.lr)
    content, buffers = pack("frame", rows)
    assert content == {"type": "frame", "n": 5, "n_runs": 3, "dims": 2, "first_step": 40}
    assert [len(b) for b in buffers] == [5 * 8, 5 * 3 * 4, 5 * 3 * 2 * 4, 5 * 3 * 4]
    # decode by hand, the way the browser does: little-endian, row-major
    steps = np.frombuffer(buffers[0], dtype="<f8")
    loss = np.frombuffer(buffers[1], dtype="<f4")
    xy = np.frombuffer(buffers[2], dtype="<f4")
    np.testing.assert_array_equal(steps, c.steps)
    i, r = 3, 2
    assert loss[i * 3 + r] == np.float32(c.loss[i, r])
    assert xy[(i * 3 + r) * 2 + 1] == np.float32(c.params[i, r, 1])
    d = unpack(content, buffers)
    np.testing.assert_allclose(d["loss"], c.loss, rtol=1e-6)
    np.testing.assert_allclose(d["xy"], c.params, rtol=1e-6)
    np.testing.assert_allclose(d["lr"], c.lr, rtol=1e-6)


def test_pack_handles_empty_and_overflow():
    rows = Rows(
        np.array([0, 1]),
        np.array([[1e300], [np.nan]]),
        np.zeros((2, 1, 2)),
        np.zeros((2, 1)),
        np.ones((2, 1)),
    )
    content, buffers = pack("history", rows)
    d = unpack(content, buffers)
    assert np.isinf(d["loss"][0, 0]) and np.isnan(d["loss"][1, 0])
    empty = Rows(
        np.zeros(0, np.int64),
        np.zeros((0, 2)),
        np.zeros((0, 2, 2)),
        np.zeros((0, 2)),
        np.zeros((0, 2)),
    )
    content, buffers = pack("history", empty)
    assert content["n"] == 0 and all(len(b) == 0 for b in buffers)
    with pytest.raises(ValueError):
        pack("nope", rows)
    with pytest.raises(ValueError, match="do not match"):
        unpack({"type": "frame", "n": 3, "n_runs": 1, "dims": 2, "first_step": 0}, buffers)


# ---------------------------------------------------------------------------------------
# Pacing and the streamer
# ---------------------------------------------------------------------------------------
class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_frame_clock_limits_rate():
    clock = FakeClock()
    fc = FrameClock(30, clock)
    sent = 0
    for _ in range(10_000):  # 10 000 attempts over 2 seconds
        clock.now += 2.0 / 10_000
        if fc.due():
            fc.mark()
            sent += 1
    assert 55 <= sent <= 61
    with pytest.raises(ValueError):
        FrameClock(0)


@pytest.mark.parametrize("tick", [0.020, 0.030, 0.034, 0.050])
def test_frame_clock_does_not_alias_with_the_producer(tick):
    clock = FakeClock()
    fc = FrameClock(30, clock)
    sent = 0
    for _ in range(int(3.0 / tick)):  # a producer ticking every `tick` seconds for 3 s
        clock.now += tick
        if fc.due():
            fc.mark()
            sent += 1
    expected = min(30.0, 1.0 / tick) * 3.0
    assert 0.9 * expected <= sent <= expected + 2  # not one frame every other tick


def test_streamer_coalesces_and_frames_carry_only_new_rows():
    clock = FakeClock()
    s = Streamer(2, capacity=4096, max_fps=30, clock=clock)
    s.reset(make_chunk(0, 1, R=2))
    p = s.flush()
    assert p.content["type"] == "history" and p.content["n"] == 1
    received = [unpack(p.content, p.buffers)]
    step = 1
    for _ in range(600):  # one row every 5 ms for 3 s
        clock.now += 0.005
        s.push(make_chunk(step, 1, R=2))
        step += 1
        p = s.flush()
        if p is not None:
            assert p.content["type"] == "frame"
            received.append(unpack(p.content, p.buffers))
    p = s.flush(force=True)
    if p is not None:
        received.append(unpack(p.content, p.buffers))
    assert len(received) <= 3 * 30 + 3
    steps = np.concatenate([d["steps"] for d in received])
    np.testing.assert_array_equal(steps, np.arange(601))  # every row once, none repeated
    assert s.flush(force=True) is None  # nothing new


def test_streamer_sends_a_thin_after_decimation_and_the_history_on_request():
    s = Streamer(1, capacity=64, max_fps=1e9)
    s.reset(make_chunk(0, 1, R=1))
    first = s.flush()
    held = apply(None, unpack(first.content, first.buffers))
    kinds = []
    for k in range(1, 2000, 10):
        s.push(make_chunk(k, 10, R=1))
        p = s.flush()
        if p is None:
            continue
        d = unpack(p.content, p.buffers)
        kinds.append(d["type"])
        held = apply(held, d)
    assert "thin" in kinds and "frame" in kinds
    # the page holds exactly the kernel's bounded history
    np.testing.assert_array_equal(held["steps"], s.buffer.rows().steps)
    assert len(held) <= 64
    s.request_history()
    p = s.flush()
    assert p.content["type"] == "history" and p.content["n"] == len(s.buffer)


def test_streamer_projection_and_missing_params():
    s = Streamer(2, capacity=64, project=lambda p: p[..., 1:3])
    c = make_chunk(0, 4, R=2, P=3)
    s.reset(c)
    s.buffer.commit_pending()  # the newest row may be held aside until a frame goes
    np.testing.assert_array_equal(s.buffer.rows().xy, c.params[..., 1:3])
    c2 = make_chunk(4, 2, R=2)
    c2.params = None
    with pytest.raises(ValueError, match="no params"):
        s.push(c2)
    s.push(c2, xy=np.zeros((2, 2, 2)))
    s.buffer.commit_pending()
    assert len(s.buffer) == 6 and s.buffer.rows().steps[-1] == 5


def test_snapshot_is_a_copy():
    s = Streamer(2, capacity=64)
    s.reset(make_chunk(0, 5, R=2))
    h = s.snapshot(["a", "b"], ["a", "b"], ["running", "running"])
    s.push(make_chunk(5, 5, R=2))
    assert len(h) == 5 and h.n_runs == 2
    assert h.params.shape == (5, 2, 2)
    df = pytest.importorskip("pandas")
    assert isinstance(h.to_pandas(), df.DataFrame)
    assert len(h.to_pandas()) == 10


# ---------------------------------------------------------------------------------------
# Evaluations (docs/protocol.md, "Models on data")
# ---------------------------------------------------------------------------------------
def eval_chunk(chunk: FakeChunk, every: int, keys=("train_loss", "val_loss")) -> FakeChunk:
    steps = chunk.steps[chunk.steps % every == 0]
    R = chunk.loss.shape[1]
    ev = {"step": steps, "epoch": steps // every}
    for j, k in enumerate(keys):
        ev[k] = np.stack([steps * 0.1 + r + j for r in range(R)], axis=1).astype(float)
    chunk.evals = ev  # type: ignore[attr-defined]
    return chunk


def test_pack_carries_evaluations_after_the_four_buffers():
    rows = Rows(
        np.arange(3), np.ones((3, 2)), np.zeros((3, 2, 2)), np.zeros((3, 2)), np.ones((3, 2))
    )
    ev_steps = np.array([0, 2])
    values = {"train_loss": np.array([[1.0, 2.0], [3.0, 4.0]]), "val_acc": np.ones((2, 2))}
    content, buffers = pack("frame", rows, (ev_steps, values))
    assert content["evals"] == {"n": 2, "keys": ["train_loss", "val_acc"]}
    assert len(buffers) == 4 + 1 + 2
    assert np.frombuffer(buffers[4], "<f8").tolist() == [0.0, 2.0]
    assert np.frombuffer(buffers[5], "<f4").tolist() == [1.0, 2.0, 3.0, 4.0]  # [i * R + r]
    out = unpack(content, buffers)
    np.testing.assert_array_equal(out["evals"]["train_loss"], values["train_loss"])
    # no evaluations: no field, no extra buffer
    content, buffers = pack("frame", rows, (np.zeros(0), {"train_loss": np.zeros((0, 2))}))
    assert "evals" not in content and len(buffers) == 4
    assert unpack(content, buffers)["evals"] is None


def test_streamer_frames_carry_new_evaluations_and_history_all_of_them():
    t = [0.0]
    s = Streamer(3, capacity=64, max_fps=10, clock=lambda: t[0])
    s.reset(eval_chunk(make_chunk(0, 1), 5))
    h = unpack(*_as_message(s.flush()))
    assert h["type"] == "history" and h["evals"]["step"].tolist() == [0.0]
    s.push(eval_chunk(make_chunk(1, 12), 5))
    t[0] += 1
    f = unpack(*_as_message(s.flush()))
    assert f["type"] == "frame" and f["evals"]["step"].tolist() == [5.0, 10.0]
    np.testing.assert_allclose(f["evals"]["val_loss"][1], [2.0, 3.0, 4.0])
    s.push(eval_chunk(make_chunk(13, 1), 5))  # no evaluation in this chunk
    t[0] += 1
    f = unpack(*_as_message(s.flush()))
    assert f["evals"] is None and f["steps"].tolist() == [13.0]
    s.request_history()
    h = unpack(*_as_message(s.flush()))
    assert h["evals"]["step"].tolist() == [0.0, 5.0, 10.0]
    snap = s.snapshot(["a", "b", "c"], ["a", "b", "c"])
    assert snap.evals["epoch"].tolist() == [0, 1, 2]
    df = snap.evals_to_pandas()
    assert len(df) == 9 and set(df.columns) >= {"step", "epoch", "run", "train_loss"}


def test_evaluations_stay_bounded_and_a_decimation_resends_the_history():
    t = [0.0]
    s = Streamer(2, capacity=16, max_fps=10, clock=lambda: t[0])
    s.reset(eval_chunk(make_chunk(0, 1, R=2), 1))
    s.flush()
    kinds = []
    for start in range(1, 2000, 100):
        s.push(eval_chunk(make_chunk(start, 100, R=2), 1))
        t[0] += 1
        kinds.append(unpack(*_as_message(s.flush()))["type"])
    assert s.evals is not None and s.evals.n <= s.evals.capacity
    assert "history" in kinds[1:]
    ev = s.snapshot(["a", "b"], ["a", "b"]).evals
    assert ev["step"][0] == 0 and ev["step"][-1] == 2000
    assert np.all(np.diff(ev["step"]) > 0)


def _as_message(packet):
    assert packet is not None
    return packet.content, packet.buffers


def test_chunks_pushed_without_waiting_hold_what_waiting_pushes_hold_and_errors_surface_once():
    def run(wait: bool):
        s = Streamer(3, capacity=64, max_fps=1e9, bounds=[[-10, 600], [-200, 10]])
        s.reset(make_chunk(0, 1))
        sent = []
        for a in range(1, 2000, 37):
            s.push(make_chunk(a, 37), wait=wait)
            p = s.flush()  # waits for the chunk before packing
            sent.append(None if p is None else (p.content["type"], p.content["n"]))
        return s.snapshot(["a", "b", "c"], ["a", "b", "c"]), sent

    (h_sync, sent_sync), (h_async, sent_async) = run(True), run(False)
    assert sent_async == sent_sync and any(k is not None and k[0] == "thin" for k in sent_sync)
    for name in ("steps", "loss", "xy"):
        np.testing.assert_array_equal(getattr(h_async, name), getattr(h_sync, name))
    # a chunk the history refuses (steps going back) raises at the next use, once
    s = Streamer(3, capacity=64)
    s.reset(make_chunk(0, 10))
    s.push(make_chunk(5, 3), wait=False)
    with pytest.raises(ValueError, match="must follow step"):
        s.flush()
    assert s.flush(force=True) is not None and s.snapshot(["a"] * 3, ["a"] * 3).steps[-1] == 9
