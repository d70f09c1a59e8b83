"""gd.plots in JupyterLab: a bqplot loss figure beside a playing Playground follows it.

``widgets.HBox([w, gd.plots.loss(w)])``: bqplot's JupyterLab extension (shipped in its wheel)
renders the figure, and the number of points of a run's loss line in the page (its SVG path)
grows while the Playground plays; once paused, it equals the kernel's mark, which equals the
Playground's bounded history. A screenshot goes to ``$GD_SHOTS`` (default: the system's
temporary folder), never into the repository.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gdwidget.live.meta import PALETTE

from . import servers
from .conftest import lab_notebook
from .live_helpers import kernel_exec, run_cell
from .test_playground import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CELLS = [
    "import gdwidget as gd, ipywidgets as widgets\n"
    "w = gd.Playground(gd.functions.rosenbrock(),\n"
    "    {'gd': gd.optim.sgd(1e-3), 'adam': gd.optim.adam(0.05)},\n"
    "    start=(-1.5, 2.0), device='cpu', speed=60, grad_tol=0.0)\n"
    "f = gd.plots.loss(w)\n"
    "w.play()\n"
    "widgets.HBox([w, f])",
    "d = gd.plots.dashboard(w)\nw.play()\nd",
]
FIGURE = ".gd-plot-loss"
SHOTS = Path(os.environ.get("GD_SHOTS", tempfile.gettempdir()))


@pytest.fixture(scope="module")
def lab(browser, tmp_path_factory) -> Iterator[tuple[servers.Server, object]]:
    with lab_notebook(browser, tmp_path_factory, "plots", CELLS, 1700, 900) as (
        server,
        page,
        root,
    ):
        page.evaluate("() => window.jupyterapp.shell.collapseLeft()")  # room for the HBox
        yield server, page


def rgb(hex_colour: str) -> str:
    """``#4e79a7`` as the page's computed style writes it: ``rgb(78, 121, 167)``."""
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


#: each run's colour in the page: the Playground's (gdwidget.live.meta.PALETTE, by optimizer)
COLOURS = {rgb(PALETTE[0]): "gd", rgb(PALETTE[1]): "adam"}


def line_points(page) -> dict[str, int]:
    """Points of each loss line drawn in the page: label -> count (from its SVG path)."""
    drawn = page.evaluate(
        """(sel) => {
            const fig = document.querySelector(sel);
            if (!fig) return [];
            return [...fig.querySelectorAll('g.curve > path.line')].map((p) => [
                getComputedStyle(p).stroke,
                ((p.getAttribute('d') || '').match(/[ML]/g) || []).length,
            ]);
        }""",
        FIGURE,
    )
    return {COLOURS.get(colour, colour): n for colour, n in drawn}


def test_bqplot_loss_figure_follows_a_playing_playground(lab):
    server, page = lab
    out = run_cell(page, 0)
    assert "Error" not in out, out
    wait_until(lambda: page.locator(f"{FIGURE} svg").count() > 0, 60, "the bqplot figure")
    wait_until(lambda: line_points(page).get("gd", 0) > 1, 30, "the loss lines to be drawn")
    a = line_points(page)
    time.sleep(1.0)
    b = line_points(page)
    assert set(a) == {"gd", "adam"}, a
    assert b["gd"] > a["gd"] and b["adam"] > a["adam"], f"the lines do not grow: {a} -> {b}"
    errors = [m for m in page.console_messages if "bqplot" in m.lower() and "error" in m.lower()]
    assert not errors, errors

    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "gd-plots-hbox.png"), full_page=False)

    # paused, the page shows exactly the kernel's mark, which is the Playground's history
    kernel_exec(page, "w.pause()")
    code = (
        "import numpy as np\n"
        "h = w.history\n"
        "m = {x.labels[0]: x for x in f.marks}\n"
        "ok = all(np.array_equal(m[l].x, h.steps) and np.array_equal(m[l].y, h.loss[:, r])"
        " for r, l in enumerate(h.labels))\n"
        "print('ROWS', len(h.steps), ok)"
    )

    def settled() -> bool:
        got = re.search(r"ROWS (\d+) (\w+)", kernel_exec(page, code))
        assert got and got.group(2) == "True", f"the kernel's mark is not the history: {got}"
        drawn = line_points(page)
        assert drawn == {"gd": int(got.group(1)), "adam": int(got.group(1))}, (drawn, got[1])
        return True

    wait_until(settled, 20, "the page to show the kernel's rows")
    assert server.proc.poll() is None


