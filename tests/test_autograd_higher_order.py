"""Higher-order gradients: a float64 gradgradcheck of every differentiable entry of the op registry
(tests/opinfo.py, opinfo_nn.py, opinfo_losses.py), so no op is first-order-only without anyone noticing, plus
second derivatives and Hessians of small networks against PyTorch."""
from __future__ import annotations

import importlib

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import minigrad as mg
import opinfo

ALL = list(opinfo.OPS)
for _mod in ("opinfo_nn", "opinfo_losses"):
    ALL += importlib.import_module(_mod).OPS
DIFFERENTIABLE = [op for op in ALL if op.differentiable]
torch = opinfo.torch
NO_TORCH = "PyTorch not installed: cross-checks against PyTorch skipped"
FEW = settings(max_examples=4, deadline=None,
               suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _tie(a, b) -> bool:
    return bool(np.any(np.equal(*np.broadcast_arrays(a, b))))


# Where an op's first derivative jumps, its second derivative does not exist and finite differences of the
# backward measure the jump: draws on such a kink are left out (the tie rule itself is tested elsewhere).
def _near(a, b) -> bool:
    """x1 - x2 + 1e-6 within 1e-3 of 0: |d| has its kink at d = 0 (p = 1), and the p-norm's curvature there
    grows as 1 / |d|, which the 1e-6 steps of finite differences can't resolve."""
    return bool(np.any(np.abs(np.subtract(*np.broadcast_arrays(a, b)) + 1e-6) < 1e-3))


KINK = {"maximum": _tie, "minimum": _tie, "mg.maximum": _tie, "mg.max_binary": _tie, "F.pairwise_distance": _near}


def _inputs(s, backend):
    args = [mg.tensor(a, requires_grad=(a.dtype.kind == "f" if s.grad is None else i in s.grad), backend=backend)
            if isinstance(a, np.ndarray) else a for i, a in enumerate(s.args)]
    kwargs = {k: mg.tensor(v, backend=backend) if isinstance(v, np.ndarray) else v for k, v in s.kwargs.items()}
    return args, kwargs


@pytest.mark.parametrize("op", [pytest.param(op, id=op.name) for op in DIFFERENTIABLE])
@FEW
@given(data=st.data())
def test_gradgradcheck(backend, op, data):
    """Second derivatives of every op (with respect to its inputs and to the upstream gradient) against
    finite differences of its first-order backward."""
    if backend in op.skip_backends:
        pytest.skip(f"{op.name}: not supported on backend {backend!r} (skip_backends)")
    s = data.draw(op.samples("float64"), label="sample")
    assume(op.name not in KINK or not KINK[op.name](*s.args[:2]))
    args, kwargs = _inputs(s, backend)
    if not any(isinstance(a, mg.Tensor) and a.requires_grad for a in args):
        return
    assert mg.autograd.gradgradcheck(lambda *xs: op.op(*xs, **kwargs), args)


def test_fast_mode_gradcheck_passes_right_and_catches_wrong_gradients(backend):
    rng = np.random.default_rng(0)
    x = mg.tensor(rng.standard_normal((3, 4)), requires_grad=True, backend=backend)
    w = mg.tensor(rng.standard_normal((4, 2)), requires_grad=True, backend=backend)
    assert mg.autograd.gradcheck(lambda a, b: (a @ b).tanh(), (x, w), fast_mode=True)
    assert mg.autograd.gradgradcheck(lambda a, b: (a @ b).tanh(), (x, w), fast_mode=True)

    class Wrong(mg.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, g):
            a, = ctx.saved_tensors
            return g * a * 2.001  # 0.05% off

    assert not mg.autograd.gradcheck(Wrong.apply, (x,), fast_mode=True, raise_exception=False, atol=1e-7, rtol=1e-6)
    with pytest.raises(mg.GradcheckError, match="fast gradcheck: u\\^T J v for input 0"):
        mg.autograd.gradcheck(Wrong.apply, (x,), fast_mode=True, atol=1e-7, rtol=1e-6)


def test_create_graph_on_every_backend_matches_numpy(backend):
    """Second derivatives through conv, pool, softmax and batch norm on the test backend equal numpy's."""
    import minigrad.nn.functional as F
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal((2, 1, 5, 5)), rng.standard_normal((3, 1, 2, 2))]

    def second(be):
        x, w = (mg.tensor(a, requires_grad=True, backend=be) for a in arrays)
        y = F.batch_norm(F.max_pool2d(F.conv2d(x, w, padding=1), 2), None, None, training=True)
        loss = F.log_softmax(y.reshape(2, -1), dim=1).exp().pow(2).sum()
        gx, gw = mg.autograd.grad(loss, (x, w), create_graph=True)
        return [t.numpy() for t in mg.autograd.grad((gx * gx).sum() + gw.sum(), (x, w))]
    for got, want in zip(second(backend), second("numpy")):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
