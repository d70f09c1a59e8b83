"""Training throughput: gdwidget's hand-written MLP on NumPy against PyTorch on the CPU.

The same network (784-256-10, ReLU, cross-entropy), the same synthetic data
(60,000 examples, float32), the same mini-batch index sequence (batch 128) and
the same optimizer (Adam, lr=1e-3) on both sides. gdwidget runs
``model.value_and_grad(P, batch=idx)`` on a ``(1, n_params)`` array followed by
``gd.optim.adam(1e-3).step``; PyTorch runs ``zero_grad / forward / backward /
step`` with ``torch.optim.Adam`` and as many threads as NumPy's BLAS uses.

Run it with ``python benchmarks/train.py [--steps N] [--rounds R]``; it prints
examples per second for both and their ratio (gdwidget / PyTorch; the goal is
>= 1.0). Short rounds alternate between the two, training on, so that a busy
machine slows both alike; the ratio is the median over rounds.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import statistics
import time

import numpy as np
import torch

import gdwidget as gd


def blas_threads() -> int:
    """Number of threads NumPy's BLAS uses (OpenBLAS asked directly, else CPU count)."""
    try:
        from threadpoolctl import threadpool_info  # noqa: PLC0415

        for info in threadpool_info():
            if info.get("user_api") == "blas":
                return int(info["num_threads"])
    except ImportError:
        pass
    try:
        with open("/proc/self/maps") as fh:
            libs = sorted({line.split()[-1] for line in fh if "openblas" in line.lower()})
        for path in libs:
            lib = ctypes.CDLL(path)
            for name in (
                "scipy_openblas_get_num_threads64_",
                "openblas_get_num_threads64_",
                "openblas_get_num_threads",
            ):
                fn = getattr(lib, name, None)
                if fn is not None:
                    return int(fn())
    except OSError:
        pass
    return os.cpu_count() or 1


def make_data(n: int, d: int, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian inputs labelled by a random linear teacher, so there is something to learn."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d), dtype=np.float32)
    teacher = rng.standard_normal((d, k), dtype=np.float32)
    y = np.argmax(X @ teacher, axis=1).astype(np.int64)
    return X, y


class GdwidgetTrainer:
    """gdwidget: ``value_and_grad`` on a ``(1, n_params)`` array, then an Adam step."""

    def __init__(self, model, theta0: np.ndarray) -> None:
        self.model = model
        self.P = theta0[None, :].copy()
        self.opt = gd.optim.adam(1e-3)
        self.state = self.opt.init(self.P)
        self.loss = float("nan")

    def train(self, batches: list) -> float:
        t0 = time.perf_counter()
        for idx in batches:
            loss, G = self.model.value_and_grad(self.P, batch=idx)
            self.opt.step(self.P, G, self.state)
        elapsed = time.perf_counter() - t0
        self.loss = float(loss[0])
        return elapsed


class TorchTrainer:
    """PyTorch: the same network and starting weights, ``torch.optim.Adam``."""

    def __init__(self, X: torch.Tensor, y: torch.Tensor, model, theta0: np.ndarray) -> None:
        self.X, self.y = X, y
        self.net = torch.nn.Sequential(
            torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10)
        )
        views = model.unflatten(theta0)
        with torch.no_grad():  # torch stores W transposed
            for i, layer in ((1, self.net[0]), (2, self.net[2])):
                layer.weight.copy_(torch.from_numpy(np.ascontiguousarray(views[f"W{i}"].T)))
                layer.bias.copy_(torch.from_numpy(np.ascontiguousarray(views[f"b{i}"])))
        self.opt = torch.optim.Adam(self.net.parameters(), lr=1e-3)
        self.loss = float("nan")

    def train(self, batches: list) -> float:
        t0 = time.perf_counter()
        for idx in batches:
            self.opt.zero_grad(set_to_none=True)
            loss = torch.nn.functional.cross_entropy(self.net(self.X[idx]), self.y[idx])
            loss.backward()
            self.opt.step()
        elapsed = time.perf_counter() - t0
        self.loss = float(loss.item())
        return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=60_000)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--steps", type=int, default=25, help="optimizer steps per round")
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument(
        "--no-fused",
        action="store_true",
        help="use gdwidget's generic NumPy Adam, not its numba kernel (sets GDWIDGET_FUSED=0)",
    )
    args = ap.parse_args()
    if args.no_fused:
        os.environ["GDWIDGET_FUSED"] = "0"

    threads = blas_threads()
    torch.set_num_threads(threads)
    X, y = make_data(args.examples, 784, 10)
    model = gd.models.mlp(X, y, hidden=(256,), activation="relu")
    model.to("cpu", "float32")
    theta0 = model.init_params(seed=0, dtype="float32")
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)

    steps = args.steps * args.rounds + 20
    rng = np.random.default_rng(1)
    order = np.concatenate(
        [rng.permutation(args.examples) for _ in range(steps * args.batch // args.examples + 1)]
    )
    batches = [order[i * args.batch : (i + 1) * args.batch] for i in range(steps)]
    tbatches = [torch.from_numpy(b) for b in batches]

    ours = GdwidgetTrainer(model, theta0)
    theirs = TorchTrainer(Xt, yt, model, theta0)
    # warm-up: thread pools, allocators, numba compilation when the fused kernels are on
    ours.train(batches[:20])
    theirs.train(tbatches[:20])

    # Short interleaved rounds, both sides on the same batches: a busy machine
    # slows both sides of a round alike, so the per-round ratio is robust.
    t_ours, t_theirs, ratios = [], [], []
    for r in range(args.rounds):
        sl = slice(20 + r * args.steps, 20 + (r + 1) * args.steps)
        t_ours.append(ours.train(batches[sl]))
        t_theirs.append(theirs.train(tbatches[sl]))
        ratios.append(t_theirs[-1] / t_ours[-1])

    n = args.steps * args.batch
    fused = getattr(gd.optim, "_fused", None)
    fused_on = bool(fused is not None and fused.enabled())
    print(
        f"MLP 784-256-10 relu, float32, batch {args.batch}, Adam lr=1e-3, "
        f"{args.examples} synthetic examples, {args.rounds} rounds x {args.steps} steps"
    )
    print(
        f"threads: NumPy BLAS {threads}, torch {torch.get_num_threads()}; "
        f"numpy {np.__version__}, torch {torch.__version__}; "
        f"gdwidget Adam fused kernel: {'on' if fused_on else 'off'}"
    )
    print(f"loss after {steps} steps: gdwidget {ours.loss:.6f}, torch {theirs.loss:.6f}")
    for label, ts in (("gdwidget (NumPy)", t_ours), ("PyTorch (CPU)   ", t_theirs)):
        print(
            f"{label}: {len(ts) * n / sum(ts):9.0f} examples/s overall, "
            f"best round {n / min(ts):9.0f}"
        )
    print(
        f"ratio gdwidget / PyTorch: {statistics.median(ratios):.2f} (median of rounds; "
        f"overall {sum(t_theirs) / sum(t_ours):.2f}; goal >= 1.0)"
    )


if __name__ == "__main__":
    main()
