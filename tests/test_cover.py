"""Scribbling runs stay within the pixel (gdwidget.stream.cover), checked by brute force.

RMSprop (1e-2) and Lion (0.01) scribble within a pixel or two of Rosenbrock's minimum for as
long as they run. Before the cover rule, a history too small for their rows coarsened them to
2 px; now their drawn paths stay within the tolerance both ways: every true point (from
``gd.run``) near the drawn polyline, and every drawn point near a true one.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial import cKDTree

import gdwidget as gd
from gdwidget.stream import cover
from gdwidget.stream.buffers import HistoryBuffer
from gdwidget.stream.cover import kept_ranges_all
from gdwidget.stream.paths import segment_distance
from gdwidget.stream.thinning import PixelView

STEPS = 300_000
BOUNDS = [[-2.0, 2.0], [-1.0, 3.0]]
PX = (390, 390)
OPTS = {
    "gd": lambda: gd.optim.sgd(1e-3),
    "rmsprop": lambda: gd.optim.rmsprop(1e-2),
    "lion": lambda: gd.optim.lion(0.01),
    "adam": lambda: gd.optim.adam(0.05),  # scribbles wider: its rows carry the others' points
}


@pytest.fixture(scope="module")
def truth():
    opts = {k: f() for k, f in OPTS.items()}
    res = gd.run(
        gd.functions.rosenbrock(), opts, start=(-1.5, 2.0), steps=STEPS, device="cpu", grad_tol=0.0
    )
    return np.asarray(res.params)[..., :2], np.asarray(res.loss)


def _fill(truth, capacity=2048):
    """A history of the true rows, thinned again and again."""
    xy, loss = truth
    buf = HistoryBuffer(xy.shape[1], capacity, bounds=BOUNDS, px=PX, loss_px=200)
    zeros = np.zeros_like(loss)
    for a in range(0, xy.shape[0], 5000):
        s = slice(a, a + 5000)
        buf.append(np.arange(xy.shape[0])[s], loss[s], xy[s], zeros[s], zeros[s])
    buf.commit_pending()
    return buf


SPACING = 0.05  # pixels between the samples of a drawn path


def _samples(line: np.ndarray) -> np.ndarray:
    """Points along the polyline ``line``, at most ``SPACING`` apart."""
    a, b = line[:-1], line[1:]
    k = np.maximum(1, np.ceil(np.hypot(*(b - a).T) / SPACING)).astype(np.int64)
    seg = np.repeat(np.arange(a.shape[0]), k + 1)
    first = np.repeat(np.cumsum(k + 1) - (k + 1), k + 1)
    t = ((np.arange(seg.shape[0]) - first) / k[seg])[:, None]  # 0, 1/k, ..., 1 per segment
    return a[seg] + t * (b[seg] - a[seg])


def _to_path(points: np.ndarray, path: np.ndarray, within: float) -> float:
    """The largest distance from ``points`` to the polyline ``path``: the nearest vertex's
    where that is ``within``, else the nearest segment's (long segments all, short ones
    by their midpoints: one within ``within`` has its midpoint within ``within + 1``)."""
    d = cKDTree(np.unique(path, axis=0)).query(points)[0]
    far = np.flatnonzero(d > within)
    if not far.size:
        return float(d.max())
    a, b = path[:-1], path[1:]
    long = np.hypot(*(b - a).T) > 2.0
    short = np.flatnonzero(~long)
    mids = cKDTree((a[short] + b[short]) / 2)
    for i, near in zip(far, mids.query_ball_point(points[far], within + 1.0), strict=True):
        seg = np.concatenate([np.flatnonzero(long), short[near]])
        if seg.size:
            d[i] = min(d[i], segment_distance(points[i], a[seg], b[seg]).min())
    return float(d.max())


def _both_ways(buf, truth, bounds):
    """Per run, the largest distance from a true point to the drawn path (at most
    ``SPACING / 2`` over), and from a drawn point to the true path, in pixels."""
    view = PixelView.from_bounds(BOUNDS, PX)
    true_px, drawn_px = view.to_px(truth[0]), view.to_px(buf.rows().xy)
    out = []
    for r in range(true_px.shape[1]):
        drawn = _samples(drawn_px[:, r])
        to_drawn = cKDTree(drawn).query(true_px[:, r])[0].max()
        out.append((float(to_drawn), _to_path(drawn, true_px[:, r], float(bounds[r]))))
    return out


def test_scribbling_runs_stay_within_the_pixel_both_ways(truth):
    buf = _fill(truth)
    assert buf.generation > 10
    run_px = buf.run_px()
    assert (run_px[:3] <= buf.tolerance).all(), run_px  # gd, rmsprop, lion: within the pixel
    for (to_drawn, to_true), bound in zip(_both_ways(buf, truth, run_px), run_px, strict=True):
        assert to_drawn <= bound + SPACING / 2
        assert to_true <= bound + 1e-6


def test_without_the_cover_rule_the_scribblers_coarsen(truth, monkeypatch):
    """The test above can fail: the same rows, with the rule off, need 2 px."""

    def off(steps, px, err, cover_, eps, runs, windows, **_):
        return px, err, cover_, np.zeros(steps.shape[0], dtype=bool), windows

    monkeypatch.setattr("gdwidget.stream.thinning.relax", off)
    buf = _fill(truth)
    assert buf.run_px()[1:3].min() > buf.tolerance


def test_windows_stay_within_their_budget(truth):
    buf = _fill(truth)
    wins = buf._windows
    assert 0 < len(wins) <= cover.MAX_WINDOWS * buf.n_runs
    held = cover.in_windows(buf.rows().steps, wins).sum()
    assert held <= buf.capacity // 2 // cover.WINDOW_SHARE


def test_kept_ranges_all_reads_every_row_of_each_range():
    rng = np.random.default_rng(3)
    flags = rng.random((50, 3)) < 0.8
    idx = np.sort(rng.choice(50, 12, replace=False))
    got = kept_ranges_all(flags, idx)
    for i, b in enumerate(idx):
        a = idx[i - 1] + 1 if i else 0
        assert (got[i] == flags[a : b + 1].all(axis=0)).all()


def test_the_distance_map_never_reads_less_than_the_distance():
    rng = np.random.default_rng(5)
    u = np.cumsum(rng.normal(size=(300, 2)), axis=0) * 0.4 + 50
    umap = cover._DistanceMap(u[:-1], u[1:], 1.0)
    p = rng.uniform(u.min(0) - 2, u.max(0) + 2, size=(5000, 2))
    exact = segment_distance(p[:, None], u[None, :-1], u[None, 1:]).min(axis=1)
    got = umap.at(p)
    inside = np.isfinite(got)
    assert inside.mean() > 0.5
    assert (got >= exact - 1e-9).all()
    assert (got[inside] - exact[inside]).max() <= 2 * umap.cell * np.sqrt(0.5) + 1e-9
