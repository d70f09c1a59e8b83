"""Every optimizer, plain and chained, through the Playground's front doors.

The Playground's steps equal a headless run's; the page's slider changes a constant
rate exactly as ``Run.set_lr`` does and scales a schedule exactly as ``Run.scale_lr``
does; the legend lists what differs from each factory's defaults; and a schedule that
fails stops its own runs without blocking the others or their controls.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from test_optim_everywhere import NAMES, OPTIMIZERS, START
from widget_helpers import make

import gdwidget as gd
from gdwidget import transforms as gt
from gdwidget.engine import Run

pytestmark = pytest.mark.filterwarnings("ignore:gdwidget's JavaScript bundle is missing")


def race(name: str) -> dict:
    factory, lr, _ = OPTIMIZERS[name]
    return {
        "plain": factory(lr),
        "clip": gd.chain(gt.clip_by_global_norm(1.0), factory(lr)),
        "nested": gd.chain(
            gt.clip_by_value(5.0), gd.chain(gt.clip_by_global_norm(2.0), factory(lr))
        ),
    }


@pytest.mark.parametrize("name", NAMES)
def test_the_slider_changes_every_optimizer_and_chain_as_set_lr_does(name):
    f = gd.functions.rosenbrock()
    w, comm = make(f, race(name), start=START, grad_tol=0.0)
    ref = Run(f, race(name), START, device="cpu")
    w.step(30)
    ref.advance(30)
    new = OPTIMIZERS[name][1] * 0.5
    for label in ("plain", "clip", "nested"):
        comm.page_sends({"type": "set_lr", "group": label, "value": new})
        ref.set_lr(label, new)
    assert [g["lr"] for g in w.meta["groups"]] == [new] * 3
    w.step(30)
    c = ref.advance(30)
    h = w.history
    assert h.steps[-1] == 60 and np.all(np.diff(h.steps) == 1)  # 61 rows: nothing thinned
    np.testing.assert_array_equal(h.loss[-30:], c.loss)
    np.testing.assert_array_equal(h.lr[-30:], c.lr)
    # the legend: each chain shows its optimizer's changed hyperparameters, as the plain one
    hyper = [r["hyper"] for r in w.meta["runs"]]
    plain = {k: v for k, v in hyper[0].items() if k != "transforms"}
    assert all({k: v for k, v in hy.items() if k != "transforms"} == plain for hy in hyper)
    w.close()


def test_the_slider_of_a_schedule_scales_it_and_set_lr_replaces_it():
    f = gd.functions.rosenbrock()
    sched = gd.schedules.warmup_cosine(0.0, 0.05, warmup_steps=10, decay_steps=200)
    w, comm = make(f, {"adam": gd.optim.adam(sched), "sgd": gd.optim.sgd(1e-3)}, start=START)
    g = w.meta["groups"][0]
    assert g["peak"] == pytest.approx(0.05) and g["lr"] == pytest.approx(0.05)
    assert g["schedule"] is not None and g["scale"] == 1.0
    w.step(20)
    comm.page_sends({"type": "set_lr", "group": "adam", "value": 0.02})  # the slider: new peak
    assert w.run.optimizers["adam"].lr is sched  # scaled, never replaced
    assert w.meta["groups"][0]["scale"] == pytest.approx(0.4)
    assert w.meta["groups"][0]["lr"] == pytest.approx(0.02)
    w.step(20)
    h = w.history
    rows = h.steps > 21
    np.testing.assert_allclose(h.lr[rows, 0], [0.4 * sched(int(t) - 1) for t in h.steps[rows]])
    w.scale_lr("adam", 2.0)  # from Python, what the slider does
    w.step(1)
    assert w.history.lr[-1, 0] == pytest.approx(2.0 * sched(int(w.t) - 1))
    w.set_lr("adam", 1e-3)  # a float: a constant rate
    assert w.meta["groups"][0]["schedule"] is None and w.meta["groups"][0]["lr"] == 1e-3
    w.close()


def test_a_failing_schedule_stops_its_runs_and_blocks_no_other_control():
    def bad(t: int) -> float:
        if t >= 5:
            raise ZeroDivisionError("oops")
        return 1e-3

    f = gd.functions.rosenbrock()
    w, comm = make(f, {"bad": gd.optim.sgd(bad), "good": gd.optim.adam(0.05)}, start=START)
    w.step(10)
    status = {s["label"]: s for s in w.status}
    assert status["bad"]["status"] == "stopped" and "bad" in status["bad"]["note"]
    assert status["good"]["status"] == "running" and w.t == 10
    comm.page_sends({"type": "set_lr", "group": "good", "value": 0.01})
    w.step(10)
    assert w.t == 20 and w.history.lr[-1, 1] == pytest.approx(0.01)
    ref = gd.run(f, {"good": gd.optim.adam(0.05)}, start=START, steps=10)
    np.testing.assert_array_equal(w.history.loss[:11, 1], ref.loss[:, 0])
    w.close()


def test_auto_on_a_laptop_is_quiet_and_says_the_device():
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.filterwarnings("ignore", message="gdwidget's JavaScript bundle is missing")
        w, _ = make(gd.functions.rosenbrock(), {"a": gd.optim.adam(0.05)}, device="auto")
    if w.run.backend.device == "cpu":
        assert w.meta["device_label"] == "CPU · NumPy"
    w.close()
