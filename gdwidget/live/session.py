"""The session: one source, one loop thread, one queue of commands, one lock.

Whoever holds the *baton* owns the source: the loop thread while it plays, or
else the thread that submitted a command (it applies the queue itself, then
hands over to a loop thread if playing was asked for). Commands are applied
between chunks; a chunk lasts about 1/30 s (or one step, if a step takes
longer), so a pause acts within a chunk. The lock guards the queue and the flags,
never a step; nobody spins.

A session knows nothing of widgets: it hands packets, messages and state to its
sink (:mod:`gdwidget.live.sinks`). How the steps are taken, in chunks, by the loop thread or
by ``run_steps``, is :mod:`gdwidget.live.loop`.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from . import controls, instant, interrupt
from . import protocol as p
from .loop import CHUNK_SECONDS, MAX_CHUNK, WAIT_S, SessionLoop
from .outbox import Outbox
from .timetravel import Timeline
from .viewcount import ViewCount

log = logging.getLogger("gdwidget")

# the loop's constants, still importable from here (the loop reads them from .loop)
__all__ = ["CHUNK_SECONDS", "MAX_CHUNK", "WAIT_S", "Session"]


class _Pending:
    __slots__ = ("cmd", "done", "error", "waited")

    def __init__(self, cmd: p.Command, waited: bool) -> None:
        self.cmd = cmd
        self.done = threading.Event()
        self.error: BaseException | None = None
        self.waited = waited  # someone waits for it (else its error is logged here)


class Session(SessionLoop):
    """Steps a source and streams it to a sink; every control is a :mod:`protocol` command."""

    def __init__(
        self,
        source: Any,
        streamer: Any,
        sink: Any,
        *,
        speed: float,
        bounds: list[list[float]],
        grid_size: tuple[int, int],
        plot_px: tuple[int, int],
        model_view: str | None = None,
        data_meta: dict[str, Any] | None = None,
    ) -> None:
        self.source = source
        self.streamer = streamer
        self.sink = sink
        #: what goes to the page: frames, state, the landscape, a model's views
        self.out = Outbox(
            source,
            streamer,
            sink,
            bounds=bounds,
            grid_size=grid_size,
            plot_px=plot_px,
            model_view=model_view,
            data_meta=data_meta,
            may_send=self._may_send,
        )
        self.lr_ranges: dict[str, tuple[float, float]] = {}
        self.error = ""
        self.halted = False
        #: set from a SIGINT handler: the loop pauses at its next look (a later play clears it)
        self.interrupted = False

        self._cv = threading.Condition(threading.RLock())
        self._queue: deque[_Pending] = deque()
        self._busy = False  # someone holds the baton
        self._wanted = 0  # threads waiting to take the baton themselves (run_steps)
        self._holder = 0  # the thread that holds it
        self._loop: threading.Thread | None = None
        self._playing = False
        self._budget = 0
        self._speed = float(speed)
        self._closed = False
        self._views = ViewCount()
        self._step_s = 0.0  # seconds per step, smoothed
        #: checkpoints and the shown step (seek, fork: :mod:`gdwidget.live.timetravel`)
        self.timeline = Timeline()
        self.out.shown = lambda: self.timeline.shown(self)  # views of the step shown
        #: instant mode (:mod:`gdwidget.live.instant`): recompute the whole path on a change
        self.instant = instant.Instant()

    # -- state read by the widget ----------------------------------------------------------
    @property
    def playing(self) -> bool:
        with self._cv:
            return self._playing or self._budget > 0

    @property
    def speed(self) -> float:
        return self._speed

    @property
    def views(self) -> int:
        with self._cv:
            return len(self._views)

    def set_playing(self, on: bool) -> None:
        with self._cv:
            self._playing = bool(on) and not self._closed
            if on:
                self.interrupted = False  # an interrupt that came first was not about this play
            self._cv.notify_all()

    def set_budget(self, n: int) -> None:
        """Steps still to take in the background (the page's step buttons)."""
        with self._cv:
            self._budget = int(n)
            if n > 0:
                self.interrupted = False  # as for play
            self._cv.notify_all()

    def set_speed(self, value: float) -> None:
        with self._cv:
            self._speed = float(value)
            self._cv.notify_all()

    # -- submitting ------------------------------------------------------------------------
    def submit(self, cmd: p.Command, wait: bool = True) -> None:
        """Apply ``cmd`` between chunks; with ``wait``, return once applied (raising its error)."""
        with self._cv:
            if self._closed:
                if wait:
                    raise RuntimeError("this Playground was closed")
                return
            if isinstance(cmd, p.ViewOpen | p.ViewClose):
                # counted at once; what a view needs from the source waits for the baton
                follow = self._note_view(cmd)
                if not follow:
                    return
                for extra in follow[:-1]:
                    self._queue.append(_Pending(extra, False))
                cmd, wait = follow[-1], False
            if self._busy and self._holder == threading.get_ident():
                try:  # called back from the thread that holds the baton
                    self._apply(cmd)
                except (ValueError, RuntimeError) as exc:
                    if wait:
                        raise
                    _log_refusal(exc)
                return
            if isinstance(cmd, p.Pause | p.Step):
                self._playing = False  # the loop stops after its current chunk
                self._budget = 0
            pend = _Pending(cmd, wait)
            self._queue.append(pend)
            self._cv.notify_all()
            take = not self._busy
            if take:
                self._busy = True
                self._holder = threading.get_ident()
        if take:
            self._hold_baton()
        if wait:
            pend.done.wait()
            if pend.error is not None:
                raise pend.error

    def close(self) -> None:
        """Stop the loop (within a chunk) and refuse further commands."""
        with self._cv:
            self._closed = True
            self._playing = False
            self._budget = 0
            for pend in self._queue:
                pend.error = RuntimeError("this Playground was closed")
                pend.done.set()
            self._queue.clear()
            self._cv.notify_all()
            loop = self._loop
        interrupt.forget(self)
        if loop is not None and loop is not threading.current_thread():
            loop.join(timeout=5.0)

    # -- the baton ---------------------------------------------------------------------------
    def _hold_baton(self) -> None:
        """Apply the queue in this thread, then start the loop or let go of the baton."""
        try:
            self._drain()
        finally:
            self._release()

    def _release(self) -> None:
        while True:
            with self._cv:
                if self._wanted:  # a run_steps waits: it applies the queue itself
                    self._busy = False
                    self._cv.notify_all()
                    return
                if self._queue:
                    pass  # more commands came: apply them first
                elif self._active():
                    self._loop = threading.Thread(
                        target=self._run_loop, name="gdwidget-session", daemon=True
                    )
                    self._loop.start()  # the loop holds the baton now
                    return
                else:
                    self._busy = False
                    self._cv.notify_all()
                    return
            self._drain()

    def _active(self) -> bool:
        return not self._closed and (self._playing or self._budget > 0)

    def _drain(self) -> None:
        applied: list[_Pending] = []  # answered once the path they changed is recomputed
        try:
            while True:
                with self._cv:
                    pend = self._queue.popleft() if self._queue else None
                if pend is None:
                    if not self.instant.stale:
                        return
                    self._recompute()  # every queued change applied: the whole path, once
                    continue
                applied.append(pend)
                try:
                    self._apply(pend.cmd)
                except BaseException as exc:  # noqa: BLE001 - handed to the submitter, or logged
                    pend.error = exc
                    if not pend.waited:
                        _log_refusal(exc)
        finally:
            for pend in applied:
                pend.done.set()

    def _recompute(self) -> None:
        try:
            instant.recompute(self)
        except Exception as exc:  # noqa: BLE001 - shown in the widget; the loop goes on
            log.exception("gdwidget: instant mode could not recompute the path")
            self.fail(exc)

    # -- errors ----------------------------------------------------------------------------------
    def fail(self, exc: BaseException, at: int | None = None) -> None:
        """Stop playing and show why (the error is set before playing stops)."""
        where = f" at step {at}" if at is not None else ""
        name = type(exc).__name__
        self.error = f"{name}{where}: {exc}" if str(exc) else f"{name}{where}"
        self.halted = True
        self.sink.update(error=self.error)
        with self._cv:
            self._playing = False
            self._budget = 0
        log.warning("gdwidget: the run stopped%s: %s", where, self.error)

    def clear_error(self) -> None:
        self.halted = False
        if self.error:
            self.error = ""
            self.sink.update(error="")

    # -- views of the page -----------------------------------------------------------------------
    def take_views(self, other: Session) -> None:
        """Count ``other``'s open views as this session's (a session that replaces it)."""
        with self._cv:
            self._views.take(other._views)

    def _no_view_left(self) -> bool:
        return self._views.gone_for_good()

    def _note_view(self, cmd: p.Command) -> list[p.Command]:
        """Count the page's views (:mod:`.viewcount`); returns what a new view needs."""
        follow = self._views.note(cmd, self.out.px)
        self._cv.notify_all()
        return follow

    # -- applying commands (the baton holder only) ----------------------------------------------
    def _apply(self, cmd: p.Command) -> None:
        self.timeline.changed()
        controls.apply(self, cmd)

    # -- what goes to the page -------------------------------------------------------------------
    def _may_send(self) -> bool:
        """No frames to a Playground whose views have all gone (a view asks for the history)."""
        return not self._closed and not self._views.all_gone

    def subscribe(self, fn: Callable[[], None]) -> Callable[[], None]:
        """Call ``fn()`` after each frame (from whichever thread steps); returns the unsubscribe."""
        self.out.listeners.append(fn)

        def unsubscribe() -> None:
            if fn in self.out.listeners:
                self.out.listeners.remove(fn)

        return unsubscribe

    def flush(self, force: bool = False) -> None:
        """Send the frame due now (or any, with ``force``) and the state that goes with it."""
        if not self._closed:
            self.out.flush(force, halted=self.halted)

    def send_extras(self, force: bool = False) -> None:
        if not self._closed:
            self.out.send_extras(force)


def _log_refusal(exc: BaseException) -> None:
    """One short line for a command from the page that was refused (nothing changed)."""
    if isinstance(exc, p.BadMessage):
        log.warning("gdwidget: ignored a malformed message: %s", exc)
    elif isinstance(exc, ValueError | RuntimeError):
        log.warning("gdwidget: refused: %s", exc)
    else:
        log.error("gdwidget: a command failed: %s: %s", type(exc).__name__, exc)
