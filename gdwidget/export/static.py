"""A static picture of a race, built in Python with no browser: an SVG string.

The landscape (the embedded grid as a PNG, the page's colours), each run's path with its start
and current point, the known minima, the loss curves and a legend. It is what a notebook
converted to HTML shows for a Playground, and what a replay page shows before (or without)
its script.

Each path is ``<path class="gd-static-path" data-label=...>`` in the landscape's group, whose
``data-x0 .. data-y1`` (the data box) and ``data-left .. data-height`` (the plot box in px)
map its points back to data coordinates.
"""

from __future__ import annotations

import base64
import logging
import math
from html import escape
from typing import Any

import numpy as np

from .colors import grid_png
from .monitor import NothingLogged
from .snapshot import Snapshot, snapshot

__all__ = ["static_svg"]

PLOT = (340, 300)  # the landscape's plot area, px
LOSS = (300, 300)
LEFT, TOP, GAP = 56, 34, 80
MERGE_PX = 0.75  # points closer than this to the last drawn one are merged (as the page does)
LIMIT = 1e5
FONT = "font-family:system-ui,-apple-system,'Segoe UI',sans-serif;font-size:11px"


def static_svg(source: Any, **kw: Any) -> str:
    """The static picture of ``source`` (a :class:`Snapshot`, or anything :func:`snapshot`
    takes, with its keyword arguments) as an SVG document string."""
    snap = source if isinstance(source, Snapshot) else snapshot(source, **kw)
    has_xy = snap.xy is not None and snap.xy.size > 0
    x_loss = LEFT + PLOT[0] + GAP if has_xy else LEFT
    width = x_loss + LOSS[0] + 20
    legend_rows = math.ceil(max(1, snap.n_runs) / 4)
    height = TOP + PLOT[1] + 58 + 18 * legend_rows
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="gd-static" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(_summary(snap))}" style="{FONT};background:#fff">',
        f'<text x="{LEFT}" y="20" font-size="13" font-weight="600" fill="#1f2328">'
        f"{escape(snap.title)} · step {int(snap.steps[-1]) if len(snap) else 0}</text>",
    ]
    if has_xy:
        out.append(_landscape(snap))
    out.append(_loss(snap, x_loss))
    out.append(_legend(snap, TOP + PLOT[1] + 54))
    out.append("</svg>")
    return "\n".join(out)


def _summary(snap: Snapshot) -> str:
    runs = ", ".join(
        f"{s['label']}: {s['status']}, loss {_fmt(s['loss'])}"
        if s["loss"] is not None
        else f"{s['label']}: {s['status']}"
        for s in snap.status
    )
    return f"gdwidget race on {snap.title}: {runs}"


# -- the landscape -----------------------------------------------------------------------
def _landscape(snap: Snapshot) -> str:
    (x0, x1), (y0, y1) = snap.view
    pw, ph = PLOT
    ax, ay = pw / (x1 - x0), -ph / (y1 - y0)
    bx, by = LEFT - x0 * ax, TOP + ph - y0 * ay
    parts = [
        f'<g class="gd-static-landscape" data-x0="{x0!r}" data-x1="{x1!r}" data-y0="{y0!r}" '
        f'data-y1="{y1!r}" data-left="{LEFT}" data-top="{TOP}" data-width="{pw}" '
        f'data-height="{ph}">',
        f'<clipPath id="gd-clip-land"><rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}"/>'
        "</clipPath>",
        f'<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="#eef0f3"/>',
        '<g clip-path="url(#gd-clip-land)">',
    ]
    if snap.grid is not None and snap.grid_meta:
        parts.append(_heat(snap.grid, snap.grid_meta, ax, bx, ay, by))
    meta = snap.meta
    runs = meta.get("runs", [])
    lines = []
    for r in range(snap.n_runs):
        d = _path_d(snap.xy[:, r, 0], snap.xy[:, r, 1], ax, bx, ay, by)
        if d:
            lines.append((r, d))
    for _r, d in lines:
        parts.append(
            f'<path d="{d}" fill="none" stroke="rgba(0,0,0,0.4)" stroke-width="4" '
            'stroke-linejoin="round" stroke-linecap="round"/>'
        )
    for r, d in lines:
        colour, dash, label = _style(runs, r)
        dash_attr = f' stroke-dasharray="{" ".join(map(str, dash))}"' if dash else ""
        parts.append(
            f'<path class="gd-static-path" data-label="{escape(label)}" d="{d}" fill="none" '
            f'stroke="{colour}" stroke-width="2" stroke-linejoin="round" '
            f'stroke-linecap="round"{dash_attr}/>'
        )
    parts.append(_minima(meta, ax, bx, ay, by))
    parts.append(_markers(snap, ax, bx, ay, by))
    parts.append("</g>")
    parts.append(
        f'<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="#8a929a"/>'
    )
    names = meta.get("axes") or ["x", "y"]
    parts.append(_axis_x(x0, x1, LEFT, TOP + ph, pw, str(names[0])))
    parts.append(_axis_y(y0, y1, LEFT, TOP, ph, str(names[1]) if len(names) > 1 else "y"))
    parts.append("</g>")
    return "\n".join(parts)


