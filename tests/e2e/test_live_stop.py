"""The live layer in JupyterLab: a Playground nobody sees stops, on a re-run or cleared cell,
the interrupt command or a hung tab (one JupyterLab and notebook for the module, in file order)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from .conftest import new_page, wait_kernel_idle
from .live_helpers import (
    PAUSE,
    PLAY,
    PLAYER,
    STATUS,
    cell,
    kernel_exec,
    open_lab,
    run_cell,
    show_player,
    step_of_cell,
    steps_of,
)
from .test_playground import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def lab(browser, tmp_path_factory):
    """This module's JupyterLab and page."""
    yield from open_lab(browser, tmp_path_factory, reference=False)


def cpu_cores(pid: int, seconds: float = 1.0) -> float:
    """The process's CPU use over ``seconds``, in cores (utime + stime from /proc)."""

    def ticks() -> int:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)

    t0, c0 = time.monotonic(), ticks()
    time.sleep(seconds)
    t1, c1 = time.monotonic(), ticks()
    return (c1 - c0) / os.sysconf("SC_CLK_TCK") / (t1 - t0)


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
    # "paused", then for a run held coarser than a pixel (Adam scribbling after minutes of
    # steps) by how much: "paused · path within 2.0 px"
    assert statuses and all(s.split(" · ")[0] == "paused" for s in statuses), statuses
    assert kernel_exec(page, "print(ws[-1].playing)").strip() == "False"
    # an interrupt while it is paused (an idle kernel) is not about a later play: play plays
    page.evaluate("() => window.jupyterapp.commands.execute('kernelmenu:interrupt')")
    wait_until(
        lambda: kernel_exec(page, "print(ws[-1].session.interrupted)").strip() == "True",
        10,
        "the interrupt to reach the kernel",
    )
    a = step_of_cell(page, PLAYER)
    view.locator(PLAY).first.click()
    wait_until(lambda: step_of_cell(page, PLAYER) > a, 10, "play after an interrupt while paused")
    view.locator(PAUSE).first.click()
    wait_until(lambda: kernel_exec(page, "print(ws[-1].playing)").strip() == "False", 10, "pause")


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
