"""The create_graph namespace (minigrad/ops/tensor_xp.py): every array function and method it offers gives
NumPy's values, and its results are differentiable (gradcheck through the Box)."""
from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg
from minigrad.backend import array_module
from minigrad.ops.tensor_xp import Box, box, unbox

RNG = np.random.default_rng(0)
A = RNG.uniform(0.5, 2.0, (2, 3))
B = RNG.uniform(-1.0, 1.0, (2, 3))
IDX = np.array([[2, 0, 1], [1, 1, 0]])

# name -> (function over (xp, *arrays), the arrays): run once with NumPy and once with Boxes
CASES = {
    "tanh": (lambda xp, a: xp.tanh(a), (A,)),
    "abs": (lambda xp, a: xp.abs(a), (B,)),
    "expm1": (lambda xp, a: xp.expm1(a), (B,)),
    "log1p": (lambda xp, a: xp.log1p(a), (A,)),
    "sign": (lambda xp, a: xp.sign(a) * a, (B,)),
    "multiply": (lambda xp, a, b: xp.multiply(a, b), (A, B)),
    "maximum-scalar-first": (lambda xp, a: xp.maximum(0.1, a), (B,)),
    "minimum": (lambda xp, a, b: xp.minimum(a, b), (A, B)),
    "clip": (lambda xp, a: xp.clip(a, -0.5, 0.5), (B,)),
    "where": (lambda xp, a, b: xp.where(a > 1, a, b), (A, B)),
    "sum": (lambda xp, a: xp.sum(a, axis=-1, keepdims=True), (A,)),
    "reshape": (lambda xp, a: xp.reshape(a, (3, 2)), (A,)),
    "transpose": (lambda xp, a: xp.transpose(a), (A,)),
    "transpose-axes": (lambda xp, a: xp.transpose(a[None], (2, 0, 1)), (A,)),
    "swapaxes": (lambda xp, a: xp.swapaxes(a, 0, 1), (A,)),
    "matmul": (lambda xp, a, b: xp.matmul(a, b.T), (A, B)),
    "rmatmul": (lambda xp, a: B.T.copy() @ a, (A,)),  # a host array @ Box: NumPy defers to Box.__rmatmul__
    "rpow": (lambda xp, a: 2.0 ** a, (B,)),
    "max": (lambda xp, a: a.max(axis=1), (A,)),
    "tile": (lambda xp, a: xp.tile(a, (2, 1)), (A,)),
    "stack": (lambda xp, a, b: xp.stack([a, b], axis=1), (A, B)),
    "concatenate-negative-axis": (lambda xp, a, b: xp.concatenate([a, b], axis=-1), (A, B)),
    "cumsum-flat": (lambda xp, a: xp.cumsum(a), (A,)),
    "cumprod": (lambda xp, a: xp.cumprod(a, axis=1), (A,)),
    "take_along_axis": (lambda xp, a: xp.take_along_axis(a, xp.asarray(IDX), axis=1), (A,)),
    "take": (lambda xp, a: xp.take(a, xp.asarray(np.array([2, 0])), axis=1), (A,)),
    "moveaxis": (lambda xp, a: xp.moveaxis(a[None], 0, -1), (A,)),
    "expand_dims": (lambda xp, a: xp.expand_dims(a, 1), (A,)),
    "flip": (lambda xp, a: xp.flip(a, axis=-1), (A,)),
    "pad": (lambda xp, a: xp.pad(a, ((1, 0), (0, 2))), (A,)),
    "einsum": (lambda xp, a, b: xp.einsum("ij,ij->i", a, b), (A, B)),
    "setitem-and-add.at": (lambda xp, a: _scatter(xp, a), (A,)),
    "full-and-full_like": (lambda xp, a: a * xp.full((2, 3), 2.0) + xp.full_like(a, 0.5) + xp.empty_like(a) * 0, (A,)),
    "masks": (lambda xp, a, b: a * ((a > 1) | ~(b < 0)) + a * ((a != 1) & (b >= 0)), (A, B)),
    "tril": (lambda xp, a: xp.tril(a), (A,)),
    "triu-offset": (lambda xp, a: xp.triu(a[None] * 1.0, -1), (A,)),
    "roll": (lambda xp, a: xp.roll(a, 2, axis=1), (A,)),
    "roll-negative-multi-axis": (lambda xp, a: xp.roll(a, (-1, 4), axis=(0, -1)), (A,)),
    "roll-one-shift-many-axes": (lambda xp, a: xp.roll(a, 1, axis=(0, 1)), (A,)),
    "roll-flat": (lambda xp, a: xp.roll(a, -4), (A,)),
    "roll-zero-shift": (lambda xp, a: xp.roll(a, 3, axis=1), (A,)),
    "tensordot-axes-lists": (lambda xp, a, b: xp.tensordot(a, b, axes=([1], [1])), (A, B)),
    "tensordot-int": (lambda xp, a, b: xp.tensordot(a, b.T, axes=1), (A, B)),
    "tensordot-int-2": (lambda xp, a, b: xp.tensordot(a, b, axes=2), (A, B)),
    "logaddexp": (lambda xp, a, b: xp.logaddexp(a * 300, b), (A, B)),  # exp(600) would overflow
    "logaddexp-scalar-first": (lambda xp, a: xp.logaddexp(0, a), (B,)),
    "moveaxis-several": (lambda xp, a: xp.moveaxis(a[None], (0, 2), (-1, 0)), (A,)),
    "moveaxis-several-unsorted": (lambda xp, a: xp.moveaxis(a[None, :, None], (3, 0), (1, 2)), (A,)),
    "any-all-argmax-argmin": (lambda xp, a, b: a * (b > 0).any(axis=1, keepdims=True)
                              + a * (b > -2).all(axis=0) + a * xp.argmax(b, axis=1)[:, None]
                              + a * xp.argmin(b, axis=0, keepdims=True), (A, B)),
}


