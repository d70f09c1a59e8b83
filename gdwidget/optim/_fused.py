"""The fused CPU executor: each rule's program as one numba loop (optional, needs numba).

The kernel source is generated from the rule's one definition (:mod:`._rule`), so it
does the same operations in the same order and precision as the generic path, in one
pass over memory. Numbers in a rule are constants of the arrays' dtype and the
coefficients are cast to it, as NumPy casts a Python float mixed with an array, so
float32 stays float32. It is used when

* numba imports (``pip install gdwidget[fast]``),
* the environment variable ``GDWIDGET_FUSED`` is not ``0``,
* every array is a C-contiguous, writeable ``numpy.ndarray`` of one dtype (float32 or
  float64) and one shape, with at least :data:`MIN_SIZE` elements.

Two layouts: when every coefficient is one number, a flat loop over all elements
(it vectorizes); when some are one per run, a loop over rows that reads the row's
coefficients once. Kernels are written to a cache folder (``GDWIDGET_CACHE``, default
``~/.cache/gdwidget``) so that numba caches their machine code between sessions.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import sys
import threading
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger("gdwidget")

#: smallest array (in elements) for which the fused kernels are used
MIN_SIZE = 0
#: smallest array for which the kernels run on several threads; below it a serial
#: kernel runs, so that numba's threads do not compete with the BLAS threads of a
#: model's matrix products on every step
PARALLEL_MIN_SIZE = 1 << 22

_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_NUMBA: bool | None = None  # None: not tried yet
# numba's default threading layer must not be entered from two threads at once
_LOCK = threading.Lock()
#: held while a kernel's module is imported (two Playgrounds may load the same one at once)
_LOAD_LOCK = threading.RLock()
_CALLS = {
    "sqrt": lambda a: f"np.sqrt({a})",
    "sign": lambda a: f"_sign({a})",
    "maximum": lambda a, b: f"_maximum({a}, {b})",
    "minimum": lambda a, b: f"_minimum({a}, {b})",
    "where": lambda c, a, b: f"({a} if {c} else {b})",
}
# NaN-propagating max/min and sign as NumPy's, on scalars
_HELPERS = """
@njit(inline="always", error_model="numpy")
def _maximum(a, b):
    return a if (a >= b or a != a) else b

@njit(inline="always", error_model="numpy")
def _minimum(a, b):
    return a if (a <= b or a != a) else b

@njit(inline="always", error_model="numpy")
def _sign(a):
    return ONE if a > 0 else (-ONE if a < 0 else a * ZERO)
