"""The engine's numba code (imported only where numba is): the end of a step, and the
steps of a small race run from encoded programs.

* :func:`settle_rows` is a step's bookkeeping per run (see :mod:`._settle`); :func:`settle`
  calls it into fresh arrays, :func:`race` in place.
* :func:`race` takes many steps of a race in one call. The optimizers' update rules and the
  objective come as programs (:mod:`._race` encodes them): rows of ``(op, dst, a, b, c)``
  over one file of registers, run by :func:`_exec` element by element. Every operation is
  the one the generic and fused paths do, in the same order and precision, so the steps
  are theirs bit for bit; and one compiled function serves every race.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._encode import LOADS, OPS
from .results import CONVERGED, DIVERGED, RUNNING

_OPTS = {"cache": True, "nogil": True, "error_model": "numpy"}

# the operations of an encoded program, numbered in one place (_encode)
LOAD_P, LOAD_G, LOAD_S, LOAD_C, LOAD_X = (LOADS[k] for k in ("p", "g", "slot", "c", "x"))
ADD, SUB, MUL, DIV, NEG, SQRT, SIGN = (
    OPS[k] for k in ("add", "sub", "mul", "div", "neg", "sqrt", "sign")
)
MAX, MIN, WHERE, LT, GT, NE, ABS, POW = (
    OPS[k] for k in ("maximum", "minimum", "where", "lt", "gt", "ne", "abs", "pow")
)


@njit(**_OPTS)
def row_norm(G, r):
    """NumPy's ``sqrt(sum(G[r] * G[r]))`` for rows under eight numbers (summed in order)."""
    s = G[r, 0] * G[r, 0]
    for j in range(1, G.shape[1]):
        s += G[r, j] * G[r, j]
    return np.sqrt(s)


@njit(**_OPTS)
def norms(G):
    out = np.empty(G.shape[0], dtype=G.dtype)
    for r in range(G.shape[0]):
        out[r] = row_norm(G, r)
    return out


@njit(**_OPTS)
def settle_rows(
    P, prev, loss, prev_loss, G, gnorm, status, stop, blowup, above, own_norm, gt, lt, use_g,
    use_l, t, out_loss, out_gnorm, out_status, out_stop, out_blowup,
):  # fmt: skip
    """Each run's end of step ``t``; each row reads its inputs before it writes, so the
    ``out_`` arrays may be the inputs themselves."""
    N = P.shape[1]
    for r in range(P.shape[0]):
        if status[r] != RUNNING:
            out_loss[r] = prev_loss[r]
            out_gnorm[r] = 0.0
            for j in range(N):
                P[r, j] = prev[r, j]
            continue
        gn = row_norm(G, r) if own_norm else gnorm[r]
        new, old = loss[r], prev_loss[r]
        finite = np.isfinite(new)
        for j in range(N):
            finite = finite and np.isfinite(P[r, j])
        conv = (use_g and gn <= gt) or (use_l and abs(new - old) <= lt)
        if blowup[r] < 0 and abs(new) > above[r]:
            out_blowup[r] = t
        out_loss[r] = new
        out_gnorm[r] = gn
        if not finite:
            out_status[r] = DIVERGED
            out_stop[r] = t
            for j in range(N):
                P[r, j] = prev[r, j]
        elif conv:
            out_status[r] = CONVERGED
            out_stop[r] = t


@njit(**_OPTS)
def _record(P, out_loss, out_gnorm, rec_loss, rec_gnorm, rec_params, k):
    R, N = P.shape
    for r in range(R):
        rec_loss[k, r] = out_loss[r]
        rec_gnorm[k, r] = out_gnorm[r]
    if rec_params.shape[0] > 0:
        for r in range(R):
            for j in range(N):
                rec_params[k, r, j] = P[r, j]


@njit(**_OPTS)
def settle(
    P, prev, loss, prev_loss, G, gnorm, status, stop, blowup, above, own_norm, gt, lt, use_g,
    use_l, t, rec_loss, rec_gnorm, rec_params, k,
):  # fmt: skip
    """:func:`settle_rows` into fresh arrays (the step's rollback keeps the old ones), and
    row ``k`` of the records."""
    out_loss = np.empty_like(loss)
    out_gnorm = np.empty_like(loss)
    new_status, new_stop, new_blowup = status.copy(), stop.copy(), blowup.copy()
    settle_rows(
        P, prev, loss, prev_loss, G, gnorm, status, stop, blowup, above, own_norm, gt, lt,
        use_g, use_l, t, out_loss, out_gnorm, new_status, new_stop, new_blowup,
    )  # fmt: skip
    _record(P, out_loss, out_gnorm, rec_loss, rec_gnorm, rec_params, k)
    return out_loss, out_gnorm, new_status, new_stop, new_blowup


