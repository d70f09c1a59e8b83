"""IPython magics: ``%load_ext gdwidget`` registers ``%gd``, ``%%gd`` and ``%gd_monitor``.

``%gd rosenbrock adam=0.05 momentum="sgd(1e-3, momentum=0.9)" --steps 50 --play``
shows a Playground and returns it (``w = %gd ...``, or ``_`` after it). The line is
parsed by :mod:`.parse` (argparse, and :mod:`ast` literals only: nothing on the line
runs as Python, and IPython's ``{...}``/``$name`` expansion is off for these
magics) and made by :mod:`.build`. Every error is one line (an IPython
``UsageError``, shown without a traceback). See docs/magics.md.
"""

from __future__ import annotations

import importlib
import weakref
from types import ModuleType
from typing import Any

from .parse import MagicError, Plan, listing, parse_line, usage

__all__ = ["GdMagics", "load_ipython_extension", "show"]

try:
    from IPython.core.error import UsageError
    from IPython.core.magic import (
        Magics,
        line_cell_magic,
        line_magic,
        magics_class,
        no_var_expand,
    )
except ImportError as exc:  # pragma: no cover - IPython comes with ipywidgets
    raise ImportError("gdwidget's magics need IPython: pip install ipython") from exc


def show(widget: Any, shell: Any) -> Any:
    """Display ``widget`` now and return it, without a second view from the cell's value.

    The widget is the magic's value so that ``w = %gd ...`` and ``_`` keep it. When
    the magic is a cell's last line IPython would display that value again, so the
    first display request for it in the same execution is swallowed (the value still
    goes to ``_`` and ``Out``); any later ``display(w)`` shows it as usual.
    """
    from IPython.display import display  # noqa: PLC0415

    display(widget)
    ref = weakref.ref(widget)
    count = getattr(shell, "execution_count", None)

    def _ipython_display_() -> None:
        w = ref()
        if w is None:
            return
        w.__dict__.pop("_ipython_display_", None)
        if getattr(shell, "execution_count", None) != count:
            display(w)

    widget.__dict__["_ipython_display_"] = _ipython_display_
    return widget


@magics_class
class GdMagics(Magics):
    """``%gd``, ``%%gd`` and ``%gd_monitor``."""

    @no_var_expand
    @line_cell_magic
    def gd(self, line: str, cell: str | None = None) -> Any:
        """Race optimizers on a function in a Playground: ``%gd --help`` says how."""
        try:
            return self._gd(line, cell)
        except MagicError as exc:
            msg = str(exc)
            if cell is not None and msg.startswith("%gd"):
                msg = "%" + msg  # the cell magic's errors name it: %%gd
            raise UsageError(msg) from None

    def _gd(self, line: str, cell: str | None) -> Any:
        from . import build  # noqa: PLC0415

        plan: Plan = parse_line(line, cell=cell is not None)
        if plan.action == "help":
            print(usage(cell is not None))  # noqa: T201 - the magic's own output
            return None
        if plan.action == "list":
            print(listing())  # noqa: T201
            return None
        if cell is None:
            obj = build.objective(plan.objective or "")
        else:
            obj = build.cell_objective(cell, self.shell.user_ns if self.shell else None)
        w = build.build(plan, obj)
        show(w, self.shell)
        build.advance(w, plan)
        return w

    @no_var_expand
    @line_magic
    def gd_monitor(self, line: str) -> Any:
        """``%gd_monitor opt``: a monitor on the torch optimizer ``opt`` (``gd.monitor``)."""
        try:
            return show(_monitor(line, self.shell.user_ns if self.shell else {}), self.shell)
        except MagicError as exc:
            raise UsageError(str(exc)) from None


def _monitor(line: str, namespace: dict[str, Any]) -> Any:
    name = line.strip()
    if not name or name in ("-h", "--help"):
        raise MagicError(
            "%gd_monitor NAME: a monitor on the torch optimizer NAME, e.g. %gd_monitor opt"
        )
    parts = name.split(".")
    if not all(p.isidentifier() for p in parts):
        raise MagicError(f"%gd_monitor: {name!r} is not a name (e.g. %gd_monitor opt)")
    if parts[0] not in namespace:
        raise MagicError(f"%gd_monitor: no variable {parts[0]!r} in the notebook")
    obj = namespace[parts[0]]
    for i, attr in enumerate(parts[1:], start=1):
        if attr.startswith("_") or not hasattr(obj, attr):
            raise MagicError(f"%gd_monitor: {'.'.join(parts[:i])} has no attribute {attr!r}")
        obj = getattr(obj, attr)
    try:
        monitor = importlib.import_module("gdwidget").monitor
        if isinstance(monitor, ModuleType):
            monitor = monitor.monitor
    except (ImportError, AttributeError) as exc:
        raise MagicError(f"%gd_monitor: gd.monitor is not available ({exc})") from None
    if not _is_torch_optimizer(obj):
        raise MagicError(
            f"%gd_monitor: {name} is a {type(obj).__name__}, not a torch.optim.Optimizer"
        )
    try:
        return monitor(optimizer=obj)
    except (ValueError, TypeError, ImportError, RuntimeError) as exc:
        raise MagicError(f"%gd_monitor: {str(exc).strip().splitlines()[0]}") from None


def _is_torch_optimizer(obj: Any) -> bool:
    import sys  # noqa: PLC0415

    torch = sys.modules.get("torch")  # an optimizer exists only if torch is imported
    return torch is not None and isinstance(obj, torch.optim.Optimizer)


def load_ipython_extension(ipython: Any) -> None:
    """Register the magics: ``%load_ext gdwidget``."""
    ipython.register_magics(GdMagics)
