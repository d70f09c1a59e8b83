"""The 3-D view and the pictures in JupyterLab (docs/media.md), against what the page shows.

One JupyterLab server and page for the module, one Playground (50 steps taken):

* ``gd-3d`` loads the 3-D bundle from the kernel on demand and paints WebGL pixels (read back:
  many distinct colours, viridis among them), its surface has triangles, each path's vertices
  equal (x, y, loss) of the kept history (``w.history``), and a drag rotates it;
* ``w.save_png`` (from the cell: written once the cell ends; from a thread: waited for) and the
  ``gd-save-png`` button write PNGs of the widget's size whose landscape area holds the heat
  map's own pixels (read from its canvas);
* the PNG is the widget: the legend's text, the status line and the X-ray's SVG arrows are in it,
  equal (mean absolute difference) to a screenshot of the same element, in the light and the
  dark theme;
* ``w.save_animation`` writes a GIF of several different frames, and the race took the steps.
"""

from __future__ import annotations

import base64
import io
import json
import re
import time
from collections.abc import Iterator

import numpy as np
import pytest

from .conftest import each_theme, lab_notebook
from .live_helpers import kernel_exec, run_cell
from .test_playground import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

Image = pytest.importorskip("PIL.Image", reason="Pillow is needed to read the pictures")

CELLS = [
    "import gdwidget as gd, threading\n"
    "w = gd.Playground(gd.functions.rosenbrock(),\n"
    "    {'gd': gd.optim.sgd(1e-3), 'adam': gd.optim.adam(0.05)},\n"
    "    start=(-1.5, 2.0), device='cpu', grad_tol=0.0)\n"
    "w.step(50)\nw",
]
CANVAS3D = '[data-testid="gd-3d-canvas"]'


@pytest.fixture(scope="module")
def lab(browser, tmp_path_factory) -> Iterator[tuple[object, object]]:
    with lab_notebook(browser, tmp_path_factory, "media", CELLS, 1400, 1000) as (
        server,
        page,
        root,
    ):
        run_cell(page, 0)
        page.locator('[data-testid="gd-landscape"]').first.wait_for()
        wait_until(lambda: "step 50" in page.locator('[data-testid="gd-status"]').inner_text())
        yield page, root


def history(page) -> dict:
    out = kernel_exec(
        page,
        "import json; h = w.history\n"
        "print('H' + json.dumps({'labels': list(h.labels), 'x': h.xy[:, :, 0].tolist(),"
        " 'y': h.xy[:, :, 1].tolist(), 'loss': h.loss.tolist()}))",
    )
    return json.loads(out[out.index("H") + 1 :])


def canvas_rgba(page, selector: str) -> np.ndarray:
    """A canvas's pixels (read through a 2-D copy, so WebGL canvases read the same way)."""
    url = page.evaluate(
        """(sel) => {
            const c = document.querySelector(sel);
            const out = document.createElement('canvas');
            out.width = c.width; out.height = c.height;
            out.getContext('2d').drawImage(c, 0, 0);
            return out.toDataURL('image/png');
        }""",
        selector,
    )
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",")[1]))).convert("RGBA"))


def wait_file(page, name: str, timeout: float = 60.0) -> None:
    def done() -> bool:
        out = kernel_exec(page, f"print('DONE', {name}.done())")
        assert "DONE True" in out, out
        return True

    wait_until(done, timeout, f"{name} to finish")
    out = kernel_exec(page, f"print('RESULT', {name}.result(0))")
    assert "RESULT" in out and "ERROR" not in out, out


