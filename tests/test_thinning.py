"""The one thinning rule: paths within a pixel, loss curves with their extremes, bounded memory.

References are brute force: every true point's distance to the kept polyline, every bucket's
true first, last, smallest and largest loss, and the full ``gd.run`` history.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

import gdwidget as gd
from gdwidget.stream import (
    DEFAULT_LOSS_PX,
    DEFAULT_PLOT_PX,
    HistoryBuffer,
    LossFloor,
    PixelView,
    Streamer,
    apply,
    default_capacity,
    select_rows,
    unpack,
)
from gdwidget.stream.m4 import bucket_width, m4_rows
from gdwidget.stream.paths import demand, segment_distance, simplify

ROSENBROCK_VIEW = [[-2.0, 2.0], [-1.0, 3.0]]


@dataclass
class Chunk:
    steps: np.ndarray
    loss: np.ndarray
    params: np.ndarray
    grad_norm: np.ndarray
    lr: np.ndarray


def deviation(view: PixelView, true_steps, true_xy, kept_steps, kept_xy) -> np.ndarray:
    """Per run, the largest distance (pixels) from a true point to the kept segment around it."""
    p = view.to_px(np.asarray(true_xy, dtype=np.float64))
    k = view.to_px(np.asarray(kept_xy, dtype=np.float64))
    j = np.clip(np.searchsorted(kept_steps, true_steps, side="right") - 1, 0, len(kept_steps) - 2)
    return segment_distance(p, k[j], k[j + 1]).max(axis=0)


def stream(hist, capacity: int, seed: int = 0):
    """Push a gd.run history through a Streamer in chunks of varying size, as the widget does;
    return the streamer and what the page holds after every packet."""
    rng = np.random.default_rng(seed)
    s = Streamer(hist.n_runs, capacity=capacity, max_fps=1e9, bounds=ROSENBROCK_VIEW)

    def part(a, b):
        sl = slice(a, b)
        h = hist
        return Chunk(h.steps[sl], h.loss[sl], h.params[sl], h.grad_norm[sl], h.lr[sl])

    page: dict[str, np.ndarray] = {}

    def receive(p):
        page.update(apply(page or None, unpack(p.content, p.buffers)))

    s.reset(part(0, 1))
    receive(s.flush())
    a, n = 1, len(hist.steps)
    while a < n:
        b = min(n, a + int(rng.choice([1, 7, 100, 1000, 3000])))
        s.push(part(a, b))
        p = s.flush()
        if p is not None:
            receive(p)
        a = b
    p = s.flush(force=True)
    if p is not None:
        receive(p)
    return s, page


@pytest.fixture(scope="module")
def race():
    """Five optimizers on Rosenbrock from (-1.5, 2) for 100,000 steps: the true paths."""
    opts = {
        "sgd": gd.optim.sgd(1e-3),
        "momentum": gd.optim.sgd(1e-3, momentum=0.9),
        "adam": gd.optim.adam(0.05),
        "rmsprop": gd.optim.rmsprop(1e-3),
        "adagrad": gd.optim.adagrad(0.5),
    }
    return gd.run(gd.functions.rosenbrock(), opts, start=(-1.5, 2.0), steps=100_000, device="cpu")


@pytest.mark.slow
def test_race_paths_stay_within_a_pixel(race, row_filter):
    s, page = stream(race, capacity=4096)
    b = s.buffer
    r = b.rows()
    assert len(r) <= 4096 and r.steps[0] == 0 and r.steps[-1] == 100_000
    np.testing.assert_array_equal(page["steps"], r.steps)  # the page holds the kernel's rows
    view = PixelView.from_bounds(ROSENBROCK_VIEW, DEFAULT_PLOT_PX)
    dev = deviation(view, race.steps, race.params, r.steps, r.xy)
    assert dev.max() <= 1.0, dev
    assert b.precision["px"] <= 1.0 and dev.max() <= b.precision["px"] + 1e-6
    # the same number of rows spread uniformly over the steps draws straight lines across
    # the early zigzag: the rule above is what keeps the paths true
    uniform = np.unique(np.round(np.linspace(0, 100_000, len(r))).astype(np.int64))
    assert deviation(view, race.steps, race.params, uniform, race.params[uniform]).max() > 1.0
    # what the page draws, from what it received
    page_dev = deviation(view, race.steps, race.params, page["steps"], page["xy"])
    assert page_dev.max() <= 1.0 + 1e-3  # float32 on the wire


@pytest.mark.slow
def test_race_with_a_tiny_capacity_records_the_coarser_precision(race, row_filter):
    s, _ = stream(race, capacity=256)
    b = s.buffer
    r = b.rows()
    assert len(r) <= 256 and r.steps[0] == 0 and r.steps[-1] == 100_000
    view = PixelView.from_bounds(ROSENBROCK_VIEW, DEFAULT_PLOT_PX)
    dev = deviation(view, race.steps, race.params, r.steps, r.xy)
    px, run_px = b.precision["px"], np.array(b.precision["run_px"])
    assert px > 1.0 and px == run_px.max()
    assert (dev <= run_px + 1e-6).all(), (dev, run_px)  # each run within its own bound
    # only the runs that crowd the rows were coarsened: the smooth ones keep their pixel
    assert (run_px <= 1.0).sum() >= 2, run_px
    snap = s.snapshot(list("abcde"), list("abcde"))
    assert snap.precision == b.precision


def spiky_loss(steps: np.ndarray, R: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = np.exp(-steps / 20_000.0)[:, None] + 0.01 * np.sin(steps[:, None] * 0.37 + np.arange(R))
    spikes = rng.random((steps.size, R)) < 2e-4
    return base + spikes * rng.uniform(-3, 30, (steps.size, R))


@pytest.mark.parametrize("R", [1, 3])
def test_m4_keeps_every_buckets_first_last_min_and_max(R):
    total = 200_000
    steps = np.arange(total)
    loss = spiky_loss(steps, R)
    xy = np.zeros((total, R, 2))  # the points stay put: only the loss chart needs rows
    buf = HistoryBuffer(R, capacity=2048, bounds=[[-1, 1], [-1, 1]])
    rng = np.random.default_rng(2)
    a = 0
    while a < total:
        b = min(total, a + int(rng.integers(1, 5000)))
        buf.append(steps[a:b], loss[a:b], xy[a:b], loss[a:b], np.ones((b - a, R)))
        a = b
    buf.commit_pending()
    r = buf.rows()
    prec = buf.precision
    w = prec["loss_steps"]
    assert len(r) <= 2048 and buf.generation > 0
    assert w is not None and prec["loss_columns"] >= 90
    # the buckets: powers of two, aligned, each as wide as the floor of its steps says (older
    # steps may keep only wider ones), the newest ones loss_steps wide
    bt, bk = buf.bucket_starts(steps), buf.bucket_starts(r.steps)
    starts = np.flatnonzero(np.r_[True, bt[1:] != bt[:-1]])
    widths = np.diff(np.r_[bt[starts], bt[starts[-1]] + w])
    assert (widths & (widths - 1) == 0).all() and (bt[starts] % widths == 0).all()
    want = np.full(starts.size, w)
    for end, width in reversed(prec["loss_floor"]):
        want[bt[starts] < end] = width
    np.testing.assert_array_equal(widths, want)
    assert starts.size == prec["loss_columns"]
    kept = set(r.steps.tolist())
    assert all(int(s) in kept for s in starts) and all(int(s - 1) in kept for s in starts[1:])
    true_min = np.minimum.reduceat(loss, starts, axis=0)
    true_max = np.maximum.reduceat(loss, starts, axis=0)
    ks = np.flatnonzero(np.r_[True, bk[1:] != bk[:-1]])
    np.testing.assert_array_equal(np.unique(bk), np.unique(bt))
    np.testing.assert_array_equal(np.minimum.reduceat(r.loss, ks, axis=0), true_min)
    np.testing.assert_array_equal(np.maximum.reduceat(r.loss, ks, axis=0), true_max)
    assert r.steps[0] == 0 and r.steps[-1] == total - 1


def test_m4_rows_against_brute_force():
    rng = np.random.default_rng(3)
    steps = np.sort(rng.choice(10_000, 3000, replace=False))
    values = rng.normal(size=(3000, 4))
    values[rng.random(values.shape) < 0.05] = np.nan
    keep = m4_rows(steps, values, 64)
    for bucket in np.unique(steps // 64):
        rows = np.flatnonzero(steps // 64 == bucket)
        assert keep[rows[0]] and keep[rows[-1]]
        for k in range(4):
            v = values[rows, k]
            if np.isfinite(v).any():
                assert keep[rows[np.nanargmin(v)]] and keep[rows[np.nanargmax(v)]]


def test_simplify_keeps_a_zigzag_within_tolerance_by_brute_force():
    t = np.linspace(0, 1, 4000)
    xy = np.stack([t, 0.05 * np.sign(np.sin(t * 200)) * (1 - t)], axis=-1)[:, None, :]
    view = PixelView.from_bounds([[0, 1], [-0.1, 0.1]], (400, 400))
    must = np.zeros(len(t), dtype=bool)
    must[[0, -1]] = True
    keep, err = simplify(xy, view, np.zeros((len(t), 1)), must, 1.0)
    k = np.flatnonzero(keep)
    assert len(k) < len(t) // 4
    p, q = view.to_px(xy[:, 0]), view.to_px(xy[k, 0])
    # distance from every point to the whole kept polyline
    d = segment_distance(p[:, None, :], q[None, :-1, :], q[None, 1:, :]).min(axis=1)
    assert d.max() <= 1.0
    assert err[k].max() <= 1.0


def test_select_rows_keeps_first_last_and_divergence_marks():
    n, R = 5000, 3
    steps = np.arange(n)
    loss = np.tile(np.linspace(1, 0, n)[:, None], (1, R))
    xy = np.zeros((n, R, 2))
    loss[1234:, 1] = np.inf  # run 1's loss overflows at step 1234
    xy[2345:, 2] = np.nan  # run 2's point leaves at step 2345
    view = PixelView.from_bounds([[-1, 1], [-1, 1]], (100, 100))
    sel = select_rows(steps, loss, xy, np.zeros((n, R)), 40, view, tolerance=1.0, columns=360)
    kept = set(steps[sel.keep].tolist())
    assert len(sel.keep) <= 40
    assert {0, n - 1, 1233, 1234, 2344, 2345} <= kept


def test_set_view_rescales_the_bounds_held():
    steps = np.arange(3000)
    xy = np.stack([np.cos(steps / 300), np.sin(steps / 300)], axis=-1)[:, None] * 0.5
    buf = HistoryBuffer(1, capacity=256, bounds=[[-1, 1], [-1, 1]])
    buf.append(steps, np.ones((3000, 1)), xy, np.ones((3000, 1)), np.ones((3000, 1)))
    buf.commit_pending()
    before = buf.precision["px"]
    assert 0 < before <= 1.0
    buf.set_view([[-0.5, 0.5], [-0.5, 0.5]])  # zoom in twice: strays double in pixels
    assert buf.precision["px"] == pytest.approx(2 * before, rel=1e-6)
    with pytest.raises(ValueError, match="bounds"):
        buf.set_view([[1, 0], [0, 1]])
    with pytest.raises(ValueError, match="px"):
        buf.set_view([[0, 1], [0, 1]], px=(0, 10))


def test_a_thousand_runs_stay_bounded_and_the_page_holds_the_kernels_rows():
    R, T, cap = 1000, 5000, 4096
    rng = np.random.default_rng(4)
    ang = np.cumsum(rng.normal(0, 0.05, (T, R)), axis=0)
    xy = np.cumsum(np.stack([np.cos(ang), np.sin(ang)], -1) * 0.002, axis=0)
    loss = 1.0 + 0.1 * rng.random((T, R))
    s = Streamer(R, capacity=cap, max_fps=1e9, bounds=[[-2, 2], [-2, 2]])
    buf = s.buffer
    assert buf.capacity == cap  # not raised with the number of runs
    assert buf.nbytes() <= 100 * 2**20  # 1000 runs x 4096 rows, float32 and the bounds
    held = None
    for a in range(0, T, 250):
        sl = slice(a, a + 250)
        c = Chunk(np.arange(a, a + 250), loss[sl], xy[sl], loss[sl], np.ones((250, R)))
        (s.reset if a == 0 else s.push)(c)
        p = s.flush()
        held = apply(held, unpack(p.content, p.buffers))
    r = buf.rows()
    assert buf.generation > 0 and len(r) <= cap
    assert r.steps[0] == 0 and r.steps[-1] == T - 1
    np.testing.assert_array_equal(held["steps"], r.steps)
    dev = deviation(buf.view, np.arange(T), xy[:, :50], r.steps, r.xy[:, :50])
    assert dev.max() <= buf.precision["px"] + 1e-4


def _exits_brute(px, half):
    m = px.shape[0]
    out = np.full(m, m)
    for a in range(m):
        for j in range(a + 1, m):
            with np.errstate(invalid="ignore"):
                if (np.abs(px[j] - px[a]) >= half).any():
                    out[a] = j
                    break
    return out


@pytest.mark.parametrize("seed", range(12))
def test_exits_against_brute_force(seed):
    from gdwidget.stream.prefilter import exits

    rng = np.random.default_rng(seed)
    m, R = int(rng.integers(1, 90)), int(rng.integers(1, 6))
    scale = [0.05, 0.3, 2.0][seed % 3]  # mostly still, mixed, mostly moving at every row
    px = np.cumsum(rng.normal(0, scale, (m, R, 2)), axis=0)
    px[rng.random((m, R)) < 0.05] = np.nan  # points that are not finite never leave
    assert np.array_equal(exits(px, 0.3), _exits_brute(px.reshape(m, -1), 0.3))


@pytest.mark.parametrize("seed", range(12))
def test_ball_filter_takes_the_rows_a_sequential_scan_takes(seed):
    from gdwidget.stream.prefilter import ball_filter

    rng = np.random.default_rng(100 + seed)
    m, R = int(rng.integers(1, 90)), int(rng.integers(1, 6))
    px = np.cumsum(rng.normal(0, [0.05, 0.3, 2.0][seed % 3], (m, R, 2)), axis=0)
    px[rng.random((m, R)) < 0.05] = np.nan
    anchor = rng.normal(0, 0.1, (R, 2))
    must = rng.random(m) < 0.1
    half = 0.3 / np.sqrt(2.0)
    expected, here = np.zeros(m, dtype=bool), anchor
    for i in range(m):  # take a row when it must be, or when some run left the box around the last
        with np.errstate(invalid="ignore"):
            if must[i] or (np.abs(px[i] - here) >= half).any():
                expected[i], here = True, px[i]
    assert np.array_equal(ball_filter(px, anchor, must, 0.3), expected)


def _walks(rng: np.random.Generator, kind: int) -> np.ndarray:
    n, R = int(rng.integers(3, 2500)), int(rng.integers(1, 9))
    if kind == 0:  # random walks
        return np.cumsum(rng.normal(size=(n, R, 2)), axis=0)
    if kind == 1:  # spirals: deep ranges, past the greedy rounds
        t = np.linspace(0.0, 60.0, n)[:, None]
        return np.stack([np.cos(t) * t, np.sin(t) * t], -1) + rng.normal(size=(1, R, 2))
    xy = rng.normal(size=(n, R, 2)) * 10  # noise, with points that are not finite
    xy[rng.random((n, R)) < 0.05] = np.nan
    xy[rng.random((n, R)) < 0.01] = np.inf
    return xy


@pytest.mark.parametrize("seed", range(4))
def test_compiled_simplify_is_the_numpy_rule_bit_for_bit(seed, monkeypatch):
    """The numba form of the simplification keeps the rows and bounds the NumPy rounds keep,
    and both hold every true point within the tolerance, one for all runs or each run's own
    (brute force)."""
    pytest.importorskip("numba")
    from gdwidget.stream import paths

    assert paths.COMPILED.load()
    rng = np.random.default_rng(seed)
    view = PixelView.from_bounds([[-30.0, 30.0], [-20.0, 20.0]], (450, 400))
    for case in range(30):
        xy = _walks(rng, case % 3)
        n, R = xy.shape[:2]
        err = (rng.random((n, R)) * rng.random()).astype(np.float32)
        err[0] = 0.0
        must = rng.random(n) < rng.random() * 0.1
        must[0] = must[-1] = True
        tol = rng.choice([0.3, 1.0, 4.0], size=R if case % 2 else None)  # one, or per run
        results = []
        for state in ("failed", "ready"):  # the NumPy rounds, then the compiled form
            monkeypatch.setattr(paths.COMPILED, "state", state)
            results.append(simplify(xy, view, err, must, tol))
        (k_np, e_np), (k_nb, e_nb) = results
        kept = np.flatnonzero(k_np)
        assert np.array_equal(k_np, k_nb) and must[k_nb].sum() == must.sum()
        assert e_np[kept].tobytes() == e_nb[kept].tobytes()
        if case % 3 != 2:  # finite paths: every true point within the bound held
            px = view.to_px(xy)
            for a, b in zip(kept[:-1], kept[1:], strict=True):
                if b - a > 1:
                    d = segment_distance(px[a + 1 : b], px[a][None], px[b][None])
                    bound = e_nb[b].astype(np.float64) * (1 + 1e-6)  # stored in float32
                    assert (d <= bound[None]).all() and (e_nb[b] <= tol * (1 + 1e-6)).all()


@pytest.mark.parametrize("seed", range(3))
def test_demand_counts_the_rows_each_run_needs_by_brute_force(seed):
    """A kept row counts for a run when dropping it alone would put one of that run's points
    (with the bounds carried) farther from the merged segment than the run's tolerance."""
    rng = np.random.default_rng(seed)
    view = PixelView.from_bounds([[-30.0, 30.0], [-20.0, 20.0]], (450, 400))
    for case in range(6):
        xy = _walks(rng, case % 2)
        n, R = xy.shape[:2]
        err = (rng.random((n, R)) * 0.3).astype(np.float32)
        err[0] = 0.0
        must = rng.random(n) < 0.02
        must[0] = must[-1] = True
        tol = rng.choice([0.5, 1.0, 4.0], size=R)
        keep, _ = simplify(xy, view, err, must, tol)
        got = demand(xy, view, err, keep, must, tol)
        px, idx, want = view.to_px(xy), np.flatnonzero(keep), np.zeros(R, dtype=np.int64)
        for j in range(1, idx.size - 1):
            a, k, b = idx[j - 1], idx[j], idx[j + 1]
            if must[k]:
                continue
            v = np.arange(a + 1, b)
            d = segment_distance(px[v], px[a][None], px[b][None])
            d += np.maximum(err[v], err[v + 1])
            want += d.max(axis=0) > tol
        np.testing.assert_array_equal(got, want)
        assert got.sum() > 0  # random walks need rows: the test sees something


