"""Learning-rate schedules: plain callables ``step -> lr``.

A schedule goes wherever an ``lr`` goes. ``schedule(0)`` is the rate of the first
update, ``schedule(1)`` the rate of the second, and so on, which is what a
PyTorch optimizer reads from ``param_groups[0]["lr"]`` after ``t`` calls of
``scheduler.step()``.

>>> import gdwidget as gd
>>> sched = gd.schedules.cosine(0.1, T_max=100)
>>> sched(0), sched(100)
(0.1, 0.0)

Where a schedule names a PyTorch scheduler it reproduces that scheduler's
arithmetic, including the recursive updates that PyTorch uses for
:class:`~torch.optim.lr_scheduler.StepLR`, ``ExponentialLR``, ``LinearLR`` and
``CosineAnnealingLR``, so the values agree with PyTorch's to the last bit rather
than to the closed form's rounding. ``warmup_cosine`` and ``join`` follow optax
(computed in float64).

Every numeric argument of a built-in schedule may be a 1-D array of one value per run
(``cosine(np.logspace(-3, -1, 50), T_max=100)``): the schedule then gives one rate per
run, each equal bit for bit to the scalar schedule of that run's arguments
(:class:`~gdwidget.schedules.per_run.PerRun`), and an optimizer given it has that many
runs.
"""

from __future__ import annotations

from .base import PEAK_STEPS, Schedule, as_schedule, constant, join, schedule_peak
from .decay import cosine, exponential, step
from .per_run import PerRun
from .warmup import linear_warmup, one_cycle, warmup_cosine

__all__ = [
    "PEAK_STEPS",
    "Schedule",
    "as_schedule",
    "constant",
    "step",
    "exponential",
    "cosine",
    "linear_warmup",
    "warmup_cosine",
    "one_cycle",
    "join",
    "schedule_peak",
    "PerRun",
]
