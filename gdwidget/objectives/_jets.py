"""Evaluating an expression's tape: values, and exact derivatives in forward mode.

A tape (see :mod:`._expr`) is a list of instructions ``(op, a, b)`` in evaluation
order; ``a`` and ``b`` are the slots of the operands (or a constant, a variable's
index, a function name, an exponent). Every slot is read once, so its value is
dropped as soon as it is used and memory stays that of the widest part of the tree.

Derivatives are exact (up to rounding): the tape is evaluated on truncated
Taylor "jets" that carry, with each value, its gradient with respect to every
variable and, for Hessian-vector products, its derivative along a direction
``v`` and the gradient of that derivative (forward over forward mode).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from types import ModuleType
from typing import Any

#: function name in expressions -> (array-API name, older NumPy-style alias)
FUNCTIONS: dict[str, tuple[str, str | None]] = {
    "sin": ("sin", None),
    "cos": ("cos", None),
    "tan": ("tan", None),
    "exp": ("exp", None),
    "log": ("log", None),
    "sqrt": ("sqrt", None),
    "abs": ("abs", None),
    "tanh": ("tanh", None),
    "sinh": ("sinh", None),
    "cosh": ("cosh", None),
    "atan": ("atan", "arctan"),
    "arctan": ("atan", "arctan"),
}

MATH: dict[str, Callable[[float], float]] = {
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "exp": math.exp,
    "log": math.log,
    "sqrt": math.sqrt,
    "abs": abs,
    "tanh": math.tanh,
    "sinh": math.sinh,
    "cosh": math.cosh,
    "atan": math.atan,
}

Instr = tuple[str, Any, Any]


def fn(xp: ModuleType, name: str) -> Callable[[Any], Any]:
    std, alias = FUNCTIONS[name]
    f = getattr(xp, std, None)
    if f is None and alias is not None:
        f = getattr(xp, alias)
    return f


def evaluate(tape: list[Instr], root: int, xp: ModuleType, cols: list[Any]) -> Any:
    """The value of the tape's ``root`` slot (an array, or a float for a constant)."""
    vals: list[Any] = [None] * len(tape)
    for k, (op, a, b) in enumerate(tape):
        if op == "const":
            r = a
        elif op == "var":
            r = cols[a]
        else:
            u, vals[a] = vals[a], None
            if op == "neg":
                r = -u
            elif op == "call":
                r = fn(xp, b)(u)
            elif op == "powc":
                r = powc(u, b)
            else:
                w, vals[b] = vals[b], None
                r = _binary(xp, op, u, w)
        vals[k] = r
    return vals[root]


def _binary(xp: ModuleType, op: str, a: Any, b: Any) -> Any:
    if op == "add":
        return a + b
    if op == "sub":
        return a - b
    if op == "mul":
        return a * b
    if op == "div":
        return a / b
    if isinstance(a, float):  # constant base > 0, checked when parsed
        return xp.exp(b * math.log(a))
    return xp.exp(b * xp.log(a))  # as the derivatives see it: for a > 0


def powc(a: Any, c: float) -> Any:
    """``a ** c`` for a constant ``c``, the same in every evaluation mode."""
    return a * a if c == 2.0 else a**c


# --------------------------------------------------------------------------------- jets


def _z(a: Any) -> bool:
    """A structural zero (a Python float 0), which lets products skip work."""
    return isinstance(a, float) and a == 0.0


def _mul(a: Any, b: Any) -> Any:
    return 0.0 if _z(a) or _z(b) else a * b


def _add(a: Any, b: Any) -> Any:
    if _z(a):
        return b
    if _z(b):
        return a
    return a + b


def _sub(a: Any, b: Any) -> Any:
    if _z(b):
        return a
    if _z(a):
        return -b
    return a - b


def _div(a: Any, b: Any) -> Any:
    return 0.0 if _z(a) else a / b


