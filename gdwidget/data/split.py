"""Splitting and scaling data for training."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import check_int, check_real
from ..backend import namespace_of
from .validate import _is_pandas, as_features, to_array

__all__ = ["train_val_split", "standardize"]


def _length(a: Any, name: str) -> int:
    shape = getattr(a, "shape", None)
    if shape is None:
        a = to_array(a, name)
        shape = a.shape
    if len(shape) == 0:
        raise ValueError(f"{name} must have one entry per example, got a scalar")
    return int(shape[0])


def _take(a: Any, idx: np.ndarray) -> Any:
    if _is_pandas(a):
        return a.iloc[idx]
    if not hasattr(a, "shape"):
        a = to_array(a, "data")
    xp = namespace_of(a)
    return xp.take(a, xp.asarray(idx), axis=0)


def train_val_split(
    X: Any, y: Any, val_fraction: float = 0.2, seed: int | None = 0
) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """Shuffle the examples and split them into a training and a validation set.

    Parameters
    ----------
    X, y : array-like
        Same number of examples (rows). NumPy, CuPy and pandas inputs keep
        their type (pandas keeps its index); lists become NumPy arrays.
    val_fraction : float
        Share of the examples that go to the validation set, in (0, 1). At
        least one example goes to each side.
    seed : int or None
        Seed of the shuffle.

    Returns
    -------
    (X_train, y_train), (X_val, y_val)

    Examples
    --------
    >>> import gdwidget as gd
    >>> train, val = gd.data.train_val_split(*gd.data.moons(100), val_fraction=0.25)
    >>> len(train[1]), len(val[1])
    (75, 25)
    """
    vf = check_real("val_fraction", val_fraction, low=0.0, high=1.0, low_open=True, high_open=True)
    n, ny = _length(X, "X"), _length(y, "y")
    if n != ny:
        raise ValueError(f"X and y have different lengths: {n} examples in X, {ny} in y")
    if n < 2:
        raise ValueError(f"need at least 2 examples to split, got {n}")
    n_val = min(max(int(round(vf * n)), 1), n - 1)
    rng = np.random.default_rng(None if seed is None else check_int("seed", seed, low=0))
    order = rng.permutation(n)
    val, train = np.sort(order[:n_val]), np.sort(order[n_val:])
    return (_take(X, train), _take(y, train)), (_take(X, val), _take(y, val))


def standardize(X: Any, *others: Any) -> Any:
    """Scale features to mean 0 and standard deviation 1, using the statistics of ``X``.

    Parameters
    ----------
    X : array-like, shape (n, d)
        The training features; their column means and standard deviations are
        used (a constant column is only centred).
    *others : array-like
        More feature arrays (validation, test) scaled with the same statistics.

    Returns
    -------
    ndarray or tuple of ndarray
        ``X`` scaled, or ``(X, *others)`` scaled when ``others`` are given.
    """
    A = as_features(X, "X")
    xp = namespace_of(A)
    mean = xp.mean(A, axis=0)
    std = xp.std(A, axis=0)
    std = xp.where(std > 0, std, 1.0)
    if not others:
        return (A - mean) / std
    outs = [(A - mean) / std]
    for i, O in enumerate(others):
        B = as_features(O, f"others[{i}]", n_features=A.shape[1])
        outs.append((B - mean) / std)
    return tuple(outs)
