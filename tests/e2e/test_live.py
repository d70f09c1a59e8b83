"""The live layer in JupyterLab: nothing drawn is false, and a restarted kernel is shown.

One JupyterLab server and one page for the module, one notebook (``LIVE_CELLS`` of
live_helpers.py); the tests run in file order on it (the kernel restart comes last):

* a page reload while playing leaves the server log quiet and the history shown again;
* a 100,000-step race of five optimizers: the path the page draws (read through the
  landscape's ``gdDrawn`` hook) stays within a pixel of the full ``gd.run`` path;
* screenshots of the race at three widths, light and dark (test-artifacts/live-*.png);
* a diverged run keeps the loss chart's y labels, its legend note and its end mark;
* after a kernel restart the widget says so (``gd-disconnected``) and its controls send nothing.

That no Playground is orphaned, stuck or left stepping unseen: test_live_stop.py.
"""

from __future__ import annotations

import re
import time

import numpy as np
import pytest

from .conftest import each_theme, wait_kernel_idle
from .live_helpers import (
    DISCONNECTED,
    DIVERGED,
    LANDSCAPE,
    LOSS,
    PAUSE,
    PLAY,
    PLAYER,
    RACE_RUN,
    RACE_STEPS,
    RACE_VIEW,
    STATUS,
    cell,
    kernel_exec,
    open_lab,
    polyline_samples,
    run_cell,
    show_player,
    step_of_cell,
    steps_of,
    to_pixels,
    widget_errors,
)
from .test_playground import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TOL_PX = 1.0 + 0.5  # the thinning's pixel, plus 0.5 px for float32 points and rounding


@pytest.fixture(scope="module")
def lab(browser, tmp_path_factory):
    """This module's JupyterLab and page, with the race run headless meanwhile."""
    yield from open_lab(browser, tmp_path_factory, reference=True)


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
