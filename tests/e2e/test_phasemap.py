"""gd.PhaseMap in JupyterLab: the canvas fills as the blocks finish (its pixels, read back, hold
no pending cell, and both outcomes), hovering a cell shows its values, and clicking a cell
adds that setting to the linked Playground's race (in the kernel and in its legend)."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from . import servers
from .conftest import lab_notebook
from .live_helpers import kernel_exec, run_cell
from .test_playground import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NX, NY = 24, 16
CELLS = [
    "import gdwidget as gd, numpy as np\n"
    "w = gd.Playground('rosenbrock', {'adam': gd.optim.adam(0.05)}, start=(-1.5, 2.0),\n"
    "                  device='cpu', grad_tol=0.0)\n"
    "w",
    f"xs, ys = np.logspace(-4, -2.5, {NX}), np.linspace(0, 0.95, {NY})\n"
    "pm = gd.PhaseMap('rosenbrock', gd.optim.sgd, x=('lr', xs), y=('momentum', ys),\n"
    "                 steps=300, tol=1.0, playground=w, block_size=24)\n"
    "pm",
]
SHOTS = Path(os.environ.get("GD_SHOTS", tempfile.gettempdir()))
# the plot box of js/phasemap/view.js (BOX), in CSS pixels of the canvas
BOX = {"x": 66, "y": 10, "w": 560 - 66 - 14, "h": 440 - 10 - 46}


@pytest.fixture(scope="module")
def lab(browser, tmp_path_factory) -> Iterator[tuple[servers.Server, object]]:
    with lab_notebook(browser, tmp_path_factory, "phasemap", CELLS, 1400, 1400) as (
        server,
        page,
        root,
    ):
        yield server, page


def pixel_census(page) -> dict:
    """Colours of the cell centres read back from the canvas: pending cells, distinct colours."""
    return page.evaluate(
        """([box, nx, ny]) => {
            const c = document.querySelector('[data-testid=gd-phasemap-canvas]');
            const ctx = c.getContext('2d');
            const k = c.width / 560;
            const seen = new Set();
            let pending = 0, diverged = 0;
            for (let iy = 0; iy < ny; iy++) for (let ix = 0; ix < nx; ix++) {
                const x = Math.round((box.x + (ix + 0.5) / nx * box.w) * k);
                const y = Math.round((box.y + box.h - (iy + 0.5) / ny * box.h) * k);
                const [r, g, b] = ctx.getImageData(x, y, 1, 1).data;
                if (r === 238 && g === 238 && b === 238) pending++;
                if (r === 120 && g === 20 && b === 30) diverged++;
                seen.add(`${r},${g},${b}`);
            }
            return {pending, diverged, colours: seen.size};
        }""",
        [BOX, NX, NY],
    )


def test_phase_map_fills_and_a_click_races_the_cell(lab):
    server, page = lab
    assert "Error" not in run_cell(page, 0)
    assert "Error" not in run_cell(page, 1)
    root = page.locator("[data-testid=gd-phasemap]")
    root.wait_for(state="visible")
    wait_until(lambda: root.get_attribute("data-done") == str(NX * NY), 60, "every cell drawn")
    census = pixel_census(page)
    assert census["pending"] == 0, census
    assert 0 < census["diverged"] < NX * NY, census
    assert census["colours"] > 10, census
    root.screenshot(path=str(SHOTS / "gd-phasemap.png"))
    assert re.search(
        rf"{NX * NY} / {NX * NY} cells", page.inner_text("[data-testid=gd-phasemap-progress]")
    )

    # hover, then click cell (ix 5, iy 10)
    canvas = page.locator("[data-testid=gd-phasemap-canvas]")
    ix, iy = 5, 10
    pos = {
        "x": BOX["x"] + (ix + 0.5) / NX * BOX["w"],
        "y": BOX["y"] + BOX["h"] - (iy + 0.5) / NY * BOX["h"],
    }
    canvas.hover(position=pos)
    tip = page.locator("[data-testid=gd-phasemap-tip]")
    tip.wait_for(state="visible")
    assert "final loss" in tip.inner_text() and "momentum" in tip.inner_text()
    canvas.click(position=pos)
    want = kernel_exec(page, f"print('WANT', 'lr=%.3g, momentum=%.3g' % (xs[{ix}], ys[{iy}]))")
    label = want.split("WANT ", 1)[1].strip()
    wait_until(lambda: label in kernel_exec(page, "print(list(w.run.optimizers))"), 20, "the pick")
    # the Playground's page shows the new group in its legend
    wait_until(lambda: label in page.inner_text(".gd-root"), 20, "the legend entry")
    out = kernel_exec(page, "w.step(20); print('T', w.t, w.run.n_runs)")
    assert "T 20 2" in out, out
    errors = [m for m in page.console_messages if m.startswith(("error", "pageerror"))]
    assert not errors, errors
