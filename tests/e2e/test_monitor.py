"""gd.monitor in JupyterLab: notebook 04 trains a PyTorch MLP on scikit-learn's digits.

One JupyterLab server and one page for the module, on a copy of
``notebooks/04_watch_your_training.ipynb``; the tests run in file order on it:

* while the training cell runs, the curves grow (``data-points`` read in the page at every
  animation frame, with the cell's prompt still ``[*]``);
* afterwards the path and the gradient-norm strip paint (their canvases hold the path's colour
  and the strip's colours), the strip has one row per layer of the network (``data-layers``
  against the modules that own parameters), and the loss curve's last drawn value is the last
  loss in ``m.history`` (read from the kernel);
* screenshots light and dark at two widths (under the system's temporary directory);
* the ``%gd`` cell shows a Playground.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from . import servers
from .conftest import REPO, _skip_reason, each_theme, new_page, wait_kernel_idle
from .live_helpers import cell, kernel_exec, run_cell, widget_errors
from .test_playground import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOTEBOOK = REPO / "notebooks" / "04_watch_your_training.ipynb"
MONITOR = '[data-testid="gd-monitor"]'
CURVES = '[data-testid="gd-monitor-curves"]'
PATH = '[data-testid="gd-monitor-path"]'
STRIP = '[data-testid="gd-monitor-strip"]'
SHOTS = Path(tempfile.gettempdir()) / "gdwidget-monitor-shots"


def _cells() -> list[dict]:
    return json.loads(NOTEBOOK.read_text())["cells"]


def _index(fragment: str) -> int:
    """The index (among all cells, as JupyterLab counts) of the code cell with ``fragment``."""
    for i, c in enumerate(_cells()):
        if c["cell_type"] == "code" and fragment in "".join(c["source"]):
            return i
    raise AssertionError(f"no code cell of {NOTEBOOK.name} contains {fragment!r}")


@pytest.fixture(scope="module")
def lab(browser, tmp_path_factory) -> Iterator[object]:
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    pytest.importorskip("sklearn", reason="notebook 04 needs scikit-learn (its digits data set)")
    pytest.importorskip("torch", reason="notebook 04 trains a PyTorch network")
    root = tmp_path_factory.mktemp("e2e-monitor") / "nb"
    root.mkdir()
    shutil.copy(NOTEBOOK, root / "monitor.ipynb")
    server = servers.start("lab", root, notebook="monitor.ipynb")
    context, page = new_page(browser, 1400, 1000)
    try:
        page.goto(server.page_url())
        wait_kernel_idle(page)
        yield page
    finally:
        context.close()
        server.stop()


# samples data-points of the monitor in cell i at every animation frame while the cell's prompt
# says it runs, from its start to its end; the cell is started here (not awaited by Python)
WATCH = """async (i) => {
    const nb = window.jupyterapp.shell.currentWidget;
    nb.content.activeCellIndex = i;
    const done = window.jupyterapp.commands.execute('notebook:run-cell');
    const node = nb.content.widgets[i].node;
    const running = () => (node.querySelector('.jp-InputPrompt')?.textContent || '').includes('*');
    const samples = [];
    let finished = false;
    done.then(() => { finished = true; });
    const t0 = performance.now();
    while (!finished && performance.now() - t0 < 120000) {
        await new Promise((r) => requestAnimationFrame(r));
        const el = node.querySelector('[data-testid="gd-monitor-curves"]');
        if (el) samples.push([Number(el.dataset.points), running()]);
    }
    await done;
    return samples;
}"""

# pixels of a canvas: how many are opaque, and how many are near the colour `rgb`
PIXELS = """(canvas, rgb) => {
    const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let opaque = 0, near = 0, colours = new Set();
    for (let i = 0; i < d.length; i += 4) {
        if (d[i + 3] > 200) {
            opaque++;
            colours.add((d[i] >> 3) * 1024 + (d[i + 1] >> 3) * 32 + (d[i + 2] >> 3));
        }
        const dist = rgb ? Math.abs(d[i] - rgb[0]) + Math.abs(d[i + 1] - rgb[1])
            + Math.abs(d[i + 2] - rgb[2]) : 999;
        if (dist < 40 && d[i + 3] > 200) near++;
    }
    return {opaque, near, colours: colours.size, total: d.length / 4};
}"""


def test_curves_grow_while_the_training_cell_runs(lab):
    page = lab
    run_cell(page, _index("load_digits"))
    train = _index("gd.monitor(")
    samples = page.evaluate(WATCH, train)
    while_running = [p for p, running in samples if running]
    assert len(while_running) >= 2, f"the view was read {len(samples)} times, never while running"
    grown = sorted({p for p in while_running if p > 0})
    assert len(grown) >= 2, f"data-points while the cell ran: {grown} (samples {samples[:5]}...)"
    # never shrinks while running (a history may thin it, but not in a run this short)
    assert while_running == sorted(while_running)
    out = cell(page, train).locator(".jp-OutputArea-output").all_inner_texts()
    assert any("validation accuracy" in t for t in out), out
    assert not widget_errors(page), widget_errors(page)


def test_path_and_strip_paint_and_the_curve_ends_at_the_last_loss(lab):
    page = lab
    view = cell(page, _index("gd.monitor("))
    truth = kernel_exec(
        page,
        "_h = m.history.to_pandas()\n"
        "_layers = [n for n, mod in net.named_modules()\n"
        "           if any(True for _ in mod.parameters(recurse=False))]\n"
        "print('TRUTH', len(_layers), repr(float(_h['loss'].dropna().iloc[-1])), len(_h))",
    )
    found = re.search(r"TRUTH (\d+) (\S+) (\d+)", truth)
    assert found, truth
    n_layers, last_loss, rows = int(found.group(1)), float(found.group(2)), int(found.group(3))
    assert n_layers == 3

    curves = view.locator(CURVES)
    wait_until(lambda: int(curves.get_attribute("data-points")) == rows, 30, f"{rows} rows drawn")
    drawn = curves.evaluate("el => el.gdDrawn()")
    chart = next(c for c in drawn if "loss/line" in c["roles"] or "loss/raw" in c["roles"])
    role = "loss/raw" if "loss/raw" in chart["roles"] else "loss/line"
    column = chart["data"][1 + chart["roles"].index(role)]
    last_drawn = next(v for v in reversed(column) if v is not None)
    assert math.isclose(last_drawn, last_loss, rel_tol=1e-12), (last_drawn, last_loss)
    assert float(view.locator('[data-name="loss"]').get_attribute("data-last")) == last_loss

    strip = view.locator(STRIP)
    assert strip.is_visible()
    assert int(strip.get_attribute("data-layers")) == n_layers
    columns = int(strip.get_attribute("data-columns"))
    assert 0 < columns <= rows
    px = strip.locator("canvas").evaluate(PIXELS, None)
    # the strip's cells (one colour per layer and step bucket) fill much of the canvas
    assert px["colours"] > 20 and px["opaque"] > 0.2 * px["total"], px

    path = view.locator(PATH)
    assert path.is_visible()
    assert int(path.get_attribute("data-points")) > 1
    red = path.locator("canvas").evaluate(PIXELS, [214, 39, 40])
    assert red["near"] > 30, red  # the path's line and markers
    assert red["colours"] > 40, red  # the surface's heat map under it
    assert not widget_errors(page), widget_errors(page)


def test_monitor_screenshots(lab):
    page = lab
    view = cell(page, _index("gd.monitor("))
    out = view.locator(MONITOR).first
    SHOTS.mkdir(exist_ok=True)
    try:
        for shade in each_theme(page):
            for width in (800, 1400):
                page.set_viewport_size({"width": width, "height": 1100})
                time.sleep(0.8)
                out.evaluate("el => el.scrollIntoView({block: 'start'})")
                time.sleep(0.4)
                name = SHOTS / f"monitor-{width}-{shade}.png"
                page.screenshot(path=str(name))
                assert name.stat().st_size > 10_000
    finally:
        page.set_viewport_size({"width": 1400, "height": 1000})
        page.evaluate(
            "() => window.jupyterapp.commands.execute('apputils:change-theme',"
            " {theme: 'JupyterLab Light'})"
        )
    assert not widget_errors(page), widget_errors(page)


def test_the_gd_magic_cell_shows_a_playground(lab):
    page = lab
    i = _index("%gd rosenbrock")
    text = run_cell(page, i)
    assert "Error" not in text, text
    wait_until(
        lambda: cell(page, i).locator('[data-testid="gd-landscape"]').count() == 1,
        60,
        "the Playground of the %gd cell",
    )
    status = cell(page, i).locator('[data-testid="gd-status"]').inner_text()
    assert re.search(r"step\s+50\b", status), status
    assert not widget_errors(page), widget_errors(page)
