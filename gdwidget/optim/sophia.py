"""Sophia (Liu et al. 2023, "Sophia: A Scalable Stochastic Second-order Optimizer"), SophiaG."""

from __future__ import annotations

from typing import Any

from .._checks import check_choice, check_int
from ..backend import Random, namespace_of
from ..objectives.base import Objective
from ._rule import Rule
from .base import Optimizer, State
from .hyper import hyper_pair, hyper_value


def _sophia(e: Any, a: Any, c: Any, sw: Any) -> dict[str, Any]:
    """One SophiaG update of one element (``sw.refresh``: a Hessian estimate is given)."""
    m = a.m * c.beta1 + c.one_minus_beta1 * a.g
    out = {"m": m}
    h = out["h"] = a.h * c.beta2 + c.one_minus_beta2 * a.h_hat if sw.refresh else a.h
    ratio = m / e.maximum(c.rho * h, c.eps)  # clip(rho * h, min=eps); NaN stays NaN
    out["p"] = a.p * c.decay - c.lr * e.minimum(e.maximum(ratio, -1.0), 1.0)
    return out


RULE = Rule(
    "sophia",
    _sophia,
    ("p", "g", "m", "h", "h_hat"),
    ("decay", "beta1", "one_minus_beta1", "beta2", "one_minus_beta2", "rho", "eps", "lr"),
)

ESTIMATORS = ("auto", "exact", "hutchinson", "gnb")


