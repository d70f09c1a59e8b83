"""The landscape's colours without a browser: the page's viridis map and colour scale, as PNG.

The same map as the page's heatmap (``js/heatmap.js``: d3's viridis, ``js/scales.js``:
``colorTransform``), so that the static picture and the replay page agree.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

__all__ = ["color_positions", "grid_png", "viridis"]

# d3-scale-chromatic's viridis sampled at 33 even positions; between them, linear.
_VIRIDIS = (
    "440154 470d60 48186a 482374 472d7b 453781 424086 3e4989 3b528b 375b8d 33638d 2f6b8e "
    "2c728e 297a8e 26828e 23898e 21918c 1f988b 1fa088 22a785 28ae80 32b67a 3fbc73 4ec36b "
    "5ec962 70cf57 84d44b 98d83e addc30 c2df23 d8e219 ece51b fde725"
).split()
_ANCHORS = np.array([[int(c[i : i + 2], 16) for i in (0, 2, 4)] for c in _VIRIDIS], dtype=float)


def viridis(t: np.ndarray) -> np.ndarray:
    """RGB (uint8, shape ``t.shape + (3,)``) of colour positions ``t`` in [0, 1]."""
    t = np.clip(np.asarray(t, dtype=np.float64), 0.0, 1.0)
    pos = np.linspace(0.0, 1.0, len(_ANCHORS))
    rgb = np.stack([np.interp(t, pos, _ANCHORS[:, k]) for k in range(3)], axis=-1)
    return np.round(rgb).astype(np.uint8)


def color_positions(
    z: np.ndarray, zmin: float, zmax: float, log: bool = False, decades: int = 6
) -> np.ndarray:
    """Colour position in [0, 1] of each loss ``z`` (NaN stays NaN), as the page computes it.

    Linear between ``zmin`` and ``zmax``; with ``log``, linear in ``log10(z)`` when the range
    is positive and spans at most ``decades`` decades, else in ``log10(z - zmin + eps)``.
    """
    z = np.asarray(z, dtype=np.float64)
    lo, hi = float(zmin), float(zmax)
    if not (np.isfinite(lo) and np.isfinite(hi)):
        lo, hi = 0.0, 1.0
    lo, hi = min(lo, hi), max(lo, hi)
    span = hi - lo
    if not span > 0:
        span = abs(hi) * 1e-6 if abs(hi) > 0 else 1.0
    with np.errstate(all="ignore"):
        if not log:
            t = (z - lo) / span
        elif lo > 0 and np.log10((lo + span) / lo) <= decades:
            a, b = np.log10(lo), np.log10(lo + span)
            t = np.where(z <= 0, 0.0, (np.log10(z) - a) / (b - a))
        else:
            eps = span * 10.0**-decades
            a, b = np.log10(eps), np.log10(span + eps)
            d = z - lo
            t = np.where(d <= 0, 0.0, (np.log10(d + eps) - a) / (b - a))
    t = np.clip(t, 0.0, 1.0)
    t[np.isnan(z)] = np.nan
    return t


def grid_png(values: np.ndarray, meta: dict) -> bytes:
    """The grid (``(ny, nx)``, row 0 at ``y0``) as an RGBA PNG with row 0 at the *top* = ``y1``.

    NaN cells are transparent.
    """
    z = np.asarray(values, dtype=np.float64)
    t = color_positions(z, meta.get("zmin", np.nan), meta.get("zmax", np.nan), meta.get("log"))
    rgba = np.zeros(z.shape + (4,), dtype=np.uint8)
    ok = np.isfinite(t)
    rgba[..., :3] = viridis(np.where(ok, t, 0.0))
    rgba[..., 3] = np.where(ok, 255, 0)
    return _png(rgba[::-1])


def _png(rgba: np.ndarray) -> bytes:
    h, w = rgba.shape[:2]
    raw = b"".join(b"\x00" + rgba[i].tobytes() for i in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )
