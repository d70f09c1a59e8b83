"""What the engine needs from anything it can minimize.

Objectives are vectorized over runs: ``params`` is ``(n_runs, n_params)``; the
loss is ``(n_runs,)`` and the gradient ``(n_runs, n_params)``. They take the
array namespace from their input (NumPy, CuPy, array-API), so the engine can run
them on any device.
"""

from __future__ import annotations

from typing import Any

from ..backend import namespace_of


class Objective:
    """Base class for test functions, user functions and models on data.

    Subclasses implement :meth:`value_and_grad` (and :meth:`value` when a
    cheaper loss-only path exists); those with second-order information
    implement :meth:`hvp` and set ``has_hvp = True``.

    Attributes
    ----------
    name : str
    n_params : int
    bounds : tuple of (low, high) per parameter, or None
        The default view box of the landscape (2-D objectives).
    default_start : tuple of float, or None
    minima : list of tuple
        Known global minima (first) and classic local minima, as points.
    n_examples : int or None
        Number of training examples for objectives on data; ``None`` for
        closed-form functions. Such objectives accept ``batch=`` (an index array).
    """

    name: str = "objective"
    n_params: int = 2
    bounds: tuple[tuple[float, float], ...] | None = None
    default_start: tuple[float, ...] | None = None
    minima: list[tuple[float, ...]] = []
    global_minima: list[tuple[float, ...]] = []
    min_value: float | None = None
    log_scale: bool = False  # landscape colours on a log scale (wide ranges)
    n_examples: int | None = None
    has_hvp: bool = False

    def value(self, params: Any, batch: Any = None) -> Any:
        return self.value_and_grad(params, batch)[0]

    def value_and_grad(self, params: Any, batch: Any = None) -> tuple[Any, Any]:
        raise NotImplementedError

    def hvp(self, params: Any, v: Any) -> Any:
        """Hessian-vector product, one per run: ``(n_runs, n_params)``."""
        raise NotImplementedError(f"{self.name} has no Hessian-vector product")

    def hess_diag(self, params: Any) -> Any:
        """Exact Hessian diagonal from ``n_params`` HVPs with unit vectors (small problems)."""
        xp = namespace_of(params)
        out = xp.zeros_like(params)
        for i in range(params.shape[-1]):
            e = xp.zeros_like(params)
            e[..., i] = 1.0
            out[..., i] = self.hvp(params, e)[..., i]
        return out

    def __call__(self, params: Any) -> Any:
        return self.value(params)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} n_params={self.n_params}>"
