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
steps are kept (:class:`~gdwidget.results.ObjectiveError` ``.chunk``, or the
``gdwidget_chunk`` attribute of a KeyboardInterrupt / SystemExit).

Steps are recorded on the device and brought to the host once per
:meth:`Run.advance` call, as a :class:`~gdwidget.results.Chunk`; :func:`run` joins
the chunks into a :class:`~gdwidget.results.History`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ._checks import check_int, check_lr, check_real
from ._rollback import Snapshots
from .backend import Backend, get_backend, to_numpy
from .batches import Batches
from .objectives.base import Objective
from .optim.base import LRError, Optimizer
from .results import (
    BLOWUP_FACTOR,
    BLOWUP_FLOOR,
    CONVERGED,
    DIVERGED,
    RUNNING,
    STATUS_NAMES,
    STOPPED,
    Chunk,
    History,
    ObjectiveError,
    evals_table,
    long_table,
    run_note,
)

__all__ = [
    "Run",
    "run",
    "Chunk",
    "History",
    "ObjectiveError",
    "long_table",
    "evals_table",
    "STATUS_NAMES",
    "RUNNING",
    "CONVERGED",
    "DIVERGED",
    "STOPPED",
]

#: the most steps one call may ask for (``advance``, ``gd.run``)
MAX_STEPS = 10**12
#: the most bytes of rows one ``advance`` call may record (ask for fewer steps at a time)
MAX_CHUNK_BYTES = 2**31
#: optimizer states up to this many numbers are copied before each step, so that a step
#: that raises is undone; a larger run that is interrupted mid-step needs a ``reset()``
ROLLBACK_MAX_ELEMENTS = 1_000_000


def _as_optimizers(optimizers: Any) -> dict[str, Optimizer]:
    if isinstance(optimizers, Optimizer):
        return {optimizers.name: optimizers}
    if not isinstance(optimizers, Mapping) or not optimizers:
        raise ValueError(
            "optimizers must be an optimizer or a non-empty dict {label: optimizer}, "
            f"got {optimizers!r}"
        )
    out: dict[str, Optimizer] = {}
    for label, opt in optimizers.items():
        if not isinstance(label, str) or not label:
            raise ValueError(f"optimizer labels must be non-empty strings, got {label!r}")
        if not isinstance(opt, Optimizer):
            raise ValueError(
                f"optimizers[{label!r}] must be a gdwidget optimizer such as "
                f"gd.optim.adam(0.01), got {opt!r}"
            )
        out[label] = opt
    return out


def _as_objective(objective: Any) -> Objective:
    if isinstance(objective, Objective):
        return objective
    if isinstance(objective, str):
        from .objectives import functions  # noqa: PLC0415

        return functions.get(objective)
    raise ValueError(
        "objective must be a gdwidget objective (gd.functions.rosenbrock(), gd.Function(...), "
        f"a model) or a function name, got {objective!r}"
    )


def _starts(objective: Objective, start: Any, seed: int = 0) -> np.ndarray:
    """Start points as a host array ``(n_starts, n_params)``."""
    if start is None and objective.default_start is None and hasattr(objective, "init_params"):
        start = objective.init_params(seed)  # models: their own initialization
    if start is None:
        if objective.default_start is None:
            raise ValueError(f"start is required: {objective.name} has no default start")
        start = objective.default_start
    try:
        s = np.asarray(to_numpy(start) if not isinstance(start, list | tuple) else start)
        kind = s.dtype.kind
        s = s.astype(np.float64) if kind in "biuf" else s
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"start must be numbers, got {start!r}") from None
    if kind == "c":
        raise ValueError(f"start must be real numbers, got complex values {start!r}")
    if kind not in "biuf":
        raise ValueError(f"start must be numbers, got {start!r} (dtype {s.dtype})")
    if s.ndim == 1:
        s = s[None, :]
    if s.ndim != 2 or s.shape[1] != objective.n_params or s.shape[0] < 1:
        raise ValueError(
            f"start must have shape ({objective.n_params},) or (n_starts, {objective.n_params}) "
            f"for {objective.name}, got shape {np.shape(start)}"
        )
    if not np.all(np.isfinite(s)):
        raise ValueError(f"start must be finite, got {start!r}")
    return s


