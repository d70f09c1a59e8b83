"""What the cover rule costs and gives: run with ``python benchmarks/scribble.py``.

The class race (eight optimizers on Rosenbrock, four of which scribble at the minimum) is
driven by a Playground's own loop at speed 0 for ``--steps`` steps, once with the cover rule
of ``gdwidget.stream.cover`` and once with it switched off, in the same process and in turns.
Prints, for each: steps per second, and each run's path bound (``precision["run_px"]``,
pixels) and the loss floor at the end. The ratio of the speeds is the rule's cost.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path
from unittest import mock

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

import numpy as np  # noqa: E402
from stream import CountingComm  # noqa: E402

import gdwidget as gd  # noqa: E402
from gdwidget.stream import paths, sleeve  # noqa: E402

START = (-1.5, 2.0)


def class_race() -> dict[str, object]:
    """The quickstart's class race: two runs oscillate at rest, four scribble at the minimum."""
    o, s = gd.optim, gd.optim.sgd
    return {"gd": s(1e-3), "momentum": s(1e-3, momentum=0.9),
            "nesterov": s(1e-3, momentum=0.9, nesterov=True), "adagrad": o.adagrad(0.5),
            "rmsprop": o.rmsprop(1e-2), "adam": o.adam(0.05), "adamw": o.adamw(0.05),
            "lion": o.lion(0.01)}  # fmt: skip


def _off(steps, px, err, cover, eps, runs, windows, **_):
    return px, err, cover, np.zeros(steps.shape[0], dtype=bool), windows


def one(steps: int, cover: bool) -> tuple[float, list[float], list[list[int]]]:
    """Steps per second, the bounds and the loss floor after ``steps`` steps."""
    w = gd.Playground(
        gd.functions.rosenbrock(), class_race(), start=START, device="cpu", speed=0, grad_tol=0.0
    )
    w.comm = CountingComm()
    w.session.out.use_pixels([392, 390])
    patch = mock.patch("gdwidget.stream.thinning.relax", _off) if not cover else None
    if patch:
        patch.start()
    try:
        t0 = time.perf_counter()
        for _ in range(steps // 500_000):
            w.step(500_000)
        rate = steps / (time.perf_counter() - t0)
        pr = w.history.precision
        return rate, [round(v, 2) for v in pr["run_px"]], pr["loss_floor"]
    finally:
        if patch:
            patch.stop()
        w.close()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=4_000_000)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore", RuntimeWarning)
    sleeve.COMPILED.load()
    paths.COMPILED.load()
    one(500_000, True)  # warm up
    rates: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(args.repeats):
        for cover in (True, False):
            rate, run_px, floor = one(args.steps, cover)
            rates[cover].append(rate)
            name = "cover rule" if cover else "rule off  "
            print(f"{name}: {rate:,.0f} steps/s  run_px {run_px}  loss_floor {floor}", flush=True)
    ratio = np.median(rates[True]) / np.median(rates[False])
    print(f"speed with the rule / without, median of {args.repeats}: {ratio:.3f}")


if __name__ == "__main__":
    main()
