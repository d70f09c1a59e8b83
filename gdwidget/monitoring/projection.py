"""Planes for the parameter path: the PCA of the path so far, or random directions.

Both are plain functions of host arrays. Products are ``np.einsum`` (one thread), not
``@``: a multi-threaded BLAS call from the monitor wakes BLAS threads that spin on the
cores the training loop needs (measured: 15% slower training on two cores).

A plane is an origin and two directions in the (possibly subsampled) coordinates the
path is stored in; a point's plane coordinates are its least-squares coordinates (for
the orthonormal PCA directions, plain dot products), so the plane point
``origin + dirs @ (a, b)`` has coordinates exactly ``(a, b)``, which is what the loss
surface relies on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["PathPlane", "fit_pca", "frame_bounds", "random_plane"]


@dataclass
class PathPlane:
    """``origin`` ``(D,)`` and ``dirs`` ``(D, 2)``; ``kind`` ``"pca"`` or ``"random"``."""

    kind: str
    origin: np.ndarray
    dirs: np.ndarray
    explained: list[float] | None = None
    version: int = 0
    _solve: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        (a, b), (_, c) = np.einsum("dk,dl->kl", self.dirs, self.dirs)
        inv = np.array([[c, -b], [-b, a]]) / (a * c - b * b)  # the 2 x 2 Gram's inverse
        self._solve = np.einsum("kl,dl->kd", inv, self.dirs)  # (2, D): least-squares coordinates

    def coords(self, x: np.ndarray) -> np.ndarray:
        """Plane coordinates of points ``(..., D) -> (..., 2)``."""
        return np.einsum("...d,kd->...k", x - self.origin, self._solve)

    def point(self, ab: np.ndarray) -> np.ndarray:
        """The point of the plane at coordinates ``(..., 2) -> (..., D)``."""
        return self.origin + np.einsum("...k,dk->...d", ab, self.dirs)


def fit_pca(
    x: np.ndarray, previous: PathPlane | None = None, seed: int = 0, version: int = 0
) -> PathPlane | None:
    """The plane of the top two principal directions of the path ``x`` ``(k, D)``.

    Centred on the mean of the finite rows; the directions are the top two right
    singular vectors of the centred rows (``explained`` their share of the summed
    squared deviation). Their signs follow ``previous`` (so a refresh does not mirror
    the picture), or at first make the path run from left to right and bottom to top.
    A path in a line gets a seeded random second direction. None when fewer than two
    distinct finite points.
    """
    x = x[np.isfinite(x).all(axis=1)]
    if x.shape[0] < 2:
        return None
    centre = x.mean(axis=0)
    xc = x - centre
    if xc.shape[0] < xc.shape[1]:  # fewer points than coordinates: the small Gram matrix
        ev, u = np.linalg.eigh(np.einsum("id,jd->ij", xc, xc))
        order = np.argsort(ev)[::-1][:2]
        s = np.sqrt(np.maximum(ev[np.argsort(ev)[::-1]], 0.0))
        vt = np.zeros((2, xc.shape[1]))
        for r, j in enumerate(order):
            if s[r] > 0:
                v = np.einsum("id,i->d", xc, u[:, j])
                vt[r] = v / np.linalg.norm(v)
    else:
        _, s, vt = np.linalg.svd(xc, full_matrices=False)
    total = float((s**2).sum())
    if total == 0.0 or not np.isfinite(total):
        return None
    dirs = [vt[0]]
    if s.shape[0] > 1 and s[1] ** 2 > 1e-24 * total:
        dirs.append(vt[1])
    else:
        v = np.random.default_rng(seed).standard_normal(x.shape[1])
        v -= np.dot(v, dirs[0]) * dirs[0]
        dirs.append(v / np.linalg.norm(v))
    d = np.stack(dirs, axis=1)
    if previous is not None and previous.dirs.shape == d.shape:
        ref = np.einsum("dk,dk->k", d, previous.dirs)
    else:
        ref = np.einsum("d,dk->k", x[-1] - x[0], d)
    d = d * np.where(ref < 0, -1.0, 1.0)
    explained = [float(v**2 / total) for v in s[:2]] + [0.0] * max(0, 2 - s.shape[0])
    return PathPlane("pca", centre, d, explained, version)


def random_plane(
    origin_full: np.ndarray,
    shapes: list[tuple[int, ...]] | None,
    index: np.ndarray | None,
    seed: int = 0,
    version: int = 0,
) -> PathPlane:
    r"""Two filter-normalized random directions through the path's first point (Li et al. 2018).

    Each direction is a standard normal draw over every parameter. With the
    parameters' ``shapes`` (a torch model: one shape per parameter tensor, in the order
    of the flat vector), each filter (a slice along the first axis of a tensor of two
    or more dimensions: a unit's incoming weights) is rescaled to the norm of the same
    filter of the origin (unit norm for a zero filter), and tensors of one dimension
    (biases, norms' scales) get a zero direction. Without shapes, each direction is
    scaled to the norm of the origin (unit norm at zero). ``index`` picks the stored
    coordinates (a subsample of a huge vector).
    """
    o = np.asarray(origin_full, dtype=np.float64).reshape(-1)
    rng = np.random.default_rng(seed)
    dirs = []
    for _ in range(2):
        d = rng.standard_normal(o.shape[0])
        if shapes:
            off = 0
            for shape in shapes:
                size = int(np.prod(shape)) if shape else 1
                seg = slice(off, off + size)
                if len(shape) < 2:
                    d[seg] = 0.0
                else:
                    rows = shape[0]
                    dd = d[seg].reshape(rows, -1)
                    oo = o[seg].reshape(rows, -1)
                    nd = np.linalg.norm(dd, axis=1, keepdims=True)
                    no = np.linalg.norm(oo, axis=1, keepdims=True)
                    target = np.where(no > 0, no, 1.0)
                    d[seg] = (dd * target / np.where(nd > 0, nd, 1.0)).reshape(-1)
                off += size
        else:
            no = np.linalg.norm(o)
            d *= (no if no > 0 else 1.0) / np.linalg.norm(d)
        dirs.append(d if index is None else d[index])
    d2 = np.stack(dirs, axis=1)
    origin = o if index is None else o[index]
    return PathPlane("random", origin.copy(), d2, None, version)


def frame_bounds(xy: np.ndarray, margin: float = 0.25, floor: float = 0.05) -> list[list[float]]:
    """A box around the finite points ``(k, 2)`` with ``margin`` of their extent on each side.

    Each axis spans at least ``floor`` of the larger axis (a path along one axis
    still gets a picture), and at least 1 when every point is the same.
    """
    xy = xy[np.isfinite(xy).all(axis=1)]
    if xy.shape[0] == 0:
        return [[-1.0, 1.0], [-1.0, 1.0]]
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    half = (hi - lo) / 2 * (1 + 2 * margin)
    big = float(half.max())
    if big <= 0:
        big = max(1.0, float(np.abs(xy).max()) * 0.1)
    half = np.maximum(half, floor * big)
    mid = (lo + hi) / 2
    return [[float(mid[i] - half[i]), float(mid[i] + half[i])] for i in range(2)]
