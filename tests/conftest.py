import numpy as np
import pytest

from gdwidget.backend import gpu_available


def pytest_collection_modifyitems(config, items):
    if gpu_available():
        return
    skip = pytest.mark.skip(reason="needs CuPy and a CUDA GPU")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def _sleeve_filter_loaded():
    """The compiled sleeve filter, loaded before any test (with numba): every history then
    takes its rows by one filter from its first row, instead of switching from the ball
    filter whenever the background load ends."""
    from gdwidget.stream import sleeve

    sleeve.COMPILED.load()


@pytest.fixture(params=["sleeve", "ball"])
def row_filter(request, monkeypatch):
    """Each of the two filters by which a history takes rows (see gdwidget.stream.sleeve)."""
    from gdwidget.stream import sleeve

    if request.param == "sleeve" and not sleeve.COMPILED.load():
        pytest.skip("the sleeve filter needs numba")
    if request.param == "ball":
        monkeypatch.setattr(sleeve.COMPILED, "state", "failed")
    return request.param


@pytest.fixture
def no_stray_loops():
    """Fails the test if a Playground's loop thread outlives it by 5 s."""
    from widget_helpers import loop_threads, wait_for  # noqa: PLC0415

    yield
    assert wait_for(lambda: not loop_threads(), 5.0), "a session loop outlived its test"


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """The time of each lesson that ran (tests/test_lessons.py)."""
    import sys

    lessons = sys.modules.get("test_lessons")
    times = getattr(lessons, "TIMES", None)
    if times:
        terminalreporter.write_sep("-", "lesson times (notebooks/lessons)")
        for name, seconds in sorted(times.items()):
            terminalreporter.write_line(f"{name}: {seconds:.1f} s")
