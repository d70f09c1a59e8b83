"""Decays that reproduce PyTorch's schedulers bit for bit: ``step``, ``exponential``, ``cosine``."""

from __future__ import annotations

import math

from .._checks import check_int, check_real
from .base import Schedule, _Recursive
from .per_run import per_run


class _Step(_Recursive):
    _name = "step"

    def __init__(self, lr: float, step_size: int, gamma: float) -> None:
        self.lr = check_real("lr", lr, low=0.0, low_open=True)
        self.step_size = check_int("step_size", step_size, low=1)
        self.gamma = check_real("gamma", gamma, low=0.0, low_open=True)
        self._args = {"lr": self.lr, "step_size": self.step_size, "gamma": self.gamma}
        super().__init__()

    def _first(self) -> float:
        return self.lr

    def _next(self, t: int, prev: float) -> float:
        return prev if t % self.step_size else prev * self.gamma

    @property
    def peak(self) -> float:
        return self.lr if self.gamma <= 1.0 else math.inf


def step(lr: float, step_size: int, gamma: float = 0.1) -> Schedule:
    """Decay by ``gamma`` every ``step_size`` steps (PyTorch ``StepLR``).

    :math:`\\eta_t = \\eta\\,\\gamma^{\\lfloor t / s \\rfloor}`, computed as PyTorch
    does, by multiplying the previous rate by ``gamma`` at each multiple of ``s``.
    """
    return per_run("step", _Step, lr=lr, step_size=step_size, gamma=gamma)


class _Exponential(_Recursive):
    _name = "exponential"

    def __init__(self, lr: float, gamma: float) -> None:
        self.lr = check_real("lr", lr, low=0.0, low_open=True)
        self.gamma = check_real("gamma", gamma, low=0.0, low_open=True)
        self._args = {"lr": self.lr, "gamma": self.gamma}
        super().__init__()

    def _first(self) -> float:
        return self.lr

    def _next(self, t: int, prev: float) -> float:
        return prev * self.gamma

    @property
    def peak(self) -> float:
        return self.lr if self.gamma <= 1.0 else math.inf


def exponential(lr: float, gamma: float) -> Schedule:
    """Multiply the rate by ``gamma`` every step (PyTorch ``ExponentialLR``).

    :math:`\\eta_t = \\eta\\,\\gamma^t`, computed recursively as PyTorch does.
    """
    return per_run("exponential", _Exponential, lr=lr, gamma=gamma)


class _Cosine(_Recursive):
    _name = "cosine"

    def __init__(self, lr: float, T_max: int, eta_min: float) -> None:
        self.lr = check_real("lr", lr, low=0.0, low_open=True)
        self.T_max = check_int("T_max", T_max, low=1)
        self.eta_min = check_real("eta_min", eta_min, low=0.0)
        self._args = {"lr": self.lr, "T_max": self.T_max, "eta_min": self.eta_min}
        super().__init__()

    def _first(self) -> float:
        return self.lr

    def _next(self, t: int, prev: float) -> float:
        T, lo = self.T_max, self.eta_min
        if (t - 1 - T) % (2 * T) == 0:
            # the ratio below is 0/0 here (the previous step sat at the bottom of the cosine)
            return prev + (self.lr - lo) * (1 - math.cos(math.pi / T)) / 2
        return (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T)) * (
            prev - lo
        ) + lo

    @property
    def peak(self) -> float:  # the cosine swings between lr and eta_min
        return max(self.lr, self.eta_min)


def cosine(lr: float, T_max: int, eta_min: float = 0.0) -> Schedule:
    """Cosine annealing from ``lr`` to ``eta_min`` in ``T_max`` steps (``CosineAnnealingLR``).

    In exact arithmetic

    .. math:: \\eta_t = \\eta_{min} + \\tfrac12(\\eta - \\eta_{min})(1 + \\cos(\\pi t / T_{max})),

    which keeps following the cosine beyond ``T_max`` (back up to ``lr`` at
    ``2 T_max``; there is no restart and no clamp). The values are computed with
    PyTorch's recursive update, so they equal PyTorch's at every step, within
    ``T_max`` and beyond it.
    """
    return per_run("cosine", _Cosine, lr=lr, T_max=T_max, eta_min=eta_min)
