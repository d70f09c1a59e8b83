"""The bounded history of evaluations keeps every bucket's extremes, and buckets made wider
to fit stay wider only for the steps they held (checked against every evaluation given)."""

from __future__ import annotations

import numpy as np

from gdwidget.stream.evals import EvalBuffer
from gdwidget.stream.m4 import bucket_width

KEYS = ["train_loss", "val_loss", "train_acc", "val_acc"]


def _extremes(steps: np.ndarray, values: np.ndarray, floor) -> tuple[np.ndarray, ...]:
    """Each bucket's first step and its values' smallest and largest (NaN ignored), with
    the buckets' widths from ``floor`` (steps increase, so each bucket's rows are together)."""
    bucket = steps // floor.at(steps) * floor.at(steps)
    starts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
    return bucket[starts], np.fmin.reduceat(values, starts), np.fmax.reduceat(values, starts)


def test_evaluations_keep_each_buckets_extremes_and_later_steps_their_columns():
    R, columns, every = 8, 240, 10
    rng = np.random.default_rng(3)
    # 60,000 evaluations of noise (eight runs and four keys: buckets must widen to fit),
    # then 140,000 that only fall (two rows a bucket: later thinnings fit at one column)
    noisy, calm = 60_000, 140_000
    steps = np.arange(noisy + calm, dtype=np.int64) * every
    values = np.empty((steps.size, len(KEYS), R), np.float32)
    values[:noisy] = rng.lognormal(size=(noisy, len(KEYS), R))
    values[noisy:] = np.linspace(1.0, 0.5, calm, dtype=np.float32)[:, None, None]
    values[12_345, 1, 3] = 1e6  # a spike and a NaN: both must survive
    values[23_456, 0, 5] = np.nan
    buf = EvalBuffer(R, KEYS, capacity=1024, columns=columns)
    for s in range(0, steps.size, 997):
        sl = slice(s, s + 997)
        buf.append({"step": steps[sl], **{k: values[sl, j] for j, k in enumerate(KEYS)}})

    held_steps, _, held = buf.rows()
    assert buf.n <= buf.capacity and buf.generation > 3
    # every bucket (each step's own width: the floor's where a thinning widened it) keeps
    # the smallest and the largest value of every key and run, as in all evaluations
    want = _extremes(steps, values.reshape(steps.size, -1), buf.floor)
    got = _extremes(held_steps, np.stack([held[k] for k in KEYS], 1).reshape(buf.n, -1), buf.floor)
    for w, g in zip(want, got, strict=True):
        np.testing.assert_array_equal(g, w)
    assert held["val_loss"][:, 3].max() == 1e6
    nan = np.flatnonzero(np.isnan(held["train_loss"][:, 5]))
    assert held_steps[nan].tolist() == [23_456 * every]
    assert held_steps[nan[0] - 1] == 23_455 * every and held_steps[nan[0] + 1] == 23_457 * every

    # the noisy steps needed buckets much wider than a column of the chart now; the calm
    # ones after them were thinned at one column again: every column keeps its rows
    base = bucket_width(int(held_steps[-1]), columns)
    assert max(buf.floor.widths) >= 8 * base
    late = steps[steps >= 1_800_000]
    held_late = held_steps[held_steps >= 1_800_000]
    assert np.array_equal(np.unique(held_late // base), np.unique(late // base))
