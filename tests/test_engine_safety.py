"""The engine under faults: bad schedules, divergence notes, stochastic convergence, refused
resets, interrupts mid-run and counts that are not counts. References: gd.run's full history."""

from __future__ import annotations

import re

import numpy as np
import pytest

import gdwidget as gd
import gdwidget.engine.stepping as stepping
from gdwidget.engine import ObjectiveError, Run
from gdwidget.engine.results import Chunk
from gdwidget.objectives.base import Objective

ROSEN = gd.functions.rosenbrock


def _run(objective, optimizers, steps, **kw):
    return gd.run(objective, optimizers, steps=steps, device="cpu", **kw)


# -- schedules checked at every step ---------------------------------------------------------
@pytest.mark.parametrize(
    ("bad", "text"),
    [
        (-1, "gave lr=-1 at step 5"),
        (float("nan"), "gave lr=nan at step 5"),
        (float("inf"), "gave lr=inf at step 5"),
        ("fast", "gave lr='fast' at step 5 (not a number)"),
        (None, "gave lr=None at step 5 (not a number)"),
    ],
)
def test_a_bad_rate_stops_only_its_group(bad, text):
    sched = lambda t: 1e-3 if t < 5 else bad  # noqa: E731
    h = _run(ROSEN(), {"good": gd.optim.adam(1e-2), "bad": gd.optim.sgd(sched)}, 20)
    alone = _run(ROSEN(), {"good": gd.optim.adam(1e-2)}, 20)
    np.testing.assert_array_equal(h.params[:, 0], alone.params[:, 0])
    assert h.status == ["running", "stopped"] and list(h.stop_step) == [-1, 5]
    assert h.notes == [None, f"the schedule of 'bad' {text}"]
    # the stopped run keeps its point from step 5; its rate after that is NaN
    assert np.all(h.params[5:, 1] == h.params[5, 1]) and np.all(np.isnan(h.lr[6:, 1]))
    np.testing.assert_array_equal(h.lr[:6, 1], 1e-3)


def test_a_schedule_that_raises_stops_its_group_and_zero_is_a_rate():
    def boom(t):
        if t == 3:
            raise ZeroDivisionError("oops")
        return 1e-3

    h = _run(ROSEN(), {"zero": gd.optim.sgd(lambda t: 0.0), "boom": gd.optim.sgd(boom)}, 10)
    assert h.status == ["running", "stopped"]
    assert h.notes[1] == "the schedule of 'boom' raised at step 3: ZeroDivisionError: oops"
    assert np.all(h.params[:, 0] == h.params[0, 0])


def test_a_bad_rate_at_step_0_stops_the_group_at_reset_and_set_lr_refuses_bad_values():
    r = Run(ROSEN(), {"a": gd.optim.sgd(lambda t: -0.1), "b": gd.optim.gd(1e-3)}, device="cpu")
    assert r.status == ["stopped", "running"] and r.notes[0].endswith("gave lr=-0.1 at step 0")
    before = r.optimizers["b"].lr
    with pytest.raises(ValueError, match="gave lr=-1 at step 0"):
        r.set_lr("b", lambda t: -1)
    with pytest.raises(ValueError, match="factor"):
        r.scale_lr("b", float("inf"))
    assert r.optimizers["b"].lr == before and r.optimizers["b"].lr_scale == 1.0


def test_the_optimizer_uses_the_rate_the_engine_computed():
    calls = []

    def sched(t):
        calls.append(t)
        return 1e-3

    r = Run(ROSEN(), {"a": gd.optim.adam(sched)}, device="cpu")
    calls.clear()
    r.reset()
    r.advance(50)
    assert calls == list(range(50))  # once per update


# -- divergence ---------------------------------------------------------------------------
def test_divergence_note_says_where_it_blew_up_and_where_it_overflowed():
    h = _run(ROSEN(), {"sgd": gd.optim.sgd(0.1)}, 500, start=(-1.5, 2.0))
    loss = h.loss[:, 0]
    overflow = int(np.argmax(~np.isfinite(loss)))
    blowup = int(np.argmax(np.abs(loss) > 1000 * abs(loss[0])))
    assert 0 < blowup < overflow and h.status == ["diverged"]
    assert h.stop_step[0] == overflow == h.overflow_step[0] and h.blowup_step[0] == blowup
    assert h.notes[0] == (
        f"diverged: loss ×1000 above its start from step {blowup}, overflow at step {overflow}"
    )
    assert re.fullmatch(
        r"diverged: loss ×1000 above its start from step \d+, overflow .*", h.notes[0]
    )


