"""The view box, start and minima a user gives a Function: checked, with defaults."""

from __future__ import annotations

import math
from typing import Any

from .._checks import check_real

DEFAULT_HALF_WIDTH = 3.0


def point_of(name: str, p: Any, n: int) -> tuple[float, ...]:
    try:
        coords = [float(c) for c in p]
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{name} must be a point of {n} numbers, got {p!r}") from None
    if len(coords) != n or not all(math.isfinite(c) for c in coords):
        raise ValueError(f"{name} must be a point of {n} finite numbers, got {p!r}")
    return tuple(coords)


def points_of(name: str, pts: Any, n: int) -> list[tuple[float, ...]]:
    try:
        items = list(pts)
    except TypeError:
        raise ValueError(f"{name} must be a list of points, got {pts!r}") from None
    if items and all(isinstance(c, int | float) and not isinstance(c, bool) for c in items):
        items = [items]  # a single point
    return [point_of(f"{name}[{i}]", p, n) for i, p in enumerate(items)]


def bounds_of(bounds: Any, n: int) -> tuple[tuple[float, float], ...]:
    try:
        items = list(bounds)
    except TypeError:
        raise ValueError(f"bounds must be pairs (low, high), got {bounds!r}") from None
    if len(items) == 2 and all(
        isinstance(c, int | float) and not isinstance(c, bool) for c in items
    ):
        items = [items] * n  # one pair for every axis
    if len(items) != n:
        raise ValueError(
            f"bounds must have one (low, high) pair per parameter ({n}), got {bounds!r}"
        )
    out = []
    for i, pair in enumerate(items):
        try:
            lo, hi = pair
        except (TypeError, ValueError):
            raise ValueError(f"bounds[{i}] must be a pair (low, high), got {pair!r}") from None
        lo = check_real(f"bounds[{i}][0]", lo)
        hi = check_real(f"bounds[{i}][1]", hi)
        if not lo < hi:
            raise ValueError(f"bounds[{i}] must have low < high, got {pair!r}")
        out.append((lo, hi))
    return tuple(out)


def default_bounds(n: int, points: list[tuple[float, ...]]) -> tuple[tuple[float, float], ...]:
    out = []
    for i in range(n):
        half = max([DEFAULT_HALF_WIDTH] + [1.2 * abs(p[i]) for p in points])
        out.append((-half, half))
    return tuple(out)


def default_start(bounds: tuple[tuple[float, float], ...]) -> tuple[float, ...]:
    pts = (
        lo + 0.2 * (hi - lo) if i % 2 == 0 else hi - 0.2 * (hi - lo)
        for i, (lo, hi) in enumerate(bounds)
    )
    return tuple(float(f"{p:.12g}") for p in pts)  # -1.8, not -1.7999999999999998
