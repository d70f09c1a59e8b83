"""Seeded fuzzing of expression strings: each parses into a Function whose value, gradient
and Hessian-vector product evaluate (the derivatives agreeing with central differences
where the function is smooth), or raises a clear ValueError; nothing ever runs code.

``generate_expressions`` and ``check_expression`` can be imported by other tests.
"""

from __future__ import annotations

import random
import sys
import warnings
from collections import Counter

import numpy as np

import gdwidget as gd

FUNCS = ["sin", "cos", "tan", "exp", "log", "sqrt", "abs", "tanh", "sinh", "cosh", "atan", "arctan"]
NUMBERS = [
    "0",
    "1",
    "2",
    "0.5",
    "3.25",
    "1e-3",
    "2.5e2",
    "1e308",
    "1e400",
    "007",
    "1_000",
    "0x1F",
    "1.",
    ".5",
    "9" * 400,
]
OPS = ["+", "-", "*", "/", "**"]
JUNK = list("()[]{}.,:;_'\"@!$^&|~<>=#%\\ \t\n`?") + [
    "\x00",
    "é",
    "λ",
    "**",
    "//",
    "lambda",
    "import",
    "__",
    "x",
    "y",
    "sin",
    "1",
]

#: attempts to run code; {canary} is a file that must never be created
HOSTILE = [
    "__import__('os').system('touch {canary}')",
    "open('{canary}', 'w').write('x')",
    "().__class__.__bases__[0].__subclasses__()",
    "x.__class__",
    "sin.__globals__",
    "(lambda: open('{canary}', 'w'))()",
    "[open('{canary}', 'w') for _ in (1,)]",
    "{{open('{canary}', 'w')}}",
    'f\'{{open("{canary}", "w")}}\'',
    "(z := open('{canary}', 'w'))",
    "exec(\"open('{canary}', 'w')\")",
    "eval(\"open('{canary}', 'w')\")",
    "compile('1', 'a', 'eval')",
    "getattr(x, '__class__')",
    "globals()",
    "__builtins__",
    "breakpoint()",
    "x if open('{canary}', 'w') else y",
    "sin(x).__class__",
    "sin(*[x])",
    "sin(x=open('{canary}', 'w'))",
    "x[open('{canary}', 'w')]",
    "x + y; __import__('os').system('touch {canary}')",
    "x\n__import__('os')",
    "await x",
    "(yield x)",
    "not x",
    "x @ y",
    "b'x'",
    "...",
    "None",
]


def _has_huge_constant(f) -> bool:
    """A constant (after folding, e.g. ``cosh(250)``) or exponent beyond 1e4 in magnitude."""
    return any(
        op in ("const", "powc") and abs(c) > 1e4
        for op, a, b in f._expr.tape
        for c in ((a if op == "const" else b),)
    )


def _number(r: random.Random) -> str:
    if r.random() < 0.8:
        return r.choice(NUMBERS[:8])
    return r.choice(NUMBERS)


def _tree(r: random.Random, depth: int, names: list[str]) -> str:
    if depth <= 0 or r.random() < 0.25:
        return r.choice(names + ["pi", "e"]) if r.random() < 0.7 else _number(r)
    kind = r.random()
    if kind < 0.5:
        op = r.choice(OPS)
        right = _number(r) if op == "**" and r.random() < 0.7 else _tree(r, depth - 1, names)
        return f"{_tree(r, depth - 1, names)} {op} {right}"
    if kind < 0.65:
        return "-" + _tree(r, depth - 1, names)
    if kind < 0.9:
        return f"{r.choice(FUNCS)}({_tree(r, depth - 1, names)})"
    return f"({_tree(r, depth - 1, names)})"


def _mutate(r: random.Random, s: str) -> str:
    for _ in range(r.randint(1, 3)):
        i = r.randint(0, len(s))
        what = r.random()
        if what < 0.35 and s:
            s = s[:i] + s[i + 1 :]
        elif what < 0.8:
            s = s[:i] + r.choice(JUNK) + s[i:]
        else:
            j = r.randint(0, len(s))
            s = s[:i] + s[min(i, j) : max(i, j)] + s[i:]
    return s


def generate_expressions(seed: int, n: int, canary: str) -> list[tuple[str, str]]:
    """``n`` (kind, expression) pairs: grammar trees, mutations, garbage and hostile ones."""
    r = random.Random(seed)
    out = []
    for k in range(n):
        names = ["x", "y"] if r.random() < 0.8 else [f"x{i}" for i in range(r.randint(1, 4))]
        kind = (
            "tree",
            "tree",
            "tree",
            "tree",
            "tree",
            "mutated",
            "mutated",
            "mutated",
            "garbage",
            "hostile",
        )[k % 10]
        if kind == "tree":
            s = _tree(r, r.randint(1, 6), names)
        elif kind == "mutated":
            s = _mutate(r, _tree(r, r.randint(1, 5), names))
        elif kind == "garbage":
            s = "".join(r.choice(JUNK + FUNCS + OPS) for _ in range(r.randint(0, 30)))
        else:
            attack = r.choice(HOSTILE).format(canary=canary)
            if r.random() < 0.5:  # hidden inside a valid expression
                s = _tree(r, 2, names)
                i = r.randint(0, len(s))
                attack = (
                    f"{s[:i]} + {attack} + {s[i:]}" if r.random() < 0.5 else f"sin({attack}) * {s}"
                )
            s = attack
        out.append((kind, s))
    return out


