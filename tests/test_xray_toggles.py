"""The X-ray's clip with the page's toggles and with per-run clips: equal, bit for bit, to
what it shows for the same clip built by hand with gd.chain."""

from __future__ import annotations

import numpy as np
import pytest
from widget_helpers import make

import gdwidget as gd
from gdwidget import transforms as gt
from gdwidget.live import xray
from gdwidget.live.source import EngineSource

pytestmark = pytest.mark.filterwarnings("ignore:gdwidget's JavaScript bundle is missing")

F = gd.functions.rosenbrock()
START = [[-1.2, 1.0], [0.5, -0.5]]


def _opts(clip=None):
    wrap = (lambda o: gd.chain(gt.clip_by_global_norm(clip), o)) if clip else (lambda o: o)
    return {"adam": wrap(gd.optim.adam(0.05)), "sgd": wrap(gd.optim.sgd(1e-3, momentum=0.9))}


def _same(got, want):
    assert got.keys() == want.keys()
    for k in got:
        np.testing.assert_array_equal(
            np.asarray(got[k], dtype=object), np.asarray(want[k], dtype=object), err_msg=k
        )


def test_a_clip_turned_on_from_the_page_shows_as_the_chained_clip():
    w, _ = make(F, _opts(), start=START)
    ref, _ = make(F, _opts(clip=1.0), start=START)
    try:
        for label in ("adam", "sgd"):
            w.set_clip(label, 1.0)
        w.step(7)
        ref.step(7)
        for run in ("adam[0]", "adam[1]", "sgd[0]", "sgd[1]"):
            got, want = w.internals(run), ref.internals(run)
            assert got["clip"] is not None
            _same(got, want)
        assert any(w.internals(r)["clip"] < 1 for r in ("adam[0]", "sgd[0]", "sgd[1]"))
    finally:
        w.close()
        ref.close()


def test_toggles_off_noise_only_and_clip_then_noise():
    w, _ = make(F, _opts(), start=START)
    try:
        w.set_clip("sgd", 0.5)
        w.step(2)
        clip_only = w.internals("sgd[0]")["clip"]
        g = np.asarray(w.internals("sgd[0]")["grad"])  # the plane is the parameters here
        assert clip_only == pytest.approx(min(1.0, 0.5 / (np.linalg.norm(g) + 1e-6)), rel=1e-12)
        w.set_noise("sgd", 0.1)  # noise after the clip: the clip's factor stays defined
        w.step(1)
        assert w.internals("sgd[0]")["clip"] is not None
        w.set_clip("sgd", None)  # noise alone: the gradient's change is random
        w.step(1)
        assert w.internals("sgd[0]")["clip"] is None
        w.set_noise("sgd", None)  # both off: no clip
        w.step(1)
        assert w.internals("sgd[0]")["clip"] is None
    finally:
        w.close()


def test_a_per_run_clip_shows_each_runs_own_factor():
    norms = np.array([0.5, 1e4, 5.0])
    group = EngineSource(
        "rosenbrock",
        {"c": gd.chain(gt.clip_by_global_norm(norms), gd.optim.gd(1e-3))},
        start=[-1.0, 1.5],
        device="cpu",
    )
    group.advance(3)
    for i, c in enumerate(norms):
        one = EngineSource(
            "rosenbrock",
            {"c": gd.chain(gt.clip_by_global_norm(c), gd.optim.gd(1e-3))},
            start=[-1.0, 1.5],
            device="cpu",
        )
        one.advance(3)
        got, want = xray.internals(group, f"c[{i}]"), xray.internals(one, "c")
        want["label"] = got["label"]
        _same(got, want)
    factors = [xray.internals(group, f"c[{i}]")["clip"] for i in range(3)]
    assert factors[0] < 1 and factors[1] == 1.0