class Run:
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

        n_starts = starts.shape[0]
        self.labels: list[str] = []
        self.groups: list[str] = []
        self.slices: dict[str, slice] = {}
        for i, label in enumerate(self.optimizers):
            self.slices[label] = slice(i * n_starts, (i + 1) * n_starts)
            for j in range(n_starts):
                self.labels.append(label if n_starts == 1 else f"{label}[{j}]")
                self.groups.append(label)
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
        if validation is None:
            return None
        if not isinstance(validation, Objective):
            raise ValueError(
                "validation must be the same model built on the validation data, such as "
                f"gd.models.logistic_regression(X_val, y_val), got {validation!r}"
            )
        if validation.n_params != self.objective.n_params:
            raise ValueError(
                f"validation has {validation.n_params} parameters but the objective has "
                f"{self.objective.n_params}: build it with the same model and sizes"
            )
        return validation

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
        per_group = self.n_runs // len(self.optimizers)
        if starts.shape[0] not in (1, per_group):
            raise ValueError(f"start must give 1 or {per_group} points, got {starts.shape[0]}")
        return starts

    def reset(self, start: Any = None) -> Chunk:
        """Back to step 0, optionally from a new start; returns the step-0 row.

        A start where the objective raises or is not finite raises ValueError and leaves
        the run exactly as it was (step, parameters, optimizer states, batch order).
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
        per_group = self.n_runs // len(self.optimizers)
        rows = np.broadcast_to(starts, (per_group, self.n_params))
        params = self.backend.asarray(np.concatenate([rows] * len(self.optimizers), axis=0))
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
            "_rates": (0, rates, self._lr_row(rates)),
            "_last_eval_loss": first_eval.get("train_loss"),
            "_snapshots": Snapshots(states),
            "_broken": None,
        }
        chunk = self._chunk(
            np.zeros(1, np.int64),
            loss[None, :],
            params[None, ...] if self.record_params else None,
            gnorm[None, :],
            self._lr_row(rates)[None, :],
        )
        chunk.evals = self._evals_chunk([(0, 0, first_eval)] if self.eval_every else [])
        if xy is not None:
            chunk.xy = np.array(to_numpy(xy), dtype=np.float64)[None]
        return fresh, chunk

    # -- controls ----------------------------------------------------------------------
    def set_lr(self, group: str, value: Any) -> None:
        """Set optimizer ``group``'s learning rate from the next step, and its scale to 1.

        A number sets a constant rate; a schedule (a callable ``step -> lr``) replaces
        the schedule. A value whose rate at the next step is not a number >= 0 raises
        ValueError and changes nothing.
        """
        opt = self._group(group)
        value = check_lr(value)
        self._change_lr(group, opt, value, 1.0)

    def scale_lr(self, group: str, factor: float) -> None:
        """Multiply optimizer ``group``'s rate or schedule by ``factor`` from the next step.

        Sets ``lr_scale`` (not cumulative: ``scale_lr(g, 2)`` twice still doubles the
        rate once); ``set_lr`` puts it back to 1. ``factor`` must be finite and > 0.
        """
        opt = self._group(group)
        factor = check_real("factor", factor, low=0.0, low_open=True)
        self._change_lr(group, opt, opt.lr, factor)

    def _change_lr(self, group: str, opt: Optimizer, lr: Any, scale: float) -> None:
        old = (opt.lr, opt.lr_scale)
        opt.lr, opt.lr_scale = lr, scale
        if group not in self._group_error:
            try:
                opt.checked_lr_at(self.t)
            except LRError as exc:
                opt.lr, opt.lr_scale = old
                raise ValueError(f"the new learning rate of {group!r} {exc}") from None
        self._rates = None  # the next step computes the rates again

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

    # -- state -------------------------------------------------------------------------
    @property
    def status(self) -> list[str]:
        """Each run's status: running, converged, diverged or stopped (its schedule failed)."""
        return [STATUS_NAMES[int(s)] for s in self._host_status]

    @property
    def stop_step(self) -> np.ndarray:
        """The step at which each run stopped (-1: still running)."""
        return self._host_stop.copy()

    @property
    def blowup_step(self) -> np.ndarray:
        """The first step where each run's loss exceeded 1000 times its start loss (-1: never)."""
        return self._host_blowup.copy()

    @property
    def overflow_step(self) -> np.ndarray:
        """The step where each diverged run's loss or parameters stopped being finite, else -1."""
        return np.where(self._host_status == DIVERGED, self._host_stop, -1)

    @property
    def notes(self) -> list[str | None]:
        """Each run's note: its schedule's error (status "stopped"), where it diverged, or None.

        ``"the schedule of 'adam' gave lr=-1 at step 5"``,
        ``"diverged: loss ×1000 above its start from step 12, overflow at step 171"``.
        """
        return [
            run_note(
                STATUS_NAMES[int(self._host_status[r])],
                int(self._host_stop[r]),
                int(self._host_blowup[r]),
                self._group_error.get(self.groups[r]),
            )
            for r in range(self.n_runs)
        ]

    @property
    def epoch(self) -> int:
        """Epochs completed (mini-batch runs)."""
        return self._batches.epoch

    @property
    def done(self) -> bool:
        return bool(np.all(self._host_status != RUNNING))

    def _sync_status(self) -> None:
        self._host_status = np.asarray(to_numpy(self._status), dtype=np.int32)
        self._host_stop = np.asarray(to_numpy(self._stop_step), dtype=np.int64)
        self._host_blowup = np.asarray(to_numpy(self._blowup), dtype=np.int64)

    # -- learning rates ----------------------------------------------------------------
    def _compute_rates(
        self, t: int, errors: dict[str, str], before: dict[str, float | None] | None
    ) -> tuple[dict[str, float | None], dict[str, str]]:
        """Each group's rate of update ``t`` (None for a stopped group), and the groups'
        errors including the schedules that fail now. Changes nothing.

        ``before``: the rates of the previous update, if nothing changed them since; a
        constant rate is taken from there."""
        rates: dict[str, float | None] = {}
        errors = dict(errors)
        for label, opt in self.optimizers.items():
            rates[label] = None
            if label in errors:
                continue
            if before is not None and before[label] is not None and not callable(opt.lr):
                rates[label] = before[label]  # a constant rate, checked when it was set
                continue
            try:
                rates[label] = opt.checked_lr_at(t)
            except LRError as exc:
                errors[label] = f"the schedule of {label!r} {exc}"
        return rates, errors

    def _stop_groups(self, status: Any, stop: Any, errors: dict[str, str], t: int) -> Any:
        """``status`` and ``stop`` with the running runs of the ``errors`` groups stopped at t."""
        if not errors:
            return status, stop
        xp = self.xp
        mask = np.zeros(self.n_runs, dtype=bool)
        for label in errors:
            mask[self.slices[label]] = True
        now = xp.asarray(mask) & (status == RUNNING)
        status = xp.where(now, xp.asarray(STOPPED, dtype=status.dtype), status)
        stop = xp.where(now, xp.asarray(t, dtype=stop.dtype), stop)
        return status, stop

    def _rates_for(self, t: int) -> tuple[dict[str, float | None], np.ndarray]:
        """The rates of update ``t``, computed once (a failing schedule stops its group),
        and as a row per run."""
        if self._rates is not None and self._rates[0] == t:
            return self._rates[1], self._rates[2]
        before = None if self._rates is None else self._rates[1]
        rates, errors = self._compute_rates(t, self._group_error, before)
        new = {k: v for k, v in errors.items() if k not in self._group_error}
        self._status, self._stop_step = self._stop_groups(self._status, self._stop_step, new, t)
        self._group_error = errors
        self._rates = (t, rates, self._lr_row(rates))
        return self._rates[1], self._rates[2]

    def _lr_row(self, rates: dict[str, float | None]) -> np.ndarray:
        row = np.empty(self.n_runs)
        for label, lr in rates.items():
            row[self.slices[label]] = np.nan if lr is None else lr
        return row

    # -- stepping ----------------------------------------------------------------------
    def advance(self, n: int) -> Chunk:
        """Take up to ``n`` steps (fewer if every run stops) and return them as a Chunk.

        Raises
        ------
        ObjectiveError
            If a step raises (the objective, a Hessian estimate); its ``chunk`` holds the
            steps completed before, and the run stays at the last of them.
        KeyboardInterrupt, SystemExit
            The same exception, re-raised with the completed steps attached as its
            ``gdwidget_chunk`` attribute; the run stays at the last of them.
        RuntimeError
            If an earlier step of a run too large to undo was interrupted (see ``reset``).
        """
        n = check_int("n", n, low=0, high=MAX_STEPS)
        if self._broken is not None:
            raise RuntimeError(self._broken)
        rec = _Rows(self, n)
        error: BaseException | None = None
        check_every = 64  # how often the host looks at whether every run has stopped
        try:
            while rec.done < n:
                self._transaction(rec)
                if rec.done % check_every == 0 or rec.done == n:
                    self._sync_status()
                    if self.done:
                        break
        except BaseException as exc:  # noqa: BLE001 -- re-raised below with the rows
            error = exc
        chunk = self._finish(rec)
        if error is None:
            return chunk
        if isinstance(error, Exception):
            raise ObjectiveError(
                f"the objective raised at step {self.t + 1}: {type(error).__name__}: {error}", chunk
            ) from error
        error.gdwidget_chunk = chunk  # type: ignore[attr-defined]
        raise error

    def _transaction(self, rec: _Rows) -> None:
        """One step and its row, completely or not at all."""
        k, n_records = rec.done, len(rec.records)
        saved = self._save()
        try:
            with np.errstate(all="ignore"):  # divergence is an outcome here, not a fault
                rates, row = self._rates_for(self.t)
                self._step(rates, saved["params"])
                rec.put(k, self, row)
                if self.eval_every and self.t % self.eval_every == 0:
                    rec.records.append((self.t, self.epoch, self._eval_step()))
            rec.done = k + 1  # the commit: one store, so an interrupt falls before or after
        except BaseException:
            if rec.done != k + 1:
                del rec.records[n_records:]
                self._restore(saved)
            raise

    def _save(self) -> dict[str, Any]:
        names = ("loss", "grad", "_gnorm", "_batch", "t", "_status", "_stop_step", "_blowup")
        saved = {name: getattr(self, name) for name in names}
        saved.update(
            params=_copy(self.xp, self.params),
            states=(
                self._snapshots.save() if self._snapshots.size <= ROLLBACK_MAX_ELEMENTS else None
            ),
            batches=self._batches.save(),
            _group_error=self._group_error,
            _rates=self._rates,
            _last_eval_loss=self._last_eval_loss,
        )
        return saved

    def _restore(self, saved: dict[str, Any]) -> None:
        saved = dict(saved)
        self.params[...] = saved.pop("params")
        self._batches.restore(saved.pop("batches"))
        states = saved.pop("states")
        if states is not None:
            self._snapshots.restore(states)
        elif self._broken is None:
            self._broken = (
                f"a step was interrupted in the middle of step {saved['t'] + 1} and this run's "
                f"optimizer states ({self._snapshots.size:,} numbers) are too large to "
                "copy before every step: call reset() to start again"
            )
        self.__dict__.update(saved)

    def _step(self, rates: dict[str, float | None], prev: Any) -> None:
        xp = self.xp
        active = self._status == RUNNING
        prev_loss = self.loss
        for label, opt in self.optimizers.items():
            lr = rates[label]
            if lr is None:  # stopped by its schedule
                continue
            sl = self.slices[label]
            state = self.states[label]
            block = self.params[sl, ...]
            hessian = None
            if opt.hessian_every and state["step"] % opt.hessian_every == 0:
                hessian = opt.estimate_hessian(self.objective, block, state, batch=self._batch)
            opt.step(block, self.grad[sl, ...], state, hessian=hessian, lr=lr)
            if not _is_view_namespace(xp):
                self.params[sl, ...] = block
        batch = self._batches.next()
        loss, grad = self.objective.value_and_grad(self.params, batch)
        t = self.t + 1
        finite = xp.isfinite(loss) & xp.all(xp.isfinite(self.params), axis=-1)
        gnorm = xp.sqrt(xp.sum(grad * grad, axis=-1))
        newly_div = active & ~finite
        conv = xp.zeros_like(active)
        if self.batch_size is None:  # mini-batches: see _eval_step
            if self.grad_tol > 0:
                conv = conv | (gnorm <= self.grad_tol)
            if self.loss_tol > 0:
                conv = conv | (xp.abs(loss - prev_loss) <= self.loss_tol)
        newly_conv = active & finite & conv
        blown = active & (self._blowup < 0) & (xp.abs(loss) > self._blowup_above)
        self.params[...] = xp.where((active & ~newly_div)[:, None], self.params, prev)
        # frozen runs keep their last loss; a run that diverges records the non-finite loss
        self.loss = xp.where(active, loss, prev_loss)
        self.grad = grad
        self._batch = batch
        self._gnorm = xp.where(active, gnorm, xp.zeros_like(gnorm))
        self._blowup = xp.where(blown, xp.asarray(t, dtype=self._blowup.dtype), self._blowup)
        self._mark(newly_conv, newly_div, t)
        self.t = t

    def _mark(self, newly_conv: Any, newly_div: Any, t: int) -> None:
        xp = self.xp
        code = self._status
        code = xp.where(newly_conv, xp.asarray(CONVERGED, dtype=code.dtype), code)
        self._status = xp.where(newly_div, xp.asarray(DIVERGED, dtype=code.dtype), code)
        self._stop_step = xp.where(
            newly_conv | newly_div, xp.asarray(t, dtype=self._stop_step.dtype), self._stop_step
        )

    def _eval_step(self) -> dict[str, Any]:
        """The full-data evaluation of this step; with mini-batches, also the stop rules."""
        xp = self.xp
        rules = self.batch_size is not None and (self.grad_tol > 0 or self.loss_tol > 0)
        ev, gnorm = self._evaluate(self.params, with_grad=rules and self.grad_tol > 0)
        if rules:
            loss = ev["train_loss"]
            conv = xp.zeros_like(self._status == RUNNING)
            if gnorm is not None:
                conv = conv | (gnorm <= self.grad_tol)
            if self.loss_tol > 0 and self._last_eval_loss is not None:
                conv = conv | (xp.abs(loss - self._last_eval_loss) <= self.loss_tol)
            conv = conv & (self._status == RUNNING) & xp.isfinite(loss)
            self._mark(conv, xp.zeros_like(conv), self.t)
        self._last_eval_loss = ev["train_loss"]
        return ev

    def _finish(self, rec: _Rows) -> Chunk:
        """The completed rows as a Chunk (on the host); trims the steps after every run stopped."""
        self._sync_status()
        done = rec.done
        if self.done and done:
            # every run has stopped: the steps after the last stop changed nothing
            last = int(self._host_stop.max())
            done = max(0, min(done, last - int(rec.steps[0]) + 1))
            self.t = last
        chunk = self._chunk(
            rec.steps[:done],
            rec.loss[:done, ...],
            None if rec.params is None else rec.params[:done, ...],
            rec.gnorm[:done, ...],
            rec.lr[:done],
        )
        chunk.evals = self._evals_chunk([r for r in rec.records if r[0] <= self.t])
        if rec.xy is not None:
            chunk.xy = np.array(to_numpy(rec.xy[:done, ...]), dtype=np.float64)
        return chunk

    def _chunk(self, steps, loss, params, gnorm, lr) -> Chunk:
        # the one place where recorded steps leave the device
        return Chunk(
            steps=steps,
            loss=np.array(to_numpy(loss), dtype=np.float64),
            params=None if params is None else np.array(to_numpy(params), dtype=np.float64),
            grad_norm=np.array(to_numpy(gnorm), dtype=np.float64),
            lr=lr,
        )


