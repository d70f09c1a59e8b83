"""Gradient transforms against torch.nn.utils, applied per run, and chain() around optimizers."""

from __future__ import annotations

import math

import array_api_strict as xps
import numpy as np
import pytest
import torch

import gdwidget as gd
import gdwidget.optim as go
import gdwidget.transforms as gt
from gdwidget.backend import to_numpy


def rosen_grad(p):
    x, y = p[:, 0], p[:, 1]
    r = y - x * x
    return np.stack([-2.0 * (1.0 - x) - 400.0 * x * r, 200.0 * r], axis=1)


def rosen_torch(p):
    x, y = p[0], p[1]
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def grads(dtype=np.float64, n_runs=40, n_params=5):
    """Gradients whose per-run norms straddle the clipping thresholds (one run all zeros)."""
    rng = np.random.default_rng(3)
    g = rng.standard_normal((n_runs, n_params)) * np.logspace(-3, 3, n_runs)[:, None]
    g[0] = 0.0
    return g.astype(dtype)


def apply(transform, g, params=None):
    out = g.copy()
    transform.apply(out, transform.init(g), params if params is not None else g)
    return out


# -- clipping against torch, run by run -----------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("max_norm", [1e-2, 1.0, 25.0])
def test_clip_by_global_norm_matches_torch_per_run(max_norm, dtype):
    g = grads(dtype)
    ours = apply(gt.clip_by_global_norm(max_norm), g)
    for i in range(g.shape[0]):
        p = torch.zeros(g.shape[1], dtype=torch.from_numpy(g).dtype, requires_grad=True)
        p.grad = torch.from_numpy(g[i].copy())
        torch.nn.utils.clip_grad_norm_([p], max_norm)
        rtol = 1e-12 if dtype == np.float64 else 1e-6
        np.testing.assert_allclose(ours[i], p.grad.numpy(), rtol=rtol, atol=0)
    assert ours.dtype == dtype
    norms = np.linalg.norm(ours.astype(np.float64), axis=1)
    assert np.all(norms <= max_norm * (1 + 1e-6))
    small = np.linalg.norm(g.astype(np.float64), axis=1) < 0.5 * max_norm
    np.testing.assert_array_equal(ours[small], g[small])  # below the threshold: untouched


@pytest.mark.parametrize("limit", [1e-3, 0.5, 10.0])
def test_clip_by_value_matches_torch(limit):
    g = grads()
    ours = apply(gt.clip_by_value(limit), g)
    p = torch.zeros(g.shape, dtype=torch.float64, requires_grad=True)
    p.grad = torch.from_numpy(g.copy())
    torch.nn.utils.clip_grad_value_([p], limit)
    np.testing.assert_array_equal(ours, p.grad.numpy())


# -- noise ----------------------------------------------------------------------------------
def test_add_noise_is_seeded():
    g = np.zeros((50, 3))
    a = apply(gt.add_noise(0.3, seed=4), g)
    b = apply(gt.add_noise(0.3, seed=4), g)
    c = apply(gt.add_noise(0.3, seed=5), g)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    # runs through chain() are reproducible too
    p0 = np.ones((4, 2))
    outs = []
    for _ in range(2):
        opt = gd.chain(gt.add_noise(0.1, seed=9), go.sgd(0.1))
        p = p0.copy()
        state = opt.init(p)
        for _ in range(5):
            opt.step(p, np.zeros_like(p), state)
        outs.append(p)
    np.testing.assert_array_equal(outs[0], outs[1])
    assert not np.array_equal(outs[0], p0)


@pytest.mark.parametrize(("eta", "gamma"), [(0.5, 0.55), (2.0, 1.0)])
def test_add_noise_variance_anneals(eta, gamma):
    n = 100_000
    t = gt.add_noise(eta, gamma=gamma, seed=0)
    state = t.init(np.zeros((n, 2)))
    for step in range(6):
        g = np.full((n, 2), 3.0)
        t.apply(g, state, g)
        want = eta / (1 + step) ** gamma
        # sample variance of 2n normals: relative standard error sqrt(2 / 2n)
        assert abs(g.var() / want - 1) < 5 * math.sqrt(1 / n)
        assert abs(g.mean() - 3.0) < 5 * math.sqrt(want / (2 * n))
    assert state["count"] == 6


# -- chain -----------------------------------------------------------------------------------
def _torch_per_run(start, make, clip, steps):
    """One torch parameter per run, each clipped by itself, one optimizer over all of them."""
    ps = [torch.tensor(row, dtype=torch.float64, requires_grad=True) for row in start]
    opt = make(ps)
    traj = [start.copy()]
    for _ in range(steps):
        opt.zero_grad()
        for p in ps:
            rosen_torch(p).backward()
            clip(p)
        opt.step()
        traj.append(np.stack([p.detach().numpy().copy() for p in ps]))
    return np.stack(traj)


def _ours(opt, start, steps):
    p = start.copy()
    state = opt.init(p)
    traj = [p.copy()]
    for _ in range(steps):
        g = rosen_grad(p)
        g0 = g.copy()
        opt.step(p, g, state)
        np.testing.assert_array_equal(g, g0)  # the caller's gradient is left alone
        traj.append(p.copy())
    return np.stack(traj)


def _start():
    rng = np.random.default_rng(11)
    return np.column_stack([rng.uniform(-1.5, 1.5, 6), rng.uniform(-0.5, 2.0, 6)])


