"""The Playground on models on data (docs/protocol.md, "Models on data"), through a fake comm."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest
from widget_helpers import FakeComm, loop_threads, wait_for
from widget_helpers import make as _make

import gdwidget as gd
from gdwidget.projection import loss_grid, pca_plane
from gdwidget.widget import Playground

pytestmark = pytest.mark.filterwarnings("ignore:gdwidget's JavaScript bundle is missing")


@pytest.fixture(autouse=True)
def _no_stray_loops():
    yield
    assert wait_for(lambda: not loop_threads(), 5.0), "a Playground loop thread outlived its test"


def line_model(n: int = 64, noise: float = 0.5) -> Any:
    return gd.models.linear_regression(*gd.data.linear(n, noise=noise, seed=0))


def moons(n: int = 120, hidden: tuple[int, ...] = (6,)) -> tuple[Any, Any]:
    train, val = gd.data.train_val_split(*gd.data.moons(n, noise=0.2, seed=0), val_fraction=0.25)
    return gd.models.mlp(*train, hidden=hidden), gd.models.mlp(*val, hidden=hidden)


def make(model: Any, optimizers: Any = None, **kw: Any) -> tuple[Playground, FakeComm]:
    kw.setdefault("device", "cpu")
    kw.setdefault("grad_tol", 0.0)
    optimizers = optimizers or {"sgd": gd.optim.sgd(0.05), "adam": gd.optim.adam(0.02)}
    return _make(model, optimizers, **kw)


def customs(comm: FakeComm, kind: str) -> list[tuple[dict[str, Any], list[Any]]]:
    with comm.lock:
        msgs = list(comm.sent)
    return [
        (d["content"], b)
        for d, b in msgs
        if d.get("method") == "custom" and d["content"].get("type") == kind
    ]


def decode_arrows(content: dict[str, Any], buffers: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    a = np.frombuffer(buffers[0], "<f4").reshape(content["n_runs"], 4)
    return a[:, :2], a[:, 2:]


def angle(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    cos = np.sum(u * v, axis=-1) / (np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1))
    return np.arccos(np.clip(cos, -1, 1))


# ---------------------------------------------------------------------------------------
# meta, traits
# ---------------------------------------------------------------------------------------
def test_a_two_parameter_model_shows_its_parameters():
    w, _ = make(line_model(), batch_size=8)
    m = w.meta
    assert m["kind"] == "model" and m["axes"] == ["w", "b"]
    assert m["model"] == {
        "task": "regression",
        "n_examples": 64,
        "n_features": 1,
        "n_classes": 0,
        "plane": "params",
        "view": "line",
    }
    assert w.batch_size == 8 and w.plane.kind == "params"
    # the landscape is the exact loss over (w, b)
    model = w.run.objective
    z = np.frombuffer(w.grid, "<f4").reshape(w.grid_meta["ny"], w.grid_meta["nx"])
    (x0, x1), (y0, y1) = w.view
    p = np.array([x0 + 3 * (x1 - x0) / (w.grid_meta["nx"] - 1), y0])
    assert z[0, 3] == pytest.approx(float(model.value(p)), rel=1e-5)
    # data: (x, 0, t) rows
    rows = np.frombuffer(w.data, "<f4").reshape(-1, 3)
    assert w.data_meta["n"] == 64 and w.data_meta["view"] == "line"
    np.testing.assert_allclose(rows[:, 0], model._X[:, 0], rtol=1e-6)
    np.testing.assert_allclose(rows[:, 2], model._y, rtol=1e-6)
    assert np.all(rows[:, 1] == 0)


def test_functions_keep_their_meta_and_reject_model_options():
    w, _ = make(gd.functions.rosenbrock(), {"gd": gd.optim.sgd(1e-3)})
    assert w.meta["kind"] == "function" and w.meta["model"] is None
    assert w.data == b"" and w.data_meta == {} and w.batch_size == 0 and w.plane is None
    with pytest.raises(ValueError, match="for models on data"):
        Playground(gd.functions.rosenbrock(), gd.optim.sgd(1e-3), plane="pca", device="cpu")
    with pytest.raises(ValueError, match="plane must be one of"):
        Playground(line_model(), gd.optim.sgd(1e-3), plane="tsne", device="cpu")
    with pytest.raises(ValueError, match="2 parameters"):
        Playground(moons()[0], gd.optim.sgd(1e-3), plane="params", device="cpu")


def test_a_larger_model_races_on_the_pca_plane_of_a_pilot_run():
    train, _ = moons()
    opts = {"sgd": gd.optim.sgd(0.2, momentum=0.9), "adam": gd.optim.adam(0.02)}
    w, comm = make(train, opts, batch_size=10, pilot_steps=60)
    m = w.meta
    assert m["model"]["plane"] == "pca" and m["model"]["view"] == "boundary"
    assert m["axes"] == ["PC1", "PC2"]
    # the plane is the PCA of the same race run headless from the same start
    h = gd.run(train, opts, steps=60, batch_size=10, device="cpu", eval_every=0)
    origin = train.init_params(0)
    ref = pca_plane(h.params[::1], origin)
    for k in range(2):
        assert abs(abs(ref.directions[:, k] @ w.plane.directions[:, k]) - 1) < 1e-6
    # the paths drawn are the plane coordinates of the parameters
    w.step(30)
    hist = w.history
    h30 = gd.run(train, opts, steps=30, batch_size=10, device="cpu", eval_every=0)
    np.testing.assert_allclose(hist.xy, w.plane.coords(h30.params), rtol=1e-9, atol=1e-12)
    # the landscape is the loss at the plane's points
    gm = w.grid_meta
    z = np.frombuffer(w.grid, "<f4").reshape(gm["ny"], gm["nx"])
    ref_z = loss_grid(train, w.plane, w.view, gm["nx"], gm["ny"], "cpu")
    np.testing.assert_allclose(z, ref_z, rtol=1e-5)
    pts = w.plane.points(np.array([gm["x0"]]), np.array([gm["y1"]]))
    assert z[-1, 0] == pytest.approx(float(train.value(pts)[0]), rel=1e-5)


def test_random_plane_and_a_click_starts_from_the_plane_point():
    train, _ = moons()
    w, comm = make(train, plane="random")
    assert w.meta["model"]["plane"] == "random" and w.view == [[-1.0, 1.0], [-1.0, 1.0]]
    comm.page_sends({"type": "reset", "start": [0.5, -0.25]})
    start = gd.to_numpy(w.run.params)[0]
    np.testing.assert_allclose(start, w.plane.points([0.5], [-0.25])[0])
    np.testing.assert_allclose(w.history.xy[0], [[0.5, -0.25]] * 2, atol=1e-12)


# ---------------------------------------------------------------------------------------
# batch size
# ---------------------------------------------------------------------------------------
def test_set_batch_size_changes_the_batches_the_engine_draws():
    model = line_model()
    seen: list[int] = []
    real = model.value_and_grad

    def spy(params: Any, batch: Any = None) -> Any:
        seen.append(model.n_examples if batch is None else len(batch))
        return real(params, batch)

    model.value_and_grad = spy  # type: ignore[method-assign]
    w, comm = make(model)
    assert w.batch_size == 0 and w.run.batch_size is None
    comm.page_sends({"type": "set_batch_size", "value": 4})
    assert w.batch_size == 4 and w.run.batch_size == 4
    seen.clear()
    w.step(3)
    assert seen[:3] == [4, 4, 4]  # from the very next step (then the arrows' full batch)
    comm.page_sends({"type": "set_batch_size", "value": 10_000})  # clamped to n_examples
    assert w.run.batch_size == 64 and w.batch_size == 64
    comm.page_sends({"type": "set_batch_size", "value": 0})
    assert w.run.batch_size is None and w.batch_size == 0
    seen.clear()
    w.step(2)
    assert set(seen) == {64}
    comm.page_sends({"type": "set_batch_size", "value": -3})  # ignored
    comm.page_sends({"type": "set_batch_size", "value": 2.5})
    assert w.run.batch_size is None
    w.batch_size = 1  # the trait, from Python or the page
    assert w.run.batch_size == 1
    with pytest.raises(ValueError, match="batch_size must be <="):
        w.set_batch_size(65)


def test_every_optimizer_sees_the_same_batches():
    model = line_model()
    seen: list[Any] = []
    real = model.value_and_grad

    def spy(params: Any, batch: Any = None) -> Any:
        if batch is not None:  # (the arrows also take full-batch gradients)
            seen.append(params.shape[0])
        return real(params, batch)

    model.value_and_grad = spy  # type: ignore[method-assign]
    w, _ = make(model, batch_size=4)
    seen.clear()
    w.step(5)
    assert seen == [2] * 5  # one objective call for both runs: one batch for both


# ---------------------------------------------------------------------------------------
# evaluations
# ---------------------------------------------------------------------------------------
def test_evaluations_in_frames_and_the_full_history():
    train, val = moons()
    # 90 examples / 10 = 9 steps an epoch; evaluated once an epoch, as gd.run does
    w, comm = make(train, batch_size=10, validation=val, pilot_steps=20, eval_every=9)
    comm.page_sends({"type": "request_history"})
    w.step(25)
    assert wait_for(lambda: comm.packets()[-1]["steps"][-1] == 25)  # the last frame went
    packets = comm.packets()
    assert packets[0]["type"] == "history" and packets[0]["evals"]["step"].tolist() == [0]
    got = np.concatenate([p["evals"]["step"] for p in packets if p["evals"] is not None])
    assert got.tolist() == [0, 9, 18]
    keys = {"step", "train_loss", "val_loss", "train_acc", "val_acc"}
    assert set(packets[-1]["evals"] or packets[0]["evals"]) == keys
    ev = w.history.evals
    assert ev["step"].tolist() == [0, 9, 18] and ev["epoch"].tolist() == [0, 1, 2]
    h = gd.run(train, w.run.optimizers, steps=18, batch_size=10, validation=val, device="cpu")
    for k in ("train_loss", "val_loss", "val_acc"):
        np.testing.assert_allclose(ev[k], h.evals[k], rtol=1e-6)
    last = [p for p in packets if p["evals"] is not None][-1]["evals"]
    np.testing.assert_allclose(last["val_loss"][-1], ev["val_loss"][-1], rtol=1e-6)
    # a late view gets all of them
    comm.clear()
    comm.page_sends({"type": "request_history"})
    assert comm.packets()[0]["evals"]["step"].tolist() == [0, 9, 18]
    df = w.history.evals_to_pandas()
    assert len(df) == 6 and "val_acc" in df.columns


def test_models_on_small_data_are_evaluated_every_ten_steps_by_default():
    train, val = moons()
    w, _ = make(train, batch_size=1, validation=val, pilot_steps=5)
    w.step(25)
    assert w.history.evals["step"].tolist() == [0, 10, 20]
    w, _ = make(train, pilot_steps=5)  # full batch, no validation: the all-data curve too
    w.step(10)
    assert w.history.evals["step"].tolist() == [0, 10]


def test_evaluations_stay_bounded():
    train, val = moons(60)
    w, _ = make(train, gd.optim.sgd(0.05), validation=val, max_history=16, pilot_steps=5)
    w.step(600)  # full batch with validation: one evaluation a step
    ev = w.history.evals
    assert len(ev["step"]) <= 128 and ev["step"][0] == 0 and ev["step"][-1] == 600


# ---------------------------------------------------------------------------------------
# gradient arrows
# ---------------------------------------------------------------------------------------
def test_arrows_full_batch_equals_batch_and_a_single_example_differs():
    model = line_model()
    w, comm = make(model, batch_size=64)
    w.step(3)
    (content, buffers) = customs(comm, "arrows")[-1]
    assert content["n_runs"] == 2 and content["scale"] > 0
    gb, gf = decode_arrows(content, buffers)
    np.testing.assert_allclose(gb, gf, rtol=1e-5, atol=1e-6)
    # the full arrow is the gradient of the loss on all the data at each run's point
    _, g = model.value_and_grad(gd.to_numpy(w.run.params))
    np.testing.assert_allclose(gf, g, rtol=1e-5)
    comm.page_sends({"type": "set_batch_size", "value": 1})
    (content, buffers) = customs(comm, "arrows")[-1]  # sent at once, for the new batch
    gb, gf = decode_arrows(content, buffers)
    assert np.all(np.abs(gb - gf).max(axis=1) > 1e-3)
    # the batch arrow is the gradient the next step takes
    p0 = gd.to_numpy(w.run.params).copy()
    w.step(1)
    lr = 0.05
    np.testing.assert_allclose(gd.to_numpy(w.run.params)[0], p0[0] - lr * gb[0], rtol=1e-5)


def test_arrows_agree_better_as_the_batch_grows():
    model = line_model(n=256, noise=2.0)
    w, comm = make(model, {"sgd": gd.optim.sgd(0.01)}, batch_size=1, seed=3)
    means = []
    for b in (1, 8, 64):
        w.set_batch_size(b)
        angles = []
        for _ in range(40):
            w.step(1)
            gb, gf = w.gradients()
            angles.append(angle(gb, gf)[0])
        means.append(float(np.mean(angles)))
    assert means[0] > means[1] > means[2], means


def test_arrows_are_paced_and_only_for_mini_batches():
    model = line_model()
    w, comm = make(model, speed=0)
    w.step(5)
    assert customs(comm, "arrows") == []  # full batch: no arrows
    w.set_batch_size(2)
    comm.clear()
    w.play()
    assert wait_for(lambda: w.t > 2000, 10)
    t0 = w.t
    comm.clear()  # count over a measured second only, however long the wait above took
    began = time.monotonic()
    time.sleep(1.0)
    w.pause()
    elapsed = time.monotonic() - began
    n = len(customs(comm, "arrows"))
    assert w.t > t0 and 0 < n <= 10 * elapsed + 2, n  # at most ~10 a second (and a forced one)


def test_arrows_on_the_pca_plane_are_projected_gradients():
    train, _ = moons()
    w, comm = make(train, batch_size=5, pilot_steps=30)
    w.step(4)
    gb, gf = w.gradients()
    _, g = train.value_and_grad(gd.to_numpy(w.run.params))
    np.testing.assert_allclose(gf, g @ w.plane.directions, rtol=1e-8, atol=1e-12)  # orthonormal
    content, buffers = customs(comm, "arrows")[-1]
    b32, f32 = decode_arrows(content, buffers)
    np.testing.assert_allclose(f32, gf, rtol=1e-5, atol=1e-7)


# ---------------------------------------------------------------------------------------
# model views
# ---------------------------------------------------------------------------------------
def test_line_view_predictions_equal_model_predict():
    model = line_model()
    w, comm = make(model)
    comm.page_sends({"type": "request_history"})
    w.step(7)
    content, buffers = customs(comm, "model_view")[-1]
    assert content["view"] == "line" and content["n_runs"] == 2
    G = content["nx"]
    xs = np.linspace(*content["x"], G)
    pred = np.frombuffer(buffers[0], "<f4").reshape(2, G)
    ref = model.predict(gd.to_numpy(w.run.params), xs[:, None])
    np.testing.assert_allclose(pred, ref, rtol=1e-5, atol=1e-6)
    assert content["x"] == w.data_meta["x0"]


def test_boundary_view_follows_the_selected_run():
    train, _ = moons()
    w, comm = make(train, batch_size=10, pilot_steps=20)
    assert w.data_meta["view"] == "boundary" and w.data_meta["n_classes"] == 2
    rows = np.frombuffer(w.data, "<f4").reshape(-1, 3)
    np.testing.assert_allclose(rows[:, :2], train._X, rtol=1e-6)
    assert set(rows[:, 2].tolist()) == {0.0, 1.0}
    w.step(20)
    comm.page_sends({"type": "select_run", "index": 1})
    content, buffers = customs(comm, "model_view")[-1]
    assert content["view"] == "boundary" and content["run"] == 1
    nx, ny = content["nx"], content["ny"]
    gx, gy = np.meshgrid(np.linspace(*content["x0"], nx), np.linspace(*content["x1"], ny))
    pts = np.stack([gx.ravel(), gy.ravel()], axis=1)
    ref = train.predict(gd.to_numpy(w.run.params)[1], pts)[:, 1].reshape(ny, nx)
    got = np.frombuffer(buffers[0], "<f4").reshape(ny, nx)
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)
    comm.clear()
    comm.page_sends({"type": "select_run", "index": 7})  # ignored
    assert customs(comm, "model_view") == []


def test_boundary_view_of_three_classes_is_the_most_probable_class():
    X, y = gd.data.blobs(90, centers=3, seed=0)
    model = gd.models.softmax_regression(X, y)
    w, comm = make(model, batch_size=9, pilot_steps=20)
    w.step(10)
    content, buffers = customs(comm, "model_view")[-1]
    assert content["n_classes"] == 3
    got = np.frombuffer(buffers[0], "<f4")
    assert set(np.unique(got)) <= {0.0, 1.0, 2.0}
