"""gdwidget.export: the replay page's embedded data, its self-containment, the static picture,
and the Playground's mime bundle through nbclient and nbconvert."""

from __future__ import annotations

import base64
import json
import re
import struct
import warnings
import xml.etree.ElementTree as ET
import zlib

import numpy as np
import pytest
from widget_helpers import distance_to_polyline

import gdwidget as gd
from gdwidget.export import codec, snapshot, static_svg, to_html
from gdwidget.export.colors import color_positions, grid_png, viridis

SVG = "{http://www.w3.org/2000/svg}"
VIEW_MIME = "application/vnd.jupyter.widget-view+json"
OPTS = {
    "gd": gd.optim.sgd(1e-3),
    "momentum": gd.optim.sgd(1e-3, momentum=0.9),
    "adam": gd.optim.adam(0.05),
}


@pytest.fixture(scope="module")
def playground():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = gd.Playground(gd.functions.rosenbrock(), OPTS, start=(-1.5, 2.0), device="cpu")
    w.step(100)
    yield w
    w.close()


# -- helpers ------------------------------------------------------------------------------
def svg_paths(svg: str) -> tuple[dict, dict[str, list[np.ndarray]]]:
    """The landscape group's attributes and, per label, its paths' subpaths in data coordinates."""
    root = ET.fromstring(svg)
    g = next(e for e in root.iter(f"{SVG}g") if e.get("class") == "gd-static-landscape")
    box = {
        k: float(g.get(f"data-{k}"))
        for k in ("x0", "x1", "y0", "y1", "left", "top", "width", "height")
    }
    out = {}
    for p in g.iter(f"{SVG}path"):
        if p.get("class") != "gd-static-path":
            continue
        subs = []
        for part in re.split(r"(?=M)", p.get("d")):
            pts = re.findall(r"[ML](-?[\d.]+),(-?[\d.]+)", part)
            if pts:
                subs.append(np.array(pts, dtype=float))
        out[p.get("data-label")] = subs
    return box, out


def to_px(box: dict, xy: np.ndarray) -> np.ndarray:
    sx = box["width"] / (box["x1"] - box["x0"])
    sy = box["height"] / (box["y1"] - box["y0"])
    return np.stack(
        [box["left"] + (xy[:, 0] - box["x0"]) * sx, box["top"] + (box["y1"] - xy[:, 1]) * sy],
        axis=1,
    )


def from_px(box: dict, px: np.ndarray) -> np.ndarray:
    sx = (box["x1"] - box["x0"]) / box["width"]
    sy = (box["y1"] - box["y0"]) / box["height"]
    return np.stack(
        [box["x0"] + (px[:, 0] - box["left"]) * sx, box["y1"] - (px[:, 1] - box["top"]) * sy],
        axis=1,
    )


def check_picture(svg: str, labels: list[str], xy: np.ndarray) -> None:
    """Every drawn vertex is a history point, and every history point is within a pixel of its
    run's drawn path, mapped through the SVG's own axes."""
    box, paths = svg_paths(svg)
    assert sorted(paths) == sorted(labels)
    for r, label in enumerate(labels):
        drawn = np.concatenate(paths[label])
        truth = to_px(box, xy[:, r])
        # each vertex drawn: a history point (to the 0.01 px the SVG writes)
        back = from_px(box, drawn)
        nearest = np.array([np.min(np.hypot(*(to_px(box, xy[:, r]) - d).T)) for d in drawn])
        assert nearest.max() < 0.01, (label, nearest.max())
        assert np.allclose(
            back[0], xy[0, r], atol=0.01 * (box["x1"] - box["x0"]) / box["width"] * 2
        )
        # each history point: within a pixel of the drawn path
        dist = distance_to_polyline(truth, drawn)
        assert dist.max() < 1.0, (label, dist.max())


