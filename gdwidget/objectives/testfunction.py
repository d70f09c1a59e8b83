"""The base class of the closed-form test functions, and Newton refinement of their minima."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

import numpy as np

from .arrays import as_params, match_v, unbatch
from .base import Objective

Point = tuple[float, ...]

#: the largest ``n`` of the n-dimensional functions (``quadratic`` stores an n x n matrix)
MAX_DIM = 1_000_000
MAX_DENSE_DIM = 4096
#: local minima are listed up to this dimension (there are 2n of them or more)
MAX_LISTED = 100


class TestFunction(Objective):
    """A closed-form test function with an analytic gradient and Hessian-vector product.

    Subclasses implement ``_f(xp, P)``, ``_g(xp, P)`` and ``_hv(xp, P, V)`` on
    ``(n_runs, n_params)`` float arrays, and ``_fg(xp, P)`` (both at once) where the value
    and the gradient share terms. ``batch`` is accepted and ignored.
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
            global_minima = [newton(self, p) for p in global_minima]
            local_minima = [newton(self, p) for p in local_minima]
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

    def _fg(self, xp: ModuleType, P: Any) -> tuple[Any, Any]:
        """``(_f(xp, P), _g(xp, P))``, bit for bit; overridden where the two share terms."""
        return self._f(xp, P), self._g(xp, P)

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
            f, g = self._fg(xp, P)
        return unbatch(xp, f, single), unbatch(xp, g, single)

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


class SharedTerms:
    """For a test function whose value and gradient share terms: it gives ``_terms(P)`` (the
    shared arrays), ``_f_of(xp, *terms)`` and ``_g_of(xp, *terms)``; this mixin (listed before
    :class:`TestFunction`) makes ``_f``, ``_g`` and ``_fg`` of them, so that
    ``value_and_grad`` computes the shared terms once."""

    def _f(self, xp: ModuleType, P: Any) -> Any:
        return self._f_of(xp, *self._terms(P))

    def _g(self, xp: ModuleType, P: Any) -> Any:
        return self._g_of(xp, *self._terms(P))

    def _fg(self, xp: ModuleType, P: Any) -> tuple[Any, Any]:
        terms = self._terms(P)
        return self._f_of(xp, *terms), self._g_of(xp, *terms)


def newton(f: TestFunction, point: Sequence[float], iters: int = 60) -> Point:
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


def newton_1d(
    grad: Callable[[float], float], curv: Callable[[float], float], x: float, iters: int = 60
) -> float:
    """A stationary point of a function of one variable, refined from ``x`` by Newton."""
    for _ in range(iters):
        dx = grad(x) / curv(x)
        x -= dx
        if abs(dx) <= 4e-16 * (1.0 + abs(x)):
            break
    return x


def one_off(n: int, base: float, values: Sequence[float]) -> list[Point]:
    """Points with every coordinate at ``base`` except one, set to each of ``values``."""
    out = []
    for i in range(n):
        for v in values:
            p = [base] * n
            p[i] = v
            out.append(tuple(p))
    return out


def tile(pattern: Sequence[float], n: int) -> tuple[float, ...]:
    return tuple(float(pattern[i % len(pattern)]) for i in range(n))
