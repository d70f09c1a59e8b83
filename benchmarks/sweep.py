"""What a sweep costs: run with ``python benchmarks/sweep.py`` (``--n 100 --steps 500``).

Prints, in one run:

1. the time a ``n x n`` PhaseMap of SGD with momentum (lr x momentum) on Rosenbrock,
   ``steps`` steps each, takes to fill, from the call to the last cell (goal: 100 x 100 with
   500 steps in under 10 s on the CPU), and the same grid as one ``gd.sweep`` call;
2. sweep throughput (run-steps per second) against a loop of single ``gd.run`` calls over
   a sample of the same grid points, and the ratio;
3. whether the sweep stepped the grid as one group (per-run hyperparameter arrays) or one
   group per grid point (an optimizer that cannot take arrays).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import gdwidget as gd  # noqa: E402
from gdwidget.sweeps.run import make_plan  # noqa: E402

warnings.filterwarnings("ignore", message="gdwidget's JavaScript bundle is missing")


def grid(n: int) -> dict[str, np.ndarray]:
    return {"lr": np.logspace(-5, -2.5, n), "momentum": np.linspace(0.0, 0.99, n)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100, help="cells per axis")
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--singles", type=int, default=40, help="single runs timed in the loop")
    args = ap.parse_args()
    g = grid(args.n)
    f = gd.functions.rosenbrock()
    runs = args.n * args.n
    plan = make_plan(f, gd.optim.sgd, g, steps=args.steps)
    how = "one group (per-run arrays)" if plan.arrays else "one group per grid point"
    print(f"grid {args.n} x {args.n} = {runs:,} runs, {args.steps} steps, {how}")

    t0 = time.perf_counter()
    pm = gd.PhaseMap(f, gd.optim.sgd, x=("lr", g["lr"]), y=("momentum", g["momentum"]),
                     steps=args.steps, tol=1e-3)  # fmt: skip
    pm.wait()
    t_map = time.perf_counter() - t0
    print(f"PhaseMap filled:  {t_map:6.2f} s  ({pm.done:,} cells; goal < 10 s for 100 x 100)")

    t0 = time.perf_counter()
    df = gd.sweep(f, gd.optim.sgd, g, steps=args.steps, tol=1e-3)
    t_sweep = time.perf_counter() - t0
    print(f"gd.sweep:         {t_sweep:6.2f} s  ({len(df):,} rows, {df['diverged'].mean():.0%} "
          "diverged)")  # fmt: skip

    rng = np.random.default_rng(0)
    pick = rng.choice(runs, size=min(args.singles, runs), replace=False)
    t0 = time.perf_counter()
    for p in pick:
        lr, mom = g["lr"][p // args.n], g["momentum"][p % args.n]
        gd.run(f, {"one": gd.optim.sgd(lr, momentum=mom)}, steps=args.steps, device="cpu",
               record_params=False)  # fmt: skip
    t_single = (time.perf_counter() - t0) / len(pick)
    sweep_rate = runs * args.steps / t_sweep
    single_rate = args.steps / t_single
    print(f"throughput:       sweep {sweep_rate:,.0f} run-steps/s, single runs "
          f"{single_rate:,.0f} run-steps/s: x{sweep_rate / single_rate:,.0f}")  # fmt: skip


if __name__ == "__main__":
    main()
