"""The kernel-free replay page in Chromium, opened from disk with every network request blocked,
and the Playground in JupyterLab still drawn live (not as its static picture)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import gdwidget as gd

from .conftest import new_page, wait_kernel_idle
from .live_helpers import expected_px
from .test_playground import wait_until

pytestmark = [pytest.mark.browser]

TIMELINE = '[data-testid="gd-timeline"]'
PLAY = '[data-testid="gd-replay-play"]'
LANDSCAPE = '[data-testid="gd-landscape"]'
COLOURS = {"gd": "#4e79a7", "momentum": "#f28e2b", "adam": "#e15759"}


@pytest.fixture(scope="module")
def replay_file(tmp_path_factory):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = gd.Playground(
            gd.functions.rosenbrock(),
            {
                "gd": gd.optim.sgd(1e-3),
                "momentum": gd.optim.sgd(1e-3, momentum=0.9),
                "adam": gd.optim.adam(0.05),
            },
            start=(-1.5, 2.0),
            device="cpu",
        )
    w.step(150)
    hist = w.history
    assert [r["color"] for r in w.meta["runs"]] == list(COLOURS.values())
    path = w.save_html(tmp_path_factory.mktemp("export") / "race.html")
    w.close()
    return path, hist


@pytest.fixture
def offline_page(browser):
    context, page = new_page(browser)
    fetched: list[str] = []

    def block(route):
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            fetched.append(route.request.url)
            route.abort()

    page.route("**/*", block)
    page.on("request", lambda r: None if r.url.startswith("file:") else fetched.append(r.url))
    page.fetched = fetched  # type: ignore[attr-defined]
    try:
        yield page
    finally:
        context.close()


def overlay_rgb(page, px: float, py: float) -> list[int]:
    """The colour of the landscape's marker canvas at (px, py) CSS px inside the landscape."""
    return page.evaluate(
        """([x, y]) => {
            const c = document.querySelector('[data-testid="gd-landscape"] canvas.gd-overlay');
            const dpr = c.width / parseFloat(c.style.width);
            const ctx = c.getContext('2d');
            const d = ctx.getImageData(Math.round(x * dpr), Math.round(y * dpr), 1, 1).data;
            return [d[0], d[1], d[2], d[3]];
        }""",
        [px, py],
    )


def rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)])


def index(page) -> int:
    return page.evaluate("() => document.querySelector('[data-testid=gd-replay]').gdReplay().index")


def test_replay_offline_paths_scrubber_and_play(replay_file, offline_page):
    path, hist = replay_file
    page = offline_page
    page.goto(path.as_uri())
    page.wait_for_selector(LANDSCAPE)
    wait_until(
        lambda: (
            page.evaluate(
                "() => document.querySelector('[data-testid=gd-landscape]').gdDrawn().runs.length"
            )
            == 3
        ),
        20,
        "the paths drawn",
    )
    assert not page.fetched, page.fetched  # nothing but the file itself
    errors = [m for m in page.console_messages if m.startswith(("error", "pageerror"))]
    assert not errors, errors

    # the paths: every point the landscape stroked is the history's, at the end of the race
    drawn = page.evaluate("() => document.querySelector('[data-testid=gd-landscape]').gdDrawn()")
    assert drawn["rows"] == len(hist)
    for r, run in enumerate(drawn["runs"]):
        assert run["label"] == hist.labels[r]
        pts = np.concatenate([np.array(p) for p in run["paths"]])
        truth = np.array([expected_px(page, *hist.xy[0, r])])  # the start is stroked first
        assert np.hypot(*(pts[0] - truth[0])) < 0.5
        last = np.array(expected_px(page, *hist.xy[-1, r]))
        assert np.hypot(*(pts[-1] - last)) < 0.5

    # the scrubber, by keyboard: Home, then 60 steps to the right -> row 60
    timeline = page.locator(TIMELINE)
    timeline.focus()
    page.keyboard.press("Home")
    assert index(page) == 0
    for _ in range(60):
        page.keyboard.press("ArrowRight")
    assert index(page) == 60
    page.wait_for_timeout(300)  # the next animation frame draws the markers
    for r, label in enumerate(hist.labels):
        x, y = expected_px(page, *hist.xy[60, r])
        got = overlay_rgb(page, x, y)
        assert got[3] == 255 and np.abs(np.array(got[:3]) - rgb(COLOURS[label])).max() <= 8, (
            label,
            got,
        )
        # and the marker is no longer at the end of the race
        ex, ey = expected_px(page, *hist.xy[-1, r])
        if np.hypot(ex - x, ey - y) > 12:
            end = overlay_rgb(page, ex, ey)
            assert end[3] == 0 or np.abs(np.array(end[:3]) - rgb(COLOURS[label])).max() > 8
    page.screenshot(path="/tmp/gd-export-replay-row60.png")

    # play: the row advances, the markers follow
    page.locator(PLAY).click()
    wait_until(lambda: index(page) > 80, 20, "play to advance the replay")
    page.locator(PLAY).click()  # pause
    k = index(page)
    page.wait_for_timeout(400)
    assert index(page) == k, "the replay went on after pause"
    for r, label in enumerate(hist.labels):
        x, y = expected_px(page, *hist.xy[k, r])
        got = overlay_rgb(page, x, y)
        assert np.abs(np.array(got[:3]) - rgb(COLOURS[label])).max() <= 8, (label, k, got)
    errors = [m for m in page.console_messages if m.startswith(("error", "pageerror"))]
    assert not errors, errors
    assert not page.fetched, page.fetched


@pytest.mark.slow
def test_jupyterlab_draws_the_live_widget_not_the_picture(lab_server, page):
    page.goto(lab_server.page_url())
    wait_kernel_idle(page)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    wait_until(lambda: page.locator('[data-testid="gd-play"]').count() >= 2, 120, "the views")
    # the output holds the picture too (for nbconvert), but JupyterLab draws the widget
    has_svg = page.evaluate(
        """() => {
            const p = window.jupyterapp.shell.currentWidget;
            return p.content.widgets[0].model.outputs.toJSON()
                .some(o => o.data && 'image/svg+xml' in o.data);
        }"""
    )
    assert has_svg
    assert page.locator("svg.gd-static").count() == 0
    assert page.locator(".jp-RenderedSVG, .jp-RenderedImage").count() == 0
