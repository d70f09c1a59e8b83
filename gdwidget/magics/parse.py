"""The ``%gd`` line, parsed into a :class:`Plan`: pure functions, no IPython.

The line is split with :mod:`shlex` and read with :mod:`argparse`. An optimizer is
written ``label=SPEC`` or as a bare factory name, where ``SPEC`` is a number (the
learning rate of the factory called ``label``), a factory name (its defaults) or a
call of a factory with literal arguments, ``sgd(1e-3, momentum=0.9)``. A call is
read with :mod:`ast` and its arguments with :func:`ast.literal_eval`: nothing on
the line is ever evaluated as Python. Every error is a :class:`MagicError` with a
one-line message.

>>> plan = parse_line('rosenbrock adam=0.05 momentum="sgd(1e-3, momentum=0.9)" --steps 50')
>>> plan.objective, [o.text for o in plan.optimizers], plan.steps
('rosenbrock', ['adam(0.05)', 'sgd(0.001, momentum=0.9)'], 50)
"""

from __future__ import annotations

import argparse
import ast
import difflib
import inspect
import math
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from .. import optim
from ..objectives import functions

__all__ = [
    "DEFAULT_RACE",
    "FACTORIES",
    "MagicError",
    "OptimizerSpec",
    "Plan",
    "listing",
    "parse_line",
    "parse_optimizer",
    "parse_start",
    "usage",
]

FACTORIES: dict[str, Callable[..., Any]] = {
    name: getattr(optim, name)
    for name in ("gd", "sgd", "adagrad", "rmsprop", "adam", "adamw", "lion", "sophia")
}
_LABEL = re.compile(r"[A-Za-z_][\w.+\-]*")
_OPTIM_PREFIXES = ((), ("optim",), ("gd", "optim"), ("gdwidget", "optim"))
_MAX_SPEC = 500  # characters of one optimizer's spec


class MagicError(ValueError):
    """A bad ``%gd`` line: its message is one line, shown without a traceback."""


@dataclass(frozen=True)
class OptimizerSpec:
    """One optimizer of the race: ``label`` gets ``FACTORIES[factory](*args, **kwargs)``."""

    label: str
    factory: str
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()

    @property
    def text(self) -> str:
        """The call, as it would be written: ``sgd(0.001, momentum=0.9)``."""
        parts = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs]
        return f"{self.factory}({', '.join(parts)})"

    def make(self) -> Any:
        """The optimizer; a ``MagicError`` naming the label if the factory refuses."""
        try:
            return FACTORIES[self.factory](*self.args, **dict(self.kwargs))
        except (ValueError, TypeError) as exc:
            raise MagicError(f"%gd: optimizer {self.label}={self.text}: {exc}") from None


@dataclass(frozen=True)
class Plan:
    """What a ``%gd`` line asks for.

    ``action`` is ``"show"``, ``"help"`` or ``"list"``. ``objective`` is a name of
    ``gd.functions`` or an expression (``None`` for ``%%gd``, whose cell body is
    the objective). ``optimizers`` is the race (``DEFAULT_RACE`` when the line
    names none; ``defaulted`` then says so).
    """

    action: str = "show"
    objective: str | None = None
    optimizers: tuple[OptimizerSpec, ...] = ()
    steps: int = 0
    start: tuple[float, ...] | None = None
    device: str = "auto"
    play: bool = False
    defaulted: bool = False


DEFAULT_RACE: tuple[OptimizerSpec, ...] = (
    OptimizerSpec("gd", "gd", (1e-3,)),
    OptimizerSpec("momentum", "sgd", (1e-3,), (("momentum", 0.9),)),
    OptimizerSpec("adam", "adam", (0.05,)),
)

_EXAMPLES = """\
examples:
  %gd rosenbrock adam=0.05 momentum="sgd(1e-3, momentum=0.9)" --play
  %gd "x**2 + 3*sin(y)" adam sgd --steps 100 --start -2,1
  w = %gd himmelblau fast="adam(0.1, betas=(0.8, 0.99))"
  %gd --list

optimizers: LABEL=LR (the factory called LABEL, e.g. adam=0.05), LABEL=NAME (its
defaults), LABEL="NAME(literal args)" (e.g. momentum="sgd(1e-3, momentum=0.9)"),
or a bare NAME. Without any: gd=1e-3, momentum="sgd(1e-3, momentum=0.9)", adam=0.05.
Nothing on the line is run as Python.

%%gd [OPTIMIZERS] [options]: the cell is an expression in x and y, or a function
`def f(x, y): ...` of NumPy operations (gradients by central differences)."""


