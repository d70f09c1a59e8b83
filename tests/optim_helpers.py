"""Shared by the optimizer tests: the two test functions, in NumPy and in torch, and the
runners of our optimizers and torch's on them."""

from __future__ import annotations

import math

import numpy as np
import torch

from gdwidget.backend import to_numpy
from gdwidget.objectives.base import Objective

STEPS = 200
N_RUNS = 6

# -- the two test functions --------------------------------------------------------------
_c, _s = math.cos(0.6), math.sin(0.6)
ROT = np.array([[_c, -_s], [_s, _c]])
QUAD_A = ROT @ np.diag([1.0, 30.0]) @ ROT.T  # symmetric, condition number 30


def rosen_grad(p, xp=np):
    x, y = p[:, 0], p[:, 1]
    r = y - x * x
    return xp.stack([-2.0 * (1.0 - x) - 400.0 * x * r, 200.0 * r], axis=1)


def rosen_hess_diag(p, xp=np):
    x, y = p[:, 0], p[:, 1]
    return xp.stack([2.0 - 400.0 * y + 1200.0 * x * x, 200.0 + 0.0 * x], axis=1)


def rosen_torch(p):
    x, y = p[:, 0], p[:, 1]
    return ((1 - x) ** 2 + 100 * (y - x**2) ** 2).sum()


def quad_grad(p, xp=np):
    a = xp.asarray(QUAD_A, dtype=p.dtype) if xp is not np else QUAD_A.astype(p.dtype)
    return p @ a


def quad_torch(p):
    a = torch.tensor(QUAD_A, dtype=p.dtype)
    return 0.5 * ((p @ a) * p).sum()


class Rosen(Objective):
    name = "rosenbrock"
    has_hvp = True

    def value_and_grad(self, params, batch=None):
        x, y = params[:, 0], params[:, 1]
        return (1 - x) ** 2 + 100 * (y - x * x) ** 2, rosen_grad(params)

    def hvp(self, params, v):
        x, y = params[:, 0], params[:, 1]
        hxx = 2.0 - 400.0 * y + 1200.0 * x * x
        hxy = -400.0 * x
        return np.stack([hxx * v[:, 0] + hxy * v[:, 1], hxy * v[:, 0] + 200.0 * v[:, 1]], axis=1)

    def hess_diag(self, params):
        return rosen_hess_diag(params)


class Quad(Objective):
    """0.5 p^T A p in any array namespace."""

    name = "quadratic"
    has_hvp = True

    def __init__(self, xp=np):
        self.xp = xp

    def value_and_grad(self, params, batch=None):
        g = quad_grad(params, self.xp)
        return 0.5 * self.xp.sum(g * params, axis=1), g

    def hvp(self, params, v):
        return quad_grad(v, self.xp)


FUNCS = {
    "rosenbrock": (rosen_grad, rosen_torch, Rosen),
    "quadratic": (quad_grad, quad_torch, Quad),
}


def starts(func: str) -> np.ndarray:
    rng = np.random.default_rng(7)
    if func == "rosenbrock":
        return np.column_stack([rng.uniform(-1.2, 1.2, N_RUNS), rng.uniform(-0.5, 1.5, N_RUNS)])
    return rng.uniform(-2.0, 2.0, (N_RUNS, 2))


def torch_hess_diag(fn, p):
    """Exact Hessian diagonal per run by double backward (runs are independent)."""
    p = p.detach().requires_grad_(True)
    with torch.enable_grad():
        (g,) = torch.autograd.grad(fn(p), p, create_graph=True)
        cols = []
        for i in range(p.shape[1]):
            (hi,) = torch.autograd.grad(g[:, i].sum(), p, retain_graph=True)
            cols.append(hi[:, i])
    return torch.stack(cols, dim=1).detach()


# -- runners ------------------------------------------------------------------------------
def run_ours(opt, func, start, steps=STEPS, xp=np, objective=None):
    grad_fn = FUNCS[func][0]
    p = start.copy() if xp is np else xp.asarray(start)
    state = opt.init(p)
    traj = [to_numpy(p).copy()]
    for _ in range(steps):
        g = grad_fn(p, xp) if xp is not np else grad_fn(p)
        h = None
        if opt.hessian_every and state["step"] % opt.hessian_every == 0:
            h = opt.estimate_hessian(objective, p, state)
        opt.step(p, g, state, hessian=h)
        traj.append(to_numpy(p).copy())
    return np.stack(traj), state


def run_torch(make, func, start, steps=STEPS, lr_lambda=None, k=None):
    fn = FUNCS[func][1]
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = make([p])
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda) if lr_lambda else None
    traj = [p.detach().numpy().copy()]
    for t in range(steps):
        opt.zero_grad()
        fn(p).backward()
        if k is not None and t % k == 0:
            opt.update_hessian([torch_hess_diag(fn, p)])
        opt.step()
        if sched is not None:
            sched.step()
        traj.append(p.detach().numpy().copy())
    return np.stack(traj)


def _check(ours, ref):
    assert np.all(np.isfinite(ref)), "reference diverged: choose a smaller lr"
    # the runs went somewhere (the comparison is not between two frozen arrays)
    assert np.max(np.abs(ref[-1] - ref[0])) > 1e-3
    np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=1e-12)
