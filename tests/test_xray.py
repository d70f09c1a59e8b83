"""The X-ray's vectors equal the optimizer's state, torch.optim's, and a hand computation."""

from __future__ import annotations

import json

import numpy as np
import pytest

import gdwidget as gd
from gdwidget.live import xray
from gdwidget.live.source import EngineSource

START = [-1.0, 1.5]


def source(optimizers, objective="rosenbrock", **kw):
    return EngineSource(objective, optimizers, start=kw.pop("start", START), device="cpu", **kw)


def grad_at(src, p):
    _, g = src.run.objective.value_and_grad(np.asarray(p, dtype=np.float64)[None, :], None)
    return np.asarray(g[0])


def torch_adam(opt_cls, steps, **kw):
    torch = pytest.importorskip("torch")
    obj = gd.engine._as_objective("rosenbrock")
    p = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    opt = opt_cls([p], **kw)
    prev = None
    for _ in range(steps):
        _, g = obj.value_and_grad(p.detach().numpy()[None, :].copy(), None)
        p.grad = torch.tensor(np.asarray(g[0]), dtype=torch.float64)
        prev = p.detach().clone().numpy()
        opt.step()
    st = opt.state[p]
    return p.detach().numpy(), prev, st


@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_moments_and_step_equal_torch(amsgrad):
    torch = pytest.importorskip("torch")
    src = source({"adam": gd.optim.adam(0.05, amsgrad=amsgrad)})
    src.advance(9)
    x = xray.internals(src, "adam")
    p, prev, st = torch_adam(torch.optim.Adam, 9, lr=0.05, amsgrad=amsgrad)
    v = st["max_exp_avg_sq"] if amsgrad else st["exp_avg_sq"]
    np.testing.assert_allclose(x["momentum"], st["exp_avg"].numpy(), rtol=1e-13)
    np.testing.assert_allclose(x["second_moment"], v.numpy(), rtol=1e-13)
    np.testing.assert_allclose(x["update"], p - prev, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(x["position"], p, rtol=1e-13)
    # the effective step times the first moment is the step taken (no weight decay)
    np.testing.assert_allclose(
        -np.array(x["step_size"]) * np.array(x["momentum"]), p - prev, rtol=1e-10
    )
    assert x["step"] == 9
    np.testing.assert_allclose(x["grad"], grad_at(src, p), rtol=1e-13)


def test_adamw_step_equals_torch_and_decoupled_decay():
    torch = pytest.importorskip("torch")
    src = source({"w": gd.optim.adamw(0.05, weight_decay=0.1)})
    src.advance(6)
    x = xray.internals(src, "w")
    p, prev, st = torch_adam(torch.optim.AdamW, 6, lr=0.05, weight_decay=0.1)
    np.testing.assert_allclose(x["update"], p - prev, rtol=1e-10)
    np.testing.assert_allclose(x["momentum"], st["exp_avg"].numpy(), rtol=1e-13)
    hand = -0.05 * 0.1 * prev - np.array(x["step_size"]) * np.array(x["momentum"])
    np.testing.assert_allclose(x["update"], hand, rtol=1e-9)


def test_sgd_momentum_buffer_and_step():
    src = source({"sgd": gd.optim.sgd(1e-3, momentum=0.9)})
    src.advance(5)
    x = xray.internals(src, "sgd")
    buf = src.run.states["sgd"]["momentum_buffer"][0]
    np.testing.assert_array_equal(x["momentum"], buf)
    np.testing.assert_allclose(x["update"], -1e-3 * buf, rtol=1e-10)
    assert x["step_size"] is None and x["second_moment"] is None


def test_plain_sgd_has_no_momentum():
    src = source({"gd": gd.optim.gd(1e-3)})
    src.advance(3)
    x = xray.internals(src, "gd")
    assert x["momentum"] is None
    before = src.run.before_step[1][0]
    np.testing.assert_allclose(x["update"], -1e-3 * grad_at(src, before), rtol=1e-10)


@pytest.mark.parametrize("centered", [False, True])
def test_rmsprop_effective_step(centered):
    src = source({"r": gd.optim.rmsprop(1e-2, centered=centered)})
    src.advance(4)
    x = xray.internals(src, "r")
    st = src.run.states["r"]
    sq = st["square_avg"][0] - (st["grad_avg"][0] ** 2 if centered else 0.0)
    np.testing.assert_allclose(x["step_size"], 1e-2 / (np.sqrt(sq) + 1e-8), rtol=1e-13)
    np.testing.assert_array_equal(x["second_moment"], st["square_avg"][0])
    g_used = grad_at(src, src.run.before_step[1][0])
    np.testing.assert_allclose(x["update"], -np.array(x["step_size"]) * g_used, rtol=1e-9)


def test_adagrad_effective_step_with_lr_decay():
    src = source({"a": gd.optim.adagrad(0.1, lr_decay=0.5)})
    src.advance(4)
    x = xray.internals(src, "a")
    s = src.run.states["a"]["sum"][0]
    clr = 0.1 / (1 + 3 * 0.5)
    np.testing.assert_allclose(x["step_size"], clr / (np.sqrt(s) + 1e-10), rtol=1e-13)
    g_used = grad_at(src, src.run.before_step[1][0])
    np.testing.assert_allclose(x["update"], -np.array(x["step_size"]) * g_used, rtol=1e-9)


def test_lion_sign_step_is_the_next_update():
    src = source({"lion": gd.optim.lion(0.01)})
    src.advance(5)
    x = xray.internals(src, "lion")
    m = src.run.states["lion"]["exp_avg"][0]
    np.testing.assert_array_equal(x["momentum"], m)
    g = np.asarray(src.run.grad[0])
    np.testing.assert_array_equal(x["sign_step"], -0.01 * np.sign(0.9 * m + 0.1 * g))
    src.advance(1)
    np.testing.assert_allclose(xray.internals(src, "lion")["update"], x["sign_step"], rtol=1e-12)


def test_sophia_step_before_and_after_clipping():
    src = source({"s": gd.optim.sophia(0.05, weight_decay=0.0, rho=0.01, k=1)})
    src.advance(6)
    x = xray.internals(src, "s")
    st = src.run.states["s"]
    ratio = st["exp_avg"][0] / np.maximum(0.01 * st["hessian"][0], 1e-15)
    np.testing.assert_allclose(x["raw_step"], -0.05 * ratio, rtol=1e-13)
    np.testing.assert_allclose(x["clipped_step"], -0.05 * np.clip(ratio, -1, 1), rtol=1e-13)
    np.testing.assert_allclose(x["update"], x["clipped_step"], rtol=1e-9, atol=1e-15)
    assert np.max(np.abs(x["raw_step"])) > 0.05  # this start clips
    assert np.max(np.abs(x["clipped_step"])) <= 0.05 + 1e-15


def test_chain_clip_factor():
    opt = gd.chain(gd.transforms.clip_by_global_norm(1.0), gd.optim.gd(1e-3))
    src = source({"c": opt})
    src.advance(2)
    x = xray.internals(src, "c")
    g = np.asarray(src.run.grad[0])
    factor = min(1.0, 1.0 / (np.linalg.norm(g) + 1e-6))
    assert x["clip"] == pytest.approx(factor, rel=1e-12) and factor < 1
    src.advance(1)
    np.testing.assert_allclose(xray.internals(src, "c")["update"], -1e-3 * factor * g, rtol=1e-9)


def test_noise_before_the_clip_has_no_factor():
    opt = gd.chain(
        gd.transforms.add_noise(0.1), gd.transforms.clip_by_global_norm(1.0), gd.optim.gd(1e-3)
    )
    src = source({"c": opt})
    src.advance(1)
    assert xray.internals(src, "c")["clip"] is None


def test_before_any_step_and_labels():
    src = source({"adam": gd.optim.adam(0.05)}, start=[[-1.0, 1.5], [0.5, 0.5]])
    x = xray.internals(src, "adam[1]")
    assert x["update"] is None and x["step_size"] is None and x["step"] == 0
    np.testing.assert_array_equal(x["position"], [0.5, 0.5])
    with pytest.raises(ValueError, match="has 2 runs"):
        xray.internals(src, "adam")
    with pytest.raises(ValueError, match="unknown run"):
        xray.internals(src, "nope")


def test_model_vectors_are_projected_on_the_plane():
    X, y = gd.data.linear(60, noise=0.1, seed=0)
    rng = np.random.default_rng(0)
    X = np.hstack([X, rng.normal(size=(len(X), 3))])
    model = gd.models.linear_regression(X, y)
    src = EngineSource(model, {"adam": gd.optim.adam(0.05)}, device="cpu", plane="pca")
    src.advance(5)
    x = xray.internals(src, "adam")
    run, plane = src.run, src.plane
    np.testing.assert_allclose(x["grad"], plane.vectors(np.asarray(run.grad[0])), rtol=1e-12)
    moved = plane.coords(np.asarray(run.params[0])) - plane.coords(run.before_step[1][0])
    np.testing.assert_allclose(x["update"], moved, rtol=1e-8, atol=1e-14)
    m = run.states["adam"]["exp_avg"][0]
    np.testing.assert_allclose(x["momentum"], plane.vectors(m), rtol=1e-12)
    q = np.asarray(run.states["adam"]["exp_avg_sq"][0])
    want = np.diag(plane.pinv @ np.diag(q) @ plane.directions)
    np.testing.assert_allclose(x["second_moment"], want, rtol=1e-12)


def test_message_is_json_for_every_run():
    src = source({"adam": gd.optim.adam(0.05), "sgd": gd.optim.sgd(1e-3, momentum=0.9)})
    src.advance(3)
    content, buffers = xray.xray_message(src)
    assert buffers == []
    again = json.loads(json.dumps(content, allow_nan=False))
    assert again["type"] == "xray" and [r["label"] for r in again["runs"]] == ["adam", "sgd"]
    assert again["runs"][1]["momentum"] == pytest.approx(xray.internals(src, "sgd")["momentum"])