def test_divergence_from_a_start_at_zero_loss_uses_the_floor():
    # a start at the minimum (loss 0): "x1000 above" counts from the floor 1e-3
    h = _run(ROSEN(), {"a": gd.optim.gd(lambda t: 0.0 if t == 0 else 1.0)}, 50, start=(1.0, 1.0))
    assert h.status == ["running"] and h.blowup_step[0] == -1
    h = _run(gd.Function("x**2 + y**2"), {"a": gd.optim.gd(1.5)}, 3000, start=(1e-3, 0))
    first = int(np.argmax(np.abs(h.loss[:, 0]) > 1000 * max(abs(h.loss[0, 0]), 1e-3)))
    assert h.status == ["diverged"] and h.blowup_step[0] == first > 0


# -- no false "converged" on mini-batches -------------------------------------------------
class Line(Objective):
    """Mean squared error of y = w x; example 0 is (0, 0), whose gradient is always 0."""

    name = "line-test"
    n_params = 1
    default_start = (0.0,)

    def __init__(self, n=8):
        self.x = np.linspace(0.0, 2.0, n)
        self.y = 3.0 * self.x
        self.n_examples = n

    def value_and_grad(self, p, batch=None):
        idx = np.arange(self.n_examples) if batch is None else np.asarray(batch)
        res = p[:, :1] * self.x[idx][None, :] - self.y[idx][None, :]
        return np.mean(res**2, axis=1), np.mean(2 * res * self.x[idx][None, :], axis=1)[:, None]


def test_one_tiny_batch_gradient_does_not_converge_a_stochastic_run():
    obj = Line()
    h = _run(obj, {"sgd": gd.optim.sgd(1e-3)}, 40, batch_size=1, grad_tol=1e-6, eval_every=0)
    assert np.any(h.grad_norm[:, 0] == 0.0)  # some batch was example 0
    assert h.status == ["running"] and len(h.steps) == 41
    h = _run(obj, {"sgd": gd.optim.sgd(1e-3)}, 40, batch_size=1, loss_tol=1e-9)
    assert h.status == ["running"]


def test_stochastic_convergence_uses_the_full_data_gradient():
    obj = Line()
    h = _run(obj, {"sgd": gd.optim.sgd(0.05)}, 4000, batch_size=2, grad_tol=1e-6)
    assert h.status == ["converged"]
    stop = int(h.stop_step[0])
    _, g = obj.value_and_grad(h.params[-1, :, :])
    assert abs(g[0, 0]) <= 1e-6 and stop % 4 == 0  # at an evaluation step (once an epoch)
    _, g_before = obj.value_and_grad(h.params[stop - 4, :, :])
    assert abs(g_before[0, 0]) > 1e-6


# -- a refused reset changes nothing -------------------------------------------------------
def _snapshot(r):
    return {
        "t": r.t,
        "params": r.params.copy(),
        "states": {k: {n: np.copy(v) for n, v in s.items()} for k, s in r.states.items()},
        "order": None if r._batches.order is None else np.copy(r._batches.order),
        "pos": r._batches.pos,
        "epoch": r.epoch,
        "status": r.status,
        "stop": r.stop_step,
        "starts": r._starts.copy(),
        "loss": r.loss.copy(),
    }


def _same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        if isinstance(a[k], dict):
            _same(a[k], b[k])
        else:
            np.testing.assert_array_equal(a[k], b[k])


def test_reset_outside_the_domain_raises_and_leaves_the_run_as_it_was():
    f = gd.Function("x - log(x) + y**2")
    r = Run(f, {"adam": gd.optim.adam(0.05)}, start=(2.0, 1.0), device="cpu")
    r.advance(7)
    before = _snapshot(r)
    with pytest.raises(ValueError, match="not finite at the start point"):
        r.reset((-1.0, 0.0))
    _same(before, _snapshot(r))
    ref = _run(f, {"adam": gd.optim.adam(0.05)}, 12, start=(2.0, 1.0))
    np.testing.assert_array_equal(r.advance(5).params, ref.params[8:])


def test_reset_keeps_the_batch_order_when_refused():
    class Fails(Line):
        def value_and_grad(self, p, batch=None):
            if np.any(p < -5):
                raise ArithmeticError("no")
            return super().value_and_grad(p, batch)

    r = Run(Fails(), {"a": gd.optim.sgd(1e-2)}, batch_size=3, device="cpu")
    r.advance(5)
    before = _snapshot(r)
    with pytest.raises(ValueError, match="ArithmeticError: no"):
        r.reset((-10.0,))
    _same(before, _snapshot(r))


# -- interrupts and errors keep every step -------------------------------------------------
class RaisesOnce(Objective):
    """Rosenbrock that raises ``exc`` on its ``at``-th call (the start is call 1)."""

    name = "raises-once"
    n_params = 2
    default_start = (-1.5, 2.0)
    has_hvp = True

    def __init__(self, exc, at):
        self.exc, self.at, self.calls = exc, at, 0
        self.f = ROSEN()

    def value_and_grad(self, p, batch=None):
        self.calls += 1
        if self.calls == self.at:
            raise self.exc
        return self.f.value_and_grad(p)

    def hvp(self, p, v, batch=None):
        return self.f.hvp(p, v)


