"""User functions: a safe expression string, or a vectorized Python callable.

>>> import gdwidget as gd
>>> f = gd.Function("x**2 + 3*sin(y)")                    # exact gradient and HVP
>>> g = gd.Function(lambda p: (p**2).sum(axis=1),          # any vectorized callable
...                 grad=lambda p: 2 * p)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._checks import check_int
from ..backend import namespace_of
from ._box import bounds_of, default_bounds, default_start, point_of, points_of
from ._expr import MAX_PARAMS, Expr, short
from .arrays import as_params, dtype_kind, match_v, unbatch
from .base import Objective
from .slice import slice_values

__all__ = ["Function"]


class Function(Objective):
    """An objective from an expression or from Python callables.

    Parameters
    ----------
    f : str or callable
        Either an expression in ``x`` and ``y`` (or ``x0``, ``x1``, ... for more
        parameters), such as ``"x**2 + 3*sin(y)"``, built from numbers, ``pi``,
        ``e``, ``+ - * / **``, unary minus and the functions ``sin cos tan exp log
        sqrt abs tanh sinh cosh atan`` (``arctan``): it is parsed safely (never
        evaluated as Python) and its gradient and Hessian-vector product are exact.
        A power with a variable exponent, ``u**w``, is ``exp(w*log(u))`` (real for
        ``u > 0``); ``c**w`` needs a constant ``c > 0``.
        Or a vectorized callable taking all runs at once, an array of shape
        ``(n_runs, n_params)``, and returning the losses, shape ``(n_runs,)``; it
        should use the array's own namespace (or NumPy operators) so that it runs
        on the engine's device.
    grad : callable, optional
        For a callable ``f``: the gradient, ``(n_runs, n_params) -> (n_runs,
        n_params)``. Without it the gradient is approximated by central
        differences with the step :math:`h_i = \\epsilon^{1/3} \\max(1, |x_i|)`
        (:math:`\\epsilon` the dtype's machine epsilon: about ``6e-6`` in float64,
        ``5e-3`` in float32), which costs ``2 n_params`` evaluations and is
        accurate to roughly :math:`\\epsilon^{2/3}` relative (``1e-10`` in
        float64, ``2e-5`` in float32).
    hvp : callable, optional
        For a callable ``f``: the Hessian-vector product ``(params, v) -> (n_runs,
        n_params)``. Without it, central differences of the gradient along ``v``
        are used (approximate, with step :math:`\\epsilon^{1/3}` relative when the
        gradient is exact and :math:`\\epsilon^{1/4}` when it is itself
        approximated). ``exact_grad`` and ``exact_hvp`` tell which is the case.
    n_params : int, optional
        Number of parameters: by default 2, or what the expression uses.
    bounds : sequence of (low, high), optional
        The view box, one pair per parameter (or one pair for all). By default
        ``(-3, 3)`` per axis, widened to contain ``start`` and ``minima``.
    start : sequence of float, optional
        Default start. By default a point 20% in from the box's top-left corner.
    minima : sequence of points, optional
        Known minima; the lowest are taken as global (``global_minima``,
        ``min_value``), and ``minima`` lists them first.
    name : str, optional
        By default the expression, or the callable's name.
    log_scale : bool, optional
        Colour the landscape on a log scale. By default decided on first use from
        the values on a grid over the view box: log when the largest value is more
        than 12 times farther above the smallest than the median is (true for
        Rosenbrock, Beale or Goldstein-Price, false for bowls and waves).

    Notes
    -----
    The output of a callable is checked at every call: a result that is not an
    array of shape ``(n_runs,)`` (or ``(n_runs, n_params)`` for ``grad`` and
    ``hvp``) raises a ``ValueError`` that says what was expected.
    """

    def __init__(
        self,
        f: str | Callable[[Any], Any],
        grad: Callable[[Any], Any] | None = None,
        hvp: Callable[[Any, Any], Any] | None = None,
        *,
        n_params: int | None = None,
        bounds: Sequence[Any] | None = None,
        start: Sequence[float] | None = None,
        minima: Sequence[Sequence[float]] | None = None,
        name: str | None = None,
        log_scale: bool | None = None,
    ) -> None:
        if n_params is not None:
            n_params = check_int("n_params", n_params, low=1, high=MAX_PARAMS)
        self._expr: Expr | None = None
        self._f = self._grad = self._hvp = None
        if isinstance(f, str):
            for arg, val in (("grad", grad), ("hvp", hvp)):
                if val is not None:
                    raise ValueError(
                        f"{arg}= is for callables; the derivatives of an expression are "
                        f"computed exactly from it (got {arg}={val!r} with f={f!r})"
                    )
            self._expr = Expr(f, n_params)
            self.n_params = self._expr.n_params
            self.name = name if name is not None else short(f.strip(), 200)[1:-1]
            self.exact_grad = self.exact_hvp = True
        elif callable(f):
            for arg, val in (("grad", grad), ("hvp", hvp)):
                if val is not None and not callable(val):
                    raise ValueError(f"{arg} must be a callable or None, got {val!r}")
            self._f, self._grad, self._hvp = f, grad, hvp
            self.n_params = n_params if n_params is not None else 2
            fname = getattr(f, "__name__", "function")
            self.name = name if name is not None else ("function" if fname == "<lambda>" else fname)
            self.exact_grad = grad is not None
            self.exact_hvp = hvp is not None
        else:
            raise ValueError(f"f must be a string expression or a callable, got {f!r}")
        if not isinstance(self.name, str):
            raise ValueError(f"name must be a string, got {self.name!r}")
        self.has_hvp = True
        n = self.n_params
        pts = [] if minima is None else points_of("minima", minima, n)
        st = None if start is None else point_of("start", start, n)
        self.bounds = (
            bounds_of(bounds, n)
            if bounds is not None
            else default_bounds(n, pts + ([st] if st else []))
        )
        self.default_start = st if st is not None else default_start(self.bounds)
        if log_scale is not None and not isinstance(log_scale, bool):
            raise ValueError(f"log_scale must be True, False or None, got {log_scale!r}")
        self._log_scale = log_scale
        self.global_minima, self.minima, self.min_value = [], [], None
        if pts:
            vals = np.asarray(self.value(np.asarray(pts, dtype=np.float64)), dtype=np.float64)
            order = np.argsort(vals, kind="stable")
            best = float(vals[order[0]])
            tol = 1e-12 * max(1.0, abs(best))
            self.minima = [pts[i] for i in order]
            self.global_minima = [pts[i] for i in order if vals[i] <= best + tol]
            self.min_value = best

    # ------------------------------------------------------------------------- properties
    @property
    def expression(self) -> str | None:
        """The expression, when made from one."""
        return self._expr.source if self._expr is not None else None

    @property
    def log_scale(self) -> bool:  # type: ignore[override]
        if self._log_scale is None:
            self._log_scale = self._guess_log_scale()
        return self._log_scale

    @log_scale.setter
    def log_scale(self, value: bool) -> None:
        self._log_scale = bool(value)

    def _guess_log_scale(self) -> bool:
        (x0, x1), (y0, y1) = self.bounds[0], self.bounds[1] if self.n_params > 1 else (0, 0)
        g = np.linspace(0.0, 1.0, 41)
        try:  # over the landscape's plane, in chunks of bounded memory
            vals = slice_values(self, self.default_start, x0 + (x1 - x0) * g, y0 + (y1 - y0) * g)
        except Exception:  # noqa: BLE001 - a guess only; the real call reports errors
            return False
        vals = vals[np.isfinite(vals)]
        if vals.size < 10:
            return False
        lo = vals.min()
        median = float(np.median(vals)) - lo
        return bool(vals.max() - lo > 12.0 * max(median, 1e-300))

    # ------------------------------------------------------------------------ evaluation
    def value(self, params: Any, batch: Any = None) -> Any:
        """Loss ``(n_runs,)`` at ``params`` ``(n_runs, n_params)``."""
        xp, P, single = as_params(params, self.n_params)
        if self._expr is not None:
            return unbatch(xp, self._expr.value(xp, P), single)
        with np.errstate(all="ignore"):
            return unbatch(xp, self._call_f(xp, P), single)

    def value_and_grad(self, params: Any, batch: Any = None) -> tuple[Any, Any]:
        """Loss ``(n_runs,)`` and gradient ``(n_runs, n_params)``.

        Exact for expressions and for callables given ``grad``; central
        differences otherwise (see the class notes).
        """
        xp, P, single = as_params(params, self.n_params)
        if self._expr is not None:
            loss, g = self._expr.value_and_grad(xp, P)
        else:
            with np.errstate(all="ignore"):
                loss = self._call_f(xp, P)
                g = self._call_grad(xp, P) if self._grad is not None else self._fd_grad(xp, P)
        return unbatch(xp, loss, single), unbatch(xp, g, single)

    def grad(self, params: Any) -> Any:
        """Gradient ``(n_runs, n_params)``."""
        xp, P, single = as_params(params, self.n_params)
        if self._expr is not None:
            g = self._expr.value_and_grad(xp, P)[1]
        else:
            with np.errstate(all="ignore"):
                g = self._call_grad(xp, P) if self._grad is not None else self._fd_grad(xp, P)
        return unbatch(xp, g, single)

    def hvp(self, params: Any, v: Any) -> Any:
        """Hessian-vector product ``H(params) @ v`` per run, ``(n_runs, n_params)``."""
        xp, P, single = as_params(params, self.n_params)
        _, V, _ = as_params(v, self.n_params, "v")
        V = match_v(xp, P, V, params, v)
        if self._expr is not None:
            out = self._expr.hvp(xp, P, V)
        else:
            with np.errstate(all="ignore"):
                out = (
                    self._check_out(self._hvp(P, V), xp, P, "hvp", P.shape)
                    if self._hvp is not None
                    else self._fd_hvp(xp, P, V)
                )
        return unbatch(xp, out, single)

    def hess_diag(self, params: Any) -> Any:
        xp, P, single = as_params(params, self.n_params)
        eye = xp.eye(self.n_params, dtype=P.dtype)
        cols = [
            self.hvp(P, xp.broadcast_to(eye[i : i + 1, :], P.shape))[:, i]
            for i in range(self.n_params)
        ]
        return unbatch(xp, xp.stack(cols, axis=1), single)

    # --------------------------------------------------------------------- callable path
    def _call_f(self, xp: Any, P: Any) -> Any:
        return self._check_out(self._f(P), xp, P, "f", (P.shape[0],))

    def _call_grad(self, xp: Any, P: Any) -> Any:
        return self._check_out(self._grad(P), xp, P, "grad", P.shape)

    def _check_out(self, out: Any, xp: Any, P: Any, what: str, shape: tuple[int, ...]) -> Any:
        try:
            return _check_out(out, xp, P, what, shape)
        except ValueError as exc:
            raise ValueError(f"Function {self.name!r}: {exc}") from None

    def _fd_grad(self, xp: Any, P: Any) -> Any:
        """Central differences, all ``2 n_params`` shifted copies in one call of ``f``."""
        m, n = P.shape
        h = _step(xp, P, 1.0 / 3.0)  # (m, n)
        blocks = []
        for i in range(n):
            col = P[:, i : i + 1]
            hi = (col + h[:, i : i + 1]) - col  # a step that is exact in floating point
            for sgn in (1.0, -1.0):  # (+h, -h) per coordinate, in order
                blocks.append(_cat(xp, [P[:, :i], col + sgn * hi, P[:, i + 1 :]], axis=1))
        vals = self._call_f(xp, _vconcat(xp, blocks))
        cols = []
        for i in range(n):
            col = P[:, i]
            hi = (col + h[:, i]) - col
            fp = vals[(2 * i) * m : (2 * i + 1) * m]
            fm = vals[(2 * i + 1) * m : (2 * i + 2) * m]
            cols.append((fp - fm) / (2.0 * hi))
        return xp.stack(cols, axis=1)

    def _fd_hvp(self, xp: Any, P: Any, V: Any) -> Any:
        """Central differences of the gradient along ``V``."""
        m = P.shape[0]
        power = 1.0 / 3.0 if self.exact_grad or self._expr is not None else 0.25
        eps = float(xp.finfo(P.dtype).eps)
        scale = xp.max(xp.abs(P), axis=1)
        scale = xp.where(scale > 1.0, scale, xp.ones_like(scale))
        vnorm = xp.sqrt(xp.sum(V * V, axis=1))
        vsafe = xp.where(vnorm > 0, vnorm, xp.ones_like(vnorm))
        h = (eps**power) * scale / vsafe
        h = xp.reshape(h, (m, 1))
        both = _vconcat(xp, [P + h * V, P - h * V])
        g = self._call_grad(xp, both) if self._grad is not None else self._fd_grad(xp, both)
        return (g[:m, :] - g[m:, :]) / (2.0 * h)

    def __repr__(self) -> str:
        kind = "expression" if self._expr is not None else "callable"
        return f"<Function {self.name!r} ({kind}) n_params={self.n_params}>"


# ------------------------------------------------------------------------------- helpers


def _cat(xp: Any, arrays: list[Any], axis: int) -> Any:
    cat = getattr(xp, "concat", None) or xp.concatenate
    return cat(arrays, axis=axis)


def _vconcat(xp: Any, arrays: list[Any]) -> Any:
    return _cat(xp, arrays, axis=0)


def _step(xp: Any, P: Any, power: float) -> Any:
    eps = float(xp.finfo(P.dtype).eps)
    a = xp.abs(P)
    return (eps**power) * xp.where(a > 1.0, a, xp.ones_like(a))


def _check_out(out: Any, xp: Any, P: Any, what: str, shape: tuple[int, ...]) -> Any:
    """The user's result as an array of ``shape`` and ``P``'s dtype, or a clear error."""
    hint = (
        "it gets all runs at once, an array of shape (n_runs, n_params), and must be "
        "vectorized, e.g. lambda p: p[:, 0]**2 + 10 * p[:, 1]**2"
    )
    if not hasattr(out, "shape") or not hasattr(out, "dtype"):
        if isinstance(out, list | tuple):
            raise ValueError(
                f"{what} must return an array of shape {shape}, got a {type(out).__name__}; {hint}"
            )
        raise ValueError(
            f"{what} must return an array of shape {shape}, got "
            f"{type(out).__name__} {out!r}; {hint}"
        )
    if tuple(out.shape) != tuple(shape):
        extra = ""
        if what == "f" and tuple(out.shape) == (shape[0], 1):
            extra = " (drop the trailing axis, e.g. with [:, 0])"
        elif what == "f" and len(out.shape) == 0:
            extra = f"; {hint}"
        elif what == "f" and tuple(out.shape) == tuple(P.shape):
            extra = " (sum over axis 1?)"
        raise ValueError(
            f"{what} must return shape {shape} for params of shape "
            f"{tuple(P.shape)}, got {tuple(out.shape)}{extra}"
        )
    kind = dtype_kind(out)
    if kind == "c":
        raise ValueError(
            f"{what} must return real numbers, got complex values (dtype "
            f"{out.dtype}); take the real part or the modulus yourself"
        )
    if kind not in ("f", "i", "u", "b"):
        raise ValueError(
            f"{what} must return an array of numbers of shape {shape}, got dtype {out.dtype}"
        )
    if namespace_of(out) is not xp:
        out = xp.asarray(out)
    if out.dtype != P.dtype:
        out = xp.asarray(out, dtype=P.dtype)
    return out
