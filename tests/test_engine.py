"""The engine: vectorized runs, stop rules, divergence, batches, errors.

References are plain NumPy loops written here, one run at a time.
"""

import numpy as np
import pytest

import gdwidget as gd
from gdwidget.engine import ObjectiveError, Run
from gdwidget.objectives.base import Objective
from gdwidget.optim.base import Optimizer


class Rosen(Objective):
    name = "rosen-test"
    n_params = 2
    default_start = (-1.5, 2.0)

    def value_and_grad(self, p, batch=None):
        x, y = p[:, 0], p[:, 1]
        f = (1 - x) ** 2 + 100 * (y - x**2) ** 2
        g = np.stack([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)], axis=-1)
        return f, g


class Quad(Objective):
    """0.5 * sum(c_i x_i^2), array-agnostic (runs under array_api_strict)."""

    name = "quad-test"
    n_params = 3
    default_start = (1.0, -2.0, 0.5)

    def value_and_grad(self, p, batch=None):
        from gdwidget.backend import namespace_of

        xp = namespace_of(p)
        c = xp.asarray([1.0, 4.0, 9.0], dtype=p.dtype)
        return 0.5 * xp.sum(c * p * p, axis=-1), c * p


class LeastSquares(Objective):
    """Mean squared error of y = w x on data; batches index the examples."""

    name = "ls-test"
    n_params = 1
    default_start = (0.0,)

    def __init__(self, n=50, seed=0):
        r = np.random.default_rng(seed)
        self.x = r.normal(size=n)
        self.y = 3.0 * self.x + r.normal(size=n) * 0.1
        self.n_examples = n
        self.seen = []

    def value_and_grad(self, p, batch=None):
        idx = np.arange(self.n_examples) if batch is None else np.asarray(batch)
        self.seen.append(idx.copy())
        x, y = self.x[idx], self.y[idx]
        res = p[:, :1] * x[None, :] - y[None, :]
        return np.mean(res**2, axis=1), np.mean(2 * res * x[None, :], axis=1)[:, None]


class GD(Optimizer):
    name = "gd-test"

    def _update(self, params, grad, state, lr, xp, hessian):
        params -= lr * grad


def reference_gd(obj, start, lr, steps):
    p = np.array(start, dtype=np.float64)[None, :]
    losses = [obj.value_and_grad(p)[0][0]]
    for _ in range(steps):
        p = p - lr * obj.value_and_grad(p)[1]
        losses.append(obj.value_and_grad(p)[0][0])
    return np.array(losses), p[0]


def test_vectorized_runs_equal_one_at_a_time():
    starts = np.array([[-1.5, 2.0], [0.0, 0.0], [1.2, 1.0]])
    h = gd.run(Rosen(), {"slow": GD(1e-4), "fast": GD(1e-3)}, start=starts, steps=200, device="cpu")
    assert h.loss.shape == (201, 6) and h.params.shape == (201, 6, 2)
    assert h.labels == ["slow[0]", "slow[1]", "slow[2]", "fast[0]", "fast[1]", "fast[2]"]
    for r, (lr, s) in enumerate([(1e-4, s) for s in starts] + [(1e-3, s) for s in starts]):
        ref_loss, ref_p = reference_gd(Rosen(), s, lr, 200)
        np.testing.assert_allclose(h.loss[:, r], ref_loss, rtol=1e-12)
        np.testing.assert_allclose(h.params[-1, r], ref_p, rtol=1e-12)


def test_lr_schedule_is_recorded_and_used():
    h = gd.run(Quad(), {"a": GD(lambda t: 0.1 / (1 + t))}, steps=5, device="cpu")
    np.testing.assert_allclose(h.lr[:, 0], [0.1, 0.1, 0.05, 0.1 / 3, 0.025, 0.02])
    p = np.array(Quad.default_start)
    for t in range(5):
        p = p - 0.1 / (1 + t) * np.array([1.0, 4.0, 9.0]) * p
    np.testing.assert_allclose(h.params[-1, 0], p, rtol=1e-13)


def test_divergence_stops_only_that_run():
    h = gd.run(Rosen(), {"ok": GD(1e-4), "bad": GD(0.05)}, steps=100, device="cpu")
    assert h.status == ["running", "diverged"]
    k = h.stop_step[1]
    assert 0 < k < 100
    assert not np.isfinite(h.loss[k, 1]) and np.all(np.isfinite(h.loss[:k, 1]))
    assert np.all(np.isfinite(h.params[:, 1]))  # the path keeps its last finite point
    np.testing.assert_array_equal(
        h.params[k:, 1], np.broadcast_to(h.params[k, 1], h.params[k:, 1].shape)
    )
    ref_loss, _ = reference_gd(Rosen(), Rosen.default_start, 1e-4, 100)
    np.testing.assert_allclose(h.loss[:, 0], ref_loss, rtol=1e-12)


def test_grad_tol_freezes_converged_runs_and_stops_early():
    h = gd.run(Quad(), {"a": GD(0.1), "b": GD(0.05)}, steps=10_000, grad_tol=1e-6, device="cpu")
    assert h.status == ["converged", "converged"]
    assert h.stop_step[0] < h.stop_step[1] < 10_000
    assert h.loss.shape[0] == h.stop_step[1] + 1  # stopped once every run had stopped
    assert h.grad_norm[h.stop_step[0], 0] <= 1e-6 < h.grad_norm[h.stop_step[0] - 1, 0]
    np.testing.assert_array_equal(
        h.params[h.stop_step[0] :, 0],
        np.broadcast_to(h.params[h.stop_step[0], 0], (h.loss.shape[0] - h.stop_step[0], 3)),
    )


def test_loss_tol():
    h = gd.run(Quad(), {"a": GD(0.01)}, steps=5000, loss_tol=1e-9, device="cpu")
    k = h.stop_step[0]
    assert h.status == ["converged"] and abs(h.loss[k, 0] - h.loss[k - 1, 0]) <= 1e-9
    assert np.all(np.abs(np.diff(h.loss[:k, 0])) > 1e-9)


def test_float32_stays_float32_through_the_engine():
    r = Run(Quad(), {"a": GD(0.1)}, dtype="float32", device="cpu")
    r.advance(3)
    assert r.params.dtype == np.float32 and r.loss.dtype == np.float32


def test_array_api_strict_equals_numpy():
    xps = pytest.importorskip("array_api_strict")
    from gdwidget.backend import Backend

    strict = Backend("cpu", xps, xps.float64)
    a = Run(
        Quad(),
        {"a": GD(0.1), "b": GD(0.01)},
        start=[[1.0, 2.0, 3.0], [0.5, 0.5, 0.5]],
        device=strict,
        grad_tol=1e-4,
    )
    b = Run(
        Quad(),
        {"a": GD(0.1), "b": GD(0.01)},
        start=[[1.0, 2.0, 3.0], [0.5, 0.5, 0.5]],
        device="cpu",
        grad_tol=1e-4,
    )
    ca, cb = a.advance(300), b.advance(300)
    np.testing.assert_allclose(ca.loss, cb.loss, rtol=1e-14)
    np.testing.assert_allclose(ca.params, cb.params, rtol=1e-14)
    assert a.status == b.status


def test_objective_error_keeps_completed_steps():
    class Breaks(Quad):
        calls = 0

        def value_and_grad(self, p, batch=None):
            self.calls += 1
            if self.calls > 5:
                raise ZeroDivisionError("user bug")
            return super().value_and_grad(p)

    r = Run(Breaks(), {"a": GD(0.1)}, device="cpu")
    with pytest.raises(ObjectiveError, match="user bug") as info:
        r.advance(10)
    assert len(info.value.chunk) == 4 and isinstance(info.value.__cause__, ZeroDivisionError)


def test_minibatches_cover_each_epoch_and_are_shared_and_seeded():
    obj = LeastSquares(n=50)
    r = Run(obj, {"a": GD(0.1), "b": GD(0.01)}, batch_size=10, seed=3, device="cpu", eval_every=0)
    r.advance(10)
    # one objective call at the start and one per step, all runs in one call
    assert len(obj.seen) == 11 and all(len(b) == 10 for b in obj.seen)
    for e in range(2):  # each epoch visits every example once
        epoch = np.concatenate(obj.seen[5 * e : 5 * e + 5])
        np.testing.assert_array_equal(np.sort(epoch), np.arange(50))
    assert not np.array_equal(np.concatenate(obj.seen[:5]), np.concatenate(obj.seen[5:10]))
    assert r.epoch == 2
    obj2 = LeastSquares(n=50)
    Run(obj2, {"a": GD(0.1)}, batch_size=10, seed=3, device="cpu", eval_every=0).advance(10)
    for x, y in zip(obj.seen, obj2.seen, strict=True):
        np.testing.assert_array_equal(x, y)
    obj3 = LeastSquares(n=50)
    Run(obj3, {"a": GD(0.1)}, batch_size=10, seed=4, device="cpu", eval_every=0).advance(10)
    assert any(not np.array_equal(x, y) for x, y in zip(obj.seen, obj3.seen, strict=True))


def test_full_batch_equals_all_examples():
    obj = LeastSquares(n=40)
    h_full = gd.run(obj, {"a": GD(0.1)}, steps=20, device="cpu")
    h_big = gd.run(LeastSquares(n=40), {"a": GD(0.1)}, steps=20, batch_size=40, device="cpu")
    np.testing.assert_allclose(h_full.params, h_big.params, rtol=1e-12)


