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
from minigrad.backend import array_module

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


@pytest.mark.slow
@pytest.mark.finite_differences  # second-order parity (below) holds other backends to numpy
@pytest.mark.parametrize("op", [pytest.param(op, id=op.name) for op in DIFFERENTIABLE])
@FEW
@given(data=st.data())
def test_gradgradcheck(backend, op, data):
    """Second derivatives of every op (with respect to its inputs and to the upstream gradient) against
    finite differences of its first-order backward. The whole Jacobian: one random projection (fast mode)
    perturbs all inputs at once, and for ops such as a product over several zeros the higher-order terms of
    that perturbation swamp the derivative."""
    if backend in op.skip_backends:
        pytest.skip(f"{op.name}: not supported on backend {backend!r} (skip_backends)")
    s = data.draw(op.samples("float64"), label="sample")
    assume(op.name not in KINK or not KINK[op.name](*s.args[:2]))
    args, kwargs = _inputs(s, backend)
    if not any(isinstance(a, mg.Tensor) and a.requires_grad for a in args):
        return
    assert mg.autograd.gradgradcheck(lambda *xs: op.op(*xs, **kwargs), args)


def _second_order(op, s, backend: str, seed: int) -> list:
    """First derivatives with create_graph (random upstream gradients that require grad), then the gradient of
    their random projection with respect to the inputs and the upstream gradients: every array as numpy."""
    rng = np.random.default_rng(seed)
    args, kwargs = _inputs(s, backend)
    xs = [a for a in args if isinstance(a, mg.Tensor) and a.requires_grad]
    outs = op.op(*args, **kwargs)
    outs = [o for o in (outs if isinstance(outs, (tuple, list)) else (outs,)) if o.requires_grad]
    if not xs or not outs:
        return []
    gos = [mg.tensor(rng.standard_normal(o.shape), requires_grad=True, backend=backend) for o in outs]
    firsts = mg.autograd.grad(outs, xs, gos, create_graph=True, allow_unused=True)
    terms = [(f * mg.tensor(rng.standard_normal(f.shape), backend=backend)).sum()
             for f in firsts if f is not None and f.requires_grad]
    seconds = mg.autograd.grad(sum(terms[1:], terms[0]), xs + gos, allow_unused=True) if terms else ()
    return [t.detach().numpy() for t in (*firsts, *seconds) if t is not None]


@pytest.mark.parametrize("op", [pytest.param(op, id=op.name) for op in DIFFERENTIABLE])
@FEW
@given(data=st.data())
def test_second_order_parity(backend, op, data):
    """Every op's first and second derivatives on ``backend`` equal numpy's, which gradgradcheck holds to
    finite differences. Tolerance: a double backward is a few hundred float64 roundings (an ulp each, CuPy's
    transcendentals an ulp or two off NumPy's), far inside 1e-10 of the largest value."""
    if backend == "numpy":
        pytest.skip("second-order parity compares another backend with numpy; on numpy it could not fail")
    if backend in op.skip_backends:
        pytest.skip(f"{op.name}: not supported on backend {backend!r} (skip_backends)")
    s = data.draw(op.samples("float64"), label="sample")
    seed = data.draw(st.integers(0, 2**16), label="seed")
    got, want = _second_order(op, s, backend, seed), _second_order(op, s, "numpy", seed)
    assert len(got) == len(want), f"{op.name}: {len(got)} derivatives on {backend}, {len(want)} on numpy"
    for k, (g, w) in enumerate(zip(got, want)):
        assert g.shape == w.shape and g.dtype == w.dtype, f"{op.name}: derivative {k}"
        scale = float(np.abs(w[np.isfinite(w)]).max(initial=0.0))
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-10 * scale, equal_nan=True,
                                   err_msg=f"{op.name}: derivative {k}")


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
        return [t.detach().numpy().copy() for t in mg.autograd.grad((gx * gx).sum() + gw.sum(), (x, w))]
    for got, want in zip(second(backend), second("numpy")):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


class _Cube(mg.autograd.Function):
    """x**3 with backward 3 * sq * g, where sq = x * x is a saved intermediate of x."""
    saves = (0,)

    def forward(self, x):
        self.sq = x * x
        return self.sq * x

    def backward(self, g):
        return 3 * self.sq * g


