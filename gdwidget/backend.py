"""The array namespace: NumPy on the CPU, CuPy on a GPU.

Everything else in gdwidget asks this module for ``xp`` rather than importing
numpy or cupy for its math, so that one code path runs on both. Host transfer
(:func:`to_numpy`) happens here and nowhere else.
"""

from __future__ import annotations

import logging
import sys
import warnings
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

log = logging.getLogger("gdwidget")

DEVICES = ("cpu", "gpu", "auto")
DTYPES = ("float64", "float32")

_auto_warned = False


@dataclass(frozen=True)
class Backend:
    """A resolved device: its name, its array namespace and its float dtype."""

    device: str  # "cpu" or "gpu"
    xp: ModuleType
    dtype: Any

    def asarray(self, a: Any) -> Any:
        """Copy ``a`` onto this device with this backend's dtype."""
        if self.device == "cpu" and _is_cupy(a):
            a = a.get()
        return self.xp.asarray(a, dtype=self.dtype)

    def to_numpy(self, a: Any) -> np.ndarray:
        return to_numpy(a)


def _cupy_or_reason() -> tuple[ModuleType | None, str]:
    try:
        import cupy  # noqa: PLC0415
    except ModuleNotFoundError:
        return None, "CuPy is not installed (`pip install gdwidget[gpu]` on a CUDA 12 machine)"
    except Exception as exc:  # a broken CUDA install raising at import
        return None, (
            f"CuPy failed to import ({type(exc).__name__}: {exc}); install the cupy wheel "
            "that matches your CUDA version"
        )
    try:
        n = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:
        return None, f"CuPy is installed but finds no usable CUDA device ({exc})"
    if n < 1:
        return None, "CuPy is installed but no CUDA device is visible"
    try:  # a tiny kernel proves that the driver and the toolkit agree
        (cupy.arange(4) * 2).sum().item()
    except Exception as exc:
        return None, f"CuPy is installed but could not run a kernel on the GPU ({exc})"
    return cupy, ""


def gpu_available() -> bool:
    """True when CuPy imports and can run a kernel on a CUDA device."""
    return _cupy_or_reason()[0] is not None


def get_backend(device: str = "auto", dtype: Any = "float64") -> Backend:
    """Resolve ``device`` and ``dtype`` into a :class:`Backend`.

    Parameters
    ----------
    device : {"cpu", "gpu", "auto"}
        ``"gpu"`` needs CuPy and a CUDA device and raises ``RuntimeError`` saying
        what is missing otherwise; ``"auto"`` uses the GPU when it works and falls
        back to the CPU with a single warning.
    dtype : {"float64", "float32"}
        Floating-point type of parameters, gradients and optimizer state.
    """
    global _auto_warned
    if isinstance(device, Backend):
        return device
    if not isinstance(device, str) or device.lower() not in DEVICES:
        raise ValueError(f"device must be one of {DEVICES}, got {device!r}")
    device = device.lower()
    dtype_name = np.dtype(dtype).name if _is_dtype_like(dtype) else None
    if dtype_name not in DTYPES:
        raise ValueError(f"dtype must be one of {DTYPES}, got {dtype!r}")
    if device == "cpu":
        return Backend("cpu", np, np.dtype(dtype_name))
    cupy, reason = _cupy_or_reason()
    if cupy is not None:
        return Backend("gpu", cupy, cupy.dtype(dtype_name))
    if device == "gpu":
        raise RuntimeError(f"device='gpu' is not available: {reason}. Use device='cpu'.")
    if not _auto_warned:
        _auto_warned = True
        warnings.warn(
            f"gdwidget runs on the CPU: no GPU for device='auto' ({reason}).",
            RuntimeWarning,
            stacklevel=_caller_stacklevel(),
        )
    return Backend("cpu", np, np.dtype(dtype_name))


def _caller_stacklevel() -> int:
    """The stacklevel that makes a warning point at the first caller outside gdwidget."""
    frame = sys._getframe(1)
    level = 1
    while frame is not None and frame.f_globals.get("__name__", "").startswith("gdwidget"):
        frame = frame.f_back
        level += 1
    return level


def _is_dtype_like(dtype: Any) -> bool:
    try:
        np.dtype(dtype)
    except TypeError:
        return False
    return True


def _is_cupy(a: Any) -> bool:
    return type(a).__module__.split(".")[0] == "cupy"


def namespace_of(*arrays: Any) -> ModuleType:
    """The array namespace of the given arrays (NumPy, CuPy or any array-API library)."""
    for a in arrays:
        if isinstance(a, np.ndarray | np.generic):
            return np
        if _is_cupy(a):
            import cupy  # noqa: PLC0415

            return cupy
        if hasattr(a, "__array_namespace__"):
            return a.__array_namespace__()
    return np


def to_numpy(a: Any) -> np.ndarray:
    """Bring an array to the host as a NumPy array (a no-op for NumPy arrays)."""
    if isinstance(a, np.ndarray):
        return a
    if _is_cupy(a):
        return a.get()
    if hasattr(a, "__array_namespace__") and not isinstance(a, np.generic):
        # array-API arrays without a NumPy view (array_api_strict) go through DLPack
        try:
            return np.from_dlpack(a)
        except Exception:  # noqa: BLE001 - fall back to the buffer protocol
            pass
    return np.asarray(a)


class Random:
    """A seeded random source that produces arrays in a given namespace.

    NumPy and CuPy draw on the device with their own generators; any other
    array-API namespace (such as ``array_api_strict`` in tests) gets NumPy draws
    copied in. The same seed gives the same sequence on the same namespace.
    """

    def __init__(self, xp: ModuleType, seed: int | None = 0) -> None:
        self.xp = xp
        self.seed = seed
        self._host: Any = None  # the generator of batch orders, made on first use
        if _is_cupy_module(xp):
            self._gen = xp.random.default_rng(seed)
        else:
            self._gen = np.random.default_rng(seed)

    def _out(self, a: Any, dtype: Any) -> Any:
        if self.xp is np or _is_cupy_module(self.xp):
            return a.astype(dtype, copy=False)
        return self.xp.asarray(np.asarray(a), dtype=dtype)

    def normal(self, shape: tuple[int, ...], dtype: Any) -> Any:
        return self._out(self._gen.standard_normal(shape), dtype)

    def uniform(self, shape: tuple[int, ...], dtype: Any) -> Any:
        """Independent draws from the uniform distribution on [0, 1)."""
        return self._out(self._gen.random(shape), dtype)

    def rademacher(self, shape: tuple[int, ...], dtype: Any) -> Any:
        """Independent +1/-1 entries with equal probability."""
        bits = self._gen.integers(0, 2, size=shape)
        return self._out(bits * 2 - 1, dtype)

    def permutation(self, n: int) -> np.ndarray:
        """A permutation of ``range(n)`` on the host (batch orders are chosen on the host)."""
        if self._host is None:  # on CuPy the device generator stays for device draws
            on_host = not _is_cupy_module(self.xp)
            self._host = self._gen if on_host else np.random.default_rng(self.seed)
        return self._host.permutation(n)


def _is_cupy_module(xp: ModuleType) -> bool:
    return getattr(xp, "__name__", "").split(".")[0] == "cupy"
