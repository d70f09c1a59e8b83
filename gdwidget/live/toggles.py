"""Toggles per optimizer group: gradient clipping, gradient noise and weight decay, live.

Clipping and noise are a :class:`~gdwidget.transforms.Toggles` transform put in front of
the group's optimizer the first time either is asked for: the group's optimizer becomes
``gd.chain(toggles, optimizer)`` and its state ``{"step", "transforms": [the toggles'
state], "inner": the optimizer's state as it was}``, so parameters, moments and step
count go on. A toggle off is a transform that leaves the gradient as it is (bit for bit),
so the chain stays in place and only the transform's attributes change: the next step is
that of ``gd.chain(gd.transforms.clip_by_global_norm(c), gd.transforms.add_noise(sigma**2,
gamma=0, seed=seed), optimizer)`` (each only while on) continued from the same state.

Time travel stays exact: when the chain is put in, every checkpoint's state of the group
is wrapped the same way and its settings get the toggles as they were then (off), so a
replay before the first toggle steps as the run did, and a change of toggle is a change of
settings like any other (a pinned checkpoint). The noise is seeded (the group's index) and
its generator is part of the state.

Weight decay is the optimizer's own ``weight_decay`` set through
:func:`gdwidget.live.hypers.set_hyper`: off is 0, on is the last value it had before it was
switched off (or the factory's default when that is not 0, else 1e-2).

The clipped updates are recorded in the toggles' state; :func:`clipped_steps` lists them.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from .._checks import check_real
from ..transforms import Chain, Toggles
from . import hypers

__all__ = ["NAMES", "clipped_steps", "marks", "set_toggle", "toggles_meta", "toggles_of", "watch"]

#: the toggles, by the name the page and the protocol use
NAMES = ("clip", "noise", "weight_decay")
#: weight decay when switched on with no earlier value and a default of 0
DEFAULT_WEIGHT_DECAY = 1e-2

#: most clipped steps marked on the page (the newest)
MAX_MARKS = 5000

#: the weight decay each optimizer had when it was switched off
_last_decay: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def toggles_of(opt: Any) -> Toggles | None:
    """The :class:`~gdwidget.transforms.Toggles` in front of ``opt`` (a group's optimizer)."""
    if isinstance(opt, Chain) and opt.transforms and isinstance(opt.transforms[0], Toggles):
        return opt.transforms[0]
    return None


def _group(run: Any, label: Any) -> Any:
    if label not in run.optimizers:
        raise ValueError(f"unknown optimizer label {label!r}; labels: {list(run.optimizers)}")
    return run.optimizers[label]


def _checked(opt: Any, name: str, value: Any) -> Any:
    """``value`` as the toggle ``name`` takes it, or ValueError/TypeError naming it."""
    if name in ("clip", "noise"):
        arg = "max_norm" if name == "clip" else "sigma"
        if value is None or value is False:
            return None
        if isinstance(value, bool):
            raise ValueError(f"{name}: {arg} must be a number > 0 or None (off), got True")
        return check_real(arg, value, low=0.0, low_open=True)
    if name == "weight_decay":
        inner = hypers.innermost(opt)
        if "weight_decay" not in inner.hyper_names:
            raise ValueError(f"{inner.name} has no weight decay to switch")
        if isinstance(value, bool):
            return value
        return check_real("weight_decay", value, low=0.0)
    raise ValueError(f"unknown toggle {name!r}; toggles: {', '.join(NAMES)}")


def set_toggle(run: Any, label: str, name: str, value: Any, checkpoints: Any = None) -> None:
    """Switch toggle ``name`` of group ``label`` of ``run`` from the next step.

    Parameters
    ----------
    run : gdwidget.engine.Run
        The race.
    label : str
        The optimizer group.
    name : {"clip", "noise", "weight_decay"}
        ``"clip"``: ``value`` is the largest gradient norm (> 0), None for off.
        ``"noise"``: ``value`` is the noise's standard deviation (> 0), None for off.
        ``"weight_decay"``: True (the last value, see the module's notes), False (0) or a
        value >= 0.
    value : float, bool or None
        See ``name``.
    checkpoints : gdwidget.engine.checkpoints.Checkpoints, optional
        The session's checkpoints, kept valid when the group gets its toggles.

    Raises ValueError or TypeError for a bad label, name or value; nothing changes then.
    """
    opt = _group(run, label)
    value = _checked(opt, name, value)
    if name == "weight_decay":
        _set_weight_decay(run, label, value)
        return
    tog = toggles_of(opt) or _wrap(run, label, checkpoints)
    setattr(tog, "max_norm" if name == "clip" else "sigma", value)


def _set_weight_decay(run: Any, label: str, value: Any) -> None:
    inner = hypers.innermost(run.optimizers[label])
    now = inner.weight_decay
    if value is True:
        value = _last_decay.get(inner)
        if value is None:
            default = float(inner.defaults().get("weight_decay") or 0.0)
            value = default if default > 0 else DEFAULT_WEIGHT_DECAY
        if _on(now):
            return  # already on: keep its value
    elif value is False:
        value = 0.0
    hypers.set_hyper(run, label, "weight_decay", value)
    if _on(now) and not _on(value):
        _last_decay[inner] = now


def _on(decay: Any) -> bool:
    return bool(np.any(np.asarray(decay) != 0))


def _wrap(run: Any, label: str, checkpoints: Any) -> Toggles:
    """Put a :class:`Toggles` (all off) in front of group ``label``; the past too."""
    from ..engine._rollback import Snapshots  # noqa: PLC0415
    from ..engine.checkpoints import settings  # noqa: PLC0415

    before = settings(run)
    tog = Toggles(seed=list(run.optimizers).index(label))
    run.optimizers[label] = Chain((tog,), run.optimizers[label])
    added = {k: v for k, v in settings(run).items() if k not in before}  # the toggles, off
    block = run.params[run.slices[label], ...]

    def wrapped(state: dict[str, Any]) -> dict[str, Any]:
        own = tog.init(block)
        own["step"] = int(state["step"])
        return {"step": int(state["step"]), "transforms": [own], "inner": state}

    run.states[label] = wrapped(run.states[label])
    run._snapshots = Snapshots(run.states)  # the engine's copies before each step
    for cp in getattr(checkpoints, "items", ()):
        if cp.state is not None:
            cp.state["states"][label] = wrapped(cp.state["states"][label])
        cp.settings.update(added)
    return tog


def toggles_meta(run: Any, label: str) -> dict[str, Any]:
    """What the page's toggles show for group ``label``.

    ``clip`` (the max norm) and ``noise`` (sigma): a number, or None when off;
    ``weight_decay``: the value (None for one per run), absent when the optimizer has none;
    ``weight_decay_on``; ``clipped``: how many updates of the group the clip shortened.
    """
    opt = run.optimizers[label]
    tog = toggles_of(opt)
    out: dict[str, Any] = {
        "clip": None if tog is None else tog.max_norm,
        "noise": None if tog is None else tog.sigma,
        "clipped": 0 if tog is None else sum(len(r) for _, r in _log(run, label)),
    }
    inner = hypers.innermost(opt)
    if "weight_decay" in inner.hyper_names:
        wd = inner.weight_decay
        out["weight_decay"] = None if isinstance(wd, np.ndarray) else float(wd)
        out["weight_decay_on"] = _on(wd)
    return out


def _log(run: Any, label: str) -> list[tuple[int, tuple[int, ...]]]:
    """The clipped updates recorded in group ``label``'s toggles' state."""
    return run.states[label]["transforms"][0]["clipped"]


def clipped_steps(run: Any, label: str | None = None) -> np.ndarray:
    """The clipped updates, ``(n, 2)`` ints: the step each led to and the run (its index
    among all runs), in order of step then run; of group ``label`` only, or of all."""
    labels = list(run.optimizers) if label is None else [label]
    rows = []
    for lb in labels:
        if toggles_of(_group(run, lb)) is None:
            continue
        start = run.slices[lb].start
        for step, which in _log(run, lb):
            rows.extend((step, start + r) for r in which)
    return np.array(sorted(rows), dtype=np.int64).reshape(-1, 2)


def marks(run: Any) -> dict[str, list[int]]:
    """The page's marks of clipped steps: ``{"steps": [...], "runs": [...]}`` (the newest
    :data:`MAX_MARKS`); the page draws each at the recorded position of that run and step."""
    rows = clipped_steps(run)[-MAX_MARKS:]
    return {"steps": rows[:, 0].tolist(), "runs": rows[:, 1].tolist()}


def _signature(run: Any) -> tuple[Any, ...]:
    return tuple(
        (label, len(_log(run, label)), _log(run, label)[-1] if _log(run, label) else None)
        for label, opt in run.optimizers.items()
        if toggles_of(opt) is not None
    )


_watched: weakref.WeakSet[Any] = weakref.WeakSet()


def watch(session: Any) -> None:
    """Keep the page's ``clipped`` marks up to date after each frame of ``session`` (once)."""
    if session in _watched:
        return
    _watched.add(session)
    last: list[Any] = [None]

    def send() -> None:
        run = session.source.run
        key = _signature(run)
        if key != last[0]:
            last[0] = key
            session.sink.update(clipped=marks(run))

    session.out.listeners.append(send)
    send()
