"""Time travel in JupyterLab: the scrubber moves every marker to the recorded point of the step
it shows, the label says when the nearest kept step is shown, and "fork from here" gives the
same future as ``gd.run``, bit for bit.

One JupyterLab server and one page for the module; the tests run in file order on one
notebook. Markers are read from the landscape's marker canvas (pixels at the point where the
history says each run was), the history and the reference from the kernel.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np
import pytest

from .conftest import ARTIFACTS
from .live_helpers import expected_px, kernel_exec, lab_cells
from .test_playground import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LANDSCAPE = '[data-testid="gd-landscape"]'
TIMELINE = '[data-testid="gd-timeline"]'
LABEL = '[data-testid="gd-timeline-label"]'
FORK = '[data-testid="gd-fork"]'
BACK = '[data-testid="gd-step-back"]'
RACE = "{'sgd': gd.optim.sgd(1e-3, momentum=0.9), 'adam': gd.optim.adam(0.05)}"
STEPS = 400
CELLS = [
    "import json\nimport numpy as np\nimport gdwidget as gd",
    f"w = gd.Playground(gd.functions.rosenbrock(), {RACE}, start=(-1.5, 2.0), device='cpu',\n"
    f"    grad_tol=0.0, max_history=64)\nw.step({STEPS})\nw",
]
HISTORY = (
    "h = w.history\n"
    "print('HIST' + json.dumps({'steps': h.steps.tolist(), 'xy': h.xy.tolist(), 't': w.t,"
    " 'colors': [r['color'] for r in w.meta['runs']], 'cursor': w.cursor}))"
)


@pytest.fixture(scope="module")
def lab(browser, tmp_path_factory) -> Iterator[object]:
    with lab_cells(browser, tmp_path_factory, "tt", CELLS, TIMELINE, (1400, 1000)) as page:
        yield page


def history(page) -> dict:
    out = kernel_exec(page, HISTORY)
    assert out.startswith("HIST"), out
    return json.loads(out[4:])


def overlay_rgba(page, px: float, py: float) -> np.ndarray:
    """The colour of the landscape's marker canvas at (px, py) CSS px inside the landscape."""
    return np.array(
        page.evaluate(
            """([x, y]) => {
                const c = document.querySelector('[data-testid="gd-landscape"] canvas.gd-overlay');
                const dpr = c.width / parseFloat(c.style.width);
                const d = c.getContext('2d').getImageData(Math.round(x * dpr), Math.round(y * dpr),
                                                          1, 1).data;
                return [d[0], d[1], d[2], d[3]];
            }""",
            [px, py],
        )
    )


def rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)])


def marker_at(page, colour: str, x: float, y: float) -> bool:
    got = overlay_rgba(page, *expected_px(page, x, y))
    return bool(got[3] == 255 and np.abs(got[:3] - rgb(colour)).max() <= 8)


def shown_step(page) -> str:
    return page.locator(".gd-timeline").first.get_attribute("data-step") or ""


def test_the_scrubber_moves_every_marker_to_the_recorded_point_of_its_step(lab):
    page = lab
    h = history(page)
    steps, xy = np.array(h["steps"]), np.array(h["xy"])
    assert steps[-1] == STEPS and len(steps) < STEPS + 1  # thinned: the scrubber is over kept rows
    timeline = page.locator(TIMELINE)
    assert timeline.get_attribute("max") == str(len(steps) - 1)
    timeline.focus()
    page.keyboard.press("Home")
    for _ in range(12):
        page.keyboard.press("ArrowRight")
    row = 12
    wait_until(lambda: shown_step(page) == str(steps[row]), 20, "the kernel's cursor")
    assert history(page)["cursor"] == {"step": int(steps[row]), "asked": int(steps[row])}
    page.wait_for_timeout(300)  # the next animation frame draws the markers
    for r, colour in enumerate(h["colors"]):
        assert marker_at(page, colour, *xy[row, r]), (r, xy[row, r])
        end = expected_px(page, *xy[-1, r])
        if np.hypot(*(np.array(end) - expected_px(page, *xy[row, r]))) > 12:
            assert not marker_at(page, colour, *xy[-1, r]), "a marker stayed at the newest step"
    assert page.locator(LABEL).inner_text() == f"step {steps[row]} of {STEPS}"
    # the loss chart's cursor is at the same step
    assert page.locator(".gd-loss-panel").first.get_attribute("data-cursor") == str(steps[row])
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "timetravel-seek.png"))

    # step back: the kept row before
    page.locator(BACK).click()
    wait_until(lambda: shown_step(page) == str(steps[row - 1]), 20, "step back")
    page.wait_for_timeout(300)
    for r, colour in enumerate(h["colors"]):
        assert marker_at(page, colour, *xy[row - 1, r])

    # from Python, a step that is not kept: the nearest kept one, and the label says so
    kept = set(steps.tolist())
    missing = next(t for t in range(STEPS // 2, STEPS) if t not in kept)
    out = kernel_exec(page, f"print('SHOWN', w.seek({missing}))")
    shown = int(out.split()[1])
    assert shown in kept and shown != missing
    wait_until(lambda: shown_step(page) == str(shown), 20, "the seek from Python")
    assert page.locator(LABEL).inner_text() == (
        f"step {shown} (nearest kept to {missing}) of {STEPS}"
    )
    i = int(np.flatnonzero(steps == shown)[0])
    page.wait_for_timeout(300)
    for r, colour in enumerate(h["colors"]):
        assert marker_at(page, colour, *xy[i, r])


def test_fork_from_here_reproduces_the_future_of_gd_run_bit_for_bit(lab):
    page = lab
    steps = np.array(history(page)["steps"])
    row = 20
    timeline = page.locator(TIMELINE)
    timeline.focus()
    page.keyboard.press("Home")
    for _ in range(row):
        page.keyboard.press("ArrowRight")
    t = int(steps[row])
    wait_until(lambda: shown_step(page) == str(t), 20, "the kernel's cursor")
    page.locator(FORK).click()
    wait_until(lambda: history(page)["t"] == t, 20, "the fork")
    h = history(page)
    assert h["steps"][-1] == t and h["cursor"] == {}
    wait_until(lambda: shown_step(page) == str(t), 20, "the page to show the forked history")
    out = kernel_exec(
        page,
        f"w.step({STEPS} - w.t)\n"
        f"ref = gd.run(gd.functions.rosenbrock(), {RACE}, start=(-1.5, 2.0), steps={STEPS},"
        " device='cpu', grad_tol=0.0)\n"
        "h = w.history\n"
        "print('SAME', w.t, np.array_equal(h.loss, ref.loss[h.steps]),"
        " np.array_equal(h.xy, ref.params[h.steps]), np.array_equal(w.run.params, ref.params[-1]))",
    )
    assert out.split() == ["SAME", str(STEPS), "True", "True", "True"], out
    wait_until(lambda: shown_step(page) == str(STEPS), 20, "the page to show the new future")
