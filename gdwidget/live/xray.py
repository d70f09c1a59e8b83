"""Optimizer X-ray: the vectors inside each run's optimizer, in the plane the run is drawn on.

Read from the live optimizer state after the last step and the run's gradient; nothing is
changed. For a function the plane is its first two parameters; for a model, vectors
(gradient, buffers, steps) are projected with :meth:`~gdwidget.projection.Plane.vectors`
and per-coordinate quantities (second moments, effective step sizes) with the diagonal of
``pinv @ diag(q) @ directions``, which is ``q[:2]`` on the params plane.

What each entry is (vectors are ``[dx, dy]``, ``None`` where the optimizer has no such thing
or no step was taken yet):

* ``grad``: the gradient at the run's current point (the one the next step uses);
* ``momentum``: the first-moment or momentum buffer after the last step;
* ``second_moment``: Adam's ``exp_avg_sq`` (its maximum with AMSGrad), RMSprop's
  ``square_avg``, Adagrad's ``sum``;
* ``update``: the last step's actual update, parameters after minus before;
* ``step_size``: the per-coordinate effective step of the last step, the factor that
  multiplies the (first-moment) gradient: Adam ``lr / (1 - b1^t) / (sqrt(v) / sqrt(1 - b2^t)
  + eps)``, RMSprop ``lr / (sqrt(v) + eps)`` (centered: ``sqrt(v - mean^2)``), Adagrad
  ``lr / (1 + (t - 1) lr_decay) / (sqrt(sum) + eps)``;
* ``sign_step`` (Lion): the next step's sign step, ``-lr * sign(b1 m + (1 - b1) g)``;
* ``raw_step``, ``clipped_step`` (Sophia): the last step before and after clipping,
  ``-lr * m / max(rho h, eps)`` and the same clipped to ``[-lr, lr]``;
* ``clip`` (chains with a clip, the page's clip toggle included): the factor the clip
  applies to the current gradient (``||clipped|| / ||g||``; 1 where it does not clip).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import to_numpy
from ..optim.hyper import power
from .hypers import innermost

__all__ = ["internals", "xray_message"]


def _host(a: Any) -> np.ndarray:
    return np.asarray(to_numpy(a), dtype=np.float64)


def _row(v: Any, i: int) -> Any:
    """Row ``i``'s value of a setting that may be per run."""
    if isinstance(v, tuple):
        return tuple(_row(x, i) for x in v)
    return float(v[i]) if isinstance(v, np.ndarray) else v


def run_index(run: Any, label: str) -> int:
    """The row of run ``label`` (a group label names its only run)."""
    if label in run.labels:
        return run.labels.index(label)
    if label in run.slices:
        rows = [lb for lb, g in zip(run.labels, run.groups, strict=True) if g == label]
        raise ValueError(f"optimizer {label!r} has {len(rows)} runs: name one of {rows}")
    raise ValueError(f"unknown run {label!r}; runs: {run.labels}")


class _Plane:
    """Vectors and per-coordinate quantities of one source, in its drawn plane."""

    def __init__(self, source: Any) -> None:
        self.plane = getattr(source, "plane", None)
        if self.plane is not None and not self.plane._identity:
            self.diag_w = self.plane.pinv * self.plane.directions.T  # (2, n_params)
        else:
            self.diag_w = None

    def point(self, p: np.ndarray) -> list[float]:
        if self.plane is not None:
            return [float(x) for x in _host(self.plane.coords(p))]
        return self._first2(p)

    def vec(self, v: Any) -> list[float] | None:
        if v is None:
            return None
        v = _host(v)
        if self.plane is not None:
            return [float(x) for x in self.plane.vectors(v)]
        return self._first2(v)

    def diag(self, q: Any) -> list[float] | None:
        if q is None:
            return None
        q = _host(q)
        if self.diag_w is not None:
            return [float(x) for x in self.diag_w @ q]
        return self._first2(q)

    @staticmethod
    def _first2(v: np.ndarray) -> list[float]:
        return [float(v[0]), float(v[1]) if v.shape[0] > 1 else 0.0]


def _last_update(run: Any, r: int) -> np.ndarray | None:
    before = getattr(run, "before_step", None)
    if before is None or run.t == 0 or before[0] != run.t - 1:
        return None
    return _host(run.params[r]) - _host(before[1][r])


def _moments(opt: Any, st: dict[str, Any], i: int, lr: float, t: int) -> dict[str, Any]:
    """The family's buffers and effective step of row ``i`` (state ``st``, last step ``t``)."""
    name = type(opt).__name__
    out: dict[str, Any] = {}
    if name == "Adam":
        b1, b2 = _row(opt.betas, i)
        v = st["max_exp_avg_sq"][i] if opt.amsgrad else st["exp_avg_sq"][i]
        out["momentum"], out["second_moment"] = st["exp_avg"][i], v
        if t > 0:
            step_size = lr / (1.0 - power(b1, t))
            bc2_sqrt = power(1.0 - power(b2, t), 0.5)
            out["step_size"] = step_size / (np.sqrt(_host(v)) / bc2_sqrt + _row(opt.eps, i))
    elif name == "RMSprop":
        sq = _host(st["square_avg"][i])
        out["second_moment"] = sq
        out["momentum"] = st["momentum_buffer"][i] if "momentum_buffer" in st else None
        if opt.centered:
            ga = _host(st["grad_avg"][i])
            sq = sq - ga * ga
        if t > 0:
            out["step_size"] = lr / (np.sqrt(sq) + _row(opt.eps, i))
    elif name == "Adagrad":
        out["second_moment"] = st["sum"][i]
        if t > 0:
            clr = lr / (1.0 + (t - 1) * _row(opt.lr_decay, i))
            out["step_size"] = clr / (np.sqrt(_host(st["sum"][i])) + _row(opt.eps, i))
    elif name == "SGD":
        if "momentum_buffer" in st and _row(opt.momentum, i) != 0.0:
            out["momentum"] = st["momentum_buffer"][i]
    elif name in ("Lion", "Sophia"):
        out["momentum"] = st["exp_avg"][i]
    if name == "Sophia" and t > 0:
        rho, eps = _row(opt.rho, i), _row(opt.eps, i)
        ratio = _host(st["exp_avg"][i]) / np.maximum(rho * _host(st["hessian"][i]), eps)
        out["raw_step"] = -lr * ratio
        out["clipped_step"] = -lr * np.clip(ratio, -1.0, 1.0)
    return out


