"""Classic optimization test functions with exact gradients and Hessian-vector products.

Every function here is an :class:`~gdwidget.objectives.base.Objective`, made by a
factory of the same name (``gd.functions.rosenbrock()``), vectorized over runs:
``params`` of shape ``(n_runs, n_params)`` gives a loss ``(n_runs,)`` and a
gradient ``(n_runs, n_params)`` (a single point ``(n_params,)`` gives a 0-d loss
and an ``(n_params,)`` gradient). The array namespace is taken from the input and
only array-API-standard operations are used, so the same code runs on NumPy,
CuPy and any array-API library.

Each carries a default view box (``bounds``), a default start
(``default_start``), its global minima (``global_minima``, ``min_value``) and,
in ``minima``, the global minima followed by the classic local minima. Minima
known only to a few digits in the literature are refined to machine precision
with Newton's method when the function is made.

>>> import gdwidget as gd
>>> f = gd.functions.get("himmelblau")
>>> gd.functions.names()[:3]
['quadratic', 'rosenbrock', 'himmelblau']
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

import numpy as np

from .._checks import check_choice, check_int, check_real
from ..backend import namespace_of
from .base import Objective

__all__ = [
    "TestFunction",
    "get",
    "names",
    "quadratic",
    "rosenbrock",
    "himmelblau",
    "beale",
    "booth",
    "matyas",
    "rastrigin",
    "ackley",
    "saddle",
    "monkey_saddle",
    "styblinski_tang",
    "six_hump_camel",
    "three_hump_camel",
    "goldstein_price",
]

Point = tuple[float, ...]

#: the largest ``n`` of the n-dimensional functions (``quadratic`` stores an n x n matrix)
MAX_DIM = 1_000_000
MAX_DENSE_DIM = 4096
#: local minima are listed up to this dimension (there are 2n of them or more)
MAX_LISTED = 100


# --------------------------------------------------------------------------- array helpers


def dtype_kind(a: Any) -> str:
    """NumPy's dtype kind letter (``"f"``, ``"c"``, ``"i"``, ...), also for array-API arrays
    whose dtypes have none; ``"?"`` when unknown."""
    kind = getattr(a.dtype, "kind", None)
    if isinstance(kind, str):
        return kind
    isdtype = getattr(namespace_of(a), "isdtype", None)
    if isdtype is None:
        return "?"
    for k, name in (
        ("b", "bool"),
        ("c", "complex floating"),
        ("f", "real floating"),
        ("i", "integral"),
    ):
        if isdtype(a.dtype, name):
            return k
    return "?"


def as_params(params: Any, n_params: int, name: str = "params") -> tuple[ModuleType, Any, bool]:
    """Check ``params`` and bring it to shape ``(n_runs, n_params)`` with a float dtype.

    Returns the namespace, the 2-D array and whether the input was a single point
    (1-D), in which case results are to be squeezed back with :func:`unbatch`.
    """
    xp = namespace_of(params)
    if not hasattr(params, "shape") or not hasattr(params, "dtype"):
        try:
            params = np.asarray(params)
        except (TypeError, ValueError, OverflowError):
            raise ValueError(f"{name} must be an array of numbers, got {params!r}") from None
        xp = np
    kind = dtype_kind(params)
    if kind == "c":
        raise ValueError(f"{name} must be real numbers, got complex values (dtype {params.dtype})")
    if kind not in ("f", "i", "u", "b"):
        raise ValueError(f"{name} must be an array of numbers, got dtype {params.dtype}")
    shape = tuple(params.shape)
    if len(shape) not in (1, 2) or shape[-1] != n_params:
        raise ValueError(
            f"{name} must have shape (n_runs, {n_params}) or ({n_params},), got {shape}"
        )
    if kind != "f":
        params = xp.asarray(params, dtype=xp.float64)
    if len(shape) == 1:
        return xp, xp.reshape(params, (1, n_params)), True
    return xp, params, False


def unbatch(xp: ModuleType, a: Any, single: bool) -> Any:
    """Undo the single-point promotion of :func:`as_params` on a result."""
    if not single:
        return a
    return xp.reshape(a, a.shape[1:])


def xp_func(xp: ModuleType, name: str, alias: str | None = None) -> Callable[..., Any]:
    """``xp.<name>``, or its NumPy-style ``alias`` in namespaces that predate the standard name."""
    f = getattr(xp, name, None)
    if f is None and alias is not None:
        f = getattr(xp, alias)
    if f is None:
        raise AttributeError(f"array namespace {xp.__name__} has no {name}")
    return f


def match_v(xp: ModuleType, P: Any, V: Any, params: Any, v: Any) -> Any:
    """``V`` (one row, or one per run) broadcast to ``P``'s shape and dtype."""
    if V.shape[0] not in (P.shape[0], 1):
        raise ValueError(
            f"v must have the shape of params {tuple(params.shape)}, got {tuple(v.shape)}"
        )
    if V.dtype != P.dtype:
        V = xp.asarray(V, dtype=P.dtype)
    if V.shape != P.shape:
        V = xp.broadcast_to(V, P.shape)
    return V


