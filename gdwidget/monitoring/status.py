"""The monitor's status line: the step and the rate while rows come, "stopped" after.

While rows arrive the line reads ``step 1,234 · 560 steps/s`` (the rate over the last
period of at least ``period`` seconds). Once no new row came for ``idle_after`` seconds
it reads ``step 1,234 · stopped (560 steps/s)``: the rate while it last ran. A surface
that stopped (a failing ``loss_fn``) adds its reason.
"""

from __future__ import annotations

__all__ = ["StatusLine"]


class StatusLine:
    """Builds the status text from the newest step and the clock (no threads, no widget)."""

    def __init__(self, period: float = 0.25, idle_after: float = 1.0) -> None:
        self.period = float(period)
        self.idle_after = float(idle_after)
        self._mark: tuple[float, int] | None = None  # (time, step) the rate is measured from
        self._rate = 0.0
        self._moved_at = 0.0  # when the newest step last changed
        self._step: int | None = None
        self._at = -1e300  # when the text was last made

    def text(
        self, now: float, step: int | None, error: str = "", force: bool = False
    ) -> str | None:
        """The line at time ``now`` with newest step ``step``; None if it is not due yet
        (at most every ``period`` seconds unless ``force``) or nothing was logged."""
        if step is None:
            return None
        if step != self._step:
            self._step, self._moved_at = step, now
            if self._mark is None:
                self._mark = (now, step)
        if not force and now - self._at < self.period:
            return None
        self._at = now
        if self._mark is not None:
            t0, s0 = self._mark
            t1 = self._moved_at  # the rate up to the newest step, not up to now
            if step > s0 and t1 - t0 >= self.period:
                self._rate, self._mark = (step - s0) / (t1 - t0), (t1, step)
        if now - self._moved_at >= self.idle_after:
            self._mark = None  # a new run of steps measures its rate afresh
            line = f"step {step:,} · stopped"
            if self._rate > 0:
                line += f" ({_rate(self._rate)})"
        elif self._rate > 0:
            line = f"step {step:,} · {_rate(self._rate)}"
        else:
            line = f"step {step:,}"
        return f"{line} · {error}" if error else line


def _rate(r: float) -> str:
    return f"{r:,.0f} steps/s" if r >= 10 else f"{r:.2g} steps/s"
