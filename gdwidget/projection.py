r"""Two-dimensional views of many-parameter objectives: a plane through parameter space.

A :class:`Plane` is an origin :math:`\theta_0` (``(n_params,)``) and two directions
:math:`D = [d_1, d_2]` (``(n_params, 2)``). Its points are

.. math::  \theta(a, b) = \theta_0 + a\, d_1 + b\, d_2,

and the coordinates of any parameter vector :math:`\theta` are those of its
least-squares projection onto the plane,

.. math::  (a, b) = (D^\top D)^{-1} D^\top (\theta - \theta_0),

so a path that leaves the plane is drawn where it comes closest to it. The
same plane serves every optimizer of a race, so they race on one landscape.

Three constructors:

* :func:`params_plane`: two-parameter objectives (``y = w x + b``): the
  parameters themselves are the coordinates, the landscape is exact.
* :func:`pca_plane`: the plane through the origin that best fits a pilot run's
  trajectories (the top two principal directions of the displacements from the
  origin), as in Li et al. (2018), "Visualizing the Loss Landscape of Neural
  Nets", section 7.
* :func:`random_plane`: two filter-normalized random directions (Li et al. 2018,
  section 4).

:func:`loss_grid` (in :mod:`gdwidget.planegrid`, re-exported here) evaluates an
objective's full-data loss over a box of the plane.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._checks import check_int
from .backend import namespace_of, to_numpy
from .planegrid import loss_grid

__all__ = ["Plane", "params_plane", "pca_plane", "random_plane", "loss_grid"]


class Plane:
    """A plane in parameter space: an origin and two directions.

    Parameters
    ----------
    origin : array_like, shape (n_params,)
    directions : array_like, shape (n_params, 2)
        Linearly independent columns (they need not be orthogonal or unit).
    axes : (str, str), optional
        Names of the two coordinates, for plots.
    kind : str
        ``"params"``, ``"pca"``, ``"random"`` or ``"custom"``.
    info : dict, optional
        Anything the constructor wants to record (explained variance, ...).

    Notes
    -----
    The methods take the array namespace of their input (NumPy, CuPy, ...) and
    keep a copy of the origin and of the projection matrix there, so that
    :meth:`coords` runs on the device every step without host transfers.
    """

    def __init__(
        self,
        origin: Any,
        directions: Any,
        *,
        axes: tuple[str, str] = ("a", "b"),
        kind: str = "custom",
        info: dict[str, Any] | None = None,
    ) -> None:
        o = np.asarray(to_numpy(origin), dtype=np.float64).reshape(-1)
        d = np.asarray(to_numpy(directions), dtype=np.float64)
        if d.ndim != 2 or d.shape != (o.shape[0], 2):
            raise ValueError(
                f"directions must have shape (n_params, 2) = ({o.shape[0]}, 2), got {d.shape}"
            )
        if not (np.all(np.isfinite(o)) and np.all(np.isfinite(d))):
            raise ValueError("the origin and the directions of a plane must be finite")
        gram = d.T @ d
        s = np.linalg.svd(d, compute_uv=False)
        if s[0] == 0 or s[1] <= 1e-10 * s[0]:
            raise ValueError(
                "the two directions of a plane must be linearly independent "
                f"(singular values {s[0]:.3g} and {s[1]:.3g})"
            )
        self.origin = o
        self.directions = d
        #: ``(2, n_params)``: the linear part of the coordinate map, ``(D^T D)^{-1} D^T``
        self.pinv = np.linalg.solve(gram, d.T)
        self.axes = (str(axes[0]), str(axes[1]))
        self.kind = str(kind)
        self.info = dict(info or {})
        # the params plane: coordinates are the parameters themselves, no arithmetic
        self._identity = o.shape[0] == 2 and not np.any(o) and np.array_equal(d, np.eye(2))
        self._cache: dict[tuple[str, str], tuple[Any, Any, Any]] = {}

    @property
    def n_params(self) -> int:
        return int(self.origin.shape[0])

    def _on(self, xp: Any, dtype: Any) -> tuple[Any, Any, Any]:
        """Origin, directions and pinv in namespace ``xp`` with ``dtype``; cached."""
        key = (getattr(xp, "__name__", str(xp)), str(dtype))
        hit = self._cache.get(key)
        if hit is None:
            hit = (
                xp.asarray(self.origin, dtype=dtype),
                xp.asarray(self.directions, dtype=dtype),
                xp.asarray(self.pinv, dtype=dtype),
            )
            self._cache[key] = hit
        return hit

    def _check(self, params: Any, name: str) -> Any:
        if not hasattr(params, "shape") or not hasattr(params, "dtype"):
            params = np.asarray(params, dtype=np.float64)
        if params.shape[-1] != self.n_params:
            raise ValueError(
                f"{name} must have {self.n_params} parameters in its last axis, "
                f"got shape {tuple(params.shape)}"
            )
        return params

    def coords(self, params: Any) -> Any:
        """Least-squares coordinates in the plane: ``(..., n_params) -> (..., 2)``.

        On the device of ``params``; this is what ``Run.project`` is set to.
        """
        params = self._check(params, "params")
        if self._identity:
            return params
        xp = namespace_of(params)
        o, _, pinv = self._on(xp, params.dtype)
        return xp.matmul(params - o, pinv.T)

    def vectors(self, v: Any) -> Any:
        """The linear part of :meth:`coords`, for displacements and gradients: ``(..., 2)``.

        A step ``theta -> theta + v`` moves the coordinates by ``vectors(v)``.
        """
        v = self._check(v, "v")
        if self._identity:
            return v
        xp = namespace_of(v)
        _, _, pinv = self._on(xp, v.dtype)
        return xp.matmul(v, pinv.T)

    def points(self, a: Any, b: Any) -> Any:
        """Parameter vectors of the plane points ``(a_i, b_i)``: ``(n_points, n_params)``.

        ``a`` and ``b`` are 1-D arrays of the same length (NumPy, CuPy, ...); the
        result is in their namespace and dtype (float64 for Python lists).
        """
        if not hasattr(a, "shape"):
            a = np.asarray(a, dtype=np.float64)
        if not hasattr(b, "shape"):
            b = np.asarray(b, dtype=np.float64)
        xp = namespace_of(a)
        a = xp.reshape(a, (-1,))
        b = xp.reshape(b, (-1,))
        if a.shape != b.shape:
            raise ValueError(f"a and b must have the same length, got {a.shape} and {b.shape}")
        o, d, _ = self._on(xp, a.dtype)
        return o + a[:, None] * d[:, 0] + b[:, None] * d[:, 1]

    def __repr__(self) -> str:
        return f"<Plane {self.kind} n_params={self.n_params} axes={self.axes}>"


# ---------------------------------------------------------------------------------------
# Constructors
# ---------------------------------------------------------------------------------------
def _param_axes(objective: Any) -> tuple[str, str]:
    names = getattr(objective, "param_names", None)
    if names and len(names) >= 2:
        return str(names[0]), str(names[1])
    unflatten = getattr(objective, "unflatten", None)
    if unflatten is not None:
        try:
            named = unflatten(np.zeros(objective.n_params))
        except Exception:  # noqa: BLE001 - names are a nicety
            named = {}
        flat: list[str] = []
        for k, v in named.items():
            size = int(np.size(v))
            flat += [k] if size == 1 else [f"{k}[{i}]" for i in range(size)]
        if len(flat) == objective.n_params:
            return flat[0], flat[1]
    return "x", "y"


def params_plane(objective: Any) -> Plane:
    """The identity plane of a two-parameter objective: the coordinates are the parameters.

    Parameters
    ----------
    objective : Objective
        With ``n_params == 2`` (for example ``gd.models.linear_regression`` on one
        feature: ``(w, b)``).
    """
    n = int(getattr(objective, "n_params", -1))
    if n != 2:
        raise ValueError(
            f"plane='params' needs an objective with 2 parameters, {objective!r} has {n}; "
            "use plane='pca' or plane='random'"
        )
    return Plane(np.zeros(2), np.eye(2), axes=_param_axes(objective), kind="params")


def _filter_normalize(objective: Any, d: np.ndarray, origin: np.ndarray) -> np.ndarray:
    """Li et al.'s filter normalization of direction ``d`` against ``origin`` (host arrays)."""
    out = np.zeros_like(d)
    layout = getattr(objective, "_layout", None)
    if not layout:  # not a dense network: scale the whole direction to the origin's norm
        nd, no = np.linalg.norm(d), np.linalg.norm(origin)
        return d * ((no if no > 0 else 1.0) / nd)
    for wo, fi, fo, bo in layout:
        w_d = d[wo:bo].reshape(fi, fo)  # column j: the weights into output unit j
        w_o = origin[wo:bo].reshape(fi, fo)
        nd = np.linalg.norm(w_d, axis=0)
        no = np.linalg.norm(w_o, axis=0)
        target = np.where(no > 0, no, 1.0)  # a zero filter (zero init) gets unit norm
        out[wo:bo] = (w_d * (target / np.where(nd > 0, nd, 1.0))).reshape(-1)
        # biases: zero direction (Li et al. 2018 leave them out of the directions)
    return out