# -- the embedded data ----------------------------------------------------------------------
def test_playground_page_embeds_exactly_its_bounded_history(playground):
    w = playground
    hist = w.history
    doc = codec.from_html(to_html(w))
    a = doc["arrays"]
    assert doc["n"] == len(hist) == 101 and doc["n_runs"] == 3
    np.testing.assert_array_equal(a["steps"], hist.steps)
    np.testing.assert_array_equal(a["loss"], hist.loss)
    np.testing.assert_array_equal(a["xy"], hist.xy)
    np.testing.assert_array_equal(a["lr"], hist.lr)
    np.testing.assert_array_equal(a["grad_norm"], hist.grad_norm)
    assert [r["label"] for r in doc["meta"]["runs"]] == hist.labels == list(OPTS)
    assert [r["color"] for r in doc["meta"]["runs"]] == [r["color"] for r in w.meta["runs"]]
    # the landscape is the one the widget shows
    g = doc["grid"]
    assert g["meta"] == w.grid_meta
    np.testing.assert_array_equal(g["values"].ravel(), np.frombuffer(w.grid, dtype="<f4"))
    assert [s["status"] for s in doc["status"]] == hist.status


def test_save_html_writes_the_file(playground, tmp_path):
    out = playground.save_html(tmp_path / "race.html", title="my race")
    text = out.read_text(encoding="utf-8")
    assert "<title>my race · gdwidget replay</title>" in text
    assert codec.from_html(text)["title"] == "my race"
    with pytest.raises(ValueError, match="folder does not exist"):
        gd.save_html(playground, tmp_path / "nowhere" / "x.html")
    with pytest.raises(TypeError, match="source must be"):
        gd.save_html(object(), tmp_path / "x.html")


def test_history_page_embeds_its_rows_and_the_objectives_landscape():
    f = gd.functions.himmelblau()
    h = gd.run(f, {"adam": gd.optim.adam(0.05), "gd": gd.optim.sgd(1e-3)}, steps=300, device="cpu")
    doc = codec.from_html(to_html(h, objective=f))
    a = doc["arrays"]
    np.testing.assert_array_equal(a["steps"], h.steps)
    np.testing.assert_array_equal(a["loss"], h.loss)
    np.testing.assert_array_equal(a["xy"], h.params[:, :, :2])
    np.testing.assert_array_equal(a["lr"], h.lr)
    # the landscape: the objective over the box, brute force
    gm = doc["grid"]["meta"]
    xs = np.linspace(gm["x0"], gm["x1"], gm["nx"])
    ys = np.linspace(gm["y0"], gm["y1"], gm["ny"])
    X, Y = np.meshgrid(xs, ys)
    z = f.value(np.stack([X.ravel(), Y.ravel()], axis=1)).reshape(X.shape)
    np.testing.assert_allclose(doc["grid"]["values"], z.astype(np.float32), rtol=1e-6)
    assert [[gm["x0"], gm["x1"]], [gm["y0"], gm["y1"]]] == doc["view"]
    assert doc["meta"]["minima"] and doc["meta"]["global_minima"]
    # without its objective: the paths and no landscape
    assert codec.from_html(to_html(h))["grid"] is None


def test_a_long_history_is_thinned_by_the_streams_rule_keeping_its_own_rows():
    f = gd.functions.rosenbrock()
    opts = {"adam": gd.optim.adam(0.01), "gd": gd.optim.sgd(5e-4)}
    h = gd.run(f, opts, start=(-1.5, 2.0), steps=6000, device="cpu")
    snap = snapshot(h, objective=f, max_rows=256)
    assert len(snap) <= 256
    keep = np.searchsorted(h.steps, snap.steps)
    np.testing.assert_array_equal(h.steps[keep], snap.steps)  # real rows, not resampled
    np.testing.assert_array_equal(snap.xy, h.params[keep, :, :2])
    np.testing.assert_array_equal(snap.loss, h.loss[keep])
    assert snap.steps[0] == 0 and snap.steps[-1] == 6000
    # each step's point stays within a pixel of the kept polyline (the stream's promise)
    (x0, x1), (y0, y1) = snap.view
    px = np.array([450 / (x1 - x0), 400 / (y1 - y0)])
    for r in range(2):
        dist = distance_to_polyline(h.params[::7, r, :2] * px, snap.xy[:, r] * px)
        assert dist.max() <= snap.meta["path_px"] + 1e-6 <= 1.0 + 1e-6