@njit(**_OPTS)
def _exec(ins, i0, i1, regs, P, G, bank, C, k, r, rr, j):
    """Instructions ``i0`` to ``i1`` of ``ins`` for the element ``(r, j)`` (row ``rr`` of
    its group's state arrays in ``bank``) at step ``k`` of the call."""
    for i in range(i0, i1):
        op, d, a, b = ins[i, 0], ins[i, 1], ins[i, 2], ins[i, 3]
        if op == MUL:
            regs[d] = regs[a] * regs[b]
        elif op == ADD:
            regs[d] = regs[a] + regs[b]
        elif op == SUB:
            regs[d] = regs[a] - regs[b]
        elif op == DIV:
            regs[d] = regs[a] / regs[b]
        elif op == LOAD_S:
            regs[d] = bank[a, rr, j]
        elif op == LOAD_C:
            regs[d] = C[k, a]
        elif op == LOAD_P:
            regs[d] = P[r, j]
        elif op == LOAD_G:
            regs[d] = G[r, j]
        elif op == LOAD_X:
            regs[d] = P[r, a]
        elif op == SQRT:
            regs[d] = np.sqrt(regs[a])
        elif op == NEG:
            regs[d] = -regs[a]
        elif op == WHERE:
            regs[d] = regs[b] if regs[a] != 0 else regs[ins[i, 4]]
        elif op == LT:
            regs[d] = 1.0 if regs[a] < regs[b] else 0.0
        elif op == GT:
            regs[d] = 1.0 if regs[a] > regs[b] else 0.0
        elif op == NE:
            regs[d] = 1.0 if regs[a] != regs[b] else 0.0
        elif op == MAX:  # NaN-propagating, as NumPy's maximum
            x, y = regs[a], regs[b]
            regs[d] = x if (x >= y or x != x) else y
        elif op == MIN:
            x, y = regs[a], regs[b]
            regs[d] = x if (x <= y or x != x) else y
        elif op == SIGN:
            x = regs[a]
            regs[d] = 1.0 if x > 0 else (-1.0 if x < 0 else x * 0.0)
        elif op == ABS:
            regs[d] = abs(regs[a])
        elif op == POW:  # the coefficients' only (float64, as Python's float ** does)
            regs[d] = regs[a] ** regs[b]


@njit(**_OPTS)
def coefficients(ins, lits, steps, outs, cols, C):
    """Rows of ``C``: each step's coefficients, run by :func:`_exec` in float64 as Python
    computes them (a group's step counter is ``X[0, g]``, ``steps[g]`` at the first row)."""
    regs = lits.copy()
    X = np.empty((1, steps.shape[0]))
    none = np.empty((0, 0, 0))
    for k in range(C.shape[0]):
        for g in range(steps.shape[0]):
            X[0, g] = steps[g] + k
        _exec(ins, 0, ins.shape[0], regs, X, X, none, X, k, 0, 0, 0)
        for i in range(outs.shape[0]):
            C[k, cols[i]] = regs[outs[i]]


@njit(**_OPTS)
def race(
    ins, groups, stores, obj, out, lits, P, G, bank, C, prev, loss, status, stop, blowup,
    above, gt, lt, use_g, use_l, t0, rec_loss, rec_gnorm, rec_params, k0, total,
):  # fmt: skip
    """``C.shape[0]`` steps at most, in place; returns the steps taken and the last norms.

    ``groups`` rows: first and last row of the group, first and last instruction, first and
    last store (``stores`` rows: the state slot, -1 for the parameters, and the register);
    ``obj``: the objective's first and last instruction, ``out`` its loss's and gradient's
    registers.
    Like the engine's loop it looks at whether every run has stopped after each 64th step
    of the ``advance`` call (``k0`` steps were taken before this call, ``total`` asked)."""
    R, N = P.shape
    regs = lits.copy()
    f = np.empty(R, dtype=P.dtype)
    gnorm = np.empty(R, dtype=P.dtype)
    for k in range(C.shape[0]):
        for r in range(R):
            for j in range(N):
                prev[r, j] = P[r, j]
        for g in range(groups.shape[0]):
            r0, r1, i0, i1, s0, s1 = groups[g]
            for r in range(r0, r1):
                for j in range(N):
                    _exec(ins, i0, i1, regs, P, G, bank, C, k, r, r - r0, j)
                    for s in range(s0, s1):
                        if stores[s, 0] < 0:
                            P[r, j] = regs[stores[s, 1]]
                        else:
                            bank[stores[s, 0], r - r0, j] = regs[stores[s, 1]]
        for r in range(R):
            _exec(ins, obj[0], obj[1], regs, P, G, bank, C, k, r, 0, 0)
            f[r] = regs[out[0]]
            for j in range(N):
                G[r, j] = regs[out[j + 1]]
        settle_rows(
            P, prev, f, loss, G, gnorm, status, stop, blowup, above, True, gt, lt, use_g,
            use_l, t0 + k + 1, loss, gnorm, status, stop, blowup,
        )  # fmt: skip
        _record(P, loss, gnorm, rec_loss, rec_gnorm, rec_params, k0 + k)
        done = k0 + k + 1
        if done % 64 == 0 or done == total:
            running = False
            for r in range(R):
                running = running or status[r] == RUNNING
            if not running:
                return k + 1, gnorm
    return C.shape[0], gnorm
