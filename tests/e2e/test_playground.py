"""The Playground in a real browser: JupyterLab, Notebook 7 and Voila, driven by Playwright.

Each test opens a notebook holding a Playground (shown twice) and a probe cell, then
presses play in the page, watches the step count, the loss curve and the landscape move,
pauses, clicks the landscape to move the start, and checks that both views agree.
Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from .conftest import wait_kernel_idle

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STATUS = '[data-testid="gd-status"]'
PLAY = '[data-testid="gd-play"]'
PAUSE = '[data-testid="gd-pause"]'
LANDSCAPE = '[data-testid="gd-landscape"]'
LOSS = '[data-testid="gd-loss"]'

# the landscape's plot box inside its 506 x 440 element, if it does not say (data-plot-*)
PLOT_LEFT, PLOT_TOP, PLOT_W, PLOT_H = 52, 10, 506 - 52 - 62, 440 - 10 - 40
ROSENBROCK_VIEW = ((-2.0, 2.0), (-1.0, 3.0))


def step_of(page, i: int = 0) -> int:
    text = page.locator(STATUS).nth(i).inner_text()
    m = re.search(r"step\s+(\d+)", text)
    assert m, f"no step count in the status line: {text!r}"
    return int(m.group(1))


def wait_until(fn, timeout: float = 30.0, what: str = "condition") -> None:
    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        try:
            if fn():
                return
        except AssertionError as exc:  # not rendered yet
            last = exc
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}" + (f": {last}" if last else ""))


def shot(page, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=False)


def run_all_cells(page) -> None:
    """Run every cell of the notebook open in JupyterLab or Notebook 7 (app exposed)."""
    wait_kernel_idle(page)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")


def probe_start(page, previous: str | None = None) -> str:
    """Re-run the probe cell (index 2) and return its printed output."""
    page.evaluate(
        """() => {
            const p = window.jupyterapp.shell.currentWidget;
            p.content.activeCellIndex = 2;
            return window.jupyterapp.commands.execute('notebook:run-cell');
        }"""
    )
    out = {"text": ""}

    def printed() -> bool:
        out["text"] = page.evaluate(
            """() => {
                const p = window.jupyterapp.shell.currentWidget;
                const outs = p.content.widgets[2].model.outputs.toJSON();
                return outs.map(o => [].concat(o.text || '').join('')).join('');
            }"""
        )
        return "START" in out["text"] and out["text"] != previous

    wait_until(printed, 30, "the probe cell's output")
    return out["text"]


def click_data_point(page, x: float, y: float) -> None:
    el = page.locator(LANDSCAPE).first
    el.scroll_into_view_if_needed()  # running a cell may have scrolled the notebook away
    box = el.bounding_box()
    # the plot box as the landscape states it (data-plot-*), else js/landscape.js's margins
    left, top, width, height = (
        float(el.get_attribute(f"data-plot-{k}") or d)
        for k, d in (("left", PLOT_LEFT), ("top", PLOT_TOP), ("width", PLOT_W), ("height", PLOT_H))
    )
    (x0, x1), (y0, y1) = ROSENBROCK_VIEW
    px = box["x"] + left + (x - x0) / (x1 - x0) * width
    py = box["y"] + top + (y1 - y) / (y1 - y0) * height  # y grows upwards
    page.mouse.click(px, py)


def exercise(page, artifacts: Path, name: str, probe: bool) -> None:
    """The scenario shared by the three front ends."""
    wait_until(lambda: page.locator(PLAY).count() >= 2, 120, "two views of the widget")
    page.locator(LANDSCAPE).first.scroll_into_view_if_needed()
    wait_until(lambda: step_of(page, 0) == 0 and step_of(page, 1) == 0, 30, "step 0 in both views")
    time.sleep(1.0)  # first paint of the landscape
    shot(page, artifacts, f"{name}-0-initial")
    loss_before = page.locator(LOSS).first.screenshot()
    land_before = page.locator(LANDSCAPE).first.screenshot()

    # play: the step count rises, the loss curve grows, the paths advance
    page.locator(PLAY).first.click()
    wait_until(lambda: step_of(page, 0) >= 60, 40, "the step count to rise while playing")
    assert page.locator(LOSS).first.screenshot() != loss_before, "the loss plot did not change"
    assert page.locator(LANDSCAPE).first.screenshot() != land_before, "the paths did not move"
    shot(page, artifacts, f"{name}-1-playing")

    # pause: stepping stops
    page.locator(PAUSE).first.click()
    time.sleep(0.8)
    paused_at = step_of(page, 0)
    time.sleep(1.2)
    assert step_of(page, 0) == paused_at, "the step count kept rising after pause"
    # the second view shows the same state
    assert step_of(page, 1) == paused_at
    assert page.locator(STATUS).nth(1).inner_text() == page.locator(STATUS).nth(0).inner_text()

    # a click on the landscape restarts every run from there
    before = probe_start(page) if probe else None
    click_data_point(page, 0.5, 0.0)
    wait_until(lambda: step_of(page, 0) == 0, 20, "the reset to step 0 after a click")
    time.sleep(0.6)
    shot(page, artifacts, f"{name}-2-clicked")
    if probe:
        text = probe_start(page, before)
        m = re.search(r"START \[([-\d.e]+), ([-\d.e]+)\] T (\d+)", text)
        assert m, text
        x, y = float(m.group(1)), float(m.group(2))
        assert abs(x - 0.5) < 0.1 and abs(y - 0.0) < 0.1, f"the start moved to {(x, y)}"

    # play again from the new start, pause, both views agree
    page.locator(PLAY).first.click()
    wait_until(lambda: step_of(page, 0) >= 30, 40, "stepping from the new start")
    page.locator(PAUSE).nth(1).click()  # the second view's button works too
    time.sleep(1.0)
    shot(page, artifacts, f"{name}-3-paused")
    assert step_of(page, 0) == step_of(page, 1)
    # one step
    before_step = step_of(page, 0)
    page.locator('[data-testid="gd-step"]').first.click()
    wait_until(lambda: step_of(page, 0) == before_step + 1, 20, "one step after gd-step")
    # uncaught errors of the widget's code (anywidget loads it from a blob: URL); errors of the
    # host application itself (Notebook 7 logs one while loading its settings) are not ours
    errors = [
        m
        for m in page.console_messages
        if m.startswith("pageerror") and ("blob:" in m or "gdwidget" in m or "anywidget" in m)
    ]
    assert not errors, errors


def test_jupyterlab(lab_server, page, artifacts):
    page.goto(lab_server.page_url())
    run_all_cells(page)
    exercise(page, artifacts, "lab", probe=True)

    # a late view: save, reload the page; the views come back from the running kernel and
    # ask for the whole history (request_history)
    step = step_of(page, 0)
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    time.sleep(1.0)
    page.reload()
    wait_until(lambda: page.locator(PLAY).count() >= 2, 120, "the views after a reload")
    wait_until(lambda: step_of(page, 0) == step, 30, f"step {step} after the reload")
    page.locator(LANDSCAPE).first.scroll_into_view_if_needed()
    time.sleep(1.0)
    shot(page, artifacts, "lab-4-reloaded")
    loss_pixels = page.locator(LOSS).first.screenshot()
    page.locator('[data-testid="gd-logy"]').first.click()  # the loss curve is there to rescale
    time.sleep(0.5)
    assert page.locator(LOSS).first.screenshot() != loss_pixels


def test_notebook7(notebook_server, page, artifacts):
    page.goto(notebook_server.page_url())
    run_all_cells(page)
    exercise(page, artifacts, "notebook", probe=True)


def test_voila(voila_server, page, artifacts):
    page.goto(voila_server.page_url(), timeout=120_000)
    exercise(page, artifacts, "voila", probe=False)
