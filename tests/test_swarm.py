"""The start swarm (page control ``gd-swarm-*``, ``w.set_swarm``): every optimizer from the
starts of ``gd.classroom.swarm``, racing as ``gd.run`` from those starts does."""

from __future__ import annotations

import numpy as np
import pytest
from widget_helpers import make

import gdwidget as gd
from gdwidget.classroom import swarm
from gdwidget.live import picker
from gdwidget.live import protocol as p

pytestmark = pytest.mark.filterwarnings(
    "ignore:gdwidget's JavaScript bundle is missing", "ignore:gdwidget runs on the CPU"
)


def opts():
    return {"gd": gd.optim.sgd(0.01), "adam": gd.optim.adam(0.05)}


def same_as_run(w, objective, start, steps=30):
    w.step(steps)
    h = gd.run(objective, opts(), start, steps=steps, device="cpu")
    got = w.history
    assert got.labels == h.labels
    np.testing.assert_array_equal(got.loss, h.loss)
    np.testing.assert_array_equal(got.xy, h.params[:, :, :2])


def test_the_message_becomes_a_typed_command():
    assert p.parse({"type": "set_swarm", "n": 3}) == p.SetSwarm(3, "grid", 0)
    assert p.parse({"type": "set_swarm", "n": 2, "kind": "random", "seed": 7}) == p.SetSwarm(
        2, "random", 7
    )
    for bad in ({"n": 0}, {"n": 2.5}, {"n": True}, {"n": 3, "kind": "hex"}, {"n": 3, "seed": -1}):
        with pytest.raises(p.BadMessage):
            p.parse({"type": "set_swarm", **bad})


@pytest.mark.parametrize(("kind", "seed"), [("grid", 0), ("random", 5)])
def test_a_swarm_from_the_page_races_as_gd_run_from_the_swarms_starts(kind, seed):
    f = gd.functions.himmelblau()
    w, comm = make(f, opts(), start=(1.0, 1.0))
    w.step(4)
    comm.page_sends({"type": "set_swarm", "n": 3, "kind": kind, "seed": seed})
    assert w.picker["error"] == "" and w.t == 0
    starts = swarm(f, 3, kind, seed)
    assert w.run.n_runs == 2 * 9
    np.testing.assert_array_equal(w.run._starts, starts)
    # every group starts from every swarm point, in the swarm's order
    h0 = w.history
    np.testing.assert_array_equal(h0.xy[0], np.concatenate([starts, starts]))
    same_as_run(w, f, starts)
    w.close()


def test_n_1_goes_back_to_the_single_start():
    f = gd.functions.himmelblau()
    w, _ = make(f, opts())
    w.set_swarm(4, "random", seed=1)
    assert w.run.n_runs == 32
    w.set_swarm(1)
    assert w.run.labels == ["gd", "adam"] and w.t == 0
    np.testing.assert_array_equal(w.run._starts, [f.default_start])
    same_as_run(w, f, None)
    w.close()


@pytest.mark.parametrize(
    ("msg", "says"),
    [
        ({"n": 15}, "at most 400 runs"),
        ({"n": 0}, "n must be >= 1"),
        ({"n": "3"}, "n must be a number"),
        ({"n": 3, "kind": "hex"}, "'grid' or 'random'"),
    ],
)
def test_a_bad_swarm_says_why_and_changes_nothing(msg, says):
    f = gd.functions.himmelblau()
    w, comm = make(f, opts(), start=(1.0, 1.0))
    w.step(3)
    comm.page_sends({"type": "set_swarm", **msg})
    assert says in w.picker["error"], w.picker["error"]
    assert w.t == 3 and w.run.labels == ["gd", "adam"]
    w.close()


def test_the_python_method_refuses_alike():
    w, _ = make(gd.functions.himmelblau(), opts())
    for n, kind in ((15, "grid"), (0, "grid"), (2.0, "grid"), (2, "ring")):
        with pytest.raises(ValueError, match="400|n must|kind must"):
            w.set_swarm(n, kind)
    assert w.run.labels == ["gd", "adam"]
    assert w.picker["swarm_max_runs"] == picker.MAX_SWARM_RUNS
    w.close()
