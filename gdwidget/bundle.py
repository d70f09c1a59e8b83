"""The page's JavaScript bundle (js/ built into gdwidget/static/), or a note that it is missing."""

from __future__ import annotations

import json
from pathlib import Path

STATIC = Path(__file__).parent / "static"
BUNDLE = STATIC / "widget.js"
BUNDLE_CSS = STATIC / "widget.css"


def missing_esm(name: str, works: str) -> str:
    """An ESM that says, in the page, that the bundle ``gdwidget/static/<name>.js`` is missing
    and what still works without it (``works``)."""
    text = (
        f"gdwidget: the JavaScript bundle (gdwidget/static/{name}.js) is missing, so nothing "
        "can be drawn. In a source checkout run `npm install && npm run build` (or "
        f"`pip install -e .`), then restart the kernel. {works}"
    )
    return f"""
function render({{ el }}) {{
  const box = document.createElement("div");
  box.setAttribute("data-testid", "gd-missing-bundle");
  box.style.cssText = "font: 13px sans-serif; padding: 8px 12px; border: 1px solid #d9a400;" +
    " background: #fff8e1; color: #5d4200; border-radius: 4px;";
  box.textContent = {json.dumps(text)};
  el.appendChild(box);
}}
export default {{ render }};
"""


MISSING_BUNDLE_ESM = missing_esm("widget", "The Python API works without it.")


def bundle_present() -> bool:
    return BUNDLE.is_file()


def read(path: Path, fallback: str) -> str:
    # the text, not the path: anywidget would watch a path and keep every widget alive
    return path.read_text(encoding="utf-8") if path.is_file() else fallback