def _concat(xp: ModuleType, arrays: Sequence[Any]) -> Any:
    return xp_func(xp, "concat", "concatenate")(list(arrays), axis=1)


def _pad_cols(xp: ModuleType, a: Any, left: int, right: int) -> Any:
    """``a`` with ``left`` zero columns before and ``right`` after."""
    parts = []
    if left:
        parts.append(xp.zeros((a.shape[0], left), dtype=a.dtype))
    parts.append(a)
    if right:
        parts.append(xp.zeros((a.shape[0], right), dtype=a.dtype))
    return _concat(xp, parts)


def _stack(xp: ModuleType, cols: Sequence[Any]) -> Any:
    return xp.stack(list(cols), axis=1)


# ----------------------------------------------------------------------------- base class


class TestFunction(Objective):
    """A closed-form test function with an analytic gradient and Hessian-vector product.

    Subclasses implement ``_f(xp, P)``, ``_g(xp, P)`` and ``_hv(xp, P, V)`` on
    ``(n_runs, n_params)`` float arrays. ``batch`` is accepted and ignored.
    """

    __test__ = False  # not a pytest test class, despite the name
    has_hvp = True

    def _setup(
        self,
        name: str,
        n: int,
        bounds: Sequence[tuple[float, float]],
        start: Sequence[float],
        global_minima: Sequence[Point] = (),
        local_minima: Sequence[Point] = (),
        log_scale: bool = False,
        refine: bool = True,
    ) -> None:
        self.name = name
        self.n_params = n
        self.bounds = tuple((float(lo), float(hi)) for lo, hi in bounds)
        self.default_start = tuple(float(s) for s in start)
        self.log_scale = log_scale
        if refine:
            global_minima = [_newton(self, p) for p in global_minima]
            local_minima = [_newton(self, p) for p in local_minima]
        else:
            global_minima = [tuple(float(c) for c in p) for p in global_minima]
            local_minima = [tuple(float(c) for c in p) for p in local_minima]
        self.global_minima = list(global_minima)
        self.min_value = (
            float(self._f(np, np.asarray([global_minima[0]]))[0]) if global_minima else None
        )
        if local_minima:
            vals = self._f(np, np.asarray(local_minima))
            local_minima = [p for _, p in sorted(zip(vals.tolist(), local_minima, strict=True))]
        self.minima = self.global_minima + list(local_minima)

    # subclass hooks -----------------------------------------------------------------------
    def _f(self, xp: ModuleType, P: Any) -> Any:
        raise NotImplementedError

    def _g(self, xp: ModuleType, P: Any) -> Any:
        raise NotImplementedError

    def _hv(self, xp: ModuleType, P: Any, V: Any) -> Any:
        raise NotImplementedError

    # public API --------------------------------------------------------------------------
    def value(self, params: Any, batch: Any = None) -> Any:
        """Loss ``(n_runs,)`` at ``params`` ``(n_runs, n_params)``."""
        xp, P, single = as_params(params, self.n_params)
        with np.errstate(all="ignore"):  # overflow gives inf, which the caller reports
            return unbatch(xp, self._f(xp, P), single)

    def value_and_grad(self, params: Any, batch: Any = None) -> tuple[Any, Any]:
        """Loss ``(n_runs,)`` and exact gradient ``(n_runs, n_params)``."""
        xp, P, single = as_params(params, self.n_params)
        with np.errstate(all="ignore"):
            return unbatch(xp, self._f(xp, P), single), unbatch(xp, self._g(xp, P), single)

    def grad(self, params: Any) -> Any:
        """Exact gradient ``(n_runs, n_params)``."""
        xp, P, single = as_params(params, self.n_params)
        with np.errstate(all="ignore"):
            return unbatch(xp, self._g(xp, P), single)

    def hvp(self, params: Any, v: Any) -> Any:
        """Exact Hessian-vector product ``H(params) @ v`` per run, ``(n_runs, n_params)``."""
        xp, P, single = as_params(params, self.n_params)
        _, V, _ = as_params(v, self.n_params, "v")
        with np.errstate(all="ignore"):
            return unbatch(xp, self._hv(xp, P, match_v(xp, P, V, params, v)), single)

    def hessian(self, params: Any) -> Any:
        """Dense Hessian ``(n_runs, n_params, n_params)`` from ``n_params`` HVPs."""
        xp, P, single = as_params(params, self.n_params)
        eye = xp.eye(self.n_params, dtype=P.dtype)
        with np.errstate(all="ignore"):
            cols = [
                self._hv(xp, P, xp.broadcast_to(eye[i : i + 1, :], P.shape))
                for i in range(self.n_params)
            ]
        H = xp.stack(cols, axis=2)
        return unbatch(xp, H, single)

    def hess_diag(self, params: Any) -> Any:
        xp, P, single = as_params(params, self.n_params)
        H = self.hessian(P)
        diag = xp.stack([H[:, i, i] for i in range(self.n_params)], axis=1)
        return unbatch(xp, diag, single)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} n_params={self.n_params}>"


