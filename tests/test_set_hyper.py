"""set_hyper: the next step equals a fresh optimizer built with the new value, same state."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import gdwidget as gd
from gdwidget.engine._rollback import copy_tree
from gdwidget.live import hypers
from gdwidget.live import protocol as p
from gdwidget.live.source import EngineSource
from gdwidget.optim import base

START = [-1.0, 1.5]

# (optimizer as built, hyperparameter, new value): every hyperparameter of every optimizer
CASES = [
    (gd.optim.sgd(1e-3, momentum=0.5), "momentum", 0.9),
    (gd.optim.sgd(1e-3, momentum=0.5), "momentum", 0.0),
    (gd.optim.sgd(1e-3), "momentum", 0.9),  # a new buffer, as zeros
    (gd.optim.sgd(1e-3, momentum=0.5), "dampening", 0.3),
    (gd.optim.sgd(1e-3, momentum=0.5), "weight_decay", 0.1),
    (gd.optim.sgd(1e-3, momentum=0.5), "nesterov", True),
    (gd.optim.rmsprop(1e-3), "alpha", 0.9),
    (gd.optim.rmsprop(1e-3), "eps", 1e-3),
    (gd.optim.rmsprop(1e-3), "weight_decay", 0.1),
    (gd.optim.rmsprop(1e-3), "momentum", 0.5),
    (gd.optim.rmsprop(1e-3), "centered", True),
    (gd.optim.adagrad(1e-2), "lr_decay", 0.1),
    (gd.optim.adagrad(1e-2), "weight_decay", 0.1),
    (gd.optim.adagrad(1e-2), "initial_accumulator_value", 1.0),
    (gd.optim.adagrad(1e-2), "eps", 1e-3),
    (gd.optim.adam(0.05), "betas", (0.5, 0.9)),
    (gd.optim.adam(0.05), "eps", 1e-3),
    (gd.optim.adam(0.05), "weight_decay", 0.1),
    (gd.optim.adam(0.05), "amsgrad", True),
    (gd.optim.adamw(0.05), "weight_decay", 0.2),
    (gd.optim.adamw(0.05), "betas", (0.8, 0.99)),
    (gd.optim.lion(0.01), "betas", (0.5, 0.9)),
    (gd.optim.lion(0.01), "weight_decay", 0.1),
    (gd.optim.sophia(0.05, k=3), "betas", (0.9, 0.9)),
    (gd.optim.sophia(0.05, k=3), "rho", 0.01),
    (gd.optim.sophia(0.05, k=3), "weight_decay", 0.0),
    (gd.optim.sophia(0.05, k=3), "eps", 1e-3),
    (gd.optim.sophia(0.05, k=3), "k", 2),
    (gd.optim.sophia(0.05, k=3), "estimator", "exact"),
    (gd.optim.sophia(0.05, k=3), "seed", 5),
]


def reference_step(src, label, name, value, old_state, params):
    """A fresh optimizer built with the new value, continued from a copy of the state."""
    opt = src.run.optimizers[label]
    fresh = opt._factory()(opt.lr, **{**opt.hyper, name: value})
    state = fresh.init(params)
    state.update(copy_tree(old_state))
    p = params.copy()
    hessian = None
    if fresh.hessian_every and state["step"] % fresh.hessian_every == 0:
        hessian = fresh.estimate_hessian(src.run.objective, p, state)
    fresh.step(p, np.asarray(src.run.grad).copy(), state, hessian=hessian)
    return p, state


@pytest.mark.parametrize("opt,name,value", CASES, ids=[f"{o.name}-{n}-{v}" for o, n, v in CASES])
def test_next_step_equals_a_fresh_optimizer(opt, name, value):
    src = EngineSource("rosenbrock", {"o": copy.deepcopy(opt)}, start=START, device="cpu")
    src.advance(4)
    old_state = copy_tree(src.run.states["o"])
    params = np.asarray(src.run.params).copy()
    hypers.set_hyper(src.run, "o", name, value)
    want, want_state = reference_step(src, "o", name, value, old_state, params)
    got = getattr(src.run.optimizers["o"], name)
    assert got == (tuple(value) if isinstance(value, tuple) else value)
    src.advance(1)
    np.testing.assert_array_equal(np.asarray(src.run.params), want)
    for key, v in want_state.items():
        if hasattr(v, "shape"):
            np.testing.assert_array_equal(np.asarray(src.run.states["o"][key]), v, err_msg=key)
    # and it keeps going: the run steps on without error
    src.advance(5)
    assert np.all(np.isfinite(np.asarray(src.run.params)))


def test_changes_actually_change_the_step():
    def step_with(value):
        src = EngineSource("rosenbrock", {"o": gd.optim.adam(0.05)}, start=START, device="cpu")
        src.advance(4)
        if value is not None:
            hypers.set_hyper(src.run, "o", "betas", value)
        src.advance(1)
        return np.asarray(src.run.params).copy()

    assert not np.array_equal(step_with(None), step_with((0.5, 0.9)))
    assert np.array_equal(step_with(None), step_with((0.9, 0.999)))


def test_chain_sets_its_optimizer():
    opt = gd.chain(gd.transforms.clip_by_global_norm(1.0), gd.optim.sgd(1e-3))
    src = EngineSource("rosenbrock", {"c": opt}, start=START, device="cpu")
    src.advance(2)
    hypers.set_hyper(src.run, "c", "momentum", 0.9)
    assert opt.optimizer.momentum == 0.9
    assert "momentum_buffer" in src.run.states["c"]["inner"]
    src.advance(3)
    assert np.abs(src.run.states["c"]["inner"]["momentum_buffer"]).sum() > 0


@pytest.mark.parametrize(
    "opt,name,value,match",
    [
        (gd.optim.sgd(1e-3), "momentum", -1.0, "momentum"),
        (gd.optim.sgd(1e-3, momentum=0.9), "dampening", 2.0, "dampening"),
        (gd.optim.sgd(1e-3, momentum=0.9, nesterov=True), "momentum", 0.0, "nesterov"),
        (gd.optim.adam(0.05), "betas", (1.5, 0.9), "betas"),
        (gd.optim.adam(0.05), "lr", 0.1, "set_lr"),
        (gd.optim.adam(0.05), "momentum", 0.1, "no hyperparameter"),
        (gd.optim.sophia(), "estimator", "magic", "estimator"),
        (gd.optim.sophia(), "k", 0, "k"),
    ],
)
def test_bad_values_are_refused_and_change_nothing(opt, name, value, match):
    src = EngineSource("rosenbrock", {"o": opt}, start=START, device="cpu")
    src.advance(2)
    before = copy.deepcopy(opt.hyper)
    with pytest.raises((ValueError, TypeError), match=match):
        hypers.set_hyper(src.run, "o", name, value)
    assert repr(opt.hyper) == repr(before)


def test_per_run_values_must_fit_the_group():
    src = EngineSource("rosenbrock", {"o": gd.optim.sgd(1e-3)}, start=START, device="cpu")
    with pytest.raises(ValueError, match="per-run"):
        hypers.set_hyper(src.run, "o", "momentum", [0.1, 0.2])
    with pytest.raises(ValueError, match="unknown optimizer"):
        hypers.set_hyper(src.run, "x", "momentum", 0.1)


def test_settings_describe_every_hyperparameter():
    for opt, _, _ in CASES:
        rows = hypers.settings(opt)
        assert [r["name"] for r in rows] == list(opt.hyper_names)
        for r in rows:
            v = getattr(opt, r["name"])
            assert r["value"] == (list(v) if isinstance(v, tuple) else v)
    kinds = {r["name"]: r["kind"] for r in hypers.settings(gd.optim.sophia())}
    assert kinds == {
        "betas": "pair",
        "rho": "number",
        "weight_decay": "number",
        "eps": "number",
        "k": "int",
        "estimator": "choice",
        "seed": "int",
    }
    assert hypers.settings(gd.optim.sgd(1e-3))[3] == {
        "name": "nesterov",
        "kind": "switch",
        "value": False,
        "at_reset": False,
    }


def test_parse_set_hyper_messages():
    cmd = p.parse({"type": "set_hyper", "group": "a", "name": "betas", "value": [0.5, 0.9]})
    assert cmd == p.SetHyper("a", "betas", (0.5, 0.9))
    assert p.parse({"type": "set_hyper", "group": "a", "name": "amsgrad", "value": True}).value
    for bad in (None, float("nan"), [1, 2, 3], {"x": 1}, ""):
        with pytest.raises(p.BadMessage):
            p.parse({"type": "set_hyper", "group": "a", "name": "eps", "value": bad})
    assert p.parse({"type": "xray", "on": False}) == p.Xray(False)
    with pytest.raises(p.BadMessage):
        p.parse({"type": "xray", "on": 1})


def test_playground_set_hyper_and_meta(tmp_path):
    w = gd.Playground("rosenbrock", {"sgd": gd.optim.sgd(1e-3, momentum=0.5)}, device="cpu")
    try:
        w.step(3)
        w.set_hyper("sgd", "momentum", 0.8)
        assert w.run.optimizers["sgd"].momentum == 0.8
        group = w.meta["groups"][0]
        assert {"name": "momentum", "kind": "number", "value": 0.8, "at_reset": False} in group[
            "settings"
        ]
        with pytest.raises(ValueError):
            w.set_hyper("sgd", "momentum", -1)
        # the page's message takes the same path
        w._on_msg(w, {"type": "set_hyper", "group": "sgd", "name": "dampening", "value": 0.25})
        assert w.run.optimizers["sgd"].dampening == 0.25
        x = w.internals("sgd")
        assert x["optimizer"] == "sgd" and x["step"] == 3
    finally:
        w.close()


def test_the_checks_are_the_optimizers_own():
    with pytest.raises(ValueError, match="eps must be >= 0"):
        hypers.rebuilt(gd.optim.adam(0.05), "eps", -1.0)
    with pytest.raises(TypeError, match="one value per optimizer"):
        hypers.rebuilt(gd.optim.adam(0.05), "amsgrad", [True, False])
    fresh = hypers.rebuilt(gd.optim.adam(base.check_lr(0.05)), "eps", 0.5)
    assert fresh.eps == 0.5 and fresh.lr == 0.05
