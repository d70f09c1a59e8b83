"""The Playground's race editing: add or remove an optimizer, change the function, presets
and configs. A mixin of :class:`~gdwidget.widget.Playground`, which it serves alone: each
change builds a new source (gdwidget/live/assemble.py, picker.py, config.py) and swaps it in.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .live import config as config_mod
from .live import landscape
from .live import picker as picker_mod
from .live import protocol as p
from .live.assemble import with_optimizer
from .live.source import EngineSource

__all__ = ["RaceEditing"]


class RaceEditing:
    """Playground methods that change what races (each starts the race again from step 0)."""

    _session: Any
    _limits: Any

    def add_optimizer(self, label: str, optimizer: Any) -> None:
        """Add ``optimizer`` to the race as ``label`` and start the race again from step 0.

        The runs keep their starts, settings and current view; the history starts over.
        """
        source = with_optimizer(self._session.source, label, optimizer, pilot_steps=self._limits[2])
        self._swap(source, self._session.out.view)

    def remove_optimizer(self, label: str) -> None:
        """Take optimizer ``label`` out of the race and start it again from step 0."""
        source = picker_mod.without_optimizer(
            self._session.source, label, pilot_steps=self._limits[2]
        )
        self._swap(source, self._session.out.view)

    def set_function(self, objective: Any) -> None:
        """Race the same optimizers on ``objective`` (a test function, ``gd.Function`` or a
        name) from its default start and view, from step 0."""
        source = picker_mod.with_function(
            self._session.source, objective, pilot_steps=self._limits[2]
        )
        self._swap(source, landscape.default_bounds(source))

    def set_swarm(self, n: int, kind: str = "grid", seed: int = 0) -> None:
        """Every optimizer from ``n x n`` starts over the function's box (``kind`` ``"grid"``
        or ``"random"`` with ``seed``, as :func:`gdwidget.classroom.swarm`), from step 0;
        ``n=1`` goes back to the function's single default start.

        At most ``gdwidget.live.picker.MAX_SWARM_RUNS`` runs in all; a bad ``n`` or ``kind``
        raises ValueError and changes nothing. What the page's swarm control sends.
        """
        source = picker_mod.with_swarm(
            self._session.source, n, kind, seed, pilot_steps=self._limits[2]
        )
        self._swap(source, self._session.out.view)

    def set_instant(self, steps: int | bool = True) -> None:
        """Instant mode: from now on, each change of a start, a learning rate or any
        hyperparameter recomputes the whole path of ``steps`` steps (``True``: 300) at once;
        ``False`` or 0 turns it off. Needs a function, not a model (docs/classroom.md)."""
        from .live.instant import DEFAULT_STEPS  # noqa: PLC0415

        if isinstance(steps, bool):
            steps = DEFAULT_STEPS if steps else 0
        self._submit(p.SetInstant(steps))

    def set_start(self, run: int | str, start: Any) -> None:
        """Start run ``run`` (its index, or its label) at ``start`` (a landscape point, or
        every parameter), the other runs where they started, from step 0."""
        labels = self._session.source.labels
        index = labels.index(run) if isinstance(run, str) and run in labels else run
        if isinstance(index, str) or isinstance(index, bool) or not isinstance(index, int):
            raise ValueError(f"run must be a run's index or one of {labels}, got {run!r}")
        self._submit(p.SetStart(index, start))

    def _swap(self, source: EngineSource, view: Any) -> None:
        """Step ``source`` from now on, shown over ``view``: a new session takes the views."""
        old = self._session
        old.close()
        meta, data, data_meta = self._attach(source, old.speed, view)
        self._session.take_views(old)
        self.set_trait("running", False)
        self.set_trait("meta", meta)
        self.set_trait("data", data)
        self.set_trait("data_meta", data_meta)
        self._submit(p.Reset(None))
        self._submit(p.SetView(tuple(map(tuple, view)), old.out.px))
        if old.instant.steps and not getattr(source, "is_model", False):
            self._submit(p.SetInstant(old.instant.steps))  # instant mode carries over

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> Any:
        """A classroom preset (``gd.presets()`` lists them), with Playground arguments
        ``overrides`` on top: ``Playground.preset("ravine", speed=20)``."""
        from .classroom import setup  # noqa: PLC0415

        return cls(**setup(name, **overrides))

    @classmethod
    def from_config(cls, cfg: dict[str, Any], **overrides: Any) -> Any:
        """The Playground that :meth:`config` described (the same race, step for step)."""
        w = cls(**{**config_mod.playground_kwargs(cfg), **overrides})
        if cfg.get("run_starts") is not None:  # starts moved one by one
            w._submit(p.Reset(np.asarray(cfg["run_starts"], dtype=np.float64)))
        if cfg.get("instant"):
            w.set_instant(int(cfg["instant"]))
        return w

    def config(self) -> dict[str, Any]:
        """A JSON-able description: function, optimizers (with their current settings),
        starts, shown controls, target and speed (gdwidget/live/config.py)."""
        return config_mod.describe(self)

    def reached(self) -> dict[str, int | None]:
        """Each run's first step meeting :attr:`target`, or None: ``{label: step}``."""
        h = self.history
        return config_mod.reached(h.loss, h.steps, h.labels, self.target)
