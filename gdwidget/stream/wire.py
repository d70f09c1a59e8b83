"""The wire format of ``frame``, ``thin`` and ``history`` messages (docs/protocol.md).

A message is a small JSON ``content`` and little-endian buffers: Float64 steps,
Float32 loss, xy and lr, row-major (one row is one step with every run), then
the evaluations when there are some, then (``thin`` only) the Uint32 indices of the
rows the page keeps. :func:`pack` lays rows out; :func:`unpack`
is its inverse, for tests and tools (the page's is js/decode.js).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .buffers import Rows

__all__ = ["Evals", "apply", "pack", "unpack"]

#: Evaluations for :func:`pack`: their steps ``(E,)`` and ``{key: (E, R)}``.
Evals = tuple[np.ndarray, dict[str, np.ndarray]]


def pack(
    kind: str,
    rows: Rows,
    evals: Evals | None = None,
    keep: np.ndarray | None = None,
    base: int = 0,
) -> tuple[dict[str, Any], list[bytes]]:
    """Lay rows out as a protocol message (``"frame"``, ``"thin"`` or ``"history"``).

    Parameters
    ----------
    kind : {"frame", "thin", "history"}
    rows : Rows
        The rows to append (``frame``, ``thin``) or every row (``history``).
    evals : (steps, {key: values}), optional
        Evaluations to carry: ``steps`` ``(E,)`` and ``(E, R)`` values per key.
        Left out (no ``evals`` field) when None or empty.
    keep, base : ``thin`` only
        The page holds ``base`` rows; it keeps rows ``keep`` (increasing) of them, then
        appends ``rows``.

    Returns
    -------
    content : dict
        ``{type, n, n_runs, dims, first_step}``, plus ``evals: {n: E, keys}``.
    buffers : list of bytes
        ``[steps, loss, xy, lr]``: little-endian Float64 ``(n,)``, Float32
        ``(n * R)``, Float32 ``(n * R * 2)``, Float32 ``(n * R)``, row-major;
        then, with evaluations, Float64 ``(E,)`` steps and one Float32
        ``(E * R)`` per key; then, for ``thin``, Uint32 ``(K,)`` ``keep``
        (``content["thin"]`` is ``{kept: K, base}``).
    """
    if kind not in ("frame", "thin", "history"):
        raise ValueError(f"kind must be 'frame', 'thin' or 'history', got {kind!r}")
    if (kind == "thin") != (keep is not None):
        raise ValueError("keep goes with a 'thin' message, and only there")
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
    if keep is not None:
        content["thin"] = {"kept": int(len(keep)), "base": int(base)}
        buffers.append(np.ascontiguousarray(keep, dtype="<u4").tobytes())
    return content, buffers


def unpack(content: dict[str, Any], buffers: list[Any]) -> dict[str, Any]:
    """Decode a packed message back into NumPy arrays (the browser's decoder, in Python).

    Returns a dict with ``type``, ``steps`` ``(n,)``, ``loss`` ``(n, R)``,
    ``xy`` ``(n, R, dims)``, ``lr`` ``(n, R)``, ``evals``: None, or
    ``{"step": (E,), key: (E, R), ...}``, and ``keep``, ``base`` (``thin``; else None, 0).
    """
    keep, base = None, 0
    if content["type"] == "thin":
        k, base = int(content["thin"]["kept"]), int(content["thin"]["base"])
        keep, buffers = np.frombuffer(buffers[-1], dtype="<u4"), buffers[:-1]
        if keep.size != k:
            raise ValueError("the keep buffer does not match the message header")
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
        "keep": keep,
        "base": base,
    }


def apply(held: dict[str, Any] | None, message: dict[str, Any]) -> dict[str, Any]:
    """What a page holds after an :func:`unpack`-ed message (the page's store, js/store.js, in
    Python, for tests and tools): a ``history`` replaces everything, a ``frame`` appends its
    rows, a ``thin`` keeps rows ``keep`` of the ``base`` held, then appends. A ``thin`` that
    does not fit what is held (a message was missed) makes the page ``stale``: it asks for
    the history and takes nothing else until it comes. Returns ``{steps, loss, xy, lr,
    stale}``."""
    columns = ("steps", "loss", "xy", "lr")
    if held is None or message["type"] == "history":
        return {k: message[k] for k in columns} | {"stale": False}
    if held["stale"]:
        return held
    if message["type"] == "thin":
        if len(held["steps"]) != message["base"]:
            return held | {"stale": True}
        held = {k: held[k][message["keep"]] for k in columns}
    return {k: np.concatenate([held[k], message[k]]) for k in columns} | {"stale": False}
