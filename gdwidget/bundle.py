"""The page's JavaScript bundle (js/ built into gdwidget/static/), or a note that it is missing."""

from __future__ import annotations

from pathlib import Path

STATIC = Path(__file__).parent / "static"
BUNDLE = STATIC / "widget.js"
BUNDLE_CSS = STATIC / "widget.css"

MISSING_BUNDLE_ESM = """
function render({ el }) {
  const box = document.createElement("div");
  box.setAttribute("data-testid", "gd-missing-bundle");
  box.style.cssText = "font: 13px sans-serif; padding: 8px 12px; border: 1px solid #d9a400;" +
    " background: #fff8e1; color: #5d4200; border-radius: 4px;";
  box.textContent = "gdwidget: the JavaScript bundle (gdwidget/static/widget.js) is missing, so " +
    "the plots cannot be drawn. In a source checkout run `npm install && npm run build` " +
    "(or `pip install -e .`), then restart the kernel. The Python API works without it.";
  el.appendChild(box);
}
export default { render };
"""


def bundle_present() -> bool:
    return BUNDLE.is_file()


def read(path: Path, fallback: str) -> str:
    # the text, not the path: anywidget would watch a path and keep every widget alive
    return path.read_text(encoding="utf-8") if path.is_file() else fallback