class _Rows:
    """The device buffers one ``advance`` call records its steps into."""

    def __init__(self, r: Run, n: int) -> None:
        xp, R, P = r.xp, r.n_runs, r.n_params
        per_step = R * (3 + (P if r.record_params else 0) + (2 if r.project else 0)) * 8
        if n * per_step > MAX_CHUNK_BYTES:
            raise ValueError(
                f"n={n:,} steps would record {n * per_step / 2**30:.1f} GiB at once; "
                f"advance by at most {MAX_CHUNK_BYTES // per_step:,} steps per call"
            )
        dtype = r.backend.dtype
        self.loss = xp.empty((n, R), dtype=dtype)
        self.gnorm = xp.empty((n, R), dtype=dtype)
        self.params = xp.empty((n, R, P), dtype=dtype) if r.record_params else None
        self.xy = xp.empty((n, R, 2), dtype=dtype) if r.project else None
        self.lr = np.empty((n, R))
        self.steps = np.arange(r.t + 1, r.t + 1 + n, dtype=np.int64)
        self.records: list[tuple[int, int, dict[str, Any]]] = []
        self.done = 0

    def put(self, k: int, r: Run, lr_row: np.ndarray) -> None:
        self.loss[k, ...] = r.loss
        self.gnorm[k, ...] = r._gnorm
        if self.params is not None:
            self.params[k, ...] = r.params
        if self.xy is not None:
            self.xy[k, ...] = r.project(r.params)
        self.lr[k] = lr_row


def _copy(xp: Any, a: Any) -> Any:
    return a.copy() if hasattr(a, "copy") else xp.asarray(a, copy=True)


def _is_view_namespace(xp: Any) -> bool:
    """NumPy and CuPy slices are views: an in-place block step needs no copy back."""
    name = getattr(xp, "__name__", "")
    return name == "numpy" or name.split(".")[0] == "cupy"


from .headless import run  # noqa: E402 -- headless builds on Run
