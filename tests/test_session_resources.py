"""The live layer's resources: a closed Playground is freed, memory stays bounded, the paths
are thinned for the views' plots and keep their bound, and the stream reaches every subscriber.

Driven through the fake comm of widget_helpers, as the page would drive them.
"""

from __future__ import annotations

import gc
import tracemalloc
import weakref

import numpy as np
import pytest
from widget_helpers import Bowl, distance_to_polyline, page_state, wait_for
from widget_helpers import make_shown as make

import gdwidget as gd
from gdwidget.live import viewcount

pytestmark = [
    pytest.mark.filterwarnings("ignore:gdwidget's JavaScript bundle is missing"),
    pytest.mark.usefixtures("no_stray_loops"),
]


# ---------------------------------------------------------------------------------------
# Resources
# ---------------------------------------------------------------------------------------
def test_a_closed_playground_is_freed():
    def played_and_closed() -> weakref.ref:
        w, _ = make(speed=0)
        w.play()
        assert wait_for(lambda: w.run.t > 3)
        w.close()
        return weakref.ref(w)

    ref = played_and_closed()
    gc.collect()
    assert ref() is None


def test_create_and_close_a_hundred_times_costs_little_memory():
    def cycle() -> None:
        w, _ = make(grid_size=(40, 30))
        w.step(5)
        w.close()

    for _ in range(5):
        cycle()
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        for _ in range(100):
            cycle()
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    assert grown < 5_000_000, f"100 create/close cycles kept {grown / 1e6:.1f} MB"


def test_a_thousand_runs_stay_under_200_mb():
    starts = np.random.default_rng(0).uniform(-2, 2, size=(1000, 2))
    tracemalloc.start()
    try:
        w, comm = make(gd.functions.rosenbrock(), {"adam": gd.optim.adam(0.01)}, start=starts)
        # the fake page keeps every message it got; a page keeps only the latest state (1,000
        # runs' status each frame would otherwise count, and more of it on a slower machine)
        keep = comm.send
        comm.send = lambda data, *a, **k: data.get("method") == "update" or keep(data, *a, **k)
        w.step(3000)
        peak = tracemalloc.get_traced_memory()[1]
        assert w.session.streamer.buffer.n <= w.meta["max_history"]
        assert len(page_state(comm.packets())["steps"]) <= w.meta["max_history"]
    finally:
        tracemalloc.stop()
    w.close()
    assert peak < 200_000_000, f"peak {peak / 1e6:.0f} MB"


def test_the_default_history_grows_with_the_runs_within_its_budget():
    """Each race gets rows for every run's loss extremes per pixel column (the kernel's
    buffer and the page's meta agree), again after an optimizer is added; a given
    max_history is kept whatever the runs."""
    one, _ = make(gd.functions.rosenbrock(), {"gd": gd.optim.sgd(1e-3)})
    eight = {f"r{i}": gd.optim.sgd(1e-4 * (i + 1)) for i in range(8)}
    w, _ = make(gd.functions.rosenbrock(), eight)
    fixed, _ = make(gd.functions.rosenbrock(), eight, max_history=512)
    try:
        assert one.meta["max_history"] == one.session.streamer.buffer.capacity == 4096
        assert w.meta["max_history"] == w.session.streamer.buffer.capacity == 16_384
        assert w.session.streamer.buffer.nbytes() < 8_000_000
        one.add_optimizer("adam", gd.optim.adam(0.01))
        assert one.meta["max_history"] == one.session.streamer.buffer.capacity == 6144
        assert fixed.meta["max_history"] == fixed.session.streamer.buffer.capacity == 512
    finally:
        for x in (one, w, fixed):
            x.close()


