"""gd.monitor without torch: the path and its surface, framework-free."""

from __future__ import annotations

import json

import numpy as np
import pytest
from monitor_helpers import bilinear, make, messages

import gdwidget as gd
from gdwidget.monitoring.surface import grid_levels


# ---------------------------------------------------------------------------------------
# The path and the surface, framework-free
# ---------------------------------------------------------------------------------------
def _walk(n: int = 200, d: int = 12, seed: int = 2) -> np.ndarray:
    rng = np.random.default_rng(seed)
    drift = rng.standard_normal(d) * 0.1
    return np.cumsum(rng.standard_normal((n, d)) * 0.03 + drift, axis=0)


def _svd_plane(path: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    centre = path.mean(axis=0)
    _, s, vt = np.linalg.svd(path - centre, full_matrices=False)
    return centre, vt[:2].T, s


def test_pca_path_matches_numpy_svd_of_the_centred_path() -> None:
    path = _walk(n=60)  # at most FIT_POINTS (64): the fit sees every point
    m, comm = make(projection="pca")
    for p in path:
        m.log(loss=float(p @ p), params=p)
    m.flush()
    m._projector._next_fit = 0.0  # the last refit is due (its pace is bounded in time)
    m.flush()
    centre, d, s = _svd_plane(path)
    expect = (path - centre) @ d
    h = m.history
    np.testing.assert_array_equal(h.path_steps, np.arange(len(path)))
    got = h.path * np.sign((h.path * expect).sum(axis=0))  # up to the sign of each axis
    np.testing.assert_allclose(got, expect, atol=1e-9)
    # the page's last path message is that path, with the explained shares
    msg = messages(comm, ("path",))[-1]
    np.testing.assert_allclose(msg["xy"], h.path)
    np.testing.assert_allclose(msg["explained"], s[:2] ** 2 / (s**2).sum(), rtol=1e-9)
    assert m.meta["projection"] == "pca"
    m.close()


def test_surface_is_centred_on_the_current_parameters() -> None:
    """Li et al.: the surface is the loss at current + a*d1 + b*d2, so the newest path
    point's value is loss_fn at the current parameters, although they are off the plane."""
    t = np.linspace(0.0, 3.0, 60)  # a curved path: its end is well off its PCA plane
    path = np.stack([t, t**2 / 3, 0.5 * np.sin(2 * t), 0.4 * np.cos(3 * t), t**3 / 20], axis=1)
    a = np.arange(1.0, 6.0)

    def loss_fn(p: np.ndarray) -> float:
        return float(np.sum(a * p**2) + np.sin(p[0]))

    m, comm = make(loss_fn=loss_fn, projection="pca")
    for p in path:
        m.log(loss=loss_fn(p), params=p)
    out = m.compute_surface()
    centre, d, _ = _svd_plane(path)  # compute_surface fits the plane to the whole path
    h = m.history
    d = d * np.sign((h.path * ((path - centre) @ d)).sum(axis=0))  # the monitor's signs
    a0 = (path[-1] - centre) @ d
    np.testing.assert_allclose(out["anchor"], a0, atol=1e-12)
    np.testing.assert_allclose(h.path[-1], a0, atol=1e-12)
    vals = out["values"]
    assert vals.shape == (41, 41)
    for i, j in [(0, 0), (40, 40), (20, 7), (3, 33)]:
        da, db = out["xs"][j] - a0[0], out["ys"][i] - a0[1]
        point = path[-1] + da * d[:, 0] + db * d[:, 1]
        assert vals[i, j] == pytest.approx(loss_fn(point), rel=1e-9)
    # the newest point's value, interpolated as the page does, is the current loss; the
    # plane point the old surface evaluated there is far from it (the path is off-plane)
    at_newest = bilinear(out["xs"], out["ys"], vals, *h.path[-1])
    assert at_newest == pytest.approx(loss_fn(path[-1]), rel=1e-12)
    assert abs(loss_fn(centre + d @ a0) - loss_fn(path[-1])) > 0.01 * loss_fn(path[-1])
    msg = messages(comm, ("surface",))[-1]
    np.testing.assert_allclose(msg["values"], vals.astype(np.float32))
    assert msg["bounds"] == out["bounds"] and msg["anchor_step"] == len(path) - 1
    (x0, x1), (y0, y1) = msg["bounds"]
    assert x0 <= h.path[:, 0].min() and h.path[:, 0].max() <= x1
    assert y0 <= h.path[:, 1].min() and h.path[:, 1].max() <= y1
    m.close()


def test_surface_is_computed_in_the_loop_coarse_first() -> None:
    import time

    def loss_fn(p: np.ndarray) -> float:
        return float(p @ p + p[0])

    m, comm = make(loss_fn=loss_fn, projection="random", max_fps=50)
    path = _walk(n=3000, d=4)
    t = 0
    end = time.monotonic() + 60
    while not messages(comm, ("surface",)) and time.monotonic() < end:
        m.log(loss=loss_fn(path[t % 3000]), params=path[t % 3000])
        t += 1
        time.sleep(0.002)
    msg = messages(comm, ("surface",))[0]  # a training loop that never asked for it
    n = msg["nx"]
    assert n == msg["ny"] and n in (6, 11, 21, 41)  # the finest level done at that tick
    plane = m._projector.shown
    np.testing.assert_allclose(plane.origin, path[0])  # random: through the path's start
    s = msg["anchor_step"]
    anchor = path[s % 3000]
    a0 = plane.coords(anchor)
    np.testing.assert_allclose(msg["anchor"], a0, atol=1e-12)
    (x0, x1), (y0, y1) = msg["bounds"]
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    for i, j in [(0, 0), (n - 1, n - 1), (1, 4)]:
        point = anchor + (xs[j] - a0[0]) * plane.dirs[:, 0] + (ys[i] - a0[1]) * plane.dirs[:, 1]
        assert msg["values"][i, j] == pytest.approx(loss_fn(point), rel=1e-6)
    at = bilinear(xs, ys, msg["values"].astype(np.float64), *a0)
    assert at == pytest.approx(loss_fn(anchor), rel=1e-6)  # the anchor is a node
    # random directions without a layout: each scaled to the origin's norm
    np.testing.assert_allclose(np.linalg.norm(plane.dirs, axis=0), np.linalg.norm(path[0]))
    m.close()


def test_grid_levels_nest_coarse_to_fine() -> None:
    strides, order, ends = grid_levels(41, 41)
    assert strides == [8, 4, 2, 1] and ends == [36, 121, 441, 1681]
    assert sorted(order.tolist()) == list(range(41 * 41))  # each node once
    for s, e in zip(strides, ends, strict=True):
        rows, cols = np.divmod(order[:e], 41)
        assert ((rows % s == 0) & (cols % s == 0)).all() and e == (40 // s + 1) ** 2
    assert grid_levels(9, 7)[0] == [1]


class _Recorder:
    """An evaluator that records the offsets it is asked for (loss: a + 2b)."""

    def __init__(self) -> None:
        self.asked: list[tuple[float, float]] = []

    def begin(self, job: object) -> None:
        pass

    def value(self, dab: tuple[float, float]) -> float:
        self.asked.append(dab)
        return dab[0] + 2 * dab[1]

    def end(self) -> None:
        pass


def test_surface_job_publishes_each_level_around_its_anchor() -> None:
    from gdwidget.monitoring.projection import PathPlane
    from gdwidget.monitoring.surface import SurfaceJob

    plane = PathPlane("pca", np.zeros(3), np.eye(3)[:, :2])
    job = SurfaceJob(plane, [[-1.0, 1.0], [0.0, 4.0]])
    job.set_anchor(None, np.array([0.3, 3.7]), 12)
    (x0, x1), (y0, y1) = job.bounds
    assert x0 <= -1 and x1 >= 1 and y0 <= 0 and y1 >= 4  # holds the path's box
    ev = _Recorder()
    levels = []
    while not job.done:  # one level at a time, as the loop's slices would
        for _ in range(job.ends[job.levels_done] - job.next):
            j = job.order[job.next]
            job.values.flat[j] = ev.value(job.offset(j))
            job.next += 1
        levels.append(job.surface())
    assert [lv.values.shape for lv in levels] == [(6, 6), (11, 11), (21, 21), (41, 41)]
    assert len(ev.asked) == 41 * 41  # each node once
    surf = job.surface()
    for lv, s in zip(levels, (8, 4, 2, 1), strict=True):
        assert lv.bounds == surf.bounds and np.array_equal(lv.values, surf.values[::s, ::s])
    # the anchor is a node of the coarsest level, where the offsets are exactly zero
    c = int(np.argmin(np.abs(surf.xs - 0.3)))
    r = int(np.argmin(np.abs(surf.ys - 3.7)))
    assert c % 8 == 0 and r % 8 == 0
    assert (surf.xs[c], surf.ys[r]) == pytest.approx((0.3, 3.7), abs=1e-12)
    assert surf.values[r, c] == 0.0
    a, b = np.meshgrid(surf.xs - 0.3, surf.ys - 3.7)
    np.testing.assert_allclose(surf.values, a + 2 * b, atol=1e-12)


def test_a_fresh_surface_follows_the_path_after_its_coarse_level() -> None:
    from gdwidget.monitoring.evaluators import NumpyEvaluator
    from gdwidget.monitoring.path import Projector

    latest = {"x": None}
    pr = Projector("random", surveying=True)
    ev = NumpyEvaluator(lambda p: float(p @ p), lambda: latest["x"].copy(), lambda: pr.index)
    pr.setup(3)

    def step(s: int, x: np.ndarray) -> None:
        latest["x"] = x
        pr.add(s, x, x)

    for s in range(5):
        step(s, np.array([1.0 + 0.1 * s, 0.5, -0.2]))
    pr.update()
    first = pr.job
    pr._anchor(first, ev, 4)
    coarse = first.ends[0]
    for j in first.order[:coarse]:  # its coarse level only
        first.values.flat[j] = 1.0
    first.next = coarse
    pr.update()
    assert pr.surface is not None and pr.surface.anchor_step == 4 and pr.job is first
    pr.update()
    assert pr.job is first  # the path has not moved: the surface is refined
    step(5, np.array([9.0, 7.0, 3.0]))  # far beyond a coarse cell
    pr.update()
    fresh = pr.job
    assert fresh is not first and fresh.anchor is None and fresh.plane is pr.shown
    pr.work(ev, 5)
    assert fresh.anchor_step == 5
    np.testing.assert_array_equal(fresh.anchor, [9.0, 7.0, 3.0])


def test_surface_messages_carry_no_nan() -> None:
    m, comm = make(loss_fn=lambda p: float("nan"), projection="pca")
    for t in range(6):
        m.log(loss=float("nan") if t == 2 else 1.0, params=np.array([t, t * t, 1.0]))
    out = m.compute_surface()
    assert np.isnan(out["values"]).all()
    m.flush()
    sent = [d for d, _ in comm.sent]
    assert any(d.get("content", {}).get("type") == "surface" for d in sent)
    for d in sent:
        json.dumps(d, allow_nan=False)  # every message, surface min/max included
    surface = messages(comm, ("surface",))[-1]
    assert surface["min"] is None and surface["max"] is None
    json.dumps(m.meta, allow_nan=False)
    m.close()


def test_huge_params_are_subsampled() -> None:
    m = gd.monitor(projection="pca")
    n = 200_000
    rng = np.random.default_rng(3)
    x = np.zeros(n)
    for _ in range(5):
        x = x + rng.standard_normal(n) * 0.01
        m.log(loss=1.0, params=x)
    pr = m._projector
    assert pr.index is not None and pr.x.size <= 1 << 22
    assert pr.k == 5
    with pytest.raises(ValueError, match="length"):
        m.log(loss=1.0, params=np.zeros(7))
    m.close()
