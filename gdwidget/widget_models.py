"""The Playground's methods for a model on data: the batch size, the run whose decision
regions the model view shows, and the gradients, arrows and model view read from the run.
A mixin of :class:`~gdwidget.widget.Playground`; the work is in gdwidget/live/modelview.py.
"""

from __future__ import annotations

from typing import Any

from ._checks import check_int
from .live import modelview
from .live import protocol as p

__all__ = ["ModelsOnData"]


class ModelsOnData:
    """Playground methods for models on data (the batch size, the model view)."""

    _session: Any
    _submit: Any
    run: Any
    set_trait: Any

    def set_batch_size(self, batch_size: int | None) -> None:
        """Examples per gradient from the next step: ``None`` or 0 full batch, 1, or k.

        Every run gets the same new shuffle of the data. Only for models on data.
        """
        if self.run.objective.n_examples is None:
            raise ValueError(
                f"batch_size needs a model on data; {self.run.objective.name} is a function"
            )
        b = 0 if batch_size is None else check_int("batch_size", batch_size, low=0)
        n = self.run.objective.n_examples
        if b > n:
            raise ValueError(f"batch_size must be <= the number of examples ({n}), got {b}")
        self._submit(p.SetBatchSize(b))

    def select_run(self, index: int) -> None:
        """Show run ``index``'s decision regions in the model view (two-feature classifiers)."""
        index = check_int("index", index, low=0)
        self._submit(p.SelectRun(index))

    def gradients(self) -> tuple[Any, Any]:
        """Each run's current mini-batch and full-batch gradient, in plane coordinates
        (models on data): two ``(n_runs, 2)`` arrays."""
        return modelview.gradients(self._session.source)

    def arrows_message(self) -> tuple[dict[str, Any], list[bytes]]:
        """The protocol's ``arrows`` message for the current point of every run."""
        return modelview.arrows_message(self._session.source, self._session.out.view)

    def model_view_message(self) -> tuple[dict[str, Any], list[bytes]]:
        """The protocol's ``model_view`` message for the current parameters."""
        out = self._session.out
        return modelview.model_view_message(out.source, out.model_view, out.data_meta, out.selected)

    def _on_batch_size(self, change: dict[str, Any]) -> None:
        if change["new"] != (self.run.batch_size or 0):  # set from Python
            try:
                self.set_batch_size(change["new"])
            except ValueError:
                self.set_trait("batch_size", change["old"])
                raise
