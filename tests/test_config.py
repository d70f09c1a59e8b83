"""Playground.config() and Playground.from_config(): JSON out, the same race back, bit for bit;
and the controls= and target= arguments."""

from __future__ import annotations

import json

import numpy as np
import pytest
from widget_helpers import FakeComm, make

import gdwidget as gd
from gdwidget import transforms as gt
from gdwidget.live import config as C
from gdwidget.widget import Playground

pytestmark = pytest.mark.filterwarnings(
    "ignore:gdwidget's JavaScript bundle is missing", "ignore:gdwidget runs on the CPU"
)


def rebuild(w):
    cfg = json.loads(json.dumps(w.config()))  # really JSON: nothing but plain values survive
    w2 = Playground.from_config(cfg, device="cpu")
    w2.comm = FakeComm()
    return w2, cfg


SETUPS = {
    "plain": lambda: (
        gd.functions.rosenbrock(),
        {"gd": gd.optim.sgd(1e-3, momentum=0.9), "adam": gd.optim.adam(0.05, betas=(0.8, 0.95))},
        {"start": [-1.0, 1.5], "target": {"loss": 1e-3, "steps": 200}, "controls": ["play", "lr"]},
    ),
    "expression + chain + schedule": lambda: (
        gd.Function("x**2 + 3*sin(y) + 0.1*y**2", bounds=[(-3, 3), (-4, 4)], minima=[(0, -1.3)]),
        {
            "noisy": gd.chain(
                gt.clip_by_global_norm(1.0),
                gt.add_noise(0.1, seed=3),
                gd.optim.sgd(gd.schedules.warmup_cosine(0.0, 0.1, 10, 80)),
            ),
            "adamw": gd.optim.adamw(0.05, weight_decay=0.1, amsgrad=True),
        },
        {"start": [[1.0, 2.0], [-2.0, 0.5]]},
    ),
    "sophia, lion, rmsprop, adagrad on a quadratic": lambda: (
        gd.functions.quadratic(cond=30, angle=20),
        {
            "sophia": gd.optim.sophia(0.1, rho=0.05, k=3),
            "lion": gd.optim.lion(0.01, weight_decay=0.1),
            "rms": gd.optim.rmsprop(0.01, centered=True, momentum=0.5),
            "ada": gd.optim.adagrad(0.3, lr_decay=0.01),
        },
        {"speed": 15.0},
    ),
    "per-run rates": lambda: (
        gd.functions.himmelblau(),
        {"sweep": gd.optim.adam(np.array([0.01, 0.05, 0.2]))},
        {},
    ),
}


@pytest.mark.parametrize("name", SETUPS)
def test_from_config_of_config_races_bit_for_bit(name):
    f, opts, kw = SETUPS[name]()
    w, _ = make(f, opts, **kw)
    w2, cfg = rebuild(w)
    assert w2.config() == cfg
    w.step(60)
    w2.step(60)
    a, b = w.history, w2.history
    assert a.labels == b.labels and a.steps[-1] == 60
    np.testing.assert_array_equal(a.loss, b.loss)
    np.testing.assert_array_equal(a.xy, b.xy)
    np.testing.assert_array_equal(a.lr, b.lr)
    w.close()
    w2.close()


def test_the_config_holds_the_current_settings():
    w, comm = make(gd.functions.rosenbrock(), {"gd": gd.optim.sgd(1e-3)}, speed=30.0)
    comm.page_sends({"type": "set_lr", "group": "gd", "value": 2e-3})
    w.reset([0.5, -0.5])
    cfg = w.config()
    assert cfg["optimizers"]["gd"]["args"]["lr"] == 2e-3
    assert cfg["starts"] == [[0.5, -0.5]] and cfg["speed"] == 30.0
    assert cfg["function"] == {"name": "rosenbrock", "args": {"a": 1.0, "b": 100.0, "n": 2}}
    assert cfg["controls"] is None and cfg["target"] is None
    w.close()


def test_what_has_no_json_form_says_so():
    w, _ = make(gd.Function(lambda p: (p**2).sum(axis=1)), {"gd": gd.optim.sgd(0.1)})
    with pytest.raises(ValueError, match="Python callable"):
        w.config()
    w.close()
    w, _ = make(gd.functions.booth(), {"gd": gd.optim.sgd(lambda t: 0.1)})
    with pytest.raises(ValueError, match="gd.schedules"):
        w.config()
    w.close()
    with pytest.raises(ValueError, match="made by Playground.config"):
        Playground.from_config({"function": "rosenbrock"})


def test_controls_and_target_are_checked():
    with pytest.raises(ValueError, match="unknown control"):
        make(controls=["play", "jump"])
    with pytest.raises(ValueError, match="target"):
        make(target={"loss": 1e-3, "step": 5})
    with pytest.raises(ValueError, match="steps"):
        make(target={"steps": 0})
    w, _ = make(controls=("play", "reset"), target={"loss": 1e-3})
    assert w.shown_controls == ["play", "reset"] and w.target == {"loss": 1e-3}
    w.close()


def test_reached_is_the_first_step_under_the_target_within_the_steps():
    f = gd.functions.quadratic(cond=10)
    opts = {"fast": gd.optim.gd(0.15), "slow": gd.optim.gd(0.01)}
    w, _ = make(f, opts, target={"loss": 1e-3, "steps": 40})
    w.step(60)
    h = gd.run(f, {"fast": gd.optim.gd(0.15), "slow": gd.optim.gd(0.01)}, steps=60, device="cpu")
    first = int(np.argmax(h.loss[:, 0] <= 1e-3))
    assert 0 < first <= 40 and not np.any(h.loss[:41, 1] <= 1e-3)
    assert w.reached() == {"fast": first, "slow": None}
    w.close()
    assert C.reached(h.loss, h.steps, h.labels, {}) == {}
