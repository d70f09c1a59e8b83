"""Browser messages in, typed commands out: the one place a message from the page is parsed.

Every message the page may send (docs/protocol.md) becomes one of the frozen
dataclasses of :mod:`gdwidget.live.commands` (re-exported here), checked by one set of
validators. Anything else, or anything
out of range, raises :class:`BadMessage`; the session logs it once and changes
nothing. The Python methods of a Playground build the same commands, so each
control has one path into the session.
"""

from __future__ import annotations

import base64
import math
from typing import Any

from .commands import (  # noqa: F401 - every command is part of the protocol
    CaptureResult,
    Command,
    Fork,
    Pause,
    Play,
    ProbeAck,
    ReadInternals,
    RequestHistory,
    RequestModule,
    Reset,
    ScaleLr,
    Seek,
    SelectRun,
    SetBatchSize,
    SetHyper,
    SetInstant,
    SetLr,
    SetPixels,
    SetSchedule,
    SetSpeed,
    SetStart,
    SetSwarm,
    SetToggle,
    SetView,
    SlideLr,
    Step,
    StepBack,
    ViewClose,
    ViewOpen,
    Xray,
)

__all__ = [
    "BadMessage",
    "CaptureResult",
    "Command",
    "Pause",
    "Play",
    "ProbeAck",
    "RequestHistory",
    "RequestModule",
    "Reset",
    "ScaleLr",
    "SelectRun",
    "SetBatchSize",
    "SetHyper",
    "SetLr",
    "SetPixels",
    "SetSpeed",
    "SetToggle",
    "SetView",
    "SlideLr",
    "Step",
    "ViewClose",
    "ViewOpen",
    "Xray",
    "parse",
    "Seek",
    "Fork",
    "StepBack",
    "SetStart",
    "SetInstant",
    "SetSwarm",
    "ReadInternals",
    "SetSchedule",
]

#: Most steps one "step" message may ask for (the page's step box allows up to 10**9).
MAX_STEPS = 10**9
#: Largest coordinate accepted from the page (a zoom or click far beyond this is refused).
MAX_COORD = 1e150
#: Longest string accepted (labels, view ids).
MAX_TEXT = 200


class BadMessage(ValueError):
    """A browser message that does not follow docs/protocol.md."""