def test_reset_and_set_lr():
    r = Run(Quad(), {"a": GD(0.1)}, device="cpu")
    r.advance(5)
    c0 = r.reset(start=[2.0, 2.0, 2.0])
    assert r.t == 0 and c0.steps.tolist() == [0]
    np.testing.assert_allclose(c0.params[0, 0], [2.0, 2.0, 2.0])
    r.set_lr("a", 0.2)
    c = r.advance(1)
    np.testing.assert_allclose(c.params[0, 0], [2.0, 2.0, 2.0] - 0.2 * np.array([2.0, 8.0, 18.0]))
    assert c.lr[0, 0] == 0.2


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(start=[1.0, 2.0]), r"start must have shape \(3,\)"),
        (dict(start=[1.0, np.nan, 2.0]), "start must be finite"),
        (dict(start="abc"), "start must be numbers"),
        (dict(device="tpu"), "device must be one of"),
        (dict(grad_tol=-1), "grad_tol must be >= 0"),
        (dict(batch_size=4), "needs an objective on data"),
    ],
)
def test_bad_input_is_a_clear_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Run(Quad(), {"a": GD(0.1)}, **kwargs)


def test_bad_batch_sizes():
    with pytest.raises(ValueError, match="batch_size must be <= the number of examples"):
        Run(LeastSquares(n=10), {"a": GD(0.1)}, batch_size=11, device="cpu")
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        Run(LeastSquares(n=10), {"a": GD(0.1)}, batch_size=0, device="cpu")


def test_bad_optimizers():
    with pytest.raises(ValueError, match="optimizers must be"):
        Run(Quad(), {}, device="cpu")
    with pytest.raises(ValueError, match=r"optimizers\['a'\] must be a gdwidget optimizer"):
        Run(Quad(), {"a": "adam"}, device="cpu")
    with pytest.raises(ValueError, match="steps must be >= 0"):
        gd.run(Quad(), {"a": GD(0.1)}, steps=-1, device="cpu")


def test_history_to_pandas():
    pd = pytest.importorskip("pandas")
    h = gd.run(Rosen(), {"a": GD(1e-4)}, steps=3, device="cpu")
    df = h.to_pandas()
    assert isinstance(df, pd.DataFrame) and len(df) == 4
    assert list(df.columns[:6]) == ["step", "run", "optimizer", "loss", "grad_norm", "lr"]
    np.testing.assert_allclose(df["x0"].to_numpy(), h.params[:, 0, 0])


@pytest.mark.gpu
def test_gpu_run_equals_cpu_run():
    cpu = gd.run(Quad(), {"a": GD(0.1)}, steps=50, device="cpu")
    gpu = gd.run(Quad(), {"a": GD(0.1)}, steps=50, device="gpu")
    np.testing.assert_allclose(gpu.loss, cpu.loss, rtol=1e-12)


def test_evaluations_each_epoch_on_train_and_validation_data():
    train, val = LeastSquares(n=40, seed=0), LeastSquares(n=30, seed=1)
    h = gd.run(
        train, {"a": GD(0.05), "b": GD(0.2)}, steps=20, batch_size=8, validation=val, device="cpu"
    )
    ev = h.evals
    np.testing.assert_array_equal(ev["step"], [0, 5, 10, 15, 20])  # 40 / 8 = 5 steps an epoch
    np.testing.assert_array_equal(ev["epoch"], [0, 1, 2, 3, 4])
    for i, step in enumerate(ev["step"]):
        p = h.params[step]
        np.testing.assert_allclose(ev["train_loss"][i], train.value_and_grad(p)[0], rtol=1e-12)
        np.testing.assert_allclose(ev["val_loss"][i], val.value_and_grad(p)[0], rtol=1e-12)
    assert "train_acc" not in ev  # a regression has no accuracy


def test_full_batch_with_validation_evaluates_every_step_and_eval_every_sets_it():
    train, val = LeastSquares(n=40, seed=0), LeastSquares(n=30, seed=1)
    h = gd.run(train, {"a": GD(0.05)}, steps=6, validation=val, device="cpu")
    np.testing.assert_array_equal(h.evals["step"], np.arange(7))
    np.testing.assert_allclose(h.evals["train_loss"], h.loss, rtol=1e-12)
    h = gd.run(train, {"a": GD(0.05)}, steps=6, validation=val, eval_every=3, device="cpu")
    np.testing.assert_array_equal(h.evals["step"], [0, 3, 6])
    with pytest.raises(ValueError, match="validation has 3 parameters"):
        Run(train, {"a": GD(0.1)}, validation=Quad(), device="cpu")


