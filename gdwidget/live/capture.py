"""Pictures of a Playground drawn by the page it is shown in: ``save_png`` and ``save_animation``.

The kernel sends ``{type: "capture", id, step, full}``; the page draws its view into a PNG
once it holds ``step`` (js/capture.js, js/snapshot.js: all of it, the text and the SVG layers
too; the animation's frames, ``full`` false, without the text) and answers ``capture_result``
with the PNG as one buffer, or as base64 in its JSON content where the widget manager loses
buffers (docs/protocol.md); :func:`deliver` hands it to the waiting request, and fails it at
once when the PNG was lost on the way. No second renderer: what is saved is what the page
draws.

A Jupyter kernel reads no message from the page while a cell runs (ipykernel #65), so on the
kernel's main thread a call cannot wait for the answer: it returns a :class:`Pending` at once,
and the file is written as soon as the cell has finished and the page has answered. From any
other thread (or with ``wait=True`` where the answer can come) the call waits, with a timeout.
"""

from __future__ import annotations

import io
import logging
import threading
import uuid
from collections import OrderedDict
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

from .._checks import check_int, check_real
from . import protocol as p

log = logging.getLogger("gdwidget")

NO_VIEW = (
    "{what} draws the picture in the page that shows the widget, and no view of it is shown: "
    "display it (put `w` last in a cell) and call again. Without a page, save the data with "
    "w.history.to_pandas().to_csv(path) or a replay page with w.save_html(path)."
)
MAX_PENDING = 256  # requests held for an answer; the oldest are forgotten beyond this

_lock = threading.Lock()
_pending: OrderedDict[str, Future] = OrderedDict()


class CaptureError(RuntimeError):
    """The page could not make the picture (its message says why)."""


class Pending:
    """A file that will be written when the page answers (see the module's docstring).

    ``done()`` says whether it is finished; ``result(timeout)`` waits (from a later cell) and
    returns the path, or raises the page's error or :class:`TimeoutError`.
    """

    def __init__(self, path: Path, future: Future, what: str) -> None:
        self.path = path
        self._future = future
        self._what = what
        future.add_done_callback(self._report)

    def _report(self, fut: Future) -> None:
        exc = fut.exception()
        if exc is not None:
            log.warning("gdwidget: %s of %s failed: %s", self._what, self.path, exc)

    def done(self) -> bool:
        return self._future.done()

    def result(self, timeout: float | None = None) -> Path:
        try:
            return self._future.result(timeout)
        except FutureTimeout:
            raise TimeoutError(f"{self._what} of {self.path} is not finished yet") from None

    def __repr__(self) -> str:
        if not self._future.done():
            state = "pending: written once this cell has finished and the page has answered"
        elif self._future.exception() is not None:
            state = f"failed: {self._future.exception()}"
        else:
            state = "written"
        return f"<{self._what} {str(self.path)!r}: {state}>"


def can_wait() -> bool:
    """Whether the page's answer can arrive while this thread waits: not on the main thread of
    a Jupyter kernel (it reads the answer only after the running cell)."""
    if threading.current_thread() is not threading.main_thread():
        return True
    try:
        from IPython import get_ipython  # noqa: PLC0415
    except ImportError:
        return True
    shell = get_ipython()
    return getattr(shell, "kernel", None) is None


def request(widget: Any, step: int | None = None, full: bool = True) -> Future:
    """Ask the page for a PNG of the view (once it holds ``step``): all of it (``full``), or
    its canvases and SVG layers without the text (faster: animation frames); a Future of the
    :class:`~gdwidget.live.protocol.CaptureResult`."""
    cid = uuid.uuid4().hex
    fut: Future = Future()
    with _lock:
        _pending[cid] = fut
        while len(_pending) > MAX_PENDING:
            _, old = _pending.popitem(last=False)
            old.cancel()
    step = None if step is None else int(step)
    widget.send({"type": "capture", "id": cid, "step": step, "full": bool(full)})
    return fut


def forget(fut: Future) -> None:
    with _lock:
        for cid, f in list(_pending.items()):
            if f is fut:
                del _pending[cid]


def deliver(cmd: p.CaptureResult) -> None:
    """The page's answer: resolve its request (a second page's answer is ignored)."""
    with _lock:
        fut = _pending.pop(cmd.id, None)
    if fut is None or fut.done():
        log.debug("gdwidget: a capture answer nobody waits for (%s)", cmd.id)
        return
    if cmd.ok:
        fut.set_result(cmd)
    elif cmd.lost:
        fut.set_exception(CaptureError(cmd.error))
    else:
        fut.set_exception(CaptureError(f"the page could not make the picture: {cmd.error}"))