def _heat(grid: np.ndarray, gm: dict, ax, bx, ay, by) -> str:
    ny, nx = grid.shape
    dx = (gm["x1"] - gm["x0"]) / (nx - 1) if nx > 1 else 1.0
    dy = (gm["y1"] - gm["y0"]) / (ny - 1) if ny > 1 else 1.0
    left, right = ax * (gm["x0"] - dx / 2) + bx, ax * (gm["x1"] + dx / 2) + bx
    top, bottom = ay * (gm["y1"] + dy / 2) + by, ay * (gm["y0"] - dy / 2) + by
    png = base64.b64encode(grid_png(grid, gm)).decode("ascii")
    return (
        f'<image class="gd-static-heat" x="{left:.2f}" y="{top:.2f}" '
        f'width="{right - left:.2f}" height="{bottom - top:.2f}" preserveAspectRatio="none" '
        f'href="data:image/png;base64,{png}"/>'
    )


def _px(v: float) -> float:
    return LIMIT if v > LIMIT else -LIMIT if v < -LIMIT else v


def _path_d(xs, ys, ax, bx, ay, by) -> str:
    """SVG path data of one run: subpaths between non-finite points, near points merged."""
    out: list[str] = []
    pen = False
    last = (0.0, 0.0)
    pending = None
    for x, y in zip(xs, ys, strict=True):
        if not (math.isfinite(x) and math.isfinite(y)):
            if pending is not None:
                out.append(f"L{pending[0]:.2f},{pending[1]:.2f}")
            pen, pending = False, None
            continue
        p = (_px(ax * x + bx), _px(ay * y + by))
        if not pen:
            out.append(f"M{p[0]:.2f},{p[1]:.2f}")
            pen = True
        elif abs(p[0] - last[0]) + abs(p[1] - last[1]) < MERGE_PX:
            pending = p
            continue
        else:
            out.append(f"L{p[0]:.2f},{p[1]:.2f}")
        last, pending = p, None
    if pending is not None:
        out.append(f"L{pending[0]:.2f},{pending[1]:.2f}")
    return "".join(out)


def _style(runs: list, r: int) -> tuple[str, list, str]:
    run = runs[r] if r < len(runs) else {}
    return (
        str(run.get("color", "#4e79a7")),
        list(run.get("dash") or []),
        str(run.get("label", f"run {r}")),
    )


def _minima(meta: dict, ax, bx, ay, by) -> str:
    out = []
    globals_ = {tuple(p) for p in meta.get("global_minima") or []}
    for p in meta.get("minima") or []:
        if tuple(p) in globals_:
            continue
        x, y = ax * p[0] + bx, ay * p[1] + by
        d = f"M{x - 5:.1f},{y:.1f}H{x + 5:.1f}M{x:.1f},{y - 5:.1f}V{y + 5:.1f}"
        out.append(f'<path d="{d}" stroke="rgba(0,0,0,0.6)" stroke-width="3.5"/>')
        out.append(f'<path d="{d}" stroke="#fff" stroke-width="1.5"/>')
    for p in globals_:
        x, y = ax * p[0] + bx, ay * p[1] + by
        pts = []
        for k in range(10):
            a = -math.pi / 2 + k * math.pi / 5
            rad = 8 if k % 2 == 0 else 3.6
            pts.append(f"{x + rad * math.cos(a):.1f},{y + rad * math.sin(a):.1f}")
        out.append(
            f'<polygon class="gd-static-minimum" points="{" ".join(pts)}" fill="#ffd54a" '
            'stroke="rgba(0,0,0,0.75)" stroke-width="1.2"/>'
        )
    return "\n".join(out)


