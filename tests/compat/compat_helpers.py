"""A fake page for ipywidgets 7: widget_helpers' FakeComm as an ipykernel Comm."""

from __future__ import annotations

import uuid
from typing import Any


def fake_comm() -> Any:
    """widget_helpers.FakeComm as an ipykernel Comm (ipywidgets 7 types ``Widget.comm``)."""
    from ipykernel.comm import Comm
    from widget_helpers import FakeComm

    class FakeComm7(FakeComm, Comm):
        # FakeComm's methods and its truthy class attribute ``kernel`` come first in the MRO;
        # HasTraits' __new__ sets up the traits, FakeComm's __init__ the recording
        pass

    return FakeComm7()


def make(objective: Any = None, optimizers: Any = None, **kw: Any) -> tuple[Any, Any]:
    """A Playground whose comm is a fake page (widget_helpers.make, for ipywidgets 7)."""
    from widget_helpers import Bowl

    import gdwidget as gd
    from gdwidget.widget import Playground

    kw.setdefault("device", "cpu")
    kw.setdefault("grad_tol", 0.0)
    optimizers = optimizers or {"gd": gd.optim.sgd(0.1), "adam": gd.optim.adam(0.05)}
    w = Playground(objective or Bowl(), optimizers, **kw)
    comm = fake_comm()
    original = w.comm
    comm.comm_id = original.comm_id if original is not None else uuid.uuid4().hex
    w.comm = comm  # ipywidgets 7's _comm_changed registers the widget's handler on it
    if original is not None:
        original.on_msg(None)
        original.close()
    return w, comm