def test_3d_view_paints_the_surface_and_the_kept_paths(lab, artifacts):
    page, _ = lab
    assert page.locator(CANVAS3D).count() == 0  # three.js is not loaded before it is asked for
    page.locator('[data-testid="gd-3d"]').first.click()
    canvas = page.locator(CANVAS3D).first
    canvas.wait_for(timeout=60_000)
    wait_until(lambda: int(canvas.get_attribute("data-triangles") or 0) > 0, 30, "triangles")
    # 160 x 120 grid, every sample finite: 2 triangles per cell
    assert int(canvas.get_attribute("data-triangles")) == 2 * 159 * 119

    shot = str(artifacts / "media-3d.png")
    page.locator('[data-testid="gd-landscape"]').first.screenshot(path=shot)
    px = canvas_rgba(page, CANVAS3D)
    colours = {tuple(c) for c in px[::4, ::4, :3].reshape(-1, 3)}
    assert len(colours) > 500, f"only {len(colours)} colours: a blank or flat WebGL canvas"
    bg = tuple(px[1, 1, :3])
    painted = np.any(px[:, :, :3] != bg, axis=2).mean()
    assert painted > 0.2, f"{painted:.0%} of the canvas differs from the background"

    # every path's vertices as the GPU has them are (x, y, loss) of the kept history
    info = page.evaluate("() => document.querySelector('.gd-3d').gdThreeD()")
    h = history(page)
    assert [p["label"] for p in info["paths"]] == h["labels"]
    for r, path in enumerate(info["paths"]):
        v = np.asarray(path["positions"], dtype=np.float64).reshape(-1, 3)
        want = np.stack(
            [np.asarray(h[k], dtype=np.float64)[:, r] for k in ("x", "y", "loss")], axis=1
        ).astype(np.float32)
        assert v.shape == want.shape == (51, 3)
        np.testing.assert_array_equal(v.astype(np.float32), want)

    # a drag rotates it
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 200, box["y"] + 200)
    page.mouse.down()
    page.mouse.move(box["x"] + 300, box["y"] + 230, steps=5)
    page.mouse.up()
    after = page.evaluate("() => document.querySelector('.gd-3d').gdThreeD().orbit")
    assert after["az"] != info["orbit"]["az"] and after["el"] != info["orbit"]["el"]
    wait_until(lambda: np.any(canvas_rgba(page, CANVAS3D) != px), 10, "the rotated picture")
    page.locator('[data-testid="gd-3d"]').first.click()  # closed again: the 2-D view shows
    assert page.locator(CANVAS3D).count() == 0


def check_picture(page, data: bytes) -> None:
    """The PNG has the widget's size, and its landscape area the heat map's pixels where
    nothing is drawn over them."""
    img = np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))
    geo = page.evaluate(
        """() => {
            const root = document.querySelector('.gd-root').getBoundingClientRect();
            const land = document.querySelector('.gd-landscape').getBoundingClientRect();
            return {w: root.width, h: root.height, dpr: devicePixelRatio,
                    x: land.left - root.left, y: land.top - root.top};
        }"""
    )
    assert img.shape[:2] == (round(geo["h"] * geo["dpr"]), round(geo["w"] * geo["dpr"]))
    assert geo["dpr"] == 1
    heat = canvas_rgba(page, ".gd-landscape .gd-heat")
    trail = canvas_rgba(page, ".gd-landscape .gd-trails")
    over = canvas_rgba(page, ".gd-landscape .gd-overlay")
    x0, y0 = round(geo["x"]), round(geo["y"])
    crop = img[y0 : y0 + heat.shape[0], x0 : x0 + heat.shape[1]]
    d = page.evaluate("() => ({...document.querySelector('.gd-landscape').dataset})")
    left, top = int(d["plotLeft"]), int(d["plotTop"])
    w, hgt = int(d["plotWidth"]), int(d["plotHeight"])
    box = (slice(top + 2, top + hgt - 2), slice(left + 2, left + w - 2))
    clear = (trail[box][:, :, 3] == 0) & (over[box][:, :, 3] == 0)
    assert clear.mean() > 0.8
    diff = np.abs(crop[box][:, :, :3].astype(int) - heat[box][:, :, :3].astype(int)).max(axis=2)
    assert np.mean(diff[clear] <= 8) > 0.99, f"heat map pixels differ: {np.percentile(diff, 99)}"
    # and those are the heat map's colours: opaque, many, not the background
    assert len({tuple(c) for c in crop[box][clear][::7, :3]}) > 200


