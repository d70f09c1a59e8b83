"""The live layer in JupyterLab: no orphaned, stuck or dead widget, and nothing drawn is false.

One JupyterLab server and one page for the module, one notebook (``LIVE_CELLS``); the tests run
in file order on it (the kernel restart comes last):

* re-running a playing cell stops the old Playground within 2 s, and clearing the output stops
  the new one; the kernel's CPU use then drops (``/proc/<pid>/stat``);
* the interrupt command pauses a playing Playground while no cell runs;
* a page reload while playing leaves the server log quiet and the history shown again;
* a 100,000-step race of five optimizers: the path the page draws (read through the
  landscape's ``gdDrawn`` hook) stays within a pixel of the full ``gd.run`` path;
* screenshots of the race at three widths, light and dark (test-artifacts/live-*.png);
* a diverged run keeps the loss chart's y labels, its legend note and its end mark;
* after a kernel restart the widget says so (``gd-disconnected``) and its controls send nothing.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from . import servers
from .conftest import _skip_reason, each_theme, lab_notebook, new_page, wait_kernel_idle
from .test_playground import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

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
TOL_PX = 1.0 + 0.5  # the thinning's pixel, plus 0.5 px for float32 points and rounding

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
# fixtures: one server, one page, one reference run for the module
# ---------------------------------------------------------------------------------------------
class Lab:
    def __init__(self, server: servers.Server, page, reference: subprocess.Popen, ref_path: Path):
        self.server, self.page, self.reference, self.ref_path = server, page, reference, ref_path
        self.pid = 0


@pytest.fixture(scope="module")
def lab(browser, tmp_path_factory) -> Iterator[Lab]:
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    base = tmp_path_factory.mktemp("e2e-live")
    root = base / "nb"
    root.mkdir()
    (root / "live.ipynb").write_text(servers.notebook_json(LIVE_CELLS))
    ref_path = base / "reference.npz"
    reference = subprocess.Popen(
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
        lab = Lab(server, page, reference, ref_path)
        lab.pid = int(re.search(r"PID (\d+)", run_cell(page, SETUP)).group(1))
        yield lab
    finally:
        context.close()
        server.stop()
        if reference.poll() is None:
            reference.kill()
            reference.wait()


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


def cpu_cores(pid: int, seconds: float = 1.0) -> float:
    """The process's CPU use over ``seconds``, in cores (utime + stime from /proc)."""

    def ticks() -> int:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)

    t0, c0 = time.monotonic(), ticks()
    time.sleep(seconds)
    t1, c1 = time.monotonic(), ticks()
    return (c1 - c0) / os.sysconf("SC_CLK_TCK") / (t1 - t0)


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


# ---------------------------------------------------------------------------------------------
# a. re-running or clearing a playing cell
# ---------------------------------------------------------------------------------------------
def test_rerun_and_clear_stop_the_playground_nobody_sees(lab):
    page = lab.page
    old = show_player(page)
    busy = cpu_cores(lab.pid)

    new = show_player(page)  # the re-run: the old view goes, the old Playground must stop
    time.sleep(2.0)
    a = steps_of(page)
    time.sleep(1.0)
    b = steps_of(page)
    assert b[old] == a[old], f"the old Playground still steps 2 s after the re-run: {a} -> {b}"
    assert b[new] > a[new], f"the new Playground does not play: {a} -> {b}"

    page.evaluate(
        """(i) => {
            window.jupyterapp.shell.currentWidget.content.activeCellIndex = i;
            return window.jupyterapp.commands.execute('notebook:clear-cell-output');
        }""",
        PLAYER,
    )
    time.sleep(2.0)
    a = steps_of(page)
    time.sleep(1.0)
    b = steps_of(page)
    assert b == a, f"a Playground still steps 2 s after its output was cleared: {a} -> {b}"
    idle = cpu_cores(lab.pid)
    print(f"kernel CPU: {busy:.2f} cores playing, {idle:.2f} cores after the views went")
    assert idle < 0.25, f"the kernel uses {idle:.2f} cores with no Playground in view"


# ---------------------------------------------------------------------------------------------
# b. the interrupt command pauses a playing Playground
# ---------------------------------------------------------------------------------------------
def test_interrupt_pauses_a_playing_playground(lab):
    page = lab.page
    show_player(page)
    view = cell(page, PLAYER)
    assert "▸" in view.locator(STATUS).first.inner_text()
    page.evaluate("() => window.jupyterapp.commands.execute('kernelmenu:interrupt')")
    time.sleep(1.5)
    a = step_of_cell(page, PLAYER)
    time.sleep(1.0)
    assert step_of_cell(page, PLAYER) == a, "the step count rises after the interrupt"
    assert "▸" not in view.locator(STATUS).first.inner_text()
    wait_until(
        lambda: "gd-active" in (view.locator(PAUSE).first.get_attribute("class") or ""),
        5,
        "the pause button to show the paused state",
    )
    statuses = view.locator(".gd-legend-status").all_inner_texts()
    assert statuses and all(s == "paused" for s in statuses), statuses
    assert kernel_exec(page, "print(ws[-1].playing)").strip() == "False"