def _check_view(widget: Any, what: str) -> None:
    if widget.session.views < 1:
        raise RuntimeError(NO_VIEW.format(what=what))


def _check_path(path: Any, suffixes: tuple[str, ...], name: str) -> Path:
    if not isinstance(path, str | Path):
        raise TypeError(f"path must be a str or Path, got {type(path).__name__}")
    out = Path(path)
    if out.suffix.lower() not in suffixes:
        raise ValueError(f"{name} writes {' or '.join(suffixes)} files, got path {str(path)!r}")
    return out


def _answer(fut: Future, timeout: float, what: str) -> p.CaptureResult:
    try:
        return fut.result(timeout)
    except FutureTimeout:
        forget(fut)
        raise TimeoutError(
            f"{what}: the page did not answer within {timeout:g} s (is the widget shown, its "
            "JavaScript built and its kernel connected?)"
        ) from None


def _finish(work: Any, wait: bool, path: Path, what: str) -> Path | Pending:
    """Run ``work()`` (which writes ``path``) now, or in a thread and return a Pending."""
    if wait:
        work()
        return path
    out: Future = Future()

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # noqa: BLE001 - handed to the Pending
            out.set_exception(exc)
        else:
            out.set_result(path)

    threading.Thread(target=run, name="gdwidget-capture", daemon=True).start()
    return Pending(path, out, what)


def save_png(
    widget: Any, path: Any, *, timeout: float = 10.0, wait: bool | None = None
) -> Path | Pending:
    """Write a PNG of ``widget``'s view as the page draws it (:meth:`Playground.save_png`)."""
    what = "save_png"
    path = _check_path(path, (".png",), what)
    timeout = check_real("timeout", timeout, low=0.0, low_open=True)
    _check_view(widget, what)
    wait = can_wait() if wait is None else bool(wait)
    fut = request(widget)
    if wait:
        path.write_bytes(_answer(fut, timeout, what).data)
        return path
    out: Future = Future()

    def written(answer: Future) -> None:  # on the thread that applies the page's answer
        try:
            path.write_bytes(answer.result().data)
        except BaseException as exc:  # noqa: BLE001 - handed to the Pending
            out.set_exception(exc)
        else:
            out.set_result(path)

    fut.add_done_callback(written)
    return Pending(path, out, what)


def frame_steps(steps: int, frames: int) -> list[int]:
    """How many steps to take before each frame: 0 for the first, then ``steps`` split evenly."""
    bounds = [round(k * steps / (frames - 1)) for k in range(frames)]
    return [0] + [b - a for a, b in zip(bounds, bounds[1:], strict=False)]


def save_animation(
    widget: Any,
    path: Any,
    *,
    steps: int = 100,
    fps: float = 10.0,
    frames: int | None = None,
    timeout: float = 30.0,
    wait: bool | None = None,
) -> Path | Pending:
    """Record the race as an animated GIF of the page's frames (``Playground.save_animation``)."""
    what = "save_animation"
    path = _check_path(path, (".gif",), what)
    steps = check_int("steps", steps, low=1, high=10**9)
    fps = check_real("fps", fps, low=0.0, high=100.0, low_open=True)
    frames = min(steps + 1, 61) if frames is None else check_int("frames", frames, low=2, high=2000)
    frames = min(frames, steps + 1)
    timeout = check_real("timeout", timeout, low=0.0, low_open=True)
    image = _pillow()
    _check_view(widget, what)
    wait = can_wait() if wait is None else bool(wait)
    plan = frame_steps(steps, frames)

    def work() -> None:
        pictures = []
        for n in plan:
            if n:
                widget.session.run_steps(n)
            t = int(widget.session.source.run.t)
            res = _answer(request(widget, step=t, full=False), timeout, what)
            pictures.append(image.open(io.BytesIO(res.data)).convert("RGB"))
        first, rest = pictures[0], pictures[1:]
        first.save(path, save_all=True, append_images=rest, duration=round(1000 / fps), loop=0)

    return _finish(work, wait, path, what)


def _pillow() -> Any:
    try:
        from PIL import Image  # noqa: PLC0415
    except ImportError:
        raise ImportError(
            "save_animation needs Pillow to write the GIF: pip install 'gdwidget[media]' "
            "(or pip install Pillow)"
        ) from None
    return Image
