"""Many minima and saddles: Rastrigin, Ackley, the saddles, Styblinski-Tang, the camels and
Goldstein-Price."""

from __future__ import annotations

import itertools
import math

from .._checks import check_int, check_real
from .arrays import stack_cols
from .testfunction import MAX_DIM, MAX_LISTED, Point, TestFunction, newton_1d, one_off, tile


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
            x1 = newton_1d(
                lambda x: 2.0 * x + tau * a * math.sin(tau * x),
                lambda x: 2.0 + tau * tau * a * math.cos(tau * x),
                1.0,
            )
            local = one_off(n, 0.0, (x1, -x1))
        self._setup(
            "rastrigin",
            n,
            [(-5.12, 5.12)] * n,
            tile((-4.4, 3.6), n),
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
            "ackley", n, [(-5.0, 5.0)] * n, tile((-4.0, 3.3), n), [(0.0,) * n], refine=False
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
        return stack_cols(xp, [2.0 * P[:, 0], -2.0 * P[:, 1]])

    def _hv(self, xp, P, V):
        return stack_cols(xp, [2.0 * V[:, 0], -2.0 * V[:, 1]])


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
        return stack_cols(xp, [3.0 * (x * x - y * y), -6.0 * x * y])

    def _hv(self, xp, P, V):
        x, y, vx, vy = P[:, 0], P[:, 1], V[:, 0], V[:, 1]
        return stack_cols(xp, [6.0 * (x * vx - y * vy), -6.0 * (y * vx + x * vy)])


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
            newton_1d(lambda x: 2.0 * x**3 - 16.0 * x + 2.5, lambda x: 6.0 * x * x - 16.0, x0)
            for x0 in (_ST_GLOBAL, _ST_LOCAL)
        )
        local: list[Point] = []
        if n <= 4:  # every corner of the 2^n local minima
            local = [c for c in itertools.product((lo, hi), repeat=n) if hi in c]
        elif n <= MAX_LISTED:  # the best ones: a single coordinate in the other well
            local = one_off(n, lo, (hi,))
        self._setup(
            "styblinski_tang",
            n,
            [(-5.0, 5.0)] * n,
            tile((-0.5, 4.5), n),
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
        return stack_cols(
            xp, [8.0 * x - 8.4 * x2 * x + 2.0 * x2 * x2 * x + y, x - 8.0 * y + 16.0 * y * y * y]
        )

    def _hv(self, xp, P, V):
        x, y, vx, vy = P[:, 0], P[:, 1], V[:, 0], V[:, 1]
        x2 = x * x
        hxx = 8.0 - 25.2 * x2 + 10.0 * x2 * x2
        hyy = -8.0 + 48.0 * y * y
        return stack_cols(xp, [hxx * vx + vy, vx + hyy * vy])


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
        return stack_cols(xp, [4.0 * x - 4.2 * x2 * x + x2 * x2 * x + y, x + 2.0 * y])

    def _hv(self, xp, P, V):
        x, vx, vy = P[:, 0], V[:, 0], V[:, 1]
        x2 = x * x
        hxx = 4.0 - 12.6 * x2 + 5.0 * x2 * x2
        return stack_cols(xp, [hxx * vx + vy, vx + 2.0 * vy])


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
        return stack_cols(xp, [Ad * B + A * Bx, Ad * B + A * By])

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
        return stack_cols(xp, [hxx * vx + hxy * vy, hxy * vx + hyy * vy])


def goldstein_price() -> GoldsteinPrice:
    """Goldstein-Price: minimum 3 at (0, -1), local minima 30, 84 and 840; a very wide range."""
    return GoldsteinPrice()
