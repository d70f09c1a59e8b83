"""Test functions: the registry, bad parameters, metadata and the shapes they accept."""

from __future__ import annotations

import numpy as np
import pytest

import gdwidget as gd
from gdwidget.objectives import functions as F
from gdwidget.objectives.base import Objective

# ---------------------------------------------------------------------------------- registry


def test_registry_names_and_lazy_module():
    assert gd.functions is F
    names = F.names()
    assert len(names) >= 14
    assert {
        "quadratic",
        "rosenbrock",
        "himmelblau",
        "beale",
        "booth",
        "matyas",
        "rastrigin",
        "ackley",
        "saddle",
        "monkey_saddle",
        "styblinski_tang",
        "six_hump_camel",
        "three_hump_camel",
        "goldstein_price",
    } <= set(names)
    for name in names:
        f = F.get(name)
        assert isinstance(f, Objective)
        assert f.name == name
        assert f.has_hvp
        assert getattr(F, name)().name == name


def test_get_forgives_spelling_and_passes_kwargs():
    assert F.get("Six-hump camel").name == "six_hump_camel"
    assert F.get("rosenbrock", n=5).n_params == 5


def test_get_unknown_name_suggests():
    with pytest.raises(ValueError, match="did you mean 'rosenbrock'"):
        F.get("rosenbrok")
    with pytest.raises(ValueError, match="unknown function"):
        F.get("banana")
    with pytest.raises(ValueError, match="unexpected keyword"):
        F.get("beale", n=3)


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda: F.quadratic(cond=0.5), "cond must be >= 1"),
        (lambda: F.rosenbrock(n=1), "n must be >= 2"),
        (lambda: F.rastrigin(n=0), "n must be >= 1"),
        (lambda: F.rosenbrock(b=-1), "b must be > 0"),
        (lambda: F.ackley(n=2.5), "n must be an integer"),
    ],
)
def test_bad_parameters(make, match):
    with pytest.raises(ValueError, match=match):
        make()


# ------------------------------------------------------------------------ conventions


@pytest.mark.parametrize("name", F.names())
def test_metadata(name):
    f = F.get(name)
    assert len(f.bounds) == f.n_params
    assert len(f.default_start) == f.n_params
    for (lo, hi), s in zip(f.bounds, f.default_start, strict=True):
        assert lo < s < hi
    for p in f.minima:
        assert len(p) == f.n_params
        assert all(isinstance(c, float) for c in p)
    loss = f.value(np.asarray([f.default_start]))
    assert np.isfinite(loss).all()
    if f.min_value is not None:
        assert loss[0] > f.min_value
    assert "n_params=" in repr(f)


def test_log_scale_where_the_range_is_wide():
    for name in ("rosenbrock", "beale", "goldstein_price", "himmelblau"):
        assert F.get(name).log_scale
    for name in ("quadratic", "saddle", "styblinski_tang", "ackley"):
        assert not F.get(name).log_scale


def test_single_point_and_lists():
    f = F.beale()
    loss, grad = f.value_and_grad(np.array([1.0, 2.0]))
    assert loss.shape == () and grad.shape == (2,)
    loss2, grad2 = f.value_and_grad(np.array([[1.0, 2.0]]))
    assert loss == loss2[0] and (grad == grad2[0]).all()
    assert f.value([1.0, 2.0]) == loss
    assert f(np.array([[1, 2]])).dtype == np.float64  # integers become floats
    assert f.hvp(np.array([1.0, 2.0]), np.array([1.0, 0.0])).shape == (2,)


def test_bad_shape_is_a_clear_error():
    with pytest.raises(ValueError, match=r"params must have shape \(n_runs, 2\).*got \(3, 3\)"):
        F.himmelblau().value(np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"v must have"):
        F.himmelblau().hvp(np.zeros((3, 2)), np.zeros((2, 2)))
