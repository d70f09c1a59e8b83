"""Keeping a figure up to date with a live source, at most at the frame rate.

:func:`follow` subscribes a figure's update to its adapter. Updates run in the thread that
tells of a frame (a Playground's stepping thread, a monitor's logging thread), at most
``max_fps`` a second: a frame that comes sooner is drawn by a timer at the end of the period,
so the last frame is never lost. Closing the figure, or the source, unsubscribes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from ..stream.streamer import DEFAULT_MAX_FPS

__all__ = ["Throttle", "follow"]

log = logging.getLogger("gdwidget")


class Throttle:
    """Calls ``fn`` at most ``max_fps`` times a second; a call that comes sooner is deferred.

    At most one deferred call is pending; calls meanwhile fold into it. ``fn`` never runs in
    two threads at once; one that raises is logged.
    """

    def __init__(
        self,
        fn: Callable[[], None],
        max_fps: float = DEFAULT_MAX_FPS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not max_fps > 0:
            raise ValueError(f"max_fps must be > 0, got {max_fps!r}")
        self.fn = fn
        self.period = 1.0 / float(max_fps)
        self.clock = clock
        self._lock = threading.Lock()
        self._run_lock = threading.Lock()
        self._last = -float("inf")
        self._timer: threading.Timer | None = None
        self._stopped = False

    def __call__(self) -> None:
        with self._lock:
            if self._stopped or self._timer is not None:
                return
            wait = self._last + self.period - self.clock()
            if wait > 0:
                self._timer = threading.Timer(wait, self._deferred)
                self._timer.daemon = True
                self._timer.start()
                return
            self._last = self.clock()
        self._run()

    def cancel(self) -> None:
        """No further call: a pending one is dropped."""
        with self._lock:
            self._stopped = True
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()

    def _deferred(self) -> None:
        with self._lock:
            if self._stopped:
                return
            self._timer = None
            self._last = self.clock()
        self._run()

    def _run(self) -> None:
        with self._run_lock:
            try:
                self.fn()
            except Exception as exc:  # noqa: BLE001 - a figure must not stop the source
                log.warning("gdwidget: a plot update failed: %s: %s", type(exc).__name__, exc)


def follow(
    adapter: Any,
    figure: Any,
    update: Callable[[], None],
    on_grid: Callable[[], None] | None = None,
) -> Callable[[], None]:
    """Run ``update()`` after each frame of a live ``adapter``, until ``figure`` or it closes.

    ``on_grid()``, if given, runs when the source's landscape changes. Returns the stop
    function (also called on close); a static adapter gives a no-op.
    """
    if not adapter.live:
        return lambda: None
    throttle = Throttle(update)
    unsubscribe = adapter.subscribe(throttle)
    done = threading.Event()
    removers: list[Callable[[], None]] = []

    def stop() -> None:
        if not done.is_set():
            done.set()
            unsubscribe()
            throttle.cancel()
            figure.unobserve(closed, names="comm")
            for remove in removers:
                remove()

    def closed(change: dict[str, Any]) -> None:
        if change["new"] is None:
            stop()

    figure.observe(closed, names="comm")
    removers.append(adapter.on_close(stop))
    if on_grid is not None:
        removers.append(adapter.on_grid(on_grid))
    return stop
