"""Every optimizer, plain and chained, through gd.run, Run.set_lr, Run.scale_lr and the legend.

References: torch.optim behind torch.nn.utils' clipping, and the unchained rule applied by
hand to the clipped gradient (gd, Lion and Sophia have no torch.optim counterpart).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import gdwidget as gd
import gdwidget.optim as go
import gdwidget.transforms as gt
from gdwidget.engine import Run

STEPS = 60
START = (-1.2, 1.4)

# name: (factory with the non-default hyperparameters, lr, torch.optim maker or None)
OPTIMIZERS = {
    "gd": (lambda lr: go.gd(lr), 1e-3, lambda ps, lr: torch.optim.SGD(ps, lr=lr)),
    "sgd": (lambda lr: go.sgd(lr), 1e-3, lambda ps, lr: torch.optim.SGD(ps, lr=lr)),
    "sgd-momentum": (
        lambda lr: go.sgd(lr, momentum=0.9),
        1e-3,
        lambda ps, lr: torch.optim.SGD(ps, lr=lr, momentum=0.9),
    ),
    "sgd-nesterov": (
        lambda lr: go.sgd(lr, momentum=0.9, nesterov=True),
        1e-3,
        lambda ps, lr: torch.optim.SGD(ps, lr=lr, momentum=0.9, nesterov=True),
    ),
    "adagrad": (lambda lr: go.adagrad(lr), 0.1, lambda ps, lr: torch.optim.Adagrad(ps, lr=lr)),
    "rmsprop": (lambda lr: go.rmsprop(lr), 1e-2, lambda ps, lr: torch.optim.RMSprop(ps, lr=lr)),
    "rmsprop-centered": (
        lambda lr: go.rmsprop(lr, centered=True),
        1e-2,
        lambda ps, lr: torch.optim.RMSprop(ps, lr=lr, centered=True),
    ),
    "adam": (lambda lr: go.adam(lr), 2e-2, lambda ps, lr: torch.optim.Adam(ps, lr=lr)),
    "amsgrad": (
        lambda lr: go.adam(lr, amsgrad=True),
        2e-2,
        lambda ps, lr: torch.optim.Adam(ps, lr=lr, amsgrad=True),
    ),
    "adamw": (lambda lr: go.adamw(lr), 2e-2, lambda ps, lr: torch.optim.AdamW(ps, lr=lr)),
    "lion": (lambda lr: go.lion(lr), 1e-2, None),
    "sophia": (lambda lr: go.sophia(lr, estimator="exact", k=3), 1e-2, None),
}
NAMES = list(OPTIMIZERS)


def _history(opt, steps=STEPS):
    h = gd.run(gd.functions.rosenbrock(), {"o": opt}, start=START, steps=steps, device="cpu")
    assert h.status == ["running"] and np.all(np.isfinite(h.params))
    return h.params[:, 0, :]


def _by_hand(opt, transforms, steps=STEPS):
    """The unchained rule on the clipped gradient, one step at a time."""
    f = gd.functions.rosenbrock()
    p = np.array([START], dtype=np.float64)
    state = opt.init(p)
    tstates = [t.init(p) for t in transforms]
    rows = [p[0].copy()]
    for _ in range(steps):
        _, g = f.value_and_grad(p)
        hessian = None
        if opt.hessian_every and state["step"] % opt.hessian_every == 0:
            hessian = opt.estimate_hessian(f, p, state)
        for t, s in zip(transforms, tstates, strict=True):
            t.apply(g, s, p)
        opt.step(p, g, state, hessian=hessian)
        rows.append(p[0].copy())
    return np.array(rows)


def _torch(make, lr, clip, steps=STEPS):
    p = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    opt = make([p], lr)
    rows = [np.array(START)]
    for _ in range(steps):
        opt.zero_grad()
        ((1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2).backward()
        clip(p)
        opt.step()
        rows.append(p.detach().numpy().copy())
    return np.array(rows)


@pytest.mark.parametrize("name", NAMES)
def test_chained_run_equals_clip_then_the_rule(name):
    make, lr, _ = OPTIMIZERS[name]
    clip = gt.clip_by_global_norm(1.0)
    ours = _history(gd.chain(clip, make(lr)))
    ref = _by_hand(make(lr), [gt.clip_by_global_norm(1.0)])
    assert np.max(np.abs(ref[-1] - ref[0])) > 1e-3  # the runs went somewhere
    np.testing.assert_array_equal(ours, ref)
    # clipping changed the path: the chain is not the plain optimizer
    assert np.max(np.abs(_history(make(lr)) - ours)) > 1e-6


@pytest.mark.parametrize("name", [n for n in NAMES if OPTIMIZERS[n][2] is not None])
def test_chained_run_equals_clip_then_torch(name):
    make, lr, theirs = OPTIMIZERS[name]
    ours = _history(gd.chain(gt.clip_by_global_norm(1.0), make(lr)))
    ref = _torch(theirs, lr, lambda p: torch.nn.utils.clip_grad_norm_([p], 1.0))
    np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_nested_chain_equals_the_transforms_in_order(name):
    make, lr, _ = OPTIMIZERS[name]
    opt = gd.chain(gt.clip_by_value(5.0), gd.chain(gt.clip_by_global_norm(1.0), make(lr)))
    ref = _by_hand(make(lr), [gt.clip_by_value(5.0), gt.clip_by_global_norm(1.0)])
    np.testing.assert_array_equal(_history(opt), ref)


def _three_ways(make, lr):
    """The plain optimizer, a chain of it (identity clip) and a nested chain, in one Run."""
    return {
        "plain": make(lr),
        "chain": gd.chain(gt.clip_by_value(1e12), make(lr)),
        "nested": gd.chain(
            gt.clip_by_value(1e12), gd.chain(gt.clip_by_global_norm(1e12), make(lr))
        ),
    }


@pytest.mark.parametrize("control", ["set_lr", "scale_lr", "set_schedule"])
@pytest.mark.parametrize("name", NAMES)
def test_lr_controls_act_on_chains_exactly_as_on_the_optimizer(name, control):
    make, lr, _ = OPTIMIZERS[name]
    r = Run(gd.functions.rosenbrock(), _three_ways(make, lr), start=START, device="cpu")
    untouched = Run(gd.functions.rosenbrock(), {"o": make(lr)}, start=START, device="cpu")
    first = r.advance(10)
    untouched.advance(10)
    for group in r.optimizers:
        if control == "set_lr":
            r.set_lr(group, lr / 4)
        elif control == "scale_lr":
            r.scale_lr(group, 0.25)
        else:
            r.set_lr(group, gd.schedules.exponential(lr / 2, gamma=0.9))
    after = r.advance(10)
    ref = untouched.advance(10)
    for i in (1, 2):
        np.testing.assert_array_equal(after.params[:, i], after.params[:, 0])
        np.testing.assert_array_equal(after.lr[:, i], after.lr[:, 0])
    np.testing.assert_array_equal(first.params[:, 1], first.params[:, 0])
    # the control changed the steps: the path left the one without it
    assert np.max(np.abs(after.params[:, 0] - ref.params[:, 0])) > 0
    want = {"set_lr": lr / 4, "scale_lr": lr / 4, "set_schedule": lr / 2 * 0.9**10}
    assert after.lr[0, 0] == pytest.approx(want[control], rel=1e-12)
    inner = r.optimizers["nested"].optimizer.optimizer
    assert inner.describe(changed_only=True) == r.optimizers["plain"].describe(changed_only=True)


# the non-default hyperparameters each factory is given, and what the legend must show
LEGENDS = [
    (go.gd, {}),
    (go.sgd, {"momentum": 0.9, "nesterov": True}),
    (go.sgd, {"dampening": 0.5, "weight_decay": 0.1}),
    (go.adagrad, {"lr_decay": 0.01, "initial_accumulator_value": 0.1}),
    (go.rmsprop, {"centered": True}),
    (go.rmsprop, {"alpha": 0.9, "eps": 1e-6, "momentum": 0.5}),
    (go.adam, {}),
    (go.adam, {"amsgrad": True, "weight_decay": 0.01}),
    (go.adamw, {}),
    (go.adamw, {"weight_decay": 0.0, "betas": (0.8, 0.99)}),
    (go.lion, {"weight_decay": 0.1}),
    (go.sophia, {}),
    (go.sophia, {"rho": 0.1, "k": 5, "weight_decay": 0.0, "seed": 3}),
]


@pytest.mark.parametrize(("factory", "changed"), LEGENDS)
def test_legend_shows_exactly_the_non_default_hyperparameters(factory, changed):
    opt = factory(0.05, **changed)
    legend = opt.describe(changed_only=True)
    assert legend == {"optimizer": factory.__name__, "lr": 0.05, **changed}
    full = opt.describe()
    assert set(full) == {"optimizer", "lr", *opt.hyper_names}
    # the legend, describe() and the update read the same values
    assert all(full[k] == getattr(opt, k) for k in opt.hyper_names)
    chained = gd.chain(gt.clip_by_global_norm(1.0), gd.chain(gt.add_noise(0.01), opt))
    assert chained.describe(changed_only=True) == {
        **legend,
        "transforms": ["clip_by_global_norm(max_norm=1.0)", "add_noise(eta=0.01)"],
    }
    assert chained.describe()["transforms"][1] == "add_noise(eta=0.01, gamma=0.55, seed=0)"


def test_legend_follows_changes_and_scale():
    opt = go.sgd(0.1, momentum=0.9)
    opt.momentum = 0.0  # stored once: the legend reads the attribute the update reads
    assert opt.describe(changed_only=True) == {"optimizer": "sgd", "lr": 0.1}
    r = Run(gd.functions.rosenbrock(), {"a": gd.chain(gt.clip_by_value(1.0), opt)}, device="cpu")
    r.scale_lr("a", 0.5)
    assert r.optimizers["a"].describe(changed_only=True)["lr_scale"] == 0.5
    r.set_lr("a", 0.2)
    assert opt.describe(changed_only=True) == {"optimizer": "sgd", "lr": 0.2}


def test_every_optimizer_and_chain_in_a_playground():
    opts = {n: OPTIMIZERS[n][0](OPTIMIZERS[n][1]) for n in NAMES}
    opts["clip"] = gd.chain(gt.clip_by_global_norm(1.0), go.adam(1e-2))
    w = gd.Playground(gd.functions.rosenbrock(), opts, start=START, device="cpu")
    try:
        w.step(5)
        w.set_lr("clip", 0.5)
        assert w.run.optimizers["clip"].optimizer.lr == 0.5
    finally:
        w.close()
