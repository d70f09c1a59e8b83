"""The classroom in JupyterLab: presets, shortcuts, the controls a lesson shows, the challenge,
and the presentation scale.

One JupyterLab server and one page for the module; the tests run in file order on it:

* every preset builds, shows its runs and plays from the page's play button;
* with the widget focused, space plays and pauses, → steps, r resets, and none of these keys
  reaches the notebook (the cell stays a code cell: in command mode r would make it raw);
* ``controls=[...]`` hides the others; a reached ``target`` is shown (``gd-target``) with the
  step ``w.reached()`` gives;
* the race setup panel builds a race with no code (function, bad and good expression, add,
  remove), and it races as ``gd.run`` does;
* at 700, 900, 1400 and 1920 px, light and dark, the landscape and its text follow the
  output's width (smaller than 1x in an output narrower than the landscape), the drawn path
  stays within a pixel of ``gd.run``'s at every scale, and a screenshot of each is written to
  /tmp/gd-classroom (looked at by hand, never committed).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from . import servers
from .conftest import each_theme, lab_notebook
from .live_helpers import (
    cell,
    kernel_exec,
    kernel_json,
    polyline_samples,
    run_cell,
    to_pixels,
    widget_errors,
)
from .test_playground import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LANDSCAPE = '[data-testid="gd-landscape"]'
SHOTS = Path("/tmp/gd-classroom")
TOL_PX = 1.0 + 0.5  # the thinning's pixel, plus float32 points and rounding

SETUP, PRESET, LESSON, BUILD = 0, 1, 2, 3
CELLS = [
    "import json\nimport gdwidget as gd\nprint('READY', len(gd.presets()))",
    "name = 'lr-too-high'\np = gd.Playground.preset(name, device='cpu', speed=30)\np",
    "w = gd.Playground.preset('ravine', device='cpu', speed=20,\n"
    "    target={'loss': 1e-4, 'steps': 150})\nw",
    "b = gd.Playground('rosenbrock', {'gd': gd.optim.sgd(1e-3)}, device='cpu')\nb",
]


class Lab:
    def __init__(self, server: servers.Server, page) -> None:
        self.server, self.page = server, page


@pytest.fixture(scope="module")
def lab(browser, tmp_path_factory) -> Iterator[Lab]:
    with lab_notebook(browser, tmp_path_factory, "classroom", CELLS, 1400, 1000) as (
        server,
        page,
        root,
    ):
        assert "READY" in run_cell(page, SETUP)
        yield Lab(server, page)


def test_every_preset_builds_and_plays(lab):
    page = lab.page
    names = kernel_json(page, "list(gd.presets())")
    assert len(names) >= 8
    for name in names:
        kernel_exec(page, f"name = {name!r}")
        page.evaluate(
            """async () => {
                const p = window.jupyterapp.shell.currentWidget;
                p.content.widgets[1].model.sharedModel.setSource(
                    "p = gd.Playground.preset(name, device='cpu', speed=30)\\np");
            }"""
        )
        run_cell(page, PRESET)
        view = cell(page, PRESET)
        wait_until(lambda v=view: v.locator(LANDSCAPE).count() == 1, 60, f"{name}'s view")
        wait_until(lambda v=view: v.locator(".gd-legend-row").count() >= 1, 30, f"{name}'s legend")
        view.locator('[data-testid="gd-play"]').click()
        wait_until(lambda: kernel_json(page, "p.t") >= 5, 30, f"{name} to play")
        view.locator('[data-testid="gd-pause"]').click()
        wait_until(lambda: not kernel_json(page, "p.playing"), 10, f"{name} to pause")
        kernel_exec(page, "p.close()")
    assert not widget_errors(page), widget_errors(page)


def focus_widget(view) -> None:
    view.locator(".gd-root").first.evaluate("el => el.focus()")


def test_shortcuts_act_and_never_reach_the_notebook(lab):
    page = lab.page
    run_cell(page, LESSON)
    view = cell(page, LESSON)
    wait_until(lambda: view.locator(LANDSCAPE).count() == 1, 60, "the lesson's view")
    # command mode on the lesson's cell, as after a click on it and Escape
    page.evaluate(
        """() => { const p = window.jupyterapp.shell.currentWidget;
                   p.content.activeCellIndex = 2; p.content.mode = 'command'; }"""
    )
    focus_widget(view)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    wait_until(lambda: kernel_json(page, "w.t") == 2, 10, "two steps from →")
    page.keyboard.press(" ")
    # playing means stepping: wait for steps, not only for the flag, before pausing
    wait_until(lambda: kernel_json(page, "w.playing"), 10, "space to play")
    wait_until(lambda: kernel_json(page, "w.t") > 2, 10, "steps while playing")
    page.keyboard.press(" ")
    wait_until(lambda: not kernel_json(page, "w.playing"), 10, "space to pause")
    paused_at = kernel_json(page, "w.t")
    time.sleep(0.5)
    assert kernel_json(page, "w.t") == paused_at  # paused means no more steps
    page.keyboard.press("r")
    wait_until(lambda: kernel_json(page, "w.t") == 0, 10, "r to reset")
    for key in ("r", "ArrowLeft", "ArrowRight", "y", "m", "a", "b", "d"):
        page.keyboard.press(key)
    kernel_exec(page, "w.pause()")
    cells = page.evaluate(
        """() => { const p = window.jupyterapp.shell.currentWidget;
                   return [p.content.widgets.length,
                           p.content.widgets.map(c => c.model.type)]; }"""
    )
    assert cells == [4, ["code"] * 4], cells  # no raw, markdown, new or cut cell
    assert not widget_errors(page), widget_errors(page)


def test_the_lesson_shows_its_controls_and_the_reached_target(lab):
    page = lab.page
    view = cell(page, LESSON)
    assert view.locator('[data-testid="gd-play"]').is_visible()
    assert view.locator('[data-testid="gd-reset"]').is_visible()
    assert not view.locator('[data-testid="gd-speed"]').is_visible()
    assert not view.locator('[data-testid="gd-step-n"]').is_visible()
    target = view.locator('[data-testid="gd-target"]')
    assert "loss ≤ 1e-4 within 150 steps" in target.inner_text()
    assert target.get_attribute("data-reached") == "false"
    kernel_exec(page, "w.reset(); w.step(200)")
    wait_until(lambda: target.get_attribute("data-reached") == "true", 20, "the target reached")
    reached = kernel_json(page, "w.reached()")
    assert reached["gd"] is None and reached["momentum 0.8"] is not None
    assert f"momentum 0.8 at step {reached['momentum 0.8']}" in target.inner_text()
    assert json.loads(target.get_attribute("data-steps")) == [None, reached["momentum 0.8"]]


def drawn_error(land, ref: dict) -> float:
    """The largest distance (px) between the drawn paths and the reference's, both ways."""
    from scipy.spatial import cKDTree

    drawn = land.evaluate("el => el.gdDrawn()")
    worst = 0.0
    for run in drawn["runs"]:
        true_px = to_pixels(np.asarray(ref[run["label"]]), drawn)
        samples = polyline_samples(run["paths"], 0.1)
        d_true, _ = cKDTree(samples).query(np.unique(np.round(true_px, 3), axis=0))
        vertices = np.concatenate([np.asarray(p, dtype=float).reshape(-1, 2) for p in run["paths"]])
        d_drawn, _ = cKDTree(true_px).query(vertices)
        worst = max(worst, float(d_true.max()), float(d_drawn.max()))
    return worst


