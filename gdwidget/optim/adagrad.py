"""Adagrad (Duchi et al. 2011), as torch.optim.Adagrad.

The arithmetic is written once, in :func:`_adagrad`; every executor is generated from it.
"""

from __future__ import annotations

from typing import Any

from ._rule import Rule
from .base import Optimizer, State
from .hyper import any_nonzero, hyper_value


def _adagrad(e: Any, a: Any, c: Any, sw: Any) -> dict[str, Any]:
    """One Adagrad update of one element (``c.clr``: the decayed rate)."""
    g = a.g + c.weight_decay * a.p if sw.decay else a.g
    s = a.s + g * g
    return {"s": s, "p": a.p - (c.clr * g) / (e.sqrt(s) + c.eps)}


RULE = Rule("adagrad", _adagrad, ("p", "g", "s"), ("weight_decay", "clr", "eps"))


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
        lr_decay = hyper_value("lr_decay", lr_decay, low=0.0)
        weight_decay = hyper_value("weight_decay", weight_decay, low=0.0)
        initial_accumulator_value = hyper_value(
            "initial_accumulator_value", initial_accumulator_value, low=0.0
        )
        eps = hyper_value("eps", eps, low=0.0)
        super().__init__(lr)
        self.lr_decay = lr_decay
        self.weight_decay = weight_decay
        self.initial_accumulator_value = initial_accumulator_value
        self.eps = eps
        self._sized()

    def _factory(self) -> Any:
        return adagrad

    def _init(self, params: Any, xp: Any) -> State:
        s = xp.zeros_like(params)
        init = self.initial_accumulator_value
        if isinstance(init, float):
            return {"sum": s + init}
        s[...] = xp.asarray(init.reshape((-1,) + (1,) * (len(params.shape) - 1)), dtype=s.dtype)
        return {"sum": s}

    rule = RULE

    def _parts(self, params: Any, grad: Any, state: State) -> tuple[dict, dict]:
        return {"p": params, "g": grad, "s": state["sum"]}, {
            "decay": any_nonzero(self.weight_decay)
        }

    def _coefs(self, lr: Any, state: State) -> dict[str, Any]:
        return {
            "weight_decay": self.weight_decay,
            "clr": lr / (1.0 + state["step"] * self.lr_decay),
            "eps": self.eps,
        }


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
