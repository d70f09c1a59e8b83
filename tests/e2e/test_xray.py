"""The X-ray and the settings panel in JupyterLab (Chromium).

* the toggle draws, at each run's marker, arrows whose ``data-dx``/``data-dy`` equal
  ``w.internals(label)`` (the optimizer's state, projected), and the effective-step ellipse;
* every hyperparameter set in the settings panel changes the next step exactly as the same
  ``w.set_hyper`` in Python does on a twin Playground;
* a screenshot of the X-ray (test-artifacts/xray.png).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .conftest import ARTIFACTS
from .live_helpers import kernel_exec, kernel_json, lab_cells
from .test_playground import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

RACE = (
    "{'adam': gd.optim.adam(0.05), 'mom': gd.optim.sgd(1e-3, momentum=0.9),"
    " 'lion': gd.optim.lion(0.02)}"
)
CELLS = [
    "import json\nimport numpy as np\nimport gdwidget as gd",
    f"w = gd.Playground(gd.functions.rosenbrock(), {RACE}, start=(-1.5, 2.0), device='cpu')\n"
    f"twin = gd.Playground(gd.functions.rosenbrock(), {RACE}, start=(-1.5, 2.0), device='cpu')\n"
    "w.step(12)\ntwin.step(12)\nw",
]
KINDS = ("grad", "momentum", "update", "sign_step")


@pytest.fixture(scope="module")
def lab(browser, tmp_path_factory) -> Iterator[object]:
    with lab_cells(
        browser, tmp_path_factory, "xray", CELLS, '[data-testid="gd-xray"]', (1400, 1100)
    ) as page:
        yield page


def test_xray_arrows_carry_the_optimizer_state(lab):
    page = lab
    page.click('[data-testid="gd-xray"]')
    page.wait_for_selector('[data-testid="gd-xray-grad-adam"]', timeout=20_000)
    for label in ("adam", "mom", "lion"):
        want = kernel_json(page, f"w.internals('{label}')")
        for kind in KINDS:
            sel = f'[data-testid="gd-xray-{kind}-{label}"]'
            if want[kind] is None:
                assert page.query_selector(sel) is None, (label, kind)
                continue
            el = page.wait_for_selector(sel)
            got = [float(el.get_attribute("data-dx")), float(el.get_attribute("data-dy"))]
            assert got == pytest.approx(want[kind], rel=1e-12, abs=1e-300), (label, kind)
    ell = page.query_selector('[data-testid="gd-xray-step_size-adam"]')
    want = kernel_json(page, "w.internals('adam')['step_size']")
    assert [float(ell.get_attribute("data-sx")), float(ell.get_attribute("data-sy"))] == (
        pytest.approx(want, rel=1e-12)
    )
    # the numbers panel shows the selected run
    assert "gradient" in page.inner_text('[data-testid="gd-xray-panel"]')
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(".gd-body").first.screenshot(path=str(ARTIFACTS / "xray.png"))


@pytest.mark.parametrize(
    "testid,text,label,name,value",
    [
        ("gd-hyper-adam-eps", "0.001", "adam", "eps", 1e-3),
        ("gd-hyper-adam-betas-0", "0.5", "adam", "betas", (0.5, 0.999)),
        ("gd-hyper-adam-amsgrad", None, "adam", "amsgrad", True),
        ("gd-hyper-mom-momentum", "0.5", "mom", "momentum", 0.5),
        ("gd-hyper-mom-nesterov", None, "mom", "nesterov", True),
        ("gd-hyper-lion-weight_decay", "0.1", "lion", "weight_decay", 0.1),
    ],
)
def test_settings_panel_acts_as_set_hyper(lab, testid, text, label, name, value):
    page = lab
    page.evaluate(
        "() => { for (const d of document.querySelectorAll('.gd-settings')) d.open = true; }"
    )
    el = page.wait_for_selector(f'[data-testid="{testid}"]')
    if text is None:
        el.check()
    else:
        el.fill(text)
        el.dispatch_event("change")
    want = list(value) if isinstance(value, tuple) else value
    expr = f"getattr(w.run.optimizers['{label}'], '{name}')"
    wait_until(lambda: kernel_json(page, expr) == want, 20.0)
    kernel_exec(page, f"twin.set_hyper('{label}', '{name}', {value!r})")
    same = kernel_json(
        page,
        "[w.step(1), twin.step(1), bool(np.array_equal(w.run.params, twin.run.params))][2]",
    )
    assert same is True
