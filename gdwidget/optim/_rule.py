"""An elementwise update rule written once, and the programs made from it.

A family file (``adam.py``, ``sgd.py``, ...) writes its update as a plain Python
function of one element::

    def _rule(e, a, c, sw):
        g = a.g + c.wd * a.p
        return {"p": a.p - c.lr * g}

``a`` holds the arrays (parameters, gradient, state), ``c`` the coefficients of this
step (numbers computed on the host, one per run or one for all), ``sw`` the switches
that change the rule (``sw.amsgrad``), and ``e`` the few functions that are not
arithmetic (``e.sqrt``, ``e.maximum``, ``e.minimum``, ``e.where``, ``e.sign``). The
function returns the new values of the arrays it changes.

:class:`Rule` calls the function once per set of switches with symbols in place of the
numbers, which records the arithmetic as a list of operations (:class:`Program`). From
that list come the three executors, each as source text:

* the generic array path (:meth:`Program.python`): NumPy, CuPy or any array-API
  namespace, whole arrays at a time (:meth:`Rule.apply` runs it);
* the fused CPU kernel, one numba loop (:mod:`gdwidget.optim._fused`);
* the fused CUDA kernel, one ``cupy.RawKernel`` (:mod:`gdwidget.optim._cuda`).

All three perform the same operations in the same order and the same precision, so
they agree bit for bit (the CUDA kernel is compiled with ``--fmad=false``).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

from ..backend import namespace_of
from . import _cuda, _fused

#: functions a rule may call through ``e``, with their arity
FUNCTIONS = {"sqrt": 1, "sign": 1, "maximum": 2, "minimum": 2, "where": 3}
_INFIX = {"add": "+", "sub": "-", "mul": "*", "div": "/", "lt": "<", "gt": ">", "ne": "!="}


class Sym:
    """A value of the traced rule: an input, or an operation on earlier values."""

    __slots__ = ("_tape", "index")

    def __init__(self, tape: list[tuple[str, tuple[Any, ...]]], op: str, args: tuple) -> None:
        self._tape = tape
        self.index = len(tape)
        tape.append((op, args))

    def _op(self, op: str, *args: Any) -> Sym:
        for x in args:
            if not isinstance(x, Sym | int | float) or isinstance(x, bool):
                raise TypeError(f"a rule computes with numbers and its inputs, got {x!r}")
        return Sym(self._tape, op, args)

    def __add__(self, o: Any) -> Sym:
        return self._op("add", self, o)

    def __radd__(self, o: Any) -> Sym:
        return self._op("add", o, self)

    def __sub__(self, o: Any) -> Sym:
        return self._op("sub", self, o)

    def __rsub__(self, o: Any) -> Sym:
        return self._op("sub", o, self)

    def __mul__(self, o: Any) -> Sym:
        return self._op("mul", self, o)

    def __rmul__(self, o: Any) -> Sym:
        return self._op("mul", o, self)

    def __truediv__(self, o: Any) -> Sym:
        return self._op("div", self, o)

    def __rtruediv__(self, o: Any) -> Sym:
        return self._op("div", o, self)

    def __pow__(self, o: Any) -> Sym:  # for the coefficients' programs (engine/_race.py)
        return self._op("pow", self, o)

    def __rpow__(self, o: Any) -> Sym:
        return self._op("pow", o, self)

    def __neg__(self) -> Sym:
        return self._op("neg", self)

    def __lt__(self, o: Any) -> Sym:
        return self._op("lt", self, o)

    def __gt__(self, o: Any) -> Sym:
        return self._op("gt", self, o)

    def __ne__(self, o: Any) -> Sym:  # type: ignore[override]
        return self._op("ne", self, o)

    def __eq__(self, o: Any) -> bool:  # type: ignore[override]
        raise TypeError("a rule cannot branch on a value; use e.where(cond, a, b)")

    __hash__ = None  # type: ignore[assignment]

    def __bool__(self) -> bool:
        raise TypeError("a rule cannot branch on a value; use e.where(cond, a, b)")


class _Tracer:
    """``e`` while tracing: each function records an operation."""

    def __getattr__(self, name: str) -> Any:
        if name not in FUNCTIONS:
            raise AttributeError(f"rules may use e.{', e.'.join(FUNCTIONS)}; not e.{name}")

        def record(*args: Any) -> Sym:
            if len(args) != FUNCTIONS[name]:
                raise TypeError(f"e.{name} takes {FUNCTIONS[name]} arguments")
            first = next(a for a in args if isinstance(a, Sym))
            return first._op(name, *args)

        return record


class Program:
    """A traced rule: its operations, which inputs it reads and which arrays it writes.

    ``arrays`` (read, in order) and ``coefs`` are the input names the operations use;
    ``outputs`` maps each written array to the operation that gives its new value.
    """

    def __init__(self, name: str, tape: list, arrays: list[str], coefs: list[str], outputs: dict):
        self.name = name
        self.tape = tape
        self.arrays = arrays
        self.coefs = coefs
        self.outputs = outputs
        self.order = _live(tape, outputs.values())
        self.cache: dict[Any, Any] = {}  # the executors keep their compiled forms here

    @property
    def written(self) -> list[str]:
        return list(self.outputs)

    def statements(self, literal: Any, call: dict[str, Any], name: Any) -> list[str]:
        """``tN = expression`` for each live operation, in order, in a C-like or Python
        syntax: ``literal(x)`` spells a number, ``call[op](*args)`` a function,
        ``name(i)`` an input."""

        def arg(x: Any) -> str:
            return f"t{x.index}" if isinstance(x, Sym) else literal(float(x))

        lines = []
        for i in self.order:
            op, args = self.tape[i]
            if op == "in":
                lines.append((i, name(args[0], args[1])))
            elif op in _INFIX:
                lines.append((i, f"({arg(args[0])} {_INFIX[op]} {arg(args[1])})"))
            elif op == "neg":
                lines.append((i, f"(-{arg(args[0])})"))
            else:
                lines.append((i, call[op](*(arg(a) for a in args))))
        return [f"t{i} = {expr}" for i, expr in lines]

    def python(self) -> str:
        """Source of ``run(xp, <arrays>, <coefs>)`` over whole arrays (the generic path)."""
        call = {
            "sqrt": lambda a: f"xp.sqrt({a})",
            "sign": lambda a: f"xp.sign({a})",
            "maximum": lambda a, b: f"xp.maximum({a}, {b})",
            "minimum": lambda a, b: f"xp.minimum({a}, {b})",
            "where": lambda c, a, b: f"xp.where({c}, {a}, {b})",
        }
        params = ", ".join(["xp", *self.arrays, *(f"c_{n}" for n in self.coefs)])
        body = self.statements(repr, call, lambda kind, n: n if kind == "a" else f"c_{n}")
        body += [f"{n}[...] = t{s.index}" for n, s in self.outputs.items()]
        return f"def run({params}):\n" + "".join(f"    {line}\n" for line in body)


def _live(tape: list, roots: Any) -> list[int]:
    """The operations the outputs depend on, in tape order (dead ones are dropped)."""
    need = {s.index for s in roots}
    for i in range(len(tape) - 1, -1, -1):
        if i in need:
            need.update(a.index for a in tape[i][1] if isinstance(a, Sym))
    return sorted(need)


class Rule:
    """An update rule written once as ``fn(e, a, c, sw) -> {array: new value}``.

    Parameters
    ----------
    name : str
    fn : callable
        The rule (see the module docstring).
    arrays : tuple of str
        The arrays it may read, the parameters ``"p"`` first.
    coefs : tuple of str
        The coefficients it may read.
    """

    def __init__(self, name: str, fn: Any, arrays: tuple[str, ...], coefs: tuple[str, ...]):
        self.name, self.fn, self.array_names, self.coef_names = name, fn, arrays, coefs
        self._programs: dict[tuple, Program] = {}

    def program(self, **switches: Any) -> Program:
        """The rule traced for these switches (traced once, then cached)."""
        key = tuple(switches.items())  # one call site passes them in one order
        prog = self._programs.get(key)
        if prog is None:
            prog = self._programs[key] = self._trace(switches)
        return prog

    def _trace(self, switches: dict[str, Any]) -> Program:
        tape: list = []
        a = SimpleNamespace(**{n: Sym(tape, "in", ("a", n)) for n in self.array_names})
        c = SimpleNamespace(**{n: Sym(tape, "in", ("c", n)) for n in self.coef_names})
        out = self.fn(_Tracer(), a, c, SimpleNamespace(**switches))
        unknown = set(out) - set(self.array_names)
        if unknown:
            raise ValueError(f"rule {self.name} writes unknown arrays {sorted(unknown)}")
        outputs = {n: v for n, v in out.items() if v is not getattr(a, n)}
        if any(op == "pow" for op, _ in tape):  # the executors have no pow: C's differs
            raise TypeError(f"rule {self.name} uses **; write powers as products")
        used = {tape[i][1] for i in _live(tape, outputs.values()) if tape[i][0] == "in"}
        arrays = [n for n in self.array_names if ("a", n) in used or n in outputs]
        coefs = [n for n in self.coef_names if ("c", n) in used]
        return Program(self.name, tape, arrays, coefs, outputs)

    def apply(self, arrays: dict[str, Any], coefs: dict[str, Any], **switches: Any) -> None:
        """One update, in place: the fused kernel where it can run, else the generic path.

        ``arrays``: name -> array (all of one shape ``(n_runs, ...)``); ``coefs``: name ->
        a float, or a 1-D float64 NumPy array of one value per run (row).
        """
        prog = self._programs.get(tuple(switches.items()))
        if prog is None:
            prog = self.program(**switches)
        args = [arrays[n] for n in prog.arrays]
        vals = [coefs[n] for n in prog.coefs]
        if _fused.usable(*args):
            _fused.run(prog, args, vals)
        elif _cuda.usable(*args):
            _cuda.run(prog, args, vals)
        else:
            run_generic(prog, args, vals)

    def bind(self, arrays: dict[str, Any], switches: dict[str, Any]) -> Any:
        """The fused kernel over ``arrays`` (``"g"`` given at each call), looked up once.

        Returns ``run(g, coefs) -> bool``, which updates in place and returns True, or
        False (changing nothing) when ``g`` does not suit the kernel; None when the fused
        kernel cannot take ``arrays`` at all. The caller then uses :meth:`apply`.
        """
        prog = self.program(**switches)
        args = [arrays[n] for n in prog.arrays]
        gi = prog.arrays.index("g") if "g" in prog.arrays else -1
        p = args[0]
        if p is None or not _fused.usable(*(p if a is None else a for a in args)):
            return None
        shape, dtype, names = p.shape, p.dtype, prog.coefs
        kernel = _fused.caller(_fused.compiled(prog, p, False), p)
        C = np.empty((len(names), 1), dtype=dtype)  # this step's coefficients, one per name

        def run(g: Any, coefs: dict[str, Any]) -> bool:
            if gi >= 0:
                if type(g) is not np.ndarray or g.dtype != dtype or g.shape != shape:
                    return False
                if not g.flags.c_contiguous:
                    return False
                args[gi] = g
            vals = [coefs[n] for n in names]
            try:  # every coefficient one number: the flat kernel
                C[:, 0] = vals
            except (ValueError, TypeError):  # some are one per run
                _fused.run(prog, args, vals)
                return True
            kernel(*args, C)
            return True

        return run


def run_generic(prog: Program, args: list[Any], vals: list[Any]) -> None:
    """The generic path: whole-array operations in the arrays' own namespace."""
    fn = prog.cache.get("python")
    if fn is None:
        scope: dict[str, Any] = {}
        exec(compile(prog.python(), f"<rule {prog.name}>", "exec"), scope)  # noqa: S102
        fn = prog.cache["python"] = scope["run"]
    p = args[0]
    xp = namespace_of(*args)
    fn(xp, *args, *(_column(xp, v, p) for v in vals))


def _column(xp: Any, v: Any, p: Any) -> Any:
    """A coefficient for the generic path: a float, or one value per row in ``p``'s dtype."""
    if not isinstance(v, np.ndarray):
        return v
    col = v.reshape((-1,) + (1,) * (len(p.shape) - 1))
    if xp is np:
        return col.astype(p.dtype)
    try:
        return xp.asarray(col, dtype=p.dtype)
    except (TypeError, ValueError):
        return xp.reshape(xp.asarray(v.tolist(), dtype=p.dtype), col.shape)
