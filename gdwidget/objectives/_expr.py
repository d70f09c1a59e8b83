"""Safe arithmetic expressions with exact derivatives.

An expression such as ``"x**2 + 3*sin(y)"`` is parsed with :mod:`ast` and checked
against a whitelist: numbers, the variables (``x``, ``y``, or ``x0``, ``x1``,
...), the constants ``pi`` and ``e``, ``+ - * / **``, unary minus and the
functions in :data:`FUNCTIONS`. Nothing is ever passed to :func:`eval`; the
checked tree is evaluated by a small interpreter over arrays.

Derivatives are exact (up to rounding): the tree is evaluated in forward mode on
truncated Taylor "jets" that carry, with each value, its gradient with respect to
every variable and, for Hessian-vector products, its derivative along a
direction ``v`` and the gradient of that derivative (forward over forward mode).
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable
from types import ModuleType
from typing import Any

MAX_LENGTH = 5000

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
CONSTANTS = {"pi": math.pi, "e": math.e}

_MATH: dict[str, Callable[[float], float]] = {
    "sin": math.sin, "cos": math.cos, "tan": math.tan, "exp": math.exp, "log": math.log,
    "sqrt": math.sqrt, "abs": abs, "tanh": math.tanh, "sinh": math.sinh, "cosh": math.cosh,
    "atan": math.atan,
}
_BINOPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}
_INDEXED = re.compile(r"x(0|[1-9][0-9]{0,3})")

_NOT_ALLOWED = {
    ast.Attribute: "attribute access",
    ast.Subscript: "indexing",
    ast.Lambda: "lambda",
    ast.Compare: "comparison",
    ast.BoolOp: "boolean operator",
    ast.IfExp: "conditional expression",
    ast.List: "list",
    ast.Tuple: "tuple",
    ast.Dict: "dict",
    ast.Set: "set",
    ast.ListComp: "comprehension",
    ast.GeneratorExp: "generator expression",
    ast.DictComp: "comprehension",
    ast.SetComp: "comprehension",
    ast.Starred: "starred argument",
    ast.NamedExpr: "assignment expression",
    ast.JoinedStr: "f-string",
    ast.Await: "await",
    ast.Yield: "yield",
}

# A node is a tuple: ("const", float) | ("var", i) | ("neg", a) | (binop, a, b)
# | ("powc", a, c) with a constant exponent | ("call", name, a)
Node = tuple


def _err(source: str, node: ast.AST | None, what: str) -> ValueError:
    piece = ast.get_source_segment(source, node) if node is not None else None
    where = f" {piece!r}" if piece else ""
    return ValueError(f"f: {what}{where} is not allowed in the expression {source!r}. "
                      f"Allowed: numbers, the variables, pi, e, + - * / **, and "
                      f"{', '.join(sorted(set(FUNCTIONS)))}")


class Expr:
    """A checked expression in ``n_params`` variables.

    Parameters
    ----------
    source : str
        The expression, e.g. ``"x**2 + 3*sin(y)"``. Variables are ``x`` and
        ``y`` (two parameters) or ``x0``, ``x1``, ... (any number); the two
        styles cannot be mixed.
    n_params : int, optional
        Number of parameters; by default 2 for ``x``/``y`` and one more than the
        largest index for ``x0``, ``x1``, ...
    """

    def __init__(self, source: str, n_params: int | None = None) -> None:
        if not isinstance(source, str):
            raise ValueError(f"f must be a string expression or a callable, got {source!r}")
        if len(source) > MAX_LENGTH:
            raise ValueError(f"f: the expression is too long ({len(source)} characters, at "
                             f"most {MAX_LENGTH})")
        self.source = source
        self._style: str | None = None
        self._max_index = -1
        text = source.strip()
        if not text:
            raise ValueError("f: the expression is empty")
        try:
            tree = ast.parse(text, mode="eval")
        except SyntaxError as exc:
            raise ValueError(f"f: {source!r} is not a valid expression ({exc.msg})") from None
        except (RecursionError, MemoryError):
            raise ValueError(f"f: the expression {source!r} is nested too deeply") from None
        self._text = text
        try:
            self.tree = self._convert(tree.body)
        except RecursionError:
            raise ValueError(f"f: the expression {source!r} is nested too deeply") from None
        needed = 2 if self._style in (None, "xy") else self._max_index + 1
        if n_params is None:
            n_params = needed
        elif n_params < needed:
            raise ValueError(f"n_params={n_params} is too small for the expression {source!r}, "
                             f"which uses {needed} variables")
        self.n_params = int(n_params)
        self.variables = (["x", "y"] if self._style in (None, "xy") and self.n_params == 2
                          else [f"x{i}" for i in range(self.n_params)])

    # ---------------------------------------------------------------------------- parsing
    def _var(self, node: ast.Name) -> Node:
        name = node.id
        if name in ("x", "y"):
            style, index = "xy", "xy".index(name)
        elif _INDEXED.fullmatch(name):
            style, index = "indexed", int(name[1:])
        else:
            return None  # type: ignore[return-value]
        if self._style is not None and style != self._style:
            raise ValueError(f"f: do not mix x, y with x0, x1, ... in one expression "
                             f"({self._text!r})")
        self._style = style
        self._max_index = max(self._max_index, index)
        return ("var", index)

    def _convert(self, node: ast.AST) -> Node:
        src = self._text
        if isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise _err(src, node, "the constant")
            try:
                fv = float(v)
            except OverflowError:
                raise _err(src, node, "the too large number") from None
            if not math.isfinite(fv):
                raise _err(src, node, "the non-finite number")
            return ("const", fv)
        if isinstance(node, ast.Name):
            if node.id in CONSTANTS:
                return ("const", CONSTANTS[node.id])
            var = self._var(node)
            if var is not None:
                return var
            if node.id in FUNCTIONS:
                raise _err(src, node, f"the function name {node.id} without arguments")
            raise _err(src, node, "the name")
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                a = self._convert(node.operand)
                return ("const", -a[1]) if a[0] == "const" else ("neg", a)
            if isinstance(node.op, ast.UAdd):
                return self._convert(node.operand)
            raise _err(src, node, f"the operator {type(node.op).__name__}")
        if isinstance(node, ast.BinOp):
            op = _BINOPS.get(type(node.op))
            if op is None:
                if isinstance(node.op, ast.BitXor):
                    raise ValueError(f"f: '^' in {ast.get_source_segment(src, node)!r} is not "
                                     f"a power in Python; write ** (as in x**2)")
                raise _err(src, node, f"the operator {type(node.op).__name__}")
            a, b = self._convert(node.left), self._convert(node.right)
            if a[0] == "const" and b[0] == "const":
                return ("const", self._fold(node, op, a[1], b[1]))
            if op == "pow" and b[0] == "const":
                if b[1] == 0.0:
                    return ("const", 1.0)
                if b[1] == 1.0:
                    return a
                return ("powc", a, b[1])
            if op == "pow" and a[0] == "const" and a[1] <= 0.0:
                raise _err(src, node, "a power with a base <= 0 and a variable exponent")
            return (op, a, b)
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else None
            if name not in FUNCTIONS:
                if isinstance(node.func, ast.Name):
                    raise _err(src, node.func, "the function")
                raise _err(src, node.func, "calling")
            if len(node.args) != 1 or node.keywords or isinstance(node.args[0], ast.Starred):
                raise ValueError(f"f: {name}() takes exactly one argument, in "
                                 f"{ast.get_source_segment(src, node)!r}")
            a = self._convert(node.args[0])
            fname = FUNCTIONS[name][0]
            if a[0] == "const":
                return ("const", self._fold(node, fname, a[1]))
            return ("call", fname, a)
        for kind, what in _NOT_ALLOWED.items():
            if isinstance(node, kind):
                raise _err(src, node, what)
        raise _err(src, node, type(node).__name__)

    def _fold(self, node: ast.AST, op: str, a: float, b: float | None = None) -> float:
        """Evaluate a constant sub-expression, refusing non-finite results."""
        try:
            if op == "add":
                v = a + b
            elif op == "sub":
                v = a - b
            elif op == "mul":
                v = a * b
            elif op == "div":
                v = a / b
            elif op == "pow":
                v = a ** b
            else:
                v = _MATH[op](a)
        except (ArithmeticError, ValueError):
            v = math.nan
        if isinstance(v, complex) or not math.isfinite(v):
            raise ValueError(f"f: {ast.get_source_segment(self._text, node)!r} is not a "
                             f"finite real number (in {self.source!r})")
        return float(v)

    # ------------------------------------------------------------------------- evaluation
    def value(self, xp: ModuleType, P: Any) -> Any:
        """The expression at each row of ``P`` ``(n_runs, n_params)``: ``(n_runs,)``."""
        cols = [P[:, i] for i in range(self.n_params)]
        out = _Value(xp, cols).run(self.tree)
        return _full(xp, out, cols[0])

    def value_and_grad(self, xp: ModuleType, P: Any) -> tuple[Any, Any]:
        """Value ``(n_runs,)`` and exact gradient ``(n_runs, n_params)``."""
        cols = [P[:, i] for i in range(self.n_params)]
        out = _Jets(xp, cols, None).run(self.tree)
        like = cols[0]
        if not isinstance(out, _Jet):
            return _full(xp, out, like), xp.zeros_like(P)
        return _full(xp, out.v, like), xp.stack([_full(xp, g, like) for g in out.g], axis=1)

    def hvp(self, xp: ModuleType, P: Any, V: Any) -> Any:
        """Exact Hessian-vector products ``(n_runs, n_params)``."""
        cols = [P[:, i] for i in range(self.n_params)]
        vcols = [V[:, i] for i in range(self.n_params)]
        out = _Jets(xp, cols, vcols).run(self.tree)
        if not isinstance(out, _Jet):
            return xp.zeros_like(P)
        return xp.stack([_full(xp, h, cols[0]) for h in out.h], axis=1)

    def __repr__(self) -> str:
        return f"Expr({self.source!r}, n_params={self.n_params})"


def _full(xp: ModuleType, a: Any, like: Any) -> Any:
    """``a`` (an array or a Python float) as an array shaped like ``like``."""
    if isinstance(a, float):
        return xp.full_like(like, a)
    return a


def _fn(xp: ModuleType, name: str) -> Callable[[Any], Any]:
    std, alias = FUNCTIONS[name]
    f = getattr(xp, std, None)
    if f is None and alias is not None:
        f = getattr(xp, alias)
    return f


class _Value:
    def __init__(self, xp: ModuleType, cols: list[Any]) -> None:
        self.xp, self.cols = xp, cols

    def run(self, node: Node) -> Any:
        kind = node[0]
        if kind == "const":
            return node[1]
        if kind == "var":
            return self.cols[node[1]]
        if kind == "neg":
            return -self.run(node[1])
        if kind == "call":
            return _fn(self.xp, node[1])(self.run(node[2]))
        if kind == "powc":
            return _powc(self.run(node[1]), node[2])
        a, b = self.run(node[1]), self.run(node[2])
        if kind == "add":
            return a + b
        if kind == "sub":
            return a - b
        if kind == "mul":
            return a * b
        if kind == "div":
            return a / b
        if isinstance(a, float):  # constant base > 0, checked when parsed
            return self.xp.exp(b * math.log(a))
        return self.xp.exp(b * self.xp.log(a))  # as the derivatives see it: for a > 0


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


class _Jet:
    """A value ``v`` with its gradient ``g`` (one entry per variable) and, when an HVP is
    wanted, its derivative ``d`` along ``v`` and the gradient ``h`` of that derivative."""

    __slots__ = ("v", "g", "d", "h")

    def __init__(self, v: Any, g: list[Any], d: Any = None, h: list[Any] | None = None):
        self.v, self.g, self.d, self.h = v, g, d, h


class _Jets:
    def __init__(self, xp: ModuleType, cols: list[Any], vcols: list[Any] | None) -> None:
        self.xp, self.cols, self.vcols = xp, cols, vcols
        self.n = len(cols)
        self.second = vcols is not None

    def run(self, node: Node) -> Any:
        kind = node[0]
        if kind == "const":
            return node[1]
        if kind == "var":
            i = node[1]
            g = [0.0] * self.n
            g[i] = 1.0
            if self.second:
                return _Jet(self.cols[i], g, self.vcols[i], [0.0] * self.n)
            return _Jet(self.cols[i], g)
        if kind == "neg":
            return self.scale(self.run(node[1]), -1.0)
        if kind == "call":
            return self.call(node[1], self.run(node[2]))
        if kind == "powc":
            return self.powc(self.run(node[1]), node[2])
        a, b = self.run(node[1]), self.run(node[2])
        if kind == "add":
            return self.add(a, b)
        if kind == "sub":
            return self.add(a, self.scale(b, -1.0))
        if kind == "mul":
            return self.mul(a, b)
        if kind == "div":
            return self.div(a, b)
        if isinstance(a, float):  # c ** w with c > 0
            return self.chain_exp_of(self.scale(b, math.log(a)))
        # u ** w with both variable: exp(w log u), defined for u > 0
        return self.chain_exp_of(self.mul(b, self.call("log", a)))

    # -- building blocks ----------------------------------------------------------------
    def scale(self, u: Any, c: float) -> Any:
        if not isinstance(u, _Jet):
            return u * c
        g = [_mul(gi, c) for gi in u.g]
        if not self.second:
            return _Jet(u.v * c, g)
        return _Jet(u.v * c, g, _mul(u.d, c), [_mul(hi, c) for hi in u.h])

    def add(self, u: Any, w: Any) -> Any:
        if not isinstance(u, _Jet):
            u, w = w, u
        if not isinstance(u, _Jet):
            return u + w
        if not isinstance(w, _Jet):
            return _Jet(u.v + w, u.g, u.d, u.h)
        g = [_add(a, b) for a, b in zip(u.g, w.g, strict=True)]
        if not self.second:
            return _Jet(u.v + w.v, g)
        return _Jet(u.v + w.v, g, _add(u.d, w.d),
                    [_add(a, b) for a, b in zip(u.h, w.h, strict=True)])

    def mul(self, u: Any, w: Any) -> Any:
        if not isinstance(u, _Jet):
            u, w = w, u
        if not isinstance(w, _Jet):
            return self.scale(u, w)
        a, b = u.v, w.v
        g = [_add(_mul(a, gw), _mul(b, gu)) for gu, gw in zip(u.g, w.g, strict=True)]
        if not self.second:
            return _Jet(a * b, g)
        d = _add(_mul(a, w.d), _mul(b, u.d))
        h = [_add(_add(_mul(a, hw), _mul(b, hu)), _add(_mul(gu, w.d), _mul(u.d, gw)))
             for gu, gw, hu, hw in zip(u.g, w.g, u.h, w.h, strict=True)]
        return _Jet(a * b, g, d, h)

    def div(self, u: Any, w: Any) -> Any:
        if not isinstance(w, _Jet):
            if not isinstance(u, _Jet):
                return u / w
            return self._div_const(u, w)
        # q = u / w; from q w = u: dq = (du - q dw) / w, and for the mixed second
        # derivative h_q = (h_u - q h_w - g_q d_w - d_q g_w) / w
        uv = u.v if isinstance(u, _Jet) else u
        ug = u.g if isinstance(u, _Jet) else [0.0] * self.n
        q = uv / w.v
        g = [_sub(gu, _mul(q, gw)) for gu, gw in zip(ug, w.g, strict=True)]
        g = [_div(gi, w.v) for gi in g]
        if not self.second:
            return _Jet(q, g)
        ud = u.d if isinstance(u, _Jet) else 0.0
        uh = u.h if isinstance(u, _Jet) else [0.0] * self.n
        d = _div(_sub(ud, _mul(q, w.d)), w.v)
        h = [_div(_sub(_sub(hu, _mul(q, hw)), _add(_mul(gq, w.d), _mul(d, gw))), w.v)
             for hu, hw, gq, gw in zip(uh, w.h, g, w.g, strict=True)]
        return _Jet(q, g, d, h)

    def _div_const(self, u: _Jet, c: float) -> _Jet:
        g = [_div(gi, c) for gi in u.g]
        if not self.second:
            return _Jet(u.v / c, g)
        return _Jet(u.v / c, g, _div(u.d, c), [_div(hi, c) for hi in u.h])

    def chain(self, u: _Jet, f0: Any, f1: Any, f2: Any) -> _Jet:
        """``phi(u)`` given ``phi(u.v)``, ``phi'(u.v)`` and ``phi''(u.v)``."""
        g = [_mul(f1, gi) for gi in u.g]
        if not self.second:
            return _Jet(f0, g)
        d = _mul(f1, u.d)
        fd = _mul(f2, u.d)
        h = [_add(_mul(fd, gi), _mul(f1, hi)) for gi, hi in zip(u.g, u.h, strict=True)]
        return _Jet(f0, g, d, h)

    def chain_exp_of(self, u: Any) -> Any:
        if not isinstance(u, _Jet):
            return math.exp(u)
        y = self.xp.exp(u.v)
        return self.chain(u, y, y, y)

    def powc(self, u: Any, c: float) -> Any:
        if not isinstance(u, _Jet):
            return u ** c
        a = u.v
        if c == 2.0:
            return self.chain(u, a * a, 2.0 * a, 2.0)
        f2 = c * (c - 1.0) * a ** (c - 2.0) if self.second else 0.0
        return self.chain(u, _powc(a, c), c * a ** (c - 1.0), f2)

    def call(self, name: str, u: Any) -> Any:
        if not isinstance(u, _Jet):  # unreachable after constant folding, kept for safety
            return _MATH[name](u)
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
            return self.chain(u, _fn(xp, "atan")(a), f1, -2.0 * a * f1 * f1)
        raise AssertionError(f"unknown function {name}")  # pragma: no cover


def _powc(a: Any, c: float) -> Any:
    """``a ** c`` for a constant ``c``, the same in every evaluation mode."""
    return a * a if c == 2.0 else a ** c


def _div(a: Any, b: Any) -> Any:
    return 0.0 if _z(a) else a / b
