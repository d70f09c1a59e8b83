"""Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms")."""

from __future__ import annotations

from typing import Any

from ._rule import Rule
from .base import Optimizer, State
from .hyper import hyper_pair, hyper_value


def _lion(e: Any, a: Any, c: Any, sw: Any) -> dict[str, Any]:
    """One Lion update of one element (``c.decay = 1 - lr * weight_decay``)."""
    u = a.m * c.beta1 + a.g * c.one_minus_beta1
    return {
        "p": a.p * c.decay - c.lr * e.sign(u),
        "m": a.m * c.beta2 + c.one_minus_beta2 * a.g,
    }


RULE = Rule(
    "lion",
    _lion,
    ("p", "g", "m"),
    ("decay", "beta1", "one_minus_beta1", "beta2", "one_minus_beta2", "lr"),
)


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
        betas = hyper_pair("betas", betas)
        weight_decay = hyper_value("weight_decay", weight_decay, low=0.0)
        super().__init__(lr)
        self.betas = betas
        self.weight_decay = weight_decay
        self._sized()

    def _factory(self) -> Any:
        return lion

    def _init(self, params: Any, xp: Any) -> State:
        return {"exp_avg": xp.zeros_like(params)}

    rule = RULE

    def _parts(self, params: Any, grad: Any, state: State) -> tuple[dict, dict]:
        return {"p": params, "g": grad, "m": state["exp_avg"]}, {}

    def _coefs(self, lr: Any, state: State) -> dict[str, Any]:
        b1, b2 = self.betas
        return {
            "decay": 1.0 - lr * self.weight_decay,
            "beta1": b1,
            "one_minus_beta1": 1.0 - b1,
            "beta2": b2,
            "one_minus_beta2": 1.0 - b2,
            "lr": lr,
        }


def lion(
    lr: Any = 1e-4, betas: tuple[float, float] = (0.9, 0.99), weight_decay: float = 0.0
) -> Lion:
    """Lion, following the paper's reference code. See :class:`Lion` for the update rule."""
    return Lion(lr, betas=betas, weight_decay=weight_decay)
