"""A race built from the page with no code: the function picker, the "add optimizer" menu and
the remove buttons (gdwidget/live/picker.py), each against gd.run of the same race."""

from __future__ import annotations

import numpy as np
import pytest
from widget_helpers import make

import gdwidget as gd

pytestmark = pytest.mark.filterwarnings(
    "ignore:gdwidget's JavaScript bundle is missing", "ignore:gdwidget runs on the CPU"
)


def same_as_run(w, objective, optimizers, start=None, steps=25):
    w.step(steps)
    h = gd.run(objective, optimizers, start, steps=steps, device="cpu")
    got = w.history
    assert got.labels == h.labels
    np.testing.assert_array_equal(got.loss, h.loss)
    np.testing.assert_array_equal(got.xy, h.params[:, :, :2])


def test_the_picker_offers_the_functions_and_optimizers():
    w, _ = make()
    assert w.picker["functions"] == gd.functions.names()
    assert "adam" in w.picker["optimizers"] and w.picker["error"] == ""
    w.close()


def test_picking_a_function_races_the_same_optimizers_there():
    w, comm = make(gd.functions.rosenbrock(), {"gd": gd.optim.sgd(1e-3)})
    w.step(5)
    comm.page_sends({"type": "set_function", "name": "himmelblau"})
    assert w.run.objective.name == "himmelblau" and w.t == 0
    assert w.view == [list(b) for b in gd.functions.himmelblau().bounds]
    same_as_run(w, gd.functions.himmelblau(), {"gd": gd.optim.sgd(1e-3)})
    comm.page_sends({"type": "set_function", "expression": "x**2 + 3*sin(y)"})
    assert w.picker["error"] == "" and w.run.objective.expression == "x**2 + 3*sin(y)"
    same_as_run(w, gd.Function("x**2 + 3*sin(y)"), {"gd": gd.optim.sgd(1e-3)})
    w.close()


@pytest.mark.parametrize(
    ("expr", "says"),
    [("x**2 +", "x\\*\\*2 \\+"), ("import os", "import"), ("x**2 + z", "z"), ("", "type an")],
)
def test_a_bad_expression_says_what_is_wrong_and_changes_nothing(expr, says):
    w, comm = make(gd.functions.rosenbrock(), {"gd": gd.optim.sgd(1e-3)})
    w.step(3)
    comm.page_sends({"type": "set_function", "expression": expr})
    assert w.picker["error"]
    import re  # noqa: PLC0415

    assert re.search(says, w.picker["error"]), w.picker["error"]
    assert w.run.objective.name == "rosenbrock" and w.t == 3
    comm.page_sends({"type": "set_function", "name": "nope"})
    assert "nope" in w.picker["error"]
    w.close()


def test_add_and_remove_optimizers_from_the_page():
    f = gd.functions.rosenbrock()
    w, comm = make(f, {"gd": gd.optim.sgd(1e-3)}, start=(-1.0, 1.5))
    comm.page_sends({"type": "add_optimizer", "optimizer": "adam", "lr": 0.02})
    comm.page_sends({"type": "add_optimizer", "optimizer": "adam"})
    assert w.run.labels == ["gd", "adam", "adam 2"] and w.picker["error"] == ""
    opts = {"gd": gd.optim.sgd(1e-3), "adam": gd.optim.adam(0.02), "adam 2": gd.optim.adam(0.05)}
    same_as_run(w, f, opts, (-1.0, 1.5))
    comm.page_sends({"type": "remove_optimizer", "label": "gd"})
    assert w.run.labels == ["adam", "adam 2"] and w.t == 0
    same_as_run(w, f, {"adam": gd.optim.adam(0.02), "adam 2": gd.optim.adam(0.05)}, (-1.0, 1.5))
    comm.page_sends({"type": "add_optimizer", "optimizer": "adam", "lr": -1})
    assert "learning rate" in w.picker["error"] and w.run.labels == ["adam", "adam 2"]
    comm.page_sends({"type": "remove_optimizer", "label": "adam"})
    comm.page_sends({"type": "remove_optimizer", "label": "adam 2"})
    assert "needs an optimizer" in w.picker["error"] and w.run.labels == ["adam 2"]
    w.close()
