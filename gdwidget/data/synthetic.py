"""Seeded toy data sets: a regression line and five 2-D classification pictures.

Each generator returns ``(X, y)`` as NumPy arrays: ``X`` float64 of shape
``(n, n_features)``, ``y`` float64 for regression and int64 class labels
``0 .. k-1`` for classification. The same ``seed`` gives the same data, and the
examples come out shuffled, so any contiguous slice is a fair mini-batch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import check_int, check_real
from .validate import MAX_CLASSES

__all__ = ["linear", "blobs", "moons", "circles", "xor", "spirals"]


def _rng(seed: Any) -> np.random.Generator:
    if seed is None:
        return np.random.default_rng()
    return np.random.default_rng(check_int("seed", seed, low=0))


#: the most examples and features a generator makes (a typo such as n=10**12 fails at once)
MAX_EXAMPLES = 10_000_000
MAX_FEATURES = 100_000


def _check_n(n: Any, k: int = 1) -> int:
    n = check_int("n", n, high=MAX_EXAMPLES)
    if n < k:
        raise ValueError(f"n must be >= {k} (at least one example per class), got {n}")
    return n


def _split(n: int, k: int) -> list[int]:
    """Sizes of ``k`` classes that add up to ``n``, as even as possible."""
    return [n // k + (1 if i < n % k else 0) for i in range(k)]


def _shuffle(
    rng: np.random.Generator, X: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(len(y))
    return np.ascontiguousarray(X[order], dtype=np.float64), y[order]


def linear(
    n: int = 100,
    noise: float = 0.1,
    seed: int | None = 0,
    n_features: int = 1,
    w: Any = None,
    b: float = -1.0,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Points around a line (or hyperplane): :math:`y = x^\top w + b + \varepsilon`.

    Parameters
    ----------
    n : int
        Number of examples.
    noise : float
        Standard deviation of the Gaussian noise :math:`\varepsilon` on ``y``.
    seed : int or None
        Seed of the generator (``None``: different data each call).
    n_features : int
        Number of features ``d``; ``X`` is uniform on ``[-2, 2]^d``.
    w : float or array of shape (n_features,), optional
        True weights. Default: ``2.0`` for one feature, otherwise drawn from a
        standard normal with the same seed.
    b : float
        True intercept.

    Returns
    -------
    X : ndarray, shape (n, n_features), float64
    y : ndarray, shape (n,), float64
    """
    n = _check_n(n)
    noise = check_real("noise", noise, low=0.0)
    d = check_int("n_features", n_features, low=1, high=MAX_FEATURES)
    b = check_real("b", b)
    rng = _rng(seed)
    if w is None:
        w_arr = np.array([2.0]) if d == 1 else rng.standard_normal(d)
    else:
        w_arr = np.asarray(w, dtype=np.float64).reshape(-1)
        if w_arr.shape != (d,) or not np.all(np.isfinite(w_arr)):
            raise ValueError(f"w must be {d} finite number(s), got {w!r}")
    X = rng.uniform(-2.0, 2.0, size=(n, d))
    y = X @ w_arr + b + noise * rng.standard_normal(n)
    return X, y


def blobs(
    n: int = 200,
    centers: Any = 3,
    noise: float = 1.0,
    seed: int | None = 0,
    n_features: int = 2,
    box: tuple[float, float] = (-5.0, 5.0),
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian clusters, one class per cluster.

    Parameters
    ----------
    n : int
        Number of examples, split as evenly as possible between the clusters.
    centers : int or array of shape (k, n_features)
        Number of clusters (their centres drawn uniformly in ``box``) or the
        centres themselves.
    noise : float
        Standard deviation of each cluster.
    seed : int or None
    n_features : int
        Dimension (ignored when ``centers`` is an array).
    box : (low, high)
        Where random centres are drawn.

    Returns
    -------
    X : ndarray, shape (n, d), float64
    y : ndarray, shape (n,), int64 in ``0 .. k-1``
    """
    noise = check_real("noise", noise, low=0.0)
    rng = _rng(seed)
    if isinstance(centers, int | np.integer) and not isinstance(centers, bool):
        k = check_int("centers", centers, low=1, high=MAX_CLASSES)
        d = check_int("n_features", n_features, low=1, high=MAX_FEATURES)
        lo, hi = (check_real("box[0]", box[0]), check_real("box[1]", box[1]))
        if not lo < hi:
            raise ValueError(f"box must be (low, high) with low < high, got {box!r}")
        C = rng.uniform(lo, hi, size=(k, d))
    else:
        try:
            C = np.asarray(centers)
            C = C.astype(np.float64) if C.dtype.kind in "biuf" else None
        except (TypeError, ValueError, OverflowError):
            C = None
        if (
            C is None
            or C.ndim != 2
            or C.shape[0] < 1
            or C.shape[1] < 1
            or not np.all(np.isfinite(C))
        ):
            raise ValueError(
                f"centers must be an integer or a finite (k, d) array, got {centers!r}"
            )
        k, d = C.shape
    n = _check_n(n, k)
    sizes = _split(n, k)
    y = np.repeat(np.arange(k, dtype=np.int64), sizes)
    X = C[y] + noise * rng.standard_normal((n, d))
    return _shuffle(rng, X, y)


def moons(n: int = 200, noise: float = 0.1, seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (class 0 on top, class 1 below).

    Parameters
    ----------
    n : int
    noise : float
        Standard deviation of Gaussian noise added to every point.
    seed : int or None

    Returns
    -------
    X : ndarray, shape (n, 2), float64
    y : ndarray, shape (n,), int64 in {0, 1}
    """
    n = _check_n(n, 2)
    noise = check_real("noise", noise, low=0.0)
    rng = _rng(seed)
    n0, n1 = _split(n, 2)
    t0 = np.linspace(0.0, np.pi, n0)
    t1 = np.linspace(0.0, np.pi, n1)
    top = np.stack([np.cos(t0), np.sin(t0)], axis=1)
    bottom = np.stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)], axis=1)
    X = np.concatenate([top, bottom]) + noise * rng.standard_normal((n, 2))
    y = np.repeat(np.array([0, 1], dtype=np.int64), [n0, n1])
    return _shuffle(rng, X, y)


