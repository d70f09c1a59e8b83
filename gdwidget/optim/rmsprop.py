"""RMSprop (Hinton 2012), as torch.optim.RMSprop, including centered and momentum variants."""

from __future__ import annotations

from typing import Any

from ._rule import Rule
from .base import Optimizer, State
from .hyper import any_nonzero, hyper_value, kind, switch


def _rmsprop(e: Any, a: Any, c: Any, sw: Any) -> dict[str, Any]:
    """One RMSprop update of one element (``sw.momentum``: which runs have momentum)."""
    g = a.g + c.weight_decay * a.p if sw.decay else a.g
    out = {"sq": a.sq * c.alpha + c.one_minus_alpha * g * g}
    if sw.centered:
        ga = out["ga"] = a.ga + c.one_minus_alpha * (g - a.ga)
        avg = e.sqrt(out["sq"] - ga * ga) + c.eps
    else:
        avg = e.sqrt(out["sq"]) + c.eps
    plain = a.p - (c.lr * g) / avg
    if sw.momentum == "none":
        out["p"] = plain
        return out
    buf = out["buf"] = a.buf * c.momentum + g / avg
    out["p"] = a.p - c.lr * buf
    if sw.momentum == "mixed":
        out["p"] = e.where(c.momentum > 0.0, out["p"], plain)
    return out


RULE = Rule(
    "rmsprop",
    _rmsprop,
    ("p", "g", "sq", "ga", "buf"),
    ("weight_decay", "alpha", "one_minus_alpha", "eps", "momentum", "lr"),
)


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
        alpha = hyper_value("alpha", alpha, low=0.0, high=1.0)
        eps = hyper_value("eps", eps, low=0.0)
        weight_decay = hyper_value("weight_decay", weight_decay, low=0.0)
        momentum = hyper_value("momentum", momentum, low=0.0)
        centered = switch("centered", centered)
        super().__init__(lr)
        self.alpha = alpha
        self.eps = eps
        self.weight_decay = weight_decay
        self.momentum = momentum
        self.centered = centered
        self._sized()

    def _factory(self) -> Any:
        return rmsprop

    def _init(self, params: Any, xp: Any) -> State:
        state: State = {"square_avg": xp.zeros_like(params)}
        if any_nonzero(self.momentum):
            state["momentum_buffer"] = xp.zeros_like(params)
        if self.centered:
            state["grad_avg"] = xp.zeros_like(params)
        return state

    rule = RULE

    def _parts(self, params: Any, grad: Any, state: State) -> tuple[dict, dict]:
        buf = state.get("momentum_buffer")
        arrays = {"p": params, "g": grad, "sq": state["square_avg"]}
        arrays.update(ga=state.get("grad_avg"), buf=buf)
        switches = {
            "decay": any_nonzero(self.weight_decay),
            "centered": self.centered,
            "momentum": "none" if buf is None else kind(self.momentum, lambda m: m > 0.0),
        }
        return arrays, switches

    def _coefs(self, lr: Any, state: State) -> dict[str, Any]:
        return {
            "weight_decay": self.weight_decay,
            "alpha": self.alpha,
            "one_minus_alpha": 1.0 - self.alpha,
            "eps": self.eps,
            "momentum": self.momentum,
            "lr": lr,
        }


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
