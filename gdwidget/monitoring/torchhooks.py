"""What the monitor reads from a PyTorch model and optimizer, without the user's help.

:class:`TorchProbe` registers a step post-hook on the optimizer
(``optimizer.register_step_post_hook``). After every ``optimizer.step()`` it reads

* each param group's learning rate (``lr/0``, ``lr/1``, ...);
* the global L2 norm of the gradients the step used, and the L2 norm per layer (a
  layer is a module that owns parameters directly, named as in
  ``model.named_modules()``; without a model, each parameter tensor is a layer named
  ``"<group>.<index>"``). The norms come from one ``torch._foreach_norm`` over the
  gradients, stacked on the parameters' device; the flusher thread brings that small
  tensor to the host and sums the squares per layer there. When that costs more than
  about 0.25% of a step, the norms are read every k-th step only (NaN between);
* clipping: while a probe is installed, ``torch.nn.utils.clip_grad_norm_`` is
  wrapped (in ``torch.nn.utils`` and ``torch.nn.utils.clip_grad``). A call on any of
  the probed parameters records the total norm it returned (the norm before
  clipping) and its ``max_norm``; the next step is *clipped* when that norm exceeded
  ``max_norm``. A ``clip_grad_norm_`` imported by name before the monitor was made,
  or a clipping of another kind (``clip_grad_value_``, a hand-written one), is not
  seen. The recorded ``grad_norm`` is always the norm of the gradients the step used
  (after clipping).

torch is imported here only, and only when a torch model or optimizer is given.
"""

from __future__ import annotations

import functools
import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

log = logging.getLogger("gdwidget")

__all__ = ["TorchProbe", "check_torch_objects"]

#: Share of a step's time that reading the gradient norms may take before it is strided.
NORM_BUDGET = 0.0025


def _is_torch(obj: Any) -> bool:
    return any(c.__module__.split(".")[0] == "torch" for c in type(obj).__mro__)


def check_torch_objects(model: Any, optimizer: Any) -> None:
    """TypeError unless ``model`` is None or a torch.nn.Module and ``optimizer`` None or a
    torch.optim.Optimizer (torch is imported only when one of them comes from torch)."""
    if model is None and optimizer is None:
        return
    for name, obj, kind in (("model", model, "Module"), ("optimizer", optimizer, "Optimizer")):
        if obj is None:
            continue
        if not _is_torch(obj):
            where = "nn" if kind == "Module" else "optim"
            raise TypeError(
                f"{name} must be a torch.{where}.{kind} (or None), got {type(obj).__name__}"
            )
    import torch

    if model is not None and not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module (or None), got {type(model).__name__}")
    if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(
            f"optimizer must be a torch.optim.Optimizer (or None), got {type(optimizer).__name__}"
        )


# ---------------------------------------------------------------------------------------
# clip_grad_norm_, wrapped while any probe listens
# ---------------------------------------------------------------------------------------
_clip_lock = threading.Lock()
_clip_listeners: list[Callable[[list[Any], float, Any], None]] = []
_clip_original: Any = None


def _add_clip_listener(fn: Callable[[list[Any], float, Any], None]) -> None:
    global _clip_original
    import torch
    import torch.nn.utils as nn_utils
    from torch.nn.utils import clip_grad

    with _clip_lock:
        _clip_listeners.append(fn)
        if _clip_original is not None:
            return
        original = nn_utils.clip_grad_norm_

        @functools.wraps(original)
        def clip_grad_norm_(parameters: Any, max_norm: float, *args: Any, **kwargs: Any) -> Any:
            plist = [parameters] if isinstance(parameters, torch.Tensor) else list(parameters)
            total = original(plist, max_norm, *args, **kwargs)
            for listener in tuple(_clip_listeners):
                try:
                    listener(plist, max_norm, total)
                except Exception:  # noqa: BLE001 - never break the user's training loop
                    log.exception("gdwidget: the monitor failed to record a clipping")
            return total

        clip_grad_norm_.gdwidget_original = original  # type: ignore[attr-defined]
        nn_utils.clip_grad_norm_ = clip_grad_norm_
        clip_grad.clip_grad_norm_ = clip_grad_norm_
        _clip_original = original


def _remove_clip_listener(fn: Callable[[list[Any], float, Any], None]) -> None:
    global _clip_original
    with _clip_lock:
        if fn in _clip_listeners:
            _clip_listeners.remove(fn)
        if _clip_listeners or _clip_original is None:
            return
        import torch.nn.utils as nn_utils
        from torch.nn.utils import clip_grad

        for mod in (nn_utils, clip_grad):
            if getattr(mod.clip_grad_norm_, "gdwidget_original", None) is _clip_original:
                mod.clip_grad_norm_ = _clip_original
        _clip_original = None