def circles(
    n: int = 200, noise: float = 0.05, seed: int | None = 0, factor: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """A small circle (class 1) inside a large one (class 0).

    Parameters
    ----------
    n : int
    noise : float
        Standard deviation of Gaussian noise added to every point.
    seed : int or None
    factor : float
        Radius of the inner circle relative to the outer one (radius 1), in (0, 1).

    Returns
    -------
    X : ndarray, shape (n, 2), float64
    y : ndarray, shape (n,), int64 in {0, 1}
    """
    n = _check_n(n, 2)
    noise = check_real("noise", noise, low=0.0)
    factor = check_real("factor", factor, low=0.0, high=1.0, low_open=True, high_open=True)
    rng = _rng(seed)
    n0, n1 = _split(n, 2)
    t0 = rng.uniform(0.0, 2 * np.pi, n0)
    t1 = rng.uniform(0.0, 2 * np.pi, n1)
    outer = np.stack([np.cos(t0), np.sin(t0)], axis=1)
    inner = factor * np.stack([np.cos(t1), np.sin(t1)], axis=1)
    X = np.concatenate([outer, inner]) + noise * rng.standard_normal((n, 2))
    y = np.repeat(np.array([0, 1], dtype=np.int64), [n0, n1])
    return _shuffle(rng, X, y)


def xor(n: int = 200, noise: float = 0.1, seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """The XOR picture: class 1 where exactly one coordinate is negative.

    Points are drawn uniformly in ``[-1, 1]^2`` away from the axes (a margin of
    0.1), labelled by the signs of their coordinates, then moved by Gaussian
    noise, so with ``noise > 0`` a few points cross the axes.

    Parameters
    ----------
    n : int
    noise : float
        Standard deviation of Gaussian noise added to every point.
    seed : int or None

    Returns
    -------
    X : ndarray, shape (n, 2), float64
    y : ndarray, shape (n,), int64 in {0, 1}
    """
    n = _check_n(n, 2)
    noise = check_real("noise", noise, low=0.0)
    rng = _rng(seed)
    mag = rng.uniform(0.1, 1.0, size=(n, 2))
    sign = rng.choice(np.array([-1.0, 1.0]), size=(n, 2))
    X = mag * sign
    y = (sign[:, 0] * sign[:, 1] < 0).astype(np.int64)
    X = X + noise * rng.standard_normal((n, 2))
    return np.ascontiguousarray(X), y


def spirals(
    n: int = 200, noise: float = 0.1, seed: int | None = 0, n_classes: int = 2, turns: float = 1.5
) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one class per arm.

    Arm ``c`` has points at radius ``r`` in (0, 1] and angle
    ``2*pi*(turns*r + c/n_classes)``, moved by Gaussian noise of standard
    deviation ``noise * 0.2`` (``noise`` is relative to the spacing of the arms).

    Parameters
    ----------
    n : int
    noise : float
    seed : int or None
    n_classes : int
        Number of arms, >= 2.
    turns : float
        How many times each arm winds around the centre.

    Returns
    -------
    X : ndarray, shape (n, 2), float64
    y : ndarray, shape (n,), int64 in ``0 .. n_classes-1``
    """
    k = check_int("n_classes", n_classes, low=2, high=MAX_CLASSES)
    n = _check_n(n, k)
    noise = check_real("noise", noise, low=0.0)
    turns = check_real("turns", turns, low=0.0, low_open=True)
    rng = _rng(seed)
    sizes = _split(n, k)
    y = np.repeat(np.arange(k, dtype=np.int64), sizes)
    r = np.concatenate([np.linspace(0.05, 1.0, s) for s in sizes])
    angle = 2 * np.pi * (turns * r + y / k)
    X = np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1)
    X = X + 0.2 * noise * rng.standard_normal((n, 2))
    return _shuffle(rng, X, y)
