"""Each rule written once: the executors generated from it agree.

* numba (flat and per-row layouts, serial and parallel) equals the generic NumPy path
  bit for bit, on random arrays and coefficients, float32 and float64;
* the generated CUDA source of every rule and switch compiles with NVRTC (no GPU needed)
  and has no fused multiply-add, so it rounds as the CPU does;
* on a GPU (tests marked ``gpu``), the CUDA kernel equals the NumPy path bit for bit.
"""

from __future__ import annotations

import importlib
import itertools

import numpy as np
import pytest

from gdwidget.optim import _cuda, _fused, _rule

F = {
    n: importlib.import_module(f"gdwidget.optim.{n}")
    for n in ("sgd", "adagrad", "rmsprop", "adam", "lion", "sophia")
}


def _grid(**choices):
    keys = list(choices)
    return [dict(zip(keys, v, strict=True)) for v in itertools.product(*choices.values())]


SWITCHES = {
    "sgd": _grid(
        decay=[False, True],
        momentum=["none", "all", "mixed"],
        nesterov=[False, True],
        first=[False, True],
    ),
    "adagrad": _grid(decay=[False, True]),
    "rmsprop": _grid(
        decay=[False, True], centered=[False, True], momentum=["none", "all", "mixed"]
    ),
    "adam": _grid(
        decoupled=[False, True],
        decay=[False, True],
        lerp=["small", "large", "mixed"],
        amsgrad=[False, True],
    ),
    "lion": [{}],
    "sophia": _grid(refresh=[False, True]),
}
CASES = [(name, sw) for name, grid in SWITCHES.items() for sw in grid]
IDS = [f"{n}-" + "-".join(f"{k}={v}" for k, v in sw.items()) for n, sw in CASES]


def _inputs(prog, dtype, rows, per_row, seed=0):
    rng = np.random.default_rng(seed)
    arrays = {n: rng.standard_normal((rows, 3)).astype(dtype) for n in prog.arrays}
    for n in ("s", "sq", "v", "vmax", "h", "h_hat"):  # second moments are >= 0
        if n in arrays:
            arrays[n] = np.abs(arrays[n])
    coefs = {}
    for n in prog.coefs:
        v = rng.uniform(0.0, 1.0, rows) if per_row else float(rng.uniform(0.0, 1.0))
        coefs[n] = v
    return arrays, coefs


@pytest.mark.skipif(not _fused.available(), reason="numba is not installed")
@pytest.mark.parametrize("parallel", [False, True])
@pytest.mark.parametrize("per_row", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("name", "switches"), CASES, ids=IDS)
def test_numba_equals_generic_bit_for_bit(name, switches, dtype, per_row, parallel, monkeypatch):
    if parallel:
        monkeypatch.setattr(_fused, "PARALLEL_MIN_SIZE", 0)
    prog = F[name].RULE.program(**switches)
    arrays, coefs = _inputs(prog, dtype, 17, per_row)
    fused = {k: v.copy() for k, v in arrays.items()}
    generic = {k: v.copy() for k, v in arrays.items()}
    with np.errstate(all="ignore"):
        _fused.run(prog, [fused[n] for n in prog.arrays], [coefs[n] for n in prog.coefs])
        _rule.run_generic(prog, [generic[n] for n in prog.arrays], [coefs[n] for n in prog.coefs])
    assert prog.written, "the rule writes nothing"
    for n in prog.arrays:
        assert fused[n].dtype == dtype
        np.testing.assert_array_equal(fused[n], generic[n], err_msg=n)
    changed = [n for n in prog.written if not np.array_equal(generic[n], arrays[n])]
    assert changed == prog.written or name == "sgd" and switches["momentum"] == "mixed"


def _nvrtc_ptx(source):
    nvrtc = pytest.importorskip("cupy_backends.cuda.libs.nvrtc")
    try:
        nvrtc.getVersion()
    except Exception as exc:  # noqa: BLE001 - no NVRTC library in this environment
        pytest.skip(f"NVRTC is not available: {exc}")
    prog = nvrtc.createProgram(source, "rule.cu", [], [])
    try:
        nvrtc.compileProgram(prog, [*_cuda.OPTIONS, "--gpu-architecture=compute_80"])
    except Exception as exc:
        raise AssertionError(f"{exc}\n{nvrtc.getProgramLog(prog)}\n{source}") from None
    ptx = nvrtc.getPTX(prog)
    return ptx.decode() if isinstance(ptx, bytes) else ptx


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("name", "switches"), CASES, ids=IDS)
def test_cuda_source_compiles_with_nvrtc(name, switches, dtype):
    prog = F[name].RULE.program(**switches)
    ptx = _nvrtc_ptx(_cuda.source(prog, dtype))
    assert f".entry gd_{name}" in ptx
    assert "fma." not in ptx, "a fused multiply-add would round differently from the CPU"


@pytest.mark.gpu
@pytest.mark.parametrize("per_row", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("name", "switches"), CASES, ids=IDS)
def test_cuda_kernel_equals_generic_bit_for_bit(name, switches, dtype, per_row):
    cupy = pytest.importorskip("cupy")
    prog = F[name].RULE.program(**switches)
    arrays, coefs = _inputs(prog, dtype, 1000, per_row)
    gpu = {k: cupy.asarray(v) for k, v in arrays.items()}
    cpu = {k: v.copy() for k, v in arrays.items()}
    assert _cuda.usable(*gpu.values())
    with np.errstate(all="ignore"):
        _cuda.run(prog, [gpu[n] for n in prog.arrays], [coefs[n] for n in prog.coefs])
        _rule.run_generic(prog, [cpu[n] for n in prog.arrays], [coefs[n] for n in prog.coefs])
    for n in prog.arrays:
        np.testing.assert_array_equal(cupy.asnumpy(gpu[n]), cpu[n], err_msg=n)


def test_a_rule_cannot_branch_on_a_value():
    bad = _rule.Rule("bad", lambda e, a, c, sw: {"p": a.p if a.g else a.p * 2}, ("p", "g"), ())
    with pytest.raises(TypeError, match="e.where"):
        bad.program()


def test_a_rule_cannot_compare_with_equals_or_take_powers():
    eq = _rule.Rule("eq", lambda e, a, c, sw: {"p": a.p * 2 if a.g == 0 else a.p}, ("p", "g"), ())
    with pytest.raises(TypeError, match="e.where"):
        eq.program()
    power = _rule.Rule("pow", lambda e, a, c, sw: {"p": a.p - a.g**3}, ("p", "g"), ())
    with pytest.raises(TypeError, match="products"):
        power.program()


def test_dead_operations_are_dropped_and_unused_inputs_not_read():
    prog = F["sgd"].RULE.program(decay=False, momentum="none", nesterov=False, first=False)
    assert prog.arrays == ["p", "g"] and prog.coefs == ["lr"]
    assert prog.python().count("\n") == 7  # def, 3 inputs, a product, a difference, a store
