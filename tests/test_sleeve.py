"""The sleeve filter: the rows a history takes by chords keep every skipped point within the
bound recorded, by brute force, on paths of every kind; and it takes far fewer rows than the
ball filter where the eye sees no change (a straight stretch, a run oscillating between two
points)."""

from __future__ import annotations

import numpy as np
import pytest

from gdwidget.stream import HistoryBuffer, PixelView
from gdwidget.stream import sleeve as sleeve_mod
from gdwidget.stream.buffers import BALL_FRACTION, DEFAULT_TOLERANCE_PX
from gdwidget.stream.paths import segment_distance

VIEW = [[-2.0, 2.0], [-2.0, 2.0]]
PX = (400, 400)  # 100 pixels a unit

pytestmark = pytest.mark.skipif(not sleeve_mod.COMPILED.load(), reason="needs numba")


def paths(kind: str, n: int, R: int, seed: int) -> np.ndarray:
    """``(n, R, 2)`` points of one kind of motion."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)[:, None]
    if kind == "walk":  # steps of a hundredth to a few pixels
        scale = rng.choice([1e-4, 1e-3, 1e-2, 3e-2], size=R)
        return np.cumsum(rng.normal(size=(n, R, 2)) * scale[None, :, None], axis=0)
    if kind == "spiral":
        r = 1.5 * np.exp(-t / (n / 3)) * np.ones(R)
        a = t * (0.01 + 0.05 * np.arange(R))
        return np.stack([r * np.cos(a), r * np.sin(a)], axis=-1)
    if kind == "zigzag":  # a damped zigzag across a valley, moving along it
        sign = np.where(t % 2 == 0, 1.0, -1.0)
        x = -1.5 + 3.0 * t / n + 0 * np.arange(R)
        y = sign * 0.5 * np.exp(-t / (n / 5)) * (1 + np.arange(R))
        return np.stack([x * np.ones(R), y], axis=-1)
    if kind == "two-point":  # a sign-based optimizer at rest: A, B, A, B, ...
        a = rng.uniform(-1, 1, size=(R, 2))
        b = a + rng.uniform(-0.03, 0.03, size=(R, 2))
        return np.where((t % 2 == 0)[..., None], a, b)
    if kind == "line":
        d = rng.uniform(-1, 1, size=(R, 2))
        return -0.5 + (t / n)[..., None] * d
    if kind == "gaps":  # a walk whose points stop being finite for a while, then resume
        xy = paths("walk", n, R, seed)
        xy[n // 3 : n // 2, 0] = np.nan
        xy[2 * n // 3 :, -1] = np.inf
        return xy
    raise ValueError(kind)


def feed(xy: np.ndarray, sizes: list[int], seed: int, capacity: int = 1 << 20) -> HistoryBuffer:
    """Offer the points in chunks of random sizes from ``sizes``, with frames between."""
    rng = np.random.default_rng(seed)
    n, R = xy.shape[:2]
    buf = HistoryBuffer(R, capacity, bounds=VIEW, px=PX, loss_px=64)
    loss = np.ones((n, R))  # a flat loss: the loss chart asks only for its buckets' ends
    a = 0
    while a < n:
        b = min(n, a + int(rng.choice(sizes)))
        z = np.zeros((b - a, R))
        buf.append(np.arange(a, b), loss[a:b], xy[a:b], z, z)
        if rng.random() < 0.3:
            buf.commit_pending()  # a frame went
        a = b
    buf.commit_pending()
    return buf


def worst_per_row(buf: HistoryBuffer, xy: np.ndarray) -> np.ndarray:
    """For each row held, the farthest true point between it and the row before, from the
    segment joining them (pixels, per run): what its recorded bound must cover."""
    view = PixelView.from_bounds(VIEW, PX)
    r = buf.rows()
    p, k = view.to_px(xy), view.to_px(r.xy)
    steps = np.arange(len(xy))
    j = np.clip(np.searchsorted(r.steps, steps, side="right") - 1, 0, len(r.steps) - 2)
    d = segment_distance(p, k[j], k[j + 1])
    inside = ~np.isin(steps, r.steps)  # rows held are on their polyline
    worst = np.zeros((len(r), xy.shape[1]))
    np.maximum.at(worst, j[inside] + 1, d[inside])
    return worst


@pytest.mark.parametrize("kind", ["walk", "spiral", "zigzag", "two-point", "line", "gaps"])
@pytest.mark.parametrize("seed", [0, 1])
def test_every_skipped_point_lies_within_the_bound_recorded_for_its_chord(kind, seed):
    xy = paths(kind, 6000, 3, seed)
    buf = feed(xy, [1, 2, 7, 100, 1500], seed)
    r = buf.rows()
    assert r.steps[0] == 0 and r.steps[-1] == len(xy) - 1 and np.all(np.diff(r.steps) > 0)
    worst = worst_per_row(buf, xy)
    err = buf._err[: buf.n]
    delta = DEFAULT_TOLERANCE_PX * BALL_FRACTION
    assert np.all(worst <= err + 1e-4), np.abs(worst - err).max()
    assert err.max() <= delta + 1e-6
    assert buf.precision["px"] <= delta + 1e-6


def test_an_oscillation_between_two_points_and_a_straight_stretch_take_almost_no_rows(monkeypatch):
    n = 20_000
    two = paths("two-point", n, 2, 3)
    line = paths("line", n, 2, 3)
    assert feed(line, [1000], 0).precision["px"] < 1e-9  # the straight stretch is drawn exactly
    counts = {}
    for name in ("sleeve", "ball"):
        if name == "ball":
            monkeypatch.setattr(sleeve_mod.COMPILED, "state", "failed")
        counts[name] = [len(feed(xy, [1000], 0)) for xy in (two, line)]
    # the loss chart's 64 columns ask for the ends of their buckets: about 2 x 64 x log2(n / 64)
    buckets = 2 * 64 * int(np.log2(n / 64) + 1)
    assert counts["ball"][0] == n  # every point is over a pixel from the one before
    assert counts["sleeve"][0] <= buckets + 0.1 * buckets, counts
    assert counts["sleeve"][1] <= buckets + 0.1 * buckets, counts
    assert counts["ball"][1] > counts["sleeve"][1] + 200, counts  # the ball: every 0.3 pixel


@pytest.mark.parametrize("seed", range(4))
def test_loss_records_bucket_by_bucket_take_the_rows_of_the_vectorized_rule(seed, monkeypatch):
    from gdwidget.stream import prefilter

    rng = np.random.default_rng(seed)
    m, R = 500, 3
    loss = np.round(rng.normal(size=(m, R)), 1)  # ties, so the first of equal rows counts
    starts = np.unique(np.r_[0, rng.integers(1, m, size=int(rng.integers(0, 20)))])
    finite = np.ones((m, R), dtype=bool)
    results = []
    for few in (10**9, 0):  # bucket by bucket, then the vectorized rule
        monkeypatch.setattr(prefilter, "_FEW_PARTS", few)
        lo, hi = np.full(R, 0.3), np.full(R, 0.5)
        for continues in (False, True):
            out = prefilter.loss_records(loss, finite, starts, continues, lo, hi)
            results.append((out, lo.copy(), hi.copy()))
    for a, b in zip(results[:2], results[2:], strict=True):
        for x, y in zip(a, b, strict=True):
            np.testing.assert_array_equal(x, y)
    assert results[0][0].sum() >= len(starts)  # each bucket records its extremes