def test_create_graph_refuses_a_saved_intermediate_of_the_input():
    """Without derive, sq would become a constant and d2/dx2 x**3 would read 3 x**2 's derivative as 0."""
    x = mg.tensor([0.5, -2.0], dtype=mg.float64, requires_grad=True)
    g, = mg.autograd.grad(_Cube.apply(x).sum(), x)  # first order reads the array as it is
    np.testing.assert_allclose(g.detach().numpy().copy(), 3 * x.detach().numpy().copy() ** 2, rtol=1e-15)
    with pytest.raises(RuntimeError, match=r"create_graph=True: _CubeBackward saved the floating-point array "
                                           r"_Cube\.sq, which is neither its input nor its output; recompute it "
                                           r"from the inputs in a derive\(self, inputs\) method, or list 'sq' in "
                                           r"_Cube\.constants"):
        mg.autograd.grad(_Cube.apply(x).sum(), x, create_graph=True)


def test_create_graph_accepts_a_derived_or_declared_intermediate():
    x = mg.tensor([0.5, -2.0], dtype=mg.float64, requires_grad=True)

    class Derived(_Cube):
        def derive(self, inputs):
            self.sq = inputs[0] * inputs[0]

    g, = mg.autograd.grad(Derived.apply(x).sum(), x, create_graph=True)
    h, = mg.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h.detach().numpy().copy(), 6 * x.detach().numpy().copy(), rtol=1e-15)

    class ScaledCube(mg.autograd.Function):  # x**3 * w; derive names sq when it leaves it: x needs no grad
        saves = (0, 1)

        def forward(self, x, w):
            self.x, self.w, self.sq = x, w, x * x
            return self.sq * x * w

        def derive(self, inputs):
            if not self.needs_grad(0):
                return ("sq",)
            self.sq = inputs[0] * inputs[0]

        def backward(self, g):
            return 3 * self.sq * self.w * g, self.sq * self.x * g

    w = mg.tensor([1.0, 2.0], dtype=mg.float64, requires_grad=True)
    g, = mg.autograd.grad(ScaledCube.apply(x.detach(), w * w).sum(), w, create_graph=True)
    h, = mg.autograd.grad(g.sum(), w)
    np.testing.assert_allclose(h.detach().numpy().copy(), 2 * x.detach().numpy().copy() ** 3, rtol=1e-15)

    class Declared(_Cube):  # a (wrong) declaration is taken at its word: sq is a constant, the gradient too
        constants = ("sq",)

    g, = mg.autograd.grad(Declared.apply(x).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy().copy(), 3 * x.detach().numpy().copy() ** 2, rtol=1e-15)
    assert not g.requires_grad


def test_create_graph_takes_inputs_without_grad_and_integer_arrays_as_constants():
    """A saved input that doesn't require grad (here the weight w) and a saved index array need no declaration."""
    x = mg.tensor([0.5, -2.0, 1.5], dtype=mg.float64, requires_grad=True)
    w = mg.tensor([2.0, 3.0, 4.0], dtype=mg.float64)

    class Scaled(mg.autograd.Function):
        saves = (0, 1)

        def forward(self, x, w):
            self.x, self.w, self.order = x, w, array_module(x).argsort(x)
            return x * x * w

        def backward(self, g):
            return 2 * self.x * self.w * g, None

    g, = mg.autograd.grad(Scaled.apply(x, w).sum(), x, create_graph=True)
    h, = mg.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h.detach().numpy().copy(), 2 * w.detach().numpy().copy(), rtol=1e-15)


@pytest.mark.skipif(torch is None, reason=NO_TORCH)
def test_cumprod_second_derivative_at_zeros_matches_torch(backend):
    """cumprod's first-order rule picks a case by where x is zero; its second derivative must not (the
    gradient after a zero is 0 there, but depends on that zero)."""
    a = np.array([[1.5, 0.0, -2.0, 0.5], [0.0, 3.0, 0.0, -1.0]])
    g = np.array([[0.3, -1.2, 0.7, 2.0], [1.1, 0.4, -0.6, 0.9]])
    x = mg.tensor(a, requires_grad=True, backend=backend)
    gx, = mg.autograd.grad(x.cumprod(1), x, mg.tensor(g, backend=backend), create_graph=True)
    h, = mg.autograd.grad((gx * gx).sum(), x)
    tx = torch.tensor(a, requires_grad=True)
    tgx, = torch.autograd.grad(tx.cumprod(1), tx, torch.tensor(g), create_graph=True)
    th, = torch.autograd.grad((tgx * tgx).sum(), tx)
    np.testing.assert_allclose(gx.detach().numpy().copy(), tgx.detach().numpy(), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(h.detach().numpy().copy(), th.detach().numpy().copy(), rtol=1e-13, atol=1e-14)
    assert mg.autograd.gradgradcheck(lambda t: t.cumprod(1), (x,))
