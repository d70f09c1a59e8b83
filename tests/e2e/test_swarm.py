"""The start swarm in JupyterLab: the race setup panel's swarm control (``gd-swarm-n``,
``gd-swarm-kind``, ``gd-swarm-apply``) gives the race a 3 x 3 grid of starts, and every run's
marker is drawn, within a pixel, where ``gd.classroom.swarm`` puts its start.

Markers are read from the landscape's marker canvas: the centroid of the pixels of each run's
colour around the point where the swarm says it starts.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from .conftest import ARTIFACTS
from .live_helpers import expected_px, kernel_json, lab_cells, widget_errors
from .test_playground import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LANDSCAPE = '[data-testid="gd-landscape"]'
CELLS = [
    "import json\nimport numpy as np\nimport gdwidget as gd\nfrom gdwidget.classroom import swarm",
    "w = gd.Playground(gd.functions.himmelblau(), {'gd': gd.optim.gd(0.005)}, device='cpu')\nw",
]


@pytest.fixture(scope="module")
def lab(browser, tmp_path_factory) -> Iterator[object]:
    with lab_cells(browser, tmp_path_factory, "swarm", CELLS, LANDSCAPE, (1400, 1000)) as page:
        yield page


def marker_centre(page, colour: str, px: float, py: float, r: int = 10) -> tuple[float, float]:
    """The centroid (CSS px) of the marker canvas's pixels of ``colour`` within ``r`` px."""
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return tuple(
        page.evaluate(
            """([x, y, r, rgb]) => {
                const c = document.querySelector('[data-testid="gd-landscape"] canvas.gd-overlay');
                const dpr = c.width / parseFloat(c.style.width);
                const x0 = Math.round((x - r) * dpr), y0 = Math.round((y - r) * dpr);
                const n = Math.round(2 * r * dpr);
                const d = c.getContext('2d').getImageData(x0, y0, n, n).data;
                let sx = 0, sy = 0, k = 0;
                for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) {
                  const o = 4 * (j * n + i);
                  const off = Math.max(...[0, 1, 2].map((q) => Math.abs(d[o + q] - rgb[q])));
                  if (d[o + 3] === 255 && off <= 8) { sx += i + 0.5; sy += j + 0.5; k++; }
                }
                return k ? [(x0 + sx / k) / dpr, (y0 + sy / k) / dpr, k] : [NaN, NaN, 0];
            }""",
            [px, py, r, rgb],
        )
    )[:2]


def test_a_3x3_grid_swarm_from_the_page_draws_its_starts_where_swarm_puts_them(lab):
    page = lab
    page.locator('[data-testid="gd-picker"] > summary').click()
    page.locator('[data-testid="gd-swarm-n"]').fill("3")
    page.locator('[data-testid="gd-swarm-kind"]').select_option("grid")
    page.locator('[data-testid="gd-swarm-apply"]').click()
    wait_until(lambda: kernel_json(page, "w.run.n_runs") == 9, 30, "the swarm's nine runs")
    expected = np.array(kernel_json(page, "swarm(w.run.objective, 3, 'grid').tolist()"))
    assert kernel_json(page, "w.run._starts.tolist()") == expected.tolist()
    assert kernel_json(page, "w.t") == 0
    colours = kernel_json(page, "[r['color'] for r in w.meta['runs']]")
    assert len(colours) == 9
    wait_until(
        lambda: page.evaluate(f"document.querySelector('{LANDSCAPE}').gdDrawn().rows") >= 1,
        20,
        "the step-0 row",
    )
    page.wait_for_timeout(300)  # the next animation frame draws the markers
    errors = []
    for (x, y), colour in zip(expected, colours, strict=True):
        want = np.array(expected_px(page, x, y))
        got = np.array(marker_centre(page, colour, *want))
        errors.append(float(np.hypot(*(got - want))))
    print("marker distance from the swarm's start, px:", [round(e, 3) for e in errors])
    assert max(errors) <= 1.0, errors
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "swarm-grid.png"))

    # a refusal is shown and changes nothing; n = 1 goes back to the single start
    page.locator('[data-testid="gd-swarm-n"]').fill("30")
    page.locator('[data-testid="gd-swarm-apply"]').click()
    error = page.locator('[data-testid="gd-picker-error"]')
    wait_until(lambda: error.is_visible() and "at most" in error.inner_text(), 20, "the refusal")
    assert kernel_json(page, "w.run.n_runs") == 9
    page.locator('[data-testid="gd-swarm-n"]').fill("1")
    page.locator('[data-testid="gd-swarm-apply"]').click()
    wait_until(lambda: kernel_json(page, "w.run.n_runs") == 1, 20, "the single start")
    assert not widget_errors(page), widget_errors(page)
