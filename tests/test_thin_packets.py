"""A thinning reaches the page as a ``thin`` (which rows it keeps, then the new rows), paced by
the frame clock like frames, and the page ends up holding exactly the kernel's rows."""

from __future__ import annotations

import numpy as np

import gdwidget as gd
from gdwidget.stream import Streamer, apply, unpack


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def chunks_of(hist, sizes):
    """The rows of a ``gd.run`` history as engine-like chunks of the given sizes."""
    a = 0
    for size in sizes:
        b = min(len(hist.steps), a + size)
        if a >= b:
            return
        yield type("Chunk", (), {
            "steps": hist.steps[a:b], "loss": hist.loss[a:b], "params": hist.params[a:b],
            "grad_norm": hist.grad_norm[a:b], "lr": hist.lr[a:b], "evals": None,
        })  # fmt: skip
        a = b


def test_thinnings_between_frames_go_as_one_thin_and_the_page_holds_the_kernels_rows(row_filter):
    hist = gd.run(
        gd.functions.rosenbrock(),
        {"sgd": gd.optim.sgd(1e-3, momentum=0.9), "adam": gd.optim.adam(0.05)},
        start=(-1.5, 2.0),
        steps=30_000,
        device="cpu",
    )
    clock = Clock()
    s = Streamer(2, capacity=64, max_fps=30.0, clock=clock, bounds=[[-2, 2], [-1, 3]])
    rng = np.random.default_rng(0)
    sizes = rng.choice([1, 13, 250, 2000], size=2000)
    parts = chunks_of(hist, sizes)
    s.reset(next(parts))
    page = apply(None, unpack(**vars(s.flush())))
    kinds, sent_generation = [], s.buffer.generation
    for chunk in parts:
        s.push(chunk)
        clock.now += float(rng.choice([0.001, 0.01, 0.05]))
        p = s.flush()
        if p is None:
            continue
        kinds.append(p.content["type"])
        if kinds[-1] == "thin":  # the kept rows go as indices (4 bytes), only new rows whole
            kept, new = p.content["thin"]["kept"], p.content["n"]
            assert p.nbytes == 4 * kept + (8 + 16 * 2) * new
            assert kept + new == len(s.buffer) and s.buffer.generation > sent_generation
        else:  # a frame: no thinning since the last packet
            assert s.buffer.generation == sent_generation
        sent_generation = s.buffer.generation
        page = apply(page, unpack(p.content, p.buffers))
        assert not page["stale"]
        held = s.buffer.rows()
        np.testing.assert_array_equal(page["steps"], held.steps)
        np.testing.assert_array_equal(page["xy"], held.xy.astype(np.float32))
        np.testing.assert_array_equal(page["loss"], held.loss.astype(np.float32))
    assert kinds.count("thin") >= 10 and "history" not in kinds
    # several thinnings came between two packets (one thin then)
    assert s.buffer.generation > kinds.count("thin")


def test_a_thin_that_does_not_fit_leaves_the_page_stale_until_the_history():
    s = Streamer(1, capacity=16, max_fps=1e9)
    rows = [
        type("C", (), {"steps": np.arange(a, a + 10), "loss": np.ones((10, 1)) / (a + 1),
                       "params": np.stack([np.arange(a, a + 10.0) ** 1.5,
                                           np.sin(np.arange(a, a + 10.0))], -1)[:, None],
                       "grad_norm": np.ones((10, 1)), "lr": np.ones((10, 1)), "evals": None})
        for a in range(0, 200, 10)
    ]  # fmt: skip
    s.reset(rows[0])
    page = apply(None, unpack(**vars(s.flush())))
    s.push(rows[1])
    s.flush()  # this packet is lost on its way
    for chunk in rows[2:]:
        s.push(chunk)
        page = apply(page, unpack(**vars(s.flush())))
    assert page["stale"]  # a thin came whose base the page did not hold
    s.request_history()
    page = apply(page, unpack(**vars(s.flush())))
    assert not page["stale"]
    np.testing.assert_array_equal(page["steps"], s.buffer.rows().steps)
