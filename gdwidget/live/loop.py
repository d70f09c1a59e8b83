"""The session's stepping: chunks of about 1/30 s, taken by the loop thread or by ``run_steps``.

A chunk is as many steps as fit in :data:`CHUNK_SECONDS` (at least one), so a pause or a
command waits at most about a chunk. While playing, the loop thread holds the baton
(:mod:`gdwidget.live.session`) and applies the queue between chunks; at a speed in steps
per second it takes only the steps whose time has come, and sleeps at most :data:`WAIT_S`
at a time so that interrupts and closed views are seen.
"""

from __future__ import annotations

import logging
import threading
import time

from ..engine import ObjectiveError
from . import interrupt

log = logging.getLogger("gdwidget")

CHUNK_SECONDS = 1.0 / 30.0  # an engine call lasts about this long
MAX_CHUNK = 1 << 16
WAIT_S = 0.1  # longest sleep of a waiting loop (so interrupts and closed views are seen)


class SessionLoop:
    """The stepping half of :class:`~gdwidget.live.session.Session` (its state is the Session's)."""

    # -- steps in the caller's thread --------------------------------------------------------
    def run_steps(self, n: int) -> None:
        """Pause, then take ``n`` steps in this thread (Python's ``w.step(n)``).

        Ctrl-C stops it between chunks, with every step taken kept and shown.
        """
        with self._cv:
            if self._closed:
                raise RuntimeError("this Playground was closed")
            self._wanted += 1  # the baton holder hands over rather than play on
            try:
                while self._busy:
                    self._playing = False
                    self._budget = 0
                    self._cv.notify_all()
                    self._cv.wait(WAIT_S)
            finally:
                self._wanted -= 1
            self._playing = False
            self._budget = 0
            self._busy = True
            self._holder = threading.get_ident()
        try:
            self._drain()
            self.clear_error()
            with interrupt.deferred() as stop:
                left = n
                while left > 0 and not self.source.done:
                    k = min(left, self._chunk_n())
                    err = self._advance(k)
                    if err is not None:
                        raise err
                    left -= k
                    if stop[0]:
                        raise KeyboardInterrupt
        finally:
            self.flush(force=True)
            self.send_extras(force=True)
            self._release()

    # -- the loop ------------------------------------------------------------------------------
    def _run_loop(self) -> None:
        credit, last = 0.0, time.monotonic()
        with self._cv:
            self._holder = threading.get_ident()
        self.sink.update(running=True)
        try:
            while True:
                self._drain()
                with self._cv:
                    if self.interrupted or self._no_view_left():
                        self.interrupted = False
                        self._playing = False
                        self._budget = 0
                    if not self._active() or self._wanted:
                        if self._queue and not self._wanted:
                            continue
                        break
                    now = time.monotonic()
                    cap = self._chunk_n()
                    if self._budget > 0 or self._speed == 0:
                        n = min(cap, self._budget) if self._budget > 0 else cap
                        credit, last = 0.0, now
                    else:
                        # a slow loop does not build up a burst of steps
                        credit = min(credit + self._speed * (now - last), 1 + self._speed / 10)
                        last = now
                        n = min(int(credit), cap)
                        credit -= n
                    if n == 0:
                        wait = (1.0 - credit) / self._speed
                        if self.streamer.pending:
                            wait = min(wait, self.streamer.clock.wait_time())
                        self._cv.wait(timeout=min(max(wait, 0.001), WAIT_S))
                        self.flush()
                        continue
                err = self._advance(n)
                with self._cv:
                    if self._budget > 0:
                        self._budget = max(0, self._budget - n)
                    if err is not None or self.source.done:
                        self._playing = False
                        self._budget = 0
        except BaseException as exc:  # noqa: BLE001 - a bug here must not kill the kernel quietly
            log.exception("gdwidget: the session loop stopped")
            self.fail(exc)
        finally:
            with self._cv:
                self._playing = False
                self._budget = 0
                self._loop = None
            if not self._closed:
                self.flush(force=True)
                self.send_extras(force=True)
                self.sink.update(running=False)
            self._release()

    def _chunk_n(self) -> int:
        if self._step_s <= 0:
            return 1
        return int(max(1, min(MAX_CHUNK, CHUNK_SECONDS / self._step_s)))

    def _advance(self, n: int) -> BaseException | None:
        """``n`` steps of the source; the rows taken are kept whatever happens (the history
        takes them on the intake thread, while the caller goes on: see
        :class:`~gdwidget.stream.Streamer`)."""
        t0 = time.perf_counter()
        err: BaseException | None = None
        self.timeline.before_advance(self)
        try:
            chunk = self.source.advance(n)
        except ObjectiveError as exc:
            chunk, err = exc.chunk, exc
        except BaseException as exc:  # noqa: BLE001 - Ctrl-C or SystemExit in the objective
            chunk, err = getattr(exc, "gdwidget_chunk", None), exc
        dt = time.perf_counter() - t0
        if chunk is not None and len(chunk):
            # the frame due shows the chunks before; this one is taken while the next is stepped
            self.flush()
            self.streamer.push(chunk, self.source.points(chunk), wait=err is not None)
            per = dt / len(chunk)
            self._step_s = per if self._step_s <= 0 else 0.5 * (self._step_s + per)
        if err is not None:
            at = self.source.t + 1 if isinstance(err, ObjectiveError) else None
            cause = err.__cause__ if isinstance(err, ObjectiveError) and err.__cause__ else err
            self.fail(cause, at)
        return err
