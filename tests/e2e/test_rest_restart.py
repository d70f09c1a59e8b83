"""A kernel restarted behind the page's back (through the server's REST API, as a script or
another tab does) shows over the widget as a restart from the notebook's menu does
(``tests/e2e/test_live.py``): the banner, the controls disabled, nothing sent."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

from .conftest import lab_notebook
from .live_helpers import DISCONNECTED, PLAY, run_cell, widget_errors
from .test_playground import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CELLS = [
    "import gdwidget as gd\n"
    "w = gd.Playground(gd.functions.rosenbrock(), {'adam': gd.optim.adam(0.05)}, device='cpu')\n"
    "w"
]


def rest(server, path: str, method: str = "GET"):
    url = f"{server.base}{path}?token={server.token}"
    data = b"" if method == "POST" else None
    with urllib.request.urlopen(urllib.request.Request(url, method=method, data=data)) as r:
        return json.loads(r.read() or b"null")


def test_a_rest_api_restart_shows_disconnected_and_sends_nothing(browser, tmp_path_factory):
    with lab_notebook(browser, tmp_path_factory, "rest_restart", CELLS) as (server, page, _):
        run_cell(page, 0)
        page.wait_for_selector(PLAY, timeout=60_000)
        assert not page.locator(DISCONNECTED).first.is_visible()
        (kernel,) = rest(server, "/api/kernels")
        rest(server, f"/api/kernels/{kernel['id']}/restart", "POST")
        wait_until(lambda: page.locator(DISCONNECTED).first.is_visible(), 20, "gd-disconnected")
        assert page.locator(PLAY).first.is_disabled()
        page.locator(PLAY).first.click(force=True)
        time.sleep(1.0)
        sent = [m for m in page.console_messages if "Cannot send" in m]
        assert not sent, sent
        assert not widget_errors(page), widget_errors(page)
