"""Learning rates of a :class:`~gdwidget.engine.Run`: set, scaled, computed and checked.

Each group's rate of update ``t`` is computed once (``Optimizer.checked_lr_at``) and handed
to the optimizer's step: a float, or an array of one rate per run of the group (a per-run
``lr``, or a schedule that returns one rate per run). A schedule that gives a negative, NaN,
infinite or non-numeric rate, or raises, stops its group's runs (status "stopped", with a
note naming the optimizer and the step); the other groups go on. A per-run schedule whose
rate is bad for some runs only stops those runs, and the group's other runs go on.

The errors are kept by group label (the whole group stopped) or by ``(label, row)`` (one run
of the group stopped).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import check_real
from ..optim.base import LRError, Optimizer, check_lr
from .results import RUNNING, STOPPED


class Rates:
    """The learning-rate half of :class:`~gdwidget.engine.Run` (its state is the Run's)."""

    # -- controls ----------------------------------------------------------------------
    def set_lr(self, group: str, value: Any) -> None:
        """Set optimizer ``group``'s learning rate from the next step, and its scale to 1.

        A number sets a constant rate; a schedule (a callable ``step -> lr``) replaces
        the schedule. A value whose rate at the next step is not a number >= 0 raises
        ValueError and changes nothing.
        """
        opt = self._group(group)
        value = check_lr(value)
        self._change_lr(group, opt, value, 1.0)

    def scale_lr(self, group: str, factor: float) -> None:
        """Multiply optimizer ``group``'s rate or schedule by ``factor`` from the next step.

        Sets ``lr_scale`` (not cumulative: ``scale_lr(g, 2)`` twice still doubles the
        rate once); ``set_lr`` puts it back to 1. ``factor`` must be finite and > 0.
        """
        opt = self._group(group)
        factor = check_real("factor", factor, low=0.0, low_open=True)
        self._change_lr(group, opt, opt.lr, factor)

    def _group_lr(self, label: str, opt: Optimizer, t: int) -> Any:
        """The group's checked rate of update ``t``: a float, or one per row of the group.

        Raises LRError; with ``rows`` set when only those rows' rates are bad."""
        try:
            lr = opt.checked_lr_at(t)
        except LRError as exc:
            if exc.rows is not None and not self._sized(label, exc.rates, t, strict=False):
                raise LRError(str(exc)) from None  # the wrong number of rates: the group
            raise
        if isinstance(lr, np.ndarray):
            self._sized(label, lr, t)
        return lr

    def _sized(self, label: str, lr: np.ndarray, t: int, strict: bool = True) -> bool:
        sl = self.slices[label]
        if lr.shape == (sl.stop - sl.start,):
            return True
        if not strict:
            return False
        raise LRError(
            f"gave {lr.shape[0]} rates at step {t} for a group of {sl.stop - sl.start} runs"
        )

    def _change_lr(self, group: str, opt: Optimizer, lr: Any, scale: float) -> None:
        old = (opt.lr, opt.lr_scale)
        opt.lr, opt.lr_scale = lr, scale
        if group not in self._group_error:
            try:
                self._group_lr(group, opt, self.t)
            except LRError as exc:
                opt.lr, opt.lr_scale = old
                raise ValueError(f"the new learning rate of {group!r} {exc}") from None
        self._rates = None  # the next step computes the rates again

    # -- per step ------------------------------------------------------------------------
    def _compute_rates(
        self, t: int, errors: dict[str, str], before: dict[str, float | None] | None
    ) -> tuple[dict[str, float | None], dict[str, str]]:
        """Each group's rate of update ``t`` (None for a stopped group), and the groups'
        errors including the schedules that fail now. Changes nothing.

        ``before``: the rates of the previous update, if nothing changed them since; a
        constant rate is taken from there."""
        rates: dict[str, float | None] = {}
        errors = dict(errors)
        for label, opt in self.optimizers.items():
            rates[label] = None
            if label in errors:
                continue
            if before is not None and before[label] is not None and not callable(opt.lr):
                rates[label] = before[label]  # a constant rate, checked when it was set
                continue
            try:
                rates[label] = self._group_lr(label, opt, t)
            except LRError as exc:
                if exc.rows is None:
                    errors[label] = f"the schedule of {label!r} {exc}"
                    continue
                rates[label] = exc.rates  # the runs with a bad rate stop; the others go on
                for i in exc.rows.tolist():
                    errors.setdefault(
                        (label, i),
                        f"the schedule of {label!r} gave lr[{i}]={exc.values[i]:g} at step {t}",
                    )
        return rates, errors

    def _stop_groups(self, status: Any, stop: Any, errors: dict[str, str], t: int) -> Any:
        """``status`` and ``stop`` with the running runs of the ``errors`` groups stopped at t."""
        if not errors:
            return status, stop
        xp = self.xp
        mask = np.zeros(self.n_runs, dtype=bool)
        for key in errors:
            if isinstance(key, tuple):  # one run of the group
                mask[self.slices[key[0]].start + key[1]] = True
            else:
                mask[self.slices[key]] = True
        now = xp.asarray(mask) & (status == RUNNING)
        status = xp.where(now, xp.asarray(STOPPED, dtype=status.dtype), status)
        stop = xp.where(now, xp.asarray(t, dtype=stop.dtype), stop)
        return status, stop

    def _rates_for(self, t: int) -> tuple[dict[str, float | None], np.ndarray]:
        """The rates of update ``t``, computed once (a failing schedule stops its group),
        and as a row per run."""
        last = self._rates
        if last is not None:
            if last[0] == t:
                return last[1], last[2]
            if last[1] is self._steady_rates:  # every rate constant, none stopped
                self._rates = (t, last[1], last[2])
                return last[1], last[2]
        before = None if last is None else last[1]
        rates, errors = self._compute_rates(t, self._group_error, before)
        new = {k: v for k, v in errors.items() if k not in self._group_error}
        self._status, self._stop_step = self._stop_groups(self._status, self._stop_step, new, t)
        self._group_error = errors
        same = before is not None and all(rates[k] is before[k] for k in rates)
        # constant rates: the row of the last update again (it is copied where it is kept)
        self._rates = (t, rates, self._rates[2] if same else self._lr_row(rates, errors))
        if not errors and all(
            lr is not None and not callable(opt.lr)
            for opt, lr in zip(self.optimizers.values(), rates.values(), strict=True)
        ):
            # nothing changes these rates until the settings do, between advance calls
            self._steady_rates = rates
        return self._rates[1], self._rates[2]

    def _lr_row(self, rates: dict[str, Any], errors: Any = ()) -> np.ndarray:
        """The rates as a row per run; NaN for a stopped group, or a run stopped by its rate."""
        row = np.empty(self.n_runs)
        for label, lr in rates.items():
            row[self.slices[label]] = np.nan if lr is None else lr
        for key in errors:
            if isinstance(key, tuple):
                row[self.slices[key[0]].start + key[1]] = np.nan
        return row
