"""What streaming to the browser costs: run with ``python benchmarks/stream.py``.

Prints, in one run:

1. steps per second of a four-optimizer race on Rosenbrock driven by a Playground's own
   loop thread (speed 0, frames packed and sent to a counting comm), against headless
   ``gd.run`` measured in the same process: the ratio (goal >= 0.95), on runs of 100,000
   steps (about a tenth of a second here), and on short runs of 4,000 steps, whose ratio
   shows what starting and ending a run costs (a thread, the first and last frames);
2. bytes per frame and frames per second of that stream;
3. in Chromium (a Voila page), the page's frame rate while eight runs stream as fast as the
   kernel can (requestAnimationFrame counting; goal >= 55 fps), and the time from the
   widget's view appearing in the page to the first painted landscape.

The browser part needs the built bundle, Voila, Playwright and /usr/bin/chromium; it is
skipped with a message otherwise (``--no-browser`` skips it on purpose).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
import uuid
import warnings
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the browser part reuses the e2e tests' server helpers

import numpy as np  # noqa: E402

import gdwidget as gd  # noqa: E402
from gdwidget.engine import _race  # noqa: E402
from gdwidget.stream import paths, sleeve  # noqa: E402
from gdwidget.widget import Playground, _bundle_present  # noqa: E402

START = (-1.5, 2.0)


def race4() -> dict[str, Any]:
    return {
        "gd": gd.optim.sgd(1e-3),
        "momentum": gd.optim.sgd(1e-3, momentum=0.9),
        "rmsprop": gd.optim.rmsprop(1e-2),
        "adam": gd.optim.adam(0.05),
    }


class CountingComm:
    """A comm that only counts what the kernel would send to the page."""

    kernel = object()

    def __init__(self) -> None:
        self.comm_id = uuid.uuid4().hex
        self.lock = threading.Lock()
        self.frames = 0
        self.histories = 0
        self.frame_bytes = 0
        self.updates = 0

    def send(self, data: dict[str, Any], buffers: Any = None, **_: Any) -> None:
        with self.lock:
            if data.get("method") == "custom":
                kind = data["content"].get("type")
                nbytes = sum(len(b) for b in buffers or [])
                if kind in ("frame", "thin"):  # a thin is a frame after a thinning
                    self.frames += 1
                    self.frame_bytes += nbytes
                elif kind == "history":
                    self.histories += 1
            else:
                self.updates += 1

    def on_msg(self, handler: Any) -> None:
        pass

    def close(self, *_: Any, **__: Any) -> None:
        pass


def headless(steps: int) -> tuple[float, float]:
    """Steps per second of wall time and of the process's CPU time."""
    t0, c0 = time.perf_counter(), time.process_time()
    gd.run(gd.functions.rosenbrock(), race4(), start=START, steps=steps, device="cpu")
    return steps / (time.perf_counter() - t0), steps / (time.process_time() - c0)


def with_widget(steps: int) -> tuple[float, float, CountingComm, float, float]:
    """Steps per second (wall, CPU), the comm, the seconds taken, and the share of them
    spent in the engine's steps (the rest is the loop, frames and state)."""
    w = Playground(
        gd.functions.rosenbrock(),
        race4(),
        start=START,
        device="cpu",
        speed=0,
        grad_tol=0.0,
        max_history=4096,
    )
    comm = CountingComm()
    w.comm = comm
    source, in_engine = w.session.source, [0.0]

    def timed_advance(n: int, advance: Any = source.advance) -> Any:
        t = time.perf_counter()
        try:
            return advance(n)
        finally:
            in_engine[0] += time.perf_counter() - t

    source.advance = timed_advance
    done = threading.Event()
    w.observe(lambda change: change["new"] or done.set(), names="running")
    t0, c0 = time.perf_counter(), time.process_time()
    w._on_msg(w, {"type": "step", "n": steps})  # as the page's "run N" button does
    done.wait()
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert w.run.t == steps, (w.run.t, steps)
    w.close()
    return steps / elapsed, steps / cpu, comm, elapsed, in_engine[0] / elapsed