def _fd_agrees(exact: np.ndarray, f, P: np.ndarray, h: float) -> bool | None:
    """Compare ``exact`` with central differences of ``f`` along each axis; None when the
    differences at steps h and h/2 disagree (not smooth there, or too ill-conditioned)."""
    ests, noise = [], []
    for step in (h, h / 2):
        cols, errs = [], []
        for i in range(P.shape[1]):
            E = np.zeros_like(P)
            E[:, i] = step * np.maximum(1.0, np.abs(P[:, i]))
            fp, fm = f(P + E), f(P - E)
            cols.append((fp - fm) / (2 * E[:, i]))
            errs.append(4e-16 * (np.abs(fp) + np.abs(fm)) / (2 * E[:, i]))  # rounding
        ests.append(np.stack(cols, axis=1))
        noise.append(np.stack(errs, axis=1))
    a, b = ests
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return None
    if np.any(noise[1] > 1e-6 * np.maximum(1.0, np.abs(b))):
        return None  # the differences are rounding noise here
    scale = np.maximum(1.0, np.maximum(np.abs(a), np.abs(b)))
    if np.max(np.abs(a - b) / scale) > 1e-5:
        return None
    return bool(np.max(np.abs(exact - b) / np.maximum(scale, np.abs(exact))) < 1e-4)


def check_expression(expr: str, rng: np.random.Generator) -> str:
    """``"refused"``, ``"checked"`` (derivatives compared with differences) or ``"evaluated"``.

    Raises AssertionError when the expression is neither refused with a clear ValueError
    nor evaluated without an exception and with derivatives matching differences.
    """
    try:
        f = gd.Function(expr)
    except ValueError as exc:
        msg = str(exc)
        assert msg.startswith("f: ") and len(msg) < 700, f"unclear message for {expr!r}: {msg}"
        return "refused"
    P = rng.uniform(-2.0, 2.0, size=(2, f.n_params))
    V = rng.standard_normal(P.shape)
    loss, g = f.value_and_grad(P)
    hv = f.hvp(P, V)
    assert loss.shape == (2,) and g.shape == P.shape and hv.shape == P.shape, expr
    np.testing.assert_array_equal(f.value(P), loss)
    if not (np.all(np.isfinite(loss)) and np.all(np.isfinite(g)) and np.all(np.isfinite(hv))):
        return "evaluated"
    if _has_huge_constant(f):  # x + 1e308 - 1e308: rounding, not calculus, decides
        return "evaluated"
    with np.errstate(all="ignore"):  # the differences' own arithmetic may overflow
        ok = _fd_agrees(g, f.value, P, 1e-5)
        if ok is None:
            return "evaluated"
        assert ok, f"gradient of {expr!r} disagrees with central differences at {P}"
        hv_fd = [(f.grad(P + t * V) - f.grad(P - t * V)) / (2 * t) for t in (1e-5, 5e-6)]
    if all(np.all(np.isfinite(h)) for h in hv_fd):
        scale = np.maximum(1.0, np.abs(hv_fd[1]))
        if np.max(np.abs(hv_fd[0] - hv_fd[1]) / scale) < 1e-5:
            err = np.max(np.abs(hv - hv_fd[1]) / np.maximum(scale, np.abs(hv)))
            assert err < 1e-4, f"HVP of {expr!r} disagrees with differences of the gradient"
    return "checked"


def test_fuzzed_expressions_parse_safely_or_are_refused(tmp_path):
    canary = str(tmp_path / "canary")
    exprs = generate_expressions(20240607, 5000, canary)
    rng = np.random.default_rng(7)
    events: list[tuple[str, tuple]] = []
    watching = [True]

    def hook(event: str, args: tuple) -> None:
        if not watching[0]:
            return
        if event in (
            "os.system",
            "subprocess.Popen",
            "os.exec",
            "os.posix_spawn",
            "os.spawn",
            "builtins.breakpoint",
            "os.remove",
        ):
            events.append((event, args))
        elif event == "open" and "canary" in str(args[0]):
            events.append((event, args))
        elif event == "exec" and getattr(args[0], "co_filename", "").startswith("<"):
            events.append((event, args))  # code made from a string, not an import

    check_expression("sin(x) * exp(y) / 2 + log(x*x + 1)", rng)  # warm every import up
    sys.addaudithook(hook)
    outcomes: Counter[str] = Counter()
    by_kind: Counter[tuple[str, str]] = Counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            for kind, expr in exprs:
                try:
                    outcome = check_expression(expr, rng)
                except AssertionError:
                    raise
                except Exception as exc:  # noqa: BLE001 - the point of the test
                    raise AssertionError(f"{type(exc).__name__} for {expr!r}: {exc}") from exc
                outcomes[outcome] += 1
                by_kind[kind, outcome] += 1
                if kind == "hostile":
                    assert outcome == "refused", f"hostile expression accepted: {expr!r}"
    finally:
        watching[0] = False
    assert events == [], events
    assert not (tmp_path / "canary").exists()
    assert sum(outcomes.values()) == 5000
    # the fuzz is worth something: many valid expressions, most checked against differences
    assert outcomes["checked"] > 1500, outcomes
    assert by_kind["tree", "refused"] < 0.2 * 2500, by_kind
    assert by_kind["mutated", "refused"] > 300 and by_kind["garbage", "refused"] > 400, by_kind
