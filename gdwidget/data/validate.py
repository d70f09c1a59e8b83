"""Checks and conversions for user data: NumPy, CuPy, pandas, or nested lists.

Every model takes its ``X`` and ``y`` through :func:`as_features` and
:func:`as_targets`, so bad input fails at the boundary with a message that names
the argument and says what is wrong, rather than deep inside a matrix product.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import _is_cupy, namespace_of, to_numpy

#: the most classes a classifier may have, and the count above which at least half of the
#: classes ``0..max(y)`` must appear in ``y`` when the count is inferred
MAX_CLASSES = 10_000
SPARSE_CLASSES = 64
_ENCODE = "; encode the labels as 0..k-1 first, e.g. with numpy.unique(y, return_inverse=True)"


def _is_pandas(a: Any) -> bool:
    return type(a).__module__.split(".")[0] == "pandas"


def to_array(a: Any, name: str) -> Any:
    """``a`` as a NumPy or CuPy array (pandas and sequences become NumPy).

    CuPy arrays stay on their GPU; everything else is brought to the host.
    """
    if a is None:
        raise ValueError(f"{name} must be an array, got None")
    if _is_cupy(a):
        return a
    if _is_pandas(a):
        if hasattr(a, "columns"):  # DataFrame
            bad = [str(c) for c, t in a.dtypes.items() if not _numeric_dtype(t)]
            if bad:
                raise ValueError(
                    f"{name} has non-numeric columns {bad}; encode them as numbers first "
                    "(for example with pandas.get_dummies or Series.cat.codes)"
                )
            if all(str(t) == "float32" for t in a.dtypes):
                return a.to_numpy()
            return a.to_numpy(dtype=np.float64, na_value=np.nan)
        return a.to_numpy()
    if isinstance(a, np.ndarray):
        return a
    try:
        return np.asarray(a)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} could not be read as an array: {exc}") from None


def _numeric_dtype(t: Any) -> bool:
    try:
        return np.dtype(t).kind in "biuf"
    except TypeError:  # pandas extension dtypes (nullable Int64, category, string, ...)
        kind = getattr(getattr(t, "numpy_dtype", None), "kind", "O")
        return kind in "biuf"


def _first_bad_row(xp: Any, a: Any) -> int:
    bad = ~xp.isfinite(a)
    if a.ndim > 1:
        bad = xp.any(xp.reshape(bad, (a.shape[0], -1)), axis=1)
    return int(xp.argmax(bad))


def as_features(X: Any, name: str = "X", n_features: int | None = None) -> Any:
    """Validate a feature matrix and return it as a 2-D float array ``(n, d)``.

    A 1-D ``X`` is one feature per example and becomes ``(n, 1)``. float32 input
    stays float32 (no copy for large data); anything else becomes float64.

    Raises
    ------
    ValueError
        If ``X`` is empty, not numeric, more than 2-D, contains NaN or Inf, or
        does not have ``n_features`` columns when that is given.
    """
    a = to_array(X, name)
    xp = namespace_of(a)
    if a.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be numeric, got dtype {a.dtype}")
    if a.ndim == 1:
        a = xp.reshape(a, (-1, 1))
    if a.ndim != 2:
        raise ValueError(f"{name} must be 1-D or 2-D (examples x features), got shape {a.shape}")
    if a.shape[0] == 0:
        raise ValueError(f"{name} is empty: it has no examples (shape {a.shape})")
    if a.shape[1] == 0:
        raise ValueError(f"{name} has no features (shape {a.shape})")
    a = xp.asarray(a, dtype=xp.float32 if a.dtype == xp.float32 else xp.float64)
    if not bool(xp.all(xp.isfinite(a))):
        raise ValueError(f"{name} contains NaN or Inf (first at row {_first_bad_row(xp, a)})")
    if n_features is not None and a.shape[1] != n_features:
        raise ValueError(f"{name} must have {n_features} features (columns), got {a.shape[1]}")
    return a


def _inferred_classes(labels: Any, hi: int, name: str) -> int:
    """``max(y) + 1`` classes (at least 2), if that is a sane, dense enough count."""
    k = max(hi + 1, 2)
    if k > MAX_CLASSES:
        raise ValueError(
            f"class labels {name} go up to {hi:,}, which would make {k:,} "
            f"classes (at most {MAX_CLASSES:,}){_ENCODE}"
        )
    if k > SPARSE_CLASSES:
        used = int(np.unique(to_numpy(labels)).size)
        if 2 * used < k:
            raise ValueError(
                f"class labels {name} go up to {hi:,} but only {used:,} distinct "
                f"labels are used: that would make {k:,} classes, most of them "
                f"empty{_ENCODE}, or pass n_classes={k} if you mean it"
            )
    return k


def as_targets(
    y: Any, n: int, task: str, n_classes: int | None = None, name: str = "y"
) -> tuple[Any, int | None]:
    """Validate targets for ``n`` examples.

    Parameters
    ----------
    y : array-like, shape (n,)
    n : int
        Number of examples in ``X``; ``y`` must have the same length.
    task : {"regression", "binary", "classification"}
        Regression targets become float64. Class labels must be integers
        (integer-valued floats and booleans are accepted) in ``0 .. n_classes-1``;
        ``"binary"`` means ``n_classes = 2``.
    n_classes : int, optional
        For ``"classification"``: inferred as ``max(y) + 1`` when not given. At most
        :data:`MAX_CLASSES`; an inferred count above :data:`SPARSE_CLASSES` must have at
        least half of its classes present in ``y`` (labels such as 0 and 10**6 are refused
        rather than building a model of a million outputs).

    Returns
    -------
    y : array
        float64 for regression, int64 labels otherwise.
    n_classes : int or None
    """
    a = to_array(y, name)
    xp = namespace_of(a)
    if a.ndim == 2 and a.shape[1] == 1:
        a = xp.reshape(a, (-1,))
    if a.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one target per example), got shape {a.shape}")
    if a.shape[0] != n:
        raise ValueError(
            f"X and {name} have different lengths: {n} examples in X, {a.shape[0]} in {name}"
        )
    if a.shape[0] == 0:
        raise ValueError(f"{name} is empty")
    if a.dtype.kind not in "biuf":
        if task == "regression":
            raise ValueError(f"{name} must be numeric, got dtype {a.dtype}")
        raise ValueError(
            f"class labels {name} must be integers 0, 1, ..., got dtype {a.dtype}; "
            "encode them first (for example with pandas.factorize)"
        )
    if a.dtype.kind == "f" and not bool(xp.all(xp.isfinite(a))):
        raise ValueError(f"{name} contains NaN or Inf (first at index {_first_bad_row(xp, a)})")
    if task == "regression":
        return xp.asarray(a, dtype=xp.float64), None
    if a.dtype.kind == "f":
        frac = a != xp.round(a)
        if bool(xp.any(frac)):
            i = int(xp.argmax(frac))
            raise ValueError(
                f"class labels {name} must be integers, got {float(a[i])!r} at index {i}"
            )
    if a.dtype.kind == "f" and bool(xp.any(xp.abs(a) > MAX_CLASSES)):
        i = int(xp.argmax(xp.abs(a) > MAX_CLASSES))
        raise ValueError(
            f"class label {float(a[i])!r} at index {i} of {name} is too large "
            f"(at most {MAX_CLASSES - 1:,}){_ENCODE}"
        )
    labels = xp.asarray(a, dtype=xp.int64)
    lo, hi = int(xp.min(labels)), int(xp.max(labels))
    if task == "binary":
        n_classes = 2
    elif n_classes is None:
        n_classes = _inferred_classes(labels, hi, name)
    elif (
        isinstance(n_classes, bool)
        or not isinstance(n_classes, int | np.integer)
        or not 2 <= n_classes <= MAX_CLASSES
    ):
        raise ValueError(
            f"n_classes must be an integer >= 2 and <= {MAX_CLASSES:,}, got {n_classes!r}"
        )
    n_classes = int(n_classes)
    if lo < 0 or hi >= n_classes:
        bad = lo if lo < 0 else hi
        raise ValueError(
            f"class labels {name} must be in 0..{n_classes - 1}, got {bad}"
            + (" (logistic regression needs labels 0 and 1)" if task == "binary" else "")
        )
    return labels, n_classes
