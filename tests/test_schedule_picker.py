"""The schedule picker: w.set_schedule and the page's set_schedule message, against the
schedules called directly and gd.run built with the same schedule; the planned curve in meta
against the rates the history recorded; time travel across a change of schedule."""

from __future__ import annotations

import numpy as np
import pytest
from widget_helpers import make, wait_for

import gdwidget as gd
from gdwidget.engine import Run
from gdwidget.live import protocol as p
from gdwidget.live.planned import MAX_AHEAD, horizon, planned
from gdwidget.live.schedulepick import CATALOGUE, build, default_total

pytestmark = pytest.mark.filterwarnings("ignore:gdwidget's JavaScript bundle is missing")

F = gd.functions.rosenbrock()
START = [[-1.2, 1.0], [0.5, -0.5]]

# every built-in the picker offers, with parameters given explicitly
PICKS = {
    "constant": {"lr": 0.02},
    "step": {"lr": 0.05, "step_size": 40, "gamma": 0.5},
    "exponential": {"lr": 0.05, "gamma": 0.99},
    "cosine": {"lr": 0.05, "T_max": 150, "eta_min": 0.001},
    "linear_warmup": {"lr": 0.05, "warmup_steps": 30, "start_factor": 0.1, "end_factor": 1.0},
    "warmup_cosine": {
        "init_value": 0.0,
        "peak_value": 0.05,
        "warmup_steps": 20,
        "decay_steps": 150,
        "end_value": 0.001,
    },
    "one_cycle": {
        "max_lr": 0.05,
        "total_steps": 200,
        "pct_start": 0.3,
        "div_factor": 25.0,
        "final_div_factor": 1e4,
    },
}


def race(lr=0.01) -> dict:
    return {"adam": gd.optim.adam(lr), "sgd": gd.optim.sgd(1e-3, momentum=0.9)}


def test_the_catalogue_is_the_built_ins():
    assert set(PICKS) == set(CATALOGUE)
    for name, params in PICKS.items():
        factory = getattr(gd.schedules, name)
        assert repr(build(name, params, rate=1.0, total=10)) == repr(factory(**params))


@pytest.mark.parametrize("name", list(PICKS))
def test_set_at_step_0_equals_building_with_the_schedule(name):
    w, _ = make(F, race(), start=START)
    w.set_schedule("adam", name, **PICKS[name])
    w.step(250)
    sched = getattr(gd.schedules, name)(**PICKS[name])
    opts = race()
    opts["adam"] = gd.optim.adam(sched)
    ref = gd.run(F, opts, START, steps=250, device="cpu", grad_tol=1e-6)
    h = w.history
    np.testing.assert_array_equal(h.loss, ref.loss)
    np.testing.assert_array_equal(h.xy, ref.params)
    # row 0 was recorded at reset, with the rate in force before the pick; the rest are equal
    np.testing.assert_array_equal(h.lr[1:], ref.lr[1:])
    np.testing.assert_array_equal(w.run.params, ref.params[-1])
    w.close()


def test_picked_mid_run_the_next_step_uses_the_schedule_at_the_global_step():
    w, _ = make(F, {"sgd": gd.optim.sgd(1e-3)}, start=START)
    w.step(37)
    x0 = np.asarray(w.run.params).copy()
    _, g = F.value_and_grad(x0)
    w.set_schedule("sgd", "cosine", lr=2e-3, T_max=100)
    sched = gd.schedules.cosine(2e-3, T_max=100)
    w.step(1)
    # plain gradient descent: x_38 = x_37 - schedule(37) * grad(x_37)
    np.testing.assert_array_equal(w.run.params, x0 - sched(37) * g)
    w.step(20)
    h = w.history
    # lr[s] is the rate of the update that led to step s: update t used schedule(t)
    np.testing.assert_array_equal(h.lr[38:, 0], [sched(t) for t in range(37, 58)])
    np.testing.assert_array_equal(h.lr[:38, 0], 1e-3)  # the rates before the pick
    assert w.meta["groups"][0]["schedule_pick"] == {
        "name": "cosine",
        "params": {"lr": 2e-3, "T_max": 100, "eta_min": 0.0},
    }
    w.close()


def test_a_schedule_object_and_defaults():
    w, _ = make(F, race(), start=START, target={"loss": 1e-3, "steps": 500})
    sched = gd.schedules.exponential(0.02, 0.99)
    w.set_schedule("sgd", sched)
    assert w.run.optimizers["sgd"].lr is sched
    # defaults: the group's current rate, and the target's steps for the step counts
    w.set_schedule("adam", "warmup_cosine")
    want = gd.schedules.warmup_cosine(0.0, 0.01, warmup_steps=50, decay_steps=500)
    assert repr(w.run.optimizers["adam"].lr) == repr(want)
    w.close()
    assert default_total(0) == 300 and default_total(400) == 800
    assert default_total(10, 200) == 200 and default_total(250, 200) == 500


