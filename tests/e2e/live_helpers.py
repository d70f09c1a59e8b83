"""Shared by the live-layer browser tests: their notebook, a JupyterLab and page for a
module (:func:`open_lab`), and helpers that run its cells and read its kernel and views."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from . import servers
from .conftest import _skip_reason, lab_notebook, new_page, wait_kernel_idle
from .test_playground import wait_until

STATUS = '[data-testid="gd-status"]'
PLAY = '[data-testid="gd-play"]'
PAUSE = '[data-testid="gd-pause"]'
LANDSCAPE = '[data-testid="gd-landscape"]'
LOSS = '[data-testid="gd-loss"]'
DISCONNECTED = '[data-testid="gd-disconnected"]'

RACE = (
    "{'sgd': gd.optim.sgd(1e-3), 'momentum': gd.optim.sgd(1e-3, momentum=0.9),"
    " 'adam': gd.optim.adam(0.05), 'rmsprop': gd.optim.rmsprop(1e-3),"
    " 'adagrad': gd.optim.adagrad(0.5)}"
)
RACE_STEPS = 100_000

SETUP, PLAYER, RACE_VIEW, RACE_RUN, DIVERGED = 0, 1, 2, 3, 4
LIVE_CELLS = [
    "import os\nimport gdwidget as gd\nws = []\nprint('PID', os.getpid())",
    "w = gd.Playground(gd.functions.rosenbrock(),\n"
    "    {'gd': gd.optim.sgd(1e-3), 'adam': gd.optim.adam(0.05)},\n"
    "    start=(-1.5, 2.0), device='cpu', speed=0, grad_tol=0.0)\n"
    "ws.append(w)\nw.play()\nw",
    f"race = gd.Playground(gd.functions.rosenbrock(), {RACE},\n"
    "    start=(-1.5, 2.0), device='cpu', grad_tol=0.0)\nrace",
    f"race.step({RACE_STEPS})\nprint('RACE', race.t, race.meta['max_history'])",
    "dv = gd.Playground(gd.functions.rosenbrock(),\n"
    "    {'sgd': gd.optim.sgd(0.1), 'adam': gd.optim.adam(0.05)},\n"
    "    start=(-1.5, 2.0), device='cpu')\ndv.step(300)\ndv",
]

# the same race headless, in a process of its own (niced) while the browser tests run
REFERENCE = f"""
import sys, numpy as np, gdwidget as gd
h = gd.run(gd.functions.rosenbrock(), {RACE}, start=(-1.5, 2.0), steps={RACE_STEPS},
           device='cpu', grad_tol=0.0)
np.savez(sys.argv[1], xy=h.params[:, :, :2], labels=np.array(h.labels))
"""


# ---------------------------------------------------------------------------------------------
# one server, one page (and the race's reference run) for a module
# ---------------------------------------------------------------------------------------------
class Lab:
    def __init__(self, server: servers.Server, page, reference, ref_path: Path):
        self.server, self.page, self.reference, self.ref_path = server, page, reference, ref_path
        self.pid = 0


def open_lab(browser, tmp_path_factory, reference: bool) -> Iterator[Lab]:
    """A module's JupyterLab on ``LIVE_CELLS`` and its page (the body of a module-scoped
    ``lab`` fixture); ``reference``: the race run headless meanwhile (``lab.reference``)."""
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    base = tmp_path_factory.mktemp("e2e-live")
    root = base / "nb"
    root.mkdir()
    (root / "live.ipynb").write_text(servers.notebook_json(LIVE_CELLS))
    ref_path = base / "reference.npz"
    ref = None
    if reference:
        ref = subprocess.Popen(
            [sys.executable, "-c", REFERENCE, str(ref_path)],
            preexec_fn=lambda: os.nice(10),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
    server = servers.start("lab", root, notebook="live.ipynb")
    context, page = new_page(browser, 1400, 1000)
    try:
        page.goto(server.page_url())
        wait_kernel_idle(page)
        lab = Lab(server, page, ref, ref_path)
        lab.pid = int(re.search(r"PID (\d+)", run_cell(page, SETUP)).group(1))
        yield lab
    finally:
        context.close()
        server.stop()
        if ref is not None and ref.poll() is None:
            ref.kill()
            ref.wait()


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------
def run_cell(page, i: int) -> str:
    """Run cell ``i`` of the open notebook, wait until it finishes, return its printed text."""
    return page.evaluate(
        """async (i) => {
            const p = window.jupyterapp.shell.currentWidget;
            p.content.activeCellIndex = i;
            await window.jupyterapp.commands.execute('notebook:run-cell');
            const outs = p.content.widgets[i].model.outputs.toJSON();
            return outs.map(o => [].concat(o.text || '').join('')
                + (o.output_type === 'error' ? o.ename + ': ' + o.evalue : '')).join('');
        }""",
        i,
    )


def kernel_exec(page, code: str) -> str:
    """Run ``code`` in the notebook's kernel outside any cell; return what it printed."""
    return page.evaluate(
        """async (code) => {
            const k = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
            const f = k.requestExecute({code, store_history: false});
            let out = '';
            f.onIOPub = (msg) => {
                const c = msg.content;
                if (msg.header.msg_type === 'stream') out += c.text;
                if (msg.header.msg_type === 'error') out += 'ERROR ' + c.ename + ': ' + c.evalue;
            };
            await f.done;
            return out;
        }""",
        code,
    )


