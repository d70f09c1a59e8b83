"""The IPython magics' pure parts: the line parser and the objectives (shell: test_magics_shell)."""

from __future__ import annotations

import os

import numpy as np
import pytest

import gdwidget as gd
from gdwidget.magics import build
from gdwidget.magics.parse import (
    DEFAULT_RACE,
    MagicError,
    OptimizerSpec,
    listing,
    parse_line,
    parse_optimizer,
    parse_start,
    usage,
)


# ---------------------------------------------------------------------------------------
# The parser: pure functions
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("line", "objective", "optimizers", "steps", "start", "device", "play"),
    [
        ("rosenbrock adam=0.05", "rosenbrock", [("adam", "adam", (0.05,), ())], 0, None, "auto", 0),
        (
            'rosenbrock adam=0.05 momentum="sgd(1e-3, momentum=0.9)" --play',
            "rosenbrock",
            [("adam", "adam", (0.05,), ()), ("momentum", "sgd", (1e-3,), (("momentum", 0.9),))],
            0,
            None,
            "auto",
            1,
        ),
        (
            '"x**2 + 3*sin(y)" adam sgd --steps 7 --device cpu',
            "x**2 + 3*sin(y)",
            [("adam", "adam", (), ()), ("sgd", "sgd", (), ())],
            7,
            None,
            "cpu",
            0,
        ),
        # options before, between and after the optimizers; a negative start
        (
            "--steps 3 himmelblau --start -1.5,2 fast=adam slow=gd.optim.sgd(1e-4)",
            "himmelblau",
            [("fast", "adam", (), ()), ("slow", "sgd", (1e-4,), ())],
            3,
            (-1.5, 2.0),
            "auto",
            0,
        ),
        (
            "beale b='adam(0.1, betas=(0.8, 0.99), amsgrad=True)' --start=(1,-1)",
            "beale",
            [("b", "adam", (0.1,), (("betas", (0.8, 0.99)), ("amsgrad", True)))],
            0,
            (1.0, -1.0),
            "auto",
            0,
        ),
        (
            "booth gd=1e-2 lion=-0.5  # a comment",
            "booth",
            [("gd", "gd", (0.01,), ()), ("lion", "lion", (-0.5,), ())],
            0,
            None,
            "auto",
            0,
        ),
    ],
)
def test_good_lines(line, objective, optimizers, steps, start, device, play):
    plan = parse_line(line)
    assert plan.action == "show" and plan.objective == objective
    got = [(o.label, o.factory, o.args, o.kwargs) for o in plan.optimizers]
    assert got == optimizers
    assert (plan.steps, plan.start, plan.device, plan.play) == (steps, start, device, bool(play))
    assert not plan.defaulted


def test_no_optimizer_is_the_default_race_and_cell_lines_have_no_objective():
    plan = parse_line("rosenbrock --steps 5")
    assert plan.optimizers == DEFAULT_RACE and plan.defaulted
    assert [o.label for o in DEFAULT_RACE] == ["gd", "momentum", "adam"]
    cell = parse_line("adam=0.1 --steps 2", cell=True)
    assert cell.objective is None and [o.label for o in cell.optimizers] == ["adam"]
    assert (
        parse_line("--help").action == "help" and parse_line("--list", cell=True).action == "list"
    )


@pytest.mark.parametrize(
    ("line", "match"),
    [
        ("", "give a function"),
        ("adam=0.05", "first word must be a function"),
        ("rosenbrock adom=0.05", "with a bare learning rate the label names"),
        ("rosenbrock adom", r"unknown optimizer 'adom'; did you mean adam"),
        ("rosenbrock m='sgdd(1e-3)'", "unknown optimizer 'sgdd'"),
        ("rosenbrock gd", "gd has no default learning rate"),
        ("rosenbrock adam=1e-3)", "not a number or an optimizer call"),
        ("rosenbrock adam=1e-3,", "give a learning rate .*, an optimizer name or a call"),
        ("rosenbrock adam=", "give a learning rate"),
        ("rosenbrock adam=0.1 adam=0.2", "given twice"),
        ("rosenbrock m='sgd(1e-3, momentun=0.9)'", "unexpected keyword argument 'momentun'"),
        ("rosenbrock m='sgd(1e-3, 0.9, 0, 0, True, 7)'", "too many positional"),
        ("rosenbrock m='sgd(lr)'", "lr is not a literal"),
        ("rosenbrock m='sgd(**{\"lr\": 1})'", r"\*\* arguments"),
        ("rosenbrock --steps ten", "--steps must be a whole number"),
        ("rosenbrock --steps -3", "--steps must be >= 0"),
        ("rosenbrock --start 1;2", "--start must be numbers"),
        ("rosenbrock --start nan,1", "--start must be numbers"),
        ("rosenbrock --start", "expected one argument"),
        ("rosenbrock --device tpu", "invalid choice: 'tpu'"),
        ("rosenbrock --stepz 3", "unrecognized arguments: --stepz"),
        ('"x**2 + y', "cannot split the line"),
        ("x**2 + y**2 adam", r"unknown optimizer '\+'.*needs quotes"),
    ],
)
def test_bad_lines_are_one_line_errors(line, match):
    with pytest.raises(MagicError, match=match) as info:
        parse_line(line)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "spec",
    [
        "__import__('os').system('touch {p}')",
        "adam(__import__('os').system('touch {p}'))",
        "sgd(lr=open('{p}', 'w').close())",
        "os.system('touch {p}')",
        "[open('{p}', 'w') for _ in 'x']",
        "(lambda: open('{p}', 'w'))()",
        "adam(0.1).__class__",
        "sgd(*[open('{p}', 'w')])",
    ],
)
def test_code_on_the_line_is_refused_and_never_run(spec, tmp_path, monkeypatch):
    target = tmp_path / "pwned"
    calls = []
    monkeypatch.setattr(os, "system", lambda *a: calls.append(a))
    token = "label=" + spec.format(p=target)
    with pytest.raises(MagicError) as info:
        parse_optimizer(token)
    assert "\n" not in str(info.value)
    assert not target.exists() and not calls