def _newton(f: TestFunction, point: Sequence[float], iters: int = 60) -> Point:
    """Refine an approximate stationary point to machine precision (float64, on the host)."""
    x = np.asarray([point], dtype=np.float64)
    n = x.shape[1]
    for _ in range(iters):
        g = f._g(np, x)[0]
        H = np.stack([f._hv(np, x, np.eye(n)[i : i + 1])[0] for i in range(n)], axis=1)
        dx = np.linalg.solve(H, g)
        x = x - dx
        if np.max(np.abs(dx)) <= 4e-16 * (1.0 + np.max(np.abs(x))):
            break
    return tuple(float(c) for c in x[0])


def _newton_1d(
    grad: Callable[[float], float], curv: Callable[[float], float], x: float, iters: int = 60
) -> float:
    """A stationary point of a function of one variable, refined from ``x`` by Newton."""
    for _ in range(iters):
        dx = grad(x) / curv(x)
        x -= dx
        if abs(dx) <= 4e-16 * (1.0 + abs(x)):
            break
    return x


def _one_off(n: int, base: float, values: Sequence[float]) -> list[Point]:
    """Points with every coordinate at ``base`` except one, set to each of ``values``."""
    out = []
    for i in range(n):
        for v in values:
            p = [base] * n
            p[i] = v
            out.append(tuple(p))
    return out


def _tile(pattern: Sequence[float], n: int) -> tuple[float, ...]:
    return tuple(float(pattern[i % len(pattern)]) for i in range(n))


# ------------------------------------------------------------------------------ functions


class Quadratic(TestFunction):
    r"""Quadratic bowl :math:`\tfrac12 x^\top A x`, :math:`A = R\,\mathrm{diag}(\lambda)R^\top`.

    The eigenvalues :math:`\lambda` are spaced geometrically from 1 to ``cond``
    and :math:`R` rotates the first two axes by ``angle`` degrees.
    """

    def __init__(self, cond: float = 10.0, angle: float = 0.0, n: int = 2) -> None:
        self.cond = check_real("cond", cond, low=1.0)
        self.angle = check_real("angle", angle)
        n = check_int("n", n, low=1, high=MAX_DENSE_DIM)
        lam = (
            np.asarray([self.cond ** (i / max(n - 1, 1)) for i in range(n)])
            if n > 1
            else np.asarray([1.0])
        )
        R = np.eye(n)
        if n >= 2:
            c, s = math.cos(math.radians(self.angle)), math.sin(math.radians(self.angle))
            R[:2, :2] = [[c, -s], [s, c]]
        A = R @ np.diag(lam) @ R.T
        self.A = 0.5 * (A + A.T)  # exactly symmetric
        self._cache: dict[tuple[str, str], Any] = {}
        self._setup(
            "quadratic", n, [(-2.0, 2.0)] * n, _tile((-1.5, 1.0), n), [(0.0,) * n], refine=False
        )

    def _mat(self, xp: ModuleType, P: Any) -> Any:
        key = (getattr(xp, "__name__", str(id(xp))), str(P.dtype))
        A = self._cache.get(key)
        if A is None:
            A = self._cache[key] = xp.asarray(self.A, dtype=P.dtype)
        return A

    def _f(self, xp, P):
        return 0.5 * xp.sum((P @ self._mat(xp, P)) * P, axis=1)

    def _g(self, xp, P):
        return P @ self._mat(xp, P)

    def _hv(self, xp, P, V):
        return V @ self._mat(xp, P)


def quadratic(cond: float = 10.0, angle: float = 0.0, n: int = 2) -> Quadratic:
    """Quadratic bowl with condition number ``cond``, rotated by ``angle`` degrees.

    :math:`f(x) = \\tfrac12 x^\\top A x` with eigenvalues from 1 to ``cond``
    (geometric spacing) and the first two axes rotated by ``angle`` degrees.
    Minimum 0 at the origin. Gradient descent converges for ``lr < 2 / cond``.
    """
    return Quadratic(cond, angle, n)


