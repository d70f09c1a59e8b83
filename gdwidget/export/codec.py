"""The replay page's embedded data: a :class:`~.snapshot.Snapshot` as JSON with base64 arrays.

Layout (``format: "gdwidget-replay"``, ``version: 1``)::

    {format, version, kind, title, meta, view, status, stop_step, n, n_runs,
     arrays: {steps, loss, lr, grad_norm, xy?},   # each {dtype: "f8" | "f4", shape, data}
     grid: {meta, values} | null,                 # values (ny, nx) f4, row 0 at y0
     evals: {keys, step, <key>...} | null, extra: {...}}

``data`` is the array's little-endian bytes in base64. Every history array is float64 (the
steps too), so that what the page holds is exactly the source's bounded history.
"""

from __future__ import annotations

import base64
import json
import math
import re
from typing import Any

import numpy as np

from .snapshot import Snapshot

__all__ = ["FORMAT", "decode", "encode", "from_html", "to_json"]

FORMAT = "gdwidget-replay"
VERSION = 1
SCRIPT_ID = "gd-replay-data"


def _array(a: np.ndarray, dtype: str = "<f8") -> dict[str, Any]:
    a = np.ascontiguousarray(np.asarray(a), dtype=dtype)
    return {
        "dtype": "f8" if a.dtype.itemsize == 8 else "f4",
        "shape": list(a.shape),
        "data": base64.b64encode(a.tobytes()).decode("ascii"),
    }


def _unarray(d: dict[str, Any]) -> np.ndarray:
    dtype = "<f8" if d["dtype"] == "f8" else "<f4"
    return np.frombuffer(base64.b64decode(d["data"]), dtype=dtype).reshape(d["shape"])


def _clean(v: Any) -> Any:
    """JSON-safe: non-finite floats become None, tuples lists, numpy scalars Python."""
    if isinstance(v, dict):
        return {str(k): _clean(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_clean(x) for x in v]
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def encode(snap: Snapshot) -> dict[str, Any]:
    """The embedded document of ``snap`` (a dict ready for JSON)."""
    arrays = {
        "steps": _array(snap.steps),
        "loss": _array(snap.loss),
        "lr": _array(snap.lr),
        "grad_norm": _array(snap.grad_norm),
    }
    if snap.xy is not None:
        arrays["xy"] = _array(snap.xy)
    grid = None
    if snap.grid is not None and snap.grid_meta is not None:
        grid = {"meta": _clean(snap.grid_meta), "values": _array(snap.grid, "<f4")}
    evals = None
    if snap.evals:
        keys = [k for k in snap.evals if k not in ("step", "epoch")]
        evals = {"keys": keys} | {k: _array(v) for k, v in snap.evals.items()}
    return {
        "format": FORMAT,
        "version": VERSION,
        "kind": snap.kind,
        "title": snap.title,
        "meta": _clean(snap.meta),
        "view": _clean(snap.view),
        "status": _clean(snap.status),
        "stop_step": [int(s) for s in snap.stop_step],
        "n": len(snap),
        "n_runs": snap.n_runs,
        "arrays": arrays,
        "grid": grid,
        "evals": evals,
        "extra": _clean_extra(snap.extra),
    }


def _clean_extra(extra: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in extra.items():
        out[k] = _array(v) if isinstance(v, np.ndarray) else _clean(v)
    return out


def to_json(snap: Snapshot) -> str:
    """``encode(snap)`` as JSON text safe inside a ``<script>`` element (no ``<`` at all)."""
    text = json.dumps(encode(snap), allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c")


def decode(doc: dict[str, Any]) -> dict[str, Any]:
    """The embedded document with its arrays as NumPy arrays (tests, tools)."""
    if doc.get("format") != FORMAT:
        raise ValueError(f"not a gdwidget replay document: format={doc.get('format')!r}")
    out = dict(doc)
    out["arrays"] = {k: _unarray(v) for k, v in doc["arrays"].items()}
    if doc.get("grid"):
        out["grid"] = {"meta": doc["grid"]["meta"], "values": _unarray(doc["grid"]["values"])}
    if doc.get("evals"):
        ev = doc["evals"]
        out["evals"] = {"keys": ev["keys"]} | {k: _unarray(v) for k, v in ev.items() if k != "keys"}
    out["extra"] = {
        k: _unarray(v) if isinstance(v, dict) and {"dtype", "shape", "data"} <= set(v) else v
        for k, v in (doc.get("extra") or {}).items()
    }
    return out


_SCRIPT = re.compile(
    r'<script type="application/json" id="' + SCRIPT_ID + r'">(.*?)</script>', re.DOTALL
)


def from_html(text: str) -> dict[str, Any]:
    """Read the embedded document back out of a page written by ``save_html`` (decoded)."""
    m = _SCRIPT.search(text)
    if m is None:
        raise ValueError("no gdwidget replay data in this HTML")
    return decode(json.loads(m.group(1)))