class Sophia(Optimizer):
    r"""Sophia: momentum preconditioned by a clipped, slowly refreshed Hessian diagonal.

    Every ``k`` steps the engine computes a Hessian-diagonal estimate :math:`\hat h_t`
    with :meth:`estimate_hessian` and passes it to :meth:`step`; on the other steps
    :math:`h` is unchanged.

    .. math::

        \theta_{t-1} &\leftarrow (1 - \eta_t \lambda)\,\theta_{t-1} \\
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1)\, g_t \\
        h_t &= \begin{cases} \beta_2 h_{t-k} + (1 - \beta_2)\, \hat h_t
                    & \text{on estimate steps} \\
                 h_{t-1} & \text{otherwise} \end{cases} \\
        \theta_t &= \theta_{t-1} - \eta_t\,
            \operatorname{clip}\!\left(\frac{m_t}{\max(\rho\, h_t,\ \epsilon)},\ -1,\ 1\right)

    Where the curvature is negative or tiny the denominator is :math:`\epsilon` and
    the step becomes a sign step of size :math:`\eta_t` (as Lion).

    Parameters
    ----------
    lr : float or callable
        Learning rate :math:`\eta`, or a schedule ``step -> lr``.
    betas : (float, float)
        :math:`\beta_1` (gradient EMA) and :math:`\beta_2` (Hessian EMA), in :math:`[0, 1)`.
    rho : float
        Clipping scale :math:`\rho \ge 0` (the paper's :math:`\gamma`).
    weight_decay : float
        Decoupled weight decay :math:`\lambda \ge 0`.
    eps : float
        :math:`\epsilon > 0`, the floor of the denominator.
    k : int
        Refresh the Hessian estimate every ``k`` steps (on steps 0, k, 2k, ...).
    estimator : {"auto", "exact", "hutchinson", "gnb"}
        ``"exact"``: ``objective.hess_diag``. ``"hutchinson"``: :math:`u \odot H u`
        with Rademacher :math:`u` (needs ``objective.hvp``). ``"gnb"``: the
        Gauss-Newton-Bartlett estimate ``objective.gnb_hessian_diag(params, rng)``
        of models on data. ``"auto"``: gnb when the objective provides it, else
        hutchinson when it has a Hessian-vector product.
    seed : int
        Seed of the random vectors (hutchinson, gnb); kept in the state, so equal
        seeds give equal runs.
    """

    name = "sophia"
    hyper_names = ("betas", "rho", "weight_decay", "eps", "k", "estimator", "seed")

    def __init__(
        self,
        lr: Any = 1e-4,
        betas: tuple[float, float] = (0.965, 0.99),
        rho: float = 0.04,
        weight_decay: float = 1e-1,
        eps: float = 1e-15,
        k: int = 10,
        estimator: str = "auto",
        seed: int = 0,
    ) -> None:
        betas = hyper_pair("betas", betas)
        rho = hyper_value("rho", rho, low=0.0)
        weight_decay = hyper_value("weight_decay", weight_decay, low=0.0)
        eps = hyper_value("eps", eps, low=0.0, low_open=True)
        k = check_int("k", k, low=1)
        estimator = check_choice("estimator", estimator, ESTIMATORS)
        seed = check_int("seed", seed, low=0)
        super().__init__(lr)
        self.betas = betas
        self.rho = rho
        self.weight_decay = weight_decay
        self.eps = eps
        self.k = k
        self.estimator = estimator
        self.seed = seed
        self._sized()

    @property
    def hessian_every(self) -> int:  # type: ignore[override]
        """Every ``k`` steps: the Hessian estimate's period is the hyperparameter ``k``."""
        return self.k

    def _factory(self) -> Any:
        return sophia

    def _init(self, params: Any, xp: Any) -> State:
        return {
            "exp_avg": xp.zeros_like(params),
            "hessian": xp.zeros_like(params),
            "rng": Random(xp, self.seed),
        }

    # -- Hessian estimates ------------------------------------------------------------
    def resolve_estimator(self, objective: Any) -> str:
        """The estimator used for ``objective`` (resolves ``"auto"``); raises if unusable."""
        name = getattr(objective, "name", type(objective).__name__)
        est = self.estimator
        has_gnb = callable(getattr(objective, "gnb_hessian_diag", None))
        has_hvp = bool(getattr(objective, "has_hvp", False))
        if est == "auto":
            if has_gnb:
                return "gnb"
            if has_hvp:
                return "hutchinson"
            raise ValueError(
                f"sophia estimator='auto' found no Hessian information on objective {name!r}: "
                "it has neither gnb_hessian_diag(params, rng) nor a Hessian-vector product "
                "(has_hvp=True). Give the objective an hvp, or use another optimizer."
            )
        if est == "gnb" and not has_gnb:
            raise ValueError(
                f"sophia estimator='gnb' needs objective.gnb_hessian_diag(params, rng), "
                f"which objective {name!r} does not provide (models on data do); "
                "use estimator='hutchinson' or 'exact'"
            )
        if est == "hutchinson" and not has_hvp:
            raise ValueError(
                f"sophia estimator='hutchinson' needs a Hessian-vector product, and objective "
                f"{name!r} has none (has_hvp is False)"
            )
        if est == "exact" and not (has_hvp or _own_hess_diag(objective)):
            raise ValueError(
                f"sophia estimator='exact' needs objective.hess_diag; objective {name!r} has none"
            )
        return est

    def estimate_hessian(self, objective: Any, params: Any, state: State, batch: Any = None) -> Any:
        """A Hessian-diagonal estimate at ``params``, shaped like ``params``.

        The engine calls this on steps where ``state["step"] % k == 0`` and passes
        the result to :meth:`step` as ``hessian=``. ``batch`` (objectives on data)
        is the mini-batch of the current gradient; the estimate uses the same
        examples, as in the paper. ``None`` means all examples.
        """
        est = self.resolve_estimator(objective)
        on_batch = {} if batch is None else {"batch": batch}
        if est == "exact":
            return objective.hess_diag(params)
        rng = state["rng"]
        if est == "gnb":
            return objective.gnb_hessian_diag(params, rng, **on_batch)
        u = rng.rademacher(tuple(params.shape), params.dtype)
        return u * objective.hvp(params, u, **on_batch)

    # -- the rule ---------------------------------------------------------------------
    def _update(
        self, params: Any, grad: Any, state: State, lr: float, xp: Any, hessian: Any
    ) -> None:
        b1, b2 = self.betas
        m, h = state["exp_avg"], state["hessian"]
        if hessian is not None and (
            namespace_of(hessian) is not xp or tuple(hessian.shape) != tuple(h.shape)
        ):
            raise ValueError(
                f"hessian must be an array shaped like params {tuple(h.shape)} in the "
                f"same namespace, got {type(hessian).__name__} of shape "
                f"{tuple(getattr(hessian, 'shape', ()))}"
            )
        coefs = {
            "decay": 1.0 - lr * self.weight_decay,
            "beta1": b1,
            "one_minus_beta1": 1.0 - b1,
            "beta2": b2,
            "one_minus_beta2": 1.0 - b2,
            "rho": self.rho,
            "eps": self.eps,
            "lr": lr,
        }
        arrays = {"p": params, "g": grad, "m": m, "h": h, "h_hat": hessian}
        RULE.apply(arrays, coefs, refresh=hessian is not None)


def _own_hess_diag(objective: Any) -> bool:
    """True if ``objective`` has a ``hess_diag`` that does not rely on the default HVP loop."""
    if not callable(getattr(objective, "hess_diag", None)):
        return False
    return getattr(type(objective), "hess_diag", None) is not Objective.hess_diag


def sophia(
    lr: Any = 1e-4,
    betas: tuple[float, float] = (0.965, 0.99),
    rho: float = 0.04,
    weight_decay: float = 1e-1,
    eps: float = 1e-15,
    k: int = 10,
    estimator: str = "auto",
    seed: int = 0,
) -> Sophia:
    """SophiaG, following the paper. See :class:`Sophia` for the update rule."""
    return Sophia(
        lr,
        betas=betas,
        rho=rho,
        weight_decay=weight_decay,
        eps=eps,
        k=k,
        estimator=estimator,
        seed=seed,
    )
