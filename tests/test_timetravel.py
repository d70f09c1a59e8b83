"""Time travel: seek shows kept rows, fork reproduces the future bit for bit (against gd.run),
checkpoints stay bounded, and a fork goes on with the settings now set."""

from __future__ import annotations

import numpy as np
import pytest
from widget_helpers import make

import gdwidget as gd
from gdwidget import transforms as gt
from gdwidget.engine import Run
from gdwidget.engine.checkpoints import MAX_CHECKPOINTS, Checkpoints
from gdwidget.live import protocol as p
from gdwidget.live import timetravel
from gdwidget.live.timetravel import nearest_kept

pytestmark = pytest.mark.filterwarnings("ignore:gdwidget's JavaScript bundle is missing")

F = gd.functions.rosenbrock()
START = [[-1.2, 1.0], [0.5, -0.5]]


def race() -> dict:
    """Constant rates, momentum, a schedule, and generators (Hessian estimates, noise)."""
    return {
        "sgd": gd.optim.sgd(1e-3, momentum=0.9),
        "adam": gd.optim.adam(gd.schedules.cosine(0.05, 400)),
        "sophia": gd.optim.sophia(0.02),
        "noisy": gd.chain(gt.add_noise(0.1), gt.clip_by_global_norm(1.0), gd.optim.rmsprop(0.01)),
    }


def test_nearest_kept_is_exact_where_kept_and_the_nearest_otherwise():
    steps = np.array([0, 1, 2, 10, 20, 40])
    assert [nearest_kept(steps, t) for t in (0, 2, 10, 40)] == [0, 2, 10, 40]
    assert nearest_kept(steps, 5) == 2  # 3 away from 2, 5 from 10
    assert nearest_kept(steps, 6) == 2  # as near: the earlier
    assert nearest_kept(steps, 7) == 10
    assert nearest_kept(steps, 31) == 40
    assert nearest_kept(steps, 10**9) == 40
    with pytest.raises(ValueError, match="no history"):
        nearest_kept(np.array([], dtype=np.int64), 3)


def test_seek_shows_a_kept_row_of_a_thinned_history_and_the_next_step_clears_it():
    w, comm = make(F, race(), start=START, max_history=32)
    w.step(500)
    kept = w.history.steps
    assert len(kept) < 200  # thinned: not every step is kept
    missing = next(t for t in range(1, 500) if t not in set(kept.tolist()))
    assert w.seek(int(kept[7])) == kept[7]
    assert w.cursor == {"step": int(kept[7]), "asked": int(kept[7])}
    shown = w.seek(missing)
    assert shown in kept and shown == nearest_kept(kept, missing)
    assert w.cursor == {"step": shown, "asked": missing}
    # from the page: the same command
    comm.page_sends({"type": "seek", "step": int(kept[3])})
    assert w.cursor["step"] == kept[3]
    assert w.step_back() == kept[2]
    comm.page_sends({"type": "step_back"})
    assert w.cursor["step"] == kept[1]
    w.step(1)  # a step shows the newest again
    assert w.cursor == {}
    assert w.history.steps[-1] == 501
    w.close()


def test_bad_time_travel_messages_are_refused():
    for bad in (
        {"type": "seek"},
        {"type": "seek", "step": -1},
        {"type": "seek", "step": 1.5},
        {"type": "fork", "step": "3"},
        {"type": "fork", "step": True},
    ):
        with pytest.raises(p.BadMessage):
            p.parse(bad)
    assert p.parse({"type": "fork", "step": 3}) == p.Fork(3)
    assert p.parse({"type": "step_back"}) == p.StepBack()


@pytest.mark.parametrize("t", [0, 1, 137, 299, 300])
def test_fork_and_run_on_gives_gd_run_bit_for_bit(t):
    w, _ = make(F, race(), start=START)
    w.step(300)
    w.fork(t)
    assert w.run.t == t and w.history.steps[-1] == t
    w.step(400 - t)
    ref = gd.run(F, race(), START, steps=400, device="cpu")
    h = w.history
    assert np.array_equal(h.steps, np.arange(401))  # the dropped future is gone, no gaps
    np.testing.assert_array_equal(h.loss, ref.loss)
    np.testing.assert_array_equal(h.lr, ref.lr)
    np.testing.assert_array_equal(h.xy, ref.params)
    np.testing.assert_array_equal(w.run.params, ref.params[-1])
    w.close()


