"""Fixtures of the browser tests: a system Chromium driven by Playwright, Jupyter servers.

Every test here is skipped, with the reason, when Playwright, the system Chromium or the
widget's JavaScript bundle is missing. No browser is ever downloaded.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from . import servers

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
BUNDLE = REPO / "gdwidget" / "static" / "widget.js"


def _skip_reason() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install playwright; no browser download needed)"
    if not os.path.exists(servers.CHROMIUM):
        return f"no system Chromium at {servers.CHROMIUM} (apt-get install chromium)"
    if not BUNDLE.is_file():
        return "the widget's JavaScript bundle is not built (npm install && npm run build)"
    import gdwidget.widget as gw

    if not gw._bundle_present():
        return "the installed gdwidget has no JavaScript bundle (pip install -e . to rebuild)"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=servers.CHROMIUM, args=servers.CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def new_page(browser, width: int = 1400, height: int = 1100):
    """A page in a context of its own, keeping its console (``page.console_messages``) and
    recording the landscape's strokes (``el.gdDrawn()``)."""
    context = browser.new_context(viewport={"width": width, "height": height})
    context.add_init_script("globalThis.gdRecordTrails = true;")  # for el.gdDrawn()
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    messages: list[str] = []
    pg.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
    pg.on("pageerror", lambda e: messages.append(f"pageerror: {e} {(e.stack or '')[:600]}"))
    pg.console_messages = messages  # type: ignore[attr-defined]
    return context, pg


def wait_kernel_idle(page) -> None:
    """Until the notebook open in JupyterLab or Notebook 7 has an idle kernel."""
    page.wait_for_function(
        """() => {
            const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
            const k = w && w.sessionContext && w.sessionContext.session
                && w.sessionContext.session.kernel;
            return k && k.status === 'idle';
        }""",
        timeout=90_000,
    )


@pytest.fixture
def page(browser):
    context, pg = new_page(browser)
    try:
        yield pg
    finally:
        context.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def _serve(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.Server]:
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    base = tmp_path_factory.mktemp(f"e2e-{kind}")
    root = base / "nb"
    root.mkdir()
    (root / "play.ipynb").write_text(servers.notebook_json(servers.PLAYGROUND_CELLS))
    server = servers.start(kind, root)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def lab_server(tmp_path_factory) -> Iterator[servers.Server]:
    yield from _serve("lab", tmp_path_factory)


@pytest.fixture
def notebook_server(tmp_path_factory) -> Iterator[servers.Server]:
    yield from _serve("notebook", tmp_path_factory)


@pytest.fixture
def voila_server(tmp_path_factory) -> Iterator[servers.Server]:
    yield from _serve("voila", tmp_path_factory)


@contextlib.contextmanager
def lab_notebook(
    browser, tmp_path_factory, name: str, cells: list[str], width: int = 1400, height: int = 1000
) -> Iterator[tuple[servers.Server, object, Path]]:
    """JupyterLab on a notebook ``name`` of ``cells``, open in a page with its kernel idle:
    ``(server, page, notebook folder)``; the test is skipped, with the reason, without a browser."""
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    root = tmp_path_factory.mktemp(f"e2e-{name}") / "nb"
    root.mkdir()
    (root / f"{name}.ipynb").write_text(servers.notebook_json(cells))
    server = servers.start("lab", root, notebook=f"{name}.ipynb")
    context, page = new_page(browser, width, height)
    try:
        page.goto(server.page_url())
        wait_kernel_idle(page)
        yield server, page, root
    finally:
        context.close()
        server.stop()


def each_theme(page) -> Iterator[str]:
    """Switch JupyterLab to its light theme, then its dark one, yielding ``"light"`` and
    ``"dark"`` once each theme is applied."""
    for theme, shade in (("JupyterLab Light", "light"), ("JupyterLab Dark", "dark")):
        page.evaluate(
            "(t) => window.jupyterapp.commands.execute('apputils:change-theme', {theme: t})", theme
        )
        flag = "true" if shade == "light" else "false"
        page.wait_for_function(
            f"() => document.body.dataset.jpThemeLight === '{flag}'", timeout=30_000
        )
        yield shade
