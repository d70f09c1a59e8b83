"""Plain gradient descent and stochastic gradient descent with momentum (torch.optim.SGD)."""

from __future__ import annotations

from typing import Any

from .._checks import check_real
from . import _fused
from .base import Optimizer, State


class GD(Optimizer):
    r"""Plain gradient descent.

    .. math::

        \theta_t = \theta_{t-1} - \eta_t\, g_t

    Parameters
    ----------
    lr : float or callable
        Learning rate :math:`\eta`, or a schedule ``step -> lr``.
    """

    name = "gd"

    def __init__(self, lr: Any) -> None:
        super().__init__(lr)

    def _factory(self) -> Any:
        return gd

    def _update(
        self, params: Any, grad: Any, state: State, lr: float, xp: Any, hessian: Any
    ) -> None:
        if _fused.usable(params, grad):
            _fused.sgd(
                params,
                grad,
                None,
                lr=lr,
                weight_decay=0.0,
                momentum=0.0,
                dampening=0.0,
                nesterov=False,
                first=False,
            )
            return
        params -= lr * grad


class SGD(Optimizer):
    r"""Stochastic gradient descent with optional momentum, as ``torch.optim.SGD``.

    With gradient :math:`g_t`, weight decay :math:`\lambda`, momentum :math:`\mu`
    and dampening :math:`\tau`:

    .. math::

        g_t &\leftarrow g_t + \lambda\,\theta_{t-1} \\
        b_t &= \begin{cases} g_t & t = 1 \\
                             \mu\, b_{t-1} + (1 - \tau)\, g_t & t > 1 \end{cases} \\
        g_t &\leftarrow \begin{cases} g_t + \mu\, b_t & \text{nesterov} \\
                                      b_t & \text{otherwise} \end{cases}
              \quad (\text{when } \mu \neq 0) \\
        \theta_t &= \theta_{t-1} - \eta_t\, g_t

    As in PyTorch, the momentum buffer is the (decayed) gradient itself on the
    first step, without dampening.

    Parameters
    ----------
    lr : float or callable
        Learning rate :math:`\eta`, or a schedule ``step -> lr``.
    momentum : float
        Momentum factor :math:`\mu \ge 0`.
    dampening : float
        Dampening :math:`\tau \in [0, 1]` of the gradient in the momentum buffer.
    weight_decay : float
        Coupled L2 penalty :math:`\lambda \ge 0` added to the gradient.
    nesterov : bool
        Nesterov momentum; needs ``momentum > 0`` and ``dampening == 0``.
    """

    name = "sgd"
    hyper_names = ("momentum", "dampening", "weight_decay", "nesterov")

    def __init__(
        self,
        lr: Any = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        momentum = check_real("momentum", momentum, low=0.0)
        dampening = check_real("dampening", dampening, low=0.0, high=1.0)
        weight_decay = check_real("weight_decay", weight_decay, low=0.0)
        nesterov = bool(nesterov)
        if nesterov and (momentum <= 0.0 or dampening != 0.0):
            raise ValueError(
                "nesterov=True requires momentum > 0 and dampening == 0, "
                f"got momentum={momentum!r}, dampening={dampening!r}"
            )
        super().__init__(lr)
        self.momentum = momentum
        self.dampening = dampening
        self.weight_decay = weight_decay
        self.nesterov = nesterov

    def _factory(self) -> Any:
        return sgd

    def _init(self, params: Any, xp: Any) -> State:
        if self.momentum == 0.0:
            return {}
        return {"momentum_buffer": xp.zeros_like(params)}

    def _update(
        self, params: Any, grad: Any, state: State, lr: float, xp: Any, hessian: Any
    ) -> None:
        mu, wd = self.momentum, self.weight_decay
        buf = state.get("momentum_buffer")
        first = state["step"] == 0
        arrays = (params, grad) if buf is None else (params, grad, buf)
        if _fused.usable(*arrays):
            _fused.sgd(
                params,
                grad,
                buf,
                lr=lr,
                weight_decay=wd,
                momentum=mu,
                dampening=self.dampening,
                nesterov=self.nesterov,
                first=first,
            )
            return
        g = grad
        if wd != 0.0:
            g = g + wd * params
        if mu != 0.0:
            if first:
                buf[...] = g
            else:
                buf *= mu
                buf += (1.0 - self.dampening) * g
            g = g + mu * buf if self.nesterov else buf
        params -= lr * g


def gd(lr: Any) -> GD:
    """Plain gradient descent, ``theta -= lr * grad``. See :class:`GD`."""
    return GD(lr)


def sgd(
    lr: Any = 1e-3,
    momentum: float = 0.0,
    dampening: float = 0.0,
    weight_decay: float = 0.0,
    nesterov: bool = False,
) -> SGD:
    """SGD with momentum, dampening, weight decay and Nesterov, as ``torch.optim.SGD``.

    See :class:`SGD` for the update rule.
    """
    return SGD(
        lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov
    )
