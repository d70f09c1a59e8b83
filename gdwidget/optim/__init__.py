"""Optimizers: each rule written once, array-agnostic, updating params and state in place."""

from .base import Optimizer

__all__ = ["Optimizer"]