# ---------------------------------------------------------------------------------------
# The probe
# ---------------------------------------------------------------------------------------
class TorchProbe:
    """Hooks on a torch optimizer (and reads a model's parameters).

    Parameters
    ----------
    model : torch.nn.Module or None
    optimizer : torch.optim.Optimizer or None
    grad_every : int or None
        Read the gradient norms every this many steps; None: every step while that
        takes at most about 0.25% of a step's time, else every k-th step.
    """

    def __init__(self, model: Any, optimizer: Any, grad_every: int | None = None) -> None:
        import torch

        self.torch = torch
        self.model = model
        self.optimizer = optimizer
        if optimizer is not None:
            seen: set[int] = set()
            params, names = [], []
            for g, group in enumerate(optimizer.param_groups):
                for i, p in enumerate(group["params"]):
                    if id(p) not in seen:
                        seen.add(id(p))
                        params.append(p)
                        names.append(f"{g}.{i}")
        else:
            params = [p for p in model.parameters() if p.requires_grad]
            names = [f"0.{i}" for i in range(len(params))]
        if not params:
            raise ValueError("the monitor found no parameters in the model or optimizer")
        if model is not None:  # a layer: the module that owns the parameter
            owner = {}
            for mname, mod in model.named_modules():
                for pname, p in mod.named_parameters(recurse=False):
                    owner.setdefault(id(p), mname or pname)
            names = [owner.get(id(p), n) for p, n in zip(params, names, strict=True)]
        self.params = params
        self.layers: list[str] = list(dict.fromkeys(names))
        where = {name: j for j, name in enumerate(self.layers)}
        self.device = params[0].device
        self._onehot = np.zeros((len(params), len(self.layers)))
        self._onehot[np.arange(len(params)), [where[n] for n in names]] = 1.0
        self._ids = {id(p) for p in params}
        self._uniform = all(p.device == self.device and p.dtype == params[0].dtype for p in params)
        self.layout = [(tuple(p.shape)) for p in params]
        self.n_params = int(sum(p.numel() for p in params))
        self.groups = [f"lr/{g}" for g in range(len(optimizer.param_groups))] if optimizer else []
        self.grad_every = grad_every
        self.step_count = 0
        self._every = 1 if grad_every is None else int(grad_every)
        self._since = self._every  # the first step reads the norms
        self._last = 0.0
        self._clips: list[tuple[Any, float]] = []
        self._handle: Any = None
        self._listening = False
        self._flat_index: tuple[Any, Any] = (None, None)
        self._host_ptrs: list[int] = []
        self._views: list[np.ndarray] | None = None
        self._host_buf = np.empty(0)

    @property
    def label(self) -> str:
        return f"{self.device.type.upper()} · torch"

    # -- hooks ---------------------------------------------------------------------------
    def install(self, on_step: Callable[[], None]) -> None:
        """Call ``on_step()`` after each optimizer step; listen to clip_grad_norm_."""
        if self.optimizer is not None and self._handle is None:
            self._handle = self.optimizer.register_step_post_hook(
                lambda _opt, _args, _kwargs: on_step()
            )
        if not self._listening:
            _add_clip_listener(self._on_clip)
            self._listening = True

    def remove(self) -> None:
        """Remove the optimizer hook and the clipping listener (idempotent)."""
        if self._handle is not None:
            self._handle.remove()
            self._handle = None
        if self._listening:
            _remove_clip_listener(self._on_clip)
            self._listening = False

    def _on_clip(self, plist: list[Any], max_norm: float, total: Any) -> None:
        ids = self._ids
        if any(id(p) in ids for p in plist):
            self._clips.append((total, float(max_norm)))

    # -- what a step records ---------------------------------------------------------------
    def read(self) -> tuple[int, list[float], Any, list[tuple[Any, float]] | None]:
        """Count a step; its count, lrs, norms (a device tensor or None) and clip calls."""
        self.step_count += 1
        opt = self.optimizer
        lrs = [float(g["lr"]) for g in opt.param_groups] if opt is not None else []
        clips = self._clips
        if clips:
            self._clips = []
        self._since += 1
        if self._since < self._every:
            return self.step_count, lrs, None, clips or None
        return self.step_count, lrs, self._timed_norms(), clips or None

    def _timed_norms(self) -> Any:
        """The norms, and how often they may be read: at most ``NORM_BUDGET`` of the time
        between two reads (measured over the steps since the last one)."""
        now = time.perf_counter()
        steps, self._since = self._since, 0
        out = self.norms()
        done = time.perf_counter()
        cost = done - now
        if self._last and self.grad_every is None:
            per_step = max((now - self._last) / steps - cost / steps, 1e-9)
            self._every = max(1, min(1000, math.ceil(cost / (NORM_BUDGET * per_step))))
        self._last = done
        return out

    def norms(self) -> Any:
        """Each parameter's gradient L2 norm, stacked on its device (the flusher sums them
        per layer on the host, :meth:`layer_norms`); None when no parameter has a gradient.

        A parameter without a gradient gets NaN (its layer is NaN if none of its
        parameters has one; the global norm leaves it out)."""
        torch = self.torch
        grads = [p.grad for p in self.params]
        if any(g is None for g in grads):
            keep = [i for i, g in enumerate(grads) if g is not None]
            if not keep:
                return None
            with torch.no_grad():
                each = torch._foreach_norm([grads[i] for i in keep])
            return ([float(v) for v in each], keep)
        with torch.no_grad():
            each = torch._foreach_norm(grads)
            if not self._uniform:
                each = [n.to(self.device, torch.float32) for n in each]
            return torch.stack(each)

    def layer_norms(self, many: list[Any]) -> np.ndarray:
        """Per-layer norms then the global one, ``(j, L + 1)`` on the host, from a list of
        :meth:`norms` results (one transfer for the stacked tensors)."""
        torch = self.torch
        each = np.full((len(many), len(self.params)), np.nan)
        dense = [i for i, n in enumerate(many) if not isinstance(n, tuple)]
        if dense:
            stacked = torch.stack([many[i] for i in dense]).detach().to("cpu").double()
            each[dense] = stacked.numpy()
        for i, n in enumerate(many):
            if isinstance(n, tuple):
                values, keep = n
                each[i, keep] = values
        sq = np.where(np.isnan(each), 0.0, each * each)
        onehot = self._onehot
        layer = np.sqrt(np.einsum("jp,pl->jl", sq, onehot))
        seen = np.einsum("jp,pl->jl", (~np.isnan(each)).astype(np.float64), onehot)
        layer[seen == 0] = np.nan
        return np.concatenate([layer, np.sqrt(sq.sum(axis=1, keepdims=True))], axis=1)

    # -- parameters --------------------------------------------------------------------------
    def flat(self, index: np.ndarray | None = None) -> np.ndarray:
        """The parameters as one float64 host vector (only ``index`` of it, if given)."""
        views = self._host_views()
        if views is not None:  # parameters in host memory: NumPy views, no torch call each
            whole = np.concatenate(views, out=self._host_buf)
            return (whole if index is None else whole[index]).astype(np.float64)
        torch = self.torch
        with torch.no_grad():
            dev = None if self._uniform else self.device
            v = torch.cat([p.detach().reshape(-1).to(dev) for p in self.params])
            if index is not None and v.device.type != "cpu":  # gather before the copy
                if self._flat_index[0] is not index:
                    self._flat_index = (index, torch.as_tensor(index, device=v.device))
                v = v[self._flat_index[1]]
                index = None
            host = v.to("cpu").numpy()
            return (host if index is None else host[index]).astype(np.float64)

    def _host_views(self) -> list[np.ndarray] | None:
        """Flat NumPy views of the parameters when all are float CPU tensors of one dtype
        (kept while their storage stays where it was), else None."""
        if not self._uniform or self.device.type != "cpu":
            return None
        ptrs = [p.data_ptr() for p in self.params]
        if ptrs != self._host_ptrs:  # new storage: decide again, once
            self._host_ptrs, self._views = ptrs, None
            if self.params[0].dtype in (self.torch.float32, self.torch.float64) and all(
                p.is_contiguous() for p in self.params
            ):
                with self.torch.no_grad():
                    self._views = [p.detach().numpy().reshape(-1) for p in self.params]
                self._host_buf = np.empty(self.n_params, dtype=self._views[0].dtype)
        return self._views


def resolve_clipped(clips: list[tuple[Any, float]] | None) -> bool:
    """Whether any recorded clip_grad_norm_ call found a total norm above its max_norm."""
    if not clips:
        return False
    return any(float(total) > max_norm for total, max_norm in clips)
