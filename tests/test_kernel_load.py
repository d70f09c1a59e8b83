"""Two threads loading the same new kernel module at once both get its kernel (a re-run cell's
new Playground stepped while the old one's loop thread was still loading it: AttributeError)."""

from __future__ import annotations

import threading
import uuid

import numpy as np

from gdwidget.optim import _fused


def test_two_threads_loading_one_new_kernel_both_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv("GDWIDGET_CACHE", str(tmp_path))
    # a module that takes a while to run, so that the second thread comes in the middle
    src = f"import time\ntime.sleep(0.3)\n# {uuid.uuid4().hex}\ndef kernel(x):\n    return x + 1\n"
    got, errors = [], []

    def load() -> None:
        try:
            got.append(_fused._load(src, "race_test"))
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=load) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(got) == 2 and got[0] is got[1]
    assert got[0](np.float64(1.0)) == 2.0
