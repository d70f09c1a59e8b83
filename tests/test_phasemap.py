"""gd.PhaseMap: its cells equal gd.sweep's table, a pick adds the setting to a linked
Playground's race (Playground.add_optimizer), and its arguments are checked."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import gdwidget as gd
from gdwidget.sweeps.metrics import FIGURES

warnings.filterwarnings("ignore", message="gdwidget's JavaScript bundle is missing")

XS = np.logspace(-4, -2.5, 6)
YS = np.linspace(0.0, 0.95, 5)


def make(**kw):
    return gd.PhaseMap(
        "rosenbrock", gd.optim.sgd, x=("lr", XS), y=("momentum", YS), steps=150, tol=1.0, **kw
    )


def test_cells_equal_the_sweep_table():
    pm = make(block_size=7).wait(60)
    assert pm.status == "done" and pm.done == pm.total == 30
    df = gd.sweep("rosenbrock", gd.optim.sgd, {"lr": XS, "momentum": YS}, steps=150, tol=1.0)
    cells = np.frombuffer(pm.cells, dtype="<f8").reshape(4, len(YS), len(XS))
    for k, f in enumerate(FIGURES):
        want = df[f].to_numpy(dtype=np.float64).reshape(len(XS), len(YS)).T  # rows along y
        np.testing.assert_array_equal(cells[k], want)
        np.testing.assert_array_equal(pm.values[f], want)
    table = pm.table
    for col in df.columns:
        np.testing.assert_array_equal(table[col].to_numpy(), df[col].to_numpy())
    assert pm.x == {"name": "lr", "values": XS.tolist(), "log": True}
    assert pm.y["log"] is False


def test_a_pick_adds_the_setting_to_the_linked_playground():
    w = gd.Playground(
        "rosenbrock", {"adam": gd.optim.adam(0.05)}, start=(-1.5, 2.0), device="cpu", grad_tol=0.0
    )
    picks = []
    pm = make(playground=w)
    pm.on_pick(picks.append)
    pm._on_msg(pm, {"type": "pick", "ix": 4, "iy": 3})
    label = f"lr={XS[4]:.3g}, momentum={YS[3]:.3g}"
    assert list(w.run.optimizers) == ["adam", label]
    opt = w.run.optimizers[label]
    assert (opt.name, opt.lr, opt.momentum) == ("sgd", XS[4], YS[3])
    assert picks[0]["label"] == label and pm.picked[0]["ix"] == 4
    # the race starts again with both, and is the race gd.run makes
    w.step(40)
    ref = gd.run(
        "rosenbrock",
        {"adam": gd.optim.adam(0.05), "x": gd.optim.sgd(XS[4], momentum=YS[3])},
        (-1.5, 2.0),
        steps=40,
        device="cpu",
    )
    np.testing.assert_array_equal(w.history.loss[-1], ref.loss[-1])
    # the same cell again changes nothing; bad messages are ignored
    pm._on_msg(pm, {"type": "pick", "ix": 4, "iy": 3})
    pm._on_msg(pm, {"type": "pick", "ix": 99, "iy": 0})
    pm._on_msg(pm, {"type": "zoom"})
    assert list(w.run.optimizers) == ["adam", label]
    assert len(pm.picked) == 2
    pm.wait(60)
    pm.close()
    w.close()


def test_add_optimizer_refuses_a_label_in_the_race():
    w = gd.Playground("quadratic", {"gd": gd.optim.sgd(0.1)}, device="cpu")
    with pytest.raises(ValueError, match="already in the race"):
        w.add_optimizer("gd", gd.optim.sgd(0.2))
    with pytest.raises(ValueError, match="optimizer"):
        w.add_optimizer("other", "sgd")
    assert list(w.run.optimizers) == ["gd"]
    w.close()


def test_default_tol_and_curves():
    pm = gd.PhaseMap("quadratic", "sgd", x=("lr", [0.01, 0.1]), y=("momentum", [0.0, 0.5]))
    f0 = gd.functions.quadratic().value(np.array([-1.5, 1.0]))
    assert pm.info["tol"] == pytest.approx(1e-3 * float(f0))
    pm.add_curve([0.01, 0.1], [0.0, 0.5], label="theory")
    assert pm.curves == [{"points": [[0.01, 0.0], [0.1, 0.5]], "label": "theory"}]
    with pytest.raises(ValueError, match="1-D"):
        pm.add_curve([1.0], [2.0])
    pm.wait(60)


def test_bad_arguments():
    with pytest.raises(ValueError, match="different"):
        gd.PhaseMap("quadratic", "sgd", x=("lr", [0.1]), y=("lr", [0.2]))
    with pytest.raises(TypeError, match="pair"):
        gd.PhaseMap("quadratic", "sgd", x="lr", y=("momentum", [0.2]))
    with pytest.raises(ValueError, match="figure"):
        gd.PhaseMap("quadratic", "sgd", x=("lr", [0.1]), y=("momentum", [0.2]), figure="speed")
    with pytest.raises(ValueError, match="finite"):
        gd.PhaseMap("quadratic", "sgd", x=("lr", [np.nan]), y=("momentum", [0.2]))
    f = gd.Function("x**2 + y**2", start=(1.0, 1.0))
    if getattr(f, "min_value", None) is None:
        with pytest.raises(ValueError, match="give tol"):
            gd.PhaseMap(f, "sgd", x=("lr", [0.1]), y=("momentum", [0.2]))
