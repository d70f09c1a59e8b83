"""Toggles per optimizer group (clip, noise, weight decay): the next steps equal a hand-built
gd.chain continued from the same state, bit for bit; the clipped steps are recorded; time
travel stays exact; bad input changes nothing."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from widget_helpers import make

import gdwidget as gd
from gdwidget import transforms as gt
from gdwidget.engine._rollback import copy_tree
from gdwidget.live import protocol as p
from gdwidget.live import toggles
from gdwidget.live.source import EngineSource

pytestmark = pytest.mark.filterwarnings("ignore:gdwidget's JavaScript bundle is missing")

START = [[-1.0, 1.5], [0.9, 0.8]]
CLIP = 0.5
SIGMA = 0.3

FAMILIES = {
    "sgd": gd.optim.sgd(1e-3, momentum=0.9),
    "rmsprop": gd.optim.rmsprop(1e-2, centered=True),
    "adagrad": gd.optim.adagrad(0.1),
    "adam": gd.optim.adam(0.05, amsgrad=True),
    "adamw": gd.optim.adamw(0.05),
    "lion": gd.optim.lion(0.01),
    "sophia": gd.optim.sophia(0.05, k=3),
    "chained": gd.chain(gt.clip_by_value(50.0), gd.optim.sgd(1e-3)),
}


def source(opt):
    return EngineSource("rosenbrock", {"o": copy.deepcopy(opt)}, start=START, device="cpu")


def reference(opt, transforms, state):
    """``gd.chain(*transforms, opt)`` restored to ``state`` of the plain optimizer."""
    ref = source(gd.chain(*transforms, copy.deepcopy(opt)) if transforms else opt)
    state = copy_tree(state)
    if transforms:
        inner = state["states"]["o"]
        block = np.asarray(state["params"])
        own = [t.init(block) for t in transforms]
        state["states"]["o"] = {"step": inner["step"], "transforms": own, "inner": inner}
    ref.run.restore(state)
    return ref


def inner_state(run):
    st = run.states["o"]
    return st["inner"] if "transforms" in st and isinstance(st["transforms"][0], dict) else st


def assert_same(got, want):
    np.testing.assert_array_equal(np.asarray(got.run.params), np.asarray(want.run.params))
    a, b = inner_state(got.run), inner_state(want.run)
    for key, v in b.items():
        if hasattr(v, "shape"):
            np.testing.assert_array_equal(np.asarray(a[key]), np.asarray(v), err_msg=key)
    assert a["step"] == b["step"]


@pytest.mark.parametrize("name", list(FAMILIES))
def test_clip_on_then_off_equals_hand_built_chains(name):
    opt = FAMILIES[name]
    src = source(opt)
    src.advance(4)
    before = src.run.state()
    toggles.set_toggle(src.run, "o", "clip", CLIP)
    src.advance(6)
    ref = reference(opt, [gt.clip_by_global_norm(CLIP)], before)
    ref.advance(6)
    assert_same(src, ref)
    plain = reference(opt, [], before)
    plain.advance(6)  # the clip acted: without it the steps differ
    assert not np.array_equal(np.asarray(src.run.params), np.asarray(plain.run.params))
    assert len(toggles.clipped_steps(src.run, "o")) > 0
    # off again: the plain optimizer continued from the same state
    mid = src.run.state()
    toggles.set_toggle(src.run, "o", "clip", None)
    src.advance(5)
    ref = source(opt)
    mid["states"]["o"] = mid["states"]["o"]["inner"]
    ref.run.restore(mid)
    ref.advance(5)
    assert_same(src, ref)


@pytest.mark.parametrize("name", ["sgd", "adam", "sophia"])
def test_noise_and_clip_with_noise_equal_hand_built_chains(name):
    opt = FAMILIES[name]
    src = source(opt)
    src.advance(3)
    before = src.run.state()
    toggles.set_toggle(src.run, "o", "noise", SIGMA)
    src.advance(4)
    ref = reference(opt, [gt.add_noise(SIGMA**2, gamma=0.0, seed=0)], before)
    ref.advance(4)
    assert_same(src, ref)
    # clip too: the clip acts first, then the noise, whose generator goes on
    before = src.run.state()
    noise_state = copy_tree(src.run.states["o"]["transforms"][0])
    toggles.set_toggle(src.run, "o", "clip", CLIP)
    src.advance(4)
    chained = [gt.clip_by_global_norm(CLIP), gt.add_noise(SIGMA**2, gamma=0.0, seed=0)]
    before["states"]["o"] = before["states"]["o"]["inner"]
    ref = reference(opt, chained, before)
    ref.run.states["o"]["transforms"][1]["rng"] = noise_state["rng"]
    ref.run.restore(ref.run.state())
    ref.advance(4)
    assert_same(src, ref)


def test_clipped_steps_are_the_steps_whose_gradient_norm_exceeded_the_threshold():
    src = source(gd.optim.sgd(2e-3, momentum=0.5))
    toggles.set_toggle(src.run, "o", "clip", 20.0)
    want = []
    for _ in range(60):
        norms = np.linalg.norm(np.asarray(src.run.grad), axis=-1)
        t = src.run.t
        src.advance(1)
        want += [(t + 1, r) for r in np.flatnonzero(norms + 1e-6 > 20.0)]
    got = toggles.clipped_steps(src.run)
    assert 0 < len(got) < 120  # some steps clipped, not all
    assert [tuple(map(int, row)) for row in got] == want
    assert toggles.toggles_meta(src.run, "o")["clipped"] == len(want)


def test_weight_decay_toggle_remembers_its_value_and_goes_through_set_hyper():
    src = EngineSource(
        "rosenbrock",
        {"w": gd.optim.adamw(0.05, weight_decay=0.3), "a": gd.optim.adam(0.05)},
        start=START[0],
        device="cpu",
    )
    run = src.run
    toggles.set_toggle(run, "w", "weight_decay", False)
    assert run.optimizers["w"].weight_decay == 0.0
    toggles.set_toggle(run, "w", "weight_decay", True)
    assert run.optimizers["w"].weight_decay == 0.3  # the last value
    toggles.set_toggle(run, "a", "weight_decay", True)
    assert run.optimizers["a"].weight_decay == 1e-2  # adam's default is 0
    fresh = EngineSource("rosenbrock", {"w": gd.optim.adamw(0.05)}, start=START[0], device="cpu")
    toggles.set_toggle(fresh.run, "w", "weight_decay", False)
    toggles.set_toggle(fresh.run, "w", "weight_decay", True)
    assert fresh.run.optimizers["w"].weight_decay == 0.01  # adamw's default
    toggles.set_toggle(run, "a", "weight_decay", 0.05)
    assert toggles.toggles_meta(run, "a")["weight_decay"] == 0.05


@pytest.mark.parametrize(
    "label,name,value,match",
    [
        ("o", "clip", -1.0, "max_norm"),
        ("o", "clip", 0.0, "max_norm"),
        ("o", "noise", float("nan"), "sigma"),
        ("o", "weight_decay", -0.1, "weight_decay"),
        ("o", "momentum", 0.5, "unknown toggle"),
        ("nope", "clip", 1.0, "unknown optimizer label"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(label, name, value, match):
    src = source(gd.optim.sgd(1e-3))
    opt = src.run.optimizers["o"]
    with pytest.raises(ValueError, match=match):
        toggles.set_toggle(src.run, label, name, value)
    assert src.run.optimizers["o"] is opt and opt.weight_decay == 0.0
    assert set(src.run.states["o"]) == {"step"}


def test_parse_set_toggle_messages():
    msg = {"type": "set_toggle", "group": "o", "name": "clip", "value": 1.5}
    assert p.parse(msg) == p.SetToggle("o", "clip", 1.5)
    assert p.parse({**msg, "value": None}) == p.SetToggle("o", "clip", None)
    assert p.parse({**msg, "name": "weight_decay", "value": True}).value is True
    for bad in ({"value": -1}, {"value": "1"}, {"name": "lr"}, {"group": ""}):
        with pytest.raises(p.BadMessage):
            p.parse({**msg, **bad})


def race():
    return {
        "sgd": gd.optim.sgd(1e-3, momentum=0.9),
        "adam": gd.optim.adam(gd.schedules.cosine(0.05, 400)),
        "sophia": gd.optim.sophia(0.02),
    }


F = gd.functions.rosenbrock()
TT_START = [[-1.2, 1.0], [0.5, -0.5]]


def test_fork_after_toggles_reproduces_and_a_fork_before_them_goes_on_with_them():
    w, _ = make(F, race(), start=TT_START)
    w.step(50)
    w.set_clip("adam", 0.5)
    w.set_noise("sgd", 0.05)
    w.step(50)
    w.set_clip("sophia", 1.0)
    w.step(50)
    h = w.history
    old_params, old_clipped = h.xy.copy(), w.clipped_steps()
    w.fork(120)  # after the first toggles, before the last: the settings now are those of then
    w.step(30)
    np.testing.assert_array_equal(w.history.xy, old_params)
    np.testing.assert_array_equal(w.clipped_steps(), old_clipped)
    # a fork before any toggle goes on with the toggles now set, from that step
    w.fork(30)
    w.step(20)
    ref = EngineSource(F, race(), start=TT_START, device="cpu", grad_tol=0.0)
    ref.advance(30)
    for label, name, value in [("adam", "clip", 0.5), ("sgd", "noise", 0.05)]:
        toggles.set_toggle(ref.run, label, name, value)
    toggles.set_toggle(ref.run, "sophia", "clip", 1.0)
    ref.advance(20)
    np.testing.assert_array_equal(np.asarray(w.run.params), np.asarray(ref.run.params))
    np.testing.assert_array_equal(w.clipped_steps(), toggles.clipped_steps(ref.run))
    w.close()


def test_playground_methods_messages_and_meta_echo():
    w, _ = make(F, {"adam": gd.optim.adam(0.05)}, start=TT_START)
    try:
        w.step(3)
        w.set_clip("adam", 2.0)
        assert w.meta["groups"][0]["toggles"]["clip"] == 2.0
        w._on_msg(w, {"type": "set_toggle", "group": "adam", "name": "noise", "value": 0.1})
        w._on_msg(w, {"type": "set_toggle", "group": "adam", "name": "weight_decay", "value": True})
        tog = w.meta["groups"][0]["toggles"]
        assert tog["noise"] == 0.1 and tog["weight_decay"] == 0.01 and tog["weight_decay_on"]
        assert toggles.toggles_of(w.run.optimizers["adam"]).sigma == 0.1
        with pytest.raises(ValueError, match="max_norm"):
            w.set_clip("adam", -1)
        assert w.meta["groups"][0]["toggles"]["clip"] == 2.0
        w.set_clip("adam", None)
        w.step(2)
        assert w.meta["groups"][0]["toggles"]["clip"] is None
    finally:
        w.close()


def test_the_page_gets_the_clipped_steps_as_marks():
    w, _ = make(F, {"adam": gd.optim.adam(0.05)}, start=TT_START)
    try:
        assert w.clipped == {}
        w.set_clip("adam", 5.0)
        w.step(40)
        rows = w.clipped_steps()
        assert len(rows) > 0
        assert w.clipped == {"steps": rows[:, 0].tolist(), "runs": rows[:, 1].tolist()}
        w.reset()
        assert w.clipped == {"steps": [], "runs": []}
    finally:
        w.close()
