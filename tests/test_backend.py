import numpy as np
import pytest

import gdwidget as gd
from gdwidget.backend import Random, get_backend, namespace_of, to_numpy


def test_cpu_backend_dtypes():
    b = get_backend("cpu", "float32")
    assert b.xp is np and b.dtype == np.float32
    assert b.asarray([1, 2]).dtype == np.float32
    assert get_backend("cpu").dtype == np.float64


@pytest.mark.parametrize("bad", ["tpu", "", None, 3])
def test_unknown_device_is_a_clear_error(bad):
    with pytest.raises(ValueError, match="device must be one of"):
        get_backend(bad)


def test_unknown_dtype_is_a_clear_error():
    with pytest.raises(ValueError, match="dtype must be one of"):
        get_backend("cpu", "int8")


@pytest.mark.skipif(gd.gpu_available(), reason="this machine has a GPU")
def test_gpu_without_cupy_says_what_is_missing():
    with pytest.raises(RuntimeError, match="device='gpu' is not available"):
        get_backend("gpu")


@pytest.mark.skipif(gd.gpu_available(), reason="this machine has a GPU")
def test_auto_falls_back_to_cpu():
    assert get_backend("auto").device == "cpu"


@pytest.mark.gpu
def test_gpu_backend_roundtrip():
    b = get_backend("gpu", "float32")
    a = b.asarray(np.arange(5.0))
    assert b.device == "gpu" and namespace_of(a) is b.xp
    np.testing.assert_array_equal(to_numpy(a), np.arange(5.0, dtype=np.float32))


def test_strict_namespace_roundtrip():
    xps = pytest.importorskip("array_api_strict")
    a = xps.asarray([1.0, 2.0])
    assert namespace_of(a) is xps
    np.testing.assert_array_equal(to_numpy(a), [1.0, 2.0])


def test_random_is_seeded_and_rademacher_is_signs():
    a = to_numpy(Random(np, 3).rademacher((1000,), np.float64))
    b = to_numpy(Random(np, 3).rademacher((1000,), np.float64))
    np.testing.assert_array_equal(a, b)
    assert set(np.unique(a)) == {-1.0, 1.0}
    assert abs(a.mean()) < 0.15


@pytest.mark.parametrize("module", ["numpy", "array_api_strict"])
def test_permutations_differ_from_epoch_to_epoch_and_repeat_by_seed(module):
    xp = pytest.importorskip(module)
    a, b = Random(xp, 7), Random(xp, 7)
    first, second = a.permutation(50), a.permutation(50)
    assert sorted(first) == list(range(50)) and not np.array_equal(first, second)
    np.testing.assert_array_equal(b.permutation(50), first)


@pytest.mark.gpu
def test_gpu_permutations_differ_from_epoch_to_epoch():
    import cupy

    r = Random(cupy, 7)
    assert not np.array_equal(r.permutation(50), r.permutation(50))
