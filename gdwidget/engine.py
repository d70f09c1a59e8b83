"""Many runs of gradient descent stepped together.

All runs (several optimizers, several starts each) live in one parameter array
of shape ``(n_runs, n_params)`` on the chosen device; each optimizer owns a
contiguous block of rows. A step is one objective call for every run, then one
optimizer step per block. Per-run stop rules (gradient norm, loss change) and
divergence (NaN, Inf) freeze a run where it stopped while the others go on.

Steps are recorded on the device and brought to the host once per
:meth:`Run.advance` call, as a :class:`Chunk`; :func:`run` joins the chunks into
a :class:`History`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._checks import check_int, check_real
from .backend import Backend, Random, get_backend, to_numpy
from .objectives.base import Objective
from .optim.base import Optimizer

log = logging.getLogger("gdwidget")

RUNNING, CONVERGED, DIVERGED = 0, 1, 2
STATUS_NAMES = ("running", "converged", "diverged")


class ObjectiveError(RuntimeError):
    """The objective raised during a run. ``chunk`` holds the rows completed before it."""

    def __init__(self, message: str, chunk: Chunk) -> None:
        super().__init__(message)
        self.chunk = chunk


@dataclass
class Chunk:
    """Consecutive recorded steps, on the host.

    ``loss[i, r]`` is the loss of run ``r`` after ``steps[i]`` updates (step 0 is
    the start), ``params[i, r]`` its parameters then, ``grad_norm[i, r]`` the norm
    of the gradient there, and ``lr[i, r]`` the learning rate of the update that
    led there (the first update's rate at step 0).
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
        self.seed = check_int("seed", seed)
        self.batch_size = self._check_batch_size(batch_size)
        starts = _starts(self.objective, start, self.seed)
        self.n_params = self.objective.n_params
        self.record_params = self.n_params <= 1024 if record_params is None else bool(record_params)
        self.validation = self._check_validation(validation)
        self._eval_every_arg = eval_every
        self.eval_every = self._check_eval_every(eval_every)
        #: optional ``params (n_runs, n_params) -> (n_runs, 2)`` on the device, recorded each
        #: step as ``Chunk.xy``: how a widget follows models too large to record whole
        self.project: Any = None

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

    def _check_eval_every(self, eval_every: Any) -> int:
        if eval_every is not None:  # 0 turns evaluation off
            return check_int("eval_every", eval_every, low=0)
        if self.batch_size is not None:  # one epoch: the batches that fit in the data
            return max(1, self.objective.n_examples // self.batch_size)
        return 1 if self.validation is not None else 0

    # -- evaluation --------------------------------------------------------------------
    def _eval_objectives(self) -> list[tuple[str, Objective]]:
        pairs = [("train", self.objective)]
        if self.validation is not None:
            pairs.append(("val", self.validation))
        return pairs

    def _evaluate(self) -> dict[str, Any]:
        """Full-data losses (and accuracies of classifiers) of every run, on the device."""
        out: dict[str, Any] = {}
        for prefix, obj in self._eval_objectives():
            out[f"{prefix}_loss"] = obj.value(self.params)
            if getattr(obj, "task", None) == "classification":
                out[f"{prefix}_acc"] = obj.accuracy(self.params)
        return out

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

    def _start_array(self, start: Any) -> np.ndarray:
        if start is not None:
            self._starts = _starts(self.objective, start, self.seed)
            if self._starts.shape[0] not in (1, self.n_runs // len(self.optimizers)):
                raise ValueError(
                    f"start must give 1 or {self.n_runs // len(self.optimizers)} points, "
                    f"got {self._starts.shape[0]}"
                )
        per_group = self.n_runs // len(self.optimizers)
        s = np.broadcast_to(self._starts, (per_group, self.n_params))
        return np.concatenate([s] * len(self.optimizers), axis=0)

    def reset(self, start: Any = None) -> Chunk:
        """Back to step 0, optionally from a new start; returns the step-0 row."""
        xp = self.xp
        self.params = self.backend.asarray(self._start_array(start))
        self.states = {
            lb: opt.init(self.params[self.slices[lb], ...]) for lb, opt in self.optimizers.items()
        }
        self.t = 0
        self._rng = Random(xp, self.seed)
        self._order: Any = None
        self._pos = 0
        self.epoch = 0
        self._status = xp.zeros((self.n_runs,), dtype=xp.int32)
        self._stop_step = xp.full((self.n_runs,), -1, dtype=xp.int32)
        self._host_status = np.zeros(self.n_runs, dtype=np.int32)
        self._host_stop = np.full(self.n_runs, -1, dtype=np.int64)
        try:
            self._batch = self._next_batch()
            self.loss, self.grad = self.objective.value_and_grad(self.params, self._batch)
            first_eval = self._evaluate() if self.eval_every else {}
        except Exception as exc:
            raise ValueError(f"the objective failed at the start point: {exc}") from exc
        bad = ~xp.isfinite(self.loss)
        if bool(xp.any(bad)):
            raise ValueError("the loss is not finite at the start point")
        gnorm = xp.sqrt(xp.sum(self.grad * self.grad, axis=-1))
        # the keys do not depend on whether this run evaluates now (set_batch_size may turn
        # evaluation on later): the same keys in every chunk
        self._eval_keys = [
            f"{prefix}_{what}"
            for prefix, obj in self._eval_objectives()
            for what in ("loss", "acc")
            if what == "loss" or getattr(obj, "task", None) == "classification"
        ]
        chunk = self._chunk(
            np.zeros(1, np.int64),
            self.loss[None, :],
            self.params[None, ...] if self.record_params else None,
            gnorm[None, :],
            self._lr_row(0)[None, :],
        )
        chunk.evals = self._evals_chunk([(0, 0, first_eval)] if self.eval_every else [])
        if self.project is not None:
            chunk.xy = np.array(to_numpy(self.project(self.params)), dtype=np.float64)[None]
        return chunk

    # -- batches -----------------------------------------------------------------------
    def _next_batch(self) -> Any:
        if self.batch_size is None:
            return None
        n = self.objective.n_examples
        if self._order is None or self._pos + self.batch_size > n:
            if self._order is not None:
                self.epoch += 1
            self._order = self.xp.asarray(self._rng.permutation(n))
            self._pos = 0
        batch = self._order[self._pos : self._pos + self.batch_size]
        self._pos += self.batch_size
        return batch

    # -- controls ----------------------------------------------------------------------
    def set_lr(self, group: str, value: Any) -> None:
        """Set optimizer ``group``'s learning rate (a float or a schedule) from the next step."""
        if group not in self.optimizers:
            raise ValueError(f"unknown optimizer label {group!r}; labels: {list(self.optimizers)}")
        from ._checks import check_lr  # noqa: PLC0415

        self.optimizers[group].lr = check_lr(value)

    def set_batch_size(self, batch_size: int | None) -> None:
        """Switch between full batch (``None``), stochastic (1) and mini-batch from the next step.

        The batch order starts a new shuffle; the default evaluation period follows.
        """
        self.batch_size = self._check_batch_size(batch_size)
        self.eval_every = self._check_eval_every(self._eval_every_arg)
        self._order = None
        self._pos = 0

    def redraw_batch(self) -> None:
        """Draw the next batch now and recompute the loss and gradient at the current point.

        The gradient the next step uses was computed on the batch drawn at the end of the
        previous step; after :meth:`set_batch_size` call this for the next step to use a
        batch of the new size. Stopped runs keep their recorded loss.
        """
        xp = self.xp
        self._batch = self._next_batch()
        loss, grad = self.objective.value_and_grad(self.params, self._batch)
        self.loss = xp.where(self._status == RUNNING, loss, self.loss)
        self.grad = grad

    @property
    def status(self) -> list[str]:
        return [STATUS_NAMES[int(s)] for s in self._host_status]

    @property
    def stop_step(self) -> np.ndarray:
        return self._host_stop.copy()

    @property
    def done(self) -> bool:
        return bool(np.all(self._host_status != RUNNING))

    # -- stepping ----------------------------------------------------------------------
    def _lr_row(self, t: int) -> np.ndarray:
        row = np.empty(self.n_runs)
        for label, opt in self.optimizers.items():
            row[self.slices[label]] = opt.lr_at(t)
        return row

    def _chunk(self, steps, loss, params, gnorm, lr) -> Chunk:
        # the one place where recorded steps leave the device
        return Chunk(
            steps=steps,
            loss=np.array(to_numpy(loss), dtype=np.float64),
            params=None if params is None else np.array(to_numpy(params), dtype=np.float64),
            grad_norm=np.array(to_numpy(gnorm), dtype=np.float64),
            lr=lr,
        )

    def advance(self, n: int) -> Chunk:
        """Take up to ``n`` steps (fewer if every run stops) and return them as a Chunk.

        Raises
        ------
        ObjectiveError
            If the objective raises; its ``chunk`` holds the steps completed before.
        """
        n = check_int("n", n, low=0)
        xp = self.xp
        R, P = self.n_runs, self.n_params
        loss_buf = xp.empty((n, R), dtype=self.backend.dtype)
        gnorm_buf = xp.empty((n, R), dtype=self.backend.dtype)
        params_buf = xp.empty((n, R, P), dtype=self.backend.dtype) if self.record_params else None
        xy_buf = xp.empty((n, R, 2), dtype=self.backend.dtype) if self.project else None
        lr_buf = np.empty((n, R))
        steps = np.arange(self.t + 1, self.t + 1 + n, dtype=np.int64)
        done = 0
        records: list[tuple[int, int, dict[str, Any]]] = []
        error: BaseException | None = None
        check_every = 64  # how often the host looks at whether every run has stopped
        while done < n:
            lr_buf[done] = self._lr_row(self.t)
            try:
                with np.errstate(all="ignore"):  # divergence is an outcome here, not a fault
                    self._step()
            except Exception as exc:  # the user's objective or hessian estimate failed
                error = exc
                break
            loss_buf[done, ...] = self.loss
            gnorm_buf[done, ...] = self._gnorm
            if params_buf is not None:
                params_buf[done, ...] = self.params
            if xy_buf is not None:
                xy_buf[done, ...] = self.project(self.params)
            done += 1
            if self.eval_every and self.t % self.eval_every == 0:
                try:
                    records.append((self.t, self.epoch, self._evaluate()))
                except Exception as exc:
                    error = exc
                    break
            if done % check_every == 0 or done == n:
                self._sync_status()
                if self.done:
                    break
        self._sync_status()
        if self.done and done:
            # every run has stopped: the steps after the last stop changed nothing
            last = int(self._host_stop.max())
            done = max(0, min(done, last - int(steps[0]) + 1))
            self.t = last
        chunk = self._chunk(
            steps[:done],
            loss_buf[:done, ...],
            None if params_buf is None else params_buf[:done, ...],
            gnorm_buf[:done, ...],
            lr_buf[:done],
        )
        chunk.evals = self._evals_chunk([r for r in records if r[0] <= self.t])
        if xy_buf is not None:
            chunk.xy = np.array(to_numpy(xy_buf[:done, ...]), dtype=np.float64)
        if error is not None:
            raise ObjectiveError(
                f"the objective raised at step {self.t + 1}: {type(error).__name__}: {error}", chunk
            ) from error
        return chunk

    def _sync_status(self) -> None:
        self._host_status = np.asarray(to_numpy(self._status), dtype=np.int32)
        self._host_stop = np.asarray(to_numpy(self._stop_step), dtype=np.int64)

    def _step(self) -> None:
        xp = self.xp
        active = self._status == RUNNING
        prev = _copy(xp, self.params)
        prev_loss = self.loss
        for label, opt in self.optimizers.items():
            sl = self.slices[label]
            state = self.states[label]
            block = self.params[sl, ...]
            hessian = None
            if opt.hessian_every and state["step"] % opt.hessian_every == 0:
                hessian = opt.estimate_hessian(self.objective, block, state, batch=self._batch)
            opt.step(block, self.grad[sl, ...], state, hessian=hessian)
            if not _is_view_namespace(xp):
                self.params[sl, ...] = block
        self._batch = self._next_batch()
        loss, grad = self.objective.value_and_grad(self.params, self._batch)
        self.t += 1
        finite = xp.isfinite(loss) & xp.all(xp.isfinite(self.params), axis=-1)
        gnorm = xp.sqrt(xp.sum(grad * grad, axis=-1))
        newly_div = active & ~finite
        conv = xp.zeros_like(active)
        if self.grad_tol > 0:
            conv = conv | (gnorm <= self.grad_tol)
        if self.loss_tol > 0:
            conv = conv | (xp.abs(loss - prev_loss) <= self.loss_tol)
        newly_conv = active & finite & conv
        keep_new = active & ~newly_div
        self.params[...] = xp.where(keep_new[:, None], self.params, prev)
        # frozen runs keep their last loss; a run that diverges records the non-finite loss
        self.loss = xp.where(active, loss, prev_loss)
        self.grad = grad
        self._gnorm = xp.where(active, gnorm, xp.zeros_like(gnorm))
        stopped_now = newly_div | newly_conv
        code = self._status
        code = xp.where(newly_conv, xp.asarray(CONVERGED, dtype=code.dtype), code)
        self._status = xp.where(newly_div, xp.asarray(DIVERGED, dtype=code.dtype), code)
        self._stop_step = xp.where(
            stopped_now, xp.asarray(self.t, dtype=self._stop_step.dtype), self._stop_step
        )


def _copy(xp: Any, a: Any) -> Any:
    return a.copy() if hasattr(a, "copy") else xp.asarray(a, copy=True)


def _is_view_namespace(xp: Any) -> bool:
    """NumPy and CuPy slices are views: an in-place block step needs no copy back."""
    name = getattr(xp, "__name__", "")
    return name == "numpy" or name.split(".")[0] == "cupy"


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
        ``"running"`` (still going when the steps ran out), ``"converged"`` or ``"diverged"``.
    stop_step : ndarray of int
        The step at which each run stopped, -1 if it did not.
    optimizers : dict
        Each optimizer's description (name and hyperparameters).
    evals : dict of ndarray, or None
        Full-data evaluations (``eval_every``): ``step`` and ``epoch`` ``(n_evals,)``;
        ``train_loss``, ``val_loss``, ``train_acc``, ``val_acc`` ``(n_evals, n_runs)``
        where they apply. For mini-batch runs ``loss`` is each step's batch loss and
        ``evals["train_loss"]`` the loss on all the training data.
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

    @property
    def n_runs(self) -> int:
        return len(self.labels)

    @property
    def final_loss(self) -> np.ndarray:
        return self.loss[-1]

    def to_pandas(self) -> Any:
        """One row per step and run: step, run, optimizer, loss, grad_norm, lr, x0.., status."""
        cols = {"loss": self.loss, "grad_norm": self.grad_norm, "lr": self.lr}
        if self.params is not None:
            cols.update({f"x{j}": self.params[:, :, j] for j in range(self.params.shape[-1])})
        df = long_table(self.steps, self.labels, self.groups, cols)
        df["status"] = df["run"].map(dict(zip(self.labels, self.status, strict=True)))
        return df

    def evals_to_pandas(self) -> Any:
        """One row per evaluation and run: step, epoch, run, optimizer and the evaluated keys."""
        return evals_table(self.evals, self.labels, self.groups)

    def summary(self) -> list[dict[str, Any]]:
        """One dict per run: label, optimizer, status, stop step, final loss and point."""
        rows = []
        for r, label in enumerate(self.labels):
            row = {
                "run": label,
                "optimizer": self.groups[r],
                "status": self.status[r],
                "stop_step": int(self.stop_step[r]),
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


def run(
    objective: Any,
    optimizers: Any,
    start: Any = None,
    steps: int = 1000,
    *,
    device: str = "auto",
    dtype: Any = "float64",
    grad_tol: float = 0.0,
    loss_tol: float = 0.0,
    batch_size: int | None = None,
    seed: int = 0,
    record_params: bool | None = None,
    validation: Any = None,
    eval_every: int | None = None,
    progress: bool = False,
    chunk_size: int = 1000,
) -> History:
    """Run optimizers on an objective without a widget and return the History.

    Takes ``steps`` steps, or fewer once every run has converged or diverged.
    ``progress=True`` shows a tqdm progress bar (``pip install tqdm``). The other
    parameters are those of :class:`Run`.

    Examples
    --------
    >>> import gdwidget as gd
    >>> hist = gd.run(gd.functions.rosenbrock(), {"adam": gd.optim.adam(0.02)}, steps=500)
    >>> hist.loss.shape
    (501, 1)
    """
    steps = check_int("steps", steps, low=0)
    chunk_size = check_int("chunk_size", chunk_size, low=1)
    r = Run(
        objective,
        optimizers,
        start,
        device=device,
        dtype=dtype,
        grad_tol=grad_tol,
        loss_tol=loss_tol,
        batch_size=batch_size,
        seed=seed,
        record_params=record_params,
        validation=validation,
        eval_every=eval_every,
    )
    chunks = [r.reset()]
    bar = _progress(progress, steps)
    try:
        while r.t < steps and not r.done:
            chunk = r.advance(min(chunk_size, steps - r.t))
            chunks.append(chunk)
            if bar is not None:
                bar.update(len(chunk))
            if len(chunk) == 0:
                break
    finally:
        if bar is not None:
            bar.close()
    c = Chunk.concat(chunks)
    return History(
        loss=c.loss,
        params=c.params,
        grad_norm=c.grad_norm,
        lr=c.lr,
        steps=c.steps,
        labels=list(r.labels),
        groups=list(r.groups),
        status=r.status,
        stop_step=r.stop_step,
        optimizers={lb: opt.describe() for lb, opt in r.optimizers.items()},
        device=r.backend.device,
        evals=c.evals,
    )


def _progress(enabled: bool, total: int) -> Any:
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm  # noqa: PLC0415
    except ImportError:
        log.warning("progress=True needs tqdm (pip install tqdm); running without a bar")
        return None
    return tqdm(total=total, unit="step", desc="gdwidget")
