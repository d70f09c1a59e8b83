"""Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019), as torch.optim.Adam/AdamW.

The arithmetic is written once, in :func:`_adam` (per element) and :meth:`Adam._coefs`
(per run, on the host); every executor is generated from it (:mod:`gdwidget.optim._rule`).
"""

from __future__ import annotations

from typing import Any

from ._rule import Rule
from .base import Optimizer, State
from .hyper import any_nonzero, hyper_pair, hyper_value, kind, power, switch


def _adam(e: Any, a: Any, c: Any, sw: Any) -> dict[str, Any]:
    """One Adam update of one element."""
    p, g = a.p, a.g
    if sw.decoupled:
        p = p * c.decay
    elif sw.decay:
        g = g + c.weight_decay * p
    # torch's lerp(m, g, w) takes one of two forms by the weight w = 1 - beta1
    small = a.m + c.w * (g - a.m)
    large = g - (g - a.m) * c.one_minus_w
    m = (
        e.where(c.w < 0.5, small, large)
        if sw.lerp == "mixed"
        else {"small": small, "large": large}[sw.lerp]
    )
    v = a.v * c.beta2 + c.one_minus_beta2 * g * g
    out = {"m": m, "v": v}
    if sw.amsgrad:
        v = out["vmax"] = e.maximum(a.vmax, v)
    denom = e.sqrt(v) / c.bc2_sqrt + c.eps
    out["p"] = p - (c.step_size * m) / denom
    return out


RULE = Rule(
    "adam",
    _adam,
    ("p", "g", "m", "v", "vmax"),
    (
        "decay",
        "weight_decay",
        "w",
        "one_minus_w",
        "beta2",
        "one_minus_beta2",
        "bc2_sqrt",
        "eps",
        "step_size",
    ),
)


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

    Every number (each beta too) may be a 1-D array of one value per run.
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
        betas = hyper_pair("betas", betas)
        eps = hyper_value("eps", eps, low=0.0)
        weight_decay = hyper_value("weight_decay", weight_decay, low=0.0)
        amsgrad = switch("amsgrad", amsgrad)
        super().__init__(lr)
        self.betas = betas
        self.eps = eps
        self.weight_decay = weight_decay
        self.amsgrad = amsgrad
        self.decoupled = switch("decoupled_weight_decay", decoupled_weight_decay)
        if self.decoupled:
            self.name = "adamw"
        self._sized()

    def _factory(self) -> Any:
        return adamw if self.decoupled else adam

    def _init(self, params: Any, xp: Any) -> State:
        state: State = {"exp_avg": xp.zeros_like(params), "exp_avg_sq": xp.zeros_like(params)}
        if self.amsgrad:
            state["max_exp_avg_sq"] = xp.zeros_like(params)
        return state

    rule = RULE

    def _coefs(self, lr: Any, state: State) -> dict[str, Any]:
        """This update's coefficients, per run where the settings are (host, float64)."""
        b1, b2 = self.betas
        t = state["step"] + 1
        w = 1.0 - b1
        return {
            "decay": 1.0 - lr * self.weight_decay,
            "weight_decay": self.weight_decay,
            "w": w,
            "one_minus_w": 1.0 - w,
            "beta2": b2,
            "one_minus_beta2": 1.0 - b2,
            "bc2_sqrt": power(1.0 - power(b2, t), 0.5),
            "eps": self.eps,
            "step_size": lr / (1.0 - power(b1, t)),
        }

    def _parts(self, params: Any, grad: Any, state: State) -> tuple[dict, dict]:
        arrays = {"p": params, "g": grad, "m": state["exp_avg"], "v": state["exp_avg_sq"]}
        arrays["vmax"] = state.get("max_exp_avg_sq")
        switches = {
            "decoupled": self.decoupled and any_nonzero(self.weight_decay),
            "decay": any_nonzero(self.weight_decay),
            "lerp": {"all": "small", "none": "large"}.get(
                kind(1.0 - self.betas[0], _small), "mixed"
            ),
            "amsgrad": self.amsgrad,
        }
        return arrays, switches


def _small(w: Any) -> Any:
    return w < 0.5


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
