"""save_png / save_animation and the 3-D view's code, kernel side, with a fake page.

The page's answers are real PNGs (made with Pillow) delivered through the widget's comm handler,
as the page sends them: ``capture_result`` with the PNG as one binary buffer, or as base64 in its
JSON content where the page knows that buffers are lost (docs/protocol.md). The browser side
(the page's canvases in the picture, the 3-D view) is tests/e2e/test_media.py.
"""

from __future__ import annotations

import base64
import io
import sys
import threading
import time

import pytest
from widget_helpers import make, wait_for

from gdwidget import bundle
from gdwidget.live import capture
from gdwidget.live import protocol as p
from gdwidget.live.modules import module_message

Image = pytest.importorskip("PIL.Image")


def png(colour: tuple[int, int, int], size: tuple[int, int] = (8, 6)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def page_answers(comm, content: dict, buffers: list) -> None:
    comm._handler(
        {"content": {"data": {"method": "custom", "content": content}}, "buffers": buffers}
    )


def custom(comm) -> list[tuple[dict, list]]:
    """The custom messages the kernel sent: (content, buffers)."""
    with comm.lock:
        return [(d["content"], b) for d, b in comm.sent if d.get("method") == "custom"]


def captures(comm) -> list[dict]:
    return [c for c, _ in custom(comm) if c.get("type") == "capture"]


class FakePage:
    """Answers each ``capture`` request from another thread with the next colour's PNG, and
    records the step each request asked for."""

    def __init__(self, comm, colours) -> None:
        self.comm, self.colours, self.steps = comm, list(colours), []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        done = 0
        while not self.stop.is_set():
            asked = captures(self.comm)
            for req in asked[done:]:
                self.steps.append(req["step"])
                data = png(self.colours[min(done, len(self.colours) - 1)])
                content = {"type": "capture_result", "id": req["id"], "ok": True}
                page_answers(self.comm, {**content, "width": 8, "height": 6}, [data])
                done += 1
            self.stop.wait(0.01)


@pytest.fixture
def shown():
    """A Playground with one view open in the fake page."""
    w, comm = make()
    page_answers(comm, {"type": "view_open", "id": "v1", "px": [392, 390]}, [])
    assert wait_for(lambda: w.session.views == 1)
    yield w, comm
    w.close()


def test_without_a_view_each_call_says_a_view_must_be_shown(tmp_path):
    w, _ = make()
    try:
        for call in (
            lambda: w.save_png(tmp_path / "a.png"),
            lambda: w.save_animation(tmp_path / "a.gif", steps=3),
        ):
            with pytest.raises(RuntimeError, match="no view of it is shown: display it"):
                call()
        assert not list(tmp_path.iterdir())
    finally:
        w.close()


def test_bad_arguments_are_refused_before_anything_is_asked(shown, tmp_path):
    w, comm = shown
    with pytest.raises(ValueError, match=r"save_png writes \.png files"):
        w.save_png(tmp_path / "a.jpg")
    with pytest.raises(TypeError, match="path must be a str or Path"):
        w.save_png(3)
    with pytest.raises(ValueError, match=r"\.gif"):
        w.save_animation(tmp_path / "a.webm")
    with pytest.raises(ValueError, match="steps"):
        w.save_animation(tmp_path / "a.gif", steps=0)
    with pytest.raises(ValueError, match="fps"):
        w.save_animation(tmp_path / "a.gif", fps=0)
    assert captures(comm) == []


def test_without_pillow_save_animation_names_the_extra(shown, tmp_path, monkeypatch):
    w, _ = shown
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match=r"gdwidget\[media\]"):
        w.save_animation(tmp_path / "a.gif", steps=3)


def test_save_png_writes_the_page_answer_byte_for_byte(shown, tmp_path):
    w, comm = shown
    page = FakePage(comm, [(10, 200, 30)])
    try:
        out = w.save_png(tmp_path / "v.png", wait=True)
    finally:
        page.stop.set()
    assert out == tmp_path / "v.png"
    assert out.read_bytes() == png((10, 200, 30))
    assert page.steps == [None]  # a picture of now
    assert [c["full"] for c in captures(comm)][-1:] == [True]  # all of it: the text too


