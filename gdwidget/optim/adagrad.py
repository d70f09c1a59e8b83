"""Adagrad (Duchi et al. 2011), as torch.optim.Adagrad."""

from __future__ import annotations

from typing import Any

from .._checks import check_real
from . import _fused
from .base import Optimizer, State


class Adagrad(Optimizer):
    r"""Adagrad: per-coordinate step sizes from the sum of squared gradients.

    With weight decay :math:`\lambda`, learning-rate decay :math:`\delta` and
    :math:`t = 1, 2, \dots`:

    .. math::

        g_t &\leftarrow g_t + \lambda\,\theta_{t-1} \\
        \tilde\eta_t &= \frac{\eta_t}{1 + (t - 1)\,\delta} \\
        s_t &= s_{t-1} + g_t^2, \qquad s_0 = \text{initial\_accumulator\_value} \\
        \theta_t &= \theta_{t-1} - \tilde\eta_t\, \frac{g_t}{\sqrt{s_t} + \epsilon}

    Parameters
    ----------
    lr : float or callable
        Learning rate :math:`\eta`, or a schedule ``step -> lr``.
    lr_decay : float
        :math:`\delta \ge 0`.
    weight_decay : float
        Coupled L2 penalty :math:`\lambda \ge 0`.
    initial_accumulator_value : float
        Starting value of the sum of squares, :math:`\ge 0`.
    eps : float
        :math:`\epsilon \ge 0`, added outside the square root.
    """

    name = "adagrad"
    hyper_names = ("lr_decay", "weight_decay", "initial_accumulator_value", "eps")

    def __init__(
        self,
        lr: Any = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
    ) -> None:
        lr_decay = check_real("lr_decay", lr_decay, low=0.0)
        weight_decay = check_real("weight_decay", weight_decay, low=0.0)
        initial_accumulator_value = check_real(
            "initial_accumulator_value", initial_accumulator_value, low=0.0
        )
        eps = check_real("eps", eps, low=0.0)
        super().__init__(lr)
        self.lr_decay = lr_decay
        self.weight_decay = weight_decay
        self.initial_accumulator_value = initial_accumulator_value
        self.eps = eps

    def _factory(self) -> Any:
        return adagrad

    def _init(self, params: Any, xp: Any) -> State:
        return {"sum": xp.full_like(params, self.initial_accumulator_value)}

    def _update(
        self, params: Any, grad: Any, state: State, lr: float, xp: Any, hessian: Any
    ) -> None:
        s = state["sum"]
        clr = lr / (1.0 + state["step"] * self.lr_decay)
        if _fused.usable(params, grad, s):
            _fused.adagrad(params, grad, s, clr=clr, weight_decay=self.weight_decay, eps=self.eps)
            return
        g = grad
        if self.weight_decay != 0.0:
            g = g + self.weight_decay * params
        s += g * g
        std = xp.sqrt(s)
        std += self.eps
        params -= (clr * g) / std


def adagrad(
    lr: Any = 1e-2,
    lr_decay: float = 0.0,
    weight_decay: float = 0.0,
    initial_accumulator_value: float = 0.0,
    eps: float = 1e-10,
) -> Adagrad:
    """Adagrad, as ``torch.optim.Adagrad``. See :class:`Adagrad` for the update rule."""
    return Adagrad(
        lr,
        lr_decay=lr_decay,
        weight_decay=weight_decay,
        initial_accumulator_value=initial_accumulator_value,
        eps=eps,
    )
