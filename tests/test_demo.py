import numpy as np

from gdwidget import demo, functions, optim
from gdwidget.engine import run


def test_demo_prints_a_row_per_optimizer(capsys):
    assert demo.main(["--steps", "300", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "optimizers on rosenbrock" in out
    for label in demo.default_race():
        assert f"\n{label} " in out


def test_demo_unknown_function_suggests(capsys):
    try:
        demo.main(["--function", "rosenbrok"])
    except SystemExit as exc:
        assert exc.code == 2
    assert "rosenbrock" in capsys.readouterr().err


def test_first_hit_matches_a_loop():
    h = run(functions.rosenbrock(), {"adam": optim.adam(0.05)}, steps=2000, device="cpu")
    hit = demo.first_hit(h.loss, 1e-6)[0]
    assert hit is not None and h.loss[hit, 0] <= 1e-6 and np.all(h.loss[:hit, 0] > 1e-6)
