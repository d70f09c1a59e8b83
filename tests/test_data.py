"""Data generators, the bundled iris table, validation of user data, splitting."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import gdwidget as gd
from gdwidget.data import as_features, as_targets

CLASSIFIERS = {
    "blobs": (gd.data.blobs, 3),
    "moons": (gd.data.moons, 2),
    "circles": (gd.data.circles, 2),
    "xor": (gd.data.xor, 2),
    "spirals": (gd.data.spirals, 2),
}
GENERATORS = {"linear": gd.data.linear, **{k: v[0] for k, v in CLASSIFIERS.items()}}


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_generators_are_reproducible_and_seeded(name):
    f = GENERATORS[name]
    X1, y1 = f(n=57, seed=3)
    X2, y2 = f(n=57, seed=3)
    X3, _ = f(n=57, seed=4)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.allclose(X1, X3)
    assert X1.dtype == np.float64 and X1.ndim == 2 and X1.shape[0] == 57
    assert y1.shape == (57,)
    assert np.all(np.isfinite(X1))


@pytest.mark.parametrize("name", sorted(CLASSIFIERS))
def test_classifier_generators_give_balanced_integer_labels(name):
    f, k = CLASSIFIERS[name]
    X, y = f(n=90, seed=0)
    assert X.shape == (90, 2)
    assert y.dtype == np.int64
    counts = np.bincount(y, minlength=k)
    assert len(counts) == k
    if name != "xor":  # xor labels come from random signs
        assert counts.max() - counts.min() <= 1
    else:
        assert counts.min() > 25


def test_linear_recovers_its_line():
    X, y = gd.data.linear(n=400, noise=0.05, seed=1)
    assert X.shape == (400, 1) and y.dtype == np.float64
    A = np.hstack([X, np.ones((400, 1))])
    w, b = np.linalg.lstsq(A, y, rcond=None)[0]
    assert w == pytest.approx(2.0, abs=0.02) and b == pytest.approx(-1.0, abs=0.02)
    X, y = gd.data.linear(n=50, n_features=3, w=[1, 2, 3], b=0.5, noise=0.0)
    np.testing.assert_allclose(y, X @ np.array([1.0, 2.0, 3.0]) + 0.5)


def test_blobs_with_given_centres_and_noise_zero():
    C = np.array([[0.0, 0.0, 1.0], [5.0, 5.0, 5.0]])
    X, y = gd.data.blobs(n=10, centers=C, noise=0.0, seed=0)
    np.testing.assert_array_equal(X, C[y])


def test_moons_and_circles_shapes_are_right_without_noise():
    X, y = gd.data.circles(n=100, noise=0.0, factor=0.3)
    r = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(r[y == 0], 1.0)
    np.testing.assert_allclose(r[y == 1], 0.3)
    X, y = gd.data.moons(n=100, noise=0.0)
    np.testing.assert_allclose(np.hypot(X[y == 0, 0], X[y == 0, 1]), 1.0)
    np.testing.assert_allclose(np.hypot(X[y == 1, 0] - 1, X[y == 1, 1] - 0.5), 1.0)


def test_xor_labels_follow_the_quadrants_without_noise():
    X, y = gd.data.xor(n=300, noise=0.0, seed=2)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(int))


def test_spirals_many_arms():
    X, y = gd.data.spirals(n=301, n_classes=3, seed=0)
    assert sorted(np.bincount(y)) == [100, 100, 101]


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: gd.data.moons(n=0), "n must be"),
        (lambda: gd.data.linear(n=-3), "n must be"),
        (lambda: gd.data.moons(n=1), "n must be >= 2"),
        (lambda: gd.data.moons(noise=-0.1), "noise must be >= 0"),
        (lambda: gd.data.moons(seed=-1), "seed must be >= 0"),
        (lambda: gd.data.moons(seed=1.5), "seed must be an integer"),
        (lambda: gd.data.circles(factor=1.5), "factor must be < 1"),
        (lambda: gd.data.blobs(centers=0), "centers must be >= 1"),
        (lambda: gd.data.blobs(centers=[1, 2]), "centers must be"),
        (lambda: gd.data.spirals(n_classes=1), "n_classes must be >= 2"),
        (lambda: gd.data.linear(n_features=2, w=[1.0]), "w must be 2"),
        (lambda: gd.data.linear(noise=float("nan")), "noise must be a finite number"),
    ],
)
def test_generators_reject_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# -- iris --------------------------------------------------------------------------------


def test_iris_is_fishers_table():
    X, y = gd.data.iris()
    assert X.shape == (150, 4) and X.dtype == np.float64 and y.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(y), [50, 50, 50])
    # column means of R's datasets::iris, as published in countless summaries
    np.testing.assert_allclose(X.mean(axis=0), [5.843333, 3.057333, 3.758, 1.199333], atol=1e-6)
    np.testing.assert_array_equal(X[0], [5.1, 3.5, 1.4, 0.2])
    # the two rows where R's (corrected) version differs from the UCI file
    np.testing.assert_array_equal(X[34], [4.9, 3.1, 1.5, 0.2])
    np.testing.assert_array_equal(X[37], [4.9, 3.6, 1.4, 0.1])
    assert gd.data.IRIS_CLASSES == ("setosa", "versicolor", "virginica")
    assert len(gd.data.IRIS_FEATURES) == 4


# -- validation of user data ------------------------------------------------------------------


def test_as_features_accepts_lists_pandas_and_1d():
    np.testing.assert_array_equal(as_features([1, 2, 3]), [[1.0], [2.0], [3.0]])
    df = pd.DataFrame({"a": [1, 2], "b": [0.5, 1.5], "c": [True, False]})
    A = as_features(df)
    assert A.dtype == np.float64 and A.shape == (2, 3)
    assert as_features(np.ones((3, 2), np.float32)).dtype == np.float32


@pytest.mark.parametrize(
    "X, match",
    [
        (np.zeros((0, 2)), "X is empty"),
        (np.zeros((3, 0)), "no features"),
        (np.zeros((2, 2, 2)), "1-D or 2-D"),
        (np.array([[1.0, np.nan], [0.0, 1.0]]), r"NaN or Inf \(first at row 0\)"),
        (np.array([[1.0, 2.0], [0.0, np.inf]]), r"NaN or Inf \(first at row 1\)"),
        (np.array(["a", "b"]), "must be numeric"),
        (pd.DataFrame({"x": [1.0, 2.0], "kind": ["a", "b"]}), r"non-numeric columns \['kind'\]"),
    ],
)
def test_as_features_rejects_bad_data(X, match):
    with pytest.raises(ValueError, match=match):
        as_features(X)


def test_as_targets():
    y, k = as_targets(pd.Series([0, 2, 1]), 3, "classification")
    assert k == 3 and y.dtype == np.int64
    y, k = as_targets(np.array([0.0, 1.0, 1.0]), 3, "binary")
    assert k == 2 and y.dtype == np.int64
    y, k = as_targets([0.5, 1.5], 2, "regression")
    assert k is None and y.dtype == np.float64
    y, k = as_targets(np.array([True, False]), 2, "binary")
    np.testing.assert_array_equal(y, [1, 0])


@pytest.mark.parametrize(
    "y, task, kw, match",
    [
        ([0, 1, 1], "binary", {}, "different lengths: 4 examples in X, 3 in y"),
        ([0, 1, 2, 1], "binary", {}, r"must be in 0..1, got 2 \(logistic regression"),
        ([0, -1, 1, 1], "classification", {}, "must be in 0..1, got -1"),
        ([0, 1, 3, 1], "classification", {"n_classes": 3}, "must be in 0..2, got 3"),
        ([0, 1, 0.5, 1], "classification", {}, "must be integers, got 0.5 at index 2"),
        (["a", "b", "a", "b"], "classification", {}, "must be integers"),
        ([0.0, np.nan, 1.0, 1.0], "regression", {}, "NaN or Inf"),
        ([0, 1, 0, 1], "classification", {"n_classes": 1}, "n_classes must be an integer >= 2"),
    ],
)
def test_as_targets_rejects_bad_labels(y, task, kw, match):
    with pytest.raises(ValueError, match=match):
        as_targets(np.asarray(y) if not isinstance(y[0], str) else y, 4, task, **kw)


# -- splitting and scaling --------------------------------------------------------------------


def test_train_val_split_partitions_the_examples():
    X = np.arange(50.0).reshape(25, 2)
    y = np.arange(25)
    (Xt, yt), (Xv, yv) = gd.data.train_val_split(X, y, val_fraction=0.2, seed=1)
    assert len(yv) == 5 and len(yt) == 20
    assert sorted(np.concatenate([yt, yv]).tolist()) == list(range(25))
    np.testing.assert_array_equal(Xt[:, 0], 2 * yt)  # rows stay with their labels
    (_, yt2), _ = gd.data.train_val_split(X, y, val_fraction=0.2, seed=1)
    (_, yt3), _ = gd.data.train_val_split(X, y, val_fraction=0.2, seed=2)
    np.testing.assert_array_equal(yt, yt2)
    assert not np.array_equal(yt, yt3)


def test_train_val_split_keeps_pandas():
    df = pd.DataFrame({"a": np.arange(10.0)}, index=np.arange(10) * 10)
    s = pd.Series(np.arange(10), index=df.index)
    (Xt, yt), (Xv, yv) = gd.data.train_val_split(df, s, val_fraction=0.3)
    assert isinstance(Xt, pd.DataFrame) and isinstance(yv, pd.Series)
    assert list(Xt.index) == list(yt.index) and len(Xv) == 3


@pytest.mark.parametrize(
    "args, kw, match",
    [
        ((np.zeros((3, 1)), np.zeros(4)), {}, "different lengths: 3 examples in X, 4 in y"),
        ((np.zeros((3, 1)), np.zeros(3)), {"val_fraction": 1.0}, "val_fraction must be < 1"),
        ((np.zeros((3, 1)), np.zeros(3)), {"val_fraction": 0}, "val_fraction must be > 0"),
        ((np.zeros((1, 1)), np.zeros(1)), {}, "at least 2 examples"),
    ],
)
def test_train_val_split_rejects_bad_input(args, kw, match):
    with pytest.raises(ValueError, match=match):
        gd.data.train_val_split(*args, **kw)


def test_standardize_uses_training_statistics():
    X = np.array([[1.0, 5.0], [3.0, 5.0]])
    A, B = gd.data.standardize(X, [[2.0, 6.0]])
    np.testing.assert_allclose(A, [[-1.0, 0.0], [1.0, 0.0]])
    np.testing.assert_allclose(B, [[0.0, 1.0]])
    with pytest.raises(ValueError, match="must have 2 features"):
        gd.data.standardize(X, np.zeros((1, 3)))


def test_lazy_names():
    assert gd.data is gd.data and callable(gd.data.moons)
    assert callable(gd.models.mlp)