def pairs(steps: int, repeats: int) -> tuple[list[float], ...]:
    """Headless and widget rates, their ratios (wall and CPU) and the engine's share."""
    h_rates, w_rates, ratios, cpu_ratios, shares = [], [], [], [], []
    for i in range(repeats):
        # pairs in ABBA order, each ratio from two runs seconds apart: this machine's speed
        # drifts by a factor of two over minutes, which a best-of or a mean would carry over
        if i % 2:
            rate, cpu_rate, _, _, share = with_widget(steps)
            h, h_cpu = headless(steps)
        else:
            h, h_cpu = headless(steps)
            rate, cpu_rate, _, _, share = with_widget(steps)
        shares.append(share)
        h_rates.append(h)
        w_rates.append(rate)
        ratios.append(rate / h)
        cpu_ratios.append(cpu_rate / h_cpu)
    return h_rates, w_rates, ratios, cpu_ratios, shares


def kernel_part(steps: int, repeats: int) -> None:
    # the compiled race and thinning load in the background otherwise (with numba)
    _race.load(np.float64)
    paths.COMPILED.load()
    sleeve.COMPILED.load()
    headless(2000)  # warm up imports and caches
    with_widget(2000)
    h_rates, w_rates, ratios, cpu_ratios, shares = pairs(steps, repeats)
    h, wr = statistics.median(h_rates), statistics.median(w_rates)
    # the stream's figures from a run of about two seconds (a pair's run may hold two frames)
    _, _, comm, elapsed, _ = with_widget(max(steps, int(2.0 * wr)))
    q = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else [ratios[0]] * 3
    print(f"four-optimizer Rosenbrock race, {steps} steps, {repeats} pairs (medians):")
    for name, rate, rates in (("headless gd.run", h, h_rates), ("Playground loop", wr, w_rates)):
        print(f"  {name:22} {rate:10.0f} steps/s  (range {min(rates):.0f}-{max(rates):.0f})")
    print(
        f"  ratio, median of pairs {statistics.median(ratios):10.3f}   "
        f"(quartiles {q[0]:.3f}-{q[2]:.3f}; goal >= 0.95)"
    )
    q = statistics.quantiles(cpu_ratios, n=4) if len(ratios) > 1 else [cpu_ratios[0]] * 3
    print(
        f"  the same in CPU time    {statistics.median(cpu_ratios):10.3f}   "
        f"(quartiles {q[0]:.3f}-{q[2]:.3f}; steps per CPU second of the process, which time "
        "taken by other processes does not count)"
    )
    print(
        f"  loop time in the engine {statistics.median(shares):10.3f}   "
        f"(range {min(shares):.3f}-{max(shares):.3f}; the rest: frames, state and the loop)"
    )
    short = pairs(4_000, repeats)[2]
    q = statistics.quantiles(short, n=4) if len(short) > 1 else [short[0]] * 3
    print(
        f"  short runs (4,000 steps) {statistics.median(short):9.3f}   "
        f"(quartiles {q[0]:.3f}-{q[2]:.3f}; a run's start and end included)"
    )
    per_frame = comm.frame_bytes / max(comm.frames, 1)
    print(
        f"  frames                 {comm.frames / elapsed:10.1f} per second "
        f"({comm.frames} frames, {comm.histories} history messages, "
        f"{comm.updates} trait updates in {elapsed:.2f} s)"
    )
    print(
        f"  bytes per frame        {per_frame:10.0f}   (binary buffers; "
        f"{comm.frame_bytes / elapsed / 1024:.0f} KiB/s)"
    )


# ---------------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------------
PAGE_CELLS = [
    "import gdwidget as gd\n"
    "opts = {\n"
    "    'gd': gd.optim.sgd(1e-3), 'momentum': gd.optim.sgd(1e-3, momentum=0.9),\n"
    "    'nesterov': gd.optim.sgd(1e-3, momentum=0.9, nesterov=True),\n"
    "    'adagrad': gd.optim.adagrad(0.5), 'rmsprop': gd.optim.rmsprop(1e-2),\n"
    "    'adam': gd.optim.adam(0.05), 'adamw': gd.optim.adamw(0.05), 'lion': gd.optim.lion(0.01),\n"
    "}\n"
    "w = gd.Playground(gd.functions.rosenbrock(), opts, start=(-1.5, 2.0), device='cpu',\n"
    "                  speed=0, grad_tol=0.0)\n"
    "w",
]

