"""A swept group (one rate per run) on the page: one entry, one slider that scales every
run's rate and keeps their ratios, exactly as ``Run.scale_lr`` does."""

from __future__ import annotations

import numpy as np
from widget_helpers import make

import gdwidget as gd
from gdwidget.engine import Run

START = np.array([-1.0, 1.5])


def test_the_slider_of_a_swept_group_scales_every_run_keeping_the_ratios():
    f = gd.functions.rosenbrock()
    lrs = np.array([1e-4, 1e-3, 4e-3])

    def race():
        return {"adam": gd.optim.adam(lrs.copy()), "sgd": gd.optim.sgd(1e-3)}

    w, comm = make(f, race(), start=START)
    ref = Run(f, race(), START, device="cpu")
    g = w.meta["groups"][0]
    assert g["runs"] == 3 and g["swept"] == ["lr"] and w.meta["groups"][1]["swept"] == []
    assert g["lr"] == 4e-3 and g["lr_range"] == [1e-4, 4e-3]
    w.step(20)
    ref.advance(20)
    comm.page_sends({"type": "set_lr", "group": "adam", "value": 2e-3})  # the slider: the largest
    ref.scale_lr("adam", 2e-3 / 4e-3)
    g = w.meta["groups"][0]
    assert g["lr"] == 2e-3 and g["lr_range"] == [0.5e-4, 2e-3]
    w.step(20)
    c = ref.advance(20)
    h = w.history
    np.testing.assert_array_equal(h.lr[-20:], c.lr)
    np.testing.assert_array_equal(h.lr[-1, :3], lrs * 0.5)  # the ratios are kept
    np.testing.assert_array_equal(h.loss[-20:], c.loss)
    w.close()


def test_a_per_run_schedule_is_a_swept_group_and_its_slider_scales_it():
    sched = gd.schedules.cosine(np.array([1e-3, 1e-2]), T_max=50)
    w, comm = make(gd.functions.rosenbrock(), {"s": gd.optim.sgd(sched)}, start=START)
    g = w.meta["groups"][0]
    assert g["runs"] == 2 and g["swept"] == ["lr"] and g["peak"] == 1e-2
    comm.page_sends({"type": "set_lr", "group": "s", "value": 5e-3})
    assert w.meta["groups"][0]["scale"] == 0.5
    w.close()
