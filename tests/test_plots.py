"""gd.plots: bqplot figures of a Playground, a finished History and a monitor.

The marks' data is compared with the source's own arrays (per label, with the Playground's
colours); live figures follow ``w.step`` within the bounded history and let go when closed.
"""

from __future__ import annotations

import sys
import time
from types import SimpleNamespace

import numpy as np
import pytest

pytest.importorskip("bqplot")

import gdwidget as gd  # noqa: E402
from gdwidget.live.meta import DASHES, PALETTE  # noqa: E402
from gdwidget.plots import figures, sources  # noqa: E402
from gdwidget.plots.live import Throttle  # noqa: E402
from gdwidget.stream.thinning import PixelView, segment_distance  # noqa: E402

RACE = {"gd": gd.optim.sgd(1e-3), "adam": gd.optim.adam(0.05), "rms": gd.optim.rmsprop(1e-2)}


def wait_for(cond, timeout: float = 20.0) -> bool:
    """Poll ``cond()`` until true or ``timeout`` seconds (a deadline, not a measurement)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.02)
    return bool(cond())


def lines_of(fig) -> dict[str, object]:
    """The figure's curve marks by label (band marks left out)."""
    import bqplot as bq

    return {
        m.labels[0]: m
        for m in fig.marks
        if isinstance(m, bq.Lines) and m.fill != "between" and m.labels
    }


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


# ---------------------------------------------------------------------------------------------
# a monitor (a stand-in with the documented interface)
# ---------------------------------------------------------------------------------------------
class FakeMonitor:
    """``history`` with steps, scalars (n, k), lr, grad_norm, layers, layer_norms, path."""

    def __init__(self, n: int = 20, seeds: int = 3) -> None:
        rng = np.random.default_rng(0)
        self.n, self.seeds, self.rng = n, seeds, rng
        self.listeners: list = []
        self._set(n)

    def _set(self, n: int) -> None:
        rng = self.rng
        self.history = SimpleNamespace(
            steps=np.arange(n),
            scalars={
                "loss": np.exp(-np.arange(n)[:, None] / 5.0) + rng.random((n, self.seeds)),
                "acc": rng.random((n, 1)),
            },
            lr={"group0": np.full(n, 0.1), "group1": np.linspace(0.01, 0.001, n)},
            grad_norm=rng.random(n),
            layers=["fc1.weight", "fc2.weight"],
            layer_norms=rng.random((n, 2)),
            clipped=np.zeros(n, bool),
            path_steps=np.arange(n),
            path=rng.random((n, 2)),
        )

    def subscribe(self, fn):
        self.listeners.append(fn)
        return lambda: self.listeners.remove(fn)

    def log_rows(self, n: int) -> None:
        self._set(n)
        for fn in list(self.listeners):
            fn()


def test_monitor_curves_equal_its_history():
    m = FakeMonitor()
    h = m.history
    loss = lines_of(gd.plots.loss(m))
    assert list(loss) == ["loss", "acc"]
    np.testing.assert_array_equal(loss["loss"].x, h.steps)
    np.testing.assert_allclose(loss["loss"].y, h.scalars["loss"].mean(axis=1))
    np.testing.assert_array_equal(loss["acc"].y, h.scalars["acc"][:, 0])
    assert loss["loss"].colors == [PALETTE[0]] and loss["acc"].colors == [PALETTE[1]]
    band = next(b for b in gd.plots.loss(m).marks if b.fill == "between")
    np.testing.assert_array_equal(band.y, [h.scalars["loss"].min(1), h.scalars["loss"].max(1)])
    assert band.labels == ["loss (band)"]  # one seed ("acc") has no band
    lr = lines_of(gd.plots.lr(m))
    np.testing.assert_array_equal(lr["group1"].y, h.lr["group1"])
    norms = lines_of(gd.plots.grad_norms(m))
    assert list(norms) == ["global", "fc1.weight", "fc2.weight"]
    np.testing.assert_array_equal(norms["global"].y, h.grad_norm)
    np.testing.assert_array_equal(norms["fc2.weight"].y, h.layer_norms[:, 1])
    path = lines_of(gd.plots.paths(m))["path"]
    np.testing.assert_array_equal(np.c_[path.x, path.y], h.path)


def test_monitor_figure_is_live_until_closed():
    m = FakeMonitor(n=5)
    fig = gd.plots.loss(m)
    assert len(m.listeners) == 1
    m.log_rows(50)
    mark = lines_of(fig)["loss"]
    assert wait_for(lambda: len(mark.x) == 50)
    np.testing.assert_allclose(mark.y, m.history.scalars["loss"].mean(axis=1))
    fig.close()
    assert m.listeners == []


def test_monitor_history_alone_is_drawn_once():
    h = FakeMonitor().history
    np.testing.assert_array_equal(lines_of(gd.plots.grad_norms(h))["global"].y, h.grad_norm)


