"""The end of an engine step on NumPy arrays as one numba call (optional, needs numba).

After the optimizers' updates and the objective, a step decides per run: diverged (loss
or parameters not finite), converged (the stop rules), blown up (loss above its bound);
it puts back the parameters of runs that are frozen or diverge now, and writes the new
loss, gradient norm, status and steps. On NumPy this is some thirty whole-array
operations of a few elements each, whose cost is Python's; :func:`settle` does the same
comparisons and selections per run in one loop, into fresh arrays (the step's rollback
keeps the old ones), so the results are those of the array code exactly. The gradient
norm is computed by the caller with NumPy (its summation order is NumPy's).

It is used when numba imports, ``GDWIDGET_FUSED`` is not 0, and every array is a NumPy
array of the parameters' dtype (see :func:`usable`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..optim import _fused
from .results import CONVERGED, DIVERGED, RUNNING

_KERNEL: list[Any] = []  # the compiled loop, built on first use


def constants(r: Any) -> tuple[Any, ...] | None:
    """The stop rules of run ``r`` as :func:`settle` takes them, for one ``advance`` call
    (the settings change only between calls); None where :func:`settle` is not used."""
    params = r.params
    if type(params) is not np.ndarray or params.ndim != 2 or not _fused.enabled():
        return None
    dt = params.dtype.type
    rules = r.batch_size is None
    return dt(r.grad_tol), dt(r.loss_tol), rules and r.grad_tol > 0, rules and r.loss_tol > 0


def sum_last(xp: Any, a: Any) -> Any:
    """``xp.sum(a, axis=-1)`` (for NumPy the same reduction, without its wrapper's cost)."""
    if xp is np:
        return np.add.reduce(a, axis=-1)
    return xp.sum(a, axis=-1)


def usable(params: Any, prev: Any, loss: Any, prev_loss: Any, gnorm: Any, status: Any) -> bool:
    """Whether :func:`settle` can do this step's bookkeeping (given :func:`constants`)."""
    nd = np.ndarray
    if type(params) is not nd:
        return False
    dt = params.dtype
    return (
        type(loss) is nd
        and type(prev_loss) is nd
        and type(gnorm) is nd
        and type(prev) is nd
        and type(status) is nd
        and loss.dtype == dt
        and prev_loss.dtype == dt
        and gnorm.dtype == dt
        and prev.dtype == dt
        and loss.shape == (params.shape[0],)
    )


def settle(
    r: Any,
    consts: tuple[Any, ...],
    params: Any,
    prev: Any,
    loss: Any,
    prev_loss: Any,
    gnorm: Any,
    t: int,
) -> None:
    """The step's bookkeeping on run ``r`` (a :class:`~gdwidget.engine.Run`), as the array
    code of ``Stepping._step`` does it; ``consts`` from :func:`constants`."""
    if not _KERNEL:
        _KERNEL.append(_compile())
    out_loss, out_gnorm, status, stop, blowup = _KERNEL[0](
        params,
        prev,
        loss,
        prev_loss,
        gnorm,
        r._status,
        r._stop_step,
        r._blowup,
        r._blowup_above,
        *consts,
        t,
    )
    r.loss, r._gnorm, r._status, r._stop_step, r._blowup = out_loss, out_gnorm, status, stop, blowup


def _compile() -> Any:
    from numba import njit  # noqa: PLC0415 - optional dependency, checked by usable()

    @njit(cache=True, nogil=True, error_model="numpy")
    def kernel(
        P, prev, loss, prev_loss, gnorm, status, stop, blowup, above, gt, lt, use_g, use_l, t
    ):
        R, N = P.shape
        out_loss = np.empty_like(loss)
        out_gnorm = np.empty_like(gnorm)
        new_status = status.copy()
        new_stop = stop.copy()
        new_blowup = blowup.copy()
        for r in range(R):
            if status[r] != RUNNING:
                out_loss[r] = prev_loss[r]
                out_gnorm[r] = 0.0
                for j in range(N):
                    P[r, j] = prev[r, j]
                continue
            finite = np.isfinite(loss[r])
            for j in range(N):
                finite = finite and np.isfinite(P[r, j])
            conv = (use_g and gnorm[r] <= gt) or (use_l and abs(loss[r] - prev_loss[r]) <= lt)
            if blowup[r] < 0 and abs(loss[r]) > above[r]:
                new_blowup[r] = t
            out_loss[r] = loss[r]
            out_gnorm[r] = gnorm[r]
            if not finite:
                new_status[r] = DIVERGED
                new_stop[r] = t
                for j in range(N):
                    P[r, j] = prev[r, j]
            elif conv:
                new_status[r] = CONVERGED
                new_stop[r] = t
        return out_loss, out_gnorm, new_status, new_stop, new_blowup

    return kernel