def random_plane(objective: Any, origin: Any, seed: int = 0) -> Plane:
    r"""Two filter-normalized random directions through ``origin`` (Li et al. 2018).

    Each direction is drawn from a standard normal; then, for every dense layer
    (``x @ W + b``), the incoming weight vector of each output unit (a column of
    ``W``, the "filter") is rescaled to the norm of the same column of the origin:

    .. math::  d_{:, j} \leftarrow \frac{d_{:, j}}{\lVert d_{:, j}\rVert}
               \lVert \theta_{0, :, j}\rVert

    so that a unit step along the direction is as large, for every unit, as the
    unit's own weights (this removes the scale invariance that makes raw random
    directions misleading). Biases get a zero direction, as in the paper. A
    column of the origin that is all zeros (models started at zero) keeps a
    unit-norm direction. Objectives that are not dense networks get one
    Gaussian direction scaled to the norm of the origin (unit norm at zero).

    Parameters
    ----------
    objective : Objective
        A model of :mod:`gdwidget.models` (or any objective with ``n_params``).
    origin : array_like, shape (n_params,)
        Usually the start of the runs.
    seed : int

    Returns
    -------
    Plane
        ``kind="random"``, axes ``("d1", "d2")``. The coordinates of the origin are
        ``(0, 0)``; a box of ``[-1, 1]^2`` is the usual view.

    Raises
    ------
    ValueError
        When the two directions are linearly dependent (a model with a single
        weight, say): use :func:`params_plane` or :func:`pca_plane` then.
    """
    seed = check_int("seed", seed, low=0)
    o = np.asarray(to_numpy(origin), dtype=np.float64).reshape(-1)
    n = int(objective.n_params)
    if o.shape != (n,):
        raise ValueError(f"origin must have shape ({n},), got {o.shape}")
    rng = np.random.default_rng(seed)
    d = np.stack(
        [_filter_normalize(objective, rng.standard_normal(n), o) for _ in range(2)], axis=1
    )
    try:
        return Plane(o, d, axes=("d1", "d2"), kind="random", info={"seed": seed})
    except ValueError as exc:
        raise ValueError(
            f"random directions for {getattr(objective, 'name', 'this objective')} are not "
            f"independent ({exc}); use plane='params' or plane='pca'"
        ) from None


