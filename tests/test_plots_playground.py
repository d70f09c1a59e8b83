"""gd.plots: bqplot figures of a Playground and a finished History.

The marks' data is compared with the source's own arrays (per label, with the Playground's
colours); live figures follow ``w.step`` within the bounded history and let go when closed.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("bqplot")

from plots_helpers import RACE, lines_of, wait_for  # noqa: E402

import gdwidget as gd  # noqa: E402
from gdwidget.live.meta import DASHES, PALETTE  # noqa: E402
from gdwidget.plots import sources  # noqa: E402
from gdwidget.stream.paths import segment_distance  # noqa: E402
from gdwidget.stream.thinning import PixelView  # noqa: E402


@pytest.fixture
def playground():
    w = gd.Playground(
        gd.functions.rosenbrock(),
        RACE,
        start=[(-1.5, 2.0), (1.0, -0.5)],
        device="cpu",
        grad_tol=0.0,
        max_history=32,
    )
    try:
        yield w
    finally:
        w.close()


# ---------------------------------------------------------------------------------------------
# a Playground
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name,attr", [("loss", "loss"), ("lr", "lr"), ("grad_norms", "grad_norm")])
def test_playground_curves_equal_its_history(playground, name, attr):
    w = playground
    w.step(40)
    fig = getattr(gd.plots, name)(w)
    h = w.history
    marks = lines_of(fig)
    assert list(marks) == h.labels and len(h.labels) == 6  # three optimizers, two starts
    colours = {r["label"]: r["color"] for r in w.meta["runs"]}
    for r, label in enumerate(h.labels):
        m = marks[label]
        np.testing.assert_array_equal(m.x, h.steps)
        np.testing.assert_array_equal(m.y, getattr(h, attr)[:, r])
        assert m.colors == [colours[label]]
        assert m.colors == [PALETTE[list(RACE).index(h.groups[r])]]
        assert m.line_style == "solid"
    fig.close()


def test_playground_paths_draw_history_and_landscape(playground):
    w = playground
    w.step(25)
    fig = gd.plots.paths(w)
    h = w.history
    marks = lines_of(fig)
    for r, label in enumerate(h.labels):
        np.testing.assert_array_equal(marks[label].x, h.xy[:, r, 0])
        np.testing.assert_array_equal(marks[label].y, h.xy[:, r, 1])
    starts, now = (m for m in fig.marks if type(m).__name__ == "Scatter")
    np.testing.assert_array_equal(np.c_[starts.x, starts.y], h.xy[0])
    np.testing.assert_array_equal(np.c_[now.x, now.y], h.xy[-1])
    assert starts.colors == [PALETTE[list(RACE).index(g)] for g in h.groups]
    heat = fig.marks[0]
    gm = w.grid_meta
    z = np.frombuffer(w.grid, "<f4").reshape(gm["ny"], gm["nx"]).astype(float)
    np.testing.assert_allclose(heat.x, np.linspace(gm["x0"], gm["x1"], gm["nx"]))
    np.testing.assert_allclose(heat.y, np.linspace(gm["y0"], gm["y1"], gm["ny"]))
    assert gm["log"]  # rosenbrock: the widget colours it on a log scale, so do we
    finite = z[np.isfinite(z)]
    lo, hi = finite.min(), finite.max()
    # the grid reaches rosenbrock's minimum (0): more than six decades, so the widget maps
    # log10 of the distance to the smallest value over six decades (js/scales.js)
    assert lo <= 0 or np.log10(hi / lo) > 6
    eps = (hi - lo) * 1e-6
    expect = (np.log10(z - lo + eps) - np.log10(eps)) / (np.log10(hi - lo + eps) - np.log10(eps))
    np.testing.assert_allclose(heat.color, expect, rtol=1e-12, atol=1e-12)
    assert fig.axes[0].scale.min == gm["x0"] and fig.axes[1].scale.max == gm["y1"]
    # the view moves: the landscape follows
    w.set_view([[-1.0, 1.0], [-0.5, 1.5]])
    assert wait_for(lambda: heat.x[0] == -1.0 and heat.y[-1] == 1.5)
    fig.close()


def test_playground_loss_is_log_when_its_objective_is(playground):
    assert type(gd.plots.loss(playground).axes[1].scale).__name__ == "LogScale"
    assert type(gd.plots.loss(playground, log_y=False).axes[1].scale).__name__ == "LinearScale"
    assert type(gd.plots.lr(playground).axes[1].scale).__name__ == "LinearScale"


def test_live_figure_follows_steps_and_stays_bounded(playground):
    w = playground
    fig = gd.plots.loss(w)
    m = lines_of(fig)[w.run.labels[0]]
    assert list(m.x) == [0]
    w.step(10)
    assert wait_for(lambda: m.x[-1] == 10)
    w.step(3000)
    assert wait_for(lambda: m.x[-1] == 3010)
    h = w.history
    assert len(h.steps) <= 32
    np.testing.assert_array_equal(m.x, h.steps)  # the same bounded rows, no copy of its own
    np.testing.assert_array_equal(m.y, h.loss[:, 0])
    fig.close()


def test_closing_figure_or_playground_unsubscribes(playground):
    w = playground
    listeners = w.session.out.listeners
    fig = gd.plots.loss(w)
    dash = gd.plots.dashboard(w)
    assert len(listeners) == 2  # the dashboard's four figures share one subscription
    fig.close()
    assert len(listeners) == 1
    w.step(5)
    assert list(lines_of(fig)[w.run.labels[0]].x) == [0]  # a closed figure no longer moves
    other = gd.plots.paths(w)
    assert len(listeners) == 2
    w.close()
    assert listeners == []
    del dash, other


def test_dashboard_is_four_figures(playground):
    import bqplot as bq

    d = gd.plots.dashboard(playground)
    assert [type(c) for c in d.children] == [bq.Figure] * 4
    assert [c.title for c in d.children] == ["paths", "loss", "learning rate", "gradient norm"]


# ---------------------------------------------------------------------------------------------
# a finished History
# ---------------------------------------------------------------------------------------------
def test_history_curves_and_paths_equal_the_run():
    h = gd.run(gd.functions.rosenbrock(), RACE, start=(-1.5, 2.0), steps=300, device="cpu")
    loss, paths, lr = gd.plots.loss(h), gd.plots.paths(h), gd.plots.lr(h)
    for r, label in enumerate(h.labels):
        np.testing.assert_array_equal(lines_of(loss)[label].x, h.steps)
        np.testing.assert_array_equal(lines_of(loss)[label].y, h.loss[:, r])
        np.testing.assert_array_equal(lines_of(lr)[label].y, h.lr[:, r])
        np.testing.assert_array_equal(lines_of(paths)[label].x, h.params[:, r, 0])
        np.testing.assert_array_equal(lines_of(paths)[label].y, h.params[:, r, 1])
        assert lines_of(loss)[label].colors == [PALETTE[r]]
    assert not paths.marks[0].visible  # a History has no landscape
    # these losses stay within two decades (12.5 down to about 1.7): a linear axis
    assert h.loss.max() / h.loss.min() < 100
    assert type(loss.axes[1].scale).__name__ == "LinearScale"
    adam = {"adam": RACE["adam"]}
    h = gd.run(gd.functions.rosenbrock(), adam, start=(-1.5, 2.0), steps=1500, device="cpu")
    assert h.loss.max() / h.loss.min() > 1e6
    assert type(gd.plots.loss(h).axes[1].scale).__name__ == "LogScale"


def test_history_beyond_twelve_optimizers_dashes_like_the_playground():
    opts = {f"sgd{i}": gd.optim.sgd(1e-4 * (i + 1)) for i in range(13)}
    h = gd.run(gd.functions.rosenbrock(), opts, start=(-1.5, 2.0), steps=5, device="cpu")
    marks = lines_of(gd.plots.loss(h))
    assert marks["sgd12"].colors == [PALETTE[0]] and DASHES[1] == [8, 4]
    assert marks["sgd12"].line_style == "dashed" and marks["sgd11"].line_style == "solid"


def test_long_history_is_thinned_truthfully():
    steps = 20_000
    h = gd.run(gd.functions.rosenbrock(), RACE, start=(-1.5, 2.0), steps=steps, device="cpu")
    loss, paths = gd.plots.loss(h), gd.plots.paths(h)
    for r, label in enumerate(h.labels):
        m = lines_of(loss)[label]
        idx = np.asarray(m.x).astype(int)
        assert sources.MAX_ROWS // 4 < len(idx) < steps // 2 and idx[0] == 0 and idx[-1] == steps
        np.testing.assert_array_equal(m.y, h.loss[idx, r])  # drawn points are true points
        assert np.nanmin(m.y) == np.nanmin(h.loss[:, r]) and m.y.max() == h.loss[:, r].max()
        # every true point of the path lies within the promised pixel of the drawn polyline
        p = lines_of(paths)[label]
        drawn = np.c_[p.x, p.y]
        keep = np.searchsorted(h.steps, idx)
        np.testing.assert_array_equal(drawn, h.params[keep, r, :2])
        xy = h.params[:, :, :2]
        lo, hi = xy.reshape(-1, 2).min(0), xy.reshape(-1, 2).max(0)
        view = PixelView.from_bounds([[lo[0], hi[0]], [lo[1], hi[1]]], sources._PATH_PX)
        seg = np.searchsorted(keep, np.arange(len(h.steps)), side="right").clip(1, len(keep) - 1)
        a = view.to_px(drawn[seg - 1])
        b = view.to_px(drawn[seg])
        d = segment_distance(view.to_px(xy[:, r]), a, b)
        assert d.max() <= sources._PATH_TOL + 1e-9
