"""The clip, noise and weight decay toggles in JupyterLab (Chromium).

* clip switched on in the settings panel sets the kernel's clip, and the next steps equal those
  of a twin Playground given the same clip from Python;
* the clipped steps are marked on the path: each mark names a step and run that
  ``w.clipped_steps()`` lists, and sits at the position the history recorded for them;
* a change from Python shows in the panel (the kernel's echo); the weight decay box sets the
  optimizer's ``weight_decay``.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from .live_helpers import kernel_exec, kernel_json, lab_cells
from .test_playground import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

RACE = "{'adam': gd.optim.adam(0.05), 'mom': gd.optim.sgd(1e-3, momentum=0.9)}"
CELLS = [
    "import json\nimport numpy as np\nimport gdwidget as gd\n"
    "from gdwidget.live.toggles import toggles_of",
    f"w = gd.Playground(gd.functions.rosenbrock(), {RACE}, start=(-1.5, 2.0), device='cpu')\n"
    f"twin = gd.Playground(gd.functions.rosenbrock(), {RACE}, start=(-1.5, 2.0), device='cpu')\n"
    "w.step(12)\ntwin.step(12)\nw",
]


@pytest.fixture(scope="module")
def lab(browser, tmp_path_factory) -> Iterator[object]:
    with lab_cells(
        browser, tmp_path_factory, "toggles", CELLS, '[data-testid="gd-settings"]', (1400, 1100)
    ) as page:
        page.evaluate(
            "() => { for (const d of document.querySelectorAll('.gd-settings')) d.open = true; }"
        )
        yield page


def test_clip_from_the_page_acts_as_set_clip_and_marks_the_clipped_steps(lab):
    page = lab
    page.fill('[data-testid="gd-clip-adam-value"]', "0.5")
    page.dispatch_event('[data-testid="gd-clip-adam-value"]', "change")
    assert kernel_json(page, "toggles_of(w.run.optimizers['adam']) is None")  # off: not sent
    page.check('[data-testid="gd-clip-adam"]')
    expr = "getattr(toggles_of(w.run.optimizers['adam']), 'max_norm', None)"
    wait_until(lambda: kernel_json(page, expr) == 0.5, 20.0)
    kernel_exec(page, "twin.set_clip('adam', 0.5)")
    same = kernel_json(
        page, "[w.step(20), twin.step(20), bool(np.array_equal(w.run.params, twin.run.params))][2]"
    )
    assert same is True
    clipped = {tuple(r) for r in kernel_json(page, "w.clipped_steps().tolist()")}
    assert clipped and all(s > 12 for s, _ in clipped)
    page.wait_for_selector('[data-testid="gd-clipmark"]', timeout=20_000)
    wait_until(lambda: page.inner_text('[data-testid="gd-clip-adam-count"]') != "", 10.0)
    history = kernel_json(page, "[w.history.steps.tolist(), w.history.xy.tolist()]")
    row_of = {int(s): i for i, s in enumerate(history[0])}
    xy = np.asarray(history[1], dtype=np.float32)  # the page holds float32 points
    marks = page.eval_on_selector_all(
        '[data-testid="gd-clipmark"]',
        "els => els.map(e => ['step', 'run', 'x', 'y'].map(k => Number(e.dataset[k])))",
    )
    assert marks
    for step, run, x, y in marks:
        assert (step, run) in clipped
        assert [x, y] == [float(v) for v in xy[row_of[int(step)], int(run)]], (step, run)


def test_python_changes_show_in_the_panel_and_weight_decay_acts(lab):
    page = lab
    kernel_exec(page, "w.set_noise('mom', 0.05)")
    # the focus is still on the clip box clicked before: the echo shows all the same
    wait_until(lambda: page.is_checked('[data-testid="gd-noise-mom"]'), 10.0)
    assert page.input_value('[data-testid="gd-noise-mom-value"]') == "0.05"
    page.check('[data-testid="gd-wd-adam"]')
    wd = "w.run.optimizers['adam'].optimizer.weight_decay"
    wait_until(lambda: kernel_json(page, wd) == 0.01, 20.0)
    page.uncheck('[data-testid="gd-clip-adam"]')
    clip = "toggles_of(w.run.optimizers['adam']).max_norm"
    wait_until(lambda: kernel_json(page, clip) is None, 20.0)