def box_width(locator) -> float:
    """The element's width on the page, 0 while it is being rebuilt (no box)."""
    box = locator.bounding_box()
    return box["width"] if box else 0.0


# js/presentation.js's scaleFor: 1 from one column (530 px) to the 1x widget (926 px), larger
# above and smaller below, in eighths, within [0.625, 2.5]
SCALE_FOR = """el => {
  const w = el.clientWidth;
  if (w > 926) return Math.min(2.5, Math.floor(w / 926 * 8) / 8);
  return w >= 530 ? 1 : Math.max(0.625, Math.floor(w / 530 * 8) / 8);
}"""


def font_px(locator) -> float:
    return locator.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")


def test_presentation_scale_keeps_the_path_true_light_and_dark(lab):
    page = lab.page
    SHOTS.mkdir(exist_ok=True)
    view = cell(page, LESSON)
    kernel_exec(page, "import numpy as np\nfrom gdwidget.classroom import setup")
    ref = kernel_json(
        page,
        "{k: v.tolist() for k, v in zip(w.run.labels, np.moveaxis(gd.run(w.run.objective,"
        " setup('ravine')['optimizers'], steps=200, device='cpu').params[:, :, :2], 1, 0))}",
    )
    land = view.locator(LANDSCAPE).first
    sizes = {}
    try:
        for shade in each_theme(page):
            for width in (700, 900, 1400, 1920):
                page.set_viewport_size({"width": width, "height": 1200})
                host = view.locator(".gd-host").first
                hint = view.locator(".gd-hint").first

                def settled(h=host, t=hint) -> bool:
                    # JupyterLab lays out a resized window a frame later: the host's width, and
                    # so the scale expected, are read afresh each time
                    e = h.evaluate(SCALE_FOR)
                    same_box = abs(box_width(land) - round(506 * e)) < 1
                    return same_box and abs(font_px(t) - 11 * e) < 0.01

                wait_until(settled, 20, f"the landscape and text at the host's scale ({width} px)")
                time.sleep(0.6)  # the rebuilt view redraws the history it holds
                err = drawn_error(land, ref)
                font = font_px(hint)
                expect = host.evaluate(SCALE_FOR)
                sizes[(shade, width)] = (expect, box_width(land), font, err)
                assert err <= TOL_PX, (width, shade, err)
                assert font == pytest.approx(11 * expect, abs=0.01)
                view.evaluate("el => el.scrollIntoView({block: 'start'})")
                time.sleep(0.3)
                name = f"classroom-{width}-{shade}.png"
                page.screenshot(path=str(SHOTS / name))
    finally:
        page.set_viewport_size({"width": 1400, "height": 1000})
        page.evaluate(
            "() => window.jupyterapp.commands.execute('apputils:change-theme',"
            " {theme: 'JupyterLab Light'})"
        )
    print("scale, landscape px, hint font px, max path error px:", sizes)
    scales = [v[0] for v in sizes.values()]
    # JupyterLab's side panel takes ~250 px: the output at 1920 px is about 1.5x the 1x widget,
    # and at 700 px narrower than the landscape (the view shrinks rather than clip or scroll)
    assert min(scales) < 1 and max(scales) >= 1.5, sizes
    assert not widget_errors(page), widget_errors(page)