def _sign_step(opt: Any, st: dict[str, Any], i: int, grad: np.ndarray, lr: float) -> np.ndarray:
    b1, _ = _row(opt.betas, i)
    u = _host(st["exp_avg"][i]) * b1 + grad * (1.0 - b1)
    return -lr * np.sign(u)


def _clip_factor(chain: Any, grad: np.ndarray, i: int = 0) -> float | None:
    """What the chain's clips do to ``grad`` (row ``i`` of its group): ``||clipped|| /
    ||grad||``. None without a clip, or where a transform before the clip changes the
    gradient at random. The page's toggles count: their clip is ``clip_by_global_norm``,
    their noise comes after it."""
    factor: float | None = None
    g = grad[None, :].copy()
    opt = chain
    while hasattr(opt, "transforms"):
        for t in opt.transforms:
            clip, noise = _clip_and_noise(t)
            if clip is not None:
                before = float(np.linalg.norm(g))
                clip.row(i).apply(g, {}, None)
                after = float(np.linalg.norm(g))
                factor = (after / before if before > 0 else 1.0) * (factor or 1.0)
            if noise and factor is None:
                return None  # noise before the clip: not a function of the gradient
        opt = opt.optimizer
    return factor


def _clip_and_noise(t: Any) -> tuple[Any, bool]:
    """The clip a transform applies (None if it does not clip) and whether it then adds noise."""
    kind = type(t).__name__
    if kind in ("ClipByGlobalNorm", "ClipByValue"):
        return t, False
    if kind == "Toggles":  # the page's clip and noise (gdwidget.live.toggles); off: nothing
        from ..transforms import clip_by_global_norm  # noqa: PLC0415

        clip = None if t.max_norm is None else clip_by_global_norm(t.max_norm)
        return clip, t.sigma is not None
    return None, True


def _lr(opt: Any, step: int, i: int) -> float:
    lr = opt.lr_at(max(step, 0))
    return float(lr[i]) if isinstance(lr, np.ndarray) else float(lr)


def internals(source: Any, label: str) -> dict[str, Any]:
    """The X-ray of run ``label``: its optimizer's vectors in the drawn plane.

    See the module's text for each entry. Reads the run as it is now (call it between
    steps, or while paused, for a consistent picture).
    """
    run = source.run
    r = run_index(run, label)
    group = run.groups[r]
    outer = run.optimizers[group]
    opt = innermost(outer)
    state = run.states[group]
    inner = state
    while "inner" in inner and isinstance(inner.get("transforms"), list):
        inner = inner["inner"]
    i = r - run.slices[group].start
    t = int(inner["step"])
    plane = _Plane(source)
    grad = _host(run.grad[r])
    lr_last = _lr(outer, t - 1, i) if t > 0 else None
    parts = _moments(opt, inner, i, lr_last or 0.0, t)
    out: dict[str, Any] = {
        "label": run.labels[r],
        "optimizer": opt.name,
        "step": t,
        "position": plane.point(_host(run.params[r])),
        "grad": plane.vec(grad),
        "momentum": plane.vec(parts.get("momentum")),
        "second_moment": plane.diag(parts.get("second_moment")),
        "update": plane.vec(_last_update(run, r)),
        "step_size": plane.diag(parts.get("step_size")),
        "sign_step": None,
        "raw_step": plane.vec(parts.get("raw_step")),
        "clipped_step": plane.vec(parts.get("clipped_step")),
        "clip": _clip_factor(outer, grad, i) if hasattr(outer, "transforms") else None,
    }
    if type(opt).__name__ == "Lion":
        out["sign_step"] = plane.vec(_sign_step(opt, inner, i, grad, _lr(outer, t, i)))
    return out


def xray_message(source: Any) -> tuple[dict[str, Any], list[bytes]]:
    """The ``xray`` message: every run's X-ray (docs/protocol.md)."""
    run = source.run
    runs = []
    for label in run.labels:
        entry = internals(source, label)
        runs.append({k: _finite(v) for k, v in entry.items()})
    return {"type": "xray", "step": int(run.t), "runs": runs}, []


def _finite(v: Any) -> Any:
    """JSON has no NaN or infinity: those become None."""
    if isinstance(v, float):
        return v if np.isfinite(v) else None
    if isinstance(v, list):
        return [_finite(x) for x in v]
    return v
