"""Everything that has a loss and a gradient: test functions, user functions, models."""

from .base import Objective

__all__ = ["Objective"]
