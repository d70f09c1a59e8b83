"""Each classroom preset shows what its description claims, checked headless with gd.run
on the preset's own objective, optimizers and starts, within the preset's steps."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import gdwidget as gd
from gdwidget import classroom as P

pytestmark = pytest.mark.filterwarnings("ignore:gdwidget runs on the CPU")


def race(name: str, steps: int | None = None):
    s = P.setup(name)
    n = steps if steps is not None else P.get(name).steps
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        h = gd.run(s["objective"], s["optimizers"], s.get("start"), steps=n, device="cpu")
    return h, s


def col(h, label: str) -> int:
    return h.labels.index(label)


def test_at_least_eight_presets_each_with_a_line():
    names = gd.presets()
    assert len(names) >= 8
    assert all(isinstance(v, str) and 20 < len(v) and "\n" not in v for v in names.values())
    with pytest.raises(ValueError, match="unknown preset 'nope'.*ravine"):
        P.get("nope")


def test_lr_too_high_blows_up_and_the_good_rate_settles():
    h, _ = race("lr-too-high")
    hi, ok = col(h, "lr 0.25 (too high)"), col(h, "lr 0.15")
    assert h.blowup_step[hi] > 0 and h.loss[-1, hi] > 1e3 * h.loss[0, hi]
    assert np.all(np.diff(h.loss[5:, hi]) > 0)  # it grows every step
    assert h.loss[-1, ok] < 1e-4 * h.loss[0, ok]


def test_lr_too_low_barely_moves():
    h, _ = race("lr-too-low")
    lo, ok = col(h, "lr 0.0002 (too low)"), col(h, "lr 0.15")
    moved = np.linalg.norm(h.params[-1, lo] - h.params[0, lo])
    assert moved < 0.2 * np.linalg.norm(h.params[0, lo])
    assert h.loss[-1, lo] > 0.5 * h.loss[0, lo]
    assert h.loss[-1, ok] < 1e-10 * h.loss[0, ok]


def test_momentum_beats_plain_gd_in_the_ravine():
    h, _ = race("ravine")
    assert h.loss[-1, col(h, "momentum 0.8")] < 1e-3 * h.loss[-1, col(h, "gd")]
    assert h.loss[-1, col(h, "gd")] > 1e-3  # plain GD is still on the valley's floor


def test_noise_and_adam_escape_the_saddle_where_gd_lingers():
    h, _ = race("saddle")
    y = np.abs(h.params[-1, :, 1])
    assert y[col(h, "gd")] < 0.01 and abs(h.params[-1, col(h, "gd"), 0]) < 0.01
    assert y[col(h, "gd + noise")] > 1.0 and y[col(h, "adam")] > 1.0


def test_the_swarm_finds_the_global_and_a_local_minimum():
    h, s = race("local-vs-global")
    f = s["objective"]
    assert h.n_runs == 25
    ends = h.params[-1]
    dist_to = lambda q, i: np.linalg.norm(q - f.minima[i])  # noqa: E731
    which = [min(range(len(f.minima)), key=lambda i, q=q: dist_to(q, i)) for q in ends]
    dist = [np.linalg.norm(q - f.minima[i]) for q, i in zip(ends, which, strict=True)]
    assert max(dist) < 1e-3  # every start ends at a minimum
    assert 0 in which and any(i > 0 for i in which)  # the global one and a local one


def test_adam_l2_ends_at_the_regularized_minimum_and_adamw_shrinks_alike():
    h, _ = race("adamw-vs-adam")
    l2 = h.params[-1, col(h, "adam + L2 0.5")]
    w = h.params[-1, col(h, "adamw 0.5")]
    # argmin (x-2)^2 + 10 (y-2)^2 + 0.25 (x^2 + y^2): x = 4 / 2.5, y = 40 / 20.5
    np.testing.assert_allclose(l2, [1.6, 40 / 20.5], atol=0.02)
    assert abs(w[0] - w[1]) < 0.02 and np.linalg.norm(w - l2) > 0.3


def test_warmup_starts_small_and_cosine_ends_calm():
    h, _ = race("warmup-cosine")
    c, wc = col(h, "constant 0.05"), col(h, "warmup + cosine")
    step = np.linalg.norm(np.diff(h.params, axis=0), axis=2)
    assert step[:3, wc].sum() < 0.25 * step[:3, c].sum()  # the first steps are small
    assert h.loss[-20:, wc].mean() < 0.1 * h.loss[-20:, c].mean()
    assert h.lr[0, wc] == 0.0 and h.lr[-1, wc] < 1e-4


def test_lion_moves_every_coordinate_by_exactly_lr():
    h, _ = race("lion")
    d = np.abs(np.diff(h.params[:, col(h, "lion")], axis=0))
    np.testing.assert_allclose(d, 0.01, rtol=1e-9)
    assert np.abs(np.diff(h.params[:, col(h, "adam")], axis=0)).std() > 1e-3


def test_sophia_rides_the_valley_where_adam_crawls():
    h, _ = race("sophia")
    assert h.loss[-1, col(h, "sophia")] < 0.01 * h.loss[-1, col(h, "adam")]
    assert h.loss[-1, col(h, "sophia")] < 0.01


def test_every_preset_builds_a_playground_and_overrides_apply():
    from widget_helpers import make  # noqa: PLC0415

    for name in gd.presets():
        s = P.setup(name, speed=12.0)
        w, _ = make(
            **{k: v for k, v in s.items() if k not in ("objective", "optimizers")},
            objective=s["objective"],
            optimizers=s["optimizers"],
        )
        assert w.speed == 12.0 and w.run.n_runs >= 1
        w.step(3)
        assert w.history.steps[-1] == 3
        w.close()


def test_playground_preset_classmethod():
    w = gd.Playground.preset("ravine", device="cpu", speed=5.0)
    try:
        assert w.run.labels == ["gd", "momentum 0.8"] and w.speed == 5.0
        assert w.config()["controls"] == ["play", "pause", "step", "reset", "lr"]
    finally:
        w.close()


def test_swarm_grid_and_random():
    f = gd.functions.three_hump_camel()
    g = P.swarm(f, 3)
    assert g.shape == (9, 2) and g[0].tolist() == [-1.6, -1.6] and g[-1].tolist() == [1.6, 1.6]
    r = P.swarm(f, 4, "random", seed=1)
    assert r.shape == (16, 2) and np.all(np.abs(r) <= 2)
    with pytest.raises(ValueError, match="kind"):
        P.swarm(f, 3, "hex")
