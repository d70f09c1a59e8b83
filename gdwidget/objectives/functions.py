"""Classic optimization test functions with exact gradients and Hessian-vector products.

Every function here is an :class:`~gdwidget.objectives.base.Objective`, made by a
factory of the same name (``gd.functions.rosenbrock()``), vectorized over runs:
``params`` of shape ``(n_runs, n_params)`` gives a loss ``(n_runs,)`` and a
gradient ``(n_runs, n_params)`` (a single point ``(n_params,)`` gives a 0-d loss
and an ``(n_params,)`` gradient). The array namespace is taken from the input and
only array-API-standard operations are used, so the same code runs on NumPy,
CuPy and any array-API library.

Each carries a default view box (``bounds``), a default start
(``default_start``), its global minima (``global_minima``, ``min_value``) and,
in ``minima``, the global minima followed by the classic local minima. Minima
known only to a few digits in the literature are refined to machine precision
with Newton's method when the function is made.

This module is the registry; the functions live in :mod:`.bowls` (valleys and
bowls) and :mod:`.multimodal` (many minima, saddles), their base class in
:mod:`.testfunction` and the array helpers in :mod:`.arrays`.

>>> import gdwidget as gd
>>> f = gd.functions.get("himmelblau")
>>> gd.functions.names()[:3]
['quadratic', 'rosenbrock', 'himmelblau']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._checks import check_choice
from .bowls import (
    Beale,
    Booth,
    Himmelblau,
    Matyas,
    Quadratic,
    Rosenbrock,
    beale,
    booth,
    himmelblau,
    matyas,
    quadratic,
    rosenbrock,
)
from .multimodal import (
    Ackley,
    GoldsteinPrice,
    MonkeySaddle,
    Rastrigin,
    Saddle,
    SixHumpCamel,
    StyblinskiTang,
    ThreeHumpCamel,
    ackley,
    goldstein_price,
    monkey_saddle,
    rastrigin,
    saddle,
    six_hump_camel,
    styblinski_tang,
    three_hump_camel,
)
from .testfunction import TestFunction

__all__ = [
    "TestFunction",
    "Quadratic",
    "Rosenbrock",
    "Himmelblau",
    "Beale",
    "Booth",
    "Matyas",
    "Rastrigin",
    "Ackley",
    "Saddle",
    "MonkeySaddle",
    "StyblinskiTang",
    "SixHumpCamel",
    "ThreeHumpCamel",
    "GoldsteinPrice",
    "get",
    "names",
    "quadratic",
    "rosenbrock",
    "himmelblau",
    "beale",
    "booth",
    "matyas",
    "rastrigin",
    "ackley",
    "saddle",
    "monkey_saddle",
    "styblinski_tang",
    "six_hump_camel",
    "three_hump_camel",
    "goldstein_price",
]

# ------------------------------------------------------------------------------- registry

_REGISTRY: dict[str, Callable[..., TestFunction]] = {
    "quadratic": quadratic,
    "rosenbrock": rosenbrock,
    "himmelblau": himmelblau,
    "beale": beale,
    "booth": booth,
    "matyas": matyas,
    "rastrigin": rastrigin,
    "ackley": ackley,
    "saddle": saddle,
    "monkey_saddle": monkey_saddle,
    "styblinski_tang": styblinski_tang,
    "six_hump_camel": six_hump_camel,
    "three_hump_camel": three_hump_camel,
    "goldstein_price": goldstein_price,
}


def names() -> list[str]:
    """Names of the built-in test functions, in a teaching order."""
    return list(_REGISTRY)


def get(name: str, **kwargs: Any) -> TestFunction:
    """The test function called ``name``, made with ``kwargs``.

    Case, spaces and hyphens are forgiven (``"Six-hump camel"``); an unknown name
    raises ``ValueError`` listing the close names.
    """
    key = (
        name.strip().lower().replace("-", "_").replace(" ", "_") if isinstance(name, str) else name
    )
    key = check_choice("function", key, _REGISTRY)
    try:
        return _REGISTRY[key](**kwargs)
    except TypeError as exc:  # an unexpected keyword
        raise ValueError(f"{key}(): {exc}") from None
