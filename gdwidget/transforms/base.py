"""The base of every gradient transform: ``init``, ``apply`` in place, and the description,
per-run settings and rows that chains, legends and per-run groups read."""

from __future__ import annotations

import copy
import inspect
from typing import Any

import numpy as np

from ..optim.base import State
from ..optim.hyper import runs_of, show

__all__ = ["GradientTransform"]


class GradientTransform:
    """Base class: ``init(params) -> state`` and ``apply(grad, state, params)`` in place.

    ``apply`` receives a private copy of the gradient (see :class:`~gdwidget.transforms.Chain`),
    which it may overwrite; it must not change ``params``.
    """

    name: str = "transform"

    def init(self, params: Any) -> State:
        return {}

    def apply(self, grad: Any, state: State, params: Any) -> None:
        raise NotImplementedError

    def describe(self, changed_only: bool = False) -> str:
        """A short text such as ``clip_by_global_norm(max_norm=1.0)``.

        ``changed_only=True`` leaves out the arguments that have their default value.
        """
        hyper = self._hyper()
        if changed_only:
            defaults = {
                k: p.default
                for k, p in inspect.signature(type(self).__init__).parameters.items()
                if p.default is not inspect.Parameter.empty
            }
            hyper = {
                k: v
                for k, v in hyper.items()
                if isinstance(v, np.ndarray) or k not in defaults or defaults[k] != v
            }
        args = ", ".join(
            f"{k}={show(v) if isinstance(v, np.ndarray) else repr(v)}" for k, v in hyper.items()
        )
        return f"{self.name}({args})"

    def _hyper(self) -> dict[str, Any]:
        return {}

    @property
    def n_runs(self) -> int | None:
        """How many runs the per-run settings give; None if all are numbers."""
        return runs_of(self._hyper())

    def row(self, i: int) -> GradientTransform:
        """A copy of this transform with run ``i``'s settings (numbers, not arrays)."""
        out = copy.copy(self)
        for k, v in self._hyper().items():
            if isinstance(v, np.ndarray):
                setattr(out, k, v[i].item())
        return out

    def __repr__(self) -> str:
        return self.describe()