def _scatter(xp, a):
    out = xp.zeros((2, 4), dtype=a.dtype)
    out[:, 1:] = a
    xp.add.at(out, (np.array([0, 0, 1]), np.array([1, 1, 3])), a[0])
    return out


@pytest.mark.parametrize("name", sorted(CASES))
def test_namespace_gives_numpy_values_and_gradients(name):
    fn, arrays = CASES[name]
    want = fn(np, *(a.copy() for a in arrays))
    ts = [mg.tensor(a, requires_grad=True) for a in arrays]
    got = unbox(fn(array_module(box(ts[0])), *(box(t) for t in ts)))
    np.testing.assert_allclose(got.detach().numpy().copy(), want, rtol=1e-14, atol=1e-15)
    assert mg.autograd.gradcheck(lambda *xs: unbox(fn(array_module(box(xs[0])), *(box(x) for x in xs))), ts)


def test_box_refuses_what_it_cannot_differentiate():
    b = box(mg.tensor(A, requires_grad=True))
    xp = array_module(b)
    assert len(b) == 2 and repr(b).startswith("Box(tensor(") and isinstance(b, Box)
    with pytest.raises(TypeError, match="branched on a gradient's value"):
        bool(b > 1)
    with pytest.raises(AttributeError, match="xp.pad\\(mode='reflect'\\) has no differentiable form"):
        xp.pad(b, ((1, 1), (1, 1)), mode="reflect")
    with pytest.raises(AttributeError, match="xp.fft has no differentiable form|xp.i0 has no differentiable form"):
        xp.i0(b)
    assert xp.float64 is np.float64 and xp.inf == np.inf  # dtypes and constants pass through
    assert xp.isfinite(b).t.dtype == np.bool_ and not xp.isnan(b).t.detach().numpy().copy().any()
    assert xp.cumprod(box(mg.zeros(2, 0)), axis=1).shape == (2, 0)
    assert unbox(None) is None and xp.asarray(b) is b and xp.ascontiguousarray(b) is b