class Rosenbrock(TestFunction):
    r""":math:`\sum_i b(x_{i+1} - x_i^2)^2 + (a - x_i)^2` (``scipy.optimize.rosen``)."""

    def __init__(self, a: float = 1.0, b: float = 100.0, n: int = 2) -> None:
        self.a = check_real("a", a)
        self.b = check_real("b", b, low=0.0, low_open=True)
        n = check_int("n", n, low=2, high=MAX_DIM)
        start = (-1.5, 2.0) if n == 2 else _tile((-1.2, 1.0), n)
        bounds = [(-2.0, 2.0)] + [(-1.0, 3.0)] * (n - 1)
        glob: list[Point] = []
        local: list[Point] = []
        if n == 2:
            glob = [(self.a, self.a**2)]
        elif self.a in (0.0, 1.0):
            glob = [(self.a,) * n]
        if self.a == 1.0 and self.b == 100.0 and 4 <= n <= 7:
            # the classic local minimum near (-1, 1, ..., 1)
            local = [(-1.0,) + (1.0,) * (n - 1)]
        self._setup("rosenbrock", n, bounds, start, glob, local, log_scale=True, refine=bool(local))

    def _f(self, xp, P):
        x, xn = P[:, :-1], P[:, 1:]
        return xp.sum(self.b * (xn - x * x) ** 2 + (self.a - x) ** 2, axis=1)

    def _g(self, xp, P):
        x, xn = P[:, :-1], P[:, 1:]
        r = xn - x * x
        left = -4.0 * self.b * x * r - 2.0 * (self.a - x)
        right = 2.0 * self.b * r
        return _pad_cols(xp, left, 0, 1) + _pad_cols(xp, right, 1, 0)

    def _hv(self, xp, P, V):
        x, xn = P[:, :-1], P[:, 1:]
        v, vn = V[:, :-1], V[:, 1:]
        b = self.b
        off = -4.0 * b * x
        left = (12.0 * b * x * x - 4.0 * b * xn + 2.0) * v + off * vn
        right = 2.0 * b * vn + off * v
        return _pad_cols(xp, left, 0, 1) + _pad_cols(xp, right, 1, 0)


def rosenbrock(a: float = 1.0, b: float = 100.0, n: int = 2) -> Rosenbrock:
    """Rosenbrock's banana valley, n-dimensional in the chained form of ``scipy.optimize.rosen``.

    :math:`f(x) = \\sum_{i=1}^{n-1} b (x_{i+1} - x_i^2)^2 + (a - x_i)^2`. Global
    minimum 0 at :math:`(a, a^2)` for ``n = 2`` and at :math:`(1, \\dots, 1)` for
    ``a = 1``; for ``n > 2`` and ``a`` not 0 or 1 it has no closed form and
    ``global_minima`` is empty. For ``4 <= n <= 7`` (``a=1, b=100``) the local
    minimum near :math:`(-1, 1, \\dots, 1)` is listed too. Default start
    ``(-1.5, 2)`` (``(-1.2, 1, -1.2, 1, ...)`` in n-d).
    """
    return Rosenbrock(a, b, n)


class Himmelblau(TestFunction):
    r""":math:`(x^2 + y - 11)^2 + (x + y^2 - 7)^2`: four global minima of value 0."""

    def __init__(self) -> None:
        self._setup(
            "himmelblau",
            2,
            [(-5.0, 5.0)] * 2,
            (0.0, 0.0),
            [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)],
            log_scale=True,
        )

    def _f(self, xp, P):
        x, y = P[:, 0], P[:, 1]
        return (x * x + y - 11.0) ** 2 + (x + y * y - 7.0) ** 2

    def _g(self, xp, P):
        x, y = P[:, 0], P[:, 1]
        u, w = x * x + y - 11.0, x + y * y - 7.0
        return _stack(xp, [4.0 * x * u + 2.0 * w, 2.0 * u + 4.0 * y * w])

    def _hv(self, xp, P, V):
        x, y, vx, vy = P[:, 0], P[:, 1], V[:, 0], V[:, 1]
        hxx = 12.0 * x * x + 4.0 * y - 42.0
        hxy = 4.0 * (x + y)
        hyy = 4.0 * x + 12.0 * y * y - 26.0
        return _stack(xp, [hxx * vx + hxy * vy, hxy * vx + hyy * vy])


def himmelblau() -> Himmelblau:
    """Himmelblau's function: four global minima of value 0, at (3, 2) and three other points."""
    return Himmelblau()


_BEALE_C = (1.5, 2.25, 2.625)


class Beale(TestFunction):
    r""":math:`\sum_{k=1}^3 (c_k - x + x y^k)^2`, :math:`c = (1.5, 2.25, 2.625)`."""

    def __init__(self) -> None:
        self._setup("beale", 2, [(-4.5, 4.5)] * 2, (1.0, 1.5), [(3.0, 0.5)], log_scale=True)

    def _f(self, xp, P):
        x, y = P[:, 0], P[:, 1]
        y2 = y * y
        return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y2) ** 2 + (2.625 - x + x * y2 * y) ** 2

    def _g(self, xp, P):
        x, y = P[:, 0], P[:, 1]
        ypow = (y, y * y, y * y * y)
        dypow = (1.0, 2.0 * y, 3.0 * y * y)  # d(y^k)/dy
        gx = 0.0
        gy = 0.0
        for c, yk, dyk in zip(_BEALE_C, ypow, dypow, strict=True):
            t = c - x + x * yk
            gx = gx + 2.0 * t * (yk - 1.0)
            gy = gy + 2.0 * t * x * dyk
        return _stack(xp, [gx, gy])

    def _hv(self, xp, P, V):
        x, y, vx, vy = P[:, 0], P[:, 1], V[:, 0], V[:, 1]
        ypow = (y, y * y, y * y * y)
        dypow = (1.0, 2.0 * y, 3.0 * y * y)
        d2ypow = (0.0, 2.0, 6.0 * y)
        hxx = hxy = hyy = 0.0
        for c, yk, dyk, d2yk in zip(_BEALE_C, ypow, dypow, d2ypow, strict=True):
            t = c - x + x * yk
            tx, ty = yk - 1.0, x * dyk  # first derivatives of t
            hxx = hxx + 2.0 * tx * tx
            hxy = hxy + 2.0 * (tx * ty + t * dyk)
            hyy = hyy + 2.0 * (ty * ty + t * x * d2yk)
        return _stack(xp, [hxx * vx + hxy * vy, hxy * vx + hyy * vy])