def test_fork_of_a_mini_batch_model_gives_gd_run_bit_for_bit():
    X, y = gd.data.moons(120, noise=0.2, seed=0)
    opts = lambda: {"sgd": gd.optim.sgd(0.1, momentum=0.9), "adam": gd.optim.adam(0.01)}  # noqa: E731
    model = gd.models.mlp(X, y, hidden=(6,))
    w, _ = make(model, opts(), batch_size=16, seed=3)
    w.step(130)  # several epochs: the batch order reshuffles
    w.fork(45)
    w.step(85)
    ref = gd.run(model, opts(), steps=130, batch_size=16, seed=3, device="cpu", eval_every=10)
    h = w.history
    assert np.array_equal(h.steps, np.arange(131))
    np.testing.assert_array_equal(h.loss, ref.loss)  # each step's batch loss
    np.testing.assert_array_equal(w.run.params, ref.params[-1])
    # the page's evaluations are held as float32
    np.testing.assert_array_equal(h.evals["step"], ref.evals["step"])
    ref_evals = ref.evals["train_loss"].astype(np.float32)
    np.testing.assert_array_equal(h.evals["train_loss"].astype(np.float32), ref_evals)
    w.close()


def test_checkpoints_stay_bounded_and_a_fork_far_back_is_still_exact(monkeypatch):
    monkeypatch.setattr(timetravel, "CHECKPOINT_SECONDS", 0.0)  # one due before each chunk
    w, _ = make(F, race(), start=START, max_history=64)
    for _ in range(300):
        w.step(7)  # many chunks: one checkpoint may be due before each
    cps = w.session.timeline.checkpoints
    assert cps.n_states <= MAX_CHECKPOINTS + 1 and cps.spacing > 1
    assert cps.steps[0] == 0 and cps.steps == sorted(cps.steps)
    w.fork(1234)  # the history is thinned: 1234 need not be kept; the state is recomputed
    w.step(66)
    ref = Run(F, race(), START, device="cpu")
    ref.advance(1300)
    np.testing.assert_array_equal(w.run.params, ref.params)
    assert w.history.steps[-1] == 1300
    w.close()


def take_each_step(cps: Checkpoints, n: int) -> Run:
    """A race stepped ``n`` times, ``cps`` offered a checkpoint before each step."""
    r = Run(F, race(), START, device="cpu")
    for _ in range(n):
        cps.take(r)
        r.advance(1)
    return r


def test_the_checkpoint_limit_follows_the_budget():
    cps = Checkpoints(budget=1, spacing=1)
    take_each_step(cps, 100)
    assert cps.limit == 4 and len(cps) <= 5  # MIN_CHECKPOINTS, plus the pinned step 0


def test_a_checkpoint_waits_min_seconds_but_a_change_of_settings_does_not():
    cps = Checkpoints(spacing=1, min_seconds=3600.0)
    r = take_each_step(cps, 20)
    assert cps.steps == [0]  # step 0, then none due within the hour
    r.set_lr("sgd", 2e-3)
    cps.take(r)
    assert cps.steps == [0, 20] and cps.items[-1].pinned
    r.advance(5)
    cps.take(r)
    assert cps.steps == [0, 20]
    cps.min_seconds = 0.0
    cps.take(r)
    assert cps.steps == [0, 20, 25]


def test_fork_goes_on_with_the_rates_now_set_and_replays_the_old_ones_before():
    w, _ = make(F, race(), start=START)
    ref = Run(F, race(), START, device="cpu")
    w.step(50)
    w.set_lr("sgd", 2e-3)  # a change in the past: the replay up to the fork step keeps it
    w.step(50)
    w.set_lr("sgd", 5e-4)
    w.scale_lr("adam", 0.5)
    w.fork(80)
    w.step(20)
    ref.advance(50)
    ref.set_lr("sgd", 2e-3)
    ref.advance(30)
    ref.set_lr("sgd", 5e-4)
    ref.scale_lr("adam", 0.5)
    c = ref.advance(20)
    h = w.history
    np.testing.assert_array_equal(h.loss[-20:], c.loss)
    np.testing.assert_array_equal(h.lr[-20:], c.lr)
    np.testing.assert_array_equal(w.run.params, ref.params)
    assert [g["lr"] for g in w.meta["groups"]][0] == 5e-4
    w.close()


