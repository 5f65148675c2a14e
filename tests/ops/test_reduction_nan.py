"""NaN propagation in reductions: one rule (PyTorch's), checked for every reduction in the registry.

``opinfo.nan_samples`` plants NaNs into each reduction entry's own samples; forward values, output dtypes and
gradients (with a random upstream gradient) must match PyTorch, NaN for NaN."""
from __future__ import annotations

import importlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import opinfo
from test_opinfo import _compare, _run_mg, _run_torch, _tol

torch = pytest.importorskip("torch", reason="PyTorch not installed: NaN propagation is checked against it")

ALL = list(opinfo.OPS)
for _mod in ("opinfo_nn", "opinfo_losses"):
    ALL += importlib.import_module(_mod).OPS
REDUCTIONS = [op for op in ALL if op.name in opinfo.REDUCTIONS]


def test_every_listed_reduction_is_in_the_registry():
    assert sorted(op.name for op in REDUCTIONS) == sorted(opinfo.REDUCTIONS)


@pytest.mark.parametrize("op", [pytest.param(op, id=op.name) for op in REDUCTIONS])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_reductions_propagate_nan_as_torch(op, dtype, data):
    if dtype not in op.dtypes:
        pytest.skip(f"{op.name} is not compared in {dtype}")
    s = data.draw(opinfo.nan_samples(op, dtype))
    with np.errstate(invalid="ignore"):
        got, gs, grads, _ = _run_mg(op, s, "numpy")
    want, want_grads = _run_torch(op, s, gs)
    _compare(op.name, got, want, lambda d: _tol(op, d))
    for i, (g, w) in enumerate(zip(grads, want_grads)):
        assert (g is None) == (w is None), f"{op.name}: gradient {i} present in one library only"
        if g is not None:
            np.testing.assert_allclose(g, w, equal_nan=True, err_msg=f"{op.name}: gradient {i}", **_tol(op, dtype))
