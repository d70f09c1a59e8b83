"""Shared by the gd.plots tests: a race of three optimizers, a poll, a figure's curves."""

from __future__ import annotations

import time

import gdwidget as gd

RACE = {"gd": gd.optim.sgd(1e-3), "adam": gd.optim.adam(0.05), "rms": gd.optim.rmsprop(1e-2)}


def wait_for(cond, timeout: float = 20.0) -> bool:
    """Poll ``cond()`` until true or ``timeout`` seconds (a deadline, not a measurement)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.02)
    return bool(cond())


def lines_of(fig) -> dict[str, object]:
    """The figure's curve marks by label (band marks left out)."""
    import bqplot as bq

    return {
        m.labels[0]: m
        for m in fig.marks
        if isinstance(m, bq.Lines) and m.fill != "between" and m.labels
    }
