"""Compiled code loaded on a background thread, so that nothing waits for the compiler.

A numba function compiles the first time it is called on a machine (seconds; numba caches it
afterwards). :class:`Background` runs a warm-up call on a thread of its own the first time
:meth:`~Background.ready` is asked; until that call is done, callers take their NumPy path,
which computes the same numbers.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

__all__ = ["Background"]

log = logging.getLogger("gdwidget")


class Background:
    """One warm-up call (``warm``: compile or load the functions, use them once), run once.

    ``warm`` itself, and what it calls, see :meth:`ready` as True on its own thread, so that
    it steps through the compiled path it loads.
    """

    def __init__(self, name: str, warm: Callable[[], object]) -> None:
        self.name = name
        self._warm = warm
        self.state: str | None = None  # None, "loading", "ready" or "failed"
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._local = threading.local()

    def ready(self) -> bool:
        """Whether the compiled code is loaded; if not, start loading it, once."""
        if self.state == "ready" or getattr(self._local, "active", False):
            return True
        if self.state is None:
            with self._lock:
                if self.state is None:
                    self.state = "loading"
                    threading.Thread(target=self._load, name=self.name, daemon=True).start()
        return False

    def load(self, timeout: float = 300.0) -> bool:
        """Load now and wait for it (tests, benchmarks); whether it is loaded."""
        if not self.ready():
            self._done.wait(timeout)
        return self.state == "ready"

    def _load(self) -> None:
        self._local.active = True
        try:
            self._warm()
            self.state = "ready"
        except Exception as exc:  # noqa: BLE001 - callers then take their NumPy path
            log.debug("gdwidget: %s is unavailable (%s)", self.name, exc)
            self.state = "failed"
        finally:
            self._done.set()
