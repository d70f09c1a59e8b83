"""RMSprop (Hinton 2012), as torch.optim.RMSprop, including centered and momentum variants."""

from __future__ import annotations

from typing import Any

from .._checks import check_real
from . import _fused
from .base import Optimizer, State


class RMSprop(Optimizer):
    r"""RMSprop: divide the gradient by a running root mean square.

    With smoothing :math:`\alpha`, weight decay :math:`\lambda` and momentum :math:`\mu`:

    .. math::

        g_t &\leftarrow g_t + \lambda\,\theta_{t-1} \\
        v_t &= \alpha\, v_{t-1} + (1 - \alpha)\, g_t^2 \\
        \bar g_t &= \alpha\, \bar g_{t-1} + (1 - \alpha)\, g_t
            \quad\text{(centered only)} \\
        d_t &= \begin{cases} \sqrt{v_t - \bar g_t^2} + \epsilon & \text{centered} \\
                             \sqrt{v_t} + \epsilon & \text{otherwise} \end{cases} \\
        b_t &= \mu\, b_{t-1} + g_t / d_t, \qquad
        \theta_t = \theta_{t-1} - \eta_t\, b_t \quad (\mu > 0) \\
        \theta_t &= \theta_{t-1} - \eta_t\, g_t / d_t \quad (\mu = 0)

    All buffers start at zero; :math:`\epsilon` is added outside the square root.

    Parameters
    ----------
    lr : float or callable
        Learning rate :math:`\eta`, or a schedule ``step -> lr``.
    alpha : float
        Smoothing constant :math:`\alpha \in [0, 1]`.
    eps : float
        :math:`\epsilon \ge 0`.
    weight_decay : float
        Coupled L2 penalty :math:`\lambda \ge 0`.
    momentum : float
        :math:`\mu \ge 0`.
    centered : bool
        Normalize by an estimate of the gradient's variance instead of its second moment.
    """

    name = "rmsprop"
    hyper_names = ("alpha", "eps", "weight_decay", "momentum", "centered")

    def __init__(
        self,
        lr: Any = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ) -> None:
        alpha = check_real("alpha", alpha, low=0.0, high=1.0)
        eps = check_real("eps", eps, low=0.0)
        weight_decay = check_real("weight_decay", weight_decay, low=0.0)
        momentum = check_real("momentum", momentum, low=0.0)
        centered = bool(centered)
        super().__init__(lr)
        self.alpha = alpha
        self.eps = eps
        self.weight_decay = weight_decay
        self.momentum = momentum
        self.centered = centered

    def _factory(self) -> Any:
        return rmsprop

    def _init(self, params: Any, xp: Any) -> State:
        state: State = {"square_avg": xp.zeros_like(params)}
        if self.momentum > 0.0:
            state["momentum_buffer"] = xp.zeros_like(params)
        if self.centered:
            state["grad_avg"] = xp.zeros_like(params)
        return state

    def _update(
        self, params: Any, grad: Any, state: State, lr: float, xp: Any, hessian: Any
    ) -> None:
        a = self.alpha
        sq = state["square_avg"]
        buf = state.get("momentum_buffer")
        ga = state.get("grad_avg")
        arrays = [x for x in (params, grad, sq, buf, ga) if x is not None]
        if _fused.usable(*arrays):
            _fused.rmsprop(
                params,
                grad,
                sq,
                buf,
                ga,
                lr=lr,
                alpha=a,
                eps=self.eps,
                weight_decay=self.weight_decay,
                momentum=self.momentum,
            )
            return
        g = grad
        if self.weight_decay != 0.0:
            g = g + self.weight_decay * params
        sq *= a
        sq += (1.0 - a) * g * g
        if ga is not None:
            ga += (1.0 - a) * (g - ga)
            avg = xp.sqrt(sq - ga * ga)
        else:
            avg = xp.sqrt(sq)
        avg += self.eps
        if buf is not None:
            buf *= self.momentum
            buf += g / avg
            params -= lr * buf
        else:
            params -= (lr * g) / avg


def rmsprop(
    lr: Any = 1e-2,
    alpha: float = 0.99,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    momentum: float = 0.0,
    centered: bool = False,
) -> RMSprop:
    """RMSprop, as ``torch.optim.RMSprop``. See :class:`RMSprop` for the update rule."""
    return RMSprop(
        lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum, centered=centered
    )