"""


_ENV: list[Any] = [None, True]  # the last value of GDWIDGET_FUSED read, and its meaning
# os.environ's own dict, read directly (os.environ.get encodes and decodes on every call, and
# this runs before every update); os.environ keeps it current, monkeypatch and putenv too
_ENV_DATA = getattr(os.environ, "_data", None)
_ENV_KEY: Any = None
if isinstance(_ENV_DATA, dict):
    try:
        _ENV_KEY = os.environ.encodekey("GDWIDGET_FUSED")  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - another implementation: read it the plain way
        _ENV_DATA = None


def _env_enabled() -> bool:
    if _ENV_DATA is not None:
        raw = _ENV_DATA.get(_ENV_KEY)
    else:
        raw = os.environ.get("GDWIDGET_FUSED")
    if raw is not _ENV[0]:  # parsed once per value
        text = os.environ.get("GDWIDGET_FUSED", "1")
        _ENV[:] = [raw, text.strip().lower() not in ("0", "false", "no", "off")]
    return _ENV[1]


def available() -> bool:
    """True when numba imports (kernels are compiled on first use)."""
    global _NUMBA
    if _NUMBA is None:
        try:
            import numba  # noqa: F401, PLC0415 - optional dependency

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
    nd = np.ndarray
    if type(first) is not nd:
        return False
    dt = first.dtype
    if dt is not _DTYPES[1] and dt is not _DTYPES[0] and dt not in _DTYPES:
        return False
    size = first.size
    if size < MIN_SIZE or size == 0 or not (_NUMBA or enabled()) or not _env_enabled():
        return False
    dtype, shape = first.dtype, first.shape
    for a in arrays:
        if type(a) is not nd or a.shape != shape or (a.dtype is not dtype and a.dtype != dtype):
            return False
        if not a.flags.c_contiguous:
            return False
    return first.flags.writeable


def coefficient_matrix(vals: list[Any], rows: int, dtype: Any) -> np.ndarray:
    """The coefficients as a ``(k, 1)`` (all one number) or ``(k, rows)`` array of ``dtype``."""
    try:  # every coefficient one number, or every one an array of a value per row: one call
        C = np.array(vals, dtype=dtype)
    except (ValueError, TypeError):  # numbers and arrays mixed
        C = None
    if C is not None and C.ndim == 1:
        return C.reshape(len(vals), 1)
    if C is not None and C.shape == (len(vals), rows):
        return C
    if not any(isinstance(v, np.ndarray) for v in vals):
        return np.array(vals, dtype=dtype).reshape(len(vals), 1)
    out = np.empty((len(vals), rows), dtype=dtype)
    for i, v in enumerate(vals):
        out[i] = v
    return out


def run(prog: Any, args: list[np.ndarray], vals: list[Any]) -> None:
    """One update of ``args`` (the program's arrays) with the coefficients ``vals``."""
    p = args[0]
    rows = p.shape[0] if p.ndim >= 2 else 1
    C = coefficient_matrix(vals, rows, p.dtype)
    per_row = C.shape[1] > 1
    kernel = compiled(prog, p, per_row)
    if per_row and p.ndim != 2:  # the flat kernel takes any shape (it reshapes inside)
        args = [a.reshape(rows, p.size // rows) for a in args]
    caller(kernel, p)(*args, C)


def compiled(prog: Any, p: np.ndarray, per_row: bool) -> Any:
    """The program's kernel for arrays like ``p`` (compiled, or loaded from the cache, once)."""
    parallel = p.size >= PARALLEL_MIN_SIZE
    key = (p.dtype, per_row, parallel)
    kernel = prog.cache.get(key)
    if kernel is None:
        kernel = prog.cache[key] = _load(source(prog, p.dtype, per_row, parallel), prog.name)
    return kernel


def caller(kernel: Any, p: np.ndarray) -> Any:
    """``kernel`` for arrays like ``p``, to be called as ``kernel(*args, C)``: numba's threads
    (a parallel kernel's) are entered by one thread at a time; a small kernel is called as it is."""
    if p.size < PARALLEL_MIN_SIZE:
        return kernel

    def locked(*args: Any) -> None:
        with _LOCK:
            kernel(*args)

    return locked


def source(prog: Any, dtype: Any, per_row: bool, parallel: bool) -> str:
    """The numba module of one kernel: the program as a loop over elements (or rows)."""
    dt = np.dtype(dtype).name
    literals: dict[float, str] = {}

    def literal(x: float) -> str:
        return literals.setdefault(x, f"L{len(literals)}")

    stmts = prog.statements(literal, _CALLS, lambda kind, n: f"{n}[i]" if kind == "a" else n)
    loads = [f"{n} = C[{j}, r]" for j, n in enumerate(prog.coefs)]
    stores = [f"{n}[i] = t{s.index}" for n, s in prog.outputs.items()]
    arrays = ", ".join(prog.arrays)
    flat_args = ", ".join(f"{n}_" for n in prog.arrays)
    if per_row:
        body = ["for r in prange(p.shape[0]):", *("    " + s for s in loads)]
        body += ["    for j in range(p.shape[1]):"]
        inner = [s.replace("[i]", "[r, j]") for s in (*stmts, *stores)]
        body += ["        " + s for s in inner]
    else:  # the arrays come in any C-contiguous shape: flat views of them
        body = [f"{n} = {n}_.reshape({n}_.size)" for n in prog.arrays]
        body += ["r = 0", *loads, "for i in prange(p.shape[0]):", *("    " + s for s in stmts)]
        body += ["    " + s for s in stores]
    head = [
        "import numpy as np",
        "from numba import njit, prange",
        f"ONE = np.{dt}(1.0)",
        f"ZERO = np.{dt}(0.0)",
        *(f"{name} = np.{dt}({x!r})" for x, name in literals.items()),
        _HELPERS,
        f'@njit(cache=True, nogil=True, error_model="numpy", parallel={parallel})',
        f"def kernel({arrays if per_row else flat_args}, C):",
    ]
    return "\n".join(head + ["    " + s for s in body]) + "\n"


def _load(src: str, name: str) -> Any:
    """Import the kernel's module from the cache folder (numba then caches its code)."""
    digest = hashlib.sha1(src.encode()).hexdigest()[:20]
    folder = Path(os.environ.get("GDWIDGET_CACHE") or Path.home() / ".cache" / "gdwidget")
    path = folder / "kernels" / f"{name}_{digest}.py"
    try:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")  # per thread
            tmp.write_text(src)
            tmp.replace(path)
        name = f"gdwidget_kernel_{digest}"
        with _LOAD_LOCK:  # a second thread must not take the module while it is being run
            module = sys.modules.get(name)
            if module is None:  # numba's cache finds the module by this name
                spec = importlib.util.spec_from_file_location(name, path)
                module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
                sys.modules[name] = module
                try:
                    spec.loader.exec_module(module)  # type: ignore[union-attr]
                except BaseException:
                    del sys.modules[name]
                    raise
        return module.kernel
    except OSError as exc:  # no writable cache folder: compile in memory, uncached
        log.debug("gdwidget: kernel cache unavailable (%s)", exc)
        scope: dict[str, Any] = {}
        exec(compile(src.replace("cache=True", "cache=False"), "<kernel>", "exec"), scope)  # noqa: S102
        return scope["kernel"]
