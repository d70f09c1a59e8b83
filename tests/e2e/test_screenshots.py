"""The whole widget, every panel open, at 900, 1400 and 1920 px wide, light and dark.

One JupyterLab page and one kernel: five optimizers race on Rosenbrock; the settings panel is
open with adam's gradient clip on and a cosine schedule picked, the race setup panel is open,
the X-ray and instant mode are on, and the timeline is seeked back. At each width and theme:

* every ``[data-testid]`` box of the widget lies within the widget's root (nothing overflows the
  output's width) and the root does not scroll sideways;
* no text outside the landscape overlaps the landscape;
* every visible text of the widget has a WCAG contrast ratio of at least 4.5 against the
  background it is drawn on (computed colours, alpha blended);

and a screenshot of the widget is written to the test artifacts folder
(``test-artifacts/screens-<width>-<theme>.png``), to be looked at. A second Playground of
twelve runs checks that a legend with rows out of sight says so (its last row fades).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from .conftest import each_theme, lab_notebook
from .live_helpers import cell, kernel_exec, run_cell, widget_errors
from .test_playground import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDTHS = (900, 1400, 1920)
RACE = (
    "{'gd': gd.optim.sgd(1e-3), 'momentum': gd.optim.sgd(1e-3, momentum=0.9),"
    " 'adam': gd.optim.adam(0.05), 'rmsprop': gd.optim.rmsprop(0.01),"
    " 'adagrad': gd.optim.adagrad(0.3)}"
)
CELLS = [
    "import gdwidget as gd",
    f"w = gd.Playground(gd.functions.rosenbrock(), {RACE}, start=(-1.5, 2.0), device='cpu')\n"
    "w.step(80)\nw",
    "many = gd.Playground(gd.functions.rosenbrock(),\n"
    "    {f'adam{i}': gd.optim.adam(0.01 * (i + 1)) for i in range(12)}, device='cpu')\nmany",
]
ROOT = ".gd-root"
HEIGHT = 3000  # the whole widget in sight: the notebook clips what is outside its window

# The checks, run in the page on the widget's root. Boxes and colours are the browser's own.
OVERFLOW = """root => {
    const r = root.getBoundingClientRect();
    const out = [];
    for (const el of root.querySelectorAll('[data-testid]')) {
        const b = el.getBoundingClientRect();
        if (b.width === 0 || b.height === 0) continue;
        if (b.left < r.left - 0.5 || b.right > r.right + 0.5)
            out.push(`${el.dataset.testid} [${b.left.toFixed(0)}, ${b.right.toFixed(0)}]`
                     + ` outside [${r.left.toFixed(0)}, ${r.right.toFixed(0)}]`);
    }
    if (root.scrollWidth > root.clientWidth + 1)
        out.push(`root scrolls: ${root.scrollWidth} > ${root.clientWidth}`);
    return out;
}"""

TEXTS = """root => {
    // the visible elements with text of their own (not only their children's)
    const texts = [];
    for (const el of root.querySelectorAll('*')) {
        const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
        const field = el.matches('input[type=number], input[type=text], select');
        if (!own && !field) continue;
        if (el.closest('svg, canvas, [hidden], .gd-hover, .gd-disconnected, option')) continue;
        const b = el.getBoundingClientRect();
        if (b.width === 0 || b.height === 0) continue;
        if (getComputedStyle(el).visibility === 'hidden') continue;
        texts.push(el);
    }
    return texts;
}"""

OVERLAP = f"""root => {{
    const land = root.querySelector('[data-testid="gd-landscape"]').getBoundingClientRect();
    const out = [];
    for (const el of ({TEXTS})(root)) {{
        if (el.closest('[data-testid="gd-landscape"]')) continue;
        const b = el.getBoundingClientRect();
        const w = Math.min(b.right, land.right) - Math.max(b.left, land.left);
        const h = Math.min(b.bottom, land.bottom) - Math.max(b.top, land.top);
        const name = el.className || el.tagName;
        if (w > 1 && h > 1) out.push(`${{name}}: ${{el.textContent.slice(0, 30)}}`);
    }}
    return out;
}}"""

CONTRAST = f"""root => {{
    const rgba = (s) => {{
        const c = s.match(/color\\(srgb ([^)]+)\\)/);  // a color-mix() computed
        if (c) {{
            const v = c[1].split(/[ /]+/).filter(Boolean).map(Number);
            return [v[0] * 255, v[1] * 255, v[2] * 255, v.length > 3 ? v[3] : 1];
        }}
        const m = s.match(/rgba?\\(([^)]+)\\)/);
        if (!m) return null;
        const v = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
        return [v[0], v[1], v[2], v.length > 3 ? v[3] : 1];
    }};
    const over = (top, under) =>
        top.slice(0, 3).map((c, i) => c * top[3] + under[i] * (1 - top[3]));
    const lum = (c) => {{
        const l = c.map(v => {{
            v /= 255;
            return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
        }});
        return 0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2];
    }};
    const background = (el) => {{
        // the backgrounds from the page down to el, each blended over the one below
        const chain = [];
        for (let e = el; e; e = e.parentElement)
            chain.push(rgba(getComputedStyle(e).backgroundColor));
        let bg = [255, 255, 255];
        for (const c of chain.reverse()) if (c && c[3] > 0) bg = over(c, bg);
        return bg;
    }};
    const out = [];
    for (const el of ({TEXTS})(root)) {{
        const s = getComputedStyle(el);
        if (el.disabled || el.closest(':disabled') || Number(s.opacity) < 1) continue;
        const bg = background(el);
        const fg = over(rgba(s.color), bg);
        const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
        const ratio = (a + 0.05) / (b + 0.05);
        const text = (el.textContent || el.value || '').trim().slice(0, 24);
        if (ratio < 4.5) out.push(`${{el.className || el.tagName}} "${{text}}" `
                                  + `${{s.color}} on rgb(${{bg.map(Math.round)}}): `
                                  + ratio.toFixed(2));
    }}
    return out;
}}"""


@pytest.fixture(scope="module")
def lab(browser, tmp_path_factory) -> Iterator[object]:
    with lab_notebook(browser, tmp_path_factory, "screens", CELLS, 1400, HEIGHT) as (_, page, _r):
        # the file browser closed, as for a class: the notebook has the window's width
        page.evaluate("() => window.jupyterapp.shell.collapseLeft()")
        run_cell(page, 0)
        run_cell(page, 1)
        page.wait_for_selector('[data-testid="gd-settings"]', state="attached", timeout=60_000)
        yield page


def open_panels(view) -> None:
    """Open the settings and race setup panels and adam's X-ray (a rebuilt view closes them)."""
    view.evaluate(
        "el => { for (const d of el.querySelectorAll('.gd-settings, .gd-picker')) d.open = true; }"
    )
    xray = view.locator('[data-testid="gd-xray"]')
    if not xray.is_checked():
        xray.check()
    view.locator('[data-testid="gd-xray-grad-adam"]').first.wait_for(timeout=20_000)
    view.locator('[data-testid="gd-xray-run"]').select_option("adam")  # its moments and steps


