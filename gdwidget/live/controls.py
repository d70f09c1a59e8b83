"""What each command does: one function per command, applied by the session's baton holder.

The session (:mod:`gdwidget.live.session`) decides *when* a command is applied
(between chunks, in the thread that owns the source); this module says *what*
it does to the source, the streamer and the page.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np

from . import instant, interrupt
from . import meta as meta_mod
from . import protocol as p

if TYPE_CHECKING:
    from .session import Session

log = logging.getLogger("gdwidget")


def apply(s: Session, cmd: p.Command) -> None:
    """Apply ``cmd`` to session ``s``; raises what the command refuses (nothing changed then)."""
    _HANDLERS[type(cmd)](s, cmd)
    s.instant.changed(cmd)  # in instant mode, the session recomputes once the queue is applied


def _play(s: Session, cmd: p.Play) -> None:
    if s.source.done:
        log.info("gdwidget: every run has stopped; reset() to start again")
        return
    s.clear_error()
    s.set_playing(True)
    interrupt.watch(s)


def _pause(s: Session, cmd: p.Pause) -> None:
    s.set_playing(False)  # also set on submit, so that a chunk in flight is the last
    s.set_budget(0)
    s.flush(force=True)
    s.send_extras(force=True)


def _step(s: Session, cmd: p.Step) -> None:
    s.clear_error()
    s.set_playing(False)
    s.set_budget(cmd.n)
    interrupt.watch(s)


def restart(s: Session, start: object) -> None:
    """Back to step 0 (from ``start``, as :meth:`EngineSource.reset` takes it), nothing sent."""
    try:
        chunk = s.source.reset(start)
    except ValueError as exc:
        s.error = f"reset refused: {exc}"
        s.sink.update(error=s.error)
        raise
    s.clear_error()
    s.out.marks = []
    s.streamer.reset(chunk, s.source.points(chunk))
    s.sink.update(marks=[])
    run = s.source.run
    if s.source.plane is None and run.n_params > 2 and start is not None:
        s.out.set_view(s.out.view)  # the landscape is a slice through the start
    s.timeline.reset(s)


def _reset(s: Session, cmd: p.Reset | p.SetStart) -> None:
    if isinstance(cmd, p.SetStart):
        instant.set_start(s, cmd)
    else:
        restart(s, cmd.start)
    if not s.instant.steps:  # else the whole path is sent once recomputed
        s.flush(force=True)
        s.send_extras(force=True)
        if isinstance(cmd, p.SetStart):
            instant.answer(s, 0, 0.0)


def _set_instant(s: Session, cmd: p.SetInstant) -> None:
    instant.set_instant(s, cmd.steps)


def _set_lr(s: Session, cmd: p.SetLr) -> None:
    s.source.run.set_lr(cmd.group, cmd.value)
    _groups_changed(s)


def _slide_lr(s: Session, cmd: p.SlideLr) -> None:
    run = s.source.run
    opt = run.optimizers.get(cmd.group)
    if opt is None:
        raise p.BadMessage(f"set_lr: unknown optimizer {cmd.group!r}")
    if callable(opt.lr):
        from ..schedules import schedule_peak  # noqa: PLC0415

        peak = schedule_peak(opt.lr)
        if not peak or peak <= 0:
            raise ValueError(f"the schedule of {cmd.group!r} has no positive peak to scale")
        run.scale_lr(cmd.group, cmd.value / peak)
    elif isinstance(opt.lr, np.ndarray):  # one rate per run: the slider is the largest;
        run.scale_lr(cmd.group, cmd.value / float(opt.lr.max()))  # scaling keeps the ratios
    else:
        run.set_lr(cmd.group, cmd.value)
    _groups_changed(s)


def _scale_lr(s: Session, cmd: p.ScaleLr) -> None:
    s.source.run.scale_lr(cmd.group, cmd.factor)
    _groups_changed(s)


def _groups_changed(s: Session) -> None:
    s.sink.update_meta(groups=meta_mod.groups_meta(s.source.run, s.lr_ranges))


def _set_speed(s: Session, cmd: p.SetSpeed) -> None:
    s.set_speed(cmd.value)
    s.sink.update(speed=cmd.value)


def _set_view(s: Session, cmd: p.SetView) -> None:
    s.out.set_view([list(cmd.bounds[0]), list(cmd.bounds[1])], cmd.px)


def _set_batch_size(s: Session, cmd: p.SetBatchSize) -> None:
    run = s.source.run
    n = run.objective.n_examples
    if n is None:
        raise ValueError(f"batch_size needs a model on data; {run.objective.name} is a function")
    new = min(int(cmd.value), n) or None
    old = run.batch_size
    if new == old:
        return
    run.set_batch_size(new)
    try:
        run.redraw_batch()
    except Exception as exc:  # noqa: BLE001 - shown in the widget
        s.fail(exc)
    s.out.marks = [
        *s.out.marks,
        {
            "step": int(run.t),
            "kind": "batch_size",
            "text": f"batch {old or 'full'} → {new or 'full'}",
        },
    ]
    s.sink.update(batch_size=new or 0, marks=s.out.marks)
    s.send_extras(force=True)


def _set_pixels(s: Session, cmd: p.SetPixels) -> None:
    s.out.use_pixels(cmd.px)
    s.streamer.set_view(s.out.view, px=s.out.px)


def _select_run(s: Session, cmd: p.SelectRun) -> None:
    if cmd.index >= s.source.n_runs:
        raise ValueError(f"index must be < {s.source.n_runs} (the number of runs), got {cmd.index}")
    s.out.selected = cmd.index
    s.send_extras(force=True)


def _request_history(s: Session, cmd: p.RequestHistory) -> None:
    probe = getattr(s.sink, "probe", None)  # a page's first message: do its buffers arrive?
    if probe is not None:
        probe()
    _resend_history(s)


def _probe_ack(s: Session, cmd: p.ProbeAck) -> None:
    # buffers lost: the sink sends base64 from now on, and the page gets again what it lost
    acknowledge = getattr(s.sink, "acknowledge", None)
    if acknowledge is not None and acknowledge(cmd.ok):
        _resend_history(s)


def _resend_history(s: Session) -> None:
    s.streamer.request_history()
    s.flush(force=True)
    s.send_extras(force=True)


def _seek(s: Session, cmd: p.Seek | p.StepBack) -> None:
    _pause(s, p.Pause())  # the page gets every row first: the cursor names one of them
    if isinstance(cmd, p.StepBack):
        s.timeline.step_back(s)
    else:
        s.timeline.seek(s, cmd.step)


def _fork(s: Session, cmd: p.Fork) -> None:
    _pause(s, p.Pause())
    s.clear_error()
    s.timeline.fork(s, cmd.step)
    s.flush(force=True)
    s.send_extras(force=True)


def _set_hyper(s: Session, cmd: p.SetHyper) -> None:
    from .hypers import set_hyper  # noqa: PLC0415

    set_hyper(s.source.run, cmd.group, cmd.name, cmd.value)
    _groups_changed(s)
    s.send_extras(force=True)


def _set_schedule(s: Session, cmd: p.SetSchedule) -> None:
    from .schedulepick import default_total, set_schedule  # noqa: PLC0415

    run = s.source.run
    set_schedule(run, cmd.group, cmd.name, cmd.params, default_total(run.t, cmd.target_steps))
    _groups_changed(s)


def _set_toggle(s: Session, cmd: p.SetToggle) -> None:
    from .toggles import set_toggle, watch  # noqa: PLC0415

    set_toggle(s.source.run, cmd.group, cmd.name, cmd.value, s.timeline.checkpoints)
    watch(s)  # the clipped steps' marks follow each frame
    _groups_changed(s)
    s.send_extras(force=True)


def _xray(s: Session, cmd: p.Xray) -> None:
    s.out.xray = cmd.on
    s.sink.update(xray=cmd.on)  # every view's toggle follows
    s.timeline.send_extras(s)  # the X-ray of the step shown (a seeked one too)


def _read_internals(s: Session, cmd: p.ReadInternals) -> None:
    cmd.reply.append(s.timeline.internals(s, cmd.label, cmd.step))


def _request_module(s: Session, cmd: p.RequestModule) -> None:
    from .modules import module_message  # noqa: PLC0415

    s.sink.send(*module_message(cmd.name))


def _capture_result(s: Session, cmd: p.CaptureResult) -> None:
    from .capture import deliver  # noqa: PLC0415

    deliver(cmd)
    if cmd.lost:
        # the page's buffers do not reach the kernel: base64 from now on both ways (the page
        # answers in base64 once it gets base64, js/connection.js), so the next capture arrives
        _probe_ack(s, p.ProbeAck(False))


_HANDLERS = {
    p.Play: _play,
    p.Pause: _pause,
    p.Step: _step,
    p.Reset: _reset,
    p.SetStart: _reset,
    p.SetInstant: _set_instant,
    p.SetLr: _set_lr,
    p.SlideLr: _slide_lr,
    p.ScaleLr: _scale_lr,
    p.SetSpeed: _set_speed,
    p.SetView: _set_view,
    p.SetBatchSize: _set_batch_size,
    p.SelectRun: _select_run,
    p.SetPixels: _set_pixels,
    p.RequestHistory: _request_history,
    p.ProbeAck: _probe_ack,
    p.Seek: _seek,
    p.StepBack: _seek,
    p.Fork: _fork,
    p.SetHyper: _set_hyper,
    p.Xray: _xray,
    p.ReadInternals: _read_internals,
    p.SetToggle: _set_toggle,
    p.SetSchedule: _set_schedule,
    p.RequestModule: _request_module,
    p.CaptureResult: _capture_result,
}
