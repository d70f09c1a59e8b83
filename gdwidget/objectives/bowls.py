"""Valleys and bowls: quadratic, Rosenbrock, Himmelblau, Beale, Booth and Matyas."""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import numpy as np

from .._checks import check_int, check_real
from .arrays import overlap_add, stack_cols, sum_cols
from .testfunction import MAX_DENSE_DIM, MAX_DIM, Point, SharedTerms, TestFunction, tile


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
            "quadratic", n, [(-2.0, 2.0)] * n, tile((-1.5, 1.0), n), [(0.0,) * n], refine=False
        )

    def _mat(self, xp: ModuleType, P: Any) -> Any:
        key = (getattr(xp, "__name__", str(id(xp))), str(P.dtype))
        A = self._cache.get(key)
        if A is None:
            A = self._cache[key] = xp.asarray(self.A, dtype=P.dtype)
        return A

    def _f(self, xp, P):
        return self._fg(xp, P)[0]

    def _g(self, xp, P):
        return P @ self._mat(xp, P)

    def _fg(self, xp, P):
        g = self._g(xp, P)
        return 0.5 * sum_cols(xp, g * P), g

    def _hv(self, xp, P, V):
        return V @ self._mat(xp, P)


def quadratic(cond: float = 10.0, angle: float = 0.0, n: int = 2) -> Quadratic:
    """Quadratic bowl with condition number ``cond``, rotated by ``angle`` degrees.

    :math:`f(x) = \\tfrac12 x^\\top A x` with eigenvalues from 1 to ``cond``
    (geometric spacing) and the first two axes rotated by ``angle`` degrees.
    Minimum 0 at the origin. Gradient descent converges for ``lr < 2 / cond``.
    """
    return Quadratic(cond, angle, n)


class Rosenbrock(SharedTerms, TestFunction):
    r""":math:`\sum_i b(x_{i+1} - x_i^2)^2 + (a - x_i)^2` (``scipy.optimize.rosen``)."""

    def __init__(self, a: float = 1.0, b: float = 100.0, n: int = 2) -> None:
        self.a = check_real("a", a)
        self.b = check_real("b", b, low=0.0, low_open=True)
        n = check_int("n", n, low=2, high=MAX_DIM)
        start = (-1.5, 2.0) if n == 2 else tile((-1.2, 1.0), n)
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

    # the value and the gradient from the same terms: x, r = x_{i+1} - x_i^2 and d = a - x_i
    def _terms(self, P):
        x, xn = P[:, :-1], P[:, 1:]
        return x, xn - x * x, self.a - x

    def _f_of(self, xp, x, r, d):
        return sum_cols(xp, self.b * r**2 + d**2)

    def _g_of(self, xp, x, r, d):
        return overlap_add(xp, -4.0 * self.b * x * r - 2.0 * d, 2.0 * self.b * r)

    def _hv(self, xp, P, V):
        x, xn = P[:, :-1], P[:, 1:]
        v, vn = V[:, :-1], V[:, 1:]
        b = self.b
        off = -4.0 * b * x
        left = (12.0 * b * x * x - 4.0 * b * xn + 2.0) * v + off * vn
        right = 2.0 * b * vn + off * v
        return overlap_add(xp, left, right)


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


class Himmelblau(SharedTerms, TestFunction):
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

    def _terms(self, P):
        x, y = P[:, 0], P[:, 1]
        return x, y, x * x + y - 11.0, x + y * y - 7.0

    def _f_of(self, xp, x, y, u, w):
        return u**2 + w**2

    def _g_of(self, xp, x, y, u, w):
        return stack_cols(xp, [4.0 * x * u + 2.0 * w, 2.0 * u + 4.0 * y * w])

    def _hv(self, xp, P, V):
        x, y, vx, vy = P[:, 0], P[:, 1], V[:, 0], V[:, 1]
        hxx = 12.0 * x * x + 4.0 * y - 42.0
        hxy = 4.0 * (x + y)
        hyy = 4.0 * x + 12.0 * y * y - 26.0
        return stack_cols(xp, [hxx * vx + hxy * vy, hxy * vx + hyy * vy])


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
        return stack_cols(xp, [gx, gy])

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
        return stack_cols(xp, [hxx * vx + hxy * vy, hxy * vx + hyy * vy])


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
        return stack_cols(xp, [2.0 * p + 4.0 * q, 4.0 * p + 2.0 * q])

    def _hv(self, xp, P, V):
        vx, vy = V[:, 0], V[:, 1]
        return stack_cols(xp, [10.0 * vx + 8.0 * vy, 8.0 * vx + 10.0 * vy])


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
        return stack_cols(xp, [0.52 * x - 0.48 * y, 0.52 * y - 0.48 * x])

    def _hv(self, xp, P, V):
        vx, vy = V[:, 0], V[:, 1]
        return stack_cols(xp, [0.52 * vx - 0.48 * vy, 0.52 * vy - 0.48 * vx])


def matyas() -> Matyas:
    """Matyas' function: a flat, ill-conditioned quadratic (condition number 25), minimum 0 at 0."""
    return Matyas()
