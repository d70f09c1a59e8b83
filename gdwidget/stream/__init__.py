"""What the page gets: a bounded, thinned history, binary frames and their pacing.

* :mod:`.thinning`: the one rule that chooses which rows to keep (paths within
  a pixel, loss curves with their extremes, memory bounded), with :mod:`.paths`,
  the paths' simplification;
* :mod:`.buffers`: :class:`HistoryBuffer`, the bounded history (and its
  pre-filter); :mod:`.evals`: :class:`EvalBuffer`, the evaluations;
* :mod:`.wire`: :func:`pack` and :func:`unpack`, the protocol's binary layout, and
  :func:`apply`, what a page holds after a message;
* :mod:`.streamer`: :class:`FrameClock` and :class:`Streamer` (chunks in, packets out);
* :mod:`.history`: :class:`DecimatedHistory`, the copy users read.
"""

from .buffers import (
    DEFAULT_CAPACITY,
    DEFAULT_LOSS_PX,
    DEFAULT_PLOT_PX,
    DEFAULT_TOLERANCE_PX,
    HistoryBuffer,
    Rows,
    default_capacity,
)
from .evals import EvalBuffer
from .history import DecimatedHistory
from .m4 import LossFloor
from .streamer import DEFAULT_MAX_FPS, FrameClock, Packet, Projection, Streamer, first_two
from .thinning import PixelView, Selection, select_rows
from .wire import Evals, apply, pack, unpack

__all__ = [
    "DEFAULT_CAPACITY",
    "DEFAULT_LOSS_PX",
    "DEFAULT_MAX_FPS",
    "DEFAULT_PLOT_PX",
    "DEFAULT_TOLERANCE_PX",
    "DecimatedHistory",
    "EvalBuffer",
    "Evals",
    "FrameClock",
    "HistoryBuffer",
    "LossFloor",
    "Packet",
    "PixelView",
    "Projection",
    "Rows",
    "Selection",
    "Streamer",
    "apply",
    "default_capacity",
    "first_two",
    "pack",
    "select_rows",
    "unpack",
]
