"""The Playground's exports: a kernel-free HTML replay, a PNG and an animation drawn by the
page, and the static picture in its mime bundle. A mixin of
:class:`~gdwidget.widget.Playground`; the work is in gdwidget/export/ and live/capture.py.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Exports"]


class Exports:
    """Playground methods that write the race elsewhere (docs/export.md, docs/media.md)."""

    def save_html(self, path: Any, **kw: Any) -> Any:
        """Write a self-contained HTML replay of this race (:func:`gdwidget.export.save_html`)."""
        from .export import save_html  # noqa: PLC0415

        return save_html(self, path, **kw)

    def save_png(self, path: Any, *, timeout: float = 10.0, wait: bool | None = None) -> Any:
        """Write a PNG of the widget's view, drawn by the page that shows it (docs/media.md).

        Waits up to ``timeout`` s for the page's picture and returns the path; on the kernel's
        main thread, while a cell runs, the page's answer can only be read after the cell, so
        it returns a ``Pending`` at once and the file is written right after the cell. Raises
        RuntimeError when no view of the widget is shown.
        """
        from .live.capture import save_png  # noqa: PLC0415

        return save_png(self, path, timeout=timeout, wait=wait)

    def save_animation(
        self,
        path: Any,
        steps: int = 100,
        *,
        fps: float = 10.0,
        frames: int | None = None,
        timeout: float = 30.0,
        wait: bool | None = None,
    ) -> Any:
        """Take ``steps`` more steps and write them as an animated GIF of the page's frames.

        ``frames`` pictures (default ``min(steps + 1, 61)``, the first before any step) at
        ``fps`` a second; needs Pillow (``pip install 'gdwidget[media]'``) and a shown view.
        Returns the path, or a ``Pending`` on the kernel's main thread (see :meth:`save_png`).
        """
        from .live.capture import save_animation  # noqa: PLC0415

        return save_animation(
            self, path, steps=steps, fps=fps, frames=frames, timeout=timeout, wait=wait
        )

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """The widget's view, plus a static picture (``image/svg+xml``) of the paths so far,
        which a notebook converted to HTML without widget state shows (docs/export.md)."""
        from .export.static import with_picture  # noqa: PLC0415

        return with_picture(self, super()._repr_mimebundle_(**kwargs))
