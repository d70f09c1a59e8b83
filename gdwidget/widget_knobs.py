"""The Playground's knobs for a class: every hyperparameter, toggles, schedules, the X-ray and
time travel. A mixin of :class:`~gdwidget.widget.Playground`: each method builds one command
(gdwidget/live/commands.py) and hands it to the session, as the page's controls do.
"""

from __future__ import annotations

from typing import Any

from ._checks import check_int
from .live import protocol as p

__all__ = ["Knobs"]


class Knobs:
    """Playground methods that change a setting from the next step, or look into the run."""

    _session: Any
    _submit: Any
    target: Any

    def set_hyper(self, label: str, name: str, value: Any) -> None:
        """Set hyperparameter ``name`` (not ``lr``) of optimizer ``label`` from the next step.

        The next step is that of the same optimizer built with the new value and continued
        from the same state; the optimizer's own checks refuse a bad value (ValueError or
        TypeError), changing nothing. What the page's settings panel sends.
        """
        self._submit(p.SetHyper(label, name, value))

    def set_schedule(self, label: str, name: Any, **params: Any) -> None:
        """Give optimizer ``label`` a learning-rate schedule from the next step.

        ``name`` is a built-in (``"constant"``, ``"step"``, ``"exponential"``, ``"cosine"``,
        ``"linear_warmup"``, ``"warmup_cosine"``, ``"one_cycle"``) with its parameters as
        keywords, or a schedule itself (``gd.schedules.cosine(0.1, T_max=200)``). The
        schedule's step is the global step: the next update ``t`` uses ``schedule(t)``.
        Parameters not given take defaults: the group's current peak rate, and for step
        counts the race's target steps, else ``max(300, 2 t)`` (docs/classroom.md). A bad
        name or value raises ValueError naming it, changing nothing. What the page's
        schedule picker sends.
        """
        steps = (self.target or {}).get("steps")
        self._submit(p.SetSchedule(label, name, params, steps))

    def set_clip(self, label: str, max_norm: float | None) -> None:
        """Clip each gradient of optimizer ``label`` to norm ``max_norm`` from the next step
        (None: off).

        The next step is that of ``gd.chain(gd.transforms.clip_by_global_norm(max_norm),
        optimizer)`` continued from the same state (see :mod:`gdwidget.live.toggles`); the
        clipped steps are marked on the paths and listed by :meth:`clipped_steps`.
        """
        self._submit(p.SetToggle(label, "clip", max_norm))

    def set_noise(self, label: str, sigma: float | None) -> None:
        """Add Gaussian noise of standard deviation ``sigma`` to each gradient of optimizer
        ``label`` from the next step (None: off); seeded, so time travel stays exact."""
        self._submit(p.SetToggle(label, "noise", sigma))

    def set_weight_decay(self, label: str, value: bool | float) -> None:
        """Weight decay of optimizer ``label`` from the next step: False (0), True (its last
        value, else the factory's default, else 1e-2) or a value >= 0."""
        self._submit(p.SetToggle(label, "weight_decay", value))

    def clipped_steps(self, label: str | None = None) -> Any:
        """The steps the clip shortened: ``(n, 2)`` ints, the step and the run's index."""
        from .live.toggles import clipped_steps  # noqa: PLC0415

        return clipped_steps(self._session.source.run, label)

    def set_xray(self, on: bool = True) -> None:
        """Turn the X-ray on (or off) in every view, as the page's toggle does (docs/xray.md)."""
        if not isinstance(on, bool):
            raise ValueError(f"on must be True or False, got {on!r}")
        self._submit(p.Xray(on))

    def internals(self, label: str, step: int | None = None) -> dict[str, Any]:
        """The X-ray of run ``label``: its optimizer's vectors in the drawn plane.

        Gradient, momentum buffer, last update, effective step and more, as the page's
        X-ray draws them (see :mod:`gdwidget.live.xray` and docs/xray.md). At ``step``
        (default: the step shown, the seeked one while seeking, else the newest), exactly as
        a run stepped to it reports; a past step is replayed from a checkpoint.
        """
        t = None if step is None else check_int("step", step, low=0)
        cmd = p.ReadInternals(label, t)
        self._submit(cmd)
        return cmd.reply[0]

    def seek(self, t: int) -> int:
        """Pause and show step ``t`` in every view, or the nearest kept step; returns the step
        shown. The next step taken shows the newest again (docs/timetravel.md)."""
        self._submit(p.Seek(check_int("t", t, low=0)))
        return self._session.timeline.cursor["step"]

    def step_back(self) -> int:
        """Pause and show the kept step before the one shown; returns it."""
        self._submit(p.StepBack())
        return self._session.timeline.cursor["step"]

    def fork(self, t: int) -> None:
        """Pause; every run goes on from step ``t`` with the settings now set, the history
        after ``t`` dropped. With unchanged settings the steps after it are the same, bit for
        bit (docs/timetravel.md)."""
        self._submit(p.Fork(check_int("t", t, low=0)))
