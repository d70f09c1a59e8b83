"""Where a model's parameters are drawn: the plane, the pilot run that frames it, the view box.

A function is drawn over its first two parameters. A model on data is drawn on a
plane of its parameter space: its own two parameters (``"params"``), the top two
principal directions of a short pilot run of the same race (``"pca"``, Li et al.
2018) or two filter-normalized random directions (``"random"``).
"""

from __future__ import annotations

import copy
import logging
from typing import Any

import numpy as np

from ..backend import to_numpy
from ..engine import Run
from ..projection import Plane, params_plane, pca_plane, random_plane

log = logging.getLogger("gdwidget")

PLANES = ("auto", "params", "pca", "random")


def choose_plane(obj: Any, plane: Any, is_model: bool) -> str | None:
    """The plane kind for ``obj`` (None for functions), or a ValueError for a bad choice."""
    if plane not in PLANES:
        raise ValueError(f"plane must be one of {PLANES}, got {plane!r}")
    if not is_model:
        if plane != "auto":
            raise ValueError(
                f"plane={plane!r} is for models on data; {obj.name} is a function "
                "(its landscape is over its first two parameters)"
            )
        return None
    if plane == "auto":
        return "params" if obj.n_params == 2 else "pca"
    if plane == "params" and obj.n_params != 2:
        raise ValueError(
            f"plane='params' needs a model with 2 parameters; {obj.name} has "
            f"{obj.n_params}: use plane='pca' or plane='random'"
        )
    return plane


def pilot(run: Run, steps: int) -> Any:
    """A headless run of the same race from the same start: ``(n_snapshots, R, P)``.

    On the device; about 50 snapshots, whatever ``steps`` is.
    """
    p = Run(
        run.objective,
        copy.deepcopy(run.optimizers),
        run._starts,
        device=run.backend,
        batch_size=run.batch_size,
        seed=run.seed,
        record_params=False,
        eval_every=0,
    )
    every = max(1, steps // 50)
    snaps = [p.params.copy()]
    done = 0
    while done < steps and not p.done:
        k = min(every, steps - done)
        p.advance(k)
        done += k
        snaps.append(p.params.copy())
    return run.xp.stack(snaps)


def make_plane(run: Run, kind: str, pilot_steps: int) -> tuple[Plane, list[list[float]] | None]:
    """The plane of a model and, when it is not the objective's own box, a view box."""
    obj = run.objective
    origin = np.asarray(run._starts[0], dtype=np.float64)
    if kind == "params":
        plane = params_plane(obj)
        if obj.bounds is not None:
            return plane, None
        try:  # frame the box on where a pilot run goes
            traj = to_numpy(pilot(run, pilot_steps))
        except Exception as exc:  # noqa: BLE001 - framing is a nicety
            log.warning("gdwidget: the pilot run failed (%s); default view", exc)
            return plane, None
        return plane, frame(np.asarray(traj, dtype=np.float64))
    if kind == "random":
        return random_plane(obj, origin, seed=run.seed), [[-1.0, 1.0], [-1.0, 1.0]]
    try:
        traj = pilot(run, pilot_steps)
    except Exception as exc:
        raise ValueError(
            f"plane='pca': the pilot run failed ({type(exc).__name__}: {exc}); try plane='random'"
        ) from exc
    try:
        plane = pca_plane(traj, origin, seed=run.seed)
    except ValueError as exc:
        log.warning("gdwidget: %s; using random directions (plane='random')", exc)
        return random_plane(obj, origin, seed=run.seed), [[-1.0, 1.0], [-1.0, 1.0]]
    coords = np.asarray(to_numpy(plane.coords(traj)), dtype=np.float64)
    return plane, frame(coords)


def frame(coords: np.ndarray) -> list[list[float]]:
    """A view box around plane coordinates ``(..., 2)`` and the origin, with a margin."""
    c = coords.reshape(-1, 2)
    c = np.vstack([c[np.all(np.isfinite(c), axis=1)], np.zeros((1, 2))])
    lo, hi = c.min(axis=0), c.max(axis=0)
    centre, half = (lo + hi) / 2, (hi - lo) / 2 * 1.3
    big = float(half.max())
    if big <= 0:
        big = 1.0
    # neither axis thinner than a quarter of the other, so the landscape stays readable
    half = np.maximum(half, 0.25 * big)
    return [
        [float(centre[0] - half[0]), float(centre[0] + half[0])],
        [float(centre[1] - half[1]), float(centre[1] + half[1])],
    ]