def test_loss_floor_keeps_the_widest_bucket_of_each_step_and_nothing_covered():
    f = LossFloor().raised(999, 64)  # steps 0..1023 keep buckets of 64
    assert f.pairs() == [[1024, 64]]
    f = f.raised(5000, 16)  # a finer thinning later: 64 before 1024, 16 up to 5008
    assert f.pairs() == [[1024, 64], [5008, 16]]
    np.testing.assert_array_equal(f.at(np.array([0, 1023, 1024, 5007, 5008])), [64, 64, 16, 16, 1])
    assert f.raised(9000, 128).pairs() == [[9088, 128]]  # a wider one covers both
    assert f.raised(3000, 32).pairs() == [[1024, 64], [3008, 32], [5008, 16]]


@pytest.fixture(scope="module")
def race8():
    """The benchmark's and quickstart's eight optimizers (two oscillate at rest, two scribble
    within two pixels of the minimum) on Rosenbrock from (-1.5, 2), 100,000 steps."""
    opts = {
        "gd": gd.optim.sgd(1e-3),
        "momentum": gd.optim.sgd(1e-3, momentum=0.9),
        "nesterov": gd.optim.sgd(1e-3, momentum=0.9, nesterov=True),
        "adagrad": gd.optim.adagrad(0.5),
        "rmsprop": gd.optim.rmsprop(1e-2),
        "adam": gd.optim.adam(0.05),
        "adamw": gd.optim.adamw(0.05),
        "lion": gd.optim.lion(0.01),
    }
    f = gd.functions.rosenbrock()
    return gd.run(f, opts, start=(-1.5, 2.0), steps=100_000, device="cpu", grad_tol=0.0)


