"""mg.autograd.functional against torch.autograd.functional: values and return structures."""
from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch", reason="PyTorch not installed: the comparisons need it")
TF = torch.autograd.functional
MF = mg.autograd.functional


def _f1(x):  # Tensor -> Tensor
    return (x.sin() * x).tanh()


def _f2(x, y):  # tuple -> tuple
    return (x * y).exp(), (x * x).sum() * y


def _scalar(x, y):
    return ((x * y).sin().sum() + (x ** 3).sum() * y.exp().sum())


def _np(t):
    return t.detach().numpy()


def _same(got, want):
    """Same nesting (tuples / Tensors) and values."""
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want)
        for g, w in zip(got, want):
            _same(g, w)
        return
    assert isinstance(got, mg.Tensor), type(got)
    assert tuple(got.shape) == tuple(want.shape)
    np.testing.assert_allclose(got.detach().numpy().copy(), _np(want), rtol=1e-12, atol=1e-12)


@pytest.fixture
def xy():
    rng = np.random.default_rng(0)
    return rng.standard_normal(3), rng.standard_normal(3)


def _both(*arrays):
    return tuple(mg.tensor(a) for a in arrays), tuple(torch.tensor(a) for a in arrays)


def test_vjp_jvp(xy):
    (x, y), (xt, yt) = _both(*xy)
    v = np.linspace(-1, 1, 3)
    _same(MF.vjp(_f1, x, mg.tensor(v)), TF.vjp(_f1, xt, torch.tensor(v)))
    _same(MF.jvp(_f1, x, mg.tensor(v)), TF.jvp(_f1, xt, torch.tensor(v)))
    vs = (mg.tensor(v), mg.tensor(v * 2))
    vts = (torch.tensor(v), torch.tensor(v * 2))
    _same(MF.vjp(_f2, (x, y), vs), TF.vjp(_f2, (xt, yt), vts))
    _same(MF.jvp(_f2, (x, y), vs), TF.jvp(_f2, (xt, yt), vts))
    _same(MF.vjp(_scalar, (x, y)), TF.vjp(_scalar, (xt, yt)))


def test_jacobian_structures(xy):
    (x, y), (xt, yt) = _both(*xy)
    _same(MF.jacobian(_f1, x), TF.jacobian(_f1, xt))
    _same(MF.jacobian(_f2, (x, y)), TF.jacobian(_f2, (xt, yt)))
    _same(MF.jacobian(lambda a: _f2(a, y), x), TF.jacobian(lambda a: _f2(a, yt), xt))
    _same(MF.jacobian(lambda a, b: _f1(a * b), (x, y), vectorize=True),
          TF.jacobian(lambda a, b: _f1(a * b), (xt, yt), vectorize=True))


def test_hessian_hvp_vhp(xy):
    (x, y), (xt, yt) = _both(*xy)
    _same(MF.hessian(_scalar, (x, y)), TF.hessian(_scalar, (xt, yt)))
    _same(MF.hessian(lambda a: _scalar(a, y), x), TF.hessian(lambda a: _scalar(a, yt), xt))
    v = (mg.tensor(np.ones(3)), mg.tensor(np.arange(3.0)))
    vt = (torch.ones(3, dtype=torch.float64), torch.arange(3.0, dtype=torch.float64))
    _same(MF.hvp(_scalar, (x, y), v), TF.hvp(_scalar, (xt, yt), vt))
    _same(MF.vhp(_scalar, (x, y), v), TF.vhp(_scalar, (xt, yt), vt))


def test_create_graph_and_strict(xy):
    (x, y), (xt, yt) = _both(*xy)
    x.requires_grad_(True)
    xt.requires_grad_(True)
    h = MF.hessian(lambda a: (a ** 4).sum(), x, create_graph=True)
    ht = TF.hessian(lambda a: (a ** 4).sum(), xt, create_graph=True)
    assert h.requires_grad and ht.requires_grad
    g, = mg.autograd.grad(h.sum(), x)
    gt, = torch.autograd.grad(ht.sum(), xt)
    np.testing.assert_allclose(g.detach().numpy().copy(), _np(gt), rtol=1e-12)
    assert not MF.jacobian(_f1, x).requires_grad
    # an output independent of an input: zeros, or with strict=True the same error as PyTorch
    _same(MF.jacobian(lambda a, b: a * 2, (x, y)), TF.jacobian(lambda a, b: a * 2, (xt, yt)))
    for F, a, b in ((MF, x, y), (TF, xt, yt)):
        with pytest.raises(RuntimeError, match="independent of input 1"):
            F.jacobian(lambda p, q: p * 2, (a, b), strict=True)


def test_argument_errors(xy):
    (x, y), (xt, yt) = _both(*xy)
    for F, a in ((MF, x), (TF, xt)):
        with pytest.raises(TypeError, match="must be either a Tensor or a tuple of Tensors"):
            F.jacobian(_f1, [1.0])
        with pytest.raises(RuntimeError, match="v can only be None"):
            F.vjp(_f1, a)
        with pytest.raises(RuntimeError, match="single element"):
            F.hessian(_f1, a)
