"""What watching a PyTorch training loop costs: run with ``python benchmarks/monitor.py``.

Trains a small MLP (64 -> 64 -> 32 -> 10, Adam, batches of 64) on scikit-learn's
digits, the same loop with and without ``gd.monitor(net, opt)`` (the optimizer's step
hook, ``m.log(loss=loss.item())`` every step, frames packed and sent to a comm that
only counts them, the default PCA path). Both loops live side by side in one process
and take turns in short runs (ABBA order): each pair's ratio of examples per second
comes from two runs a fraction of a second apart, since this shared machine's speed
drifts by a factor of two over minutes. Printed: the median of the ratios (goal
>= 0.95) and a bootstrap interval of it (150 pairs by default: with fewer, the median
moves by about 1% from one run to the next), and the training thread's CPU time per step.
torch runs on one thread, so that the measure is of the monitor, not of thread pools
fighting over a shared machine.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
import uuid
from typing import Any

import numpy as np
import torch

import gdwidget as gd

BATCH = 64


class CountingComm:
    """A comm that only counts what the kernel would send to the page."""

    kernel = object()

    def __init__(self) -> None:
        self.comm_id = uuid.uuid4().hex
        self.lock = threading.Lock()
        self.messages: dict[str, int] = {}
        self.bytes = 0

    def send(self, data: dict[str, Any], buffers: Any = None, **_: Any) -> None:
        with self.lock:
            kind = data["content"].get("type") if data.get("method") == "custom" else "update"
            self.messages[kind] = self.messages.get(kind, 0) + 1
            self.bytes += sum(len(b) for b in buffers or [])

    def on_msg(self, handler: Any) -> None:
        pass

    def close(self, *_: Any, **__: Any) -> None:
        pass


def data() -> tuple[torch.Tensor, torch.Tensor]:
    try:
        from sklearn.datasets import load_digits

        d = load_digits()
        x, y = d.data / 16.0, d.target
    except ImportError:  # synthetic digits-shaped data
        rng = np.random.default_rng(0)
        x, y = rng.random((1797, 64)), rng.integers(0, 10, 1797)
    return torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(y, dtype=torch.long)


class Trainer:
    """One MLP, its optimizer and its batches; ``watch`` adds a monitor for its whole life."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, watch: bool) -> None:
        torch.manual_seed(0)
        self.x, self.y = x, y
        self.net = torch.nn.Sequential(
            torch.nn.Linear(64, 64),
            torch.nn.ReLU(),
            torch.nn.Linear(64, 32),
            torch.nn.ReLU(),
            torch.nn.Linear(32, 10),
        )
        self.opt = torch.optim.Adam(self.net.parameters(), lr=1e-3)
        self.lf = torch.nn.CrossEntropyLoss()
        self.order = torch.randperm(x.shape[0], generator=torch.Generator().manual_seed(1))
        self.n = x.shape[0] // BATCH
        self.t = 0
        self.m = self.comm = None
        if watch:
            self.m = gd.monitor(self.net, self.opt)
            self.comm = CountingComm()
            self.m.comm = self.comm

    def run(self, steps: int) -> tuple[float, float, float]:
        """Examples per second (wall), CPU seconds of this thread per step, and of the
        process's other threads (the monitor's flusher) per step."""
        net, opt, lf, m = self.net, self.opt, self.lf, self.m
        w0, c0, p0 = time.perf_counter(), time.thread_time(), time.process_time()
        for _ in range(steps):
            k = self.t % self.n
            i = self.order[k * BATCH : (k + 1) * BATCH]
            opt.zero_grad()
            loss = lf(net(self.x[i]), self.y[i])
            loss.backward()
            opt.step()
            value = loss.item()
            if m is not None:
                m.log(loss=value)
            self.t += 1
        wall, cpu = time.perf_counter() - w0, time.thread_time() - c0
        other = time.process_time() - p0 - cpu
        return steps * BATCH / wall, cpu / steps, other / steps


def median_interval(values: list[float], level: float = 0.9) -> tuple[float, float]:
    """A bootstrap interval of the median of ``values`` (seeded: the same data, the same
    interval), to tell how far the printed median may be from the machine's true one."""
    rng = np.random.default_rng(0)
    a = np.asarray(values)
    meds = np.median(rng.choice(a, size=(2000, a.size)), axis=1)
    tail = (1.0 - level) / 2.0
    return float(np.quantile(meds, tail)), float(np.quantile(meds, 1.0 - tail))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=100, help="steps per run of a pair")
    ap.add_argument("--pairs", type=int, default=150, help="pairs of runs")
    args = ap.parse_args()
    torch.set_num_threads(1)
    x, y = data()
    plain, watched = Trainer(x, y, False), Trainer(x, y, True)
    plain.run(300)  # warm up
    watched.run(300)
    ratios, base, mon, cpu_b, cpu_m, other = [], [], [], [], [], []
    for i in range(args.pairs):
        first, second = (plain, watched) if i % 2 == 0 else (watched, plain)
        one = first.run(args.steps)
        two = second.run(args.steps)
        (b, cb, _), (w, cw, ow) = (one, two) if first is plain else (two, one)
        base.append(b)
        mon.append(w)
        cpu_b.append(cb)
        cpu_m.append(cw)
        other.append(ow)
        ratios.append(w / b)
    watched.m.close()
    med = statistics.median
    print(f"steps: {plain.t:,} without and {watched.t:,} with the monitor, batch {BATCH}")
    print(f"examples/s without the monitor (median of {args.pairs} runs): {med(base):,.0f}")
    print(f"examples/s with the monitor (median of {args.pairs} runs):    {med(mon):,.0f}")
    print(
        f"training thread CPU per step: {med(cpu_b) * 1e6:,.0f} us without, "
        f"{med(cpu_m) * 1e6:,.0f} us with the monitor; the monitor's thread: "
        f"{med(other) * 1e6:,.0f} us per step ({med(other) / med(cpu_m):.1%} of the training's)"
    )
    q = statistics.quantiles(ratios, n=4)
    lo, hi = median_interval(ratios)
    print(
        f"ratio (examples/s with / without), median of {len(ratios)} paired runs: "
        f"{med(ratios):.3f} (90% interval of the median {lo:.3f} .. {hi:.3f}; "
        f"quartiles {q[0]:.3f} .. {q[2]:.3f}; goal >= 0.95)"
    )
    print(f"sent to the page: {watched.comm.messages}, {watched.comm.bytes:,} bytes of buffers")
    h = watched.m.history
    print(f"history: {len(h)} rows, {h.path.shape[0]} path points, layers {h.layers}")


if __name__ == "__main__":
    main()
