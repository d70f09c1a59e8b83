"""A :class:`~gdwidget.magics.parse.Plan` made real: the objective, the race, the Playground.

No IPython here either: every failure is a :class:`MagicError` with one line.
"""

from __future__ import annotations

import ast
import inspect
import logging
import threading
from collections.abc import Callable
from typing import Any

from ..backend import namespace_of
from ..objectives import functions
from ..objectives.custom import Function
from .parse import MagicError, Plan

__all__ = ["CellFunction", "build", "cell_objective", "objective", "optimizers", "race"]

CENTRAL = "gradients by central differences"


def objective(text: str) -> Any:
    """A function of ``gd.functions`` by name, else ``gd.Function(text)`` (an expression)."""
    key = text.strip().lower().replace("-", "_").replace(" ", "_")
    if key in functions.names():
        return functions.get(key)
    try:
        return Function(text)
    except ValueError as exc:
        if text.strip().isidentifier():  # a word that is neither: a misspelt name, surely
            import difflib  # noqa: PLC0415

            close = difflib.get_close_matches(key, functions.names(), n=2, cutoff=0.6)
            hint = f"; did you mean {' or '.join(close)}?" if close else ""
            raise MagicError(
                f"%gd: unknown function {text.strip()!r}{hint} (%gd --list lists them; "
                "an expression uses x and y)"
            ) from None
        raise MagicError(f"%gd: bad expression: {_after_f(str(exc))}") from None


def _after_f(message: str) -> str:
    return message[3:] if message.startswith("f: ") else message


def optimizers(plan: Plan) -> dict[str, Any]:
    """``{label: optimizer}`` of the plan's race, each made afresh."""
    return {spec.label: spec.make() for spec in plan.optimizers}


class CellFunction:
    """A user's ``def f(x, y): ...`` as a vectorized callable for :class:`gd.Function`.

    Calls ``f`` with one column per argument (all runs at once); a scalar result is
    broadcast to every run.
    """

    def __init__(self, fn: Callable[..., Any], names: list[str]) -> None:
        self.fn = fn
        self.n_params = len(names)
        self.__name__ = getattr(fn, "__name__", "f")
        self.signature = f"{self.__name__}({', '.join(names)})"

    def __call__(self, P: Any) -> Any:
        sig = self.signature
        try:
            out = self.fn(*(P[:, i] for i in range(self.n_params)))
        except TypeError as exc:
            raise ValueError(
                f"{sig} gets arrays (all runs at once): use NumPy functions such as np.sin, "
                f"not math.sin ({exc})"
            ) from None
        if isinstance(out, int | float) or getattr(out, "shape", None) == ():
            return namespace_of(P).full((P.shape[0],), float(out), dtype=P.dtype)
        if getattr(out, "shape", None) != (P.shape[0],):
            got = getattr(out, "shape", type(out).__name__)
            raise ValueError(f"{sig} must return one number per point, like x; got {got}")
        return out


def cell_objective(body: str, namespace: dict[str, Any] | None) -> Any:
    """The objective of a ``%%gd`` cell: an expression, or the last ``def`` it makes.

    A cell that defines a function at its top level is the user's own code: it is
    run in ``namespace`` (the user's), and its last function ``f(x, y, ...)``
    becomes a :class:`gd.Function` with gradients by central differences (said in
    its name, which the widget shows). Any other cell is an expression (its lines
    joined), parsed safely by ``gd.Function``.
    """
    if not body.strip():
        raise MagicError("%%gd: the cell is empty; write an expression or def f(x, y): ...")
    try:
        tree = ast.parse(body)
    except SyntaxError:
        tree = None
    defs = [n for n in (tree.body if tree else []) if isinstance(n, ast.FunctionDef)]
    if not defs:
        lines = (ln.split("#", 1)[0].strip() for ln in body.splitlines())
        return objective(" ".join(ln for ln in lines if ln))
    name = defs[-1].name
    ns = namespace if namespace is not None else {}
    try:
        exec(compile(body, "<%%gd cell>", "exec"), ns)  # noqa: S102 - the user's own cell
    except Exception as exc:  # noqa: BLE001 - one line for the user's own error
        raise MagicError(f"%%gd: the cell raised {type(exc).__name__}: {exc}") from None
    fn = ns[name]
    params = [
        p
        for p in inspect.signature(fn).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    if not params:
        raise MagicError(f"%%gd: {name}() must take the coordinates, e.g. def {name}(x, y)")
    cf = CellFunction(fn, [p.name for p in params])
    args = ", ".join(p.name for p in params)
    try:
        return Function(
            cf,
            n_params=len(params),
            name=f"{name}({args}) · {CENTRAL}",
        )
    except ValueError as exc:
        raise MagicError(f"%%gd: {name}({args}): {exc}") from None


def race(plan: Plan, obj: Any) -> tuple[Any, dict[str, Any], Any]:
    """``(objective, optimizers, start)``, what both the Playground and ``gd.run`` take."""
    return obj, optimizers(plan), None if plan.start is None else list(plan.start)


def build(plan: Plan, obj: Any) -> Any:
    """The Playground of ``plan`` on ``obj``, after ``plan.steps`` steps, playing if asked.

    Raises
    ------
    MagicError
        If the Playground refuses the race (a start of the wrong length, an
        objective that fails at the start).
    """
    from ..widget import Playground  # noqa: PLC0415

    obj, opts, start = race(plan, obj)
    try:
        w = Playground(obj, opts, start, device=plan.device)
    except (ValueError, TypeError, RuntimeError) as exc:
        raise MagicError(f"%gd: {_one_line(exc)}") from None
    return w


def advance(w: Any, plan: Plan) -> None:
    """Take ``plan.steps`` steps and start playing if asked; one-line errors.

    The session logs a failed step too (for failures in the playing thread); here the
    failure is the magic's one line instead, so what the steps log from this thread is
    held back, and let through only when they succeed.
    """
    if plan.steps:
        held = _HoldLogs()
        logger = logging.getLogger("gdwidget")
        logger.addFilter(held)
        try:
            w.step(plan.steps)
        except Exception as exc:  # noqa: BLE001 - the widget shows it too
            raise MagicError(
                f"%gd: {_one_line(exc)} ({w.run.t} steps taken; the widget shows it)"
            ) from None
        else:
            logger.removeFilter(held)
            for record in held.records:
                logger.handle(record)
        finally:
            logger.removeFilter(held)
    if plan.play:
        w.play()


class _HoldLogs(logging.Filter):
    """Holds back the records logged from the thread that made it."""

    def __init__(self) -> None:
        super().__init__()
        self.thread = threading.get_ident()
        self.records: list[logging.LogRecord] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if record.thread == self.thread:
            self.records.append(record)
            return False
        return True


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
