"""The flusher: a small thread that sends what was logged, at most ``max_fps`` times a second.

It wakes every ``1 / max_fps`` seconds while rows come in, calls ``tick(final)``
(``final`` once a period went by without a row, so that the last rows go within two
periods), and ends after ``IDLE_S`` seconds without a row; the next
row starts it again. ``log()`` only appends under a lock: the training thread never
waits for a frame. A tick holds the interpreter lock the training loop needs, so the
thread waits longer when its ticks cost more than ``TICK_SHARE`` of the time (its CPU
time per tick over the time between ticks), but never more than ``MAX_WAIT``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger("gdwidget")

__all__ = ["Flusher"]

IDLE_S = 5.0
#: Share of the wall time the ticks may take (their CPU time).
TICK_SHARE = 0.01
#: Longest wait between two ticks, seconds.
MAX_WAIT = 0.25


class Flusher:
    """Calls ``tick(final)`` every ``period`` seconds while there is something to send."""

    def __init__(self, tick: Callable[[bool], None], period: float) -> None:
        self.tick = tick
        self.period = float(period)
        self.lock = threading.Lock()
        self.rows = 0  # rows noted so far (the thread sees whether more came)
        self.last_activity = time.monotonic()  # when the thread last saw new rows
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._closed = False

    @property
    def alive(self) -> bool:
        t = self._thread
        return t is not None and t.is_alive()

    def poke(self) -> None:
        """Note new rows; start the thread if it is not running."""
        self.rows += 1
        if self._thread is None and not self._closed:
            with self.lock:
                if self._thread is None and not self._closed:
                    self._thread = threading.Thread(
                        target=self._run, name="gdwidget-monitor", daemon=True
                    )
                    self._thread.start()

    def close(self, timeout: float = 5.0) -> None:
        """Stop the thread (after its current tick) and wait for it."""
        with self.lock:
            self._closed = True
            t = self._thread
        self._stop.set()
        if t is not None and t is not threading.current_thread():
            t.join(timeout)

    def _run(self) -> None:
        try:
            seen = -1
            wait = self.period
            while not self._stop.wait(wait):
                rows = self.rows
                if rows != seen:
                    seen = rows
                    self.last_activity = time.monotonic()
                    quiet = False
                else:
                    quiet = True
                c0 = time.thread_time()
                try:
                    self.tick(quiet)
                except Exception:  # noqa: BLE001 - a failed frame must not end the monitor
                    log.exception("gdwidget: the monitor failed to send a frame")
                cost = time.thread_time() - c0
                wait = min(max(self.period, cost / TICK_SHARE), MAX_WAIT)
                with self.lock:
                    idle = self.rows == seen and time.monotonic() - self.last_activity > IDLE_S
                    if idle:
                        self._thread = None  # poke() starts another when rows come
                if idle:
                    # a row that came while this thread was deciding to end: poke() may
                    # have seen it still running, so start the next one here
                    if self.rows != seen:
                        self.poke()
                    return
        finally:
            with self.lock:
                if self._thread is threading.current_thread():
                    self._thread = None
