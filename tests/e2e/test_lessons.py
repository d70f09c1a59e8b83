"""Lessons as Voila apps (notebooks/lessons): each opened one paints its widgets, with no code
shown and no error, and a screenshot of it is kept (test-artifacts/lesson-<name>.png).

A widget has painted when its landscape's heat-map canvas holds colours (not blank), and every
Playground of the lesson shows its race (a path on the trail canvas).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from . import servers
from .conftest import ARTIFACTS, new_page
from .live_helpers import widget_errors
from .test_playground import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LESSONS = Path(__file__).resolve().parents[2] / "notebooks" / "lessons"
SHOWN = ["01_gradient_and_step", "03_momentum_and_nesterov", "04_adaptive_step_sizes"]


def painted(page, selector: str) -> list[int]:
    """For each canvas matching ``selector``: how many of its pixels are not blank."""
    return page.evaluate(
        """(sel) => [...document.querySelectorAll(sel)].map((c) => {
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
            return n;
        })""",
        selector,
    )


@pytest.mark.parametrize("name", SHOWN)
def test_a_lesson_as_a_voila_app_paints_its_widgets_and_hides_its_code(
    browser, tmp_path_factory, name
):
    path = LESSONS / f"{name}.ipynb"
    if not path.exists():
        pytest.skip(f"{path.name} is not written yet")
    root = tmp_path_factory.mktemp(f"voila-{name}") / "nb"
    root.mkdir()
    shutil.copy(path, root / path.name)
    server = servers.start("voila", root, notebook=path.name)
    context, page = new_page(browser, 1400, 1000)
    try:
        page.goto(server.page_url(), timeout=180_000)
        landscape = '[data-testid="gd-landscape"]'
        page.wait_for_selector(landscape, timeout=180_000)
        n_views = page.locator(landscape).count()
        wait_until(
            lambda: all(n > 1000 for n in painted(page, f"{landscape} canvas.gd-heat")),
            60,
            "every landscape's heat map painted",
        )
        wait_until(
            lambda: all(n > 0 for n in painted(page, f"{landscape} canvas.gd-trails")),
            60,
            "every race's paths drawn",
        )
        # no code: none of the lesson's code cells' text is on the page
        text = page.inner_text("body")
        cells = json.loads(path.read_text())["cells"]
        code = ["".join(c["source"]).strip() for c in cells if c["cell_type"] == "code"]
        first_lines = [c.splitlines()[0] for c in code if c]
        assert not [line for line in first_lines if len(line) > 12 and line in text]
        assert "Traceback" not in text and "Error" not in text.replace("error", "")
        assert widget_errors(page) == []
        print(f"{name}: {n_views} Playground view(s) painted")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"lesson-{name}.png"), full_page=True)
    finally:
        context.close()
        server.stop()
