"""The monitor's messages (docs/protocol.md, "Monitor"): rows, path and surface.

:func:`pack_rows`, :func:`pack_path` and :func:`pack_surface` lay a message out as
JSON content plus little-endian buffers; :func:`unpack` decodes any of them back
into NumPy arrays (the page's decoder, in Python, for tests and tools).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["json_float", "pack_path", "pack_rows", "pack_surface", "unpack"]


def json_float(v: Any) -> float | None:
    """``v`` as a float, or None when it is not finite (JSON carries no NaN or infinity)."""
    f = float(v)
    return f if np.isfinite(f) else None


def _f8(a: Any) -> bytes:
    return np.ascontiguousarray(a, dtype="<f8").tobytes()


def pack_rows(
    kind: str,
    steps: np.ndarray,
    columns: list[str],
    values: list[np.ndarray],
    generation: int,
) -> tuple[dict[str, Any], list[bytes]]:
    """A ``frame`` or ``history``: float64 steps, then one float64 buffer per column."""
    if kind not in ("frame", "history"):
        raise ValueError(f"kind must be 'frame' or 'history', got {kind!r}")
    if len(columns) != len(values):
        raise ValueError(f"{len(columns)} columns but {len(values)} value arrays")
    content = {
        "type": kind,
        "n": int(len(steps)),
        "columns": list(columns),
        "generation": int(generation),
    }
    return content, [_f8(steps), *(_f8(v) for v in values)]


def pack_path(
    steps: np.ndarray, xy: np.ndarray, projection: str, explained: list[float] | None
) -> tuple[dict[str, Any], list[bytes]]:
    """The projected parameter path: float64 steps ``(k,)`` and xy ``(k, 2)`` row-major."""
    content = {
        "type": "path",
        "n": int(len(steps)),
        "projection": projection,
        "explained": None if explained is None else [json_float(e) for e in explained],
    }
    return content, [_f8(steps), _f8(np.reshape(xy, (-1, 2)))]


def pack_surface(
    values: np.ndarray,
    bounds: list[list[float]],
    anchor: tuple[float, float] | None = None,
    anchor_step: int | None = None,
) -> tuple[dict[str, Any], list[bytes]]:
    """The loss over the plane: float32 ``(ny, nx)`` row-major, row 0 at ``y0``; the
    plane coordinates and step of the parameters it is centred on. ``min``/``max`` are
    None when no value is finite (JSON has no NaN)."""
    ny, nx = values.shape
    finite = values[np.isfinite(values)]
    content = {
        "type": "surface",
        "nx": int(nx),
        "ny": int(ny),
        "bounds": [[json_float(a), json_float(b)] for a, b in bounds],
        "min": json_float(finite.min()) if finite.size else None,
        "max": json_float(finite.max()) if finite.size else None,
        "anchor": None if anchor is None else [json_float(v) for v in anchor],
        "anchor_step": None if anchor_step is None else int(anchor_step),
    }
    with np.errstate(over="ignore", invalid="ignore"):
        buf = np.ascontiguousarray(values, dtype="<f4").tobytes()
    return content, [buf]


def unpack(content: dict[str, Any], buffers: list[Any]) -> dict[str, Any]:
    """Decode a monitor message: ``{"type", ...arrays}``; raises ValueError on bad sizes."""
    kind = content.get("type")
    if kind in ("frame", "history"):
        n, cols = int(content["n"]), list(content["columns"])
        if len(buffers) != 1 + len(cols):
            raise ValueError(f"{len(cols)} columns need {1 + len(cols)} buffers")
        arrays = [np.frombuffer(b, dtype="<f8") for b in buffers]
        if any(a.size != n for a in arrays):
            raise ValueError("buffer sizes do not match the message header")
        return {
            "type": kind,
            "generation": int(content["generation"]),
            "steps": arrays[0],
            "columns": dict(zip(cols, arrays[1:], strict=True)),
        }
    if kind == "path":
        n = int(content["n"])
        steps = np.frombuffer(buffers[0], dtype="<f8")
        xy = np.frombuffer(buffers[1], dtype="<f8")
        if steps.size != n or xy.size != 2 * n:
            raise ValueError("path buffer sizes do not match the message header")
        return {**content, "steps": steps, "xy": xy.reshape(n, 2)}
    if kind == "surface":
        nx, ny = int(content["nx"]), int(content["ny"])
        values = np.frombuffer(buffers[0], dtype="<f4")
        if values.size != nx * ny:
            raise ValueError("surface buffer size does not match the message header")
        return {**content, "values": values.reshape(ny, nx)}
    raise ValueError(f"not a monitor message: {kind!r}")
