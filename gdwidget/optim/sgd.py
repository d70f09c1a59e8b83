"""Plain gradient descent and stochastic gradient descent with momentum (torch.optim.SGD).

The arithmetic of both is written once, in :func:`_sgd`; every executor (NumPy and other
array namespaces, numba, CUDA) is generated from it (see :mod:`gdwidget.optim._rule`).
"""

from __future__ import annotations

from typing import Any

from ._rule import Rule
from .base import Optimizer, State
from .hyper import any_nonzero, hyper_value, kind, switch


def _sgd(e: Any, a: Any, c: Any, sw: Any) -> dict[str, Any]:
    """One SGD update of one element (``sw.momentum``: which runs have momentum)."""
    g = a.g + c.weight_decay * a.p if sw.decay else a.g
    if sw.momentum == "none":
        return {"p": a.p - c.lr * g}
    buf = g if sw.first else a.buf * c.momentum + c.one_minus_dampening * g
    step = g + c.momentum * buf if sw.nesterov else buf
    if sw.momentum == "mixed":  # runs without momentum step along the gradient itself
        step = e.where(c.momentum != 0.0, step, g)
    return {"p": a.p - c.lr * step, "buf": buf}


RULE = Rule(
    "sgd", _sgd, ("p", "g", "buf"), ("lr", "weight_decay", "momentum", "one_minus_dampening")
)


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
        self._sized()

    def _factory(self) -> Any:
        return gd

    rule = RULE

    def _parts(self, params: Any, grad: Any, state: State) -> tuple[dict, dict]:
        return {"p": params, "g": grad}, {"decay": False, "momentum": "none"}

    def _coefs(self, lr: Any, state: State) -> dict[str, Any]:
        return {"lr": lr}


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
    momentum : float or array
        Momentum factor :math:`\mu \ge 0`.
    dampening : float or array
        Dampening :math:`\tau \in [0, 1]` of the gradient in the momentum buffer.
    weight_decay : float or array
        Coupled L2 penalty :math:`\lambda \ge 0` added to the gradient.
    nesterov : bool
        Nesterov momentum; needs ``momentum > 0`` and ``dampening == 0`` (in every run).

    Every number may be a 1-D array of one value per run (see :mod:`gdwidget.optim.base`).
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
        momentum = hyper_value("momentum", momentum, low=0.0)
        dampening = hyper_value("dampening", dampening, low=0.0, high=1.0)
        weight_decay = hyper_value("weight_decay", weight_decay, low=0.0)
        nesterov = switch("nesterov", nesterov)
        if nesterov and (kind(momentum, lambda m: m > 0.0) != "all" or any_nonzero(dampening)):
            raise ValueError(
                "nesterov=True requires momentum > 0 and dampening == 0, "
                f"got momentum={momentum!r}, dampening={dampening!r}"
            )
        super().__init__(lr)
        self.momentum = momentum
        self.dampening = dampening
        self.weight_decay = weight_decay
        self.nesterov = nesterov
        self._sized()

    def _factory(self) -> Any:
        return sgd

    def _init(self, params: Any, xp: Any) -> State:
        if not any_nonzero(self.momentum):
            return {}
        return {"momentum_buffer": xp.zeros_like(params)}

    rule = RULE

    def _parts(self, params: Any, grad: Any, state: State) -> tuple[dict, dict]:
        buf = state.get("momentum_buffer")
        switches = {
            "decay": any_nonzero(self.weight_decay),
            "momentum": "none" if buf is None else kind(self.momentum, lambda m: m != 0.0),
            "nesterov": self.nesterov,
            "first": state["step"] == 0,
        }
        return {"p": params, "g": grad, "buf": buf}, switches

    def _coefs(self, lr: Any, state: State) -> dict[str, Any]:
        return {
            "lr": lr,
            "weight_decay": self.weight_decay,
            "momentum": self.momentum,
            "one_minus_dampening": 1.0 - self.dampening,
        }


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