class Jet:
    """A value ``v`` with its gradient ``g`` (one entry per variable) and, when an HVP is
    wanted, its derivative ``d`` along ``v`` and the gradient ``h`` of that derivative."""

    __slots__ = ("v", "g", "d", "h")

    def __init__(self, v: Any, g: list[Any], d: Any = None, h: list[Any] | None = None):
        self.v, self.g, self.d, self.h = v, g, d, h


class Jets:
    """Forward-mode evaluation of a tape on jets."""

    def __init__(self, xp: ModuleType, cols: list[Any], vcols: list[Any] | None) -> None:
        self.xp, self.cols, self.vcols = xp, cols, vcols
        self.n = len(cols)
        self.second = vcols is not None

    def run(self, tape: list[Instr], root: int) -> Any:
        vals: list[Any] = [None] * len(tape)
        for k, (op, a, b) in enumerate(tape):
            if op == "const":
                r = a
            elif op == "var":
                r = self.var(a)
            else:
                u, vals[a] = vals[a], None
                if op == "neg":
                    r = self.scale(u, -1.0)
                elif op == "call":
                    r = self.call(b, u)
                elif op == "powc":
                    r = self.powc(u, b)
                else:
                    w, vals[b] = vals[b], None
                    r = self.binary(op, u, w)
            vals[k] = r
        return vals[root]

    def var(self, i: int) -> Jet:
        g = [0.0] * self.n
        g[i] = 1.0
        if self.second:
            return Jet(self.cols[i], g, self.vcols[i], [0.0] * self.n)
        return Jet(self.cols[i], g)

    def binary(self, op: str, a: Any, b: Any) -> Any:
        if op == "add":
            return self.add(a, b)
        if op == "sub":
            return self.add(a, self.scale(b, -1.0))
        if op == "mul":
            return self.mul(a, b)
        if op == "div":
            return self.div(a, b)
        if isinstance(a, float):  # c ** w with c > 0
            return self.chain_exp_of(self.scale(b, math.log(a)))
        # u ** w with both variable: exp(w log u), defined for u > 0
        return self.chain_exp_of(self.mul(b, self.call("log", a)))

    # -- building blocks ----------------------------------------------------------------
    def scale(self, u: Any, c: float) -> Any:
        if not isinstance(u, Jet):
            return u * c
        g = [_mul(gi, c) for gi in u.g]
        if not self.second:
            return Jet(u.v * c, g)
        return Jet(u.v * c, g, _mul(u.d, c), [_mul(hi, c) for hi in u.h])

    def add(self, u: Any, w: Any) -> Any:
        if not isinstance(u, Jet):
            u, w = w, u
        if not isinstance(u, Jet):
            return u + w
        if not isinstance(w, Jet):
            return Jet(u.v + w, u.g, u.d, u.h)
        g = [_add(a, b) for a, b in zip(u.g, w.g, strict=True)]
        if not self.second:
            return Jet(u.v + w.v, g)
        return Jet(
            u.v + w.v, g, _add(u.d, w.d), [_add(a, b) for a, b in zip(u.h, w.h, strict=True)]
        )

    def mul(self, u: Any, w: Any) -> Any:
        if not isinstance(u, Jet):
            u, w = w, u
        if not isinstance(w, Jet):
            return self.scale(u, w)
        a, b = u.v, w.v
        g = [_add(_mul(a, gw), _mul(b, gu)) for gu, gw in zip(u.g, w.g, strict=True)]
        if not self.second:
            return Jet(a * b, g)
        d = _add(_mul(a, w.d), _mul(b, u.d))
        h = [
            _add(_add(_mul(a, hw), _mul(b, hu)), _add(_mul(gu, w.d), _mul(u.d, gw)))
            for gu, gw, hu, hw in zip(u.g, w.g, u.h, w.h, strict=True)
        ]
        return Jet(a * b, g, d, h)

    def div(self, u: Any, w: Any) -> Any:
        if not isinstance(w, Jet):
            if not isinstance(u, Jet):
                return u / w
            return self._div_const(u, w)
        # q = u / w; from q w = u: dq = (du - q dw) / w, and for the mixed second
        # derivative h_q = (h_u - q h_w - g_q d_w - d_q g_w) / w
        uv = u.v if isinstance(u, Jet) else u
        ug = u.g if isinstance(u, Jet) else [0.0] * self.n
        q = uv / w.v
        g = [_sub(gu, _mul(q, gw)) for gu, gw in zip(ug, w.g, strict=True)]
        g = [_div(gi, w.v) for gi in g]
        if not self.second:
            return Jet(q, g)
        ud = u.d if isinstance(u, Jet) else 0.0
        uh = u.h if isinstance(u, Jet) else [0.0] * self.n
        d = _div(_sub(ud, _mul(q, w.d)), w.v)
        h = [
            _div(_sub(_sub(hu, _mul(q, hw)), _add(_mul(gq, w.d), _mul(d, gw))), w.v)
            for hu, hw, gq, gw in zip(uh, w.h, g, w.g, strict=True)
        ]
        return Jet(q, g, d, h)

    def _div_const(self, u: Jet, c: float) -> Jet:
        g = [_div(gi, c) for gi in u.g]
        if not self.second:
            return Jet(u.v / c, g)
        return Jet(u.v / c, g, _div(u.d, c), [_div(hi, c) for hi in u.h])

    def chain(self, u: Jet, f0: Any, f1: Any, f2: Any) -> Jet:
        """``phi(u)`` given ``phi(u.v)``, ``phi'(u.v)`` and ``phi''(u.v)``."""
        g = [_mul(f1, gi) for gi in u.g]
        if not self.second:
            return Jet(f0, g)
        d = _mul(f1, u.d)
        fd = _mul(f2, u.d)
        h = [_add(_mul(fd, gi), _mul(f1, hi)) for gi, hi in zip(u.g, u.h, strict=True)]
        return Jet(f0, g, d, h)

    def chain_exp_of(self, u: Any) -> Any:
        if not isinstance(u, Jet):
            return math.exp(u)
        y = self.xp.exp(u.v)
        return self.chain(u, y, y, y)

    def powc(self, u: Any, c: float) -> Any:
        if not isinstance(u, Jet):
            return u**c
        a = u.v
        if c == 2.0:
            return self.chain(u, a * a, 2.0 * a, 2.0)
        f2 = c * (c - 1.0) * a ** (c - 2.0) if self.second else 0.0
        return self.chain(u, powc(a, c), c * a ** (c - 1.0), f2)

    def call(self, name: str, u: Any) -> Any:
        if not isinstance(u, Jet):  # unreachable after constant folding, kept for safety
            return MATH[name](u)
        xp, a = self.xp, u.v
        if name == "sin":
            y = xp.sin(a)
            return self.chain(u, y, xp.cos(a), -y)
        if name == "cos":
            y = xp.cos(a)
            return self.chain(u, y, -xp.sin(a), -y)
        if name == "tan":
            y = xp.tan(a)
            f1 = 1.0 + y * y
            return self.chain(u, y, f1, 2.0 * y * f1)
        if name == "exp":
            y = xp.exp(a)
            return self.chain(u, y, y, y)
        if name == "log":
            f1 = 1.0 / a
            return self.chain(u, xp.log(a), f1, -f1 * f1)
        if name == "sqrt":
            y = xp.sqrt(a)
            f1 = 0.5 / y
            return self.chain(u, y, f1, -2.0 * f1 * f1 * f1)
        if name == "abs":
            return self.chain(u, xp.abs(a), xp.sign(a), 0.0)
        if name == "tanh":
            y = xp.tanh(a)
            f1 = 1.0 - y * y
            return self.chain(u, y, f1, -2.0 * y * f1)
        if name == "sinh":
            y = xp.sinh(a)
            return self.chain(u, y, xp.cosh(a), y)
        if name == "cosh":
            y = xp.cosh(a)
            return self.chain(u, y, xp.sinh(a), y)
        if name == "atan":
            f1 = 1.0 / (1.0 + a * a)
            return self.chain(u, fn(xp, "atan")(a), f1, -2.0 * a * f1 * f1)
        raise AssertionError(f"unknown function {name}")  # pragma: no cover