OPTS = {
    "adam": lambda: gd.optim.adam(1e-2),
    "sgd": lambda: gd.optim.sgd(gd.schedules.cosine(1e-3, 50), momentum=0.9),
    "sophia": lambda: gd.optim.sophia(1e-2, k=3, estimator="hutchinson"),
    "noisy": lambda: gd.chain(gd.transforms.add_noise(0.1, seed=1), gd.optim.rmsprop(1e-2)),
}


def _ours(exc, at, steps=100):
    obj = RaisesOnce(exc, at)
    r = Run(obj, {k: v() for k, v in OPTS.items()}, device="cpu")
    chunks = [r.reset()]
    caught = None
    while r.t < steps:
        try:
            chunks.append(r.advance(steps - r.t))
        except (ObjectiveError, KeyboardInterrupt, SystemExit) as e:
            caught = e
            chunks.append(e.chunk if isinstance(e, ObjectiveError) else e.gdwidget_chunk)
    return Chunk.concat(chunks), caught, r


@pytest.mark.parametrize("exc", [KeyboardInterrupt(), SystemExit(3), ZeroDivisionError("x")])
def test_an_interrupt_at_step_37_then_continuing_equals_gd_run(exc):
    ours, caught, r = _ours(exc, at=39)  # two resets, then call 39 is step 37's objective
    if isinstance(exc, Exception):
        assert isinstance(caught, ObjectiveError) and caught.__cause__ is exc
        assert str(caught).startswith("the objective raised at step 37: ZeroDivisionError")
    else:
        assert caught is exc
    ref = _run(RaisesOnce(None, at=-1), {k: v() for k, v in OPTS.items()}, 100)
    np.testing.assert_array_equal(ours.steps, np.arange(101))
    np.testing.assert_array_equal(ours.params, ref.params)
    np.testing.assert_array_equal(ours.loss, ref.loss)
    np.testing.assert_array_equal(ours.lr, ref.lr)
    assert r.status == ref.status and r.t == 100


def test_the_interrupted_chunk_holds_the_completed_steps():
    _, caught, _ = _ours(KeyboardInterrupt(), at=39)
    chunk = caught.gdwidget_chunk
    np.testing.assert_array_equal(chunk.steps, np.arange(1, 37))


def test_an_interrupt_in_a_schedule_rolls_the_step_back():
    state = {"n": 0}

    def sched(t):
        state["n"] += 1
        if state["n"] == 20:
            raise KeyboardInterrupt
        return 1e-3

    r = Run(ROSEN(), {"a": gd.optim.adam(sched)}, device="cpu")
    with pytest.raises(KeyboardInterrupt) as info:
        r.advance(50)
    # the reset computed rate 0, step k computes rate k - 1: call 20 is step 20's
    assert r.t == len(info.value.gdwidget_chunk) == 19
    rest = r.advance(31)
    ref = _run(ROSEN(), {"a": gd.optim.adam(1e-3)}, 50)
    np.testing.assert_array_equal(rest.params, ref.params[20:])


def test_a_run_too_large_to_copy_asks_for_a_reset(monkeypatch):
    monkeypatch.setattr(stepping, "ROLLBACK_MAX_ELEMENTS", 0)
    r = Run(RaisesOnce(KeyboardInterrupt(), at=5), {"a": gd.optim.adam(1e-2)}, device="cpu")
    with pytest.raises(KeyboardInterrupt):
        r.advance(10)
    assert r.t == 3
    with pytest.raises(RuntimeError, match="call reset"):
        r.advance(1)
    r.reset()
    assert len(r.advance(3)) == 3


# -- counts ------------------------------------------------------------------------------
BAD_COUNTS = [float("inf"), float("nan"), 1e300, 2.5, 10**400, "5", True, -1]


@pytest.mark.parametrize("bad", BAD_COUNTS)
def test_counts_that_are_not_counts_are_a_clear_error(bad):
    with pytest.raises(ValueError, match="steps"):
        _run(ROSEN(), gd.optim.adam(), bad)
    with pytest.raises(ValueError, match="chunk_size"):
        _run(ROSEN(), gd.optim.adam(), 5, chunk_size=bad)
    with pytest.raises(ValueError, match="batch_size"):
        Run(Line(), gd.optim.adam(), batch_size=bad, device="cpu")
    r = Run(ROSEN(), gd.optim.adam(), device="cpu")
    with pytest.raises(ValueError, match="n "):
        r.advance(bad)
    assert r.t == 0


def test_an_advance_too_large_to_record_is_refused_before_it_starts():
    r = Run(ROSEN(), gd.optim.adam(), device="cpu")
    with pytest.raises(ValueError, match="GiB"):
        r.advance(10**9)
    assert r.t == 0 and len(r.advance(2)) == 2
