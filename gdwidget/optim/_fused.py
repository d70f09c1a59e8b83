"""Fused single-pass CPU kernels for the elementwise rules (optional, needs numba).

The generic rules in this package are written once for any array namespace and
make several passes over memory with temporaries. On the CPU with large NumPy
arrays, the kernels here do the same arithmetic, in the same order and the same
precision, in one parallel pass per step. They are used only when

* numba imports (``pip install gdwidget[fast]``),
* the environment variable ``GDWIDGET_FUSED`` is not ``0``,
* every array is a C-contiguous ``numpy.ndarray`` of one dtype (float32 or float64)
  and one shape, with at least :data:`MIN_SIZE` elements (below that, the NumPy
  path is already fast and a first call would pay the JIT compilation).

Scalars are cast to the arrays' dtype before the call, as NumPy does when it
mixes a Python float with an array, so float32 arithmetic stays float32 and the
results agree with the generic path.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

import numpy as np

log = logging.getLogger("gdwidget")

#: smallest array (in elements) for which the fused kernels are used
MIN_SIZE = 1 << 15
#: smallest array for which the kernels run on several threads; below it a serial
#: kernel runs, so that numba's threads do not compete with the BLAS threads of a
#: model's matrix products on every step
PARALLEL_MIN_SIZE = 1 << 22

_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_NUMBA: bool | None = None  # None: not tried yet
_K: dict[str, Any] = {}
# numba's default threading layer must not be entered from two threads at once
_LOCK = threading.Lock()


def _env_enabled() -> bool:
    return os.environ.get("GDWIDGET_FUSED", "1").strip().lower() not in ("0", "false", "no", "off")


def available() -> bool:
    """True when numba imports and the kernels are defined (compiled lazily on first use)."""
    global _NUMBA
    if _NUMBA is None:
        try:
            _K.update(_build())
            _NUMBA = True
        except Exception as exc:  # ImportError, or a broken numba/llvmlite install
            log.debug("gdwidget: fused optimizer kernels unavailable (%s)", exc)
            _NUMBA = False
    return _NUMBA


def enabled() -> bool:
    """True when the fused kernels would be used for suitable arrays."""
    return _env_enabled() and available()


def usable(*arrays: Any) -> bool:
    """Whether the fused kernels can update these arrays (see the module docstring)."""
    first = arrays[0]
    if type(first) is not np.ndarray or first.size < MIN_SIZE or first.dtype not in _DTYPES:
        return False
    for a in arrays:
        if (
            type(a) is not np.ndarray
            or a.dtype != first.dtype
            or a.shape != first.shape
            or not a.flags.c_contiguous
        ):
            return False
    return first.flags.writeable and enabled()


def _flat(a: Any) -> np.ndarray:
    return a.reshape(-1)


def _empty(dtype: np.dtype) -> np.ndarray:
    return np.empty(0, dtype=dtype)


# -- wrappers: scalars cast to the arrays' dtype, arrays flattened (views) ----------------
def sgd(
    p: np.ndarray,
    g: np.ndarray,
    buf: np.ndarray | None,
    *,
    lr: float,
    weight_decay: float,
    momentum: float,
    dampening: float,
    nesterov: bool,
    first: bool,
) -> None:
    s = p.dtype.type
    b = _empty(p.dtype) if buf is None else _flat(buf)
    with _LOCK:
        _kernel("sgd", p)(
            _flat(p),
            _flat(g),
            b,
            s(weight_decay),
            s(momentum),
            s(1.0 - dampening),
            bool(nesterov),
            bool(first),
            s(lr),
        )


def adagrad(
    p: np.ndarray, g: np.ndarray, acc: np.ndarray, *, clr: float, weight_decay: float, eps: float
) -> None:
    s = p.dtype.type
    with _LOCK:
        _kernel("adagrad", p)(_flat(p), _flat(g), _flat(acc), s(weight_decay), s(clr), s(eps))


def rmsprop(
    p: np.ndarray,
    g: np.ndarray,
    sq: np.ndarray,
    buf: np.ndarray | None,
    grad_avg: np.ndarray | None,
    *,
    lr: float,
    alpha: float,
    eps: float,
    weight_decay: float,
    momentum: float,
) -> None:
    s = p.dtype.type
    b = _empty(p.dtype) if buf is None else _flat(buf)
    ga = _empty(p.dtype) if grad_avg is None else _flat(grad_avg)
    with _LOCK:
        _kernel("rmsprop", p)(
            _flat(p),
            _flat(g),
            _flat(sq),
            b,
            ga,
            grad_avg is not None,
            s(weight_decay),
            s(alpha),
            s(1.0 - alpha),
            s(eps),
            s(momentum),
            s(lr),
        )


def adam(
    p: np.ndarray,
    g: np.ndarray,
    m: np.ndarray,
    v: np.ndarray,
    vmax: np.ndarray | None,
    *,
    b1: float,
    b2: float,
    eps: float,
    coupled_wd: float,
    decay: float,
    step_size: float,
    bc2_sqrt: float,
) -> None:
    s = p.dtype.type
    vm = _empty(p.dtype) if vmax is None else _flat(vmax)
    with _LOCK:
        w = 1.0 - b1
        kernel = _adam_kernel(
            p.size >= PARALLEL_MIN_SIZE, coupled_wd != 0, w < 0.5, vmax is not None
        )
        kernel(
            _flat(p),
            _flat(g),
            _flat(m),
            _flat(v),
            vm,
            s(coupled_wd),
            s(decay),
            s(w),
            s(1.0 - w),
            s(b2),
            s(1.0 - b2),
            s(bc2_sqrt),
            s(eps),
            s(step_size),
        )


def lion(
    p: np.ndarray, g: np.ndarray, m: np.ndarray, *, lr: float, b1: float, b2: float, decay: float
) -> None:
    s = p.dtype.type
    with _LOCK:
        _kernel("lion", p)(
            _flat(p), _flat(g), _flat(m), s(decay), s(b1), s(1.0 - b1), s(b2), s(1.0 - b2), s(lr)
        )


def sophia(
    p: np.ndarray,
    g: np.ndarray,
    m: np.ndarray,
    h: np.ndarray,
    h_hat: np.ndarray | None,
    *,
    lr: float,
    b1: float,
    b2: float,
    rho: float,
    eps: float,
    decay: float,
) -> None:
    s = p.dtype.type
    hh = _empty(p.dtype) if h_hat is None else _flat(h_hat)
    with _LOCK:
        _kernel("sophia", p)(
            _flat(p),
            _flat(g),
            _flat(m),
            _flat(h),
            hh,
            h_hat is not None,
            s(decay),
            s(b1),
            s(1.0 - b1),
            s(b2),
            s(1.0 - b2),
            s(rho),
            s(eps),
            s(lr),
            s(1.0),
        )


# -- the kernels ------------------------------------------------------------------------
def _kernel(name: str, p: np.ndarray) -> Any:
    """The serial or the parallel build of a kernel, by the size of the array."""
    serial, parallel = _K[name]
    return parallel if p.size >= PARALLEL_MIN_SIZE else serial


def _build() -> dict[str, Any]:
    import numba  # noqa: PLC0415 - optional dependency

    # error_model="numpy": x / 0 gives inf or nan as in NumPy (no ZeroDivisionError), and
    # without the per-division check the loops vectorize. Each kernel is defined once and
    # built twice, serial and parallel (prange is a plain range in the serial build).
    options = dict(cache=True, nogil=True, error_model="numpy")
    serial = _define(numba.njit(parallel=False, **options))
    parallel = _define(numba.njit(parallel=True, **options))
    _ADAM_JIT.update(
        {
            False: numba.njit(parallel=False, nogil=True, error_model="numpy"),
            True: numba.njit(parallel=True, nogil=True, error_model="numpy"),
        }
    )
    return {name: (serial[name], parallel[name]) for name in serial}


_ADAM_JIT: dict[bool, Any] = {}
_ADAM: dict[tuple[bool, bool, bool, bool], Any] = {}


def _adam_kernel(parallel: bool, coupled: bool, small_w: bool, amsgrad: bool) -> Any:
    """The Adam kernel for one combination of its switches, compiled on first use.

    The switches are constants of the compiled loop (numba freezes closure
    variables), so its body has no branch and vectorizes: with the switches as
    run-time arguments the loop took about 1.8 times as long on 16M float32.
    """
    key = (parallel, coupled, small_w, amsgrad)
    kernel = _ADAM.get(key)
    if kernel is None:
        kernel = _ADAM[key] = _define_adam(_ADAM_JIT[parallel], coupled, small_w, amsgrad)
    return kernel


def _define_adam(jit: Any, coupled: bool, small_w: bool, amsgrad: bool) -> Any:
    from numba import prange  # noqa: PLC0415

    @jit
    def adam_kernel(
        p,
        g,
        m,
        v,
        vmax,
        coupled_wd,
        decay,
        w,
        one_minus_w,
        b2,
        one_minus_b2,
        bc2_sqrt,
        eps,
        step_size,
    ):  # pragma: no cover
        for i in prange(p.shape[0]):
            gi = g[i]
            pi = p[i]
            if coupled:
                gi = gi + coupled_wd * pi
            else:
                pi = pi * decay
            mi = m[i]
            if small_w:  # the two forms of torch's lerp(m, g, w)
                mi = mi + w * (gi - mi)
            else:
                mi = gi - (gi - mi) * one_minus_w
            m[i] = mi
            vi = v[i] * b2 + one_minus_b2 * gi * gi
            v[i] = vi
            if amsgrad:
                mx = vmax[i]
                if vi > mx or vi != vi:
                    mx = vi
                vmax[i] = mx
                vi = mx
            denom = np.sqrt(vi) / bc2_sqrt + eps
            p[i] = pi - (step_size * mi) / denom

    return adam_kernel


def _define(jit: Any) -> dict[str, Any]:
    from numba import prange  # noqa: PLC0415

    @jit
    def sgd_kernel(p, g, buf, wd, mu, one_minus_damp, nesterov, first, lr):  # pragma: no cover
        for i in prange(p.shape[0]):
            gi = g[i]
            if wd != 0:
                gi = gi + wd * p[i]
            if mu != 0:
                if first:
                    b = gi
                else:
                    b = buf[i] * mu + one_minus_damp * gi
                buf[i] = b
                if nesterov:
                    gi = gi + mu * b
                else:
                    gi = b
            p[i] = p[i] - lr * gi

    @jit
    def adagrad_kernel(p, g, acc, wd, clr, eps):  # pragma: no cover
        for i in prange(p.shape[0]):
            gi = g[i]
            if wd != 0:
                gi = gi + wd * p[i]
            si = acc[i] + gi * gi
            acc[i] = si
            p[i] = p[i] - (clr * gi) / (np.sqrt(si) + eps)

    @jit
    def rmsprop_kernel(
        p, g, sq, buf, ga, centered, wd, alpha, one_minus_alpha, eps, mu, lr
    ):  # pragma: no cover
        for i in prange(p.shape[0]):
            gi = g[i]
            if wd != 0:
                gi = gi + wd * p[i]
            si = sq[i] * alpha + one_minus_alpha * gi * gi
            sq[i] = si
            if centered:
                gai = ga[i]
                gai = gai + one_minus_alpha * (gi - gai)
                ga[i] = gai
                avg = np.sqrt(si - gai * gai)
            else:
                avg = np.sqrt(si)
            avg = avg + eps
            if mu > 0:
                b = buf[i] * mu + gi / avg
                buf[i] = b
                p[i] = p[i] - lr * b
            else:
                p[i] = p[i] - (lr * gi) / avg

    @jit
    def lion_kernel(p, g, m, decay, b1, one_minus_b1, b2, one_minus_b2, lr):  # pragma: no cover
        for i in prange(p.shape[0]):
            gi = g[i]
            mi = m[i]
            u = mi * b1 + gi * one_minus_b1
            p[i] = p[i] * decay - lr * np.sign(u)
            m[i] = mi * b2 + one_minus_b2 * gi

    @jit
    def sophia_kernel(
        p, g, m, h, h_hat, refresh, decay, b1, one_minus_b1, b2, one_minus_b2, rho, eps, lr, one
    ):  # pragma: no cover
        for i in prange(p.shape[0]):
            mi = m[i] * b1 + one_minus_b1 * g[i]
            m[i] = mi
            hi = h[i]
            if refresh:
                hi = hi * b2 + one_minus_b2 * h_hat[i]
                h[i] = hi
            d = rho * hi
            if d < eps:  # clip(rho * h, min=eps); a NaN stays NaN
                d = eps
            r = mi / d
            if r < -one:  # clip(r, -1, 1) without leaving the arrays' dtype
                r = -one
            elif r > one:
                r = one
            p[i] = p[i] * decay - lr * r

    return {
        "sgd": sgd_kernel,
        "adagrad": adagrad_kernel,
        "rmsprop": rmsprop_kernel,
        "lion": lion_kernel,
        "sophia": sophia_kernel,
    }
