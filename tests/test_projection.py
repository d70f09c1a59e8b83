"""Planes through parameter space: coordinates, PCA and filter-normalized directions, grids."""

from __future__ import annotations

import numpy as np
import pytest

import gdwidget as gd
from gdwidget.engine import Run
from gdwidget.projection import Plane, loss_grid, params_plane, pca_plane, random_plane


def test_coords_are_the_least_squares_coordinates():
    rng = np.random.default_rng(0)
    o, d = rng.standard_normal(7), rng.standard_normal((7, 2))  # not orthogonal
    plane = Plane(o, d)
    p = rng.standard_normal((5, 7))
    ref = np.linalg.lstsq(d, (p - o).T, rcond=None)[0].T
    np.testing.assert_allclose(plane.coords(p), ref, rtol=1e-12, atol=1e-12)
    # a point of the plane has its own coordinates back; the origin is (0, 0)
    ab = np.array([[0.3, -1.2], [2.0, 0.5]])
    pts = plane.points(ab[:, 0], ab[:, 1])
    np.testing.assert_allclose(pts, o + ab @ d.T, rtol=1e-12)
    np.testing.assert_allclose(plane.coords(pts), ab, atol=1e-12)
    np.testing.assert_allclose(plane.coords(o), [0.0, 0.0], atol=1e-12)
    # the linear part: a displacement moves the coordinates by vectors(v)
    v = rng.standard_normal(7)
    np.testing.assert_allclose(plane.vectors(v), plane.coords(o + v), atol=1e-12)
    # any leading axes, float32 stays float32
    traj = rng.standard_normal((4, 3, 7)).astype(np.float32)
    c = plane.coords(traj)
    assert c.shape == (4, 3, 2) and c.dtype == np.float32


def test_hand_checked_plane():
    # origin (1, 1, 1); directions e1 and e1 + e2: (3, 5, 9) = o + a e1 + b (e1 + e2)
    plane = Plane([1, 1, 1], [[1, 1], [0, 1], [0, 0]])
    np.testing.assert_allclose(plane.coords(np.array([3.0, 5.0, 9.0])), [-2.0, 4.0])
    np.testing.assert_allclose(plane.points([-2.0], [4.0]), [[3.0, 5.0, 1.0]])


def test_planes_need_independent_directions():
    with pytest.raises(ValueError, match="linearly independent"):
        Plane(np.zeros(3), [[1, 2], [1, 2], [0, 0]])
    with pytest.raises(ValueError, match=r"shape \(n_params, 2\)"):
        Plane(np.zeros(3), np.ones((3, 3)))


def test_params_plane_is_the_identity():
    model = gd.models.linear_regression(*gd.data.linear(30, seed=1))
    plane = params_plane(model)
    p = np.array([[1.5, -0.5], [0.0, 2.0]])
    assert plane.coords(p) is p and plane.axes == ("w", "b")
    np.testing.assert_array_equal(plane.points([1.0, 2.0], [3.0, 4.0]), [[1, 3], [2, 4]])
    with pytest.raises(ValueError, match="2 parameters"):
        params_plane(gd.models.mlp(*gd.data.moons(20), hidden=(3,)))


