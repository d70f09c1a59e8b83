"""Rows from the training thread: ``log()`` and the optimizer's hook only queue them.

:class:`Intake` checks what ``log()`` got, gives each row its step (steps never go
back; a repeated step is the same row) and appends it under a lock, to one queue for
``log()`` and one for the hook: the training thread does no more than that.
:meth:`Intake.drain` hands the flusher thread everything queued as one
:class:`~.recorder.Block` (one bulk write into the bounded history), merging the two
queues by step with array operations rather than a call per row.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

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
        self.logs: list[tuple[int, dict[str, Any]]] = []  # (step, values) from log()
        self.hooks: list[tuple[int, Any]] = []  # (step, (lrs, norms, clips)) from the probe
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
            self.logs.append((s, values))
            self.last_step = s
        return s

    def hook(self) -> int:
        """Queue what the optimizer's step left (lrs, norms, clipping); the row's step."""
        row = self.probe.read()  # the step count is the optimizer's now
        with self.lock:
            last = self.last_step
            s = row[0] if last is None or row[0] > last else last
            self.hooks.append((s, row[1:]))
            self.last_step = s
        return s

    def probe_at(self, s: int) -> None:
        """Queue the gradients read now as part of row ``s`` (a model without optimizer)."""
        row = self.probe.read()
        with self.lock:
            self.hooks.append((s, row[1:]))
            self.last_step = s

    def drain(self) -> Block | None:
        """Everything queued as one block (None when nothing is)."""
        with self.lock:
            logs, hooks, self.logs, self.hooks = self.logs, self.hooks, [], []
        if not logs and not hooks:
            return None
        block = Block()
        log_steps = np.fromiter((e[0] for e in logs), np.int64, len(logs))
        hook_steps = np.fromiter((e[0] for e in hooks), np.int64, len(hooks))
        # both queues hold steps in order, so the rows are their distinct steps, sorted
        steps = np.unique(np.concatenate([log_steps, hook_steps]))
        block.steps = steps.tolist()
        for (_, values), r in zip(logs, np.searchsorted(steps, log_steps).tolist(), strict=True):
            for name, v in values.items():
                pos, vals = block.scalars.setdefault(name, ([], []))
                pos.append(r)
                vals.append(v)
        if hooks:
            at = np.searchsorted(steps, hook_steps).tolist()
            block.lr_pos = [r for r, (_, (lrs, _n, _c)) in zip(at, hooks, strict=True) if lrs]
            block.lr_vals = [lrs for _, (lrs, _n, _c) in hooks if lrs]
            seen = [(r, n) for r, (_, (_l, n, _c)) in zip(at, hooks, strict=True) if n is not None]
            if seen:
                block.norm_pos = [r for r, _ in seen]
                block.norm_vals = self.probe.layer_norms([n for _, n in seen])
            block.clip_pos = [
                r
                for r, (_, (_l, _n, clips)) in zip(at, hooks, strict=True)
                if clips and torchhooks.resolve_clipped(clips)
            ]
        return block
