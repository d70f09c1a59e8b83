"""A headless race of optimizers, printed as a table: ``python -m gdwidget.demo``.

Every optimizer starts from the same point of a test function; the table shows
how far each got, and after how many steps it first came within a tolerance of
the known minimum value.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from typing import Any

import numpy as np

from . import optim
from .engine import History, run
from .objectives import functions


def default_race() -> dict[str, Any]:
    """The optimizers of the demo, with learning rates that suit Rosenbrock from (-1.5, 2)."""
    from . import schedules  # noqa: PLC0415

    return {
        "gd": optim.gd(1e-3),
        "momentum": optim.sgd(1e-3, momentum=0.9),
        "nesterov": optim.sgd(1e-3, momentum=0.9, nesterov=True),
        "adagrad": optim.adagrad(0.5),
        "rmsprop": optim.rmsprop(1e-2),
        "adam": optim.adam(0.05),
        "adamw": optim.adamw(0.05, weight_decay=1e-3),
        "adam+cosine": optim.adam(schedules.warmup_cosine(0.0, 0.1, 100, 3000, 1e-3)),
        "lion": optim.lion(0.01),
        "sophia": optim.sophia(0.05, rho=0.04, weight_decay=0.0, k=10),
    }


def first_hit(loss: np.ndarray, target: float) -> list[int | None]:
    """For each run, the first step at which the loss is at most ``target``."""
    out: list[int | None] = []
    for r in range(loss.shape[1]):
        hits = np.flatnonzero(loss[:, r] <= target)
        out.append(int(hits[0]) if hits.size else None)
    return out


def format_table(hist: History, min_value: float | None, tol: float) -> str:
    hits = first_hit(hist.loss - (min_value or 0.0), tol) if min_value is not None else None
    head = ["run", "status", "final loss", "final point", f"steps to loss-min <= {tol:g}"]
    rows = []
    for r, s in enumerate(hist.summary()):
        point = "(" + ", ".join(f"{v:+.4f}" for v in s.get("point", ())) + ")"
        status = s["status"] if s["stop_step"] < 0 else f"{s['status']} @ {s['stop_step']}"
        hit = "-" if hits is None or hits[r] is None else str(hits[r])
        rows.append([s["run"], status, f"{s['loss']:.3e}", point, hit])
    widths = [max(len(x) for x in col) for col in zip(head, *rows, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gdwidget.demo", description=__doc__)
    parser.add_argument("--function", default="rosenbrock", help="test function name")
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--device", default="auto", choices=("cpu", "gpu", "auto"))
    parser.add_argument("--tol", type=float, default=1e-6, help="loss tolerance for the table")
    parser.add_argument("--grad-tol", type=float, default=1e-8, help="stop a run at this |grad|")
    args = parser.parse_args(argv)
    try:
        objective = functions.get(args.function)
    except ValueError as exc:
        parser.error(str(exc))
    race = default_race()
    start = objective.default_start
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        hist = run(
            objective,
            race,
            start=start,
            steps=args.steps,
            device=args.device,
            grad_tol=args.grad_tol,
        )
    dt = time.perf_counter() - t0
    out = sys.stdout
    for w in caught:
        out.write(f"note: {w.message}\n")
    where = objective.global_minima[0] if objective.global_minima else "?"
    out.write(
        f"{len(race)} optimizers on {objective.name} from {tuple(start)}: "
        f"{hist.loss.shape[0] - 1} steps on the {hist.device.upper()} in {dt:.2f} s "
        f"(known minimum {objective.min_value} at {where})\n\n"
    )
    out.write(format_table(hist, objective.min_value, args.tol) + "\n")
    out.write(
        "\nNext: `make lab` opens notebooks/01_quickstart.ipynb, where the same race runs live.\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
