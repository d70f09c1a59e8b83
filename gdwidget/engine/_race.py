"""A small race's steps in one compiled call (optional, needs numba).

A step of a race of a few runs costs Python's time, not the arithmetic's: each group's
kernel call, the objective's dozen array operations of a few numbers, the bookkeeping. Where
every piece is a traced program (each optimizer's update rule, :mod:`gdwidget.optim._rule`;
the test function's value and gradient, :mod:`gdwidget.objectives._trace`), :class:`Race`
encodes them for :func:`gdwidget.engine._kernels.race`, which takes up to :data:`PIECE`
steps per call with the same operations in the same order and precision, so the steps are
those of the step-by-step path bit for bit. Each group's coefficients (``_coefs``: the bias
corrections of a step, ...) are traced too, as a program of the step counter that
:func:`gdwidget.engine._kernels.coefficients` runs in float64 with the operations Python
does on its floats, one row per step.

A race takes this path when numba imports, ``GDWIDGET_FUSED`` is not 0, and: its
parameters are a NumPy float array of at most seven per run; the objective is a traced test
function; every optimizer is one update rule with constant rates and coefficients of one
number each (no schedule, no per-run hyperparameter, no Hessian estimate, no transform
chain); full batch, no evaluations, no projection. Each group's first update steps the
ordinary way (a rule's switches may differ there). Anything else steps as before. The
compiled kernel loads on a background thread the first time it could be used (compiling it
takes seconds on a machine the first time; numba caches it): until then races step the
ordinary way.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._compiled import Background
from ..optim import _fused
from ..optim._rule import Sym, _live
from ..optim.base import Optimizer
from ._encode import LOADS, Encoder, encode_objective, objective_program

#: the compiled race of each dtype, loaded in the background (see :mod:`gdwidget._compiled`)
_LOADERS: dict[Any, Background] = {}

#: most steps one compiled call takes (a Ctrl-C is seen between calls)
PIECE = 8192
#: the operations a coefficient of the step counter may be made of
_STEP_OPS = {"in", "add", "sub", "mul", "div", "pow", "neg"}


def _loader(dtype: Any) -> Background:
    key = np.dtype(dtype)
    if key not in _LOADERS:
        _LOADERS.setdefault(key, Background("gdwidget-race-load", lambda: _warm(key)))
    return _LOADERS[key]


def ready(dtype: Any) -> bool:
    """Whether the compiled race for ``dtype`` is loaded; if not, start loading it (compiling
    it, the first time on a machine: seconds) on a background thread, once. Until then races
    step the ordinary way, so that the first steps need not wait for the compiler."""
    return _loader(dtype).ready()


def load(dtype: Any = np.float64, timeout: float = 300.0) -> bool:
    """Load the compiled race for ``dtype`` now and wait for it (tests, benchmarks)."""
    return _loader(dtype).load(timeout)


def _warm(key: Any) -> None:
    """Step a small race, which compiles the kernels (or loads them from numba's cache)."""
    from ..objectives.bowls import rosenbrock  # noqa: PLC0415
    from ..optim import adam  # noqa: PLC0415
    from .core import Run  # noqa: PLC0415 - core imports this module

    Run(rosenbrock(), {"a": adam(1e-3)}, device="cpu", dtype=key.name).advance(3)


def _leaves(values: tuple) -> list[Any]:
    """The numbers of a tuple of settings, a pair's (betas) included."""
    return [x for v in values for x in (_leaves(v) if isinstance(v, tuple) else (v,))]


def _plain_rule(opt: Any) -> bool:
    """Whether an optimizer's update is its rule and nothing else."""
    cls = type(opt)
    return (
        opt.rule is not None
        and not opt.hessian_every
        and cls.step is Optimizer.step
        and cls._update is Optimizer._update
        and cls.bind is Optimizer.bind
    )


class Race:
    """One ``advance`` call's compiled plan for a run (see the module docstring)."""

    @classmethod
    def plan(cls, r: Any) -> Race | None:
        """The plan for run ``r``, or None where this path does not apply (yet)."""
        P = r.params
        if not (
            type(P) is np.ndarray
            and P.ndim == 2
            and P.dtype in (np.float32, np.float64)
            and P.flags.c_contiguous
            and r.batch_size is None
            and not r.eval_every
            and r.project is None
            and _fused.enabled()
        ):
            return None
        consts = r._settle_args
        if consts is None or not consts[0]:  # the loop sums the norm itself
            return None
        if not ready(P.dtype):
            return None
        if not all(_plain_rule(o) for o in r.optimizers.values()):
            return None
        if any(s["step"] == 0 for s in r.states.values()):
            return None  # a rule's first update may differ (its switches): the ordinary way
        grad = r.grad
        if type(grad) is not np.ndarray or grad.dtype != P.dtype or grad.shape != P.shape:
            return None
        traced = objective_program(r.objective, P.dtype)
        if traced is None:
            return None
        rates, _ = r._rates_for(r.t)
        if r._group_error or any(
            rates[label] is None or callable(opt.lr) for label, opt in r.optimizers.items()
        ):
            return None  # constant rates only (a schedule's come from Python each step)
        parts = []
        for label, opt in r.optimizers.items():
            sl, state = r.slices[label], r.states[label]
            arrays, switches = opt._parts(P[sl], None, state)
            prog = opt.rule.program(**switches)
            own = {n: arrays[n] for n in prog.arrays if n not in ("p", "g")}
            for a in own.values():
                if type(a) is not np.ndarray or a.shape != P[sl].shape or a.dtype != P.dtype:
                    return None
            parts.append((label, opt, sl, state, prog, own))
        # what the instructions are built from; a reset or a restore only rebinds the arrays
        # (and the settings the coefficients are computed from, which a slider changes in place)
        key = (id(traced), P.dtype, P.shape)
        for label, opt, _, _, prog, own in parts:
            settings = tuple(opt.hyper.values())
            if any(isinstance(v, np.ndarray) for v in _leaves(settings)):
                return None  # per-run hyperparameters: coefficients of one number each only
            key += (id(opt), rates[label], id(prog), *own, settings)
        race = r.__dict__.get("_race")
        if race is None or race.key != key:
            race = cls._build(traced, rates, parts, P.dtype)
            if race is None:
                return None
            race.key, race.held = key, (traced, parts)  # held: the ids in the key stay
            r.__dict__["_race"] = race
        race.states = [part[3] for part in parts]
        race.slots = [a for part in parts for a in part[5].values()]
        return race

    @classmethod
    def _build(cls, traced: Any, rates: dict, parts: list, dtype: Any) -> Race | None:
        self = cls()
        enc = Encoder()
        groups, stores, self.coefs = [], [], []
        n_slots = 0
        for label, opt, sl, _, prog, arrays in parts:
            own = {name: n_slots + i for i, name in enumerate(arrays)}
            n_slots += len(arrays)
            col = sum(len(c[1]) for c in self.coefs)
            self.coefs.append((opt, prog.coefs, rates[label], col))

            def load(kind: str, name: str, own=own, col=col, prog=prog) -> tuple[int, int]:
                if kind == "c":
                    return LOADS["c"], col + prog.coefs.index(name)
                if name in ("p", "g"):
                    return LOADS[name], 0
                return LOADS["slot"], own[name]

            i0 = len(enc.ins)
            base = enc.add(prog.tape, prog.order, load)
            s0 = len(stores)
            for name, sym in prog.outputs.items():
                if name == "g":
                    return None
                stores.append([-1 if name == "p" else own[name], enc.reg(sym, base)])
            groups.append([sl.start, sl.stop, i0, len(enc.ins), s0, len(stores)])
        o0 = len(enc.ins)
        out = encode_objective(enc, traced)
        self.objective = np.array([o0, len(enc.ins)], dtype=np.int64)
        self.ins, self.regs = enc.finish(dtype)
        self.stores = np.array(stores, dtype=np.int64).reshape(-1, 2)
        self.stores[:, 1] = [enc.place(x) for x in self.stores[:, 1]]
        self.out = np.array([enc.place(x) for x in out], dtype=np.int64)
        self.groups = np.array(groups, dtype=np.int64)
        return self if self._trace_coefs(parts) else None

    def _trace_coefs(self, parts: list) -> bool:
        """Each group's coefficients: the numbers, and a program of the step counters for
        those that change with the step, encoded from the operations ``_coefs`` did on a
        symbol in place of the step; :func:`._kernels.coefficients` runs it in float64, as
        Python computes them. False where they are not numbers."""
        enc = Encoder()
        outs: list[int] = []
        self.fixed: list[tuple[int, Any]] = []  # (column, number)
        moving: list[int] = []  # the columns the program gives, in the order of ``outs``
        for g, ((opt, names, lr, col), part) in enumerate(zip(self.coefs, parts, strict=True)):
            tape: list = []
            try:
                values = opt._coefs(lr, {**part[3], "step": Sym(tape, "in", ("c", g))})
                cells = [values[name] for name in names]
            except (TypeError, ValueError, KeyError):  # it branches on the step, or more
                return False
            if any(isinstance(v, bool) or not isinstance(v, Sym | float | int) for v in cells):
                return False
            syms = [v for v in cells if isinstance(v, Sym)]
            order = _live(tape, syms)
            if any(tape[i][0] not in _STEP_OPS for i in order):
                return False
            base = enc.add(tape, order, lambda kind, g: (LOADS["x"], g))
            for j, v in enumerate(cells):
                if isinstance(v, Sym):
                    outs.append(enc.reg(v, base))
                    moving.append(col + j)
                else:
                    self.fixed.append((col + j, v))
        self.step_ins, self.step_regs = enc.finish(np.float64)
        self.step_outs = np.array([enc.place(x) for x in outs], dtype=np.int64)
        self.moving = np.array(moving, dtype=np.int64)
        self.width = sum(len(c[1]) for c in self.coefs)
        self.fixed_cols = np.array([col for col, _ in self.fixed], dtype=np.int64)
        self.fixed_values = np.array([float(v) for _, v in self.fixed])
        return self._same_coefficients(parts)

    def coefficients(self, n: int, dtype: Any, steps: list[int] | None = None) -> np.ndarray:
        """Each step's coefficients from the groups' step counters (``steps``, default their
        states'), a row per step in ``dtype``."""
        from . import _kernels  # noqa: PLC0415 - needs numba (checked by plan)

        if steps is None:
            steps = [state["step"] for state in self.states]
        C = np.empty((n, self.width), dtype=dtype)
        C[:, self.fixed_cols] = self.fixed_values
        if self.moving.size:
            counters = np.array(steps, dtype=np.int64)
            _kernels.coefficients(
                self.step_ins, self.step_regs, counters, self.step_outs, self.moving, C
            )
        return C

    def _same_coefficients(self, parts: list) -> bool:
        """Whether the traced coefficients are what the optimizers give, at the groups'
        steps now, the next, and a thousand later."""
        now = [part[3]["step"] for part in parts]
        for ahead in (0, 1, 1000):
            row = self.coefficients(1, np.float64, [s + ahead for s in now])[0].tolist()
            for (opt, names, lr, col), part in zip(self.coefs, parts, strict=True):
                values = opt._coefs(lr, {**part[3], "step": part[3]["step"] + ahead})
                if [float(values[name]) for name in names] != row[col : col + len(names)]:
                    return False
        return True

    def advance(self, r: Any, rec: Any, n: int) -> bool:
        """Up to :data:`PIECE` of the call's remaining steps, committed at once (or not at
        all); True."""
        from . import _kernels  # noqa: PLC0415 - needs numba (checked by plan)

        P = r.params
        C = self.coefficients(min(PIECE, n - rec.done), P.dtype)
        saved = r._save()
        rates, row = r._rates_for(r.t)
        params, grad, loss = P.copy(), r.grad.copy(), r.loss.copy()
        status, stop, blowup = r._status.copy(), r._stop_step.copy(), r._blowup.copy()
        prev = np.empty_like(P)
        rows = max(1, max(a.shape[0] for a in self.slots)) if self.slots else 1
        bank = np.zeros((max(1, len(self.slots)), rows, P.shape[1]), dtype=P.dtype)
        for s, a in enumerate(self.slots):
            bank[s, : a.shape[0]] = a
        _, gt, lt, use_g, use_l = r._settle_args
        taken, gnorm = _kernels.race(
            self.ins, self.groups, self.stores, self.objective,
            self.out, self.regs, params, grad, bank, C, prev, loss, status, stop, blowup,
            r._blowup_above, gt, lt, use_g, use_l, r.t, rec.loss, rec.gnorm, rec.params_rows,
            rec.done, n,
        )  # fmt: skip
        committed = False
        try:
            P[...] = params
            for s, a in enumerate(self.slots):
                a[...] = bank[s, : a.shape[0]]
            for state in self.states:
                state["step"] += taken
            t = r.t + taken
            r.grad, r.loss, r._gnorm = grad, loss, gnorm
            r._status, r._stop_step, r._blowup = status, stop, blowup
            r.before_step, r._rates, r.t = (t - 1, prev), (t - 1, rates, row), t
            rec.put_lr(rec.done, row)
            rec.done += taken
            committed = True
        except BaseException:
            if not committed:
                r._restore(saved)
            raise
        return True