def beale() -> Beale:
    """Beale's function: minimum 0 at (3, 0.5) at the end of a curved, flat valley."""
    return Beale()


class Booth(TestFunction):
    r""":math:`(x + 2y - 7)^2 + (2x + y - 5)^2`."""

    def __init__(self) -> None:
        self._setup("booth", 2, [(-10.0, 10.0)] * 2, (-8.0, 6.0), [(1.0, 3.0)], refine=False)

    def _f(self, xp, P):
        x, y = P[:, 0], P[:, 1]
        return (x + 2.0 * y - 7.0) ** 2 + (2.0 * x + y - 5.0) ** 2

    def _g(self, xp, P):
        x, y = P[:, 0], P[:, 1]
        p, q = x + 2.0 * y - 7.0, 2.0 * x + y - 5.0
        return _stack(xp, [2.0 * p + 4.0 * q, 4.0 * p + 2.0 * q])

    def _hv(self, xp, P, V):
        vx, vy = V[:, 0], V[:, 1]
        return _stack(xp, [10.0 * vx + 8.0 * vy, 8.0 * vx + 10.0 * vy])


def booth() -> Booth:
    """Booth's function: a quadratic with minimum 0 at (1, 3)."""
    return Booth()


class Matyas(TestFunction):
    r""":math:`0.26 (x^2 + y^2) - 0.48 x y`."""

    def __init__(self) -> None:
        self._setup("matyas", 2, [(-10.0, 10.0)] * 2, (8.0, 5.0), [(0.0, 0.0)], refine=False)

    def _f(self, xp, P):
        x, y = P[:, 0], P[:, 1]
        return 0.26 * (x * x + y * y) - 0.48 * x * y

    def _g(self, xp, P):
        x, y = P[:, 0], P[:, 1]
        return _stack(xp, [0.52 * x - 0.48 * y, 0.52 * y - 0.48 * x])

    def _hv(self, xp, P, V):
        vx, vy = V[:, 0], V[:, 1]
        return _stack(xp, [0.52 * vx - 0.48 * vy, 0.52 * vy - 0.48 * vx])


def matyas() -> Matyas:
    """Matyas' function: a flat, ill-conditioned quadratic (condition number 25), minimum 0 at 0."""
    return Matyas()


class Rastrigin(TestFunction):
    r""":math:`A n + \sum_i x_i^2 - A \cos(2\pi x_i)`."""

    def __init__(self, n: int = 2, A: float = 10.0) -> None:
        n = check_int("n", n, low=1, high=MAX_DIM)
        self.A = check_real("A", A, low=0.0)
        # the nearest local minima: one coordinate near +-1, the others 0 (the function is
        # a sum over coordinates, so the coordinate is refined in one dimension)
        local: list[Point] = []
        if self.A > 0 and n <= MAX_LISTED:
            tau, a = 2.0 * math.pi, self.A
            x1 = _newton_1d(
                lambda x: 2.0 * x + tau * a * math.sin(tau * x),
                lambda x: 2.0 + tau * tau * a * math.cos(tau * x),
                1.0,
            )
            local = _one_off(n, 0.0, (x1, -x1))
        self._setup(
            "rastrigin",
            n,
            [(-5.12, 5.12)] * n,
            _tile((-4.4, 3.6), n),
            [(0.0,) * n],
            local,
            refine=False,
        )

    def _f(self, xp, P):
        tau = 2.0 * math.pi
        return self.A * P.shape[1] + xp.sum(P * P - self.A * xp.cos(tau * P), axis=1)

    def _g(self, xp, P):
        tau = 2.0 * math.pi
        return 2.0 * P + (tau * self.A) * xp.sin(tau * P)

    def _hv(self, xp, P, V):
        tau = 2.0 * math.pi
        return (2.0 + (tau * tau * self.A) * xp.cos(tau * P)) * V


def rastrigin(n: int = 2, A: float = 10.0) -> Rastrigin:
    """Rastrigin's function: a bowl covered in a grid of local minima; global minimum 0 at 0.

    ``minima`` lists the global minimum and, for ``n <= 100``, the 2n nearest local
    minima (one coordinate near ±0.995, value near 0.995).
    """
    return Rastrigin(n, A)


