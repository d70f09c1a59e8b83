"""Kernel-free exports of a race: a replay page in one HTML file, and a static picture.

* :func:`save_html` / :func:`to_html`: the replay page (:mod:`.html`);
* :func:`static_svg`: the picture, an SVG string made without a browser (:mod:`.static`);
* :func:`snapshot`: what both show, read from a Playground, a History or a monitor
  (:mod:`.snapshot`); :mod:`.codec` is the page's embedded data.

See docs/export.md.
"""

from __future__ import annotations

from .html import save_html, to_html
from .snapshot import Snapshot, snapshot
from .static import static_svg

__all__ = ["Snapshot", "save_html", "snapshot", "static_svg", "to_html"]