def _markers(snap: Snapshot, ax, bx, ay, by) -> str:
    out = []
    runs = snap.meta.get("runs", [])
    for r in range(snap.n_runs):
        colour, _dash, label = _style(runs, r)
        xs, ys = snap.xy[:, r, 0], snap.xy[:, r, 1]
        ok = np.flatnonzero(np.isfinite(xs) & np.isfinite(ys))
        if not ok.size:
            continue
        sx, sy = _px(ax * xs[ok[0]] + bx), _px(ay * ys[ok[0]] + by)
        out.append(
            f'<circle cx="{sx:.2f}" cy="{sy:.2f}" r="3.5" fill="rgba(255,255,255,0.85)" '
            f'stroke="{colour}" stroke-width="1.5"/>'
        )
        ex, ey = _px(ax * xs[ok[-1]] + bx), _px(ay * ys[ok[-1]] + by)
        status = snap.status[r]["status"] if r < len(snap.status) else ""
        if status == "diverged" or ok[-1] < len(xs) - 1:
            out.append(
                f'<path d="M{ex - 5:.1f},{ey - 5:.1f}L{ex + 5:.1f},{ey + 5:.1f}M{ex + 5:.1f},'
                f'{ey - 5:.1f}L{ex - 5:.1f},{ey + 5:.1f}" stroke="{colour}" stroke-width="2.5"/>'
            )
            continue
        out.append(
            f'<circle class="gd-static-marker" data-label="{escape(label)}" cx="{ex:.2f}" '
            f'cy="{ey:.2f}" r="5.5" fill="{colour}" stroke="#fff" stroke-width="2"/>'
        )
    return "\n".join(out)


# -- axes ----------------------------------------------------------------------------------
def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Round values (1, 2 or 5 times a power of ten apart) between ``lo`` and ``hi``."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return []
    raw = (hi - lo) / max(1, n)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step - 1e-9)
    out = []
    k = first
    while k * step <= hi + step * 1e-9:
        v = k * step
        out.append(0.0 if abs(v) < step * 1e-9 else v)
        k += 1
    return out


def _decades(lo: float, hi: float) -> list[float]:
    """Whole powers of ten (as exponents) in [lo, hi], at most about six."""
    a, b = math.ceil(lo - 1e-9), math.floor(hi + 1e-9)
    if b < a:
        return nice_ticks(lo, hi)
    every = max(1, math.ceil((b - a + 1) / 6))
    return [float(e) for e in range(a, b + 1) if e % every == 0]


def _fmt(v: float | None) -> str:
    if v is None or not math.isfinite(v):
        return "–"
    return f"{v:.3g}"


def _axis_x(lo, hi, left, y, width, name, log=False) -> str:
    out = []
    for v in nice_ticks(lo, hi):
        x = left + (v - lo) / (hi - lo) * width
        label = _fmt(10**v) if log else _fmt(v)
        out.append(f'<path d="M{x:.1f},{y}v4" stroke="#8a929a"/>')
        out.append(
            f'<text x="{x:.1f}" y="{y + 15}" text-anchor="middle" fill="#444">{label}</text>'
        )
    out.append(
        f'<text x="{left + width / 2:.1f}" y="{y + 30}" text-anchor="middle" fill="#1f2328">'
        f"{escape(name)}</text>"
    )
    return "\n".join(out)


def _axis_y(lo, hi, left, top, height, name, log=False) -> str:
    out = []
    for v in _decades(lo, hi) if log else nice_ticks(lo, hi):
        y = top + height - (v - lo) / (hi - lo) * height
        label = _fmt(10**v) if log else _fmt(v)
        out.append(f'<path d="M{left},{y:.1f}h-4" stroke="#8a929a"/>')
        out.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#444">{label}</text>'
        )
    cx, cy = left - 42, top + height / 2
    out.append(
        f'<text x="{cx}" y="{cy:.1f}" text-anchor="middle" fill="#1f2328" '
        f'transform="rotate(-90 {cx} {cy:.1f})">{escape(name)}</text>'
    )
    return "\n".join(out)


