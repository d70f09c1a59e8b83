"""The Playground in a real ipykernel 6 kernel (the compat venv's Python), driven as a page would.

A jupyter_client stands for the page: it reads the widget's comm messages on iopub and sends
``comm_msg`` requests on shell, as the front end does. Checked: the probe and the history come
with their binary buffers; frames from the loop thread come while no cell runs; after a failed
probe ack every message carries base64 that decodes to the history; an objective failing in
the loop thread reaches the page as the ``error`` trait, with no traceback in any output.
"""

from __future__ import annotations

import base64
import json
import queue
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from gdwidget.stream import apply, unpack

TESTS = Path(__file__).resolve().parents[1]
SETUP = f"""
import sys
sys.path.insert(0, {str(TESTS)!r})
import gdwidget as gd
from widget_helpers import Bowl
def make(**kw):
    w = gd.Playground(Bowl(kw.pop('fail_at', None)), {{'gd': gd.optim.sgd(0.1)}},
                      device='cpu', grad_tol=0.0, speed=0, **kw)
    print('MODEL', w.model_id)
    return w
"""


@pytest.fixture(scope="module")
def kernel(tmp_path_factory) -> Any:
    jc = pytest.importorskip("jupyter_client")
    from jupyter_client.kernelspec import KernelSpecManager

    specs = tmp_path_factory.mktemp("kernels")
    (specs / "gdcompat").mkdir()
    (specs / "gdcompat" / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "gdwidget compat",
                "language": "python",
            }
        )
    )
    km = jc.KernelManager(
        kernel_name="gdcompat", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(specs)])
    )
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        page = Page(kc)
        out = page.execute(
            SETUP + "import ipywidgets, ipykernel\n"
            "print('VERSIONS', ipywidgets.__version__, ipykernel.__version__)"
        )
        assert "VERSIONS 7.7.1 6." in out, out
        yield page
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


class Page:
    """The front end's side of the comms: everything read from iopub is kept in ``seen``."""

    def __init__(self, kc: Any) -> None:
        self.kc = kc
        self.seen: list[dict[str, Any]] = []

    def _pump(self, timeout: float) -> None:
        try:
            self.seen.append(self.kc.get_iopub_msg(timeout=timeout))
        except queue.Empty:
            pass

    def execute(self, code: str, timeout: float = 60.0) -> str:
        """Run ``code`` as a cell; return its stdout (its error as text, if it raised)."""
        msg_id = self.kc.execute(code)
        out = ""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            before = len(self.seen)
            self._pump(0.2)
            for m in self.seen[before:]:
                if m["parent_header"].get("msg_id") != msg_id:
                    continue
                kind, c = m["header"]["msg_type"], m["content"]
                if kind == "stream" and c["name"] == "stdout":
                    out += c["text"]
                elif kind == "error":
                    out += f"ERROR {c['ename']}: {c['evalue']}"
                elif kind == "status" and c["execution_state"] == "idle":
                    return out
        raise AssertionError(f"the cell did not finish in {timeout} s: {code!r}")

    def send(self, comm_id: str, content: dict[str, Any]) -> None:
        """What the page's ``model.send(content)`` puts on the wire."""
        msg = self.kc.session.msg(
            "comm_msg", {"comm_id": comm_id, "data": {"method": "custom", "content": content}}
        )
        self.kc.shell_channel.send(msg)

    def wait(self, cond: Any, timeout: float = 30.0) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if cond():
                return
            self._pump(0.1)
        assert cond(), "timed out"

    def comm_msgs(self, comm_id: str) -> list[tuple[dict[str, Any], list[bytes]]]:
        return [
            (m["content"]["data"], [bytes(b) for b in m.get("buffers") or []])
            for m in self.seen
            if m["header"]["msg_type"] == "comm_msg" and m["content"]["comm_id"] == comm_id
        ]

    def customs(self, comm_id: str, *kinds: str) -> list[tuple[dict[str, Any], list[bytes]]]:
        return [
            (d["content"], b)
            for d, b in self.comm_msgs(comm_id)
            if d.get("method") == "custom" and (not kinds or d["content"].get("type") in kinds)
        ]

    def streams(self, name: str | None = None) -> str:
        return "".join(
            m["content"]["text"]
            for m in self.seen
            if m["header"]["msg_type"] == "stream" and name in (None, m["content"]["name"])
        )


