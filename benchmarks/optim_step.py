"""How long one optimizer step takes, against PyTorch's CPU Adam and a plain memory copy.

Not a test: a script that prints two tables.

1. One step on N float32 parameters (default 16M) for each optimizer, with the ratios
   to PyTorch's CPU Adam (``foreach=True`` and ``fused=True``) and to ``np.copyto`` of
   N float32, all measured in this run: after a warm-up, each optimizer is timed in
   rounds alternating with the three references, and the medians are reported.
   "fused" is our default path (numba kernels when numba is installed); "generic"
   is the array-agnostic NumPy path (``GDWIDGET_FUSED=0``, shown with ``--generic``).
2. The vectorized race: 2-D Adam on Rosenbrock, 10,000 runs stepped together as one
   ``(10000, 2)`` array through ``gd.run``, against runs stepped one at a time
   (separate ``gd.run`` calls with a ``(1, 2)`` start), per run-step. Stepping all
   10,000 runs one at a time takes minutes, so by default a sample of them is timed
   (``--single-runs``); the per run-step time does not depend on how many are sampled.
3. The small race: one step of five optimizers (sgd, sgd with momentum, rmsprop, adam,
   adamw) on the 2-D Rosenbrock function through ``Run.advance`` (the whole engine step:
   rates, updates, objective, stop rules, the recorded row), against one step of the same
   race in PyTorch (five ``torch.optim`` optimizers on five 2-element tensors, the
   gradient written by hand), measured in alternating rounds in this run; medians. Each
   round resets the race and takes 200 steps in one call, so the figure includes the reset,
   the first step (taken the ordinary way) and the call's set-up; the same step in calls of
   2,000 steps without a reset is printed too. Also the time of
   ``Run.reset()`` and 300 steps, what instant mode recomputes on each drag.

Run: ``python benchmarks/optim_step.py`` (``--help`` for sizes and repeats).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import numpy as np

import gdwidget as gd
from gdwidget.optim import _fused


def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def ours_step(
    make: Callable[[], gd.optim.Optimizer], p: np.ndarray, g: np.ndarray, fused: bool
) -> Callable[[], None]:
    opt = make()
    state = opt.init(p)

    def step() -> None:
        os.environ["GDWIDGET_FUSED"] = "1" if fused else "0"
        opt.step(p, g, state)

    return step


def torch_adam_step(n: int, **flags: bool) -> Callable[[], None]:
    import torch  # noqa: PLC0415 - the reference is optional for the package

    gen = torch.Generator().manual_seed(0)
    p = torch.randn(n, generator=gen, dtype=torch.float32, requires_grad=True)
    p.grad = torch.randn(n, generator=gen, dtype=torch.float32)
    opt = torch.optim.Adam([p], lr=1e-3, **flags)
    return opt.step


OPTIMIZERS: dict[str, Callable[[], gd.optim.Optimizer]] = {
    "gd": lambda: gd.optim.gd(1e-3),
    "sgd (momentum 0.9)": lambda: gd.optim.sgd(1e-3, momentum=0.9),
    "adagrad": lambda: gd.optim.adagrad(),
    "rmsprop": lambda: gd.optim.rmsprop(),
    "adam": lambda: gd.optim.adam(),
    "adam (amsgrad)": lambda: gd.optim.adam(amsgrad=True),
    "adamw": lambda: gd.optim.adamw(),
    "lion": lambda: gd.optim.lion(),
    "sophia (no estimate due)": lambda: gd.optim.sophia(),
}


def step_table(n: int, warmup: int, repeats: int, generic: bool, only: list[str]) -> None:
    """Each candidate is timed in rounds, alternating with the three references.

    The ratios are medians of per-round ratios, so a load change on a shared machine
    hits a candidate and its references alike.
    """
    import torch  # noqa: PLC0415

    rng = np.random.default_rng(1)
    src = rng.standard_normal(n, dtype=np.float32)
    dst = np.empty_like(src)
    refs = {
        "copy": lambda: np.copyto(dst, src),
        "foreach": torch_adam_step(n, foreach=True),
        "fused": torch_adam_step(n, fused=True),
    }
    p = rng.standard_normal((1, n), dtype=np.float32)
    g = rng.standard_normal((1, n), dtype=np.float32)

    def measure(fn: Callable[[], object]) -> dict[str, list[float]]:
        samples: dict[str, list[float]] = {"ours": [], **{k: [] for k in refs}}
        for r in range(warmup + repeats):
            for key, f in (("ours", fn), *refs.items()):
                t = timed(f)
                if r >= warmup:
                    samples[key].append(t)
        return samples

    print(
        f"\nOne step on {n:,} float32 parameters; {repeats} timed rounds after {warmup} "
        "warm-up, each candidate alternating with the references; medians"
    )
    print(
        f"numba kernels: {'yes' if _fused.available() else 'no (generic path only)'}; "
        f"threads: torch {torch.get_num_threads()}, numba "
        f"{_numba_threads()}; torch {torch.__version__}\n"
    )
    head = (
        f"{'optimizer':<26}{'path':<9}{'ms':>8}{'/ torch fused':>15}{'/ torch foreach':>17}"
        f"{'/ copy':>8}"
    )
    print(head)
    print("-" * len(head))
    ref_all: dict[str, list[float]] = {k: [] for k in refs}
    saved = os.environ.get("GDWIDGET_FUSED")
    try:
        for name, make in OPTIMIZERS.items():
            if only and name.split(" ")[0] not in only:
                continue
            for fused in [True, False] if generic else [True]:
                smp = measure(ours_step(make, p, g, fused))
                for k in refs:
                    ref_all[k] += smp[k]
                label = ("fused" if _fused.available() else "numpy") if fused else "generic"
                ratio = {
                    k: statistics.median(o / r for o, r in zip(smp["ours"], smp[k], strict=True))
                    for k in refs
                }
                print(
                    f"{name:<26}{label:<9}{statistics.median(smp['ours']) * 1e3:>8.1f}"
                    f"{ratio['fused']:>15.2f}{ratio['foreach']:>17.2f}{ratio['copy']:>8.2f}"
                )
    finally:
        if saved is None:
            os.environ.pop("GDWIDGET_FUSED", None)
        else:
            os.environ["GDWIDGET_FUSED"] = saved
    med = {k: statistics.median(v) for k, v in ref_all.items()}
    for key, label in (
        ("fused", "torch Adam (fused=True)"),
        ("foreach", "torch Adam (foreach=True)"),
        ("copy", "np.copyto"),
    ):
        print(
            f"{label:<26}{'':<9}{med[key] * 1e3:>8.1f}{med[key] / med['fused']:>15.2f}"
            f"{med[key] / med['foreach']:>17.2f}{med[key] / med['copy']:>8.2f}"
        )


def _numba_threads() -> str:
    try:
        import numba  # noqa: PLC0415
    except ImportError:
        return "-"
    return str(numba.get_num_threads())


def race(n_runs: int, steps: int, single_runs: int) -> None:
    objective = gd.functions.rosenbrock()
    rng = np.random.default_rng(2)
    starts = np.column_stack([rng.uniform(-2, 2, n_runs), rng.uniform(-1, 3, n_runs)])
    opt = gd.optim.adam(0.02)
    kw = {"steps": steps, "device": "cpu", "record_params": False}

    gd.run(objective, {"adam": opt}, start=starts[:2], **kw)  # warm-up
    t0 = time.perf_counter()
    hist = gd.run(objective, {"adam": opt}, start=starts, **kw)
    t_vec = time.perf_counter() - t0
    done_vec = int(hist.loss.shape[0] - 1) * n_runs

    k = min(single_runs, n_runs)
    t0 = time.perf_counter()
    done_one = 0
    for i in range(k):
        h = gd.run(objective, {"adam": opt}, start=starts[i : i + 1], **kw)
        done_one += int(h.loss.shape[0] - 1)
    t_one = time.perf_counter() - t0

    per_vec = t_vec / done_vec
    per_one = t_one / done_one
    print(f"\nVectorized race: 2-D Adam on Rosenbrock, {steps} steps, through gd.run (cpu)")
    print(
        f"{n_runs:,} runs together as one ({n_runs}, 2) array: {t_vec:.3f} s, "
        f"{per_vec * 1e9:.1f} ns per run-step"
    )
    print(
        f"one run at a time ((1, 2) arrays; {k:,} of the {n_runs:,} timed): {t_one:.3f} s, "
        f"{per_one * 1e6:.1f} us per run-step"
    )
    print(f"speed-up per run-step: {per_one / per_vec:,.0f}x")


RACE = {
    "sgd": (lambda: gd.optim.sgd(1e-3), lambda ps, torch: torch.optim.SGD(ps, lr=1e-3)),
    "momentum": (
        lambda: gd.optim.sgd(1e-3, momentum=0.9),
        lambda ps, torch: torch.optim.SGD(ps, lr=1e-3, momentum=0.9),
    ),
    "rmsprop": (lambda: gd.optim.rmsprop(1e-3), lambda ps, torch: torch.optim.RMSprop(ps, lr=1e-3)),
    "adam": (lambda: gd.optim.adam(1e-2), lambda ps, torch: torch.optim.Adam(ps, lr=1e-2)),
    "adamw": (lambda: gd.optim.adamw(1e-2), lambda ps, torch: torch.optim.AdamW(ps, lr=1e-2)),
}


#: the steps instant mode recomputes on every drag (its default)
INSTANT_STEPS = 300
#: steps per call of the steady figure (a playing race's chunks are of this order)
STEADY_STEPS = 2000


def small_race(rounds: int, steps: int) -> None:
    """Per-step cost of the five-optimizer 2-D race, ours (Run.advance) against torch."""
    import torch  # noqa: PLC0415

    from gdwidget.engine import Run, _race  # noqa: PLC0415

    _race.load(np.float64)  # the compiled race loads in the background otherwise
    run = Run(gd.functions.rosenbrock(), {k: v[0]() for k, v in RACE.items()}, device="cpu")
    params = [torch.tensor([-1.0, 1.5], dtype=torch.float64) for _ in RACE]
    opts = [make(params[i : i + 1], torch) for i, (_, make) in enumerate(RACE.values())]

    def torch_steps() -> None:
        for p, opt in zip(params, opts, strict=True):
            x, y = p[0], p[1]  # Rosenbrock's gradient by hand, as our objective has it
            p.grad = torch.stack((-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)))
            opt.step()

    def ours() -> None:
        run.reset()
        run.advance(steps)

    def theirs() -> None:
        for p in params:
            p.data = torch.tensor([-1.0, 1.5], dtype=torch.float64)
        for _ in range(steps):
            torch_steps()

    def instant() -> None:
        run.reset()
        run.advance(INSTANT_STEPS)

    def steady() -> None:
        run.advance(STEADY_STEPS)

    ours(), theirs(), instant()  # warm-up (numba kernels load, torch's first steps)
    mine, ref, inst, flat = [], [], [], []
    for _ in range(rounds):
        mine.append(timed(ours) / steps)
        ref.append(timed(theirs) / steps)
        inst.append(timed(instant))
        flat.append(timed(steady) / STEADY_STEPS)
    a, b = statistics.median(mine), statistics.median(ref)
    print(
        f"\nSmall race: one step of {', '.join(RACE)} on 2-D Rosenbrock; {rounds} rounds "
        f"of {steps} steps, alternating; medians"
    )
    print(f"ours (Run.advance, the whole engine step): {a * 1e6:8.1f} us")
    print(f"torch.optim (five optimizers, 2 elements): {b * 1e6:8.1f} us")
    print(f"ours / torch: {a / b:.2f}")
    print(
        f"ours, {STEADY_STEPS:,} steps per call without a reset: "
        f"{statistics.median(flat) * 1e6:.1f} us a step"
    )
    print(
        f"instant mode's recomputation (reset and {INSTANT_STEPS} steps, no page): "
        f"{statistics.median(inst) * 1e3:.2f} ms"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=16 * 2**20, help="parameters per step (16M)")
    ap.add_argument("--repeats", type=int, default=11)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument(
        "--generic", action="store_true", help="also time the generic NumPy path (GDWIDGET_FUSED=0)"
    )
    ap.add_argument("--runs", type=int, default=10_000, help="runs in the vectorized race")
    ap.add_argument("--steps", type=int, default=200, help="steps in the vectorized race")
    ap.add_argument(
        "--single-runs", type=int, default=200, help="how many of the runs to time one at a time"
    )
    ap.add_argument(
        "--only", default="", help="comma-separated optimizers for the step table (adam,lion)"
    )
    ap.add_argument("--skip-step", action="store_true", help="skip the step table")
    ap.add_argument("--skip-small", action="store_true", help="skip the small 2-D race")
    ap.add_argument("--small-rounds", type=int, default=15, help="rounds of the small race")
    ap.add_argument("--skip-race", action="store_true", help="only the step table")
    args = ap.parse_args()
    if not args.skip_step:
        only = [o.strip() for o in args.only.split(",") if o.strip()]
        step_table(args.n, args.warmup, args.repeats, args.generic, only)
    if not args.skip_small:
        small_race(args.small_rounds, 200)
    if not args.skip_race:
        race(args.runs, args.steps, args.single_runs)


if __name__ == "__main__":
    main()