#: Largest PNG accepted from the page (a 1920 px wide view at device pixel ratio 3 fits).
MAX_PNG_BYTES = 64 * 2**20
#: Longest base64 string accepted for it (``MAX_PNG_BYTES`` encoded), checked before decoding.
MAX_PNG_B64 = 4 * -(-MAX_PNG_BYTES // 3)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: The error of a capture whose PNG did not arrive (a widget manager that drops buffers).
PNG_LOST = (
    "the picture was lost in transit: the page answered with a PNG as a binary buffer and the "
    "widget manager dropped it on its way to the kernel (docs/colab.md)"
)


# -- validators ------------------------------------------------------------------------------
def number(name: str, value: Any, *, low: float | None = None, positive: bool = False) -> float:
    """A finite JSON number (not a bool), optionally ``>= low`` or ``> 0``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadMessage(f"{name} must be a number, got {_short(value)}")
    try:
        v = float(value)
    except OverflowError:
        raise BadMessage(f"{name} is too large: {_short(value)}") from None
    if not math.isfinite(v):
        raise BadMessage(f"{name} must be finite, got {_short(value)}")
    if positive and v <= 0:
        raise BadMessage(f"{name} must be > 0, got {_short(value)}")
    if low is not None and v < low:
        raise BadMessage(f"{name} must be >= {low:g}, got {_short(value)}")
    return v


def integer(name: str, value: Any, *, low: int = 0, high: int | None = None) -> int:
    v = number(name, value, low=low)
    if v != int(v):
        raise BadMessage(f"{name} must be an integer, got {_short(value)}")
    if high is not None and v > high:
        raise BadMessage(f"{name} must be <= {high}, got {_short(value)}")
    return int(v)


def flag(name: str, value: Any) -> bool:
    """A JSON boolean (not a number)."""
    if not isinstance(value, bool):
        raise BadMessage(f"{name} must be true or false, got {_short(value)}")
    return value


def text(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_TEXT:
        raise BadMessage(f"{name} must be a non-empty string, got {_short(value)}")
    return value


def point(value: Any) -> tuple[float, float]:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise BadMessage(f"a point must be [x, y], got {_short(value)}")
    x, y = (number("a coordinate", v) for v in value)
    if abs(x) > MAX_COORD or abs(y) > MAX_COORD:
        raise BadMessage(f"a point must lie within +-{MAX_COORD:g}, got {_short(value)}")
    return x, y


def bounds(value: Any) -> tuple[tuple[float, float], tuple[float, float]]:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise BadMessage(f"bounds must be [[x0, x1], [y0, y1]], got {_short(value)}")
    (x0, x1), (y0, y1) = point(value[0]), point(value[1])
    if not (x0 < x1 and y0 < y1):
        raise BadMessage(f"bounds need x0 < x1 and y0 < y1, got {_short(value)}")
    # a box thinner than float precision cannot be drawn
    if (x1 - x0) <= 1e-12 * max(abs(x0), abs(x1), 1e-300) or (y1 - y0) <= 1e-12 * max(
        abs(y0), abs(y1), 1e-300
    ):
        raise BadMessage(f"bounds are too thin to draw: {_short(value)}")
    return (x0, x1), (y0, y1)


def pixels(value: Any) -> tuple[int, int] | None:
    if value is None:
        return None
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise BadMessage(f"px must be [w, h], got {_short(value)}")
    w, h = (integer("px", v, low=1, high=100_000) for v in value)
    return w, h


# -- the parser ------------------------------------------------------------------------------
def parse(content: Any, buffers: Any = None) -> Command:
    """Turn one message of the page into a command, or raise :class:`BadMessage`.

    ``buffers`` are the message's binary buffers (only ``capture_result`` carries one, or its
    base64 in ``b64``).
    """
    if not isinstance(content, dict):
        raise BadMessage(f"a message must be an object, got {type(content).__name__}")
    kind = content.get("type")
    if not isinstance(kind, str):
        raise BadMessage(f"a message needs a string 'type', got {_short(kind)}")
    if kind == "capture_result":  # the one message that carries a buffer
        return _capture_result(content, buffers)
    parser = _PARSERS.get(kind)
    if parser is None:
        raise BadMessage(f"unknown message type {_short(kind)}")
    return parser(content)


def _reset(c: dict[str, Any]) -> Reset:
    start = c.get("start")
    return Reset(None if start is None else point(start))


def _capture_result(c: dict[str, Any], buffers: Any) -> CaptureResult:
    cid = text("capture_result id", c.get("id"))
    if not flag("capture_result ok", c.get("ok")):
        error = c.get("error")
        return CaptureResult(cid, False, error=str(error)[:MAX_TEXT] if error else "no picture")
    w = integer("capture_result width", c.get("width", 0), high=100_000)
    h = integer("capture_result height", c.get("height", 0), high=100_000)
    data = _png(c, buffers)
    if data is None:  # ok, but the buffer was dropped: the request fails now, not at its timeout
        return CaptureResult(cid, False, error=PNG_LOST, lost=True)
    return CaptureResult(cid, True, data=data, width=w, height=h)


def _png(c: dict[str, Any], buffers: Any) -> bytes | None:
    """The PNG of a ``capture_result``: base64 in ``b64`` (as the kernel marks its own base64
    buffers, docs/protocol.md), else its one binary buffer; None when neither came."""
    if "b64" in c:
        b64 = c["b64"]
        if not isinstance(b64, list) or len(b64) != 1 or not isinstance(b64[0], str):
            raise BadMessage(f"capture_result b64 must be [one base64 string], got {_short(b64)}")
        if len(b64[0]) > MAX_PNG_B64:
            raise BadMessage(f"capture_result PNG is too large: {len(b64[0])} base64 characters")
        try:
            data = base64.b64decode(b64[0], validate=True)
        except ValueError:  # binascii.Error, or a character that is not ASCII
            raise BadMessage("capture_result b64 is not a base64 string") from None
    else:
        bufs = list(buffers) if isinstance(buffers, list | tuple) else []
        if not bufs:
            return None
        try:
            view = memoryview(bufs[0]).cast("B") if len(bufs) == 1 else None
        except TypeError:
            view = None
        if view is None:
            raise BadMessage("capture_result must carry one PNG buffer")
        if view.nbytes > MAX_PNG_BYTES:
            raise BadMessage(f"capture_result PNG is too large: {view.nbytes} bytes")
        data = bytes(view)
    if len(data) > MAX_PNG_BYTES:
        raise BadMessage(f"capture_result PNG is too large: {len(data)} bytes")
    if not data.startswith(PNG_SIGNATURE):
        raise BadMessage("capture_result must carry one PNG buffer")
    return data


_PARSERS = {
    "play": lambda c: Play(),
    "pause": lambda c: Pause(),
    "request_history": lambda c: RequestHistory(),
    "step": lambda c: Step(integer("step n", c.get("n", 1), low=1, high=MAX_STEPS)),
    "reset": _reset,
    "set_lr": lambda c: SlideLr(
        text("set_lr group", c.get("group")), number("set_lr value", c.get("value"), positive=True)
    ),
    "set_speed": lambda c: SetSpeed(number("set_speed value", c.get("value"), low=0.0)),
    "set_view": lambda c: SetView(bounds(c.get("bounds")), pixels(c.get("px"))),
    "set_batch_size": lambda c: SetBatchSize(
        integer("set_batch_size value", c.get("value"), low=0, high=10**12)
    ),
    "select_run": lambda c: SelectRun(integer("select_run index", c.get("index"), low=0)),
    "view_open": lambda c: ViewOpen(text("view id", c.get("id")), pixels(c.get("px"))),
    "view_close": lambda c: ViewClose(text("view id", c.get("id"))),
    "probe_ack": lambda c: ProbeAck(flag("probe_ack ok", c.get("ok"))),
    "request_module": lambda c: RequestModule(text("request_module name", c.get("name"))),
    "seek": lambda c: Seek(integer("seek step", c.get("step"), low=0, high=10**15)),
    "step_back": lambda c: StepBack(),
    "fork": lambda c: Fork(integer("fork step", c.get("step"), low=0, high=10**15)),
}


def hyper(value: Any) -> Any:
    """A hyperparameter's value: a number, a switch, a pair of numbers or a short text."""
    if isinstance(value, bool):
        return value
    if isinstance(value, list | tuple) and len(value) == 2:
        return tuple(number("set_hyper value", v) for v in value)
    if isinstance(value, str):
        return text("set_hyper value", value)
    return number("set_hyper value", value)


