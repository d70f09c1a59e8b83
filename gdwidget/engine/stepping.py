"""One step of a :class:`~gdwidget.engine.Run`, and ``advance``: many steps as a Chunk.

A step is a transaction: the rates of this update (computed and checked once), one
optimizer step per group, the objective at the new point, the stop rules, the row. If
anything raises (the objective, a Hessian estimate, a schedule, Ctrl-C) the step is
undone from a copy taken before it, and ``advance`` hands over the completed rows.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

import numpy as np

from .._checks import check_int
from ..backend import to_numpy
from . import _race, _settle
from .results import CONVERGED, DIVERGED, RUNNING, Chunk, ObjectiveError

#: the most steps one call may ask for (``advance``, ``gd.run``)
MAX_STEPS = 10**12
#: the most bytes of rows one ``advance`` call may record (ask for fewer steps at a time)
MAX_CHUNK_BYTES = 2**31
#: optimizer states up to this many numbers are copied before each step, so that a step
#: that raises is undone; a larger run that is interrupted mid-step needs a ``reset()``
ROLLBACK_MAX_ELEMENTS = 1_000_000
#: the run's attributes a step replaces (rather than changes in place): kept by reference
_SAVED = ("loss", "grad", "_gnorm", "_batch", "t", "_status", "_stop_step", "_blowup")
_SAVED += ("_group_error", "_rates", "_last_eval_loss")
_saved_values = itemgetter(*_SAVED)


class Stepping:
    """The stepping half of :class:`~gdwidget.engine.Run` (its state is the Run's)."""

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
            self._plan = self._bind()
            self._steady_rates = None  # see Rates._rates_for
            self._settle_args = _settle.constants(self)
            misses = 0  # the compiled path (_race), planned for each piece; tried twice at most
            with np.errstate(all="ignore"):  # divergence is an outcome here, not a fault
                while rec.done < n:
                    race = _race.Race.plan(self) if misses < 2 else None
                    if race is None or not race.advance(self, rec, n):
                        misses += 1
                        self._transaction(rec)
                    if rec.done % check_every == 0 or rec.done == n:
                        self._sync_status()
                        if self.done:
                            break
        except BaseException as exc:  # noqa: BLE001 -- re-raised below with the rows
            error = exc
        finally:
            self._plan = None
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
            rates, row = self._rates_for(self.t)
            self._step(rates, saved[1], rec, k)
            rec.put_lr(k, row)
            if self.eval_every and self.t % self.eval_every == 0:
                rec.records.append((self.t, self.epoch, self._eval_step()))
            rec.done = k + 1  # the commit: one store, so an interrupt falls before or after
        except BaseException:
            if rec.done != k + 1:
                del rec.records[n_records:]
                self._restore(saved)
            raise

    def _save(self) -> tuple[Any, ...]:
        """What :meth:`_restore` needs: the attributes of ``_SAVED``, copies of the
        parameters and the optimizer states, the batch position."""
        snapshots = self._snapshots
        return (
            _saved_values(self.__dict__),
            _copy(self.xp, self.params),
            snapshots.save() if snapshots.size <= ROLLBACK_MAX_ELEMENTS else None,
            self._batches.save(),
        )

    def _restore(self, saved: tuple[Any, ...]) -> None:
        values, params, states, batches = saved
        self.params[...] = params
        self._batches.restore(batches)
        if states is not None:
            self._snapshots.restore(states)
        elif self._broken is None:
            self._broken = (
                f"a step was interrupted in the middle of step {values[4] + 1} and this run's "
                f"optimizer states ({self._snapshots.size:,} numbers) are too large to "
                "copy before every step: call reset() to start again"
            )
        self.__dict__.update(zip(_SAVED, values, strict=True))

    def _bind(self) -> list[tuple[str, slice, Any, Any, Any]]:
        """Each group's ``(label, slice, optimizer, state, bound step)`` for one ``advance``
        call: the bound step (:meth:`Optimizer.bind`) where a block of the parameters is a
        view, else None (each step then writes the block back)."""
        views = _is_view_namespace(self.xp)
        plan = []
        for label, opt in self.optimizers.items():
            sl, state = self.slices[label], self.states[label]
            plan.append(
                (label, sl, opt, state, opt.bind(self.params[sl, ...], state) if views else None)
            )
        return plan

    def _step(self, rates: dict[str, float | None], prev: Any, rec: _Rows, k: int) -> None:
        """Step every group, evaluate the objective, apply the stop rules; row ``k`` of
        ``rec`` gets the step's loss, gradient norm and parameters."""
        xp = self.xp
        #: (step number before this step, the parameters then): the last update, for views
        self.before_step = (self.t, prev)
        prev_loss = self.loss
        params, grad = self.params, self.grad
        for label, sl, opt, state, bound in self._plan:
            lr = rates[label]
            if lr is None:  # stopped by its schedule
                continue
            hessian = None
            if opt.hessian_every and state["step"] % opt.hessian_every == 0:
                block = params[sl, ...]
                hessian = opt.estimate_hessian(self.objective, block, state, batch=self._batch)
            if bound is not None:
                bound(grad[sl, ...], hessian, lr)
                continue
            block = params[sl, ...]
            opt.step(block, grad[sl, ...], state, hessian, lr)
            params[sl, ...] = block  # a namespace whose slices are copies
        batch = self._batches.next()
        loss, grad = self.objective.value_and_grad(self.params, batch)
        t = self.t + 1
        consts = self._settle_args
        if consts is not None and _settle.usable(params, prev, loss, prev_loss, grad, self._status):
            _settle.settle(self, consts, params, prev, loss, prev_loss, grad, t, rec, k)
            self.grad, self._batch, self.t = grad, batch, t
            rec.put_xy(k, self)
            return
        gnorm = xp.sqrt(_settle.sum_last(xp, grad * grad))
        active = self._status == RUNNING
        finite = xp.isfinite(loss) & xp.all(xp.isfinite(self.params), axis=-1)
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
        rec.put(k, self)

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
        rec.fill_lr(done)
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

    def __init__(self, r: Any, n: int) -> None:
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
        #: where settle writes the parameters: ``params``, or no rows
        self.params_rows = self.params if r.record_params else xp.empty((0, R, P), dtype=dtype)
        self.xy = xp.empty((n, R, 2), dtype=dtype) if r.project else None
        self.lr = np.empty((n, R))
        self._lr_marks: list[tuple[int, np.ndarray]] = []  # (first step index, its row)
        self.steps = np.arange(r.t + 1, r.t + 1 + n, dtype=np.int64)
        self.records: list[tuple[int, int, dict[str, Any]]] = []
        self.done = 0

    def put(self, k: int, r: Any) -> None:
        """Row ``k``: the run's loss, gradient norm, parameters (and projection)."""
        self.loss[k, ...] = r.loss
        self.gnorm[k, ...] = r._gnorm
        if self.params is not None:
            self.params[k, ...] = r.params
        self.put_xy(k, r)

    def put_xy(self, k: int, r: Any) -> None:
        if self.xy is not None:
            self.xy[k, ...] = r.project(r.params)

    def put_lr(self, k: int, lr_row: np.ndarray) -> None:
        """Row ``k`` of the rates: kept as marks where the row changes (see :meth:`fill_lr`)."""
        if not self._lr_marks or self._lr_marks[-1][1] is not lr_row:
            self._lr_marks.append((k, lr_row))

    def fill_lr(self, done: int) -> None:
        """Write the rates of the first ``done`` rows from the marks."""
        marks = self._lr_marks
        for i, (start, row) in enumerate(marks):
            end = marks[i + 1][0] if i + 1 < len(marks) else done
            self.lr[start : min(end, done)] = row


def _copy(xp: Any, a: Any) -> Any:
    return a.copy() if hasattr(a, "copy") else xp.asarray(a, copy=True)


def _is_view_namespace(xp: Any) -> bool:
    """NumPy and CuPy slices are views: an in-place block step needs no copy back."""
    name = getattr(xp, "__name__", "")
    return name == "numpy" or name.split(".")[0] == "cupy"
