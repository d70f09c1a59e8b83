"""A test function's value and gradient traced into a program of exact operations.

A :class:`~gdwidget.objectives.testfunction.TestFunction` writes ``_fg(xp, P)`` once, on
arrays of any namespace. :func:`program` calls it with a namespace of its own (:data:`NS`)
and ``P`` as a row of symbols (:class:`Row`), which records the arithmetic of one run as the
update rules' tape does (:class:`gdwidget.optim._rule.Sym`). The engine runs that tape for
small races in one compiled call (:mod:`gdwidget.engine._race`).

Only operations that IEEE 754 rounds exactly are traced: ``+ - * /``, ``sqrt``, ``abs``,
comparisons, ``where``, ``maximum``, ``minimum``, ``x**2`` (NumPy's square) and sums along
a row (in order, as NumPy sums fewer than eight numbers). A function that uses anything
else (``sin``, ``exp``, other powers, whose results may differ by an ulp between libraries)
is not traced, and steps as before. :func:`program` also checks the traced program against
the function itself on a probe of points, bit for bit, before it is used.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..optim._rule import Sym

#: rows a traced sum may add (NumPy sums fewer than eight numbers one after the other)
_MAX_WIDTH = 7


class Untraceable(Exception):
    """The function does something the tracer does not record."""


def _scalar(x: Any) -> Any:
    if isinstance(x, Sym):
        return x
    if isinstance(x, bool) or not isinstance(x, int | float | np.floating | np.integer):
        raise Untraceable(f"not a number: {type(x).__name__}")
    return float(x)


def _apply(op: str, *args: Any) -> Any:
    syms = [a for a in args if isinstance(a, Sym)]
    if not syms:
        raise Untraceable("an operation on constants only")
    return syms[0]._op(op, *args)


class Row:
    """One run's values of an ``(n_runs, k)`` array (``ndim`` 2) or ``(n_runs,)`` (1)."""

    __array_ufunc__ = None  # NumPy scalars defer to these operators

    def __init__(self, cols: list[Any], ndim: int = 2) -> None:
        self.cols, self.ndim = cols, ndim

    @property
    def shape(self) -> tuple[int, ...]:
        return (1, len(self.cols)) if self.ndim == 2 else (1,)

    dtype = np.dtype(np.float64)

    def __getitem__(self, key: Any) -> Row:
        if self.ndim != 2 or not (isinstance(key, tuple) and len(key) == 2):
            raise Untraceable(f"indexing {key!r}")
        if key[0] != slice(None):
            raise Untraceable("indexing across runs")
        if isinstance(key[1], slice):
            return Row(self.cols[key[1]])
        if isinstance(key[1], int):
            return Row([self.cols[key[1]]], 1)
        raise Untraceable(f"indexing {key!r}")

    def _bin(self, op: str, other: Any, swap: bool = False) -> Row:
        if isinstance(other, Row):
            if other.ndim != self.ndim:
                raise Untraceable("broadcasting a row against a column")
            a, b = self.cols, other.cols
            if len(a) != len(b):
                if len(a) == 1:
                    a = a * len(b)
                elif len(b) == 1:
                    b = b * len(a)
                else:
                    raise Untraceable("arrays of different widths")
        else:
            a, b = self.cols, [_scalar(other)] * len(self.cols)
        if swap:
            a, b = b, a
        return Row([_apply(op, x, y) for x, y in zip(a, b, strict=True)], self.ndim)

    def __add__(self, o: Any) -> Row:
        return self._bin("add", o)

    def __radd__(self, o: Any) -> Row:
        return self._bin("add", o, True)

    def __sub__(self, o: Any) -> Row:
        return self._bin("sub", o)

    def __rsub__(self, o: Any) -> Row:
        return self._bin("sub", o, True)

    def __mul__(self, o: Any) -> Row:
        return self._bin("mul", o)

    def __rmul__(self, o: Any) -> Row:
        return self._bin("mul", o, True)

    def __truediv__(self, o: Any) -> Row:
        return self._bin("div", o)

    def __rtruediv__(self, o: Any) -> Row:
        return self._bin("div", o, True)

    def __lt__(self, o: Any) -> Row:
        return self._bin("lt", o)

    def __gt__(self, o: Any) -> Row:
        return self._bin("gt", o)

    def __pow__(self, k: Any) -> Row:
        if isinstance(k, bool) or k != 2:  # NumPy squares x**2 (x * x); other powers call pow
            raise Untraceable(f"x**{k!r}")
        return self._bin("mul", self)

    def __neg__(self) -> Row:
        return Row([_apply("neg", x) for x in self.cols], self.ndim)

    def __abs__(self) -> Row:
        return Row([_apply("abs", x) for x in self.cols], self.ndim)

    def __bool__(self) -> bool:
        raise Untraceable("a branch on a value")