@pytest.mark.parametrize(
    "label,name,params,match",
    [
        ("zz", "cosine", {}, "label"),
        ("adam", "cosinus", {}, "name must be one of"),
        ("adam", "cosine", {"Tmax": 5}, "no parameter 'Tmax'"),
        ("adam", "cosine", {"T_max": 0}, "T_max"),
        ("adam", "cosine", {"lr": -1.0}, "lr"),
        ("adam", "step", {"gamma": float("nan")}, "gamma"),
        ("adam", "one_cycle", {"pct_start": 2.0}, "pct_start"),
        ("adam", "cosine", {"T_max": 2.5}, "T_max"),
        ("adam", "cosine", {"T_max": "many"}, "T_max"),
    ],
)
def test_bad_input_is_refused_naming_the_argument_and_changes_nothing(label, name, params, match):
    w, _ = make(F, race(), start=START)
    w.step(5)
    before = (w.run.optimizers["adam"].lr, repr(w.meta["groups"]))
    with pytest.raises(ValueError, match=match):
        w.set_schedule(label, name, **params)
    assert (w.run.optimizers["adam"].lr, repr(w.meta["groups"])) == before
    w.step(1)
    assert w.history.lr[-1, 0] == 0.01
    w.close()


def test_the_page_message_sets_the_schedule_and_bad_ones_are_refused():
    cmd = p.parse(
        {"type": "set_schedule", "group": "adam", "name": "cosine", "params": {"T_max": 80}}
    )
    assert cmd == p.SetSchedule("adam", "cosine", {"T_max": 80.0})
    for bad in ({"T_max": "x"}, [1, 2], {"T_max": float("inf")}):
        with pytest.raises(p.BadMessage):
            p.parse({"type": "set_schedule", "group": "adam", "name": "cosine", "params": bad})
    w, comm = make(F, race(), start=START)
    comm.page_sends(
        {"type": "set_schedule", "group": "adam", "name": "cosine", "params": {"T_max": 80}}
    )
    assert wait_for(lambda: callable(w.run.optimizers["adam"].lr))
    assert repr(w.run.optimizers["adam"].lr) == repr(gd.schedules.cosine(0.01, T_max=80))
    w.close()


@pytest.mark.parametrize("name", ["step", "cosine", "warmup_cosine", "one_cycle"])
def test_planned_equals_the_schedule_and_the_rates_used(name):
    w, _ = make(F, race(), start=START)
    w.step(10)
    w.set_schedule("adam", name, **PICKS[name])
    sched = getattr(gd.schedules, name)(**PICKS[name])
    plan = w.meta["groups"][0]["planned"]
    steps = np.asarray(plan["steps"])
    # up to the step after the schedule's last planned update (300 steps where none is named)
    end = {"step": 299, "cosine": 151, "warmup_cosine": 151, "one_cycle": 201}[name]
    assert steps[0] == 0 and steps[-1] == end and len(steps) <= 400  # thinned, ends kept
    # at step s, the rate of the update that led there (the first update's at step 0)
    np.testing.assert_array_equal(plan["lr"][0], [sched(max(int(s) - 1, 0)) for s in steps])
    w.step(end - 10)
    h = w.history
    after = steps > 10  # where both exist (after the pick): planned and used agree exactly
    rows = np.searchsorted(h.steps, steps[after])
    assert np.array_equal(h.steps[rows], steps[after])
    np.testing.assert_array_equal(h.lr[rows, 0], np.asarray(plan["lr"][0])[after])
    assert w.meta["groups"][1]["planned"] is None  # a constant rate has no plan
    w.close()


def test_planned_of_a_scaled_and_of_a_per_run_schedule():
    per_run = gd.schedules.cosine(np.array([0.01, 0.02]), T_max=50)
    r = Run(F, {"a": gd.optim.adam(per_run)}, np.array(START * 1)[:1].repeat(2, 0), device="cpu")
    plan = planned(r.optimizers["a"], r.t)
    assert plan["steps"] == list(range(52))
    np.testing.assert_array_equal(plan["lr"][1], [per_run(max(s - 1, 0))[1] for s in range(52)])
    r.scale_lr("a", 0.5)
    c = r.advance(3)  # steps 1..3
    np.testing.assert_array_equal(planned(r.optimizers["a"], r.t)["lr"][0][1:4], c.lr[:, 0])


def test_fork_across_a_change_of_schedule_is_exact():
    w, _ = make(F, race(), start=START)
    w.step(50)
    w.set_schedule("adam", "cosine", lr=0.05, T_max=150)
    w.step(100)
    h = w.history
    future = (h.loss[100:].copy(), h.lr[100:].copy(), np.asarray(w.run.params).copy())
    w.fork(100)  # after the change: the replay keeps the schedule picked at 50
    w.step(50)
    h = w.history
    np.testing.assert_array_equal(h.loss[100:], future[0])
    np.testing.assert_array_equal(h.lr[100:], future[1])
    np.testing.assert_array_equal(w.run.params, future[2])
    w.fork(30)  # before the change: from 30 on, the settings now set (the cosine)
    w.step(120)
    ref = Run(F, race(), START, device="cpu", grad_tol=1e-6)
    ref.advance(30)
    ref.set_lr("adam", gd.schedules.cosine(0.05, T_max=150))
    c = ref.advance(120)
    np.testing.assert_array_equal(w.history.lr[-120:], c.lr)
    np.testing.assert_array_equal(w.run.params, ref.params)
    w.close()


def test_the_horizon():
    assert horizon(gd.schedules.cosine(0.1, T_max=120), 0) == 122  # to the step after T_max
    assert horizon(gd.schedules.cosine(0.1, T_max=120), 500) == 501  # at least the step now
    assert horizon(gd.schedules.exponential(0.1, 0.99), 0) == 300
    assert horizon(gd.schedules.exponential(0.1, 0.99), 1000) == 2000
    assert horizon(gd.schedules.cosine(0.1, T_max=10**9), 7) == 7 + MAX_AHEAD
    assert horizon(lambda t: 0.1, 0) == 300  # a user's callable