# Installed before any page script: records when the landscape element appears and when its
# heat-map canvas first has painted pixels, and counts animation frames on demand.
INIT_SCRIPT = """
(() => {
  const marks = (window.__gd = { view: null, paint: null, frames: 0, counting: false });
  function tick(now) {
    if (marks.counting) marks.frames++;
    if (marks.paint === null) {
      const el = document.querySelector('[data-testid="gd-landscape"]');
      if (el && marks.view === null) marks.view = now;
      const c = el && el.querySelector('canvas');
      if (c && c.width > 0) {
        const ctx = c.getContext('2d');
        const x = Math.floor(c.width / 2), y = Math.floor(c.height / 2);
        const d = ctx && ctx.getImageData(x, y, 1, 1).data;
        if (d && d[3] > 0) marks.paint = now;
      }
    }
    requestAnimationFrame(tick);
  }
  requestAnimationFrame(tick);
})();
"""


def fps_over(page: Any, seconds: float) -> float:
    page.evaluate("() => { window.__gd.frames = 0; window.__gd.counting = true; }")
    t0 = page.evaluate("() => performance.now()")
    time.sleep(seconds)
    frames, t1 = page.evaluate(
        "() => { window.__gd.counting = false; return [window.__gd.frames, performance.now()]; }"
    )
    return frames / ((t1 - t0) / 1000.0)


def browser_part(seconds: float) -> None:
    try:
        from playwright.sync_api import sync_playwright

        from tests.e2e import servers
    except ImportError as exc:
        print(f"page: skipped ({exc})")
        return
    if not Path(servers.CHROMIUM).exists():
        print(f"page: skipped (no Chromium at {servers.CHROMIUM})")
        return
    if not _bundle_present():
        print("page: skipped (the JavaScript bundle is not built: npm run build)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "nb"
        root.mkdir()
        (root / "bench.ipynb").write_text(servers.notebook_json(PAGE_CELLS))
        server = servers.start("voila", root, notebook="bench.ipynb")
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=servers.CHROMIUM, args=servers.CHROMIUM_ARGS
                )
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.add_init_script(INIT_SCRIPT)
                page.goto(server.page_url(), timeout=120_000)
                page.wait_for_function("() => window.__gd.paint !== null", timeout=120_000)
                view, paint = page.evaluate("() => [window.__gd.view, window.__gd.paint]")
                idle = fps_over(page, 2.0)
                page.locator('[data-testid="gd-play"]').first.click()
                time.sleep(1.0)
                step0 = _step(page)
                streaming = fps_over(page, seconds)
                step1 = _step(page)
                page.locator('[data-testid="gd-pause"]').first.click()
                browser.close()
        finally:
            server.stop()
    print(f"page (Voila in headless Chromium, eight runs streaming at speed 0, {seconds:.0f} s):")
    print(
        f"  frame rate while streaming {streaming:6.1f} fps   (goal >= 55; idle page "
        f"{idle:.1f} fps)"
    )
    print(f"  steps shown per second     {(step1 - step0) / seconds:6.0f}")
    print(
        f"  view to first paint        {paint - view:6.0f} ms  (landscape element in the page "
        f"-> heat map painted; page load to paint {paint:.0f} ms)"
    )


def _step(page: Any) -> int:
    import re

    text = page.locator('[data-testid="gd-status"]').first.inner_text()
    m = re.search(r"step\s+(\d+)", text)
    return int(m.group(1)) if m else 0


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=12)
    ap.add_argument("--seconds", type=float, default=5.0, help="page frame-rate window")
    ap.add_argument("--no-browser", action="store_true")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore", RuntimeWarning)
    kernel_part(args.steps, args.repeats)
    if not args.no_browser:
        browser_part(args.seconds)


if __name__ == "__main__":
    main()