def test_a_history_outgrowing_its_rows_records_the_bound_it_kept_and_the_page_says_it():
    f = gd.functions.rosenbrock()
    opts = {"adam": gd.optim.adam(0.05), "lion": gd.optim.lion(0.01), "gd": gd.optim.sgd(1e-3)}
    h = gd.run(f, opts, start=(-1.5, 2.0), steps=20_000, device="cpu")
    snap = snapshot(h, objective=f, max_rows=64)
    bound = snap.meta["path_px"]
    assert bound > 1.0  # 64 rows cannot hold two scribbling runs within a pixel
    (x0, x1), (y0, y1) = snap.view
    px = np.array([450 / (x1 - x0), 400 / (y1 - y0)])
    worst = max(
        distance_to_polyline(h.params[:, r, :2] * px, snap.xy[:, r] * px).max() for r in range(3)
    )
    assert worst <= bound + 1e-6
    assert codec.from_html(to_html(h, objective=f, max_rows=64))["meta"]["path_px"] == bound


def test_page_is_self_contained(playground):
    text = to_html(playground)
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", text))
    assert urls <= {"http://www.w3.org/2000/svg"}, urls  # a namespace name, never fetched
    assert not re.search(r"<(link|iframe|img|object|embed)\b", text, re.IGNORECASE)
    assert not re.search(r"<script[^>]*\bsrc=", text, re.IGNORECASE)
    for m in re.finditer(r"url\(\s*['\"]?([^'\")]*)", text):
        assert m.group(1).startswith(("data:", "#")), m.group(0)
    assert not re.search(r"@import|\bimport\s*\(|\bfrom\s*[\"']", text)
    for m in re.finditer(r"\b(?:src|href)=\"([^\"]*)\"", text):
        assert m.group(1).startswith(("data:", "#")), m.group(0)
    assert "connect-src 'none'" in text and "default-src 'none'" in text
    # one module script; nothing in the data or the bundle closes a script early
    assert text.count("<script") == 2 and text.count("</script>") == 2


# -- the static picture ---------------------------------------------------------------------
def test_static_svg_paths_lie_within_a_pixel_of_the_history(playground):
    hist = playground.history
    svg = static_svg(playground)
    check_picture(svg, hist.labels, hist.xy)
    root = ET.fromstring(svg)
    markers = {c.get("data-label"): c for c in root.iter(f"{SVG}circle") if c.get("data-label")}
    box, _ = svg_paths(svg)
    for r, label in enumerate(hist.labels):
        end = to_px(box, hist.xy[-1:, r])[0]
        assert abs(float(markers[label].get("cx")) - end[0]) < 0.01
        assert abs(float(markers[label].get("cy")) - end[1]) < 0.01


def test_static_svg_heatmap_is_the_grid_in_the_pages_colours(playground):
    snap = snapshot(playground)
    png = grid_png(snap.grid, snap.grid_meta)
    w, h, rows = _read_png(png)
    ny, nx = snap.grid.shape
    assert (w, h) == (nx, ny)
    t = color_positions(snap.grid, snap.grid_meta["zmin"], snap.grid_meta["zmax"], True)
    want = viridis(t)[::-1]  # row 0 of the PNG is the top, y1
    np.testing.assert_array_equal(rows[..., :3], want)
    # the colour scale, both log branches of js/scales.js's colorTransform
    z = np.array([1e-2, 1e2, 1.0])
    assert color_positions(z, 1e-2, 1e2, True) == pytest.approx([0.0, 1.0, 0.5])
    eps = (1e4 - 1e-3) * 1e-6  # over six decades: log10(z - zmin + eps)
    want = (np.log10(1.0 - 1e-3 + eps) - np.log10(eps)) / (
        np.log10(1e4 - 1e-3 + eps) - np.log10(eps)
    )
    assert color_positions(np.array([1.0]), 1e-3, 1e4, True) == pytest.approx([want])
    assert color_positions(np.array([2.0, np.nan]), 1.0, 5.0)[0] == pytest.approx(0.25)


def _read_png(data: bytes):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, w, h = 8, b"", 0, 0
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + n]
        if kind == b"IHDR":
            w, h = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(h, 1 + w * 4)
    assert not raw[:, 0].any()  # filter 0 on every row
    return w, h, raw[:, 1:].reshape(h, w, 4)


def test_mime_bundle_adds_the_picture_to_the_widget_view(playground):
    data, _meta = playground._repr_mimebundle_()
    assert data[VIEW_MIME]["model_id"] == playground.model_id
    svg = data["image/svg+xml"]
    check_picture(svg, playground.history.labels, playground.history.xy)


