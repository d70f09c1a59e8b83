"""A per-run schedule whose rate turns bad for some runs stops those runs only; the group's
other runs go on, each equal to a run of its own."""

from __future__ import annotations

import numpy as np
import pytest

import gdwidget as gd

F = gd.functions.rosenbrock()
RATES = np.array([0.01, 0.02, 0.03, 0.04])
START = np.tile([-1.5, 2.0], (4, 1))


def bad_from(step: int, rows: list[int], value: float = np.nan):
    def schedule(t: int) -> np.ndarray:
        out = RATES.copy()
        if t >= step:
            out[rows] = value
        return out

    return schedule


@pytest.mark.parametrize("value", [np.nan, -1.0, np.inf])
def test_the_runs_with_a_bad_rate_stop_and_the_others_go_on(value: float) -> None:
    h = gd.run(F, {"adam": gd.optim.adam(bad_from(5, [2], value))}, start=START, steps=30)
    assert list(h.status) == ["running", "running", "stopped", "running"]
    assert h.notes[2] == f"the schedule of 'adam' gave lr[2]={value:g} at step 5"
    assert h.notes[0] is None
    for i in (0, 1, 3):
        alone = gd.run(F, {"a": gd.optim.adam(RATES[i])}, steps=30)
        assert np.array_equal(alone.params[:, 0], h.params[:, i]), i
        assert np.array_equal(alone.loss[:, 0], h.loss[:, i]), i
    alone = gd.run(F, {"a": gd.optim.adam(RATES[2])}, steps=5)
    # the stopped run keeps its last point and records no rate after it stopped
    assert (h.params[5:, 2] == alone.params[-1, 0]).all()
    assert np.isnan(h.lr[6:, 2]).all() and (h.lr[1:6, 2] == RATES[2]).all()


def test_runs_stop_one_by_one_and_every_bad_run_is_named() -> None:
    def schedule(t: int) -> np.ndarray:
        out = RATES.copy()
        if t >= 3:
            out[0] = -1.0
        if t >= 7:
            out[3] = np.nan
        return out

    h = gd.run(F, {"adam": gd.optim.adam(schedule)}, start=START, steps=12)
    assert list(h.status) == ["stopped", "running", "running", "stopped"]
    assert "lr[0]=-1 at step 3" in h.notes[0] and "lr[3]=nan at step 7" in h.notes[3]


def test_every_rate_bad_or_the_wrong_number_stops_the_whole_group() -> None:
    h = gd.run(F, {"adam": gd.optim.adam(bad_from(4, [0, 1, 2, 3]))}, start=START, steps=10)
    assert list(h.status) == ["stopped"] * 4
    h = gd.run(
        F,
        {"adam": gd.optim.adam(lambda t: RATES[:3] if t >= 2 else RATES)},
        start=START,
        steps=10,
    )
    assert list(h.status) == ["stopped"] * 4
    assert "gave 3 rates at step 2 for a group of 4 runs" in h.notes[0]
