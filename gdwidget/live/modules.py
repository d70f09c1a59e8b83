"""Optional parts of the page, sent on demand: their code is not in the widget's bundle.

The 3-D view (``js/entries/threed.js``, three.js) is built into ``gdwidget/static/threed.js``
and sent to a page only when it opens the view (``request_module``, docs/media.md), so the
2-D widget starts without it.
"""

from __future__ import annotations

from typing import Any

from .. import bundle

#: name the page asks for -> the built file in gdwidget/static/
MODULES = {"threed": "threed.js"}


def module_message(name: str) -> tuple[dict[str, Any], list[bytes]]:
    """The ``module`` message answering ``request_module``: the code as one buffer, or an error.

    Parameters
    ----------
    name : str
        A key of :data:`MODULES`.

    Returns
    -------
    (dict, list of bytes)
        ``{"type": "module", "name": name}`` and ``[code]``, or with ``"error"`` and no buffer
        when the name is unknown or the bundle is not built.
    """
    file = MODULES.get(name)
    if file is None:
        return {"type": "module", "name": name, "error": f"no optional part {name!r}"}, []
    path = bundle.STATIC / file
    if not path.is_file():
        error = (
            f"gdwidget/static/{file} is missing: build the page's code with `npm install && "
            "npm run build` (or `pip install -e .`)"
        )
        return {"type": "module", "name": name, "error": error}, []
    return {"type": "module", "name": name}, [path.read_bytes()]