@pytest.mark.slow
def test_eight_runs_in_the_default_rows_keep_every_path_and_every_columns_extremes(race8):
    cap = default_capacity(8)
    assert cap <= 4 * 16_384  # bounded: 16,384 rows of 8 runs, about 6 MB
    s, page = stream(race8, capacity=cap)
    b = s.buffer
    r = b.rows()
    np.testing.assert_array_equal(page["steps"], r.steps)  # the page holds the kernel's rows
    view = PixelView.from_bounds(ROSENBROCK_VIEW, DEFAULT_PLOT_PX)
    dev = deviation(view, race8.steps, race8.params, r.steps, r.xy)
    assert dev.max() <= 1.0 and b.precision["px"] <= 1.0, (dev, b.precision)
    # one bucket per pixel column (a power of two of steps), each with every run's extremes
    w = b.precision["loss_steps"]
    assert w == bucket_width(100_000, DEFAULT_LOSS_PX) and not b.precision["loss_floor"]
    bt, bk = race8.steps // w, r.steps // w
    starts = np.flatnonzero(np.r_[True, bt[1:] != bt[:-1]])
    ks = np.flatnonzero(np.r_[True, bk[1:] != bk[:-1]])
    np.testing.assert_array_equal(np.unique(bk), np.unique(bt))
    loss = np.asarray(race8.loss)
    np.testing.assert_array_equal(
        np.minimum.reduceat(r.loss, ks, axis=0), np.minimum.reduceat(loss, starts, axis=0)
    )
    np.testing.assert_array_equal(
        np.maximum.reduceat(r.loss, ks, axis=0), np.maximum.reduceat(loss, starts, axis=0)
    )


def test_loss_floor_counts_the_buckets_it_starts():
    f = LossFloor().raised(999, 64).raised(5000, 16)
    for base in (1, 8, 16, 32, 128, 4096):
        for stop in (1, 500, 1024, 1030, 5008, 6000, 9000):
            steps = np.arange(stop)
            starts = f.starts(steps, base)
            assert f.count(stop, base) == np.unique(starts).size, (base, stop)
            assert (np.diff(starts) >= 0).all() and (starts <= steps).all()
