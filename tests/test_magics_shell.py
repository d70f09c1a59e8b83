"""The IPython magics in a shell (%gd, %%gd, %gd_monitor) and in a real kernel (nbclient)."""

from __future__ import annotations

import json
import re
import sys

import numpy as np
import pytest

import gdwidget as gd

VIEW_MIME = "application/vnd.jupyter.widget-view+json"


# ---------------------------------------------------------------------------------------
# Through a real IPython shell
# ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def shell():
    from IPython.core.interactiveshell import InteractiveShell

    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "gdwidget")
    return ip


@pytest.fixture
def views(shell, monkeypatch):
    """The widget views the shell publishes (display() and the cell's value alike)."""
    seen: list[str] = []
    publish = shell.display_pub.publish

    def record(data, *args, **kwargs):
        if VIEW_MIME in data:
            seen.append(data[VIEW_MIME]["model_id"])
        return publish(data, *args, **kwargs)

    def record_value(format_dict, *args, **kwargs):  # the cell's value (Out), as a kernel sends it
        if VIEW_MIME in format_dict:
            seen.append(format_dict[VIEW_MIME]["model_id"])
        return write(format_dict, *args, **kwargs)

    write = shell.displayhook.write_format_data
    monkeypatch.setattr(shell.display_pub, "publish", record)
    monkeypatch.setattr(shell.displayhook, "write_format_data", record_value)
    widgets: list = []
    yield seen, widgets
    for w in widgets:
        w.close()


def test_gd_line_builds_the_race_asked_and_equals_gd_run(shell, views):
    seen, widgets = views
    r = shell.run_cell(
        '%gd rosenbrock adam=0.05 momentum="sgd(1e-3, momentum=0.9)" --steps 50 --start -1,1.5',
        store_history=True,
    )
    assert r.success, r.error_in_exec
    w = shell.user_ns["_"]
    widgets.append(w)
    assert isinstance(w, gd.Playground) and r.result is w
    assert seen == [w.model_id]  # displayed once, though it is also the cell's value
    opts = w.run.optimizers
    assert list(opts) == ["adam", "momentum"]
    assert isinstance(opts["adam"], gd.optim.Adam) and opts["adam"].lr == 0.05
    assert isinstance(opts["momentum"], gd.optim.SGD)
    assert (opts["momentum"].lr, opts["momentum"].momentum) == (1e-3, 0.9)
    ref = gd.run(
        gd.functions.rosenbrock(),
        {"adam": gd.optim.adam(0.05), "momentum": gd.optim.sgd(1e-3, momentum=0.9)},
        [-1.0, 1.5],
        steps=50,
        grad_tol=1e-6,  # the Playground's default
    )
    h = w.history
    np.testing.assert_array_equal(h.steps, np.arange(51))
    np.testing.assert_array_equal(h.loss, ref.loss)
    np.testing.assert_array_equal(h.xy, ref.params[:, :, :2])
    assert not w.playing


def test_assignment_keeps_it_and_a_later_display_shows_it(shell, views):
    seen, widgets = views
    assert shell.run_cell(
        'w8 = %gd "x**2 + 3*sin(y)" adam sgd --steps 4', store_history=True
    ).success
    w = shell.user_ns["w8"]
    widgets.append(w)
    assert seen == [w.model_id] and w.run.t == 4
    assert {k: type(v) for k, v in w.run.optimizers.items()} == {
        "adam": gd.optim.Adam,
        "sgd": gd.optim.SGD,
    }
    assert w.run.optimizers["adam"].lr == 1e-3  # the factory's default
    assert shell.run_cell("w8", store_history=True).success
    assert seen == [w.model_id, w.model_id]


def test_default_race_and_play(shell, views):
    seen, widgets = views
    w = shell.run_line_magic("gd", "himmelblau --play")
    widgets.append(w)
    assert list(w.run.optimizers) == ["gd", "momentum", "adam"]
    assert w.playing
    w.pause()


