"""The order in which mini-batches visit the examples: one shuffle per epoch, seeded.

Every run of a :class:`gdwidget.engine.Run` sees the same batches. :meth:`Batches.save`
and :meth:`Batches.restore` let the engine undo a step that did not complete.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class Batches:
    """Mini-batches of ``size`` example indices, reshuffled each epoch (``size=None``: all).

    The orders are drawn on the host from ``numpy.random.default_rng(seed)`` and moved
    to the array namespace ``xp``. A batch that would run past the end of the order
    starts a new epoch with a new shuffle.
    """

    def __init__(self, xp: Any, n_examples: int | None, size: int | None, seed: int) -> None:
        self.xp = xp
        self.n = n_examples
        self.size = size
        self.seed = seed
        self._rng: np.random.Generator | None = None  # made on first use (a full batch needs none)
        self.order: Any = None
        self.pos = 0
        #: epochs completed (shuffles begun after the first)
        self.epoch = 0

    @property
    def _gen(self) -> np.random.Generator:
        if self._rng is None:
            self._rng = np.random.default_rng(self.seed)
        return self._rng

    def set_size(self, size: int | None) -> None:
        """Batches of ``size`` from the next one on, in a new shuffle (the epoch count stays)."""
        self.size = size
        self.order = None
        self.pos = 0

    def next(self) -> Any:
        """The next batch's indices (an ``xp`` array), or None for the full batch."""
        if self.size is None:
            return None
        assert self.n is not None
        if self.order is None or self.pos + self.size > self.n:
            if self.order is not None:
                self.epoch += 1
            self.order = self.xp.asarray(self._gen.permutation(self.n))
            self.pos = 0
        batch = self.order[self.pos : self.pos + self.size]
        self.pos += self.size
        return batch

    def save(self) -> tuple[Any, ...]:
        """What :meth:`restore` needs to undo the next :meth:`next` calls (cheap: the
        generator's state is copied only when the next batch starts a new shuffle)."""
        reshuffles = self.size is not None and (
            self.order is None or self.pos + self.size > (self.n or 0)
        )
        gen_state = self._gen.bit_generator.state if reshuffles else None
        return (self.order, self.pos, self.epoch, gen_state, self.size)

    def restore(self, saved: tuple[Any, ...]) -> None:
        """Back to the position of :meth:`save` (valid until one more shuffle than that)."""
        self.order, self.pos, self.epoch, gen_state, self.size = saved
        if gen_state is not None:
            self._gen.bit_generator.state = gen_state