def _map(op: str, *args: Any) -> Row:
    rows = [a for a in args if isinstance(a, Row)]
    if not rows or any(r.ndim != rows[0].ndim or len(r.cols) != len(rows[0].cols) for r in rows):
        raise Untraceable(f"{op} of arrays of different shapes")
    cols = [
        [a.cols[i] if isinstance(a, Row) else _scalar(a) for a in args]
        for i in range(len(rows[0].cols))
    ]
    return Row([_apply(op, *c) for c in cols], rows[0].ndim)


def _axis1(axis: Any, a: Row) -> None:
    if a.ndim != 2 or axis not in (1, -1):
        raise Untraceable(f"an operation along axis {axis!r}")


class _Namespace:
    """The array namespace a traced function sees: the exact operations only."""

    __name__ = "gdwidget.objectives._trace"

    @staticmethod
    def sqrt(a: Row) -> Row:
        return _map("sqrt", a)

    @staticmethod
    def abs(a: Row) -> Row:
        return abs(a)

    @staticmethod
    def where(c: Row, a: Any, b: Any) -> Row:
        return _map("where", c, a, b)

    @staticmethod
    def maximum(a: Any, b: Any) -> Row:
        return _map("maximum", a, b)

    @staticmethod
    def minimum(a: Any, b: Any) -> Row:
        return _map("minimum", a, b)

    @staticmethod
    def sum(a: Row, axis: Any = None) -> Row:
        _axis1(axis, a)
        if len(a.cols) > _MAX_WIDTH:
            raise Untraceable("a sum of more than seven numbers (NumPy sums those pairwise)")
        total = a.cols[0]
        for x in a.cols[1:]:
            total = _apply("add", total, x)
        return Row([total], 1)

    @staticmethod
    def concat(arrays: list[Row], axis: Any = 0) -> Row:
        for a in arrays:
            _axis1(axis, a)
        return Row([x for a in arrays for x in a.cols])

    concatenate = concat

    @staticmethod
    def stack(arrays: list[Row], axis: Any = 0) -> Row:
        if axis not in (1, -1) or any(a.ndim != 1 for a in arrays):
            raise Untraceable(f"stack along axis {axis!r}")
        return Row([a.cols[0] for a in arrays])

    def __getattr__(self, name: str) -> Any:
        raise Untraceable(f"xp.{name}")


NS = _Namespace()


def trace(fg: Any, n: int) -> tuple[list, Any, list[Any]]:
    """``fg(xp, P)`` traced for ``n`` parameters: the tape, the loss and the gradient's
    entries (symbols or numbers). Raises :class:`Untraceable`."""
    tape: list = []
    x = Row([Sym(tape, "in", ("x", j)) for j in range(n)])
    with np.errstate(all="ignore"):
        f, g = fg(NS, x)
    if not (isinstance(f, Row) and f.ndim == 1 and isinstance(g, Row) and g.ndim == 2):
        raise Untraceable("the value or the gradient is not an array of the runs")
    if len(g.cols) != n:
        raise Untraceable("the gradient has the wrong width")
    return tape, f.cols[0], list(g.cols)


_NUMPY = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide, "neg": np.negative,
    "sqrt": np.sqrt, "abs": np.abs, "sign": np.sign, "maximum": np.maximum,
    "minimum": np.minimum, "where": np.where, "lt": np.less, "gt": np.greater, "ne": np.not_equal,
}  # fmt: skip


def evaluate(traced: tuple[list, Any, list[Any]], P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A traced program on the rows of ``P`` with NumPy, one column of runs per operation:
    the loss and the gradient (to check the program against its function)."""
    tape, f, g = traced
    dt = P.dtype.type
    values: dict[int, Any] = {}

    def value(x: Any) -> Any:
        return values[x.index] if isinstance(x, Sym) else np.full(P.shape[0], x, dtype=P.dtype)

    with np.errstate(all="ignore"):
        for i, (op, args) in enumerate(tape):
            if op == "in":
                values[i] = P[:, args[1]]
            else:
                values[i] = _NUMPY[op](
                    *(values[a.index] if isinstance(a, Sym) else dt(a) for a in args)
                )
    return value(f), np.stack([value(x) for x in g], axis=1)


def probe(n: int, bounds: Any, dtype: Any) -> np.ndarray:
    """Points to compare a traced program with its function: across the view box and far
    out, at zeros and signed zeros, and a few non-finite ones."""
    rng = np.random.default_rng(7)
    lo = np.array([b[0] for b in bounds], dtype=np.float64)
    hi = np.array([b[1] for b in bounds], dtype=np.float64)
    inside = lo + (hi - lo) * rng.random((256, n))
    far = rng.standard_normal((128, n)) * 10.0 ** rng.integers(-8, 40, (128, n))
    P = np.concatenate([inside, far, np.zeros((2, n)), -np.zeros((2, n))])
    P[rng.random(P.shape) < 0.01] = np.inf
    P[rng.random(P.shape) < 0.01] = np.nan
    with np.errstate(all="ignore"):
        return P.astype(dtype)