def test_cell_magic_function_and_expression(shell, views):
    seen, widgets = views
    shell.user_ns["scale"] = 2.0
    w = shell.run_cell_magic(
        "gd",
        "adam=0.1 --steps 20",
        "import numpy as np\ndef bowl(x, y):\n    return scale * x**2 + np.cos(y)\n",
    )
    widgets.append(w)
    assert "bowl" in shell.user_ns  # run in the user's namespace
    assert w.meta["objective"] == "bowl(x, y) · gradients by central differences"
    ref = gd.run(
        gd.Function(lambda p: 2.0 * p[:, 0] ** 2 + np.cos(p[:, 1]), n_params=2),
        {"adam": gd.optim.adam(0.1)},
        steps=20,
        grad_tol=1e-6,
    )
    np.testing.assert_allclose(w.history.loss, ref.loss, rtol=1e-12)
    w2 = shell.run_cell_magic("gd", "", "x**2\n+ y**2")
    widgets.append(w2)
    assert w2.meta["objective"] == "x**2 + y**2" and list(w2.run.optimizers) == [
        "gd",
        "momentum",
        "adam",
    ]


@pytest.mark.parametrize(
    ("line", "match"),
    [
        ("%gd rosenbrok adam", "UsageError: %gd: unknown function 'rosenbrok'"),
        ("%gd rosenbrock --start 1,2,3", "UsageError: %gd: start must have shape"),
        ("%gd rosenbrock adam=-1", r"UsageError: %gd: optimizer adam=adam\(-1.0\)"),
        ('%gd "x**2 + foo(y)"', "UsageError: %gd: bad expression"),
        ("%%gd adam\ndef f(x, y):\n    raise KeyError('no')\n", "UsageError: %%gd: .*KeyError"),
        (
            "%%gd adam --steps 100\nn = [0]\ndef f(x, y):\n    n[0] += 1\n"
            "    if n[0] > 30:\n        raise RuntimeError('boom')\n    return x**2 + y**2\n",
            r"UsageError: %%gd: the objective raised at step (\d+): RuntimeError: boom "
            r"\(\d+ steps taken; the widget shows it\)",
        ),
    ],
)
def test_errors_in_the_shell_are_usage_errors(shell, capsys, line, match):
    r = shell.run_cell(line)
    assert not r.success
    assert type(r.error_in_exec).__name__ == "UsageError" or r.error_before_exec
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err
    assert re.match(match, err), err


def test_no_variable_expansion_on_the_line(shell, tmp_path, capsys):
    target = tmp_path / "expanded"
    r = shell.run_cell(f"%gd rosenbrock adam={{open({str(target)!r}, 'w').close()}}")
    assert not r.success and not target.exists()
    shell.user_ns["lr"] = 0.3
    r = shell.run_cell("%gd rosenbrock adam=$lr")
    assert not r.success and "$lr" in capsys.readouterr().err


def test_help_and_list_print(shell, capsys):
    assert shell.run_line_magic("gd", "--help") is None
    assert "--steps N" in capsys.readouterr().out
    shell.run_line_magic("gd", "--list")
    assert "rosenbrock" in capsys.readouterr().out


# ---------------------------------------------------------------------------------------
# %gd_monitor
# ---------------------------------------------------------------------------------------
@pytest.fixture
def torch_opt():
    torch = pytest.importorskip("torch")
    net = torch.nn.Linear(3, 1)
    return net, torch.optim.SGD(net.parameters(), lr=0.1)


def test_gd_monitor_with_a_stand_in(shell, views, torch_opt, monkeypatch):
    import ipywidgets

    seen, widgets = views
    net, opt = torch_opt
    calls = []

    def fake(**kwargs):
        calls.append(kwargs)
        return ipywidgets.Label("monitor")

    monkeypatch.setattr(gd, "monitor", fake, raising=False)
    shell.user_ns["opt"] = opt
    shell.user_ns["holder"] = type("H", (), {"opt": opt})()
    m = shell.run_line_magic("gd_monitor", "opt")
    assert calls == [{"optimizer": opt}] and seen == [m.model_id]
    shell.run_line_magic("gd_monitor", " holder.opt ")
    assert calls[-1]["optimizer"] is opt
    shell.user_ns["three"] = 3
    from IPython.core.error import UsageError

    for line, match in [
        ("", "%gd_monitor NAME"),
        ("nothere", "no variable 'nothere'"),
        ("three", "three is a int, not a torch.optim.Optimizer"),
        ("holder.nope", "holder has no attribute 'nope'"),
        ("opt()", "is not a name"),
    ]:
        with pytest.raises(UsageError, match=match):
            shell.run_line_magic("gd_monitor", line)
    assert len(calls) == 2