def pca_plane(trajectories: Any, origin: Any, seed: int = 0) -> Plane:
    r"""The plane through ``origin`` that best fits a set of trajectories (PCA, Li et al. 2018).

    With :math:`M` the matrix of the points minus the origin (one row per point,
    rows with non-finite values dropped), the directions are the top two right
    singular vectors of :math:`M`: the principal directions of the
    displacements from the origin. They are orthonormal, so the coordinates
    are plain dot products, and the plane through the origin spanned by them is
    the one that minimizes the summed squared distance of the points to it.
    (Unlike textbook PCA, the points are not centred on their mean: the plane
    must pass through the origin, where the runs start.)

    The sign of each direction is chosen so that the points' mean coordinate
    along it is positive (paths run right and up). When the points span fewer
    than two dimensions (one run on a straight line), the missing direction is
    a seeded random unit vector orthogonal to the first.

    Parameters
    ----------
    trajectories : array_like, shape (..., n_params)
        Any stack of parameter vectors, ``(n_steps, n_runs, n_params)`` say,
        NumPy or CuPy (reduced on its device: only a small Gram matrix comes
        to the host).
    origin : array_like, shape (n_params,)
    seed : int
        For the fill-in direction of a degenerate trajectory.

    Returns
    -------
    Plane
        ``kind="pca"``, axes ``("PC1", "PC2")``; ``info["explained"]`` is the
        share of the squared displacement along each direction.
    """
    if not hasattr(trajectories, "shape"):
        trajectories = np.asarray(trajectories, dtype=np.float64)
    xp = namespace_of(trajectories)
    o_host = np.asarray(to_numpy(origin), dtype=np.float64).reshape(-1)
    n = o_host.shape[0]
    if trajectories.shape[-1] != n:
        raise ValueError(
            f"trajectories must end with n_params = {n} (the origin's length), "
            f"got shape {tuple(trajectories.shape)}"
        )
    m = xp.reshape(trajectories, (-1, n))
    m = m - xp.asarray(o_host, dtype=m.dtype)
    finite = to_numpy(xp.all(xp.isfinite(m), axis=1))
    if not np.all(finite):
        m = m[xp.asarray(np.flatnonzero(finite))]
    if m.shape[0] == 0:
        raise ValueError("pca_plane needs at least one finite point besides the origin")
    # the right singular vectors from the small Gram matrix M M^T, so that only
    # (n_points, n_points) numbers leave the device
    gram = np.asarray(to_numpy(xp.matmul(m, m.T)), dtype=np.float64)
    evals, evecs = np.linalg.eigh(gram)
    order = np.argsort(evals)[::-1]
    evals, evecs = np.maximum(evals[order], 0.0), evecs[:, order]
    total = float(evals.sum())
    dirs: list[np.ndarray] = []
    for k in range(min(2, evals.shape[0])):
        if evals[k] <= 1e-12 * total or evals[k] == 0:  # noise of the Gram route
            break
        u = xp.asarray(evecs[:, k] / np.sqrt(evals[k]), dtype=m.dtype)
        v = np.asarray(to_numpy(xp.matmul(m.T, u)), dtype=np.float64)  # M^T u / s
        # re-orthonormalize on the host (the Gram route loses a little accuracy)
        for w in dirs:
            v = v - (v @ w) * w
        nv = np.linalg.norm(v)
        if nv == 0 or not np.isfinite(nv):
            break
        dirs.append(v / nv)
    if not dirs:
        raise ValueError("pca_plane: the trajectories never leave the origin")
    rng = np.random.default_rng(seed)
    while len(dirs) < 2:
        v = rng.standard_normal(n)
        for w in dirs:
            v = v - (v @ w) * w
        dirs.append(v / np.linalg.norm(v))
    d = np.stack(dirs, axis=1)
    mean_c = np.asarray(to_numpy(xp.mean(xp.matmul(m, xp.asarray(d, dtype=m.dtype)), axis=0)))
    d = d * np.where(mean_c < 0, -1.0, 1.0)
    explained = [float(e / total) if total > 0 else 0.0 for e in evals[:2]]
    explained += [0.0] * (2 - len(explained))
    return Plane(o_host, d, axes=("PC1", "PC2"), kind="pca", info={"explained": explained})