def test_sophia_estimates_the_hessian_on_the_current_batch():
    class Spy(LeastSquares):
        def gnb_hessian_diag(self, params, rng, batch=None):
            self.hess_batches.append(np.asarray(batch).copy())
            return np.ones_like(params)

    obj = Spy(n=40)
    obj.hess_batches = []
    r = Run(obj, {"s": gd.optim.sophia(0.01, k=2)}, batch_size=8, device="cpu", eval_every=0)
    r.advance(4)
    assert len(obj.hess_batches) == 2  # steps 0 and 2
    # the estimate at step t uses the batch of the gradient of step t
    np.testing.assert_array_equal(obj.hess_batches[0], obj.seen[0])
    np.testing.assert_array_equal(obj.hess_batches[1], obj.seen[2])


def test_projection_is_recorded_per_step():
    d = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]]).T  # (n_params, 2)
    r = Run(Quad(), {"a": GD(0.1), "b": GD(0.01)}, device="cpu")
    r.project = lambda p: p @ d
    c0, c = r.reset(), r.advance(5)
    np.testing.assert_allclose(c0.xy[0], c0.params[0] @ d)
    np.testing.assert_allclose(c.xy, c.params @ d)


def test_set_batch_size_mid_run():
    obj = LeastSquares(n=40)
    r = Run(obj, {"a": GD(0.1)}, device="cpu", eval_every=0)
    r.advance(2)
    r.set_batch_size(4)
    r.advance(3)
    assert [len(b) for b in obj.seen] == [40, 40, 40, 4, 4, 4]  # start, 2 steps, then 4s
    r.set_batch_size(None)
    r.advance(1)
    assert len(obj.seen[-1]) == 40
    with pytest.raises(ValueError, match="batch_size must be <= the number of examples"):
        r.set_batch_size(41)


def test_models_start_from_their_own_initialization():
    X, y = gd.data.moons(60, seed=0)
    m = gd.models.mlp(X, y, hidden=(4,))
    r = Run(m, {"a": GD(0.1)}, seed=5, device="cpu", eval_every=0)
    np.testing.assert_array_equal(gd.to_numpy(r.params)[0], m.init_params(5))


def test_progress_bar_counts_the_steps(capsys):
    pytest.importorskip("tqdm")
    gd.run(Quad(), {"a": GD(0.01)}, steps=250, chunk_size=100, progress=True, device="cpu")
    err = capsys.readouterr().err
    assert "gdwidget" in err and "250/250" in err


def test_evals_to_pandas():
    pytest.importorskip("pandas")
    train, val = LeastSquares(n=40, seed=0), LeastSquares(n=30, seed=1)
    h = gd.run(
        train, {"a": GD(0.05), "b": GD(0.2)}, steps=10, batch_size=8, validation=val, device="cpu"
    )
    df = h.evals_to_pandas()
    assert list(df.columns) == ["step", "epoch", "run", "optimizer", "train_loss", "val_loss"]
    assert len(df) == 3 * 2  # evaluations at steps 0, 5, 10 for two runs
    np.testing.assert_allclose(df[df.run == "b"]["val_loss"], h.evals["val_loss"][:, 1])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("rules", [{"grad_tol": 1e-3}, {"loss_tol": 1e-7}, {}])
def test_one_call_bookkeeping_equals_the_array_code(dtype, rules, monkeypatch):
    """The numba bookkeeping of a step (engine/_settle.py) gives what the array code gives:
    the same statuses, stop and blow-up steps, losses, norms and frozen points."""
    from gdwidget.engine import _settle  # noqa: PLC0415

    if not _settle._fused.available():
        pytest.skip("numba is not installed")
    opts = {"slow": GD(1e-4), "fast": GD(2e-3), "bad": GD(0.05), "adam": gd.optim.adam(0.05)}
    starts = np.array([[-1.5, 2.0], [1.0, 1.0], [0.99, 0.98]])  # the minimum: converged

    def history(fused):
        monkeypatch.setenv("GDWIDGET_FUSED", "1" if fused else "0")
        calls = []
        real = _settle.settle
        monkeypatch.setattr(_settle, "settle", lambda *a: (calls.append(1), real(*a))[1])
        h = gd.run(Rosen(), opts, start=starts, steps=400, dtype=dtype, device="cpu", **rules)
        assert bool(calls) == fused
        return h

    a, b = history(True), history(False)
    assert "diverged" in a.status and a.status == b.status
    if rules:
        assert "converged" in a.status
    for key in ("loss", "params", "grad_norm", "stop_step", "blowup_step"):
        np.testing.assert_array_equal(getattr(a, key), getattr(b, key), err_msg=key)
    assert a.loss.dtype == b.loss.dtype