class Ackley(TestFunction):
    r""":math:`-a e^{-b\sqrt{\mathrm{mean}(x^2)}} - e^{\mathrm{mean}(\cos c x)} + a + e`."""

    def __init__(
        self, n: int = 2, a: float = 20.0, b: float = 0.2, c: float = 2.0 * math.pi
    ) -> None:
        n = check_int("n", n, low=1, high=MAX_DIM)
        self.a = check_real("a", a)
        self.b = check_real("b", b)
        self.c = check_real("c", c)
        self._setup(
            "ackley", n, [(-5.0, 5.0)] * n, _tile((-4.0, 3.3), n), [(0.0,) * n], refine=False
        )

    def _parts(self, xp, P):
        n = P.shape[1]
        r = xp.sqrt(xp.sum(P * P, axis=1) / n)
        m = xp.sum(xp.cos(self.c * P), axis=1) / n
        return n, r, m

    def _f(self, xp, P):
        _, r, m = self._parts(xp, P)
        return -self.a * xp.exp(-self.b * r) - xp.exp(m) + (self.a + math.e)

    def _radial(self, xp, r):
        # 1 / (n r) where r > 0, and 0 at r = 0 (the radial term's gradient limit set there
        # contains 0, which we return: a valid subgradient)
        pos = r > 0
        safe = xp.where(pos, r, xp.ones_like(r))
        return pos, safe

    def _g(self, xp, P):
        n, r, m = self._parts(xp, P)
        pos, safe = self._radial(xp, r)
        g1 = xp.where(pos, self.a * self.b * xp.exp(-self.b * r) / (n * safe), xp.zeros_like(r))
        g2 = xp.exp(m) * self.c / n
        return g1[:, None] * P + g2[:, None] * xp.sin(self.c * P)

    def _hv(self, xp, P, V):
        n, r, m = self._parts(xp, P)
        pos, safe = self._radial(xp, r)
        zero = xp.zeros_like(r)
        e = xp.exp(-self.b * r)
        xv = xp.sum(P * V, axis=1)
        # radial part g(r) = -a exp(-b r), r = |x| / sqrt(n):
        # H v = g'(r) (v / (n r) - x (x.v) / (n^2 r^3)) + g''(r) x (x.v) / (n^2 r^2)
        gp = self.a * self.b * e  # g'(r)
        gpp = -self.a * self.b * self.b * e  # g''(r)
        k1 = xp.where(pos, gp / (n * safe), zero)
        k2 = xp.where(pos, (gpp / (n * n * safe * safe) - gp / (n * n * safe**3)) * xv, zero)
        h1 = k1[:, None] * V + k2[:, None] * P
        # cosine part
        em = xp.exp(m)
        s = xp.sin(self.c * P)
        sv = xp.sum(s * V, axis=1)
        h2 = (em * self.c * self.c / n)[:, None] * xp.cos(self.c * P) * V - (
            em * self.c * self.c / (n * n) * sv
        )[:, None] * s
        return h1 + h2


def ackley(n: int = 2, a: float = 20.0, b: float = 0.2, c: float = 2.0 * math.pi) -> Ackley:
    """Ackley's function: a nearly flat, bumpy plateau around a deep hole; minimum 0 at 0.

    At the origin itself, where the radial term is not differentiable, the
    gradient is taken as 0 (a subgradient) and the radial term's Hessian, which
    is unbounded there, is left out of the Hessian-vector product.
    """
    return Ackley(n, a, b, c)


class Saddle(TestFunction):
    r""":math:`x^2 - y^2`: a saddle point at the origin, unbounded below."""

    def __init__(self) -> None:
        self._setup("saddle", 2, [(-2.0, 2.0)] * 2, (-1.5, 0.01), refine=False)

    def _f(self, xp, P):
        return P[:, 0] ** 2 - P[:, 1] ** 2

    def _g(self, xp, P):
        return _stack(xp, [2.0 * P[:, 0], -2.0 * P[:, 1]])

    def _hv(self, xp, P, V):
        return _stack(xp, [2.0 * V[:, 0], -2.0 * V[:, 1]])


def saddle() -> Saddle:
    """The saddle :math:`x^2 - y^2`: no minimum; starts just off the stable axis, to show escape."""
    return Saddle()


class MonkeySaddle(TestFunction):
    r""":math:`x^3 - 3 x y^2`: a degenerate (monkey) saddle at the origin."""

    def __init__(self) -> None:
        self._setup("monkey_saddle", 2, [(-2.0, 2.0)] * 2, (1.5, 0.1), refine=False)

    def _f(self, xp, P):
        x, y = P[:, 0], P[:, 1]
        return x**3 - 3.0 * x * y * y

    def _g(self, xp, P):
        x, y = P[:, 0], P[:, 1]
        return _stack(xp, [3.0 * (x * x - y * y), -6.0 * x * y])

    def _hv(self, xp, P, V):
        x, y, vx, vy = P[:, 0], P[:, 1], V[:, 0], V[:, 1]
        return _stack(xp, [6.0 * (x * vx - y * vy), -6.0 * (y * vx + x * vy)])