def test_pca_plane_matches_numpy_svd_of_a_pilot_run():
    X, y = gd.data.moons(80, seed=0)
    model = gd.models.mlp(X, y, hidden=(5,))
    opts = {"sgd": gd.optim.sgd(0.3), "adam": gd.optim.adam(0.03)}
    h = gd.run(model, opts, steps=60, batch_size=16, device="cpu", eval_every=0)
    origin = model.init_params(0)
    plane = pca_plane(h.params, origin)
    m = (h.params - origin).reshape(-1, model.n_params)
    _, s, vt = np.linalg.svd(m, full_matrices=False)
    for k in range(2):  # same directions up to sign
        assert abs(abs(plane.directions[:, k] @ vt[k]) - 1) < 1e-9
    np.testing.assert_allclose(plane.directions.T @ plane.directions, np.eye(2), atol=1e-10)
    # the pilot trajectory's coordinates are its projections on the principal directions
    c = plane.coords(h.params)
    ref = (h.params - origin) @ vt[:2].T
    np.testing.assert_allclose(np.abs(c), np.abs(ref), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(plane.info["explained"], s[:2] ** 2 / np.sum(s**2), rtol=1e-9)
    assert np.all(c.reshape(-1, 2).mean(axis=0) > 0)  # signs: paths go right and up
    assert plane.axes == ("PC1", "PC2") and plane.kind == "pca"


def test_pca_plane_of_a_straight_line_fills_in_an_orthogonal_direction():
    origin = np.zeros(4)
    line = np.outer(np.arange(1, 6), [1.0, 2.0, 0.0, 0.0])
    line = np.vstack([line, [[np.nan] * 4]])  # a diverged point is ignored
    plane = pca_plane(line, origin, seed=3)
    np.testing.assert_allclose(np.abs(plane.directions[:, 0]), np.array([1, 2, 0, 0]) / 5**0.5)
    assert abs(plane.directions[:, 0] @ plane.directions[:, 1]) < 1e-12
    with pytest.raises(ValueError, match="never leave"):
        pca_plane(np.zeros((3, 4)), origin)


def test_random_plane_is_filter_normalized():
    X, y = gd.data.moons(50, seed=0)
    model = gd.models.mlp(X, y, hidden=(6, 4))
    origin = model.init_params(2)
    plane = random_plane(model, origin, seed=7)
    for k in range(2):
        d = model.unflatten(plane.directions[:, k])
        o = model.unflatten(origin)
        for layer in (1, 2, 3):
            w_d, w_o = d[f"W{layer}"], o[f"W{layer}"]
            np.testing.assert_allclose(
                np.linalg.norm(w_d, axis=0), np.linalg.norm(w_o, axis=0), rtol=1e-12
            )
            np.testing.assert_array_equal(d[f"b{layer}"], 0.0)
    # seeded
    np.testing.assert_array_equal(random_plane(model, origin, seed=7).directions, plane.directions)
    assert not np.array_equal(random_plane(model, origin, seed=8).directions, plane.directions)
    # a model started at zero gets unit-norm filters
    lin = gd.models.logistic_regression(X, y)
    z = random_plane(lin, np.zeros(lin.n_params), seed=0)
    w = lin.unflatten(z.directions[:, 0])["w"]
    assert abs(np.linalg.norm(w) - 1) < 1e-12
    # one weight and a bias: the two directions cannot be independent
    one = gd.models.linear_regression(*gd.data.linear(20))
    with pytest.raises(ValueError, match="not independent"):
        random_plane(one, np.array([1.0, 0.0]))


@pytest.mark.parametrize("max_elements", [1 << 22, 5000])
def test_loss_grid_equals_the_loss_at_the_plane_points(max_elements):
    X, y = gd.data.moons(60, seed=1)
    model = gd.models.mlp(X, y, hidden=(5,))
    origin = model.init_params(0)
    plane = random_plane(model, origin, seed=1)
    view = [[-1.0, 2.0], [-0.5, 0.5]]
    z = loss_grid(model, plane, view, 7, 5, "cpu", max_elements=max_elements)
    assert z.shape == (5, 7)
    xs, ys = np.linspace(-1, 2, 7), np.linspace(-0.5, 0.5, 5)
    for i in (0, 2, 4):
        for j in (0, 3, 6):
            p = origin + xs[j] * plane.directions[:, 0] + ys[i] * plane.directions[:, 1]
            assert z[i, j] == pytest.approx(float(model.value(p)), rel=1e-12)


def test_loss_grid_over_the_params_plane_and_on_a_float32_backend():
    model = gd.models.linear_regression(*gd.data.linear(40, seed=2))
    plane = params_plane(model)
    z = loss_grid(model, plane, [[0.0, 4.0], [-3.0, 1.0]], 5, 5, "cpu")
    assert z[2, 2] == pytest.approx(float(model.value(np.array([2.0, -1.0]))), rel=1e-12)
    be = gd.backend.get_backend("cpu", "float32")
    z32 = loss_grid(model, plane, [[0.0, 4.0], [-3.0, 1.0]], 5, 5, be)
    np.testing.assert_allclose(z32, z, rtol=1e-5)
    with pytest.raises(ValueError, match="view must be"):
        loss_grid(model, plane, [[0.0, 1.0]], 5, 5)


def test_run_project_with_a_plane_records_coordinates_each_step():
    X, y = gd.data.moons(40, seed=0)
    model = gd.models.mlp(X, y, hidden=(3,))
    origin = model.init_params(0)
    plane = random_plane(model, origin, seed=0)
    r = Run(model, {"a": gd.optim.sgd(0.1)}, device="cpu", record_params=True, eval_every=0)
    r.project = plane.coords
    c0, c = r.reset(), r.advance(4)
    np.testing.assert_allclose(c0.xy[0], [[0.0, 0.0]], atol=1e-12)
    np.testing.assert_allclose(c.xy, plane.coords(c.params), rtol=1e-12)
