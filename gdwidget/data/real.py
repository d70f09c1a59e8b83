"""Small real data sets that ship inside the package (no download at run time)."""

from __future__ import annotations

from importlib import resources

import numpy as np

__all__ = ["iris", "IRIS_FEATURES", "IRIS_CLASSES"]

IRIS_FEATURES = ("sepal_length_cm", "sepal_width_cm", "petal_length_cm", "petal_width_cm")
IRIS_CLASSES = ("setosa", "versicolor", "virginica")


def iris() -> tuple[np.ndarray, np.ndarray]:
    """Fisher's iris flowers: 150 examples, 4 measurements, 3 species.

    The table is R. A. Fisher's (1936, *Annals of Eugenics* 7, 179-188; data
    collected by Edgar Anderson), in the corrected version that R and
    scikit-learn distribute. It is a published table from 1936 and in the
    public domain; the bundled ``iris.csv`` was written out from scikit-learn's
    copy (BSD-3-Clause). See ``gdwidget/data/README.md`` for details.

    Returns
    -------
    X : ndarray, shape (150, 4), float64
        Sepal length, sepal width, petal length and petal width in cm
        (names in :data:`IRIS_FEATURES`), in the file's order: 50 setosa, then
        50 versicolor, then 50 virginica.
    y : ndarray, shape (150,), int64
        Species label, an index into :data:`IRIS_CLASSES`.

    Examples
    --------
    >>> X, y = iris()
    >>> X.shape, y.max()
    ((150, 4), 2)
    """
    text = resources.files(__package__).joinpath("iris.csv").read_text(encoding="utf-8")
    table = np.loadtxt(text.splitlines(), delimiter=",", skiprows=1)
    return np.ascontiguousarray(table[:, :4]), table[:, 4].astype(np.int64)