@pytest.mark.parametrize("max_norm", [1.0, 50.0])
def test_chain_clip_norm_adam_matches_torch(max_norm):
    start = _start()
    ours = _ours(
        gd.chain(gt.clip_by_global_norm(max_norm), go.adam(0.01, amsgrad=True)), start, 200
    )
    ref = _torch_per_run(
        start,
        lambda ps: torch.optim.Adam(ps, lr=0.01, amsgrad=True),
        lambda p: torch.nn.utils.clip_grad_norm_([p], max_norm),
        200,
    )
    assert np.max(np.abs(ref[-1] - ref[0])) > 0.1
    np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=1e-12)


def test_chain_clip_value_sgd_matches_torch():
    start = _start()
    ours = _ours(
        gd.chain(gt.clip_by_value(5.0), go.sgd(1e-3, momentum=0.9, nesterov=True)), start, 200
    )
    ref = _torch_per_run(
        start,
        lambda ps: torch.optim.SGD(ps, lr=1e-3, momentum=0.9, nesterov=True),
        lambda p: torch.nn.utils.clip_grad_value_([p], 5.0),
        200,
    )
    assert np.max(np.abs(ref[-1] - ref[0])) > 0.1
    np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=1e-12)


def test_chain_of_nothing_is_the_optimizer():
    start = _start()
    np.testing.assert_array_equal(
        _ours(gd.chain(go.rmsprop(1e-3, centered=True)), start, 50),
        _ours(go.rmsprop(1e-3, centered=True), start, 50),
    )
    nested = gd.chain(gt.clip_by_value(5.0), gd.chain(gt.clip_by_global_norm(3.0), go.adam(0.01)))
    flat = gd.chain(gt.clip_by_value(5.0), gt.clip_by_global_norm(3.0), optimizer=go.adam(0.01))
    np.testing.assert_array_equal(_ours(nested, start, 50), _ours(flat, start, 50))


def test_chain_passes_sophia_through():
    class Obj:
        name = "obj"
        has_hvp = True

        def hvp(self, params, v):
            return 2.0 * v

    sophia = go.sophia(0.01, k=3, estimator="hutchinson")
    opt = gd.chain(gt.clip_by_global_norm(1.0), sophia)
    assert opt.hessian_every == 3
    p = np.ones((4, 2))
    state = opt.init(p)
    h = opt.estimate_hessian(Obj(), p, state)
    np.testing.assert_array_equal(h, 2.0)
    opt.step(p, np.ones_like(p), state, hessian=h)
    np.testing.assert_allclose(state["inner"]["hessian"], 0.01 * 2.0)
    assert state["step"] == 1 and state["inner"]["step"] == 1
    with pytest.raises(AttributeError):
        gd.chain(gt.clip_by_value(1.0), go.adam()).estimate_hessian(Obj(), p, {"inner": {}})


def test_chain_describe():
    opt = gd.chain(gt.clip_by_global_norm(1.0), gt.add_noise(0.01), go.adam(0.05))
    d = opt.describe()
    assert d["optimizer"] == "adam" and d["lr"] == 0.05
    assert d["transforms"] == [
        "clip_by_global_norm(max_norm=1.0)",
        "add_noise(eta=0.01, gamma=0.55, seed=0)",
    ]
    assert repr(opt).startswith("chain(clip_by_global_norm(max_norm=1.0), add_noise(")
    assert isinstance(opt, go.Optimizer) and gd.chain is gt.chain


def test_chain_schedule_lr_passes_through():
    opt = gd.chain(gt.clip_by_value(1.0), go.sgd(lambda s: 0.1 / (1 + s)))
    assert opt.lr_at(0) == 0.1 and opt.lr_at(1) == 0.05


# -- array API and dtype ------------------------------------------------------------------------
def _all_transforms():
    return gd.chain(
        gt.clip_by_value(50.0),
        gt.clip_by_global_norm(20.0),
        gt.add_noise(0.01, seed=2),
        go.adam(0.05),
    )


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_array_api_strict_equals_numpy(dtype):
    start = _start().astype(dtype)
    a = _ours(_all_transforms(), start, 30)
    opt = _all_transforms()
    p = xps.asarray(start)
    state = opt.init(p)
    for _ in range(30):
        g = xps.asarray(rosen_grad(to_numpy(p)))
        opt.step(p, g, state)
    assert p.dtype == xps.asarray(start).dtype
    np.testing.assert_array_equal(to_numpy(p), a[-1])


def test_float32_stays_float32():
    p = _start().astype(np.float32)
    opt = _all_transforms()
    state = opt.init(p)
    for _ in range(5):
        g = rosen_grad(p)
        assert g.dtype == np.float32
        opt.step(p, g, state)
    assert p.dtype == np.float32
    assert all(v.dtype == np.float32 for v in state["inner"].values() if hasattr(v, "dtype"))


# -- validation -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("make", "pattern"),
    [
        (lambda: gt.clip_by_global_norm(0.0), r"max_norm must be > 0, got 0\.0"),
        (lambda: gt.clip_by_global_norm(-1.0), r"max_norm must be > 0, got -1\.0"),
        (lambda: gt.clip_by_value(-2.0), r"limit must be > 0, got -2\.0"),
        (lambda: gt.add_noise(-0.1), r"eta must be >= 0, got -0\.1"),
        (lambda: gt.add_noise(0.1, gamma=-1.0), r"gamma must be >= 0, got -1\.0"),
        (lambda: gt.add_noise(0.1, seed=-3), r"seed must be >= 0, got -3"),
        (lambda: gd.chain(), "optimizer"),
        (lambda: gd.chain(gt.clip_by_value(1.0)), "optimizer"),
        (lambda: gd.chain(go.adam(), gt.clip_by_value(1.0)), "optimizer"),
        (lambda: gd.chain("clip", go.adam()), "transforms"),
    ],
)
def test_bad_input(make, pattern):
    with pytest.raises(ValueError, match=pattern):
        make()