class _Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` that raises a :class:`MagicError` instead of exiting."""

    def error(self, message: str) -> NoReturn:
        raise MagicError(f"%gd: {message} (see %gd --help)")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        raise MagicError((message or f"%gd: exit {status}").strip())


def _parser(cell: bool) -> _Parser:
    prog = "%%gd" if cell else "%gd"
    parser = _Parser(
        prog=prog,
        add_help=False,
        allow_abbrev=False,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Race gradient-descent optimizers on a function in a Playground.",
        epilog=_EXAMPLES,
    )
    if not cell:
        parser.add_argument(
            "objective",
            nargs="?",
            metavar="FUNCTION_OR_EXPRESSION",
            help='a name of gd.functions (rosenbrock, ...) or a quoted expression, "x**2 + y**2"',
        )
    parser.add_argument(
        "optimizers", nargs="*", metavar="OPTIMIZER", help="LABEL=LR, LABEL=SPEC or NAME"
    )
    parser.add_argument("--steps", default="0", metavar="N", help="take N steps before showing")
    parser.add_argument("--start", metavar="X,Y", help="the start point (default the function's)")
    parser.add_argument(
        "--device", default="auto", choices=("cpu", "gpu", "auto"), help="where the runs compute"
    )
    parser.add_argument("--play", action="store_true", help="start playing at once")
    parser.add_argument("--list", action="store_true", help="list the functions and optimizers")
    parser.add_argument("--help", action="store_true", help="show this help")
    return parser


def usage(cell: bool = False) -> str:
    """The help text of ``%gd`` (``cell=True``: of ``%%gd``)."""
    return _parser(cell).format_help()


def listing() -> str:
    """The functions of ``gd.functions`` and the optimizer factories with their default lr."""
    lines = ["functions: " + ", ".join(functions.names()), "optimizers (default lr):"]
    for name, factory in FACTORIES.items():
        lr = inspect.signature(factory).parameters["lr"].default
        lines.append(
            f"  {name:<8} "
            + ("none: give one, gd=1e-3" if lr is inspect.Parameter.empty else f"{lr:g}")
        )
    return "\n".join(lines)


def _split(line: str) -> list[str]:
    try:
        tokens = shlex.split(line, comments=True)
    except ValueError as exc:  # an unclosed quote
        raise MagicError(f"%gd: cannot split the line: {exc}") from None
    out: list[str] = []
    it = iter(tokens)
    for tok in it:  # `--start -1.5,2`: a negative start is a value, not an option
        if tok == "--start":
            nxt = next(it, None)
            out.append(tok if nxt is None else f"--start={nxt}")
        else:
            out.append(tok)
    return out


def parse_line(line: str, *, cell: bool = False) -> Plan:
    """The :class:`Plan` of a ``%gd`` line (``cell=True``: a ``%%gd`` line, no objective).

    Raises
    ------
    MagicError
        With a one-line message, for anything that is not a valid line.
    """
    if not isinstance(line, str):
        raise MagicError(f"%gd: the line must be a string, got {type(line).__name__}")
    args = _parser(cell).parse_intermixed_args(_split(line))
    if args.help:
        return Plan(action="help")
    if args.list:
        return Plan(action="list")
    tokens = list(args.optimizers)
    objective = None
    if not cell:
        objective = args.objective
        if objective is None or not objective.strip():
            raise MagicError("%gd: give a function or an expression, e.g. %gd rosenbrock adam=0.05")
        if _is_assignment(objective):
            raise MagicError(
                f"%gd: the first word must be a function or an expression, got {objective!r} "
                "(e.g. %gd rosenbrock adam=0.05)"
            )
    specs = tuple(parse_optimizer(t) for t in tokens)
    seen: set[str] = set()
    for s in specs:
        if s.label in seen:
            raise MagicError(f"%gd: the label {s.label!r} is given twice")
        seen.add(s.label)
    return Plan(
        action="show",
        objective=objective,
        optimizers=specs or DEFAULT_RACE,
        steps=_steps(args.steps),
        start=None if args.start is None else parse_start(args.start),
        device=args.device,
        play=bool(args.play),
        defaulted=not specs,
    )


def _is_assignment(token: str) -> bool:
    label, eq, _ = token.partition("=")
    return bool(eq) and _LABEL.fullmatch(label.strip()) is not None


def _steps(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise MagicError(f"%gd: --steps must be a whole number >= 0, got {text!r}") from None
    if n < 0:
        raise MagicError(f"%gd: --steps must be >= 0, got {n}")
    return n


def parse_start(text: str) -> tuple[float, ...]:
    """``"-1.5,2"`` (or ``"(-1.5, 2)"``, ``"-1.5 2"``) as a tuple of finite floats."""
    body = text.strip()
    if body[:1] + body[-1:] in ("()", "[]"):
        body = body[1:-1]
    parts = [p for p in re.split(r"[,\s]+", body.strip()) if p]
    try:
        point = tuple(float(p) for p in parts)
    except ValueError:
        point = ()
    if not point or not all(math.isfinite(v) for v in point):
        raise MagicError(f"%gd: --start must be numbers X,Y (e.g. --start -1.5,2), got {text!r}")
    return point


def parse_optimizer(token: str) -> OptimizerSpec:
    """One optimizer token: ``adam``, ``adam=0.05``, ``fast=adam`` or ``m=sgd(1e-3, momentum=0.9)``.

    The spec is read with :mod:`ast`; only a number, a factory name or a call of a
    factory whose arguments are literals (numbers, strings, booleans, tuples) is
    accepted. Nothing is evaluated.
    """
    label, eq, spec = token.partition("=")
    label = label.strip()
    if not eq:
        if token not in FACTORIES:
            raise MagicError(_unknown(token))
        if token == "gd":
            raise MagicError("%gd: the optimizer gd has no default learning rate: write gd=1e-3")
        return OptimizerSpec(token, token)
    if _LABEL.fullmatch(label) is None:
        raise MagicError(f"%gd: {label!r} is not a label (letters, digits, _ . + -) in {token!r}")
    spec = spec.strip()
    if not spec or len(spec) > _MAX_SPEC:
        raise MagicError(f"%gd: {token!r}: give a learning rate or an optimizer after '='")
    try:
        node = ast.parse(spec, mode="eval").body
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        raise MagicError(f"%gd: {label}={spec!r} is not a number or an optimizer call") from None
    number = _number(node)
    if number is not None:
        if label not in FACTORIES:
            raise MagicError(
                f"%gd: {label}={spec}: with a bare learning rate the label names the "
                f'optimizer ({", ".join(FACTORIES)}); else write {label}="adam({spec})"'
            )
        return _checked(OptimizerSpec(label, label, (number,)))
    name = _factory_name(node)
    if name is not None:
        if name == "gd":
            raise MagicError(f"%gd: {label}=gd: gd has no default learning rate: gd(1e-3)")
        return OptimizerSpec(label, name)
    if isinstance(node, ast.Call):
        name = _factory_name(node.func)
        if name is None:
            raise MagicError(
                f"%gd: {label}={spec!r}: only a call of an optimizer "
                f"({', '.join(FACTORIES)}) is accepted"
            )
        args = tuple(_literal(a, label, spec) for a in node.args)
        kwargs = []
        for kw in node.keywords:
            if kw.arg is None:
                raise MagicError(f"%gd: {label}={spec!r}: ** arguments are not accepted")
            kwargs.append((kw.arg, _literal(kw.value, label, spec)))
        return _checked(OptimizerSpec(label, name, args, tuple(kwargs)))
    raise MagicError(
        f"%gd: {label}={spec!r}: give a learning rate (adam=0.05), an optimizer name or "
        'a call with literal arguments (m="sgd(1e-3, momentum=0.9)")'
    )


def _number(node: ast.expr) -> float | None:
    sign = 1.0
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd | ast.USub):
        sign = -1.0 if isinstance(node.op, ast.USub) else 1.0
        node = node.operand
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    ):
        return sign * float(node.value)
    return None


def _factory_name(node: ast.expr) -> str | None:
    """``adam``, ``optim.adam`` or ``gd.optim.adam`` -> ``"adam"``; anything else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    *prefix, name = reversed(parts)
    if tuple(prefix) in _OPTIM_PREFIXES and name in FACTORIES:
        return name
    if not prefix:
        raise MagicError(_unknown(name))
    return None


def _literal(node: ast.expr, label: str, spec: str) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        piece = ast.get_source_segment(spec, node) or "an argument"
        raise MagicError(
            f"%gd: {label}={spec!r}: {piece} is not a literal (numbers, strings, True/False, "
            "tuples); nothing on the line is run as Python"
        ) from None


def _checked(spec: OptimizerSpec) -> OptimizerSpec:
    """The spec, its arguments bound to the factory's signature (names checked early)."""
    sig = inspect.signature(FACTORIES[spec.factory])
    try:
        sig.bind(*spec.args, **dict(spec.kwargs))
    except TypeError as exc:
        params = ", ".join(sig.parameters)
        raise MagicError(
            f"%gd: {spec.label}={spec.text}: {exc} ({spec.factory} takes {params})"
        ) from None
    return spec


def _unknown(name: str) -> str:
    close = difflib.get_close_matches(name, list(FACTORIES), n=2, cutoff=0.6)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    extra = ""
    if not name.isidentifier():
        extra = ' (an expression with spaces needs quotes: %gd "x**2 + y**2")'
    return f"%gd: unknown optimizer {name!r}{hint}{extra} (%gd --list lists them)"