def test_gd_monitor_with_the_real_monitor(shell, views, torch_opt):
    module = pytest.importorskip("gdwidget.monitoring")
    if not callable(getattr(module, "monitor", None)):
        pytest.skip("gd.monitor is not built yet")
    seen, widgets = views
    net, opt = torch_opt
    shell.user_ns["opt"] = opt
    m = shell.run_line_magic("gd_monitor", "opt")
    widgets.append(m)
    assert type(m).__module__.startswith("gdwidget.monitoring") and seen == [m.model_id]
    import torch

    torch.manual_seed(0)
    x, y = torch.randn(8, 3), torch.randn(8, 1)
    norms = []
    for _ in range(3):  # the monitor hooks opt.step: each step is recorded without m.log
        opt.zero_grad()
        ((net(x) - y) ** 2).mean().backward()
        norms.append(float(torch.sqrt(sum((p.grad**2).sum() for p in net.parameters()))))
        opt.step()
    h = m.history
    assert len(h) == 3
    got = np.ravel(h.grad_norm)
    read = np.isfinite(got)  # the monitor may skip reading some steps' norms (NaN there)
    assert read.any()
    np.testing.assert_allclose(got[read], np.asarray(norms)[read], rtol=1e-5)
    assert [np.ravel(v).tolist() for v in h.lr.values()] == [[0.1, 0.1, 0.1]]


# ---------------------------------------------------------------------------------------
# In a real kernel, through nbclient
# ---------------------------------------------------------------------------------------
def test_notebook_in_a_real_kernel(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    flag = tmp_path / "ran"
    cells = [
        "%load_ext gdwidget",
        "%gd rosenbrock adam=0.05 --steps 50",
        "print(len(_.history.steps), _.run.t)",
        'w = %gd himmelblau m="sgd(1e-3, momentum=0.9)" --steps 5\n'
        "print(w.run.t, list(w.run.optimizers))",
        "%gd rosenbrok adam",
        f"%gd rosenbrock adam=\"__import__('os').system('touch {flag}')\"",
        "%gd rosenbrock --steps x",
        "%%gd adam=0.1 --steps 3\nimport numpy as np\ndef f(x, y):\n    return np.sin(x) + y**2",
        "print(_.meta['objective'], _.run.t)",
        "import sys; print(sys.prefix)",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nbformat.write(nb, tmp_path / "magics.ipynb")
    client = nbclient.NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    outs = [c.outputs for c in nb.cells]

    def text(o):
        return "".join(x.get("text", "") for x in o if x.output_type == "stream")

    views = [x for x in outs[1] if VIEW_MIME in x.get("data", {})]
    assert len(views) == 1, outs[1]  # one view: shown once, though also the cell's value
    assert text(outs[2]).split() == ["51", "50"]
    assert [x for x in outs[3] if VIEW_MIME in x.get("data", {})]
    assert text(outs[3]).strip().splitlines()[-1] == "5 ['m']"
    for i, want in (
        (4, "unknown function 'rosenbrok'"),
        (5, "only a call of an optimizer"),
        (6, "--steps"),
    ):
        lines = text(outs[i]).strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("UsageError: %gd:") and want in lines[0], (
            outs[i]
        )
        assert not [x for x in outs[i] if x.output_type == "error"], outs[i]
        assert "gdwidget" not in json.dumps(outs[i])  # no frame of gdwidget anywhere
    assert not flag.exists()
    assert text(outs[8]).strip() == "f(x, y) · gradients by central differences 3"
    assert text(outs[9]).strip() == sys.prefix  # the kernel is this venv's python3