def test_on_the_main_thread_of_a_kernel_it_returns_a_pending_written_later(shown, tmp_path):
    w, comm = shown
    pending = w.save_png(tmp_path / "later.png", wait=False)
    assert isinstance(pending, capture.Pending) and not pending.done()
    assert "pending" in repr(pending) and not (tmp_path / "later.png").exists()
    (req,) = captures(comm)
    data = png((1, 2, 3))
    page_answers(comm, {"type": "capture_result", "id": req["id"], "ok": True}, [data])
    assert pending.result(5) == tmp_path / "later.png"
    assert (tmp_path / "later.png").read_bytes() == data


def test_the_page_error_and_the_timeout_reach_the_caller(shown, tmp_path):
    w, comm = shown
    pending = w.save_png(tmp_path / "x.png", wait=False)
    (req,) = captures(comm)
    page_answers(comm, {"type": "capture_result", "id": req["id"], "ok": False, "error": "no"}, [])
    with pytest.raises(capture.CaptureError, match="could not make the picture: no"):
        pending.result(5)
    with pytest.raises(TimeoutError, match="did not answer within 0.2 s"):
        w.save_png(tmp_path / "y.png", timeout=0.2, wait=True)
    assert not (tmp_path / "x.png").exists() and not (tmp_path / "y.png").exists()


def test_base64_answer_and_malformed_answers(shown, tmp_path):
    w, comm = shown
    pending = w.save_png(tmp_path / "b.png", wait=False)
    (req,) = captures(comm)
    data = png((9, 9, 9))
    content = {"type": "capture_result", "id": req["id"], "ok": True}
    # not a PNG, two buffers: refused, the request still waits
    for bufs in ([b"GIF89a"], [data, data]):
        with pytest.raises(p.BadMessage, match="one PNG buffer"):
            p.parse(content, bufs)
        page_answers(comm, content, bufs)
    assert not pending.done()
    b64 = {**content, "n_buffers": 1, "b64": [base64.b64encode(data).decode()]}
    page_answers(comm, b64, [])
    assert pending.result(5).read_bytes() == data


def test_the_page_s_two_forms_binary_with_n_buffers_and_base64_give_the_same_bytes():
    data = png((4, 5, 6))
    content = {"type": "capture_result", "id": "c1", "ok": True, "width": 8, "height": 6}
    binary = p.parse({**content, "n_buffers": 1}, [memoryview(data)])
    text = p.parse({**content, "n_buffers": 1, "b64": [base64.b64encode(data).decode()]}, [])
    assert binary == text == p.CaptureResult("c1", True, data=data, width=8, height=6)
    # b64 is the PNG even when a binary buffer came too (the rule of the kernel's messages)
    assert p.parse({**content, "b64": [base64.b64encode(data).decode()]}, [b"junk"]) == text


def test_a_bad_base64_png_is_refused_and_the_request_still_waits(shown, tmp_path, monkeypatch):
    w, comm = shown
    pending = w.save_png(tmp_path / "b.png", wait=False)
    (req,) = captures(comm)
    data = png((7, 7, 7))
    good = base64.b64encode(data).decode()
    content = {"type": "capture_result", "id": req["id"], "ok": True, "n_buffers": 1}
    bad = {
        "b64 must be": ["b64", good, [], [good, good], [3], {"0": good}],
        "not a base64 string": [["!!!" + good], [good[:-1]], [good + "\n"], ["é" + good]],
        "one PNG buffer": [[base64.b64encode(b"GIF89a").decode()], [""]],
    }
    for match, values in bad.items():
        for b64 in values:
            with pytest.raises(p.BadMessage, match=match):
                p.parse({**content, "b64": b64}, [])
            page_answers(comm, {**content, "b64": b64}, [])
    # too long: refused on the string's length, before any decoding
    monkeypatch.setattr(p, "MAX_PNG_B64", len(good) - 4)
    with pytest.raises(p.BadMessage, match="too large: .* base64 characters"):
        p.parse({**content, "b64": [good]}, [])
    page_answers(comm, {**content, "b64": [good]}, [])
    monkeypatch.undo()
    assert p.MAX_PNG_B64 >= 4 * p.MAX_PNG_BYTES // 3
    assert not pending.done()
    page_answers(comm, {**content, "b64": [good]}, [])
    assert pending.result(5).read_bytes() == data