def expected_px(page, x: float, y: float) -> tuple[float, float]:
    """Where the landscape puts data point (x, y), from its own plot box and view (CSS px)."""
    d = page.evaluate(
        """(sel) => { const el = document.querySelector(sel); const g = el.gdDrawn();
                     return {view: g.view, ...el.dataset}; }""",
        '[data-testid="gd-landscape"]',
    )
    (x0, x1), (y0, y1) = d["view"]
    left, top, w, h = (float(d[k]) for k in ("plotLeft", "plotTop", "plotWidth", "plotHeight"))
    return left + (x - x0) / (x1 - x0) * w, top + (y1 - y) / (y1 - y0) * h


def kernel_json(page, expr: str):
    """The value of ``expr`` in the notebook's kernel (outside any cell), through JSON."""
    out = kernel_exec(page, f"print('JSON', __import__('json').dumps({expr}))")
    m = re.search(r"JSON (.*)", out)
    assert m, out
    return json.loads(m.group(1))


@contextmanager
def lab_cells(
    browser, tmp_path_factory, name: str, cells: list[str], ready: str, size=(1400, 1100)
):
    """A JupyterLab notebook of ``cells``, every cell run in turn, once ``ready`` (a CSS
    selector) is in the page: yields the page."""
    with lab_notebook(browser, tmp_path_factory, name, cells, *size) as (server, page, root):
        for i in range(len(cells)):
            run_cell(page, i)
        page.wait_for_selector(ready, state="attached", timeout=60_000)
        yield page


def steps_of(page) -> list[int]:
    """The step count ``t`` of every Playground made by the player cell (oldest first)."""
    out = kernel_exec(page, "print('STEPS', [x.t for x in ws])")
    m = re.search(r"STEPS \[([\d, ]*)\]", out)
    assert m, out
    return [int(v) for v in m.group(1).split(",") if v.strip()]


def cell(page, i: int):
    return page.locator(".jp-Notebook .jp-Cell").nth(i)


def widget_errors(page) -> list[str]:
    return [
        m
        for m in page.console_messages
        if m.startswith("pageerror") and ("blob:" in m or "gdwidget" in m or "anywidget" in m)
    ]


def show_player(page) -> int:
    """(Re-)run the player cell; wait until its new Playground steps; return its index in ws."""
    before = len(steps_of(page))
    out = run_cell(page, PLAYER)

    def made() -> bool:
        steps = steps_of(page)
        assert len(steps) == before + 1, f"Playgrounds {steps}, cell output {out!r}"
        return True

    wait_until(made, 30, "the new Playground")
    wait_until(lambda: cell(page, PLAYER).locator(STATUS).count() == 1, 60, "the player's view")
    first = step_of_cell(page, PLAYER)
    wait_until(lambda: step_of_cell(page, PLAYER) > first, 30, "the new Playground to step")
    return before


def step_of_cell(page, i: int) -> int:
    text = cell(page, i).locator(STATUS).first.inner_text()
    m = re.search(r"step\s+(\d+)", text)
    assert m, f"no step count in the status line: {text!r}"
    return int(m.group(1))


def polyline_samples(paths: list, spacing: float) -> np.ndarray:
    """Points along every segment of ``paths`` (lists of [px, py]) no further than ``spacing``
    apart: a point's distance to the nearest sample is its distance to the polyline plus at
    most ``spacing / 2``."""
    out = []
    for sub in paths:
        a = np.asarray(sub, dtype=float).reshape(-1, 2)
        seg = np.diff(a, axis=0)
        k = np.maximum(1, np.ceil(np.hypot(seg[:, 0], seg[:, 1]) / spacing)).astype(int)
        idx = np.repeat(np.arange(len(seg)), k)
        frac = (np.arange(k.sum()) - np.repeat(np.cumsum(k) - k, k)) / np.repeat(k, k)
        out += [a[:-1][idx] + seg[idx] * frac[:, None], a[-1:]]
    return np.concatenate(out)


def to_pixels(xy: np.ndarray, drawn: dict) -> np.ndarray:
    """Points ``(n, 2)`` of the function's plane in the page's pixels, by ``gdDrawn()``'s view."""
    (x0, x1), (y0, y1) = drawn["view"]
    p = drawn["plot"]
    px = p["left"] + (xy[:, 0] - x0) * (p["width"] / (x1 - x0))
    py = p["top"] + (y1 - xy[:, 1]) * (p["height"] / (y1 - y0))
    return np.stack([px, py], axis=1)
