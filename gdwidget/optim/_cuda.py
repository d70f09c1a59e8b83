"""The fused GPU executor: each rule's program as one CUDA kernel (needs CuPy).

The kernel source is generated from the rule's one definition (:mod:`._rule`): one
thread per element in a grid-stride loop, each reading its run's coefficients from a
``(k, 1)`` or ``(k, n_runs)`` array. It is compiled by NVRTC with ``--fmad=false``,
so that ``a * b + c`` is not fused into one rounding and the results equal the CPU
executors bit for bit (division and square root are IEEE-rounded by default).
:func:`source` needs no GPU, and neither does compiling it (see ``tests/test_rules.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._fused import _env_enabled, coefficient_matrix

#: NVRTC options of every kernel
OPTIONS = ("--fmad=false", "--std=c++11")
_CTYPE = {"float32": "float", "float64": "double"}
_CALLS = {
    "sqrt": lambda a: f"sqrt({a})",
    "sign": lambda a: f"gd_sign({a})",
    "maximum": lambda a, b: f"gd_max({a}, {b})",
    "minimum": lambda a, b: f"gd_min({a}, {b})",
    "where": lambda c, a, b: f"(({c}) ? ({a}) : ({b}))",
}
# NaN-propagating max/min and sign as NumPy's
_HELPERS = """
__device__ __forceinline__ T gd_max(T a, T b) { return (a >= b || a != a) ? a : b; }
__device__ __forceinline__ T gd_min(T a, T b) { return (a <= b || a != a) ? a : b; }
__device__ __forceinline__ T gd_sign(T a) {
  return a > (T)0 ? (T)1 : (a < (T)0 ? (T)-1 : a * (T)0);
}
"""


def usable(*arrays: Any) -> bool:
    """True for C-contiguous CuPy arrays of one float dtype and shape (and fusing on)."""
    first = arrays[0]
    if type(first).__module__.split(".")[0] != "cupy" or not _env_enabled():
        return False
    return all(
        type(a) is type(first)
        and a.dtype == first.dtype
        and a.shape == first.shape
        and a.flags.c_contiguous
        and a.dtype.name in _CTYPE
        for a in arrays
    )


def source(prog: Any, dtype: Any) -> str:
    """CUDA C source of the program's kernel ``gd_<name>`` for one dtype."""
    ctype = _CTYPE[np.dtype(dtype).name]

    def literal(x: float) -> str:
        return f"(T){float(x)!r}"

    stmts = prog.statements(literal, _CALLS, lambda kind, n: f"{n}[i]" if kind == "a" else n)
    const = {n for n in prog.arrays if n not in prog.outputs}
    params = [f"{'const ' if n in const else ''}T* __restrict__ {n}" for n in prog.arrays]
    params += ["const T* __restrict__ C", "long long rc", "long long n", "long long cols"]
    loads = [f"const T {n} = C[{j} * rc + r];" for j, n in enumerate(prog.coefs)]
    body = [f"T {s};" for s in stmts]
    body += [f"{n}[i] = t{s.index};" for n, s in prog.outputs.items()]
    lines = [
        f"typedef {ctype} T;",
        _HELPERS,
        f'extern "C" __global__ void gd_{prog.name}({", ".join(params)}) {{',
        "  const long long step = (long long)blockDim.x * gridDim.x;",
        "  const long long first = (long long)blockIdx.x * blockDim.x + threadIdx.x;",
        "  for (long long i = first; i < n; i += step) {",
        "    const long long r = rc > 1 ? i / cols : 0;",
        *("    " + s for s in loads + body),
        "  }",
        "}",
    ]
    return "\n".join(lines) + "\n"


def run(prog: Any, args: list[Any], vals: list[Any]) -> None:
    """One update on the GPU: one kernel launch for all the program's arrays."""
    import cupy  # noqa: PLC0415 - optional dependency (gdwidget[gpu])

    p = args[0]
    rows = p.shape[0] if p.ndim >= 2 else 1
    key = ("cuda", p.dtype.name)
    kernel = prog.cache.get(key)
    if kernel is None:
        kernel = prog.cache[key] = cupy.RawKernel(
            source(prog, p.dtype), f"gd_{prog.name}", options=OPTIONS
        )
    C = cupy.asarray(coefficient_matrix(vals, rows, p.dtype))
    n = p.size
    threads = 256
    blocks = min(max(1, (n + threads - 1) // threads), 65535 * 8)
    kernel(
        (blocks,),
        (threads,),
        (*args, C, np.int64(C.shape[1]), np.int64(n), np.int64(max(1, n // rows))),
    )