def test_an_ok_answer_whose_buffer_was_dropped_fails_at_once_as_lost(shown, tmp_path):
    w, comm = shown
    content = {"type": "capture_result", "id": "c2", "ok": True, "width": 8, "height": 6}
    for dropped in (None, [], ()):
        lost = p.parse({**content, "n_buffers": 1}, dropped)
        assert lost == p.CaptureResult("c2", False, error=p.PNG_LOST, lost=True)
    assert p.parse(content, None).lost  # an older page (no n_buffers) whose buffer was dropped
    pending = w.save_png(tmp_path / "x.png", wait=False)
    (req,) = captures(comm)
    page_answers(comm, {**content, "id": req["id"], "n_buffers": 1}, [])
    with pytest.raises(capture.CaptureError, match=r"^the picture was lost in transit: .*dropped"):
        pending.result(5)
    # waiting: the error comes with the answer, not after the timeout
    done = threading.Event()

    def drop() -> None:
        assert wait_for(lambda: len(captures(comm)) == 2, 5.0)
        page_answers(comm, {**content, "id": captures(comm)[-1]["id"], "n_buffers": 1}, [])
        done.set()

    threading.Thread(target=drop, daemon=True).start()
    t0 = time.monotonic()
    with pytest.raises(capture.CaptureError, match="lost in transit"):
        w.save_png(tmp_path / "y.png", timeout=60, wait=True)
    assert time.monotonic() - t0 < 10 and done.is_set()
    assert not (tmp_path / "x.png").exists() and not (tmp_path / "y.png").exists()


def test_a_lost_png_turns_the_widget_to_base64_so_the_page_answers_in_kind(shown, tmp_path):
    w, comm = shown
    content = {"type": "capture_result", "ok": True, "width": 8, "height": 6, "n_buffers": 1}
    pending = w.save_png(tmp_path / "lost.png", wait=False)
    (req,) = captures(comm)
    comm.clear()
    page_answers(comm, {**content, "id": req["id"]}, [])
    with pytest.raises(capture.CaptureError, match="lost in transit"):
        pending.result(5)
    # the history comes again, its buffers in base64 (the page answers in kind from then on)
    assert wait_for(lambda: any(d["content"].get("type") == "history" for d, _ in comm.sent))
    with comm.lock:
        sent = list(comm.sent)
    (hist, bufs) = next((d, b) for d, b in sent if d["content"].get("type") == "history")
    assert "b64" in hist["content"] and not bufs


def test_save_animation_steps_between_frames_and_writes_them_all(shown, tmp_path):
    w, comm = shown
    t0 = w.t
    colours = [(250, 0, 0), (0, 250, 0), (0, 0, 250), (250, 250, 0)]
    page = FakePage(comm, colours)
    try:
        out = w.save_animation(tmp_path / "r.gif", steps=9, frames=4, fps=5, wait=True)
    finally:
        page.stop.set()
    assert w.run.t == t0 + 9
    # each frame is asked for at the step the kernel had then: 0, 3, 6, 9 steps on
    assert page.steps == [t0, t0 + 3, t0 + 6, t0 + 9]
    assert [c["full"] for c in captures(comm)][-4:] == [False] * 4  # frames: no text (faster)
    gif = Image.open(out)
    assert gif.n_frames == 4
    for k, colour in enumerate(colours):
        gif.seek(k)
        assert gif.convert("RGB").getpixel((3, 3)) == colour
        assert gif.info["duration"] == 200


def test_frame_steps_split_the_steps_evenly():
    assert capture.frame_steps(9, 4) == [0, 3, 3, 3]
    assert capture.frame_steps(10, 4) == [0, 3, 4, 3]
    assert sum(capture.frame_steps(1000, 61)) == 1000


def test_the_3d_code_is_sent_on_request_only(shown):
    w, comm = shown
    assert all(c.get("type") != "module" for c, _ in custom(comm))
    page_answers(comm, {"type": "request_module", "name": "threed"}, [])
    assert wait_for(lambda: any(c.get("type") == "module" for c, _ in custom(comm)))
    ((content, bufs),) = [(c, b) for c, b in custom(comm) if c.get("type") == "module"]
    assert content["name"] == "threed" and "error" not in content
    assert bytes(bufs[0]) == (bundle.STATIC / "threed.js").read_bytes()
    assert module_message("nope")[0]["error"] == "no optional part 'nope'"


@pytest.mark.skipif(not bundle.BUNDLE.is_file(), reason="the page's bundles are not built")
def test_the_widget_bundle_holds_no_three_js():
    widget = bundle.BUNDLE.read_text(encoding="utf-8")
    threed = (bundle.STATIC / "threed.js").read_text(encoding="utf-8")
    assert "WebGLRenderer" in threed and "WebGLRenderer" not in widget
    assert len(widget) < len(threed) / 2
