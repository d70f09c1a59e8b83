"""Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms")."""

from __future__ import annotations

from typing import Any

from .._checks import check_betas, check_real
from . import _fused
from .base import Optimizer, State


class Lion(Optimizer):
    r"""Lion: the sign of an interpolated momentum, with decoupled weight decay.

    .. math::

        \theta_{t-1} &\leftarrow (1 - \eta_t \lambda)\,\theta_{t-1} \\
        u_t &= \operatorname{sign}\!\big(\beta_1 m_{t-1} + (1 - \beta_1)\, g_t\big) \\
        \theta_t &= \theta_{t-1} - \eta_t\, u_t \\
        m_t &= \beta_2 m_{t-1} + (1 - \beta_2)\, g_t

    Every coordinate moves by exactly :math:`\eta_t` (or not at all where the
    interpolation is zero), so Lion wants a learning rate 3-10x smaller than Adam's.

    Parameters
    ----------
    lr : float or callable
        Learning rate :math:`\eta`, or a schedule ``step -> lr``.
    betas : (float, float)
        :math:`(\beta_1, \beta_2)`, each in :math:`[0, 1)`.
    weight_decay : float
        Decoupled weight decay :math:`\lambda \ge 0`.
    """

    name = "lion"
    hyper_names = ("betas", "weight_decay")

    def __init__(
        self, lr: Any = 1e-4, betas: tuple[float, float] = (0.9, 0.99), weight_decay: float = 0.0
    ) -> None:
        betas = check_betas(betas)
        weight_decay = check_real("weight_decay", weight_decay, low=0.0)
        super().__init__(lr)
        self.betas = betas
        self.weight_decay = weight_decay

    def _factory(self) -> Any:
        return lion

    def _init(self, params: Any, xp: Any) -> State:
        return {"exp_avg": xp.zeros_like(params)}

    def _update(
        self, params: Any, grad: Any, state: State, lr: float, xp: Any, hessian: Any
    ) -> None:
        b1, b2 = self.betas
        m = state["exp_avg"]
        decay = 1.0 - lr * self.weight_decay
        if _fused.usable(params, grad, m):
            _fused.lion(params, grad, m, lr=lr, b1=b1, b2=b2, decay=decay)
            return
        if self.weight_decay != 0.0:
            params *= decay
        u = m * b1
        u += grad * (1.0 - b1)
        params -= lr * xp.sign(u)
        m *= b2
        m += (1.0 - b2) * grad


def lion(
    lr: Any = 1e-4, betas: tuple[float, float] = (0.9, 0.99), weight_decay: float = 0.0
) -> Lion:
    """Lion, following the paper's reference code. See :class:`Lion` for the update rule."""
    return Lion(lr, betas=betas, weight_decay=weight_decay)
