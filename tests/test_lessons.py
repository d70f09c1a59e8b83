"""Every lesson (notebooks/lessons/*.ipynb) runs top to bottom in a real kernel, and its check
cells, which assert the claims the lesson makes, hold. Each lesson's time is printed at the end
of the test run (the lessons aim at under 60 s each on a 2-core CPU; the figure is not asserted).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

LESSONS = sorted((Path(__file__).parent.parent / "notebooks" / "lessons").glob("[0-9]*.ipynb"))
TIMES: dict[str, float] = {}


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_lesson_runs_and_its_checks_hold(path: Path, tmp_path: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    t0 = time.perf_counter()
    client.execute()  # raises CellExecutionError on any error or failed check
    TIMES[path.name] = time.perf_counter() - t0
    checks = [c for c in nb.cells if c.cell_type == "code" and "# check" in c.source]
    assert checks, f"{path.name} has no check cell (a code cell with a '# check' comment)"


def test_the_index_lists_every_lesson() -> None:
    index = (Path(__file__).parent.parent / "notebooks" / "lessons" / "README.md").read_text()
    for path in LESSONS:
        assert path.name in index, f"{path.name} is not in notebooks/lessons/README.md"
