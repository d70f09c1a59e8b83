"""Rows from the training thread: ``log()`` and the optimizer's hook only queue them.

:class:`Intake` checks what ``log()`` got, gives each row its step (steps never go
back; a repeated step is the same row) and appends it under a lock;
:meth:`Intake.drain` hands the flusher thread everything queued as one
:class:`~.recorder.Block` (one bulk write into the bounded history).
"""

from __future__ import annotations

import threading
from typing import Any

from .._checks import check_int
from . import torchhooks
from .inputs import check_name, scalar_value
from .recorder import Block

__all__ = ["Intake"]


class Intake:
    """The queue of rows between the training thread and the flusher."""

    def __init__(self, probe: Any) -> None:
        self.probe = probe
        self.lock = threading.Lock()
        self.pending: list[tuple[int, Any, Any]] = []
        self.last_step: int | None = None
        self.seeds: dict[str, int] = {}

    def log(self, step: int | None, scalars: dict[str, Any]) -> int:
        """Queue ``scalars`` at ``step`` (or the default step); the row's step."""
        values = {}
        known = self.seeds
        for name, v in scalars.items():
            if name not in known:
                check_name(name)
            values[name] = scalar_value(name, v)
        probe = self.probe
        with self.lock:
            last = self.last_step
            if step is None:
                if probe is not None and probe.optimizer is not None:
                    s = probe.step_count if last is None else max(probe.step_count, last)
                else:
                    s = 0 if last is None else last + 1
            else:
                s = check_int("step", step, low=0)
                if last is not None and s < last:
                    raise ValueError(f"step must not go back: got {s} after {last}")
            for name, v in values.items():
                k = 1 if type(v) is float else len(v)
                seen = known.get(name)
                if seen is None:
                    known[name] = k
                elif seen != k:
                    raise ValueError(f"{name} was logged with {seen} value(s), now with {k}")
            self.pending.append((s, values, None))
            self.last_step = s
        return s

    def hook(self) -> int:
        """Queue what the optimizer's step left (lrs, norms, clipping); the row's step."""
        row = self.probe.read()  # the step count is the optimizer's now
        with self.lock:
            last = self.last_step
            s = row[0] if last is None or row[0] > last else last
            self.pending.append((s, None, row[1:]))
            self.last_step = s
        return s

    def probe_at(self, s: int) -> None:
        """Queue the gradients read now as part of row ``s`` (a model without optimizer)."""
        row = self.probe.read()
        with self.lock:
            self.pending.append((s, None, row[1:]))
            self.last_step = s

    def drain(self) -> Block | None:
        """Everything queued as one block (None when nothing is)."""
        with self.lock:
            pending, self.pending = self.pending, []
        if not pending:
            return None
        block = Block()
        norms = []
        for s, values, row in pending:
            block.row(s)
            if values:
                for name, v in values.items():
                    block.scalar(name, v)
            if row is not None:
                lrs, n, clips = row
                if lrs:
                    block.lr(lrs)
                if n is not None:
                    block.norm_pos.append(len(block.steps) - 1)
                    norms.append(n)
                if clips and torchhooks.resolve_clipped(clips):
                    block.clip()
        if norms:
            block.norm_vals = self.probe.layer_norms(norms)
        return block