def test_the_status_says_each_runs_path_bound_and_it_holds():
    """A run the rows cannot hold within a pixel (Adam scribbling at its minimum, in 256
    rows) has its bound in the status the legend reads; every true point keeps to it."""
    f = gd.functions.rosenbrock()
    opts = {"adam": gd.optim.adam(0.05), "gd": gd.optim.sgd(1e-3)}
    w, _ = make(f, opts, start=(-1.5, 2.0), max_history=512)
    try:
        w.step(20_000)
        px = {s["label"]: s["path_px"] for s in w.status}
        assert px == {
            "adam": pytest.approx(w.history.precision["run_px"][0], abs=1e-3),
            "gd": pytest.approx(w.history.precision["run_px"][1], abs=1e-3),
        }
        assert px["adam"] > 1.0 >= px["gd"]
        truth = gd.run(f, opts, start=(-1.5, 2.0), steps=20_000, device="cpu", grad_tol=0.0)
        view = w.session.streamer.buffer.view
        for r, label in enumerate(opts):
            true_px = view.to_px(truth.params[:, r, :2])
            held_px = view.to_px(w.history.xy[:, r])
            worst = distance_to_polyline(true_px, held_px).max()
            assert worst <= px[label] + 1e-3, (label, worst, px[label])
    finally:
        w.close()


def test_a_view_tells_the_plot_size_the_paths_are_thinned_for():
    w, comm = make()
    before = w.session.streamer.buffer.view
    assert (before.sx, before.sy) == (450 / 4, 400 / 4)  # the default plot on a 4 x 4 box
    comm.page_sends({"type": "view_open", "id": "v", "px": [300, 200]})
    after = w.session.streamer.buffer.view
    assert w.session.out.px == (300, 200) and (after.sx, after.sy) == (75.0, 50.0)
    w.close()


def test_paths_stay_thinned_for_the_largest_plot_a_view_has_had():
    """A window made narrower for a while (or a second, smaller view) must not leave the rows
    thinned for its smaller plot: back at the larger size, every run keeps its tolerance
    there, and each true point is within the bound of the rows held."""
    f, opts = gd.functions.rosenbrock(), {"adam": gd.optim.adam(0.05), "gd": gd.optim.sgd(1e-3)}
    w, comm = make(f, opts, start=(-1.5, 2.0), max_history=512)
    try:
        comm.page_sends({"type": "view_open", "id": "v", "px": [600, 400]})
        w.step(10_000)
        comm.page_sends({"type": "view_open", "id": "v", "px": [200, 130]})  # narrower
        assert w.session.out.px == (600, 400)
        generation = w.session.streamer.buffer.generation
        w.step(10_000)
        assert w.session.streamer.buffer.generation > generation  # thinned while narrow
        comm.page_sends({"type": "view_open", "id": "v", "px": [600, 400]})  # wide again
        prec = w.history.precision
        assert max(prec["run_px"]) <= float(np.max(prec["tolerance"])) + 1e-9
        truth = gd.run(f, opts, start=(-1.5, 2.0), steps=20_000, device="cpu", grad_tol=0.0)
        view = w.session.streamer.buffer.view
        for r in range(2):
            worst = distance_to_polyline(
                view.to_px(truth.params[::5, r, :2]), view.to_px(w.history.xy[:, r])
            ).max()
            assert worst <= prec["run_px"][r] + 1e-3
        comm.page_sends({"type": "view_open", "id": "w", "px": [800, 300]})  # a second view
        assert w.session.out.px == (800, 400)
    finally:
        w.close()


def test_subscribers_see_every_frame_and_can_leave():
    w, comm = make(Bowl(), {"gd": gd.optim.sgd(0.1)}, start=(1.0, 1.0))
    comm.page_sends({"type": "request_history"})
    seen = []
    leave = w.subscribe(lambda: seen.append(w.history.steps[-1]))
    w.step(5)
    assert seen and seen[-1] == 5  # the listener reads the history that includes the frame's rows
    leave()
    n = len(seen)
    w.step(5)
    assert len(seen) == n
    w.close()


def test_a_failing_subscriber_does_not_stop_the_stream(caplog):
    w, comm = make(Bowl(), {"gd": gd.optim.sgd(0.1)}, start=(1.0, 1.0))
    comm.page_sends({"type": "request_history"})
    w.subscribe(lambda: 1 / 0)
    w.step(3)
    assert w.run.t == 3 and "frame listener failed" in caplog.text
    w.close()


def test_closing_one_of_two_views_counts_the_other():
    views = viewcount.ViewCount()
    for i in ("a", "b"):
        views.note(gd.live.protocol.ViewOpen(id=i, px=None), (1, 1))
    views.note(gd.live.protocol.ViewClose(id="a"), (1, 1))
    assert list(views.ids) == ["b"] and not views.all_gone and not views.gone_for_good()
    views.note(gd.live.protocol.ViewClose(id="b"), (1, 1))
    assert views.all_gone
