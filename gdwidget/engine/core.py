"""Many runs of gradient descent stepped together.

All runs (several optimizers, several starts each) live in one parameter array
of shape ``(n_runs, n_params)`` on the chosen device; each optimizer owns a
contiguous block of rows. A step is: each optimizer's learning rate for this
update (computed and checked once), one optimizer step per block, one objective
call for every run. Per-run stop rules (gradient norm, loss change), divergence
(NaN, Inf) and a schedule that fails freeze runs where they stopped while the
others go on.

A step happens completely or not at all: if it raises (the objective, a Hessian
estimate, Ctrl-C), the run is rolled back to the step before and the completed
steps are kept (:class:`~gdwidget.engine.results.ObjectiveError` ``.chunk``, or the
``gdwidget_chunk`` attribute of a KeyboardInterrupt / SystemExit).

Steps are recorded on the device and brought to the host once per
:meth:`Run.advance` call, as a :class:`~gdwidget.engine.results.Chunk`; :func:`run` joins
the chunks into a :class:`~gdwidget.engine.results.History`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import check_int, check_real
from ..backend import Backend, get_backend, to_numpy
from ..objectives.base import Objective
from ..optim.base import Optimizer
from ._rollback import Snapshots, copy_tree
from .batches import Batches
from .inputs import _as_objective, _as_optimizers, _starts, each_run
from .rates import Rates
from .results import (
    BLOWUP_FACTOR,
    BLOWUP_FLOOR,
    RUNNING,
    Chunk,
)
from .status import RunStatus
from .stepping import MAX_STEPS, Stepping

__all__ = ["Run"]

#: what :meth:`Run.state` copies: all that the next steps depend on but the settings
_STATE = (
    "params", "states", "t", "loss", "grad", "_gnorm", "_batch", "_batches", "_status",
    "_stop_step", "_blowup", "_blowup_above", "_group_error", "_last_eval_loss", "_broken",
    "batch_size", "eval_every",
)  # fmt: skip


class Run(Rates, Stepping, RunStatus):
    """Several optimizers racing on one objective, from one or several starts, stepped together.

    Parameters
    ----------
    objective : Objective or str
        What to minimize (a test function, ``gd.Function``, a model, or a function name).
    optimizers : Optimizer or dict of str to Optimizer
        One block of runs per optimizer, labelled by the dict keys.
    start : array_like, optional
        ``(n_params,)`` for one start shared by every optimizer, or
        ``(n_starts, n_params)`` for several starts each; default the objective's
        (for models, ``objective.init_params(seed)``).
    device : {"cpu", "gpu", "auto"}
    dtype : {"float64", "float32"}
    grad_tol : float
        A run has converged when the norm of its gradient is at most this (0: never).
    loss_tol : float
        A run has converged when its loss changes by at most this in one step (0: never).
        With mini-batches (``batch_size`` not None) one batch's gradient and loss say
        nothing about convergence: both rules then use the full-data evaluations
        (every ``eval_every`` steps): the norm of the full-data gradient, and the change
        of the full-data loss since the previous evaluation. With ``eval_every=0`` they
        are off.
    batch_size : int, optional
        For objectives on data: ``None`` for the full batch, ``1`` for stochastic,
        ``k`` for mini-batches. Every run sees the same batches, reshuffled each epoch.
    seed : int
        Seed of the batch order.
    record_params : bool, optional
        Record every run's parameters at every step (default: when ``n_params <= 1024``).
    validation : Objective, optional
        The same model on held-out data (``gd.models.mlp(X_val, y_val, ...)``): its loss,
        and its accuracy for classifiers, is evaluated with the training ones.
    eval_every : int, optional
        Evaluate the full-data training loss (and accuracy), and the validation ones, every
        this many steps (0: never). Default: once an epoch for mini-batch runs; every step
        for full-batch runs with ``validation``; never otherwise. ``evals["epoch"]`` counts
        the epochs completed when each evaluation was taken.
    """

    def __init__(
        self,
        objective: Any,
        optimizers: Any,
        start: Any = None,
        *,
        device: str | Backend = "auto",
        dtype: Any = "float64",
        grad_tol: float = 0.0,
        loss_tol: float = 0.0,
        batch_size: int | None = None,
        seed: int = 0,
        record_params: bool | None = None,
        validation: Any = None,
        eval_every: int | None = None,
    ) -> None:
        self.objective = _as_objective(objective)
        self.optimizers = _as_optimizers(optimizers)
        self.backend = get_backend(device, dtype)
        self.xp = self.backend.xp
        self.grad_tol = check_real("grad_tol", grad_tol, low=0.0)
        self.loss_tol = check_real("loss_tol", loss_tol, low=0.0)
        self.seed = check_int("seed", seed, low=0, high=2**63 - 1)
        self.batch_size = self._check_batch_size(batch_size)
        starts = _starts(self.objective, start, self.seed)
        self.n_params = self.objective.n_params
        self.record_params = self.n_params <= 1024 if record_params is None else bool(record_params)
        self.validation = self._check_validation(validation)
        self._eval_every_arg = eval_every
        self.eval_every = self._check_eval_every(eval_every, self.batch_size)
        #: optional ``params (n_runs, n_params) -> (n_runs, 2)`` on the device, recorded each
        #: step as ``Chunk.xy``: how a widget follows models too large to record whole
        self.project: Any = None
        # the evaluated keys do not depend on whether this run evaluates now
        # (set_batch_size may turn evaluation on later): the same keys in every chunk
        self._eval_keys = [
            f"{prefix}_{what}"
            for prefix, obj in self._eval_objectives()
            for what in ("loss", "acc")
            if what == "loss" or getattr(obj, "task", None) == "classification"
        ]

        self.labels: list[str] = []
        self.groups: list[str] = []
        self.slices: dict[str, slice] = {}
        for label, rows in _group_rows(self.optimizers, starts.shape[0]).items():
            first = len(self.labels)
            self.slices[label] = slice(first, first + rows)
            self.labels += [label] if rows == 1 else [f"{label}[{j}]" for j in range(rows)]
            self.groups += [label] * rows
        self.n_runs = len(self.labels)
        self._starts = starts
        self.reset()

    # -- set-up ------------------------------------------------------------------------
    def _check_batch_size(self, batch_size: Any) -> int | None:
        if batch_size is None:
            return None
        n = self.objective.n_examples
        if n is None:
            raise ValueError(
                f"batch_size={batch_size!r} needs an objective on data; {self.objective.name} "
                "is a closed-form function (use batch_size=None)"
            )
        b = check_int("batch_size", batch_size, low=1)
        if b > n:
            raise ValueError(f"batch_size must be <= the number of examples ({n}), got {b}")
        return b

    def _check_validation(self, validation: Any) -> Objective | None:
        from ..models import check_validation  # noqa: PLC0415

        return check_validation(self.objective, validation)

    def _check_eval_every(self, eval_every: Any, batch_size: int | None) -> int:
        if eval_every is not None:  # 0 turns evaluation off
            return check_int("eval_every", eval_every, low=0, high=MAX_STEPS)
        if batch_size is not None:  # one epoch: the batches that fit in the data
            return max(1, self.objective.n_examples // batch_size)
        return 1 if self.validation is not None else 0

    def _group(self, group: Any) -> Optimizer:
        if group not in self.optimizers:
            raise ValueError(f"unknown optimizer label {group!r}; labels: {list(self.optimizers)}")
        return self.optimizers[group]

    # -- evaluation --------------------------------------------------------------------
    def _eval_objectives(self) -> list[tuple[str, Objective]]:
        pairs = [("train", self.objective)]
        if self.validation is not None:
            pairs.append(("val", self.validation))
        return pairs

    def _evaluate(self, params: Any, with_grad: bool = False) -> tuple[dict[str, Any], Any]:
        """Full-data losses (and accuracies of classifiers) of every run, on the device,
        and the norm of the full-data training gradient when ``with_grad``."""
        out: dict[str, Any] = {}
        gnorm = None
        for prefix, obj in self._eval_objectives():
            if with_grad and prefix == "train":
                out["train_loss"], grad = obj.value_and_grad(params, None)
                gnorm = self.xp.sqrt(self.xp.sum(grad * grad, axis=-1))
            else:
                out[f"{prefix}_loss"] = obj.value(params)
            if getattr(obj, "task", None) == "classification":
                out[f"{prefix}_acc"] = obj.accuracy(params)
        return out, gnorm

    def _evals_chunk(self, records: list[tuple[int, int, dict[str, Any]]]) -> Any:
        """Evaluations kept on the device, brought to the host in one transfer per kind."""
        if not self.eval_every:
            return None
        evals: dict[str, np.ndarray] = {
            "step": np.array([r[0] for r in records], dtype=np.int64),
            "epoch": np.array([r[1] for r in records], dtype=np.int64),
        }
        for key in self._eval_keys:
            if records:
                stacked = self.xp.stack([r[2][key] for r in records], axis=0)
                evals[key] = np.array(to_numpy(stacked), dtype=np.float64)
            else:
                evals[key] = np.empty((0, self.n_runs))
        return evals

    # -- reset -------------------------------------------------------------------------
    def _check_start(self, start: Any) -> np.ndarray:
        starts = _starts(self.objective, start, self.seed)
        n = starts.shape[0]
        rows = {sl.stop - sl.start for sl in self.slices.values()}
        if n != 1 and rows != {n} and n != self.n_runs:
            sizes = " or ".join(str(r) for r in sorted({1, *rows, self.n_runs}))
            raise ValueError(f"start must give {sizes} points, got {n}")
        return starts

    def reset(self, start: Any = None) -> Chunk:
        """Back to step 0, optionally from a new start; returns the step-0 row.

        ``start`` may also give one point per run, ``(n_runs, n_params)`` (each run's start
        on its own). A start where the objective raises or is not finite raises ValueError
        and leaves the run exactly as it was (step, parameters, optimizer states, batch order).
        """
        starts = self._starts if start is None else self._check_start(start)
        fresh, chunk = self._fresh(starts)
        self.__dict__.update(fresh)  # commit: nothing above changed the run
        self._starts = starts
        self._sync_status()
        return chunk

    def _fresh(self, starts: np.ndarray) -> tuple[dict[str, Any], Chunk]:
        """Everything a reset sets, computed without touching the run, and the step-0 row."""
        xp = self.xp
        params = self.backend.asarray(each_run(starts, self.slices, self.n_runs))
        batches = Batches(xp, self.objective.n_examples, self.batch_size, self.seed)
        try:
            with np.errstate(all="ignore"):  # a start outside the domain is a ValueError
                batch = batches.next()
                loss, grad = self.objective.value_and_grad(params, batch)
                first_eval = self._evaluate(params)[0] if self.eval_every else {}
                xy = None if self.project is None else self.project(params)
        except Exception as exc:
            raise ValueError(
                f"the objective failed at the start point: {type(exc).__name__}: {exc}"
            ) from exc
        if not bool(xp.all(xp.isfinite(loss))):
            raise ValueError("the loss is not finite at the start point")
        states = {lb: opt.init(params[self.slices[lb], ...]) for lb, opt in self.optimizers.items()}
        gnorm = xp.sqrt(xp.sum(grad * grad, axis=-1))
        # the rates of the first update (a schedule that fails here stops its group at 0)
        rates, errors = self._compute_rates(0, {}, None)
        status, stop = self._stop_groups(
            xp.zeros((self.n_runs,), dtype=xp.int32),
            xp.full((self.n_runs,), -1, dtype=xp.int32),
            errors,
            0,
        )
        fresh: dict[str, Any] = {
            "params": params,
            "states": states,
            "t": 0,
            "loss": loss,
            "grad": grad,
            "_gnorm": gnorm,
            "_batch": batch,
            "_batches": batches,
            "_status": status,
            "_stop_step": stop,
            "_blowup": xp.full((self.n_runs,), -1, dtype=xp.int32),
            "_blowup_above": BLOWUP_FACTOR * xp.maximum(xp.abs(loss), BLOWUP_FLOOR),
            "_group_error": errors,
            "_rates": (0, rates, self._lr_row(rates, errors)),
            "_last_eval_loss": first_eval.get("train_loss"),
            "_snapshots": Snapshots(states),
            "_broken": None,
        }
        chunk = self._chunk(
            np.zeros(1, np.int64),
            loss[None, :],
            params[None, ...] if self.record_params else None,
            gnorm[None, :],
            self._lr_row(rates, errors)[None, :],
        )
        chunk.evals = self._evals_chunk([(0, 0, first_eval)] if self.eval_every else [])
        if xy is not None:
            chunk.xy = np.array(to_numpy(xy), dtype=np.float64)[None]
        return fresh, chunk

    # -- controls ----------------------------------------------------------------------
    def set_batch_size(self, batch_size: int | None) -> None:
        """Switch between full batch (``None``), stochastic (1) and mini-batch from the next step.

        The batch order starts a new shuffle; the default evaluation period follows.
        """
        b = self._check_batch_size(batch_size)
        every = self._check_eval_every(self._eval_every_arg, b)
        self.batch_size, self.eval_every = b, every
        self._batches.set_size(b)

    def redraw_batch(self) -> None:
        """Draw the next batch now and recompute the loss and gradient at the current point.

        The gradient the next step uses was computed on the batch drawn at the end of the
        previous step; after :meth:`set_batch_size` call this for the next step to use a
        batch of the new size. Stopped runs keep their recorded loss. If the objective
        raises, the run is left as it was.
        """
        xp = self.xp
        saved = self._batches.save()
        try:
            batch = self._batches.next()
            loss, grad = self.objective.value_and_grad(self.params, batch)
        except BaseException:
            self._batches.restore(saved)
            raise
        self._batch, self.grad = batch, grad
        self.loss = xp.where(self._status == RUNNING, loss, self.loss)

    # -- snapshots (time travel) -----------------------------------------------------
    def state(self) -> dict[str, Any]:
        """A copy of everything the next steps depend on, but the settings.

        Parameters, optimizer states, the step, the batch order (with its generator), the
        statuses and the batch size. The optimizers' hyperparameters are not in it: a
        :meth:`restore` goes on with the settings in force then.
        """
        return {name: copy_tree(getattr(self, name)) for name in _STATE}

    def restore(self, state: dict[str, Any]) -> None:
        """Put the run back to a :meth:`state` (the copy is copied again: reusable)."""
        self.__dict__.update(copy_tree(state))
        self._snapshots = Snapshots(self.states)
        self._rates = None  # computed again from the settings in force
        self._sync_status()


def _group_rows(optimizers: dict[str, Optimizer], n_starts: int) -> dict[str, int]:
    """Each group's rows: its ``n_runs`` (per-run hyperparameters), else one per start."""
    out = {}
    for label, opt in optimizers.items():
        n = opt.n_runs
        if n is not None and n_starts not in (1, n):
            raise ValueError(
                f"optimizer {label!r} has {n} runs (per-run hyperparameters), so start must "
                f"give 1 or {n} points, got {n_starts}"
            )
        out[label] = n_starts if n is None else n
    return out