def set_up_the_race(page, view) -> None:
    open_panels(view)
    view.locator('[data-testid="gd-clip-adam-value"]').fill("2")
    view.locator('[data-testid="gd-clip-adam-value"]').dispatch_event("change")
    view.locator('[data-testid="gd-clip-adam"]').check()
    view.locator('[data-testid="gd-schedule-adam"]').select_option("cosine")
    wait_until(
        lambda: "cosine" in kernel_exec(page, "print(repr(w.run.optimizers['adam'].lr))"),
        20,
        "adam's cosine schedule",
    )
    kernel_exec(page, "w.step(60)")
    view.locator('[data-testid="gd-instant"]').check()
    wait_until(lambda: "1" in kernel_exec(page, "print(int(w.instant > 0))"), 20, "instant mode")
    kernel_exec(page, "w.seek(100)")
    label = view.locator('[data-testid="gd-timeline-label"]')
    wait_until(lambda: "step 100 of" in label.inner_text(), 20, "the timeline at step 100")


def test_every_panel_at_every_width_light_and_dark(lab, artifacts):
    page = lab
    view = cell(page, 1)
    set_up_the_race(page, view)
    problems: dict[str, list[str]] = {}
    try:
        for shade in each_theme(page):
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": HEIGHT})
                time.sleep(1.0)  # the host's new width, a rebuilt view at its scale
                view.locator('[data-testid="gd-landscape"]').first.wait_for(timeout=20_000)
                open_panels(view)
                time.sleep(0.8)  # the rebuilt view redraws what it holds
                root = view.locator(ROOT).first
                root.scroll_into_view_if_needed()
                root.screenshot(path=str(artifacts / f"screens-{width}-{shade}.png"))
                for check, js in (("overflow", OVERFLOW), ("overlap", OVERLAP)):
                    found = root.evaluate(js)
                    if found:
                        problems[f"{check} {width} {shade}"] = found
                found = root.evaluate(CONTRAST)
                if found:
                    problems[f"contrast {width} {shade}"] = found
    finally:
        page.evaluate(
            "() => window.jupyterapp.commands.execute('apputils:change-theme',"
            " {theme: 'JupyterLab Light'})"
        )
    assert not problems, "\n".join(f"{k}: {v}" for k, v in problems.items())
    assert not widget_errors(page), widget_errors(page)


# how many legend rows lie wholly inside the legend's box, of how many; and whether it fades
LEGEND_ROWS = """el => {
    const r = el.getBoundingClientRect();
    const rows = [...el.querySelectorAll('.gd-legend-row')];
    const inside = rows.filter(row => {
        const b = row.getBoundingClientRect();
        return b.top >= r.top - 0.5 && b.bottom <= r.bottom + 0.5;
    });
    return [inside.length, rows.length, el.classList.contains('gd-legend-more')];
}"""


def test_the_legend_shows_its_rows_or_says_that_more_are_below(lab):
    page = lab
    page.set_viewport_size({"width": 1400, "height": HEIGHT})
    run_cell(page, 2)
    few = cell(page, 1).locator('[data-testid="gd-legend"]').first
    assert few.evaluate(LEGEND_ROWS) == [5, 5, False]  # every run in sight, no fade
    legend = cell(page, 2).locator('[data-testid="gd-legend"]').first
    legend.wait_for(timeout=60_000)
    wait_until(lambda: legend.evaluate(LEGEND_ROWS)[1] == 12, 20, "twelve legend rows")
    inside, total, fades = legend.evaluate(LEGEND_ROWS)
    assert 8 <= inside < total and fades, (inside, total, fades)  # rows below: it says so
    assert legend.locator(".gd-legend-status").first.inner_text() == "ready"  # not started yet
    legend.evaluate("el => { el.scrollTop = el.scrollHeight; }")
    wait_until(lambda: legend.evaluate(LEGEND_ROWS)[2] is False, 5, "the fade to go at the end")
    last = legend.evaluate("el => el.lastElementChild.getBoundingClientRect().bottom")
    assert last <= legend.evaluate("el => el.getBoundingClientRect().bottom") + 0.5
