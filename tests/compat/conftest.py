"""The compat tests: the Playground's kernel side under Colab's long-shipped widget stack.

They run in ``.venv-compat`` (``make compat``: ipywidgets 7.7.1, ipykernel 6, anywidget, numpy)
and are skipped, with the reason, anywhere else (the main venv has ipywidgets 8).
"""

from __future__ import annotations

import sys
from pathlib import Path

import ipywidgets
import pytest

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:  # widget_helpers, when this folder runs on its own
    sys.path.insert(0, str(TESTS))

IPYWIDGETS_7 = ipywidgets.__version__.startswith("7.")


@pytest.fixture(scope="session", autouse=True)
def _compat_venv_only() -> None:  # session scope: before the module's kernel starts
    if not IPYWIDGETS_7:
        pytest.skip(
            f"compat tests need ipywidgets 7.7 and ipykernel 6 (make compat); "
            f"this venv has ipywidgets {ipywidgets.__version__}"
        )
