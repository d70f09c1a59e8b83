"""gd.monitor with a torch model and optimizer: the step hook against torch computed directly."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from monitor_helpers import bilinear, make, messages, monitor_threads, page_rows

import gdwidget as gd

torch = pytest.importorskip("torch")


def _net(seed: int = 0) -> tuple[object, object, object, object]:
    torch.manual_seed(seed)
    net = torch.nn.Sequential(
        torch.nn.Linear(6, 12),
        torch.nn.Tanh(),
        torch.nn.Linear(12, 8),
        torch.nn.Tanh(),
        torch.nn.Linear(8, 3),
    )
    x = torch.randn(64, 6)
    y = torch.randint(0, 3, (64,))
    return net, x, y, torch.nn.CrossEntropyLoss()


def _grads(net: object) -> list:
    return [p.grad.detach().clone() for p in net.parameters()]


def test_hook_records_lr_norms_and_layer_norms_like_torch() -> None:
    net, x, y, lf = _net()
    opt = torch.optim.SGD(
        [
            {"params": net[0].parameters()},
            {"params": list(net[2].parameters()) + list(net[4].parameters()), "lr": 0.2},
        ],
        lr=0.1,
        momentum=0.9,
    )
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    m, comm = make(net, opt, grad_every=1, projection=None)
    lrs, totals, layers, losses = [], [], [], []
    for _ in range(12):
        opt.zero_grad()
        loss = lf(net(x), y)
        loss.backward()
        g = _grads(net)
        totals.append(float(torch.nn.utils.get_total_norm(g)))
        layers.append(
            [
                float(torch.linalg.vector_norm(torch.cat([a.reshape(-1) for a in g[i : i + 2]])))
                for i in (0, 2, 4)
            ]
        )
        lrs.append([grp["lr"] for grp in opt.param_groups])
        opt.step()
        sched.step()
        m.log(loss=loss.item())
        losses.append(loss.item())
    h = m.history
    np.testing.assert_array_equal(h.steps, np.arange(1, 13))  # the optimizer's count
    np.testing.assert_allclose(np.stack([h.lr["lr/0"], h.lr["lr/1"]], axis=1), lrs)
    assert lrs[0] != lrs[-1]  # the scheduler moved it
    np.testing.assert_allclose(h.grad_norm, totals, rtol=1e-6)
    assert h.layers == ["0", "2", "4"]
    np.testing.assert_allclose(h.layer_norms, layers, rtol=1e-6)
    np.testing.assert_allclose(h.scalars["loss"][:, 0], losses)  # the same rows
    assert not h.clipped.any()
    m.flush()
    cols = page_rows(comm)["columns"]
    assert list(cols) == [
        "loss",
        "lr/0",
        "lr/1",
        "grad_norm",
        "layer:0",
        "layer:2",
        "layer:4",
        "clipped",
    ]
    np.testing.assert_allclose(cols["grad_norm"], totals, rtol=1e-6)
    np.testing.assert_allclose(cols["layer:2"], np.array(layers)[:, 1], rtol=1e-6)
    assert m.meta["groups"] == ["lr/0", "lr/1"] and m.meta["layers"] == ["0", "2", "4"]
    df = h.to_pandas()
    assert {"lr/0", "lr/1", "grad_norm", "grad_norm/0", "grad_norm/4", "clipped"} <= set(df)
    m.close()


def test_clipping_is_detected_from_clip_grad_norm() -> None:
    net, x, y, lf = _net(1)
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    m, comm = make(net, opt, grad_every=1, projection=None)
    expect, after = [], []
    for t in range(10):
        opt.zero_grad()
        lf(net(x), y).backward()
        max_norm = 0.05 if t % 3 == 0 else 1e6
        total = torch.nn.utils.clip_grad_norm_(net.parameters(), max_norm)
        expect.append(float(total) > max_norm)
        after.append(float(torch.nn.utils.get_total_norm(_grads(net))))
        opt.step()
    h = m.history
    assert h.clipped.tolist() == expect and any(expect)
    np.testing.assert_allclose(h.grad_norm, after, rtol=1e-6)  # what the step used
    m.flush()
    np.testing.assert_array_equal(page_rows(comm)["columns"]["clipped"], np.array(expect) * 1.0)
    m.close()


def test_close_removes_the_hooks_and_stops_the_thread() -> None:
    net, x, y, lf = _net()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    original = torch.nn.utils.clip_grad_norm_
    m, _ = make(net, opt)
    assert len(opt._optimizer_step_post_hooks) == 1
    assert torch.nn.utils.clip_grad_norm_ is not original
    opt.zero_grad()
    lf(net(x), y).backward()
    opt.step()
    assert any(t.is_alive() for t in monitor_threads())
    m.close()
    assert len(opt._optimizer_step_post_hooks) == 0
    assert torch.nn.utils.clip_grad_norm_ is original
    assert torch.nn.utils.clip_grad.clip_grad_norm_ is original
    assert not any(t.is_alive() for t in monitor_threads())
    opt.step()  # the optimizer works on without the monitor


def test_model_without_optimizer_reads_gradients_in_log() -> None:
    net, x, y, lf = _net()
    m = gd.monitor(net, grad_every=1, projection=None)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    totals = []
    for _ in range(4):
        opt.zero_grad()
        loss = lf(net(x), y)
        loss.backward()
        totals.append(float(torch.nn.utils.get_total_norm(_grads(net))))
        m.log(loss=loss.item())
        opt.step()
    h = m.history
    np.testing.assert_array_equal(h.steps, np.arange(4))
    np.testing.assert_allclose(h.grad_norm, totals, rtol=1e-6)
    assert h.lr == {}
    m.close()


def test_surface_with_a_torch_model_is_centred_on_its_current_parameters() -> None:
    net, x, y, lf = _net(2)
    net[1] = torch.nn.Dropout(0.5)  # eval() during the surface: no dropout there
    opt = torch.optim.SGD(net.parameters(), lr=0.2)
    m, comm = make(net, opt, loss_fn=lambda: lf(net(x), y), projection="pca")
    m._projector.min_gap = 0.0  # sample every step (by default at most 20 a second)
    m._projector.surveying = False  # no surface in the loop: compute_surface's only
    for _ in range(40):
        opt.zero_grad()
        lf(net(x), y).backward()
        opt.step()
    m._projector.surveying = True
    before = [p.detach().clone() for p in net.parameters()]
    net.train()
    m._projector.grid = (9, 9)  # a small grid: a busy CPU evaluates each point slowly
    out = m.compute_surface()
    assert out["values"].shape == (9, 9)
    assert net.training and all(mod.training for mod in net.modules())  # modes restored
    for p, b in zip(net.parameters(), before, strict=True):
        assert torch.equal(p, b)  # parameters restored
    probe = copy.deepcopy(net).eval()
    with torch.no_grad():
        current = float(lf(probe(x), y))  # the network's loss now, on the fixed batch
    # the newest path point is the current parameters; the surface there is their loss
    h = m.history
    np.testing.assert_array_equal(h.path_steps, np.arange(1, 41))
    np.testing.assert_allclose(out["anchor"], h.path[-1], atol=1e-9)
    at_newest = bilinear(out["xs"], out["ys"], out["values"], *h.path[-1])
    assert at_newest == pytest.approx(current, rel=1e-6)
    # every node: the current parameters moved along the plane (Li et al. 2018)
    plane = m._projector.shown
    flat = torch.nn.utils.parameters_to_vector(before).double().numpy()
    a0 = np.asarray(out["anchor"])
    for i, j in [(0, 0), (8, 8), (4, 2)]:
        dab = np.array([out["xs"][j], out["ys"][i]]) - a0
        point = flat + plane.dirs @ dab
        torch.nn.utils.vector_to_parameters(
            torch.as_tensor(point, dtype=torch.float32), probe.parameters()
        )
        with torch.no_grad():
            expect = float(lf(probe(x), y))
        assert out["values"][i, j] == pytest.approx(expect, rel=1e-5)
    assert messages(comm, ("surface",)) and messages(comm, ("path",))
    m.close()


def test_surface_of_a_short_run_comes_by_itself() -> None:
    """Without compute_surface: a surface (coarse first) is drawn while the model trains,
    centred on the parameters of a step of the path."""
    net, x, y, lf = _net(3)
    opt = torch.optim.SGD(net.parameters(), lr=0.2)
    m, comm = make(net, opt, loss_fn=lambda: lf(net(x), y), projection="pca", max_fps=50)
    m._projector.min_gap = 0.0
    states = {}
    for step in range(1, 4001):
        opt.zero_grad()
        lf(net(x), y).backward()
        opt.step()
        states[step] = torch.nn.utils.parameters_to_vector(net.parameters()).detach().clone()
        if step % 50 == 0 and messages(comm, ("surface",)):
            break
    surf = messages(comm, ("surface",))
    assert surf, "no surface within 4,000 steps"
    msg = surf[0]
    n = msg["nx"]
    assert n == msg["ny"] and n in (6, 11, 21, 41)  # the finest level done at that tick
    probe = copy.deepcopy(net).eval()
    torch.nn.utils.vector_to_parameters(states[msg["anchor_step"]], probe.parameters())
    with torch.no_grad():
        anchored = float(lf(probe(x), y))
    (x0, x1), (y0, y1) = msg["bounds"]
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    at = bilinear(xs, ys, msg["values"].astype(np.float64), *msg["anchor"])
    assert at == pytest.approx(anchored, rel=1e-6)
    m.close()


def test_random_plane_is_filter_normalized() -> None:
    net, x, y, lf = _net(3)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    m = gd.monitor(net, opt, projection="random")
    opt.zero_grad()
    lf(net(x), y).backward()
    opt.step()  # the path starts at the parameters after the first step
    origin = torch.nn.utils.parameters_to_vector(net.parameters()).detach().double().numpy()
    plane = m._projector.shown
    np.testing.assert_allclose(plane.origin, origin)
    off = 0
    for p in net.parameters():
        n = p.numel()
        seg_d = plane.dirs[off : off + n]
        seg_o = origin[off : off + n]
        if p.dim() == 1:
            assert not seg_d.any()  # biases: no direction
        else:
            rows_d = seg_d.reshape(p.shape[0], -1, 2)
            rows_o = seg_o.reshape(p.shape[0], -1)
            for k in range(2):
                np.testing.assert_allclose(
                    np.linalg.norm(rows_d[..., k], axis=1), np.linalg.norm(rows_o, axis=1)
                )
        off += n
    m.close()


def test_optimizer_without_model_names_each_parameter() -> None:
    w = torch.nn.Parameter(torch.ones(3))
    opt = torch.optim.SGD([w], lr=0.5)
    m = gd.monitor(optimizer=opt, grad_every=1, projection=None)
    (w * torch.tensor([1.0, 2.0, 2.0])).sum().backward()
    opt.step()
    h = m.history
    assert h.layers == ["0.0"]
    np.testing.assert_allclose(h.grad_norm, [3.0])
    np.testing.assert_allclose(h.lr["lr/0"], [0.5])
    m.close()


def test_parameter_samples_follow_the_model_through_steps_and_replaced_storage() -> None:
    """The path's samples are the model's parameters at each read, also when a parameter's
    tensor is replaced (``p.data = ...``) or held as float64, against torch's own copy."""
    from gdwidget.monitoring.torchhooks import TorchProbe

    net, x, y, lf = _net()
    opt = torch.optim.Adam(net.parameters(), lr=0.05)
    probe = TorchProbe(net, opt)

    def torch_flat() -> np.ndarray:
        return torch.cat([p.detach().reshape(-1) for p in net.parameters()]).double().numpy()

    index = np.array([0, 5, 77, probe.n_params - 1])
    for step in range(3):
        opt.zero_grad()
        lf(net(x), y).backward()
        opt.step()
        np.testing.assert_array_equal(probe.flat(), torch_flat())
        np.testing.assert_array_equal(probe.flat(index), torch_flat()[index])
        if step == 1:
            net[0].weight.data = net[0].weight.data * 2.0  # a new storage
    np.testing.assert_array_equal(probe.flat(), torch_flat())
    net.double()  # every parameter's storage replaced, in another dtype
    np.testing.assert_array_equal(probe.flat(), torch_flat())
    transposed = torch.nn.Parameter(torch.randn(4, 3).t())  # not contiguous: torch's path
    probe2 = TorchProbe(None, torch.optim.SGD([transposed], lr=0.1))
    np.testing.assert_array_equal(probe2.flat(), transposed.detach().reshape(-1).double().numpy())
    transposed.data.mul_(3.0)
    np.testing.assert_array_equal(probe2.flat(), transposed.detach().reshape(-1).double().numpy())