_PARSERS["set_hyper"] = lambda c: SetHyper(
    text("set_hyper group", c.get("group")),
    text("set_hyper name", c.get("name")),
    hyper(c.get("value")),
)
_PARSERS["xray"] = lambda c: Xray(flag("xray on", c.get("on")))


def toggle(c: dict[str, Any]) -> SetToggle:
    """``set_toggle``: clip and noise take a number > 0 or null (off); weight_decay a
    boolean or a number >= 0."""
    group, name, value = text("set_toggle group", c.get("group")), c.get("name"), c.get("value")
    if name in ("clip", "noise"):
        v = None if value is None else number(f"set_toggle {name} value", value, positive=True)
    elif name == "weight_decay":
        v = value if isinstance(value, bool) else number("set_toggle value", value, low=0.0)
    else:
        raise BadMessage(f"set_toggle name must be clip, noise or weight_decay, got {_short(name)}")
    return SetToggle(group, name, v)


_PARSERS["set_toggle"] = toggle


def swarm_kind(value: Any) -> str:
    if value not in ("grid", "random"):
        raise BadMessage(f"set_swarm kind must be 'grid' or 'random', got {_short(value)}")
    return value


_PARSERS["set_swarm"] = lambda c: SetSwarm(
    integer("set_swarm n", c.get("n"), low=1, high=10**6),
    swarm_kind(c.get("kind", "grid")),
    integer("set_swarm seed", c.get("seed", 0), low=0, high=2**32 - 1),
)


def schedule_params(value: Any) -> dict[str, float]:
    """A schedule's parameters from the page: an object of at most 16 names to numbers."""
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > 16:
        raise BadMessage(f"set_schedule params must be an object of numbers, got {_short(value)}")
    return {
        text("set_schedule param", k): number(f"set_schedule {_short(k)}", v)
        for k, v in value.items()
    }


_PARSERS["set_schedule"] = lambda c: SetSchedule(
    text("set_schedule group", c.get("group")),
    text("set_schedule name", c.get("name")),
    schedule_params(c.get("params")),
)


def _short(value: Any, limit: int = 80) -> str:
    try:
        s = repr(value)
    except Exception:  # noqa: BLE001 - a repr of a hostile value
        s = f"<{type(value).__name__}>"
    return s if len(s) <= limit else s[:limit] + "..."


#: Most steps instant mode recomputes on each change.
MAX_INSTANT_STEPS = 20_000

_PARSERS["set_start"] = lambda c: SetStart(
    integer("set_start index", c.get("index"), low=0, high=10**9),
    point(c.get("start")),
    integer("set_start seq", c.get("seq", 0), low=0, high=2**53),
)
_PARSERS["set_instant"] = lambda c: SetInstant(
    integer("set_instant steps", c.get("steps"), low=0, high=MAX_INSTANT_STEPS)
)
