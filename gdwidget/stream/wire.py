"""The wire format of ``frame`` and ``history`` messages (docs/protocol.md).

A message is a small JSON ``content`` and little-endian buffers: Float64 steps,
Float32 loss, xy and lr, row-major (one row is one step with every run), then
the evaluations when there are some. :func:`pack` lays rows out; :func:`unpack`
is its inverse, for tests and tools (the page's is js/decode.js).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .buffers import Rows

__all__ = ["Evals", "pack", "unpack"]

#: Evaluations for :func:`pack`: their steps ``(E,)`` and ``{key: (E, R)}``.
Evals = tuple[np.ndarray, dict[str, np.ndarray]]


def pack(kind: str, rows: Rows, evals: Evals | None = None) -> tuple[dict[str, Any], list[bytes]]:
    """Lay rows out as a protocol message (``"frame"`` or ``"history"``).

    Parameters
    ----------
    kind : {"frame", "history"}
    rows : Rows
    evals : (steps, {key: values}), optional
        Evaluations to carry: ``steps`` ``(E,)`` and ``(E, R)`` values per key.
        Left out (no ``evals`` field) when None or empty.

    Returns
    -------
    content : dict
        ``{type, n, n_runs, dims, first_step}``, plus ``evals: {n: E, keys}``.
    buffers : list of bytes
        ``[steps, loss, xy, lr]``: little-endian Float64 ``(n,)``, Float32
        ``(n * R)``, Float32 ``(n * R * 2)``, Float32 ``(n * R)``, row-major;
        then, with evaluations, Float64 ``(E,)`` steps and one Float32
        ``(E * R)`` per key.
    """
    if kind not in ("frame", "history"):
        raise ValueError(f"kind must be 'frame' or 'history', got {kind!r}")
    n = len(rows)
    n_runs = int(rows.loss.shape[1]) if rows.loss.ndim == 2 else 0
    dims = int(rows.xy.shape[-1]) if rows.xy.ndim == 3 else 2
    with np.errstate(over="ignore", invalid="ignore"):  # huge values become +-inf in float32
        buffers = [
            np.ascontiguousarray(rows.steps, dtype="<f8").tobytes(),
            np.ascontiguousarray(rows.loss, dtype="<f4").tobytes(),
            np.ascontiguousarray(rows.xy, dtype="<f4").tobytes(),
            np.ascontiguousarray(rows.lr, dtype="<f4").tobytes(),
        ]
    content: dict[str, Any] = {
        "type": kind,
        "n": n,
        "n_runs": n_runs,
        "dims": dims,
        "first_step": int(rows.steps[0]) if n else 0,
    }
    if evals is not None and len(evals[0]):
        e_steps, values = evals
        keys = list(values)
        content["evals"] = {"n": int(len(e_steps)), "keys": keys}
        buffers.append(np.ascontiguousarray(e_steps, dtype="<f8").tobytes())
        with np.errstate(over="ignore", invalid="ignore"):
            for k in keys:
                buffers.append(np.ascontiguousarray(values[k], dtype="<f4").tobytes())
    return content, buffers


def unpack(content: dict[str, Any], buffers: list[Any]) -> dict[str, Any]:
    """Decode a packed message back into NumPy arrays (the browser's decoder, in Python).

    Returns a dict with ``type``, ``steps`` ``(n,)``, ``loss`` ``(n, R)``,
    ``xy`` ``(n, R, dims)``, ``lr`` ``(n, R)`` and ``evals``: None, or
    ``{"step": (E,), key: (E, R), ...}``.
    """
    n, R, D = int(content["n"]), int(content["n_runs"]), int(content["dims"])
    steps = np.frombuffer(buffers[0], dtype="<f8")
    loss = np.frombuffer(buffers[1], dtype="<f4")
    xy = np.frombuffer(buffers[2], dtype="<f4")
    lr = np.frombuffer(buffers[3], dtype="<f4")
    if steps.size != n or loss.size != n * R or xy.size != n * R * D or lr.size != n * R:
        raise ValueError("buffer sizes do not match the message header")
    evals = None
    if "evals" in content:
        e, keys = int(content["evals"]["n"]), list(content["evals"]["keys"])
        if len(buffers) != 5 + len(keys):
            raise ValueError(f"evals with {len(keys)} keys need {5 + len(keys)} buffers")
        evals = {"step": np.frombuffer(buffers[4], dtype="<f8")}
        for j, k in enumerate(keys):
            evals[k] = np.frombuffer(buffers[5 + j], dtype="<f4")
        if evals["step"].size != e or any(evals[k].size != e * R for k in keys):
            raise ValueError("evals buffer sizes do not match the message header")
        evals.update({k: evals[k].reshape(e, R) for k in keys})
    return {
        "type": content["type"],
        "first_step": int(content["first_step"]),
        "steps": steps,
        "loss": loss.reshape(n, R),
        "xy": xy.reshape(n, R, D),
        "lr": lr.reshape(n, R),
        "evals": evals,
    }
