"""Optimizers: each rule written once, array-agnostic, updating params and state in place.

Every factory takes ``torch.optim``'s hyperparameter names, defaults and semantics
(Lion and Sophia follow their papers). ``lr`` is a float or a schedule
(a callable ``step -> lr``).

>>> import gdwidget as gd
>>> opt = gd.optim.adam(0.05)
>>> state = opt.init(params)           # doctest: +SKIP
>>> opt.step(params, grad, state)      # doctest: +SKIP
"""

from .adagrad import Adagrad, adagrad
from .adam import Adam, adam, adamw
from .base import Optimizer, State
from .lion import Lion, lion
from .rmsprop import RMSprop, rmsprop
from .sgd import GD, SGD, gd, sgd
from .sophia import Sophia, sophia

__all__ = [
    "Optimizer",
    "State",
    "gd",
    "sgd",
    "adagrad",
    "rmsprop",
    "adam",
    "adamw",
    "lion",
    "sophia",
    "GD",
    "SGD",
    "Adagrad",
    "RMSprop",
    "Adam",
    "Lion",
    "Sophia",
]
