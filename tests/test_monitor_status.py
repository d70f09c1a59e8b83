"""The monitor's status line, its HTML export and its static picture."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from monitor_helpers import make

import gdwidget as gd
from gdwidget.export.static import static_svg
from gdwidget.monitoring.status import StatusLine


def test_status_says_the_rate_while_logging_then_stopped() -> None:
    st = StatusLine(period=0.25, idle_after=1.0)
    assert st.text(0.0, None) is None  # nothing logged
    assert st.text(0.0, 0) == "step 0"
    assert st.text(0.1, 10) is None  # within the period
    assert st.text(0.5, 100) == "step 100 · 200 steps/s"
    assert st.text(1.0, 300) == "step 300 · 400 steps/s"
    # the loop ends at t = 1.0 (step 300); the flusher's quiet ticks go on
    assert st.text(1.5, 300, force=True) == "step 300 · 400 steps/s"
    assert st.text(2.0, 300, force=True) == "step 300 · stopped (400 steps/s)"
    assert st.text(9.0, 300, force=True) == "step 300 · stopped (400 steps/s)"
    # logging again: the rate is measured afresh, not over the pause
    assert st.text(10.0, 301) == "step 301 · 400 steps/s"
    assert st.text(10.5, 351) == "step 351 · 100 steps/s"
    assert (
        st.text(10.8, 351, "loss_fn failed: E: x")
        == "step 351 · 100 steps/s · loss_fn failed: E: x"
    )


def test_status_rate_ends_at_the_last_step_not_at_the_tick() -> None:
    st = StatusLine(period=0.25, idle_after=1.0)
    st.text(0.0, 0)
    st.text(0.5, 50)  # 100 steps/s
    st.text(0.6, 60)  # the last step came at 0.6; the next tick is much later
    assert st.text(1.9, 60, force=True) == "step 60 · stopped (100 steps/s)"
    slow = StatusLine(period=0.25, idle_after=1.0)
    slow.text(0.0, 0)
    assert slow.text(0.5, 1) == "step 1 · 2 steps/s"


def test_monitor_status_stops_when_logging_stops() -> None:
    m, _ = make(projection=None)
    m._status.idle_after = 0.0  # no wait: the next tick finds the loop stopped
    for t in range(10):
        m.log(loss=1.0 / (t + 1))
    m.flush()
    assert m.status.startswith("step 9 · stopped"), m.status
    m.close()


def test_save_html_and_the_static_picture_are_the_exports(tmp_path: Path) -> None:
    m, _ = make(projection="pca")
    for t in range(30):
        m.log(loss=1.0 / (t + 1), params=np.array([np.cos(t / 5), np.sin(t / 5), t / 30]))
    m.flush()
    out = m.save_html(tmp_path / "m.html")
    assert Path(out) == tmp_path / "m.html"
    gd.save_html(m, tmp_path / "ref.html")
    assert (tmp_path / "m.html").read_bytes() == (tmp_path / "ref.html").read_bytes()
    bundle = m._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "application/vnd.jupyter.widget-view+json" in data
    assert data["image/svg+xml"] == static_svg(m)
    assert data["image/svg+xml"].lstrip().startswith("<svg")
    m.close()