def test_start_and_help_and_listing():
    assert parse_start("-1.5,2") == (-1.5, 2.0)
    assert parse_start("[1e-3 4]") == (1e-3, 4.0)
    assert parse_start(" ( 0 , -0.5 , 3 ) ") == (0.0, -0.5, 3.0)
    text = usage()
    for word in ("--steps", "--start", "--device", "--play", "--list", "LABEL=LR"):
        assert word in text
    assert "%%gd" in usage(cell=True)
    lines = listing().splitlines()
    assert lines[0] == "functions: " + ", ".join(gd.functions.names())
    # each optimizer with the lr its factory gives when called bare
    listed = dict(ln.split(None, 1) for ln in lines[2:])
    assert listed.pop("gd").startswith("none")
    made = {name: getattr(gd.optim, name)().lr for name in listed}
    assert {k: float(v) for k, v in listed.items()} == made
    assert made["adam"] == 1e-3 and made["adagrad"] == 1e-2  # torch's defaults


def test_specs_make_the_optimizers_asked_for():
    m = parse_optimizer("m=sgd(1e-3, momentum=0.9, nesterov=True)").make()
    assert isinstance(m, gd.optim.SGD)
    assert (m.lr, m.momentum, m.nesterov) == (1e-3, 0.9, True)
    a = parse_optimizer("adam=0.05").make()
    assert isinstance(a, gd.optim.Adam) and a.lr == 0.05
    with pytest.raises(MagicError, match=r"optimizer lion=lion\(-0.5\): lr must be > 0"):
        OptimizerSpec("lion", "lion", (-0.5,)).make()


# ---------------------------------------------------------------------------------------
# Objectives
# ---------------------------------------------------------------------------------------
def test_objective_by_name_or_expression_with_one_line_errors():
    assert type(build.objective("rosenbrock")) is type(gd.functions.rosenbrock())
    assert build.objective("Six-hump camel").name == gd.functions.six_hump_camel().name
    f = build.objective("x**2 + 3*sin(y)")
    p = np.array([[0.3, -1.2]])
    np.testing.assert_allclose(f.value(p), p[:, 0] ** 2 + 3 * np.sin(p[:, 1]), rtol=1e-15)
    with pytest.raises(MagicError, match=r"unknown function 'rosenbrok'; did you mean rosenbrock"):
        build.objective("rosenbrok")
    with pytest.raises(MagicError, match=r"bad expression: the function 'foo' is not allowed"):
        build.objective("x**2 + foo(y)")


def test_cell_function_runs_in_the_namespace_with_central_differences():
    ns: dict = {"np": np, "k": 3.0}
    body = "def g(x, y):\n    return np.sin(x) + k * y**2\n"
    f = build.cell_objective(body, ns)
    assert "g" in ns and f.name == "g(x, y) · gradients by central differences"
    assert not f.exact_grad
    rng = np.random.default_rng(0)
    P = rng.uniform(-2, 2, size=(16, 2))
    loss, grad = f.value_and_grad(P)
    np.testing.assert_allclose(loss, np.sin(P[:, 0]) + 3 * P[:, 1] ** 2, rtol=1e-15)
    exact = np.stack([np.cos(P[:, 0]), 6 * P[:, 1]], axis=1)
    np.testing.assert_allclose(grad, exact, rtol=1e-8, atol=1e-9)
    # a constant function is broadcast to every run
    const = build.cell_objective("def c(x, y):\n    return 2.0\n", {})
    np.testing.assert_array_equal(const.value(P), np.full(16, 2.0))
    three = build.cell_objective("def h(a, b, c=1, *rest):\n    return a * b\n", {})
    assert three.n_params == 2 and three.name.startswith("h(a, b) ·")
    # an expression cell: lines joined, comments dropped
    expr = build.cell_objective("x**2   # a bowl\n + 4*y**2\n", {})
    assert expr.expression == "x**2 + 4*y**2" and expr.exact_grad


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ("", "the cell is empty"),
        ("def f(x, y):\n    return 1 / 0\nf(1, 2)\n", "the cell raised ZeroDivisionError"),
        ("def f():\n    return 1\n", r"f\(\) must take the coordinates"),
        ("x**2 + bad(y)", "bad expression"),
        ("import math\ndef f(x, y):\n    return math.sin(x)\n", "use NumPy functions"),
        ("def f(x, y):\n    return [x, y]\n", "must return one number per point"),
    ],
)
def test_bad_cells_are_one_line_errors(body, match):
    with pytest.raises((MagicError, ValueError), match=match) as info:
        build.cell_objective(body, {}).value(np.array([[0.5, 1.0], [2.0, 3.0]]))
    assert "\n" not in str(info.value)
