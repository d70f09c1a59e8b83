"""Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019), as torch.optim.Adam/AdamW."""

from __future__ import annotations

from typing import Any

from .._checks import check_betas, check_real
from . import _fused
from .base import Optimizer, State


class Adam(Optimizer):
    r"""Adam with bias correction, optional AMSGrad and coupled or decoupled weight decay.

    With :math:`t = 1, 2, \dots` and weight decay :math:`\lambda`:

    .. math::

        \theta_{t-1} &\leftarrow (1 - \eta_t \lambda)\,\theta_{t-1}
            \quad\text{(decoupled, AdamW)} \\
        g_t &\leftarrow g_t + \lambda\,\theta_{t-1}
            \quad\text{(coupled, Adam)} \\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1)\, g_t \\
        v_t &= \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2 \\
        \hat v_t &= \max(\hat v_{t-1}, v_t) \text{ (amsgrad)}, \quad v_t \text{ otherwise} \\
        \theta_t &= \theta_{t-1} - \frac{\eta_t}{1 - \beta_1^t}\,
            \frac{m_t}{\sqrt{\hat v_t} / \sqrt{1 - \beta_2^t} + \epsilon}

    :math:`\epsilon` is added after the bias correction of the denominator, as in
    PyTorch (not inside the square root), and the first moment is updated as
    PyTorch's ``lerp``: :math:`m \leftarrow m + (1 - \beta_1)(g - m)` for
    :math:`\beta_1 > 0.5`, :math:`m \leftarrow g - \beta_1 (g - m)` otherwise.

    Parameters
    ----------
    lr : float or callable
        Learning rate :math:`\eta`, or a schedule ``step -> lr``.
    betas : (float, float)
        :math:`(\beta_1, \beta_2)`, each in :math:`[0, 1)`.
    eps : float
        :math:`\epsilon \ge 0`.
    weight_decay : float
        :math:`\lambda \ge 0`.
    amsgrad : bool
        Normalize by the running maximum of :math:`v_t`.
    decoupled_weight_decay : bool
        Decay the parameters directly (AdamW) instead of adding :math:`\lambda\theta` to the
        gradient (Adam).
    """

    name = "adam"
    hyper_names = ("betas", "eps", "weight_decay", "amsgrad")

    def __init__(
        self,
        lr: Any = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        betas = check_betas(betas)
        eps = check_real("eps", eps, low=0.0)
        weight_decay = check_real("weight_decay", weight_decay, low=0.0)
        amsgrad = bool(amsgrad)
        super().__init__(lr)
        self.betas = betas
        self.eps = eps
        self.weight_decay = weight_decay
        self.amsgrad = amsgrad
        self.decoupled = bool(decoupled_weight_decay)
        if self.decoupled:
            self.name = "adamw"

    def _factory(self) -> Any:
        return adamw if self.decoupled else adam

    def _init(self, params: Any, xp: Any) -> State:
        state: State = {"exp_avg": xp.zeros_like(params), "exp_avg_sq": xp.zeros_like(params)}
        if self.amsgrad:
            state["max_exp_avg_sq"] = xp.zeros_like(params)
        return state

    def _update(
        self, params: Any, grad: Any, state: State, lr: float, xp: Any, hessian: Any
    ) -> None:
        b1, b2 = self.betas
        wd = self.weight_decay
        m, v = state["exp_avg"], state["exp_avg_sq"]
        vmax = state.get("max_exp_avg_sq")
        t = state["step"] + 1
        step_size = lr / (1.0 - b1**t)
        bc2_sqrt = (1.0 - b2**t) ** 0.5
        arrays = (params, grad, m, v) if vmax is None else (params, grad, m, v, vmax)
        if _fused.usable(*arrays):
            _fused.adam(
                params,
                grad,
                m,
                v,
                vmax,
                b1=b1,
                b2=b2,
                eps=self.eps,
                coupled_wd=0.0 if self.decoupled else wd,
                decay=1.0 - lr * wd if self.decoupled else 1.0,
                step_size=step_size,
                bc2_sqrt=bc2_sqrt,
            )
            return
        g = grad
        if wd != 0.0:
            if self.decoupled:
                params *= 1.0 - lr * wd
            else:
                g = g + wd * params
        w = 1.0 - b1
        if w < 0.5:
            m += w * (g - m)
        else:  # torch's lerp switches form for large weights; b1 = 0 gives m = g exactly
            m[...] = g - (g - m) * (1.0 - w)
        v *= b2
        v += (1.0 - b2) * g * g
        if vmax is not None:
            vmax[...] = xp.maximum(vmax, v)
            v = vmax
        denom = xp.sqrt(v)
        denom /= bc2_sqrt
        denom += self.eps
        params -= (step_size * m) / denom


def adam(
    lr: Any = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    amsgrad: bool = False,
) -> Adam:
    """Adam with coupled (L2) weight decay, as ``torch.optim.Adam``.

    See :class:`Adam` for the update rule.
    """
    return Adam(lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)


def adamw(
    lr: Any = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 1e-2,
    amsgrad: bool = False,
) -> Adam:
    """AdamW: Adam with decoupled weight decay, as ``torch.optim.AdamW``.

    See :class:`Adam` for the update rule.
    """
    return Adam(
        lr,
        betas=betas,
        eps=eps,
        weight_decay=weight_decay,
        amsgrad=amsgrad,
        decoupled_weight_decay=True,
    )
