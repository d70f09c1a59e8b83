"""Where each run of a :class:`~gdwidget.engine.Run` stands, as the host sees it.

Its status (running, converged, diverged, stopped), the step where it stopped, blew up or
overflowed, its note, and whether every run is done. These read a host copy of the device's
status arrays, taken by ``_sync_status`` (after a reset or restore, and every so many steps
of ``advance``), so asking costs no transfer.
"""

from __future__ import annotations

import numpy as np

from ..backend import to_numpy
from .results import DIVERGED, RUNNING, STATUS_NAMES, run_note


class RunStatus:
    """The status half of :class:`~gdwidget.engine.Run` (its state is the Run's)."""

    @property
    def status(self) -> list[str]:
        """Each run's status: running, converged, diverged or stopped (its schedule failed)."""
        return [STATUS_NAMES[int(s)] for s in self._host_status]

    @property
    def stop_step(self) -> np.ndarray:
        """The step at which each run stopped (-1: still running)."""
        return self._host_stop.copy()

    @property
    def blowup_step(self) -> np.ndarray:
        """The first step where each run's loss exceeded 1000 times its start loss (-1: never)."""
        return self._host_blowup.copy()

    @property
    def overflow_step(self) -> np.ndarray:
        """The step where each diverged run's loss or parameters stopped being finite, else -1."""
        return np.where(self._host_status == DIVERGED, self._host_stop, -1)

    @property
    def notes(self) -> list[str | None]:
        """Each run's note: its schedule's error (status "stopped"), where it diverged, or None.

        ``"the schedule of 'adam' gave lr=-1 at step 5"``,
        ``"diverged: loss ×1000 above its start from step 12, overflow at step 171"``.
        """
        return [
            run_note(
                STATUS_NAMES[int(self._host_status[r])],
                int(self._host_stop[r]),
                int(self._host_blowup[r]),
                self._group_error.get(self.groups[r])
                or self._group_error.get((self.groups[r], r - self.slices[self.groups[r]].start)),
            )
            for r in range(self.n_runs)
        ]

    @property
    def epoch(self) -> int:
        """Epochs completed (mini-batch runs)."""
        return self._batches.epoch

    @property
    def done(self) -> bool:
        return bool(np.all(self._host_status != RUNNING))

    def _sync_status(self) -> None:
        self._host_status = np.asarray(to_numpy(self._status), dtype=np.int32)
        self._host_stop = np.asarray(to_numpy(self._stop_step), dtype=np.int64)
        self._host_blowup = np.asarray(to_numpy(self._blowup), dtype=np.int64)