# ---------------------------------------------------------------------------------------------
# e. a page reload while playing
# ---------------------------------------------------------------------------------------------
CLOSED = re.compile(r"closed|WebSocketClosedError|Stream is closed", re.IGNORECASE)


def test_reload_while_playing_keeps_the_log_quiet_and_shows_the_history(lab):
    page, server = lab.page, lab.server
    show_player(page)
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    time.sleep(1.0)
    mark = server.log_size()
    page.reload()
    time.sleep(5.0)
    lines = [ln for ln in server.log_since(mark).splitlines() if CLOSED.search(ln)]
    print(f"closed-socket lines in the 5 s after the reload: {len(lines)}")
    assert len(lines) <= 5, "\n".join(lines[:20])

    wait_kernel_idle(page)
    wait_until(lambda: cell(page, PLAYER).locator(STATUS).count() == 1, 120, "the view again")
    view = cell(page, PLAYER)
    view.scroll_into_view_if_needed()
    steps = steps_of(page)
    wait_until(lambda: step_of_cell(page, PLAYER) == steps[-1], 30, f"step {steps[-1]} again")
    drawn = view.locator(LANDSCAPE).first.evaluate("el => el.gdDrawn()")
    assert drawn["rows"] > 1, drawn["rows"]
    assert {r["label"] for r in drawn["runs"]} == {"gd", "adam"}
    assert all(sum(len(p) for p in r["paths"]) > 1 for r in drawn["runs"])
    kernel_exec(page, "for x in ws: x.pause()")


# ---------------------------------------------------------------------------------------------
# d. the drawn race against gd.run
# ---------------------------------------------------------------------------------------------
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
    (x0, x1), (y0, y1) = drawn["view"]
    p = drawn["plot"]
    px = p["left"] + (xy[:, 0] - x0) * (p["width"] / (x1 - x0))
    py = p["top"] + (y1 - xy[:, 1]) * (p["height"] / (y1 - y0))
    return np.stack([px, py], axis=1)


def test_race_drawn_within_a_pixel_of_the_true_paths(lab):
    from scipy.spatial import cKDTree

    page = lab.page
    run_cell(page, RACE_VIEW)
    view = cell(page, RACE_VIEW)
    wait_until(lambda: view.locator(LANDSCAPE).count() == 1, 60, "the race's view")
    view.scroll_into_view_if_needed()
    out = run_cell(page, RACE_RUN)
    m = re.search(r"RACE (\d+) (\d+)", out)
    assert m, out
    assert int(m.group(1)) == RACE_STEPS
    max_history = int(m.group(2))
    wait_until(lambda: step_of_cell(page, RACE_VIEW) == RACE_STEPS, 60, "the last step shown")
    land = view.locator(LANDSCAPE).first
    previous = {}

    def settled() -> bool:
        d = land.evaluate("el => el.gdDrawn()")
        same = d == previous.get("d")
        previous["d"] = d
        return same and d["rows"] > 1

    wait_until(settled, 30, "the drawing to settle")
    drawn = previous["d"]
    assert drawn["rows"] <= max_history, (drawn["rows"], max_history)

    assert lab.reference.wait(timeout=180) == 0, lab.reference.stderr.read().decode()
    ref = np.load(lab.ref_path)
    labels = [str(v) for v in ref["labels"]]
    assert sorted(r["label"] for r in drawn["runs"]) == sorted(labels)
    worst_true, worst_drawn = {}, {}
    for run in drawn["runs"]:
        r = labels.index(run["label"])
        true_px = to_pixels(ref["xy"][:, r, :], drawn)
        assert len(true_px) == RACE_STEPS + 1 and np.isfinite(true_px).all()
        # every true point near the drawn polyline (to within 0.05 px: samples 0.1 px apart)
        samples = polyline_samples(run["paths"], 0.1)
        unique = np.unique(np.round(true_px, 3), axis=0)
        d_true, _ = cKDTree(samples).query(unique)
        # every drawn vertex on the true path (distance to the nearest true point: an upper
        # bound of its distance to the true polyline)
        vertices = np.concatenate([np.asarray(p, dtype=float).reshape(-1, 2) for p in run["paths"]])
        d_drawn, _ = cKDTree(true_px).query(vertices)
        worst_true[run["label"]] = float(d_true.max())
        worst_drawn[run["label"]] = float(d_drawn.max())
    print(f"rows held {drawn['rows']} of {max_history}; view {drawn['view']}")
    print("max px from a true point to the drawn path:", worst_true)
    print("max px from a drawn vertex to the true path:", worst_drawn)
    assert max(worst_true.values()) <= TOL_PX, worst_true
    assert max(worst_drawn.values()) <= TOL_PX, worst_drawn


