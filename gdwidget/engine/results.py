"""What runs leave behind, on the host: chunks of steps, the History, tables and notes.

:class:`Chunk` is what one :meth:`gdwidget.engine.Run.advance` call returns;
:func:`gdwidget.run` joins the chunks into a :class:`History`. :func:`run_note` is the
one place where a run's outcome becomes a sentence ("diverged: loss ×1000 above its
start from step 12, overflow at step 171").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

RUNNING, CONVERGED, DIVERGED, STOPPED = 0, 1, 2, 3
#: ``"stopped"``: its optimizer's schedule gave an invalid rate or raised (see the run's note)
STATUS_NAMES = ("running", "converged", "diverged", "stopped")
#: a run "blows up" when its loss first exceeds this many times its start loss
BLOWUP_FACTOR = 1000.0
#: the start loss counts as at least this much (a run that starts at a minimum, loss 0)
BLOWUP_FLOOR = 1e-3


class ObjectiveError(RuntimeError):
    """A step raised during a run. ``chunk`` holds the rows completed before it."""

    def __init__(self, message: str, chunk: Chunk) -> None:
        super().__init__(message)
        self.chunk = chunk


@dataclass
class Chunk:
    """Consecutive recorded steps, on the host.

    ``loss[i, r]`` is the loss of run ``r`` after ``steps[i]`` updates (step 0 is
    the start), ``params[i, r]`` its parameters then, ``grad_norm[i, r]`` the norm
    of the gradient there, and ``lr[i, r]`` the learning rate of the update that
    led there (the first update's rate at step 0; NaN for a run whose optimizer was
    stopped by its schedule).
    """

    steps: np.ndarray
    loss: np.ndarray
    params: np.ndarray | None
    grad_norm: np.ndarray
    lr: np.ndarray
    #: full-data evaluations taken in these steps (see ``Run(eval_every=...)``): ``"step"``,
    #: ``"epoch"`` ``(n_evals,)`` and ``"train_loss"``, ``"val_loss"``, ``"train_acc"``,
    #: ``"val_acc"`` ``(n_evals, n_runs)`` where they apply; ``None`` when not evaluating
    evals: dict[str, np.ndarray] | None = None
    #: ``(n, n_runs, 2)``: each run's point in the plane of ``Run.project`` (large models)
    xy: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.steps.shape[0])

    @staticmethod
    def concat(chunks: list[Chunk]) -> Chunk:
        params = None if chunks[0].params is None else np.concatenate([c.params for c in chunks])
        evals = None
        if chunks[0].evals is not None:
            evals = {k: np.concatenate([c.evals[k] for c in chunks]) for k in chunks[0].evals}
        xy = None if chunks[0].xy is None else np.concatenate([c.xy for c in chunks])
        return Chunk(
            steps=np.concatenate([c.steps for c in chunks]),
            loss=np.concatenate([c.loss for c in chunks]),
            params=params,
            grad_norm=np.concatenate([c.grad_norm for c in chunks]),
            lr=np.concatenate([c.lr for c in chunks]),
            evals=evals,
            xy=xy,
        )


def divergence_note(blowup_step: int, overflow_step: int) -> str:
    """Where a diverged run started to blow up and where its numbers overflowed.

    >>> divergence_note(12, 171)
    'diverged: loss ×1000 above its start from step 12, overflow at step 171'
    """
    if 0 <= blowup_step < overflow_step:
        return (
            f"diverged: loss ×{BLOWUP_FACTOR:g} above its start from step {blowup_step}, "
            f"overflow at step {overflow_step}"
        )
    return f"diverged: overflow at step {overflow_step}"


def run_note(status: str, stop_step: int, blowup_step: int, error: str | None) -> str | None:
    """The note of one run: its schedule's error, where it diverged, or None."""
    if status == "stopped":
        return error
    if status == "diverged":
        return divergence_note(blowup_step, stop_step)
    return None


