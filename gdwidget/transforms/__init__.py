"""Gradient transforms, composed in front of any optimizer with :func:`chain`.

A transform changes the gradient before the optimizer sees it: clipping, noise.
Like the optimizers, each works on ``(n_runs, n_params)`` arrays of any array
namespace, and anything that reduces does so over the last axis: every run is
clipped by its own norm.

Their numeric settings may be one value per run, as an optimizer's hyperparameters
(:mod:`gdwidget.optim.hyper`, same checks): ``clip_by_global_norm(np.logspace(-1, 1, 50))``
in a chain makes 50 runs in one group, each clipped as a chain with its own value would.

The base class is in ``base.py``, the clip and noise transforms in ``clip_noise.py`` and
the chain in ``chaining.py``; every name is importable from here.

>>> import gdwidget as gd
>>> opt = gd.chain(gd.transforms.clip_by_global_norm(1.0), gd.optim.sgd(0.1, momentum=0.9))
"""

from .base import GradientTransform
from .chaining import Chain, chain
from .clip_noise import (  # noqa: F401 - the classes too, not in __all__ (from_config's names)
    AddNoise,
    ClipByGlobalNorm,
    ClipByValue,
    Toggles,
    add_noise,
    clip_by_global_norm,
    clip_by_value,
    toggles,
)

__all__ = [
    "GradientTransform",
    "Chain",
    "clip_by_global_norm",
    "clip_by_value",
    "add_noise",
    "chain",
    "Toggles",
    "toggles",
]