def test_save_png_writes_the_page_picture(lab, tmp_path, artifacts):
    page, _ = lab
    target = tmp_path / "race.png"
    out = kernel_exec(page, f"p = w.save_png({str(target)!r}); print('PENDING', repr(p))")
    assert "PENDING <save_png" in out, out  # on the kernel's main thread: written after the cell
    wait_file(page, "p")
    check_picture(page, target.read_bytes())
    (artifacts / "media-save-png.png").write_bytes(target.read_bytes())

    # from a thread the call waits for the page and returns the path
    target2 = tmp_path / "race2.png"
    kernel_exec(
        page,
        "res = []\n"
        f"threading.Thread(target=lambda: res.append(w.save_png({str(target2)!r}))).start()",
    )
    wait_until(lambda: "RES [Posix" in kernel_exec(page, "print('RES', res)"), 30, "the thread")
    check_picture(page, target2.read_bytes())

    # the button downloads the same picture
    with page.expect_download() as dl:
        page.locator('[data-testid="gd-save-png"]').first.click()
    check_picture(page, open(dl.value.path(), "rb").read())


def rgb(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(int)


def box_in_root(page, selector: str) -> tuple[int, int, int, int]:
    """An element's box (x, y, width, height) in CSS px from the view root's top-left."""
    b = page.evaluate(
        """(sel) => {
            const root = document.querySelector('.gd-root').getBoundingClientRect();
            const r = document.querySelector(sel).getBoundingClientRect();
            return [r.left - root.left, r.top - root.top, r.width, r.height];
        }""",
        selector,
    )
    return tuple(round(v) for v in b)


def test_png_is_the_widget_with_its_text_and_svg_layers(lab, tmp_path, artifacts):
    page, _ = lab
    page.locator('[data-testid="gd-xray"]').first.click()
    arrow = '[data-testid="gd-xray-grad-adam"]'
    page.wait_for_selector(arrow, timeout=20_000)
    page.mouse.move(0, 0)  # no hover state in the screenshot
    target = tmp_path / "xray.png"
    kernel_exec(
        page,
        "res = []\n"
        f"threading.Thread(target=lambda: res.append(w.save_png({str(target)!r}))).start()",
    )
    wait_until(lambda: "RES [Posix" in kernel_exec(page, "print('RES', res)"), 30, "the thread")
    png = rgb(target.read_bytes())
    (artifacts / "media-save-png-xray.png").write_bytes(target.read_bytes())
    shot = rgb(page.locator(".gd-root").first.screenshot(animations="disabled"))
    assert png.shape == shot.shape
    whole = np.abs(png - shot).mean()
    assert whole < 4, f"the PNG differs from the screenshot by {whole:.2f} on average"

    def region(selector: str) -> tuple[np.ndarray, np.ndarray]:
        """The element's pixels in the PNG and in a screenshot of it, aligned: the best of the
        shifts by up to 2 px (a box at fractional px is rounded one way or the other)."""
        x, y, w, h = box_in_root(page, selector)
        want = rgb(page.locator(selector).first.screenshot(animations="disabled"))[2:-2, 2:-2]
        best = None
        for dy in range(-2, 3):
            for dx in range(-2, 3):
                y0, x0 = y + 2 + dy, x + 2 + dx
                part = png[y0 : y0 + want.shape[0], x0 : x0 + want.shape[1]]
                if part.shape != want.shape:
                    continue
                mad = np.abs(part - want).mean()
                if best is None or mad < best[0]:
                    best = (mad, part)
        assert best is not None, f"{selector} is not inside the PNG"
        return best[1], want

    for sel in (".gd-legend", '[data-testid="gd-status"]'):
        part, want = region(sel)
        name = sel.strip(".[]").replace('"', "").replace("=", "-")
        pair = np.concatenate([part, want], axis=0).astype(np.uint8)
        Image.fromarray(pair).save(artifacts / f"media-png-vs-page-{name}.png")
        ink = (want.max(axis=2) - want.min(axis=2) > 60) | (want.sum(axis=2) < 300)
        assert ink.sum() > 50, f"{sel}: no text in the screenshot to compare"
        mad = np.abs(part - want).mean()
        assert mad < 6, f"{sel}: PNG and screenshot differ by {mad:.2f} on average"
        assert np.abs(part[ink] - want[ink]).mean() < 25, f"{sel}: the text's pixels differ"

    # the X-ray's gradient arrow (#d62728) is drawn in the PNG where the page draws it
    x, y, w, h = box_in_root(page, arrow)
    pad = 4
    crop = png[max(0, y - pad) : y + h + pad, max(0, x - pad) : x + w + pad]
    red = np.abs(crop - np.array([214, 39, 40])).max(axis=2) < 40
    assert red.sum() > 10, f"only {red.sum()} pixels of the gradient arrow in the PNG"
    ms = page.locator(".gd-root").first.get_attribute("data-capture-ms")
    print(f"PNG vs screenshot: {whole:.2f} mean abs diff; {red.sum()} arrow px; {ms} ms")
    page.locator('[data-testid="gd-xray"]').first.click()  # off again
    page.wait_for_selector(arrow, state="detached", timeout=20_000)


def test_save_animation_records_frames_as_it_steps(lab, tmp_path):
    page, _ = lab
    page.locator('[data-testid="gd-xray"]').first.click()  # its SVG arrows are in the frames
    arrow = '[data-testid="gd-xray-grad-adam"]'
    page.wait_for_selector(arrow, timeout=20_000)
    t0 = int(re.search(r"T (\d+)", kernel_exec(page, "print('T', w.t)")).group(1))
    target = tmp_path / "race.gif"
    out = kernel_exec(
        page, f"a = w.save_animation({str(target)!r}, steps=40, frames=5, fps=4); print(repr(a))"
    )
    assert "save_animation" in out, out
    wait_file(page, "a", 120)
    t1 = int(re.search(r"T (\d+)", kernel_exec(page, "print('T', w.t)")).group(1))
    assert t1 == t0 + 40
    gif = Image.open(target)
    assert gif.format == "GIF" and gif.n_frames == 5
    frames = []
    for k in range(gif.n_frames):
        gif.seek(k)
        frames.append(np.asarray(gif.convert("RGB")).astype(int))
    for a, b in zip(frames, frames[1:], strict=False):
        assert np.abs(a - b).sum() > 0, "two consecutive frames are the same"
    # the last frame is the page now: the gradient arrow where the page draws it
    x, y, w, h = box_in_root(page, arrow)
    crop = frames[-1][max(0, y - 4) : y + h + 4, max(0, x - 4) : x + w + 4]
    # the GIF's 256-colour palette moves the red: red-dominant pixels (none in viridis)
    r, g, b = crop[:, :, 0], crop[:, :, 1], crop[:, :, 2]
    red = (r - g > 50) & (r - b > 15)
    assert red.sum() > 10, f"only {red.sum()} pixels of the gradient arrow in the last frame"
    page.locator('[data-testid="gd-xray"]').first.click()
    ms = float(page.locator(".gd-root").first.get_attribute("data-capture-ms"))
    print(f"one GIF frame's picture (canvases and SVG layers) took {ms:.1f} ms in the page")
    time.sleep(0.1)


def test_png_is_the_widget_in_the_light_and_the_dark_theme(lab, tmp_path, artifacts):
    page, _ = lab
    lum = {}
    for shade in each_theme(page):
        page.wait_for_timeout(500)  # the views redraw in the theme's colours
        page.mouse.move(0, 0)
        target = tmp_path / f"{shade}.png"
        kernel_exec(
            page,
            "res = []\n"
            f"threading.Thread(target=lambda: res.append(w.save_png({str(target)!r}))).start()",
        )
        wait_until(lambda: "RES [Posix" in kernel_exec(page, "print('RES', res)"), 30, "thread")
        png = rgb(target.read_bytes())
        (artifacts / f"media-save-png-{shade}.png").write_bytes(target.read_bytes())
        shot = rgb(page.locator(".gd-root").first.screenshot(animations="disabled"))
        assert abs(png.shape[0] - shot.shape[0]) <= 1 and png.shape[1] == shot.shape[1]
        hgt = min(png.shape[0], shot.shape[0])  # a box at fractional px: rounded either way
        mad = np.abs(png[:hgt] - shot[:hgt]).mean()
        assert mad < 4, f"{shade}: the PNG differs from the screenshot by {mad:.2f} on average"
        lum[shade] = png.mean()
    assert lum["dark"] < lum["light"] - 60, lum  # the dark theme's PNG is dark
    for _ in each_theme(page):  # light again for what follows
        break