def test_dashboard_draws_four_figures_and_the_landscape(lab):
    server, page = lab
    out = run_cell(page, 1)
    assert "Error" not in out, out
    dash = ".jp-Notebook .jp-Cell:nth-child(2) .jp-OutputArea-output"
    for css in (".gd-plot-paths", ".gd-plot-loss", ".gd-plot-lr", ".gd-plot-grad-norms"):
        wait_until(lambda c=css: page.locator(f"{dash} {c} svg").count() > 0, 60, css)
    # the paths figure: one curve per run over the landscape (a heat map image)
    paths = page.locator(f"{dash} .gd-plot-paths")
    wait_until(lambda: paths.locator("g.curve > path.line").count() == 2, 30, "the two paths")
    wait_until(lambda: paths.locator("image").count() > 0, 30, "the landscape heat map")
    page.locator(dash).first.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "gd-plots-dashboard.png"), full_page=False)
    kernel_exec(page, "w.pause()")
    assert server.proc.poll() is None


def test_plots_in_voila_draw_each_run_as_the_kernel_holds_it(browser, tmp_path_factory):
    """The same views served as a Voila app (no JupyterLab): the bqplot figures render from
    Voila's own widget manager, with one loss line per run, of the kernel's length."""
    from .conftest import new_page

    cells = [
        "import gdwidget as gd, ipywidgets as widgets\n"
        "w = gd.Playground(gd.functions.rosenbrock(),\n"
        "    {'gd': gd.optim.sgd(1e-3), 'adam': gd.optim.adam(0.05)},\n"
        "    start=(-1.5, 2.0), device='cpu', grad_tol=0.0)\n"
        "w.step(120)\n"
        "rows = widgets.HTML(f\"<b class='gd-rows'>{len(w.history.steps)}</b>\")\n"
        "widgets.VBox([rows, gd.plots.dashboard(w)])",
    ]
    root = tmp_path_factory.mktemp("voila-plots") / "nb"
    root.mkdir()
    (root / "plots.ipynb").write_text(servers.notebook_json(cells))
    server = servers.start("voila", root, notebook="plots.ipynb")
    context, page = new_page(browser, 1400, 1100)
    try:
        page.goto(server.page_url(), timeout=180_000)
        for css in (".gd-plot-paths", ".gd-plot-loss", ".gd-plot-lr", ".gd-plot-grad-norms"):
            page.wait_for_selector(f"{css} svg", state="attached", timeout=120_000)
        lines = page.locator(".gd-plot-loss g.curve > path.line")
        wait_until(lambda: lines.count() == 2, 30, "the two loss lines")
        drawn = [
            len(re.findall(r"[ML]", d or ""))
            for d in lines.evaluate_all("ps => ps.map((p) => p.getAttribute('d'))")
        ]
        rows = int(page.locator(".gd-rows").inner_text())
        assert drawn == [rows, rows], (drawn, rows)  # every kept row of each run, as held
        paths = page.locator(".gd-plot-paths g.curve > path.line")
        wait_until(lambda: paths.count() == 2, 30, "the two paths")
        assert page.locator(".gd-plot-paths image").count() > 0  # the landscape heat map
        page.screenshot(path=str(SHOTS / "gd-plots-voila.png"), full_page=False)
    finally:
        context.close()
        server.stop()