# ---------------------------------------------------------------------------------------------
# f. screenshots of the race: three widths, light and dark
# ---------------------------------------------------------------------------------------------
def test_race_screenshots(lab, artifacts):
    page = lab.page
    view = cell(page, RACE_VIEW)
    assert view.locator(LANDSCAPE).count() == 1, "the race test did not show the race"
    out = view.locator(".jp-OutputArea-output").first
    try:
        for shade in each_theme(page):
            for width in (800, 1200, 1600):
                page.set_viewport_size({"width": width, "height": 1100})
                time.sleep(0.8)
                out.evaluate("el => el.scrollIntoView({block: 'start'})")
                time.sleep(0.4)
                name = f"live-race-{width}-{shade}.png"
                page.screenshot(path=str(artifacts / name))
                assert (artifacts / name).stat().st_size > 10_000
    finally:
        page.set_viewport_size({"width": 1400, "height": 1000})
        page.evaluate(
            "() => window.jupyterapp.commands.execute('apputils:change-theme',"
            " {theme: 'JupyterLab Light'})"
        )
    assert not widget_errors(page), widget_errors(page)


# ---------------------------------------------------------------------------------------------
# g. a diverged run stays readable
# ---------------------------------------------------------------------------------------------
Y_LABEL_ROWS = """(el) => {
    // rows of ink left of the plot box of the uPlot chart in `el` (its y labels)
    const c = el.querySelector('.u-wrap canvas');
    const over = el.querySelector('.u-over');
    const k = c.width / c.clientWidth;
    const x1 = Math.floor((parseFloat(over.style.left) - 6) * k);
    const d = c.getContext('2d').getImageData(0, 0, Math.max(1, x1), c.height).data;
    const rows = [];
    for (let y = 0; y < c.height; y++) {
        let ink = false;
        for (let x = 0; x < x1 && !ink; x++) ink = d[(y * x1 + x) * 4 + 3] > 128;
        rows.push(ink);
    }
    let labels = 0;
    for (let y = 0; y < rows.length; y++) if (rows[y] && !rows[y - 1]) labels++;
    return labels;
}"""


CURVE_SPAN = """(el, rgb) => {
    // the vertical extent of the pixels of colour `rgb` inside the plot box of the uPlot
    // chart in `el`, as a fraction of the plot's height
    const c = el.querySelector('.u-wrap canvas');
    const over = el.querySelector('.u-over');
    const k = c.width / c.clientWidth;
    const left = Math.round(parseFloat(over.style.left) * k);
    const top = Math.round(parseFloat(over.style.top) * k);
    const w = Math.round(over.clientWidth * k);
    const hgt = Math.round(over.clientHeight * k);
    const d = c.getContext('2d').getImageData(left, top, w, hgt).data;
    let lo = Infinity, hi = -Infinity;
    for (let y = 0; y < hgt; y++) {
        for (let x = 0; x < w; x++) {
            const i = (y * w + x) * 4;
            const near = Math.abs(d[i] - rgb[0]) + Math.abs(d[i + 1] - rgb[1])
                + Math.abs(d[i + 2] - rgb[2]) < 60 && d[i + 3] > 200;
            if (near) { lo = Math.min(lo, y); hi = Math.max(hi, y); }
        }
    }
    return hi >= lo ? (hi - lo + 1) / hgt : 0;
}"""


def legend_rgb(view, label: str) -> list[int]:
    css = view.locator(f'.gd-legend-row[data-label="{label}"] .gd-swatch').first.evaluate(
        "el => getComputedStyle(el).backgroundColor"
    )
    return [int(v) for v in re.findall(r"\d+", css)[:3]]