# ---------------------------------------------------------------------------------------------
# the real monitor
# ---------------------------------------------------------------------------------------------
def test_real_monitor_figures_follow_its_history():
    rng = np.random.default_rng(1)
    m = gd.monitor(band="std")
    figs = {"loss": gd.plots.loss(m), "paths": gd.plots.paths(m)}
    assert len(m._listeners) == 2
    params = rng.normal(size=10)
    for t in range(60):
        params = params - 0.05 * params + 0.01 * rng.normal(size=10)
        m.log(t, loss=list(np.exp(-t / 20) + 0.1 * rng.random(3)), acc=t / 60, params=params)
    m.flush()
    h = m.history
    loss = lines_of(figs["loss"])
    assert wait_for(lambda: len(loss["loss"].x) == 60)
    assert list(loss) == ["loss", "acc"] and loss["acc"].colors == [PALETTE[1]]
    np.testing.assert_array_equal(loss["loss"].x, h.steps)
    v = h.scalars["loss"]
    np.testing.assert_allclose(loss["loss"].y, v.mean(axis=1))
    band = next(b for b in figs["loss"].marks if b.fill == "between")
    np.testing.assert_allclose(band.y, [v.mean(1) - v.std(1), v.mean(1) + v.std(1)])
    assert h.path.shape[0] > 1
    assert wait_for(lambda: len(lines_of(figs["paths"])["path"].x) == len(m.history.path))
    path = lines_of(figs["paths"])["path"]
    np.testing.assert_array_equal(np.c_[path.x, path.y], m.history.path)
    figs["loss"].close()
    assert len(m._listeners) == 1
    m.close()  # the monitor closes: the paths figure lets go too
    assert m._listeners == []


def test_real_monitor_of_torch_draws_lr_and_layer_norms():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    m = gd.monitor(model=net, optimizer=opt, projection=None)
    x, y = torch.randn(32, 4), torch.randn(32, 1)
    for _ in range(20):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(net(x), y)
        loss.backward()
        opt.step()
        m.log(loss=loss.item())
    m.flush()
    h = m.history
    lr, norms = lines_of(gd.plots.lr(h)), lines_of(gd.plots.grad_norms(m))
    assert list(lr) == list(h.lr) and list(norms) == ["global", *h.layers]
    np.testing.assert_array_equal(lr[list(h.lr)[0]].y, h.lr[list(h.lr)[0]])
    # norms are read every few steps: the lines join the steps where they were read
    read = np.isfinite(h.grad_norm)
    assert 2 <= read.sum() < len(h.steps) and len(h.layers) >= 2
    np.testing.assert_array_equal(norms["global"].x, h.steps[read])
    np.testing.assert_array_equal(norms["global"].y, h.grad_norm[read])
    for j, layer in enumerate(h.layers):
        read = np.isfinite(h.layer_norms[:, j])
        np.testing.assert_array_equal(norms[layer].x, h.steps[read])
        np.testing.assert_array_equal(norms[layer].y, h.layer_norms[read, j])
    m.close()


# ---------------------------------------------------------------------------------------------
# the pieces
# ---------------------------------------------------------------------------------------------
def test_missing_bqplot_names_the_extra(monkeypatch):
    h = gd.run(gd.functions.rosenbrock(), RACE, steps=3, device="cpu")
    monkeypatch.setitem(sys.modules, "bqplot", None)
    for make in (gd.plots.loss, gd.plots.paths, gd.plots.lr, gd.plots.dashboard):
        with pytest.raises(ImportError, match=r'pip install "gdwidget\[plots\]"'):
            make(h)


def test_bad_arguments():
    h = gd.run(gd.functions.rosenbrock(), RACE, steps=3, device="cpu")
    with pytest.raises(TypeError, match="source must be"):
        gd.plots.loss([1, 2, 3])
    with pytest.raises(TypeError, match="log_y must be"):
        gd.plots.loss(h, log_y="yes")


def test_log_axis_turns_on_when_values_span_decades():
    c = sources.Curve("a", np.arange(3), np.array([1.0, 0.1, 0.05]), PALETTE[0])
    assert not figures.spans_decades([c])
    chart = figures.LineChart("loss", "loss", log_y=None, css="x")
    chart.update([c])
    assert type(chart.sy).__name__ == "LinearScale"
    c2 = sources.Curve("a", np.arange(4), np.array([1.0, 0.1, 0.05, 0.001]), PALETTE[0])
    chart.update([c2])
    assert type(chart.sy).__name__ == "LogScale" and chart.figure.axes[1].scale is chart.sy
    assert chart.lines["a"].scales["y"] is chart.sy
    neg = sources.Curve("a", np.arange(2), np.array([-1.0, 2.0]), PALETTE[0])
    chart.update([neg])  # on a log axis a value <= 0 is not drawn
    assert np.isnan(chart.lines["a"].y[0]) and chart.lines["a"].y[1] == 2.0


def test_colour_values_match_the_widget_transform():
    z = np.array([[1.0, 10.0], [100.0, np.nan]])
    np.testing.assert_allclose(figures.colour_values(z, False), [[0, 9 / 99], [1, np.nan]])
    np.testing.assert_allclose(figures.colour_values(z, True), [[0, 0.5], [1, np.nan]])
    # beyond six decades (or through zero): log10 of the distance to the minimum, 6 decades
    z = np.array([0.0, 1e-9, 1.0])
    eps = 1e-6
    expect = (np.log10(z + eps) - np.log10(eps)) / (np.log10(1 + eps) - np.log10(eps))
    np.testing.assert_allclose(figures.colour_values(z, True), expect)


def test_throttle_defers_a_call_inside_the_period_and_keeps_the_last():
    now = [0.0]
    calls: list[float] = []
    t = Throttle(lambda: calls.append(now[0]), max_fps=10, clock=lambda: now[0])
    t()
    assert calls == [0.0]
    now[0] = 0.05
    t()
    t()  # folds into the pending call
    assert calls == [0.0]
    assert wait_for(lambda: len(calls) == 2)  # the timer draws the last frame
    now[0] = 0.06
    t()
    t.cancel()
    time.sleep(0.15)
    assert len(calls) == 2  # cancelled: the pending call is dropped