def model_of(out: str) -> str:
    return out.split("MODEL", 1)[1].split()[0]


def rows(packets: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    held = None
    for p in packets:
        held = apply(held, p)
    return held["steps"], held["xy"]


def history_of(page: Page, var: str) -> tuple[np.ndarray, np.ndarray]:
    out = page.execute(
        f"import numpy as np; h = {var}.history\n"
        "print('H', np.asarray(h.steps).tolist(), h.xy.astype(np.float32).tolist())"
    )
    steps, xy = out.split("H ", 1)[1].split("] [[", 1)
    return np.array(json.loads(steps + "]")), np.array(json.loads("[[" + xy), dtype=np.float32)


def test_probe_history_and_frames_from_the_loop_thread(kernel):
    page = kernel
    cid = model_of(page.execute("w = make()"))
    page.send(cid, {"type": "request_history"})
    page.send(cid, {"type": "view_open", "id": "v1"})
    # the probe, then the history (a history of step 0 may come first, from the constructor)
    page.wait(
        lambda: (
            [c["type"] for c, _ in page.customs(cid, "probe", "history")][-2:]
            == ["probe", "history"]
        )
    )
    probe, history = page.customs(cid, "probe", "history")[-2:]
    assert probe == ({"type": "probe", "n_buffers": 1, "size": 256}, [bytes(range(256))])
    assert history[0]["type"] == "history" and len(history[1]) == 4

    page.execute("w.play()")  # returns at once: the frames below come from the loop thread
    page.wait(lambda: len(page.customs(cid, "frame")) >= 5)
    page.execute("w.pause()")
    time.sleep(0.5)
    page._pump(0.5)
    packets = [unpack(c, b) for c, b in page.customs(cid, "frame", "thin", "history")]
    steps, xy = rows(packets)
    ref_steps, ref_xy = history_of(page, "w")
    np.testing.assert_array_equal(steps, ref_steps)
    np.testing.assert_array_equal(xy, ref_xy)


def test_a_failed_ack_switches_the_widget_to_base64(kernel):
    page = kernel
    cid = model_of(page.execute("b = make()"))
    page.send(cid, {"type": "request_history"})
    page.send(cid, {"type": "view_open", "id": "v2"})
    page.send(cid, {"type": "probe_ack", "ok": False})
    page.wait(lambda: any("b64" in c for c, _ in page.customs(cid, "history")))
    page.execute("b.play()")
    page.wait(lambda: len(page.customs(cid, "frame")) >= 5)
    page.execute("b.pause()")
    time.sleep(0.5)
    page._pump(0.5)
    msgs = page.customs(cid, "frame", "thin", "history")
    first = next(i for i, (c, _) in enumerate(msgs) if "b64" in c)
    later = msgs[first:]
    assert all("b64" in c and b == [] for c, b in later)
    packets = [unpack(c, [base64.b64decode(s) for s in c["b64"]]) for c, _ in later]
    steps, xy = rows(packets)
    ref_steps, ref_xy = history_of(page, "b")
    np.testing.assert_array_equal(steps, ref_steps)
    np.testing.assert_array_equal(xy, ref_xy)


def test_an_error_in_the_loop_thread_reaches_the_page_as_the_error_trait(kernel):
    page = kernel
    cid = model_of(page.execute("bad = make(fail_at=40)"))
    page.send(cid, {"type": "view_open", "id": "v3"})
    page.execute("bad.play()")

    def errors() -> list[str]:
        return [
            d["state"]["error"]
            for d, _ in page.comm_msgs(cid)
            if d.get("method") == "update" and "error" in d.get("state", {})
        ]

    page.wait(lambda: any("ZeroDivisionError" in e for e in errors()))
    assert any("boom in the user's objective" in e for e in errors())
    time.sleep(0.5)
    page._pump(0.5)
    assert "Traceback" not in page.streams()
    # ipykernel 6 puts what a thread writes in the newest cell: the loop writes at most the
    # session's one-line log of the error (logging's last resort), never a traceback
    err = [ln for ln in page.streams("stderr").splitlines() if ln.strip()]
    assert all(ln.startswith("gdwidget: ") for ln in err), err
    assert not [m for m in page.seen if m["header"]["msg_type"] == "error"]
    assert page.execute("print('ERR', bad.error)").startswith("ERR ZeroDivisionError")