def monkey_saddle() -> MonkeySaddle:
    """The monkey saddle :math:`x^3 - 3xy^2`: zero gradient and Hessian at 0, no minimum."""
    return MonkeySaddle()


_ST_GLOBAL = -2.903534
_ST_LOCAL = 2.746803


class StyblinskiTang(TestFunction):
    r""":math:`\tfrac12 \sum_i x_i^4 - 16 x_i^2 + 5 x_i`."""

    def __init__(self, n: int = 2) -> None:
        n = check_int("n", n, low=1, high=MAX_DIM)
        # a sum over coordinates: each minimum is refined in one dimension
        lo, hi = (
            _newton_1d(lambda x: 2.0 * x**3 - 16.0 * x + 2.5, lambda x: 6.0 * x * x - 16.0, x0)
            for x0 in (_ST_GLOBAL, _ST_LOCAL)
        )
        local: list[Point] = []
        if n <= 4:  # every corner of the 2^n local minima
            local = [c for c in itertools.product((lo, hi), repeat=n) if hi in c]
        elif n <= MAX_LISTED:  # the best ones: a single coordinate in the other well
            local = _one_off(n, lo, (hi,))
        self._setup(
            "styblinski_tang",
            n,
            [(-5.0, 5.0)] * n,
            _tile((-0.5, 4.5), n),
            [(lo,) * n],
            local,
            refine=False,
        )

    def _f(self, xp, P):
        P2 = P * P
        return 0.5 * xp.sum(P2 * P2 - 16.0 * P2 + 5.0 * P, axis=1)

    def _g(self, xp, P):
        return 2.0 * P * P * P - 16.0 * P + 2.5

    def _hv(self, xp, P, V):
        return (6.0 * P * P - 16.0) * V


def styblinski_tang(n: int = 2) -> StyblinskiTang:
    """Styblinski-Tang: minimum about -39.166 n at x_i = -2.9035; 2^n - 1 local minima.

    ``minima`` lists the global minimum, then (for ``n <= 4``) every local
    minimum by value, or (``4 < n <= 100``) the n local minima with one coordinate at 2.7468.
    """
    return StyblinskiTang(n)


class SixHumpCamel(TestFunction):
    r""":math:`(4 - 2.1 x^2 + x^4/3) x^2 + x y + (4 y^2 - 4) y^2`."""

    def __init__(self) -> None:
        self._setup(
            "six_hump_camel",
            2,
            [(-2.0, 2.0), (-1.0, 1.0)],
            (-1.5, 0.9),
            [(0.0898, -0.7126), (-0.0898, 0.7126)],
            [(-1.7036, 0.7961), (1.7036, -0.7961), (1.6071, 0.5687), (-1.6071, -0.5687)],
        )

    def _f(self, xp, P):
        x, y = P[:, 0], P[:, 1]
        x2, y2 = x * x, y * y
        return (4.0 - 2.1 * x2 + x2 * x2 / 3.0) * x2 + x * y + (4.0 * y2 - 4.0) * y2

    def _g(self, xp, P):
        x, y = P[:, 0], P[:, 1]
        x2 = x * x
        return _stack(
            xp, [8.0 * x - 8.4 * x2 * x + 2.0 * x2 * x2 * x + y, x - 8.0 * y + 16.0 * y * y * y]
        )

    def _hv(self, xp, P, V):
        x, y, vx, vy = P[:, 0], P[:, 1], V[:, 0], V[:, 1]
        x2 = x * x
        hxx = 8.0 - 25.2 * x2 + 10.0 * x2 * x2
        hyy = -8.0 + 48.0 * y * y
        return _stack(xp, [hxx * vx + vy, vx + hyy * vy])


def six_hump_camel() -> SixHumpCamel:
    """Six-hump camel: two global minima -1.0316 at ±(0.0898, -0.7126), four local minima."""
    return SixHumpCamel()


class ThreeHumpCamel(TestFunction):
    r""":math:`2x^2 - 1.05x^4 + x^6/6 + xy + y^2`."""

    def __init__(self) -> None:
        self._setup(
            "three_hump_camel",
            2,
            [(-2.0, 2.0)] * 2,
            (-1.5, -1.5),
            [(0.0, 0.0)],
            [(1.7476, -0.8738), (-1.7476, 0.8738)],
        )

    def _f(self, xp, P):
        x, y = P[:, 0], P[:, 1]
        x2 = x * x
        return 2.0 * x2 - 1.05 * x2 * x2 + x2 * x2 * x2 / 6.0 + x * y + y * y

    def _g(self, xp, P):
        x, y = P[:, 0], P[:, 1]
        x2 = x * x
        return _stack(xp, [4.0 * x - 4.2 * x2 * x + x2 * x2 * x + y, x + 2.0 * y])

    def _hv(self, xp, P, V):
        x, vx, vy = P[:, 0], V[:, 0], V[:, 1]
        x2 = x * x
        hxx = 4.0 - 12.6 * x2 + 5.0 * x2 * x2
        return _stack(xp, [hxx * vx + vy, vx + 2.0 * vy])