# -- the loss curves -----------------------------------------------------------------------
def _loss(snap: Snapshot, left: int) -> str:
    w, h = LOSS
    steps = snap.steps.astype(np.float64)
    finite = snap.loss[np.isfinite(snap.loss)]
    parts = [f'<g class="gd-static-loss" data-left="{left}" data-top="{TOP}">']
    parts.append(
        f'<rect x="{left}" y="{TOP}" width="{w}" height="{h}" fill="none" stroke="#8a929a"/>'
    )
    if not len(steps) or not finite.size:
        parts.append("</g>")
        return "\n".join(parts)
    wide = finite.max() > 1e3 * finite.min()
    log = bool(finite.min() > 0 and (snap.meta.get("log_scale") or wide))
    vals = np.log10(np.where(snap.loss > 0, snap.loss, np.nan)) if log else snap.loss
    fv = vals[np.isfinite(vals)]
    lo = float(fv.min())
    starts = vals[0][np.isfinite(vals[0])]
    hi = float(starts.max()) if starts.size else float(fv.max())
    hi = max(hi, float(np.percentile(fv, 95)))
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    pad = (hi - lo) * 0.05
    lo, hi = lo - pad, hi + pad
    s0, s1 = float(steps[0]), float(steps[-1])
    if s1 <= s0:
        s1 = s0 + 1
    ax, bx = w / (s1 - s0), left - s0 * w / (s1 - s0)
    ay, by = -h / (hi - lo), TOP + h + lo * h / (hi - lo)
    parts.append(
        f'<clipPath id="gd-clip-loss"><rect x="{left}" y="{TOP}" width="{w}" '
        f'height="{h}"/></clipPath><g clip-path="url(#gd-clip-loss)">'
    )
    runs = snap.meta.get("runs", [])
    for r in range(snap.n_runs):
        colour, dash, label = _style(runs, r)
        d = _path_d(steps, vals[:, r], ax, bx, ay, by)
        dash_attr = f' stroke-dasharray="{" ".join(map(str, dash))}"' if dash else ""
        parts.append(
            f'<path class="gd-static-loss-curve" data-label="{escape(label)}" d="{d}" '
            f'fill="none" stroke="{colour}" stroke-width="1.6"{dash_attr}/>'
        )
    parts.append("</g>")
    parts.append(_axis_x(s0, s1, left, TOP + h, w, "step"))
    parts.append(_axis_y(lo, hi, left, TOP, h, "loss (log)" if log else "loss", log=log))
    parts.append("</g>")
    return "\n".join(parts)


def _legend(snap: Snapshot, y: int) -> str:
    out = ['<g class="gd-static-legend">']
    runs = snap.meta.get("runs", [])
    for r in range(snap.n_runs):
        colour, dash, label = _style(runs, r)
        x = LEFT + (r % 4) * 190
        yy = y + (r // 4) * 18
        s = snap.status[r] if r < len(snap.status) else {}
        text = f"{label} · {s.get('status', '')}"
        if s.get("loss") is not None:
            text += f" · loss {_fmt(s['loss'])}"
        dash_attr = f' stroke-dasharray="{" ".join(map(str, dash))}"' if dash else ""
        out.append(f'<path d="M{x},{yy - 4}h18" stroke="{colour}" stroke-width="3"{dash_attr}/>')
        out.append(f'<text x="{x + 24}" y="{yy}" fill="#1f2328">{escape(text)}</text>')
    out.append("</g>")
    return "\n".join(out)


def with_picture(widget: Any, bundle: Any) -> Any:
    """``bundle`` (a widget's mime bundle: data, or ``(data, metadata)``) with the widget's
    static picture added as ``image/svg+xml``.

    Front ends with the widget's model draw the live view (their widget renderer ranks first);
    nbconvert's HTML exporter skips a widget view whose state was not saved and takes the next
    type it knows, this picture. Never raises: a picture that fails is left out (logged).
    """
    if bundle is None:
        return None
    data, metadata = bundle if isinstance(bundle, tuple) else (bundle, None)
    try:
        data = {**data, "image/svg+xml": static_svg(widget)}
    except NothingLogged:
        pass  # a monitor shown before its loop runs (the usual case): no picture yet
    except Exception:  # noqa: BLE001 - a picture must never break the widget's display
        logging.getLogger("gdwidget").warning("gdwidget: no static picture", exc_info=True)
    return data if metadata is None else (data, metadata)