def test_a_fork_beyond_the_current_step_is_refused_and_changes_nothing():
    w, comm = make(F, race(), start=START)
    w.step(20)
    before = w.run.params.copy()
    with pytest.raises(ValueError, match="between 0 and the current step 20"):
        w.fork(21)
    comm.page_sends({"type": "fork", "step": 99})  # logged, nothing changed
    assert w.run.t == 20 and np.array_equal(w.run.params, before)
    w.close()


def test_a_seek_sends_the_arrows_and_model_view_of_its_step_and_leaves_the_run_as_it_was():
    X, y = gd.data.moons(120, noise=0.2, seed=0)
    opts = lambda: {"sgd": gd.optim.sgd(0.1, momentum=0.9), "adam": gd.optim.adam(0.01)}  # noqa: E731
    model = gd.models.mlp(X, y, hidden=(6,))
    w, comm = make(model, opts(), batch_size=16, seed=3)
    ref, _ = make(model, opts(), batch_size=16, seed=3)
    w.step(90)
    present = w.run.state()
    ref.step(37)
    comm.clear()
    assert w.seek(37) == 37
    sent = {
        d["content"]["type"]: (d["content"], b) for d, b in comm.sent if d.get("method") == "custom"
    }
    arrows, arrows_buffers = sent["arrows"]
    want, want_buffers = ref.arrows_message()
    assert [bytes(b) for b in arrows_buffers] == [bytes(b) for b in want_buffers]
    view, view_buffers = sent["model_view"]
    want_view, want_view_buffers = ref.model_view_message()
    assert [bytes(b) for b in view_buffers] == [bytes(b) for b in want_view_buffers]
    # the run itself is back at step 90, exactly
    assert w.run.t == 90
    np.testing.assert_array_equal(w.run.params, present["params"])
    np.testing.assert_array_equal(w.run.grad, present["grad"])
    w.step(10)
    ref.step(63)
    np.testing.assert_array_equal(w.run.params, ref.run.params)
    w.close()
    ref.close()


def test_many_changes_of_settings_keep_the_states_bounded_and_forks_exact():
    """A slider dragged while playing: a change before many chunks. The states stay bounded
    (a thinned change keeps its settings only) and a replay across thinned changes is exact."""
    w, _ = make(F, race(), start=START)
    ref = Run(F, race(), START, device="cpu")
    rates = [1e-3 * (1 + 0.01 * k) for k in range(150)]
    for lr in rates:
        w.set_lr("sgd", lr)
        w.step(3)
        ref.set_lr("sgd", lr)
        ref.advance(3)
    cps = w.session.timeline.checkpoints
    assert cps.n_states <= cps.limit + 1 < len(cps)  # changes kept without their states
    assert sum(c.pinned for c in cps.items) == 150  # one per change (step 0 included)
    w.fork(200)  # across thinned changes: up to 200 the rates of then, after it the last one
    w.step(250)
    ref = Run(F, race(), START, device="cpu")
    for lr in rates[:67]:  # changes at steps 0, 3, ..., 198
        ref.set_lr("sgd", lr)
        ref.advance(min(3, 200 - ref.t))
    assert ref.t == 200
    ref.set_lr("sgd", rates[-1])
    ref.advance(250)
    np.testing.assert_array_equal(w.run.params, ref.params)
    np.testing.assert_array_equal(w.history.loss[-1], ref.loss)
    w.close()


def test_a_replay_across_a_change_of_batch_size_draws_the_batch_as_the_control_did():
    X, y = gd.data.moons(120, noise=0.2, seed=0)
    opts = lambda: {"sgd": gd.optim.sgd(0.1, momentum=0.9), "adam": gd.optim.adam(0.01)}  # noqa: E731
    model = gd.models.mlp(X, y, hidden=(6,))
    w, _ = make(model, opts(), batch_size=16, seed=3)
    ref = Run(model, opts(), batch_size=16, seed=3, device="cpu", eval_every=10)
    w.step(40)
    w.set_batch_size(8)
    w.step(60)
    ref.advance(40)
    ref.set_batch_size(8)
    ref.redraw_batch()
    ref.advance(60)
    cps = w.session.timeline.checkpoints
    for c in cps.items:  # as if thinned: every state after step 0 gone
        if c.t > 0:
            c.state = None
    w.fork(70)
    w.step(30)
    np.testing.assert_array_equal(w.run.params, ref.params)
    np.testing.assert_array_equal(w.history.loss[-1], ref.loss)
    w.close()
