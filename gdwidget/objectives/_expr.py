"""Safe arithmetic expressions with exact derivatives.

An expression such as ``"x**2 + 3*sin(y)"`` is parsed with :mod:`ast` and checked
against a whitelist: numbers, the variables (``x``, ``y``, or ``x0``, ``x1``,
...), the constants ``pi`` and ``e``, ``+ - * / **``, unary minus and the
functions in :data:`FUNCTIONS`. Nothing is ever passed to :func:`eval`.

The checked tree becomes a *tape*: a flat list of instructions in evaluation
order, each naming its operands by their position on the tape. Parsing and
evaluation walk lists, never recurse, so however deeply an expression nests it
either evaluates or is refused with a ``ValueError`` (Python's own parser refuses
the deepest ones), never a ``RecursionError``. The evaluators are in
:mod:`._jets`: values, and exact gradients and Hessian-vector products in
forward mode.
"""

from __future__ import annotations

import ast
import math
import re
from types import ModuleType
from typing import Any

import numpy as np

from ._jets import FUNCTIONS, MATH, Instr, Jet, Jets, evaluate

MAX_LENGTH = 5000
MAX_PARAMS = 1_000_000

CONSTANTS = {"pi": math.pi, "e": math.e}
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


def short(text: str, limit: int = 80) -> str:
    """``repr(text)``, cut in the middle when long, for error messages."""
    r = repr(text)
    return r if len(r) <= limit else f"{r[: limit - 20]}...{r[-12:]} ({len(text)} characters)"


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
            raise ValueError(
                f"f: the expression is too long ({len(source)} characters, at most {MAX_LENGTH})"
            )
        self.source = source
        self._style: str | None = None
        self._max_index = -1
        text = source.strip()
        if not text:
            raise ValueError("f: the expression is empty")
        try:
            tree = ast.parse(text, mode="eval")
        except SyntaxError as exc:
            raise ValueError(f"f: {short(source)} is not a valid expression ({exc.msg})") from None
        except (RecursionError, MemoryError):
            raise ValueError(f"f: the expression {short(source)} is nested too deeply") from None
        except ValueError as exc:  # e.g. "source code string cannot contain null bytes"
            raise ValueError(f"f: {short(source)} is not a valid expression ({exc})") from None
        self._text = text
        self.tape: list[Instr] = []
        self.root = _prune(self.tape, self._convert(tree.body))
        needed = 2 if self._style in (None, "xy") else self._max_index + 1
        if n_params is None:
            n_params = needed
        elif n_params < needed:
            raise ValueError(
                f"n_params={n_params} is too small for the expression "
                f"{short(source)}, which uses {needed} variables"
            )
        elif n_params > MAX_PARAMS:
            raise ValueError(
                f"n_params must be <= {MAX_PARAMS:,} for an expression, got {n_params:,}"
            )
        self.n_params = int(n_params)

    @property
    def variables(self) -> list[str]:
        """The variable names, in parameter order."""
        if self._style in (None, "xy") and self.n_params == 2:
            return ["x", "y"]
        return [f"x{i}" for i in range(self.n_params)]

    # ---------------------------------------------------------------------------- parsing
    def _err(self, node: ast.AST | None, what: str) -> ValueError:
        piece = ast.get_source_segment(self._text, node) if node is not None else None
        where = f" {short(piece, 60)}" if piece else ""
        return ValueError(
            f"f: {what}{where} is not allowed in the expression "
            f"{short(self.source)}. Allowed: numbers, the variables, pi, e, "
            f"+ - * / **, and {', '.join(sorted(set(FUNCTIONS)))}"
        )

    def _children(self, node: ast.AST) -> list[ast.AST]:
        """The operands of an allowed node; anything else is refused here, before its
        operands are looked at."""
        if isinstance(node, ast.Constant | ast.Name):
            return []
        if isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, ast.USub | ast.UAdd):
                raise self._err(node, f"the operator {type(node.op).__name__}")
            return [node.operand]
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _BINOPS:
                if isinstance(node.op, ast.BitXor):
                    piece = short(ast.get_source_segment(self._text, node) or "", 60)
                    raise ValueError(
                        f"f: '^' in {piece} is not a power in Python; write ** (as in x**2)"
                    )
                raise self._err(node, f"the operator {type(node.op).__name__}")
            return [node.left, node.right]
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else None
            if name not in FUNCTIONS:
                raise self._err(node.func, "the function" if name is not None else "calling")
            if len(node.args) != 1 or node.keywords or isinstance(node.args[0], ast.Starred):
                piece = short(ast.get_source_segment(self._text, node) or "", 60)
                raise ValueError(f"f: {name}() takes exactly one argument, in {piece}")
            return [node.args[0]]
        for kind, what in _NOT_ALLOWED.items():
            if isinstance(node, kind):
                raise self._err(node, what)
        raise self._err(node, type(node).__name__)

    def _convert(self, root: ast.AST) -> int:
        """Check the tree and write its tape, without recursion; returns the root's slot."""
        done: dict[int, int] = {}  # id(ast node) -> tape slot
        stack: list[tuple[ast.AST, list[ast.AST] | None]] = [(root, None)]
        while stack:
            node, kids = stack.pop()
            if kids is None:
                kids = self._children(node)
                stack.append((node, kids))
                stack.extend((k, None) for k in reversed(kids))
            else:
                done[id(node)] = self._build(node, [done.pop(id(k)) for k in kids])
        return done[id(root)]

    def _emit(self, *instr: Any) -> int:
        self.tape.append(instr)  # type: ignore[arg-type]
        return len(self.tape) - 1

    def _const(self, slot: int) -> float | None:
        op, a, _ = self.tape[slot]
        return a if op == "const" else None

    def _build(self, node: ast.AST, args: list[int]) -> int:
        if isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise self._err(node, "the constant")
            try:
                fv = float(v)
            except OverflowError:
                raise self._err(node, "the too large number") from None
            if not math.isfinite(fv):
                raise self._err(node, "the non-finite number")
            return self._emit("const", fv, None)
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.UnaryOp):
            (a,) = args
            if isinstance(node.op, ast.UAdd):
                return a
            c = self._const(a)
            return self._emit("const", -c, None) if c is not None else self._emit("neg", a, None)
        if isinstance(node, ast.BinOp):
            op = _BINOPS[type(node.op)]
            a, b = args
            ca, cb = self._const(a), self._const(b)
            if ca is not None and cb is not None:
                return self._emit("const", self._fold(node, op, ca, cb), None)
            if op == "pow" and cb is not None:
                if cb == 0.0:
                    return self._emit("const", 1.0, None)
                if cb == 1.0:
                    return a
                return self._emit("powc", a, cb)
            if op == "div" and cb == 0.0:
                raise self._err(node, "a division by zero")
            if op == "pow" and ca is not None and ca <= 0.0:
                raise self._err(node, "a power with a base <= 0 and a variable exponent")
            return self._emit(op, a, b)
        assert isinstance(node, ast.Call)
        (a,) = args
        fname = FUNCTIONS[node.func.id][0]  # type: ignore[attr-defined]
        c = self._const(a)
        if c is not None:
            return self._emit("const", self._fold(node, fname, c), None)
        return self._emit("call", a, fname)

    def _name(self, node: ast.Name) -> int:
        name = node.id
        if name in CONSTANTS:
            return self._emit("const", CONSTANTS[name], None)
        if name in ("x", "y"):
            style, index = "xy", "xy".index(name)
        elif _INDEXED.fullmatch(name):
            style, index = "indexed", int(name[1:])
        elif name in FUNCTIONS:
            raise self._err(node, f"the function name {name} without arguments")
        else:
            raise self._err(node, "the name")
        if self._style is not None and style != self._style:
            raise ValueError(
                f"f: do not mix x, y with x0, x1, ... in one expression ({short(self._text)})"
            )
        self._style = style
        self._max_index = max(self._max_index, index)
        return self._emit("var", index, None)

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
                v = a**b
            else:
                v = MATH[op](a)
        except (ArithmeticError, ValueError):
            v = math.nan
        if isinstance(v, complex) or not math.isfinite(v):
            piece = short(ast.get_source_segment(self._text, node) or "", 60)
            raise ValueError(f"f: {piece} is not a finite real number (in {short(self.source)})")
        return float(v)

    # ------------------------------------------------------------------------- evaluation
    def value(self, xp: ModuleType, P: Any) -> Any:
        """The expression at each row of ``P`` ``(n_runs, n_params)``: ``(n_runs,)``."""
        cols = [P[:, i] for i in range(self.n_params)]
        with np.errstate(all="ignore"):
            out = evaluate(self.tape, self.root, xp, cols)
        return _full(xp, out, cols[0])

    def value_and_grad(self, xp: ModuleType, P: Any) -> tuple[Any, Any]:
        """Value ``(n_runs,)`` and exact gradient ``(n_runs, n_params)``."""
        cols = [P[:, i] for i in range(self.n_params)]
        with np.errstate(all="ignore"):
            out = Jets(xp, cols, None).run(self.tape, self.root)
        like = cols[0]
        if not isinstance(out, Jet):
            return _full(xp, out, like), xp.zeros_like(P)
        return _full(xp, out.v, like), xp.stack([_full(xp, g, like) for g in out.g], axis=1)

    def hvp(self, xp: ModuleType, P: Any, V: Any) -> Any:
        """Exact Hessian-vector products ``(n_runs, n_params)``."""
        cols = [P[:, i] for i in range(self.n_params)]
        vcols = [V[:, i] for i in range(self.n_params)]
        with np.errstate(all="ignore"):
            out = Jets(xp, cols, vcols).run(self.tape, self.root)
        if not isinstance(out, Jet):
            return xp.zeros_like(P)
        return xp.stack([_full(xp, h, cols[0]) for h in out.h], axis=1)

    def __repr__(self) -> str:
        return f"Expr({short(self.source)}, n_params={self.n_params})"


def _prune(tape: list[Instr], root: int) -> int:
    """Drop the slots the root does not use (folded constants, ``u**0``), in place."""
    live = [False] * len(tape)
    live[root] = True
    for k in range(root, -1, -1):
        op, a, b = tape[k]
        if live[k] and op not in ("const", "var"):
            live[a] = True
            if op in ("add", "sub", "mul", "div", "pow"):
                live[b] = True
    new = [-1] * len(tape)
    kept: list[Instr] = []
    for k, (op, a, b) in enumerate(tape[: root + 1]):
        if not live[k]:
            continue
        if op not in ("const", "var"):
            a = new[a]
            if op in ("add", "sub", "mul", "div", "pow"):
                b = new[b]
        new[k] = len(kept)
        kept.append((op, a, b))
    tape[:] = kept
    return new[root]


def _full(xp: ModuleType, a: Any, like: Any) -> Any:
    """``a`` (an array or a Python float) as an array shaped like ``like``."""
    if isinstance(a, float):
        return xp.full_like(like, a)
    return a