def three_hump_camel() -> ThreeHumpCamel:
    """Three-hump camel: global minimum 0 at 0, two local minima near ±(1.7476, -0.8738)."""
    return ThreeHumpCamel()


class GoldsteinPrice(TestFunction):
    r""":math:`[1 + (x+y+1)^2 q(x,y)]\,[30 + (2x-3y)^2 t(x,y)]`."""

    def __init__(self) -> None:
        self._setup(
            "goldstein_price",
            2,
            [(-2.0, 2.0)] * 2,
            (-1.5, 1.5),
            [(0.0, -1.0)],
            [(-0.6, -0.4), (1.8, 0.2), (1.2, 0.8)],
            log_scale=True,
        )

    @staticmethod
    def _ab(P):
        x, y = P[:, 0], P[:, 1]
        p = x + y + 1.0
        q = 19.0 - 14.0 * x + 3.0 * x * x - 14.0 * y + 6.0 * x * y + 3.0 * y * y
        s = 2.0 * x - 3.0 * y
        t = 18.0 - 32.0 * x + 12.0 * x * x + 48.0 * y - 36.0 * x * y + 27.0 * y * y
        return x, y, p, q, s, t

    def _f(self, xp, P):
        _, _, p, q, s, t = self._ab(P)
        return (1.0 + p * p * q) * (30.0 + s * s * t)

    def _first(self, P):
        x, y, p, q, s, t = self._ab(P)
        A, B = 1.0 + p * p * q, 30.0 + s * s * t
        qd = -14.0 + 6.0 * x + 6.0 * y  # dq/dx = dq/dy
        Ad = 2.0 * p * q + p * p * qd  # dA/dx = dA/dy
        tx, ty = -32.0 + 24.0 * x - 36.0 * y, 48.0 - 36.0 * x + 54.0 * y
        Bx = 4.0 * s * t + s * s * tx
        By = -6.0 * s * t + s * s * ty
        return p, q, s, t, A, B, qd, Ad, tx, ty, Bx, By

    def _g(self, xp, P):
        _, _, _, _, A, B, _, Ad, _, _, Bx, By = self._first(P)
        return _stack(xp, [Ad * B + A * Bx, Ad * B + A * By])

    def _hv(self, xp, P, V):
        p, q, s, t, A, B, qd, Ad, tx, ty, Bx, By = self._first(P)
        Add = 2.0 * q + 4.0 * p * qd + 6.0 * p * p  # all second derivatives of A are equal
        Bxx = 8.0 * t + 8.0 * s * tx + 24.0 * s * s
        Bxy = -12.0 * t + 4.0 * s * ty - 6.0 * s * tx - 36.0 * s * s
        Byy = 18.0 * t - 12.0 * s * ty + 54.0 * s * s
        hxx = Add * B + 2.0 * Ad * Bx + A * Bxx
        hxy = Add * B + Ad * (Bx + By) + A * Bxy
        hyy = Add * B + 2.0 * Ad * By + A * Byy
        vx, vy = V[:, 0], V[:, 1]
        return _stack(xp, [hxx * vx + hxy * vy, hxy * vx + hyy * vy])


def goldstein_price() -> GoldsteinPrice:
    """Goldstein-Price: minimum 3 at (0, -1), local minima 30, 84 and 840; a very wide range."""
    return GoldsteinPrice()


# ------------------------------------------------------------------------------- registry

_REGISTRY: dict[str, Callable[..., TestFunction]] = {
    "quadratic": quadratic,
    "rosenbrock": rosenbrock,
    "himmelblau": himmelblau,
    "beale": beale,
    "booth": booth,
    "matyas": matyas,
    "rastrigin": rastrigin,
    "ackley": ackley,
    "saddle": saddle,
    "monkey_saddle": monkey_saddle,
    "styblinski_tang": styblinski_tang,
    "six_hump_camel": six_hump_camel,
    "three_hump_camel": three_hump_camel,
    "goldstein_price": goldstein_price,
}


def names() -> list[str]:
    """Names of the built-in test functions, in a teaching order."""
    return list(_REGISTRY)


def get(name: str, **kwargs: Any) -> TestFunction:
    """The test function called ``name``, made with ``kwargs``.

    Case, spaces and hyphens are forgiven (``"Six-hump camel"``); an unknown name
    raises ``ValueError`` listing the close names.
    """
    key = (
        name.strip().lower().replace("-", "_").replace(" ", "_") if isinstance(name, str) else name
    )
    key = check_choice("function", key, _REGISTRY)
    try:
        return _REGISTRY[key](**kwargs)
    except TypeError as exc:  # an unexpected keyword
        raise ValueError(f"{key}(): {exc}") from None
