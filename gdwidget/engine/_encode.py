"""Traced programs into the instructions of :func:`gdwidget.engine._kernels.race`.

An optimizer's update rule (:class:`gdwidget.optim._rule.Program`) and a test function's
value and gradient (:mod:`gdwidget.objectives._trace`) are tapes of operations on symbols.
:class:`Encoder` writes them as rows of ``(op, dst, a, b, c)`` over one file of registers:
each operation's result has its register, and each literal one after them.
:func:`objective_program` traces an objective and checks the program against the function.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..objectives import _trace
from ..objectives.testfunction import TestFunction
from ..optim._rule import _INFIX, Sym, _live

#: each operation's code in the instructions :mod:`._kernels` runs (the loads apart)
OPS = {
    "add": 5, "sub": 6, "mul": 7, "div": 8, "neg": 9, "sqrt": 10, "sign": 11, "maximum": 12,
    "minimum": 13, "where": 14, "lt": 15, "gt": 16, "ne": 17, "abs": 18, "pow": 19,
}  # fmt: skip
assert set(_INFIX) <= set(OPS)
LOADS = {"p": 0, "g": 1, "slot": 2, "c": 3, "x": 4}


class Encoder:
    """Programs into one table of instructions over one file of registers."""

    def __init__(self) -> None:
        self.ins: list[tuple[int, int, int, int, int]] = []
        self.lits: list[float] = []
        self._lit_regs: dict[tuple[float, float], int] = {}
        self.n_regs = 0

    def reg(self, x: Any, base: int) -> int:
        if isinstance(x, Sym):
            return base + x.index
        key = (float(x), math.copysign(1.0, x))  # 0.0 and -0.0 are two literals
        if key not in self._lit_regs:
            self._lit_regs[key] = len(self.lits)
            self.lits.append(key[0])
        return -1 - self._lit_regs[key]  # literals are placed after the program's registers

    def add(self, tape: list, order: list[int], load: Any) -> int:
        """Encode the live operations of ``tape``; ``load(kind, name) -> (code, operand)``.
        Returns the register base of this tape."""
        base = self.n_regs
        self.n_regs += len(tape)
        for i in order:
            op, args = tape[i]
            if op == "in":
                code, operand = load(*args)
                self.ins.append((code, base + i, operand, 0, 0))
            else:
                regs = [self.reg(a, base) for a in args] + [0] * (3 - len(args))
                self.ins.append((OPS[op], base + i, *regs))
        return base

    def finish(self, dtype: Any) -> tuple[np.ndarray, np.ndarray]:
        """The instructions with literal registers placed, and the registers' first values."""
        ins = np.array(self.ins, dtype=np.int64).reshape(-1, 5)
        lit = ins[:, 2:] < 0
        ins[:, 2:][lit] = self.n_regs - 1 - ins[:, 2:][lit]
        regs = np.zeros(self.n_regs + len(self.lits), dtype=dtype)
        regs[self.n_regs :] = self.lits
        return ins, regs

    def place(self, reg: int) -> int:
        return reg if reg >= 0 else self.n_regs - 1 - reg


def objective_program(obj: Any, dtype: Any = np.float64) -> tuple[list, Any, list[Any]] | None:
    """The objective's traced program, checked against it in ``dtype``; None where there is
    none (both kept on the objective)."""
    cache = obj.__dict__.setdefault("_race_programs", {})
    if "traced" not in cache:
        cache["traced"] = _traced(obj)
    key = np.dtype(dtype)
    if key not in cache:
        traced = cache["traced"]
        cache[key] = traced if traced is not None and _same(obj, traced, key) else None
    return cache[key]


def _traced(obj: Any) -> tuple[list, Any, list[Any]] | None:
    if not isinstance(obj, TestFunction) or obj.n_params > _trace._MAX_WIDTH:
        return None
    try:
        return _trace.trace(obj._fg, obj.n_params)
    except (_trace.Untraceable, TypeError, ValueError):
        return None


def _same(obj: Any, traced: Any, dtype: Any) -> bool:
    """Whether the program is the function, bit for bit, on a probe of points."""
    P = _trace.probe(obj.n_params, obj.bounds, dtype)
    with np.errstate(all="ignore"):
        f_ref, G_ref = obj._fg(np, P)
    f, G = _trace.evaluate(traced, P)
    same_f = f.tobytes() == np.asarray(f_ref, dtype).tobytes()
    return same_f and G.tobytes() == np.asarray(G_ref, dtype).tobytes()


def encode_objective(enc: Encoder, traced: tuple[list, Any, list[Any]]) -> list[int]:
    """Add the objective's tape; the registers of its loss and of each partial derivative."""
    tape, f, g = traced
    roots = [x for x in (f, *g) if isinstance(x, Sym)]
    order = _live(tape, roots)
    base = enc.add(tape, order, lambda kind, j: (LOADS["x"], j))
    return [enc.reg(x, base) for x in (f, *g)]
