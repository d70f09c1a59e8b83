"""The end of an engine step on NumPy arrays as one numba call (optional, needs numba).

After the optimizers' updates and the objective, a step decides per run: diverged (loss
or parameters not finite), converged (the stop rules), blown up (loss above its bound);
it puts back the parameters of runs that are frozen or diverge now, and writes the new
loss, gradient norm, status and steps. On NumPy this is some thirty whole-array
operations of a few elements each, whose cost is Python's; :func:`settle` does the same
comparisons and selections per run in one loop, into fresh arrays (the step's rollback
keeps the old ones), so the results are those of the array code exactly.

The gradient norm is NumPy's ``sqrt(sum(grad * grad, axis=-1))``. NumPy sums fewer than
eight numbers per row one after the other, and the loop does the same there (checked
once per dtype and width against NumPy itself, see :func:`_same_norm`); wider rows, or
a NumPy that sums otherwise, get the norm from NumPy.

It is used when numba imports, ``GDWIDGET_FUSED`` is not 0, and every array is a NumPy
array of the parameters' dtype (see :func:`usable`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..optim import _fused

_KERNEL: list[Any] = []  # the compiled loop and its norm, built on first use
#: rows up to this width may have their norm summed in the loop (NumPy sums them in order)
_SEQUENTIAL_MAX = 7
_SAME_NORM: dict[tuple[Any, int], bool] = {}


def constants(r: Any) -> tuple[Any, ...] | None:
    """The stop rules of run ``r`` as :func:`settle` takes them, for one ``advance`` call
    (the settings change only between calls); None where :func:`settle` is not used."""
    params = r.params
    if type(params) is not np.ndarray or params.ndim != 2 or not _fused.enabled():
        return None
    dt = params.dtype.type
    rules = r.batch_size is None
    own_norm = _same_norm(params.dtype, params.shape[1])
    return (
        own_norm,
        dt(r.grad_tol),
        dt(r.loss_tol),
        rules and r.grad_tol > 0,
        rules and r.loss_tol > 0,
    )


def sum_last(xp: Any, a: Any) -> Any:
    """``xp.sum(a, axis=-1)`` (for NumPy the same reduction, without its wrapper's cost)."""
    if xp is np:
        return np.add.reduce(a, axis=-1)
    return xp.sum(a, axis=-1)


def usable(params: Any, prev: Any, loss: Any, prev_loss: Any, grad: Any, status: Any) -> bool:
    """Whether :func:`settle` can do this step's bookkeeping (given :func:`constants`)."""
    nd = np.ndarray
    if type(params) is not nd:
        return False
    dt = params.dtype
    return (
        type(loss) is nd
        and type(prev_loss) is nd
        and type(grad) is nd
        and type(prev) is nd
        and type(status) is nd
        and loss.dtype == dt
        and prev_loss.dtype == dt
        and grad.dtype == dt
        and prev.dtype == dt
        and loss.shape == (params.shape[0],)
        and grad.shape == params.shape
    )


def settle(
    r: Any,
    consts: tuple[Any, ...],
    params: Any,
    prev: Any,
    loss: Any,
    prev_loss: Any,
    grad: Any,
    t: int,
    rec: Any,
    k: int,
) -> None:
    """The step's bookkeeping on run ``r`` (a :class:`~gdwidget.engine.Run`), as the array
    code of ``Stepping._step`` does it; ``consts`` from :func:`constants`. Also writes row
    ``k`` of ``rec`` (the advance call's ``_Rows``): loss, gradient norm, parameters."""
    if not _KERNEL:
        _KERNEL.extend(_compile())
    own_norm = consts[0]
    # with its own norm the loop ignores this array (an empty one of the same type)
    gnorm = grad[:, 0][:0] if own_norm else np.sqrt(np.add.reduce(grad * grad, axis=-1))
    out_loss, out_gnorm, status, stop, blowup = _KERNEL[0](
        params,
        prev,
        loss,
        prev_loss,
        grad,
        gnorm,
        r._status,
        r._stop_step,
        r._blowup,
        r._blowup_above,
        *consts,
        t,
        rec.loss,
        rec.gnorm,
        rec.params_rows,
        k,
    )
    r.loss, r._gnorm, r._status, r._stop_step, r._blowup = out_loss, out_gnorm, status, stop, blowup


def _same_norm(dtype: Any, width: int) -> bool:
    """Whether the loop's norm equals NumPy's bit for bit for rows of ``width`` (a probe
    of varied magnitudes, zeros and non-finite numbers, once per dtype and width)."""
    key = (np.dtype(dtype), width)
    if key not in _SAME_NORM:
        same = width <= _SEQUENTIAL_MAX and np.dtype(dtype).kind == "f"
        if same:
            if not _KERNEL:
                _KERNEL.extend(_compile())
            rng = np.random.default_rng(0)
            G = rng.standard_normal((512, width)) * 10.0 ** rng.integers(-30, 30, (512, width))
            G[rng.random(G.shape) < 0.05] = 0.0
            G[rng.random(G.shape) < 0.01] = np.inf
            G[rng.random(G.shape) < 0.01] = np.nan
            with np.errstate(all="ignore"):
                G = G.astype(dtype)
                ref = np.sqrt(np.add.reduce(G * G, axis=-1))
            same = ref.tobytes() == _KERNEL[1](G).tobytes()
        _SAME_NORM[key] = same
    return _SAME_NORM[key]


def _compile() -> tuple[Any, Any]:
    from . import _kernels  # noqa: PLC0415 - needs numba, checked by usable()

    return _kernels.settle, _kernels.norms
