"""One self-contained HTML file that replays a race: no network request, no kernel.

The page holds, inline: the replay bundle (``js/entries/replay.js`` built into
``gdwidget/static/replay.js``) in a ``<script type="module">``, its CSS, the race's data as
JSON with base64 arrays (:mod:`.codec`) and, until the script has drawn the replay (or where
scripts do not run), the static picture (:mod:`.static`). A Content-Security-Policy forbids
every fetch, so the page cannot reach the network even by mistake.
"""

from __future__ import annotations

import os
import re
import warnings
from html import escape
from pathlib import Path
from typing import Any

from .. import __version__, bundle
from ..stream import DEFAULT_CAPACITY
from . import codec
from .snapshot import snapshot
from .static import static_svg

__all__ = ["REPLAY_CSS", "REPLAY_JS", "save_html", "to_html"]

REPLAY_JS = bundle.STATIC / "replay.js"
REPLAY_CSS = bundle.STATIC / "replay.css"

CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data:; font-src 'none'; connect-src 'none'; base-uri 'none'; form-action 'none'"
)

_MISSING = (
    '<p class="gd-replay-missing">This page was written without gdwidget\'s replay bundle '
    "(gdwidget/static/replay.js; run <code>npm install &amp;&amp; npm run build</code> in the "
    "source checkout): it shows the race's last frame only.</p>"
)


def _script_text(js: str) -> str:
    """JavaScript safe inside ``<script>``: no ``</script`` and no ``<!--`` in its text."""
    js = re.sub(r"</(script)", r"<\\/\1", js, flags=re.IGNORECASE)
    return js.replace("<!--", "<\\!--")


def to_html(
    source: Any,
    *,
    title: str | None = None,
    objective: Any = None,
    max_rows: int = DEFAULT_CAPACITY,
) -> str:
    """The replay page of ``source`` as text (see :func:`save_html`)."""
    snap = snapshot(source, objective=objective, title=title, max_rows=max_rows)
    data = codec.to_json(snap)
    picture = static_svg(snap)
    js = bundle.read(REPLAY_JS, "")
    css = bundle.read(REPLAY_CSS, "")
    if not js:
        warnings.warn(
            "gdwidget's replay bundle is missing (gdwidget/static/replay.js): the page shows "
            "a static picture only. Build it with `npm install && npm run build`.",
            RuntimeWarning,
            stacklevel=3,
        )
    head_title = escape(f"{snap.title} · gdwidget replay")
    css = css.replace("</", "<\\/")
    script = f'<script type="module">\n{_script_text(js)}\n</script>' if js else ""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="gdwidget {escape(__version__)}">
<title>{head_title}</title>
<style>
{css}
</style>
</head>
<body class="gd-replay-body">
<div id="gd-replay" class="gd-replay-host">
<div class="gd-static-fallback" data-testid="gd-static">{"" if js else _MISSING}{picture}</div>
</div>
<script type="application/json" id="{codec.SCRIPT_ID}">{data}</script>
{script}
</body>
</html>
"""


def save_html(
    source: Any,
    path: str | os.PathLike[str],
    *,
    title: str | None = None,
    objective: Any = None,
    max_rows: int = DEFAULT_CAPACITY,
) -> Path:
    """Write one self-contained HTML file that replays ``source``'s race.

    Opened in any browser, from disk, with no kernel and no network, it shows the landscape,
    the paths, the loss curves and the legend, with play, pause and a timeline scrubber.

    Parameters
    ----------
    source : Playground, History, DecimatedHistory or monitor
        A Playground embeds its bounded history (``w.history``) and the landscape it shows;
        a History (from :func:`gdwidget.run`) its rows, thinned by the stream's rule to at
        most ``max_rows`` when longer, and, with ``objective``, a landscape computed on the
        CPU.
    path : str or PathLike
        The file to write (``.html``); its folder must exist.
    title : str, optional
        The page's title; default the objective's name.
    objective : Objective or str, optional
        A History's objective (for its landscape, axes and minima).
    max_rows : int
        Rows of a History kept at most.

    Returns
    -------
    Path
        The file written.

    Examples
    --------
    >>> import gdwidget as gd
    >>> h = gd.run("rosenbrock", {"adam": gd.optim.adam(0.05)}, steps=300)  # doctest: +SKIP
    >>> gd.save_html(h, "race.html", objective="rosenbrock")                 # doctest: +SKIP
    """
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path must be a str or a path, got {type(path).__name__}")
    out = Path(path)
    if not out.parent.is_dir():
        raise ValueError(f"path's folder does not exist: {str(out.parent)!r}")
    text = to_html(source, title=title, objective=objective, max_rows=max_rows)
    out.write_text(text, encoding="utf-8")
    return out
