"""The engine's copies of the optimizer states (engine/_rollback.py): one flat buffer for
the arrays, and a step undone from them exactly, also when a step replaces a leaf."""

from __future__ import annotations

import numpy as np
import pytest

import gdwidget as gd
from gdwidget.engine import Run
from gdwidget.engine._rollback import Snapshots, copy_tree
from gdwidget.engine.results import ObjectiveError


def _tree():
    shared = np.arange(3.0)
    base = np.arange(8.0)
    return {
        "a": {
            "step": 3,
            "m": np.full((2, 2), -0.0),
            "v": np.array(np.linspace(0, 1, 4).reshape(2, 2)),
        },
        "b": [np.arange(5, dtype=np.float32), {"k": np.ones(1), "view": base[2:5]}],
        "shared": [shared, shared],  # one array held twice stays one array
        "empty": np.zeros((0, 2)),
        "none": None,
    }


def _equal(x, y) -> bool:
    if isinstance(x, dict):
        return x.keys() == y.keys() and all(_equal(x[k], y[k]) for k in x)
    if isinstance(x, list):
        return len(x) == len(y) and all(_equal(a, b) for a, b in zip(x, y, strict=True))
    if isinstance(x, np.ndarray):
        return x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes()
    return x == y


def test_the_arrays_move_into_one_buffer_with_their_values_and_sharing_kept():
    tree = _tree()
    before = copy_tree(tree)
    Snapshots(tree)
    assert _equal(tree, before)
    homed = [tree["a"]["m"], tree["a"]["v"], tree["b"][1]["k"]]
    assert all(a.base is homed[0].base and a.base is not None for a in homed)
    assert tree["b"][0].base is None  # float32: not the common dtype
    assert tree["b"][1]["view"].base is not None and tree["shared"][0] is tree["shared"][1]
    assert all(a.flags.c_contiguous and a.flags.writeable for a in homed)


def test_a_new_snapshots_of_the_same_tree_takes_over_its_arrays():
    tree = _tree()
    first = Snapshots(tree)
    tree["a"]["new"] = np.full(3, 2.0)  # a buffer added later (as set_hyper does)
    before = copy_tree(tree)
    second = Snapshots(tree)
    assert _equal(tree, before)
    assert tree["a"]["m"].base is tree["a"]["new"].base is second._flat
    assert first._flat is not second._flat
    saved = second.save()
    tree["a"]["m"][0, 0] = 9.0
    second.restore(saved)
    assert _equal(tree, before)


def test_restore_undoes_changes_in_place_and_replaced_leaves():
    tree = _tree()
    snaps = Snapshots(tree)
    before = copy_tree(tree)
    saved = snaps.save()
    tree["a"]["m"] += 5.0
    tree["a"]["step"] = 4
    tree["b"][0][:] = 7
    tree["b"][1]["k"] = np.array([9.0])  # another object in a homed leaf's place
    tree["shared"][0][0] = 42.0
    snaps.restore(saved)
    assert _equal(tree, before)
    # the replaced leaf turns saving to one leaf at a time; it still undoes exactly
    tree["b"][1]["k"] = np.array([9.0])
    saved = snaps.save()
    after_replace = copy_tree(tree)
    tree["a"]["v"] *= 3.0
    tree["b"][1]["k"][0] = -1.0
    snaps.restore(saved)
    assert _equal(tree, after_replace)


class _RaisesAt:
    """Rosenbrock whose ``at``-th value_and_grad call raises ZeroDivisionError."""

    def __init__(self, at):
        self.f = gd.functions.rosenbrock()
        self.at, self.calls = at, 0

    def __getattr__(self, name):
        return getattr(self.f, name)

    def value_and_grad(self, p, batch=None):
        self.calls += 1
        if self.calls == self.at:
            raise ZeroDivisionError("x")
        return self.f.value_and_grad(p)


@pytest.mark.parametrize("fused", ["1", "0"])
def test_a_failed_step_then_continuing_equals_an_uninterrupted_run(monkeypatch, fused):
    monkeypatch.setenv("GDWIDGET_FUSED", fused)

    def race():
        return {
            "adam": gd.optim.adam(1e-2),
            "momentum": gd.optim.sgd(1e-3, momentum=0.9, nesterov=True),
            "rmsprop": gd.optim.rmsprop(1e-3, centered=True),
        }

    ref = Run(gd.functions.rosenbrock(), race(), device="cpu")
    ref.reset()
    want = ref.advance(60)
    r = Run(gd.functions.rosenbrock(), race(), device="cpu")
    r.reset()
    first = r.advance(20)
    r.objective = _RaisesAt(3)  # the third step of the next call raises
    with pytest.raises(ObjectiveError) as info:
        r.advance(40)
    assert r.t == 22 and len(info.value.chunk) == 2
    rest = r.advance(38)
    got = np.concatenate([first.params, info.value.chunk.params, rest.params])
    np.testing.assert_array_equal(got, want.params)
    for label in ref.states:
        assert _equal(ref.states[label], r.states[label])
