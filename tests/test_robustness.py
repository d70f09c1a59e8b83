"""Seeded fuzzing of what a page (and a student) can send a Playground.

1,000 message sequences, sent from two threads at once with Python calls mixed in,
against a function Playground and a model Playground. After each sequence the
state is consistent: the widget, its run, its history and what the page holds agree
on the step; paused means paused; and ``close()`` ends the loop.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from typing import Any

import numpy as np
import pytest
from widget_helpers import Bowl, loop_threads, page_state, wait_for
from widget_helpers import make as _make

import gdwidget as gd

pytestmark = [
    pytest.mark.filterwarnings("ignore:gdwidget's JavaScript bundle is missing"),
    pytest.mark.slow,
]

SEQUENCES = int(os.environ.get("GD_FUZZ_SEQUENCES", "500"))  # per Playground: 1,000 in all


def deep(n: int) -> Any:
    v: Any = 1
    for _ in range(n):
        v = [v]
    return v


def garbage(rng: random.Random) -> Any:
    return rng.choice(
        [
            None,
            True,
            "play",
            10**400,
            -(10**400),
            float("inf"),
            float("nan"),
            -0.0,
            1e308,
            [],
            {},
            deep(rng.randint(50, 2000)),
            {"nested": deep(200)},
            "x" * rng.randint(0, 5000),
            [1, 2, 3],
            [[1e300, -1e300], [0, 1]],
        ]
    )


def message(rng: random.Random, groups: list[str], bounds: list[list[float]]) -> Any:
    (x0, x1), (y0, y1) = bounds
    pt = [rng.uniform(x0, x1), rng.uniform(y0, y1)]
    kind = rng.choice(
        [
            "play",
            "pause",
            "step",
            "reset",
            "set_lr",
            "set_speed",
            "set_view",
            "set_batch_size",
            "select_run",
            "request_history",
            "view_open",
            "view_close",
            "garbage",
            "unknown",
        ]
    )
    if kind == "garbage":
        return garbage(rng)
    if kind == "unknown":
        return {"type": rng.choice(["warp", "", 7, None, "__class__", "PLAY"]), "n": garbage(rng)}
    msg: dict[str, Any] = {"type": kind}
    bad = rng.random() < 0.3  # a third of the fields are hostile
    if kind == "step":
        msg["n"] = garbage(rng) if bad else rng.randint(1, 40)
    elif kind == "reset":
        msg["start"] = garbage(rng) if bad else rng.choice([None, pt, [pt[0] * 1e6, pt[1]]])
    elif kind == "set_lr":
        msg["group"] = garbage(rng) if bad else rng.choice([*groups, "nope"])
        msg["value"] = rng.choice([garbage(rng), 0, -1]) if bad else 10 ** rng.uniform(-4, 0)
    elif kind == "set_speed":
        msg["value"] = garbage(rng) if bad else rng.choice([0, 5, 60, 1e4])
    elif kind == "set_view":
        w, h = (x1 - x0) * rng.uniform(0.01, 3), (y1 - y0) * rng.uniform(0.01, 3)
        box = [[pt[0] - w, pt[0] + w], [pt[1] - h, pt[1] + h]]
        msg["bounds"] = garbage(rng) if bad else box
        if rng.random() < 0.5:
            msg["px"] = garbage(rng) if bad else [rng.randint(50, 900), rng.randint(50, 700)]
    elif kind == "set_batch_size":
        msg["value"] = garbage(rng) if bad else rng.choice([0, 1, 4, 16, 10**6])
    elif kind == "select_run":
        msg["index"] = garbage(rng) if bad else rng.randint(0, 5)
    elif kind in ("view_open", "view_close"):
        msg["id"] = garbage(rng) if bad else f"v{rng.randint(0, 2)}"
    return msg


def python_call(rng: random.Random, w: Any) -> None:
    choice = rng.randrange(5)
    try:
        if choice == 0:
            w.step(rng.randint(1, 20))
        elif choice == 1:
            w.reset()
        elif choice == 2:
            w.set_lr(rng.choice(list(w.run.optimizers)), 10 ** rng.uniform(-4, -1))
        elif choice == 3:
            w.play()
        else:
            w.pause()
    except (ValueError, RuntimeError, gd.engine.ObjectiveError):
        pass  # a refused call: it must change nothing, which the checks below look at


def check(w: Any, comm: Any, index: int) -> None:
    w.pause()
    assert not w.playing
    assert wait_for(lambda: w.session._loop is None, 2.0), f"sequence {index}: the loop went on"
    h = w.history
    assert w.t == w.run.t == int(h.steps[-1]), f"sequence {index}: step counters disagree"
    assert np.all(np.diff(h.steps) > 0)
    held = page_state(comm.packets())
    s = w.session
    shown = not s._views.all_gone  # with every view gone, nothing is sent
    if shown and held["steps"] is not None:
        assert int(held["steps"][-1]) == w.t, f"sequence {index}: the page lags"
    if index % 100 == 0:  # paused means no steps, over 0.3 s
        t = w.run.t
        time.sleep(0.3)
        assert w.run.t == t


def fuzz(w: Any, comm: Any, seed: int, caplog: Any) -> None:
    rng = random.Random(seed)
    groups = list(w.run.optimizers)
    bounds = w.meta["bounds"]
    for index in range(SEQUENCES):
        msgs = [message(rng, groups, bounds) for _ in range(rng.randint(2, 8))]
        halves = [msgs[0::2], msgs[1::2]]
        errors: list[BaseException] = []

        def send(batch: list[Any], errors: list[BaseException] = errors) -> None:
            try:
                for m in batch:
                    comm.page_sends(m)
            except BaseException as exc:  # noqa: BLE001 - nothing may escape the handler
                errors.append(exc)

        threads = [threading.Thread(target=send, args=(h,)) for h in halves]
        for t in threads:
            t.start()
        if rng.random() < 0.3:
            python_call(rng, w)
        for t in threads:
            t.join(10)
        assert not errors, f"sequence {index}: {errors[0]!r} escaped the handler"
        check(w, comm, index)
        # every refusal is one short line
        assert all(len(r.getMessage()) < 400 for r in caplog.records)
        caplog.clear()
    w.play()
    assert wait_for(lambda: w.run.t > 0)
    w.close()
    assert wait_for(lambda: w.session._loop is None and not loop_threads(), 5.0)


def test_fuzzed_messages_against_a_function_playground(caplog):
    w, comm = _make(Bowl(), grid_size=(32, 24), speed=0)
    comm.page_sends({"type": "request_history"})
    with caplog.at_level(logging.WARNING, logger="gdwidget"):
        fuzz(w, comm, seed=1, caplog=caplog)


def test_fuzzed_messages_against_a_model_playground(caplog):
    X, y = gd.data.moons(80, noise=0.2, seed=0)
    model = gd.models.logistic_regression(X, y)
    w, comm = _make(
        model,
        {"sgd": gd.optim.sgd(0.1), "adam": gd.optim.adam(0.05)},
        batch_size=8,
        grid_size=(24, 18),
        speed=0,
    )
    comm.page_sends({"type": "request_history"})
    with caplog.at_level(logging.WARNING, logger="gdwidget"):
        fuzz(w, comm, seed=2, caplog=caplog)
