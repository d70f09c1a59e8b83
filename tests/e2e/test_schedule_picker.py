"""The schedule picker in JupyterLab (Chromium): cosine picked in a group's settings section
sets the kernel's schedule (that of gd.schedules with the page's parameters), and the lr panel
draws its planned curve, dashed, ahead of the rates used: the planned values the page drew
equal gd.schedules' values, and the curve's pixels lie beyond the steps taken.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

import gdwidget as gd

from .conftest import ARTIFACTS
from .live_helpers import kernel_json, lab_cells
from .test_playground import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CELLS = [
    "import json\nimport numpy as np\nimport gdwidget as gd",
    "w = gd.Playground(gd.functions.rosenbrock(), {'adam': gd.optim.adam(0.05),"
    " 'mom': gd.optim.sgd(1e-3, momentum=0.9)}, start=(-1.5, 2.0), device='cpu')\n"
    "w.step(10)\nw",
]
PICKER = '[data-testid="gd-schedule-adam"]'
LR_PANEL = '[data-testid="gd-lr-panel"]'


@pytest.fixture(scope="module")
def lab(browser, tmp_path_factory) -> Iterator[object]:
    with lab_cells(
        browser, tmp_path_factory, "schedule", CELLS, '[data-testid="gd-settings"]', (1400, 1100)
    ) as page:
        yield page


def planned_drawn(page) -> list | None:
    raw = page.get_attribute(LR_PANEL, "data-planned")
    return json.loads(raw) if raw else None


def test_picking_cosine_sets_the_schedule_and_draws_its_plan(lab):
    page = lab
    page.evaluate(
        "() => { for (const d of document.querySelectorAll('.gd-settings')) d.open = true; }"
    )
    page.select_option(PICKER, "cosine")
    # the defaults: the group's rate, and max(300, 2 t) steps
    want = "cosine(lr=0.05, T_max=300, eta_min=0)"
    wait_until(lambda: kernel_json(page, "repr(w.run.optimizers['adam'].lr)") == want, 20.0)
    tmax = page.locator('[data-testid="gd-schedule-adam-T_max"]')
    assert tmax.input_value() == "300"
    tmax.fill("120")
    tmax.dispatch_event("change")
    want = "cosine(lr=0.05, T_max=120, eta_min=0)"
    wait_until(lambda: kernel_json(page, "repr(w.run.optimizers['adam'].lr)") == want, 20.0)
    assert want == repr(gd.schedules.cosine(0.05, T_max=120))

    # the planned curve the page drew: steps 0..121, each the value of gd.schedules' cosine
    def drawn_adam():
        curves = planned_drawn(page) or []
        mine = [c for c in curves if c["group"] == "adam"]
        return mine[0] if mine and mine[0]["steps"][-1] == 121 else None

    wait_until(lambda: drawn_adam() is not None, 20.0)
    curve = drawn_adam()
    ref = kernel_json(
        page,
        f"[gd.schedules.cosine(0.05, T_max=120)(max(s - 1, 0)) for s in {curve['steps']}]",
    )
    assert curve["lr"] == ref  # exact: both sides print the shortest round-tripping float
    assert [c["group"] for c in planned_drawn(page)] == ["adam"]  # mom's rate is constant

    # and it is drawn: adam's colour in the right half of the lr panel, where the used rates
    # (steps 0..10 of 0..121) do not reach
    color = kernel_json(page, "w.meta['runs'][0]['color']")
    rgb = [int(color[i : i + 2], 16) for i in (1, 3, 5)]
    count = page.evaluate(
        """([sel, rgb]) => {
          const c = document.querySelector(sel + ' canvas');
          const ctx = c.getContext('2d');
          const x0 = Math.floor(c.width / 2);
          const img = ctx.getImageData(x0, 0, c.width - x0, c.height).data;
          let n = 0;
          for (let i = 0; i < img.length; i += 4) {
            const d = Math.abs(img[i] - rgb[0]) + Math.abs(img[i + 1] - rgb[1])
              + Math.abs(img[i + 2] - rgb[2]);
            if (d < 60 && img[i + 3] > 200) n++;
          }
          return n;
        }""",
        [LR_PANEL, rgb],
    )
    print("planned-curve pixels in the right half of the lr panel:", count)
    assert count >= 20
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(LR_PANEL).screenshot(path=str(ARTIFACTS / "schedule-planned.png"))
