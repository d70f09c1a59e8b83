"""Data for the models in :mod:`gdwidget.models`.

Seeded toy generators (each returns ``(X, y)`` as NumPy arrays), one small real
data set shipped with the package, and helpers to split and scale data:

>>> import gdwidget as gd
>>> X, y = gd.data.moons(200, noise=0.1, seed=0)
>>> train, val = gd.data.train_val_split(X, y, val_fraction=0.2)
>>> model = gd.models.mlp(*train, hidden=(16,))

The models also accept the user's own arrays: NumPy, CuPy (kept on the GPU),
pandas DataFrame / Series, or nested lists.
"""

from .real import IRIS_CLASSES, IRIS_FEATURES, iris
from .split import standardize, train_val_split
from .synthetic import blobs, circles, linear, moons, spirals, xor
from .validate import as_features, as_targets

__all__ = [
    "linear",
    "blobs",
    "moons",
    "circles",
    "xor",
    "spirals",
    "iris",
    "IRIS_FEATURES",
    "IRIS_CLASSES",
    "train_val_split",
    "standardize",
    "as_features",
    "as_targets",
]