def test_a_race_built_with_no_code(lab):
    page = lab.page
    run_cell(page, BUILD)
    view = cell(page, BUILD)
    wait_until(lambda: view.locator(LANDSCAPE).count() == 1, 60, "the view")
    view.locator('[data-testid="gd-picker"] > summary').click()
    view.locator('[data-testid="gd-function"]').select_option("himmelblau")
    wait_until(lambda: kernel_json(page, "b.run.objective.name") == "himmelblau", 20, "himmelblau")
    view.locator('[data-testid="gd-function"]').select_option("__expression__")
    box = view.locator('[data-testid="gd-function-expr"]')
    box.fill("x**2 + ")
    box.press("Enter")
    error = view.locator('[data-testid="gd-picker-error"]')
    wait_until(lambda: error.is_visible() and error.inner_text() != "", 20, "the error")
    print("a bad expression says:", error.inner_text())
    assert "x**2 +" in error.inner_text()
    assert kernel_json(page, "b.run.objective.name") == "himmelblau"
    box.fill("(x-1)**2 + 5*(y+0.5)**2")
    view.locator('[data-testid="gd-function-apply"]').click()
    wait_until(lambda: not error.is_visible(), 20, "the error cleared")
    view.locator('[data-testid="gd-add-optimizer"]').select_option("adam")
    view.locator('[data-testid="gd-add-lr"]').fill("0.1")
    view.locator('[data-testid="gd-add-optimizer-go"]').click()
    wait_until(lambda: view.locator('[data-testid="gd-remove-adam"]').count() == 1, 20, "adam")
    view.locator('[data-testid="gd-remove-gd"]').click()
    wait_until(lambda: kernel_json(page, "b.run.labels") == ["adam"], 20, "gd removed")
    assert view.locator('[data-testid="gd-remove-adam"]').is_disabled()
    for _ in range(5):
        view.locator('[data-testid="gd-step"]').click()
    wait_until(lambda: kernel_json(page, "b.t") == 5, 20, "five steps")
    same = kernel_json(
        page,
        "bool((gd.run(gd.Function('(x-1)**2 + 5*(y+0.5)**2'), {'adam': gd.optim.adam(0.1)},"
        " steps=5, device='cpu').loss == b.history.loss).all())",
    )
    assert same
    assert not widget_errors(page), widget_errors(page)
