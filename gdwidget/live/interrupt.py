"""The notebook's interrupt button pauses every playing session.

A kernel runs cells in its main thread and the sessions' loops in their own, so
an interrupt (SIGINT) never reaches a loop by itself. Two hooks close the gap:

* while a cell runs, the interrupt raises KeyboardInterrupt in the cell; an
  IPython ``post_run_cell`` callback sees it and pauses every session;
* while the kernel is idle, ipykernel ignores SIGINT, restoring between
  messages the handler it saved before the last one
  (``Kernel.saved_sigint_handler``). We put a handler there that pauses every
  session and then does what the saved one did.

Pausing from a signal handler only sets a flag; each loop looks at it between
chunks and within 0.1 s while it waits.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import weakref
from collections.abc import Iterator
from typing import Any

_sessions: weakref.WeakSet[Any] = weakref.WeakSet()
_installed: set[int] = set()


def watch(session: Any) -> None:
    """Pause ``session`` on the next interrupt (call from any thread)."""
    _sessions.add(session)
    if threading.current_thread() is threading.main_thread():
        _install()


def forget(session: Any) -> None:
    _sessions.discard(session)


def pause_all() -> None:
    for s in list(_sessions):
        s.interrupted = True


class _PauseThenChain:
    """A SIGINT handler: pause every session, then do what ``previous`` did."""

    def __init__(self, previous: Any) -> None:
        self.previous = previous

    def __call__(self, signum: int, frame: Any) -> None:
        pause_all()
        prev = self.previous
        if callable(prev):
            prev(signum, frame)
        elif prev == signal.SIG_DFL:
            raise KeyboardInterrupt


def _after_cell(result: Any) -> None:
    if isinstance(getattr(result, "error_in_exec", None), KeyboardInterrupt):
        pause_all()


def _install() -> None:
    try:
        from IPython import get_ipython  # noqa: PLC0415
    except ImportError:
        return
    ip = get_ipython()
    if ip is None or id(ip) in _installed:
        _rewrap(ip)
        return
    _installed.add(id(ip))
    ip.events.register("post_run_cell", _after_cell)
    _rewrap(ip)


def _rewrap(ip: Any) -> None:
    kernel = getattr(ip, "kernel", None)
    saved = getattr(kernel, "saved_sigint_handler", None)
    if kernel is not None and saved is not None and not isinstance(saved, _PauseThenChain):
        kernel.saved_sigint_handler = _PauseThenChain(saved)


@contextlib.contextmanager
def deferred() -> Iterator[list[bool]]:
    """In the main thread, hold a SIGINT until the caller checks ``flag[0]`` between steps.

    Elsewhere (no signals there) the flag simply stays False.
    """
    flag = [False]
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return

    def hold(signum: int, frame: Any) -> None:
        flag[0] = True
        pause_all()

    previous = signal.signal(signal.SIGINT, hold)
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)
