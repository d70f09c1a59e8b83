"""Models on data in a real browser: the training notebooks run in JupyterLab, driven by Playwright.

* notebooks/03_training_an_mlp.ipynb runs whole; playing its Playground grows the loss and the
  training / validation curves, and the model view paints the decision regions.
* notebooks/02_batch_vs_stochastic.ipynb runs whole; in its Playground over ``(w, b)`` the
  mini-batch gradient arrow points further from the full-batch one at batch size 1 than at 64.

Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import math
import shutil
import time
from collections.abc import Iterator

import pytest

from . import servers
from .conftest import REPO, _skip_reason
from .test_playground import run_all_cells, shot, step_of, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOTEBOOKS = ("02_batch_vs_stochastic.ipynb", "03_training_an_mlp.ipynb")
PLAY = '[data-testid="gd-play"]'
PAUSE = '[data-testid="gd-pause"]'
STEP = '[data-testid="gd-step"]'
RESET = '[data-testid="gd-reset"]'
LOSS = '[data-testid="gd-loss"]'
EVALS = '[data-testid="gd-evals"]'
MODEL_VIEW = '[data-testid="gd-model-view"]'
BATCH = '[data-testid="gd-batch-size"]'


@pytest.fixture(scope="module")
def models_lab(tmp_path_factory) -> Iterator[servers.Server]:
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("e2e-models") / "nb"
    root.mkdir()
    for name in NOTEBOOKS:
        shutil.copy(REPO / "notebooks" / name, root / name)
    server = servers.start("lab", root)
    try:
        yield server
    finally:
        server.stop()


def open_notebook(page, server: servers.Server, name: str) -> None:
    page.goto(f"{server.base}/lab/tree/{name}?token={server.token}&reset")
    run_all_cells(page)


def notebook_errors(page) -> list[str]:
    """Error outputs of the open notebook's cells."""
    return page.evaluate(
        """() => {
            const p = window.jupyterapp.shell.currentWidget;
            const out = [];
            for (const cell of p.content.widgets) {
                if (cell.model.type !== 'code') continue;
                for (const o of cell.model.outputs.toJSON()) {
                    if (o.output_type === 'error') out.push(o.ename + ': ' + o.evalue);
                }
            }
            return out;
        }"""
    )


def all_cells_ran(page) -> bool:
    return page.evaluate(
        """() => {
            const p = window.jupyterapp.shell.currentWidget;
            const k = p.sessionContext.session.kernel;
            const cells = p.content.widgets.filter(c => c.model.type === 'code');
            return k.status === 'idle' && cells.every(c => c.model.executionCount);
        }"""
    )


def canvas_spread(page, selector: str) -> float:
    """Standard deviation of the pixel values of the first canvas inside ``selector``."""
    return page.evaluate(
        """(sel) => {
            const c = document.querySelector(sel + ' canvas');
            if (!c || !c.width) return 0;
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let s = 0, s2 = 0, n = 0;
            for (let i = 0; i < d.length; i += 16) { s += d[i] + d[i+1] + d[i+2]; n++; }
            const m = s / n;
            for (let i = 0; i < d.length; i += 16) {
                const v = d[i] + d[i+1] + d[i+2];
                s2 += (v - m) ** 2;
            }
            return Math.sqrt(s2 / n);
        }""",
        selector,
    )


def check_no_widget_errors(page) -> None:
    errors = [
        m
        for m in page.console_messages
        if m.startswith("pageerror") and ("blob:" in m or "gdwidget" in m or "anywidget" in m)
    ]
    assert not errors, errors


def test_training_notebook_curves_grow_and_the_model_view_paints(models_lab, page, artifacts):
    open_notebook(page, models_lab, "03_training_an_mlp.ipynb")
    wait_until(lambda: page.locator(PLAY).count() >= 1, 120, "the Playground")
    wait_until(lambda: all_cells_ran(page), 120, "every cell of the notebook to run")
    assert notebook_errors(page) == []
    page.locator(LOSS).first.scroll_into_view_if_needed()
    wait_until(lambda: canvas_spread(page, MODEL_VIEW) > 5, 30, "the model view to paint")
    time.sleep(0.5)
    shot(page, artifacts, "models-03-0-initial")
    loss0 = page.locator(LOSS).first.screenshot()
    model0 = page.locator(MODEL_VIEW).first.screenshot()

    page.locator(PLAY).first.click()
    wait_until(lambda: step_of(page) >= 80, 60, "the training to advance")
    assert page.locator(EVALS).first.is_visible(), "the training / validation panel is hidden"
    evals1 = page.locator(EVALS).first.screenshot()
    wait_until(lambda: step_of(page) >= 160, 60, "more training")
    page.locator(PAUSE).first.click()
    time.sleep(0.8)
    shot(page, artifacts, "models-03-1-trained")
    assert page.locator(LOSS).first.screenshot() != loss0, "the loss curves did not grow"
    assert page.locator(EVALS).first.screenshot() != evals1, "the evaluation curves did not grow"
    assert page.locator(MODEL_VIEW).first.screenshot() != model0, "the model view did not update"
    assert canvas_spread(page, MODEL_VIEW) > 5
    check_no_widget_errors(page)


def arrow(page, kind: str, label: str) -> tuple[float, float]:
    el = page.locator(f'[data-testid="gd-arrow-{kind}-{label}"]').first
    return float(el.get_attribute("data-dx")), float(el.get_attribute("data-dy"))


def angle(u: tuple[float, float], v: tuple[float, float]) -> float:
    nu, nv = math.hypot(*u), math.hypot(*v)
    cos = (u[0] * v[0] + u[1] * v[1]) / (nu * nv)
    return math.degrees(math.acos(max(-1.0, min(1.0, cos))))


def mean_angle_over_steps(page, n: int, label: str = "sgd") -> float:
    angles = []
    for _ in range(n):
        before = step_of(page)
        page.locator(STEP).first.click()
        wait_until(lambda b=before: step_of(page) == b + 1, 20, "one step")
        wait_until(lambda: page.locator(f'[data-testid="gd-arrow-batch-{label}"]').count(), 10)
        time.sleep(0.35)  # the arrows message follows the step's frame
        angles.append(angle(arrow(page, "batch", label), arrow(page, "full", label)))
    return sum(angles) / len(angles)


def test_batch_size_changes_the_noise_of_the_gradient_arrow(models_lab, page, artifacts):
    open_notebook(page, models_lab, "02_batch_vs_stochastic.ipynb")
    wait_until(lambda: page.locator(BATCH).count() >= 1, 120, "the batch-size control")
    wait_until(lambda: all_cells_ran(page), 120, "every cell of the notebook to run")
    assert notebook_errors(page) == []
    page.locator('[data-testid="gd-landscape"]').first.scroll_into_view_if_needed()

    page.locator(BATCH).first.select_option("1")
    time.sleep(0.5)
    noisy = mean_angle_over_steps(page, 8)
    shot(page, artifacts, "models-02-0-batch-1")

    page.locator(BATCH).first.select_option("64")
    page.locator(RESET).first.click()
    wait_until(lambda: step_of(page) == 0, 20, "the reset")
    time.sleep(0.5)
    calm = mean_angle_over_steps(page, 8)
    shot(page, artifacts, "models-02-1-batch-64")
    assert noisy > calm + 5, f"mean angle at batch 1: {noisy:.1f} deg, at 64: {calm:.1f} deg"
    check_no_widget_errors(page)
