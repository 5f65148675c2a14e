"""Against PyTorch, what the op registry (tests/support/opinfo.py, run by tests/ops/test_opinfo.py) does not cover:
compositions of ops, gradients at edge points and kinks, and result dtypes of mixed operands.

Each composite case is written once as `fn(F, *tensors)` and run twice: with minigrad tensors and
`minigrad.nn.functional`, and with torch tensors and `torch.nn.functional`. Both runs get the same inputs and
the same random upstream gradient; outputs and every input's gradient must agree to float64 round-off.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch not installed: cross-checks against PyTorch skipped")
import torch.nn.functional as TF  # noqa: E402

import minigrad as mg  # noqa: E402
import minigrad.nn.functional as F  # noqa: E402

SEEDS = [0, 1, 2]


# Input makers: each takes a numpy Generator and returns a float64 array.
def normal(*shape):
    return lambda rng: rng.standard_normal(shape)


def positive(*shape):
    return lambda rng: rng.uniform(0.2, 3.0, shape)


def away_from_zero(*shape):
    """|v| >= 0.05, so relu/abs are away from their kink."""
    return lambda rng: rng.uniform(0.05, 3.0, shape) * rng.choice([-1.0, 1.0], shape)


# name -> (fn(F, *tensors) -> tensor, [input makers]). Single ops are in the registry (tests/support/opinfo.py); what
# stays here are compositions, which check that ops chain (dtypes, shapes, accumulation) as in PyTorch.
CASES = {
    # a small composite, like one step of the assignment network
    "cnn_step": (
        lambda F, x, w, w1, b1, y: F.mse_loss(
            F.linear(F.max_pool2d(F.conv2d(x, w).relu(), 2).flatten(1).sigmoid(), w1, b1).sigmoid(), y
        ),
        [normal(2, 1, 5, 5), normal(3, 1, 2, 2), normal(2, 12), normal(2), normal(2, 2)],
    ),
    "scalar_reflected": (lambda F, a: (3.0 - a) * (0.5 * a) + 1.5 / a + 2.0**a, [away_from_zero(2, 3)]),
    "pow_method": (lambda F, a, b: a.pow(b) + a.pow(-0.5), [positive(3, 1), normal(1, 2)]),
}


def _run_minigrad(fn, arrays, g, backend):
    ts = [mg.tensor(a, requires_grad=True, backend=backend) for a in arrays]
    out = fn(F, *ts)
    out.backward(mg.tensor(g, backend=backend))
    return out, [None if t.grad is None else t.grad.detach().numpy().copy() for t in ts]


def _run_torch(fn, arrays, rng):
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch deprecation notes for F.sigmoid / F.tanh
        out = fn(TF, *ts)
    g = rng.standard_normal(tuple(out.shape))
    out.backward(torch.tensor(g))
    return out.detach().numpy(), g, [None if t.grad is None else t.grad.detach().numpy().copy() for t in ts]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", list(CASES))
def test_forward_backward_match_torch(backend, name, seed):
    fn, makers = CASES[name]
    rng = np.random.default_rng(seed)
    arrays = [make(rng) for make in makers]
    expected, g, expected_grads = _run_torch(fn, arrays, rng)
    out, grads = _run_minigrad(fn, arrays, g, backend)

    assert out.shape == expected.shape
    assert out.dtype == mg.float64
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-9, atol=1e-12, err_msg=f"{name}: forward")
    for i, (got, want) in enumerate(zip(grads, expected_grads)):
        assert got is not None, f"{name}: input {i} got no gradient"
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, err_msg=f"{name}: grad of input {i}")


# Edge points where the textbook derivative formula gives 0 * inf = nan but PyTorch defines the gradient as 0:
# d(x**0)/dx at x = 0 and d(a**b)/db at a = 0 (b > 0). Outputs and grads must match PyTorch, without warnings.
POW_EDGES = {
    "x**0 at x=0": (lambda a: a**0, [np.array([0.0, 1.5])]),
    "x**0.0 at x=0": (lambda a: a**0.0, [np.array([0.0, 1.5])]),
    "0**y wrt y": (lambda a, b: a**b, [np.array([0.0, 2.0]), np.array([2.0, 0.5])]),
}


@pytest.mark.parametrize("name", list(POW_EDGES))
def test_pow_gradient_at_zero_base_matches_torch(backend, name):
    fn, arrays = POW_EDGES[name]
    tts = [torch.tensor(a, requires_grad=True) for a in arrays]
    fn(*tts).sum().backward()
    mts = [mg.tensor(a, requires_grad=True, backend=backend) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fn(*mts).sum().backward()
    for m, t in zip(mts, tts):
        # within a few ulps: CuPy's log may differ from NumPy's (and PyTorch's) by one
        np.testing.assert_allclose(m.grad.detach().numpy().copy(), t.grad.detach().numpy().copy(), rtol=4 * np.finfo(np.float64).eps, atol=0)


# Result dtypes of mixed operands, as PyTorch promotes them: Python and NumPy scalars never widen a float
# tensor; an integer tensor meeting a float (scalar or tensor) takes the float's dtype, the default dtype for a
# Python float; true division and float functions of integers give the default dtype; a 0-d tensor counts
# only when its category (bool < int < float) is higher.
DTYPE_CASES = {
    "f32 * python float": lambda a, i, b: a * 2.5,
    "f32 * python int": lambda a, i, b: a * 2,
    "python float ** f32": lambda a, i, b: 2.0**a,
    "f32 * np.float32": lambda a, i, b: a * np.float32(2),
    "i64 * python int": lambda a, i, b: i * 2,
    "f32 * np.float64": lambda a, i, b: a * np.float64(2),
    "i64 * python float": lambda a, i, b: i * 2.5,
    "python float - i64": lambda a, i, b: 2.5 - i,
    "i64 / i64": lambda a, i, b: i / i,
    "i64 / python int": lambda a, i, b: i / 2,
    "python int / i64": lambda a, i, b: 2 / i,
    "i64 + f32 tensor": lambda a, i, b: i + a,
    "f32 tensor * i64": lambda a, i, b: a * i,
    "i64 ** python float": lambda a, i, b: i**0.5,
    "python float ** i64": lambda a, i, b: 2.0**i,
    "i64 ** python int": lambda a, i, b: i**2,
    "exp(i64)": lambda a, i, b: i.exp(),
    "log(i64)": lambda a, i, b: i.log(),
    "sqrt(i64)": lambda a, i, b: i.sqrt(),
    "sigmoid(i64)": lambda a, i, b: i.sigmoid(),
    "tanh(i64)": lambda a, i, b: i.tanh(),
    "bool + python int": lambda a, i, b: b + 1,
    "bool * python float": lambda a, i, b: b * 1.5,
    "bool + i64": lambda a, i, b: b + i,
    "f32 + 0-d f64 tensor": lambda a, i, b: a + a.double().sum(),
    "i64 + 0-d f64 tensor": lambda a, i, b: i + a.double().sum(),
    "i64 + 0-d i32 tensor": lambda a, i, b: i + i.int()[0],
    "i32 + 0-d i64 tensor": lambda a, i, b: i.int() + i[0],
}


@pytest.mark.parametrize("name", list(DTYPE_CASES))
def test_result_dtype_matches_torch(backend, name):
    fn = DTYPE_CASES[name]
    want = fn(torch.tensor([1.0, 2.0]), torch.tensor([1, 2]), torch.tensor([True, False]))
    got = fn(mg.tensor([1.0, 2.0], backend=backend), mg.tensor([1, 2], backend=backend),
             mg.tensor([True, False], backend=backend))
    assert got.dtype == want.detach().numpy().copy().dtype, f"{name}: minigrad {got.dtype}, torch {want.dtype}"
    np.testing.assert_allclose(got.detach().numpy().copy(), want.detach().numpy().copy(), rtol=1e-6)


KINKS = {
    "relu": lambda F, a: a.relu(),
    "F.relu": lambda F, a: F.relu(a),
    "abs": lambda F, a: a.abs(),
    "max_pool2d": lambda F, a: F.max_pool2d(a.reshape(1, 1, 2, 2), 2),
}


@pytest.mark.parametrize("name", list(KINKS))
def test_gradient_at_kinks_matches_torch(backend, name):
    # Where an op is not differentiable PyTorch still picks a value (relu'(0) = 0, abs'(0) = sign(0) = 0);
    # code ported from PyTorch relies on it, e.g. dead ReLUs at exactly 0.
    fn = KINKS[name]
    x = np.array([0.0, -0.0, 0.0, 0.0])
    tt = torch.tensor(x, requires_grad=True)
    fn(TF, tt).sum().backward()
    mt = mg.tensor(x, requires_grad=True, backend=backend)
    fn(F, mt).sum().backward()
    np.testing.assert_array_equal(mt.grad.detach().numpy().copy(), tt.grad.detach().numpy().copy())