@dataclass
class History:
    """What a headless run recorded, on the host.

    Attributes
    ----------
    loss : ndarray (steps + 1, n_runs)
    params : ndarray (steps + 1, n_runs, n_params) or None
    grad_norm : ndarray (steps + 1, n_runs)
    lr : ndarray (steps + 1, n_runs)
    steps : ndarray (steps + 1,)
    labels, groups : list of str
        Each run's label and the label of its optimizer.
    status : list of str
        ``"running"`` (still going when the steps ran out), ``"converged"``,
        ``"diverged"`` or ``"stopped"`` (its schedule gave an invalid rate or raised).
    stop_step : ndarray of int
        The step at which each run stopped, -1 if it did not.
    optimizers : dict
        Each optimizer's description (name and hyperparameters).
    evals : dict of ndarray, or None
        Full-data evaluations (``eval_every``): ``step`` and ``epoch`` ``(n_evals,)``;
        ``train_loss``, ``val_loss``, ``train_acc``, ``val_acc`` ``(n_evals, n_runs)``
        where they apply. For mini-batch runs ``loss`` is each step's batch loss and
        ``evals["train_loss"]`` the loss on all the training data.
    blowup_step : ndarray of int
        The first step where each run's loss exceeded 1000 times its start loss, -1 if never.
    notes : list of str or None
        Each run's note: why it stopped (schedule) or how it diverged, else None.
    """

    loss: np.ndarray
    params: np.ndarray | None
    grad_norm: np.ndarray
    lr: np.ndarray
    steps: np.ndarray
    labels: list[str]
    groups: list[str]
    status: list[str]
    stop_step: np.ndarray
    optimizers: dict[str, dict[str, Any]] = field(default_factory=dict)
    device: str = "cpu"
    evals: dict[str, np.ndarray] | None = None
    blowup_step: np.ndarray | None = None
    notes: list[str | None] = field(default_factory=list)

    @property
    def n_runs(self) -> int:
        return len(self.labels)

    @property
    def final_loss(self) -> np.ndarray:
        return self.loss[-1]

    @property
    def overflow_step(self) -> np.ndarray:
        """The step where each diverged run's numbers stopped being finite, -1 for the others."""
        diverged = np.array([s == "diverged" for s in self.status], dtype=bool)
        return np.where(diverged, self.stop_step, -1)

    @property
    def hyper(self) -> dict[str, np.ndarray]:
        """Each run's settings: hyperparameter name -> ``(n_runs,)`` float array.

        Every numeric hyperparameter of the optimizers (``lr`` as given, a pair ``betas``
        as ``beta1`` and ``beta2``), with the value of each run, the row's own in a group
        of per-run settings; NaN for runs whose optimizer has no such setting (or a
        schedule for ``lr``). :attr:`swept` names those that vary within a group.
        """
        return _settings(self.optimizers, self.groups)[0]

    @property
    def swept(self) -> list[str]:
        """The hyperparameters given one value per run in some group (keys of :attr:`hyper`)."""
        return _settings(self.optimizers, self.groups)[1]

    def to_pandas(self) -> Any:
        """One row per step and run: step, run, optimizer, loss, grad_norm, lr, x0.., status,
        then one column per swept hyperparameter (:attr:`swept`) with each run's value."""
        cols = {"loss": self.loss, "grad_norm": self.grad_norm, "lr": self.lr}
        if self.params is not None:
            cols.update({f"x{j}": self.params[:, :, j] for j in range(self.params.shape[-1])})
        hyper = self.hyper
        S = len(self.steps)
        for name in self.swept:
            if name not in cols:
                cols[name] = np.broadcast_to(hyper[name], (S, self.n_runs))
        df = long_table(self.steps, self.labels, self.groups, cols)
        df["status"] = df["run"].map(dict(zip(self.labels, self.status, strict=True)))
        return df

    def evals_to_pandas(self) -> Any:
        """One row per evaluation and run: step, epoch, run, optimizer and the evaluated keys."""
        return evals_table(self.evals, self.labels, self.groups)

    def summary(self) -> list[dict[str, Any]]:
        """One dict per run: label, optimizer, status, stop step, note, final loss and point."""
        rows = []
        for r, label in enumerate(self.labels):
            row = {
                "run": label,
                "optimizer": self.groups[r],
                "status": self.status[r],
                "stop_step": int(self.stop_step[r]),
                "note": self.notes[r] if r < len(self.notes) else None,
                "loss": float(self.loss[-1, r]),
                "grad_norm": float(self.grad_norm[-1, r]),
            }
            if self.params is not None:
                row["point"] = tuple(float(v) for v in self.params[-1, r])
            rows.append(row)
        return rows


def long_table(
    steps: np.ndarray,
    labels: list[str],
    groups: list[str],
    columns: dict[str, np.ndarray],
    index: dict[str, np.ndarray] | None = None,
) -> Any:
    """A pandas DataFrame with one row per recorded row and run.

    ``steps`` (and each array of ``index``) has one value per row; every array of
    ``columns`` is ``(n_rows, n_runs)``. Columns: step, the ``index`` ones, run,
    optimizer, then ``columns``.
    """
    try:
        import pandas as pd  # noqa: PLC0415
    except ImportError as exc:
        raise ImportError("to_pandas() needs pandas: pip install pandas") from exc
    S, R = len(steps), len(labels)
    cols: dict[str, Any] = {"step": np.repeat(steps, R)}
    cols.update({k: np.repeat(v, R) for k, v in (index or {}).items()})
    cols["run"] = np.tile(np.array(labels, dtype=object), S)
    cols["optimizer"] = np.tile(np.array(groups, dtype=object), S)
    cols.update({k: np.asarray(v).reshape(S * R) for k, v in columns.items()})
    return pd.DataFrame(cols)


def evals_table(evals: dict[str, np.ndarray] | None, labels: list[str], groups: list[str]) -> Any:
    """The evaluations (``History.evals``) as a long pandas DataFrame (empty without any)."""
    ev = evals or {"step": np.zeros(0, np.int64), "epoch": np.zeros(0, np.int64)}
    columns = {k: v for k, v in ev.items() if k not in ("step", "epoch")}
    return long_table(ev["step"], labels, groups, columns, index={"epoch": ev["epoch"]})


def _settings(
    optimizers: dict[str, dict[str, Any]], groups: list[str]
) -> tuple[dict[str, np.ndarray], list[str]]:
    """Per-run values of the numeric hyperparameters, and the names swept in some group."""
    R = len(groups)
    rows: dict[str, list[int]] = {}
    for r, g in enumerate(groups):
        rows.setdefault(g, []).append(r)
    out: dict[str, np.ndarray] = {}
    swept: list[str] = []
    for label, desc in optimizers.items():
        where = rows.get(label, [])
        for key, value in desc.items():
            pairs = (
                [
                    (f"beta{i + 1}" if key == "betas" else f"{key}{i}", v)
                    for i, v in enumerate(value)
                ]
                if isinstance(value, tuple)
                else [(key, value)]
            )
            for name, v in pairs:
                numeric = isinstance(v, np.ndarray) or (
                    isinstance(v, int | float) and not isinstance(v, bool)
                )
                if not numeric or not where:
                    continue
                col = out.setdefault(name, np.full(R, np.nan))
                col[where] = v
                if isinstance(v, np.ndarray) and name not in swept:
                    swept.append(name)
    return out, swept
