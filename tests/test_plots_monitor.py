"""gd.plots: bqplot figures of a monitor (a stand-in and the real one), and the pieces the
figures are made of."""

from __future__ import annotations

import sys
import time
from types import SimpleNamespace

import numpy as np
import pytest

pytest.importorskip("bqplot")

from plots_helpers import RACE, lines_of, wait_for  # noqa: E402

import gdwidget as gd  # noqa: E402
from gdwidget.live.meta import PALETTE  # noqa: E402
from gdwidget.plots import figures, sources  # noqa: E402
from gdwidget.plots.live import Throttle  # noqa: E402


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