# -- nbclient + nbconvert -------------------------------------------------------------------
NOTEBOOK = [
    "import warnings; warnings.simplefilter('ignore')\n"
    "import gdwidget as gd\n"
    "opts = {'gd': gd.optim.sgd(1e-3), 'adam': gd.optim.adam(0.05)}\n"
    "w = gd.Playground('rosenbrock', opts, start=(-1.5, 2.0), device='cpu')\n"
    "w.step(100)\n"
    "w",
    # shown before it ran: the documented refresh, display(..., display_id=True) then update
    "v = gd.Playground('himmelblau', opts, device='cpu')\nshown = display(v, display_id=True)",
    "v.step(40)\nshown.update(v)",
    "import json; print('XY', json.dumps([w.history.xy.tolist(), v.history.xy.tolist()]))",
]


def test_nbconvert_html_shows_the_picture_with_the_paths(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nbconvert = pytest.importorskip("nbconvert")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in NOTEBOOK])
    # as JupyterLab saves a notebook by default: without the widgets' state
    nbclient.NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        store_widget_state=False,
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    for i in (0, 1):
        assert any(VIEW_MIME in o.get("data", {}) for o in nb.cells[i].outputs), nb.cells[i].outputs
    xy_w, xy_v = (np.array(a) for a in json.loads(nb.cells[3].outputs[0]["text"].split("XY", 1)[1]))
    assert xy_w.shape == (101, 2, 2) and xy_v.shape == (41, 2, 2)
    html, _ = nbconvert.HTMLExporter().from_notebook_node(nb)
    imgs = re.findall(r'<img[^>]*\bsrc="data:image/svg\+xml;base64,([^"]+)"', html)
    assert len(imgs) == 2, "each widget's output should show its picture"
    check_picture(base64.b64decode(imgs[0]).decode("utf-8"), ["gd", "adam"], xy_w)
    check_picture(base64.b64decode(imgs[1]).decode("utf-8"), ["gd", "adam"], xy_v)


# -- a monitor ----------------------------------------------------------------------------
def test_monitor_page_embeds_its_history_and_path(tmp_path):
    pytest.importorskip("gdwidget.monitoring")
    m = gd.monitor()
    try:
        rng = np.random.default_rng(0)
        p = np.zeros(6)
        for t in range(200):
            p = p - 0.02 * (p - 1) + 0.002 * rng.standard_normal(6)
            extra = {"acc": [0.5 + t / 1000, 0.4 + t / 900]} if t % 10 == 0 else {}
            m.log(step=t, loss=float(np.sum((p - 1) ** 2)), params=p, **extra)
        m.flush()
        h = m.history
        doc = codec.from_html(
            gd.save_html(m, tmp_path / "monitor.html").read_text(encoding="utf-8")
        )
        snap = snapshot(m)
    finally:
        m.close()
    assert doc["kind"] == "monitor"
    np.testing.assert_array_equal(doc["arrays"]["steps"], h.steps)
    for name, v in h.scalars.items():  # the scalars as logged, NaN where not logged
        np.testing.assert_array_equal(doc["extra"][f"scalars/{name}"], v)
    np.testing.assert_array_equal(doc["extra"]["path"], h.path)
    assert [r["label"] for r in doc["meta"]["runs"]] == ["loss", "acc[0]", "acc[1]"]
    # the curves drawn hold each logged value until the next one
    acc0 = doc["arrays"]["loss"][:, 1]
    logged = np.flatnonzero(np.isfinite(h.scalars["acc"][:, 0]))
    for a, b in zip(logged, [*logged[1:], len(h)], strict=True):
        assert np.all(acc0[a:b] == h.scalars["acc"][a, 0])
    # every run's point at a path sample is that sample
    rows = np.searchsorted(h.steps, h.path_steps)
    for r in range(3):
        np.testing.assert_array_equal(doc["arrays"]["xy"][rows, r], h.path)
    check_picture(static_svg(snap), snap.labels, snap.xy)


def test_a_monitor_shown_before_it_logs_has_no_picture_and_says_nothing(caplog):
    m = gd.monitor()
    with caplog.at_level("WARNING", logger="gdwidget"):
        bundle = m._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "image/svg+xml" not in data and not caplog.records, caplog.text
    m.close()
