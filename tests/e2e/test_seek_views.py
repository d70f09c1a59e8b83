"""What the page shows while the timeline is seeked, in JupyterLab (Chromium): the X-ray's arrows
carry the internals of the step shown (``data-dx``/``data-dy`` equal ``w.internals`` then, and a
run stepped to that step in a fresh Playground), and the numbers panel says that step; the status
line says "at step t of T" and gives each run's loss at t (the history's), not the newest.

One JupyterLab server and one page for the module; the tests run in file order.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .conftest import ARTIFACTS
from .live_helpers import kernel_exec, kernel_json, lab_cells, widget_errors
from .test_playground import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TIMELINE = '[data-testid="gd-timeline"]'
LABELS = ("adam", "mom", "lion")
RACE = (
    "{'adam': gd.optim.adam(0.05), 'mom': gd.optim.sgd(1e-3, momentum=0.9),"
    " 'lion': gd.optim.lion(0.02)}"
)
STEPS = 60
MAKE = f"gd.Playground(gd.functions.rosenbrock(), {RACE}, start=(-1.5, 2.0), device='cpu')"
CELLS = [
    "import json\nimport gdwidget as gd",
    f"w = {MAKE}\nw.step({STEPS})\nw",
]
KINDS = ("grad", "momentum", "update", "sign_step")


@pytest.fixture(scope="module")
def lab(browser, tmp_path_factory) -> Iterator[object]:
    with lab_cells(browser, tmp_path_factory, "seekviews", CELLS, TIMELINE, (1400, 1100)) as page:
        yield page


def shown_step(page) -> str:
    return page.locator(".gd-timeline").first.get_attribute("data-step") or ""


def seek_row(page, row: int) -> None:
    """Move the scrubber to kept row ``row`` with the keyboard (every step is kept here)."""
    timeline = page.locator(TIMELINE)
    timeline.focus()
    page.keyboard.press("Home")
    for _ in range(row):
        page.keyboard.press("ArrowRight")
    wait_until(lambda: shown_step(page) == str(row), 20, "the kernel's cursor")


def arrows(page, label: str) -> dict:
    out = {}
    for kind in KINDS:
        el = page.query_selector(f'[data-testid="gd-xray-{kind}-{label}"]')
        out[kind] = (
            None if el is None else [float(el.get_attribute(a)) for a in ("data-dx", "data-dy")]
        )
    return out


def test_the_xray_after_a_seek_shows_that_steps_internals(lab):
    page = lab
    page.click('[data-testid="gd-xray"]')
    page.wait_for_selector('[data-testid="gd-xray-grad-adam"]', timeout=20_000)
    t = 17
    seek_row(page, t)
    panel_step = page.locator('[data-testid="gd-xray-panel"] tr[data-name="step"] td')
    wait_until(lambda: panel_step.inner_text() == str(t), 20, "the panel at the step shown")
    seeked = {label: kernel_json(page, f"w.internals('{label}')") for label in LABELS}
    kernel_exec(page, f"ref = {MAKE}\nref.step({t})")
    fresh = {label: kernel_json(page, f"ref.internals('{label}')") for label in LABELS}
    for label in LABELS:
        assert seeked[label] == fresh[label], label  # bit for bit, through JSON
        assert fresh[label]["step"] in (t, 0)  # plain momentum SGD keeps no step count
        got = arrows(page, label)
        for kind in KINDS:
            assert got[kind] == fresh[label][kind], (label, kind)  # exact: shortest repr both ways
    # the newest step's X-ray differs: the arrows really moved back
    newest = kernel_json(page, f"w.internals('adam', step={STEPS})")
    assert newest["grad"] != fresh["adam"]["grad"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(".gd-body").first.screenshot(path=str(ARTIFACTS / "xray-seeked.png"))

    # the toggle turned off and on again while seeked: still the step shown
    page.click('[data-testid="gd-xray"]')
    page.click('[data-testid="gd-xray"]')
    page.wait_for_timeout(500)
    for label in LABELS:
        assert arrows(page, label) == {k: fresh[label][k] for k in KINDS}, label
    assert not widget_errors(page), widget_errors(page)


def shown_losses(page) -> dict[str, float]:
    out = {}
    for text in page.locator('[data-testid="gd-status"] .gd-status-run').all_inner_texts():
        label, value = text.strip().rsplit(" ", 1)
        out[label] = float(value)
    return out


def test_the_status_line_shows_the_seeked_steps_values(lab):
    page = lab
    status = page.locator('[data-testid="gd-status"]')
    for t in (5, 33):
        seek_row(page, t)
        wait_until(lambda t=t: status.get_attribute("data-step") == str(t), 20, "the status line")
        assert status.get_attribute("data-seeking") == "true"
        assert page.locator(".gd-status-step").inner_text() == f"at step {t} of {STEPS}"
        h = kernel_json(page, "{'loss': w.history.loss.tolist(), 'labels': w.history.labels}")
        got = shown_losses(page)
        print(f"status line at step {t}:", got)
        for r, label in enumerate(h["labels"]):
            want, newest = h["loss"][t][r], h["loss"][-1][r]
            assert got[label] == pytest.approx(want, rel=5e-3), label  # three digits shown
            assert got[label] != pytest.approx(newest, rel=5e-3), label  # not the newest
    # a step taken shows the newest again
    page.locator('[data-testid="gd-step"]').click()
    wait_until(lambda: status.get_attribute("data-seeking") == "false", 20, "the newest")
    # "step 61", once the step is taken (a "▸" follows the step while it runs)
    step_text = page.locator(".gd-status-step")
    wait_until(lambda: step_text.inner_text() == f"step {STEPS + 1}", 20, "the step taken shown")
    assert not widget_errors(page), widget_errors(page)
