"""When the rows cannot hold every path within a pixel and every loss column's extremes, the
loss buckets widen up to 16 columns first, then the crowding runs' paths coarsen up to 4 px,
and only then does the loss widen further (checked by brute force on what is kept)."""

from __future__ import annotations

import numpy as np

from gdwidget.stream.paths import segment_distance
from gdwidget.stream.thinning import _LOSS_FIRST, PixelView, select_rows


def _race(scribble: int, n: int = 4000, seed: int = 0):
    """Two straight runs and one that scribbles in a 3 px blob for ``scribble`` rows, then
    stands; losses of noise (every bucket has extremes of its own); one unit a pixel."""
    rng = np.random.default_rng(seed)
    xy = np.zeros((n, 3, 2))
    xy[:, 0] = np.c_[np.linspace(0, 90, n), np.full(n, 10.0)]
    xy[:, 1] = np.c_[np.full(n, 20.0), np.linspace(0, 90, n)]
    xy[:, 2] = 51.5
    xy[:scribble, 2] = 50 + rng.uniform(0, 3, (scribble, 2))
    loss = rng.lognormal(size=(n, 3))
    view = PixelView.from_bounds([[0, 100], [0, 100]], (100, 100))
    return np.arange(n), loss, xy, view


def _check_kept(steps, loss, xy, view, sel) -> None:
    """Every point within its run's tolerance of the kept polyline; every bucket of the
    selection's width keeps each run's smallest and largest loss."""
    k = sel.keep
    j = np.clip(np.searchsorted(k, np.arange(steps.size), side="right") - 1, 0, k.size - 2)
    px = view.to_px(xy)
    d = segment_distance(px, px[k[j]], px[k[j + 1]])
    assert (d.max(axis=0) <= sel.tolerance + 1e-9).all(), (d.max(axis=0), sel.tolerance)
    bucket = steps // sel.width
    for b in np.unique(bucket):
        inside, kept = loss[bucket == b], loss[k[bucket[k] == b]]
        np.testing.assert_array_equal(kept.min(axis=0), inside.min(axis=0))
        np.testing.assert_array_equal(kept.max(axis=0), inside.max(axis=0))


def test_the_scribbling_run_coarsens_before_the_loss_widens_past_16_columns():
    steps, loss, xy, view = _race(scribble=1000)
    # 600 rows: one pixel for the scribble would leave the loss buckets 32 columns wide
    sel = select_rows(steps, loss, xy, np.zeros((4000, 3)), 600, view, tolerance=1.0, columns=100)
    assert sel.level <= _LOSS_FIRST, sel.level
    assert sel.run_level.tolist() == [0, 0, 1]  # the scribble at 2 px, the others at 1
    _check_kept(steps, loss, xy, view, sel)


def test_the_loss_widens_where_its_few_columns_do_not_fit_and_paths_keep_their_pixel():
    steps, loss, xy, view = _race(scribble=0)
    # 20 rows: the loss buckets of 16 columns alone would take 32; the paths need few
    sel = select_rows(steps, loss, xy, np.zeros((4000, 3)), 20, view, tolerance=1.0, columns=100)
    assert sel.level > _LOSS_FIRST and sel.run_level.tolist() == [0, 0, 0]
    _check_kept(steps, loss, xy, view, sel)