def test_diverged_run_keeps_axis_labels_note_and_mark(lab, artifacts):
    page = lab.page
    run_cell(page, DIVERGED)
    view = cell(page, DIVERGED)
    wait_until(lambda: view.locator(LOSS).count() == 1, 60, "the diverged Playground's view")
    view.scroll_into_view_if_needed()
    wait_until(lambda: step_of_cell(page, DIVERGED) == 300, 30, "step 300 shown")
    time.sleep(0.5)
    page.screenshot(path=str(artifacts / "live-diverged.png"))
    loss = view.locator(LOSS).first
    adam = legend_rgb(view, "adam")
    for scale in ("log", "linear"):
        labels = loss.evaluate(Y_LABEL_ROWS)
        assert labels >= 2, f"the loss chart's y axis ({scale}) shows {labels} labels"
        # adam's loss falls from about 10 to 1.7: its curve keeps a readable height
        span = loss.evaluate(CURVE_SPAN, adam)
        assert span > 0.2, f"adam's curve spans {span:.0%} of the {scale} loss chart"
        if scale == "log":
            view.locator('[data-testid="gd-logy"]').first.click()  # to linear
            time.sleep(0.8)
    note = view.locator('.gd-legend-row[data-label="sgd"] .gd-legend-status').inner_text()
    assert note.startswith("diverged"), note
    assert view.locator('[data-testid="gd-diverged-sgd"]').count() == 1
    assert view.locator('[data-testid="gd-diverged-adam"]').count() == 0
    assert not widget_errors(page), widget_errors(page)


# ---------------------------------------------------------------------------------------------
# f. a tab that hangs or dies without a word (no pagehide): its views stop answering
# ---------------------------------------------------------------------------------------------
def test_a_hung_tab_no_longer_keeps_its_playground_stepping(lab, browser):
    page = lab.page
    # a short silence for the test (150 s by default), and views that say so every 0.5 s
    kernel_exec(
        page,
        "import gdwidget.live.viewcount as vc\n"
        "vc.SILENT_S, vc.HEARTBEAT_S = 4.0, 0.5\n"
        "for x in ws: x.pause()",
    )
    context, tab = new_page(browser, 1200, 900)
    try:
        tab.goto(lab.server.page_url())
        wait_kernel_idle(tab)
        n = len(steps_of(page))
        run_cell(tab, PLAYER)  # the same kernel: a new Playground whose only view is in `tab`
        wait_until(lambda: cell(tab, PLAYER).locator(STATUS).count() == 1, 60, "its view")
        wait_until(lambda: len(steps_of(page)) == n + 1, 30, "the new Playground")
        time.sleep(4.0 + 2.0)  # longer than the silence: the heartbeats keep it playing
        a = steps_of(page)[-1]
        time.sleep(1.0)
        assert steps_of(page)[-1] > a, "the Playground of a live tab stopped"
        # the tab hangs for good (as a crashed or frozen one): no timer fires, no pagehide
        tab.evaluate("() => { setTimeout(() => { for (;;) {} }, 0); }")
        t0 = time.monotonic()
        wait_until(
            lambda: kernel_exec(page, "print(ws[-1].playing)").strip() == "False",
            20,
            "the hung tab's Playground to pause",
        )
        waited = time.monotonic() - t0
        print(f"paused {waited:.1f} s after the tab hung (silence 4 s, grace 1 s, heartbeat 0.5 s)")
        assert waited < 4.0 + 1.0 + 3.0
        a = steps_of(page)[-1]
        time.sleep(1.0)
        assert steps_of(page)[-1] == a
    finally:
        context.close()
        kernel_exec(page, "vc.SILENT_S, vc.HEARTBEAT_S = 150.0, 10.0")


# ---------------------------------------------------------------------------------------------
# c. a kernel restart (last: it ends every Playground of the module)
# ---------------------------------------------------------------------------------------------
def test_kernel_restart_shows_disconnected_and_sends_nothing(lab):
    # the notebook's restart command, confirmed in its dialog (a restart through the REST API,
    # which the widget manager does not see, is tested in test_rest_restart.py)
    page = lab.page
    show_player(page)
    page.evaluate("() => { window.jupyterapp.commands.execute('kernelmenu:restart'); }")
    page.locator(".jp-Dialog .jp-mod-accept").click()
    view = cell(page, PLAYER)
    wait_until(lambda: view.locator(DISCONNECTED).first.is_visible(), 20, "gd-disconnected")
    assert "kernel" in view.locator(DISCONNECTED).first.inner_text().lower()
    n = page.locator(PLAY).count()
    assert n >= 3, f"{n} views"  # the player, the race and the diverged race
    for i in range(n):
        assert page.locator(PLAY).nth(i).is_disabled(), f"play button {i} is enabled"
        assert page.locator(DISCONNECTED).nth(i).is_visible(), f"view {i} shows no banner"
    page.locator(PLAY).first.click(force=True)
    page.locator(PAUSE).first.click(force=True)
    time.sleep(1.0)
    sent = [m for m in page.console_messages if "Cannot send" in m]
    assert not sent, sent
    assert not widget_errors(page), widget_errors(page)
