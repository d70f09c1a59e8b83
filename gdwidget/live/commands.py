"""The commands a session applies between chunks: one frozen dataclass per control.

:mod:`gdwidget.live.protocol` parses the page's messages into them, the Playground's Python
methods build them directly, and :mod:`gdwidget.live.controls` says what each one does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Command",
    "Play",
    "Pause",
    "Step",
    "Reset",
    "SetLr",
    "SlideLr",
    "ScaleLr",
    "SetSpeed",
    "SetView",
    "SetBatchSize",
    "SelectRun",
    "RequestHistory",
    "ProbeAck",
    "ViewOpen",
    "SetPixels",
    "ViewClose",
    "Seek",
    "StepBack",
    "Fork",
    "SetHyper",
    "SetToggle",
    "Xray",
    "RequestModule",
    "CaptureResult",
    "SetSwarm",
    "SetSchedule",
    "ReadInternals",
    "SetStart",
    "SetInstant",
]


class Command:
    """Base of the commands a session applies between chunks."""


@dataclass(frozen=True)
class Play(Command):
    pass


@dataclass(frozen=True)
class Pause(Command):
    pass


@dataclass(frozen=True)
class Step(Command):
    """Take ``n`` steps in the background, then stop (the page's step buttons)."""

    n: int


@dataclass(frozen=True)
class Reset(Command):
    """Back to step 0; ``start`` is a point of the landscape (or a full start from Python)."""

    start: Any = None


@dataclass(frozen=True)
class SetLr(Command):
    """From Python: a float sets a constant rate, a schedule replaces the schedule."""

    group: str
    value: Any


@dataclass(frozen=True)
class SlideLr(Command):
    """From the page's slider: a constant rate, or the new peak of a schedule (scaled)."""

    group: str
    value: float


@dataclass(frozen=True)
class ScaleLr(Command):
    group: str
    factor: float


@dataclass(frozen=True)
class SetSpeed(Command):
    value: float


@dataclass(frozen=True)
class SetView(Command):
    bounds: tuple[tuple[float, float], tuple[float, float]]
    px: tuple[int, int] | None = None


@dataclass(frozen=True)
class SetBatchSize(Command):
    """``0`` for the full batch; clamped to the number of examples by the session."""

    value: int


@dataclass(frozen=True)
class SelectRun(Command):
    index: int


@dataclass(frozen=True)
class RequestHistory(Command):
    pass


@dataclass(frozen=True)
class ProbeAck(Command):
    """The page's answer to the kernel's binary probe: did its buffer arrive intact?

    ``ok=False`` (also sent when a message came without its buffers) switches the
    widget's messages to base64 buffers in their JSON content (docs/protocol.md).
    """

    ok: bool


@dataclass(frozen=True)
class ViewOpen(Command):
    """A view came; ``px`` is its landscape's plot size in pixels."""

    id: str
    px: tuple[int, int] | None = None


@dataclass(frozen=True)
class SetPixels(Command):
    """The landscape's plot size in a view: paths are thinned to within a pixel of the
    largest one the views have told (:meth:`.outbox.Outbox.use_pixels`)."""

    px: tuple[int, int]


@dataclass(frozen=True)
class ViewClose(Command):
    id: str


@dataclass(frozen=True)
class Seek(Command):
    """Show step ``step`` (or the nearest kept one) in every view; pauses."""

    step: int


@dataclass(frozen=True)
class StepBack(Command):
    """Show the kept step before the one shown; pauses."""


@dataclass(frozen=True)
class Fork(Command):
    """Every run goes on from step ``step`` with the settings now set; pauses."""

    step: int


@dataclass(frozen=True)
class SetHyper(Command):
    """One hyperparameter of one optimizer group, from the next step (not ``lr``)."""

    group: str
    name: str
    value: Any


@dataclass(frozen=True)
class SetToggle(Command):
    """A toggle of one optimizer group (live/toggles.py): ``"clip"`` (max norm, None: off),
    ``"noise"`` (sigma, None: off) or ``"weight_decay"`` (on/off, or a value)."""

    group: str
    name: str
    value: Any


@dataclass(frozen=True)
class Xray(Command):
    """The page's X-ray toggle: while on, the kernel sends ``xray`` messages."""

    on: bool


@dataclass(frozen=True)
class RequestModule(Command):
    """The page asks for an optional part's code (``"threed"``: the 3-D view), sent on demand."""

    name: str


@dataclass(frozen=True)
class CaptureResult(Command):
    """The page's answer to a ``capture`` request: a PNG of the view (``data``), or ``error``;
    ``lost`` when the page said ok but its PNG did not arrive (a dropped buffer)."""

    id: str
    ok: bool
    data: bytes = b""
    error: str = ""
    width: int = 0
    height: int = 0
    lost: bool = False


@dataclass(frozen=True)
class SetSwarm(Command):
    """The page's start swarm: every optimizer from ``n x n`` starts (``kind`` ``"grid"`` or
    ``"random"``, as :func:`gdwidget.classroom.swarm`), or from the single default start
    (``n == 1``). It rebuilds the race (gdwidget/live/picker.py), so it is not queued."""

    n: int
    kind: str = "grid"
    seed: int = 0


@dataclass(frozen=True)
class SetSchedule(Command):
    """A group's learning-rate schedule from the next step (gdwidget/live/schedulepick.py): a
    built-in by ``name`` with ``params`` (missing ones take their defaults; step counts that
    are not given follow the race's ``target_steps``), or from Python a schedule itself."""

    group: str
    name: Any
    params: Any = None
    target_steps: int | None = None


@dataclass(frozen=True)
class ReadInternals(Command):
    """From Python only: the X-ray of run ``label`` at ``step`` (None: the step shown), read by
    the baton holder into ``reply`` (a past step is replayed from a checkpoint, then undone)."""

    label: str
    step: int | None = None
    reply: list = field(default_factory=list, compare=False, repr=False)


@dataclass(frozen=True)
class SetStart(Command):
    """One run's start (a landscape point, or a full start from Python); back to step 0.

    ``seq`` is the page's number for this change, echoed when instant mode has recomputed.
    """

    index: int
    start: Any
    seq: int = 0


@dataclass(frozen=True)
class SetInstant(Command):
    """Instant mode: every change recomputes the whole path of ``steps`` steps (0: off)."""

    steps: int
