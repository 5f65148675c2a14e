"""Argument errors of ops: matmul and linear shapes, reduction dims, conv and pool arguments."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F


def t64(a, backend="numpy", requires_grad=True):
    return mg.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad, backend=backend)


# --------------------------------------------------------------------------- op argument errors
def test_matmul_and_linear_shape_errors(backend):
    with pytest.raises(ValueError, match=r"need at least 1 dimension, got shapes \(\) and \(2,\)"):
        t64(1.0, backend) @ t64([1.0, 2.0], backend)
    with pytest.raises(ValueError, match=r"shapes \(2, 3\) and \(2, 2\) don't line up \(3 != 2\)"):
        t64(np.ones((2, 3)), backend) @ t64(np.ones((2, 2)), backend)
    with pytest.raises(ValueError, match=r"input has 4 features \(shape \(3, 4\)\) but weight has shape \(2, 5\)"):
        F.linear(t64(np.ones((3, 4)), backend), t64(np.ones((2, 5)), backend))
    with pytest.raises(ValueError, match="weight must be 2-D"):
        F.linear(t64(np.ones((3, 4)), backend), t64(np.ones(4), backend))
    with pytest.raises(ValueError, match=r"bias must have shape \(2,\)"):
        F.linear(t64(np.ones((3, 4)), backend), t64(np.ones((2, 4)), backend), t64(np.ones(3), backend))
    with pytest.raises(TypeError, match="linear: input must be a minigrad Tensor, got ndarray"):
        F.linear(np.ones((3, 4)), t64(np.ones((2, 4)), backend))


def test_reduction_dim_errors_and_empty_max(backend):
    x = t64(np.ones((2, 3)), backend)
    with pytest.raises(IndexError, match="dimension 2 is out of range for a tensor with 2 dims"):
        x.sum(dim=2)
    with pytest.raises(ValueError, match=r"dim \(1, -1\) names the same dimension more than once"):
        x.sum(dim=(1, -1))
    with pytest.raises(RuntimeError, match=r"cannot reduce an empty dimension of shape \(2, 0\)"):
        t64(np.ones((2, 0)), backend).max(dim=1)
    np.testing.assert_array_equal(x.sum(dim=(0, 1)).detach().numpy().copy(), 6.0)


def test_conv_and_pool_argument_errors(backend):
    x, w = t64(np.ones((1, 1, 4, 4)), backend), t64(np.ones((1, 1, 2, 2)), backend)
    with pytest.raises(ValueError, match=r"stride must be an int or a pair of ints, got \(1, 2, 3\)"):
        F.conv2d(x, w, stride=(1, 2, 3))
    with pytest.raises(ValueError, match="stride must be >= 1"):
        F.conv2d(x, w, stride=0)
    with pytest.raises(ValueError, match=r"padded input"):
        F.conv2d(t64(np.ones((1, 1, 1, 1)), backend), w)
    with pytest.raises(ValueError, match="weight"):
        F.conv2d(x, t64(np.ones((1, 2, 2)), backend))
    with pytest.raises(ValueError, match="expected input of shape"):
        F.conv2d(t64(np.ones((4, 4)), backend), w)
    with pytest.raises(ValueError, match="channels"):
        F.conv2d(x, t64(np.ones((1, 2, 2, 2)), backend))
    with pytest.raises(ValueError, match=r"bias must have shape \(1,\)"):
        F.conv2d(x, w, t64(np.ones(2), backend))
    # unbatched input, as PyTorch allows: (C, H, W) in, (O, Ho, Wo) out, same numbers as the batched call
    out = F.conv2d(t64(np.arange(16.0).reshape(1, 4, 4), backend), w)
    assert out.shape == (1, 3, 3) and out.detach().numpy().copy()[0, 0, 0] == 0 + 1 + 4 + 5
    with pytest.raises(ValueError, match=r"kernel_size"):
        F.max_pool2d(x, 0)
    with pytest.raises(ValueError, match="padding"):
        F.max_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match="padded input"):
        F.max_pool2d(x, 5)
    with pytest.raises(ValueError, match="expected input of shape"):
        F.max_pool2d(t64(np.ones((4, 4)), backend), 2)
    pooled = F.max_pool2d(t64(np.arange(16.0).reshape(1, 4, 4), backend), 2)
    np.testing.assert_array_equal(pooled.detach().numpy().copy(), [[[5.0, 7.0], [13.0, 15.0]]])


# --------------------------------------------------------------------------- every op names what was wrong
_x, _v = (lambda: mg.randn(2, 3)), (lambda: mg.randn(3))
_i64 = lambda *s: mg.zeros(*s, dtype=mg.int64)  # noqa: E731
OP_ERRORS = [
    (lambda: _x().div(2, rounding_mode="round"), ValueError, "rounding_mode to be one of None, 'trunc', or 'floor'"),
    (lambda: _x().max((0, 1)), TypeError, "max: dim must be one int"),
    (lambda: _x().min((0, 1)), TypeError, "min: dim must be one int"),
    (lambda: _v().expand(-1, 3), mg.ShapeError, "-1 is not allowed for the new leading dim 0"),
    (lambda: _x().repeat(-1, 1), ValueError, "repeats must be non-negative"),
    (lambda: _x().flip((0,), dims=(1,)), TypeError, "flip\\(\\) takes the dims as varargs"),
    (lambda: 1.5 & mg.tensor([1]), TypeError, "bitwise ops need integer or bool operands, got float"),
    (lambda: mg.tensor([1, 2]) & mg.tensor([1, 2, 3]), mg.ShapeError, "don't broadcast"),
    (lambda: _x() @ 2, RuntimeError, "both arguments to matmul need to be at least 1-D"),
    (lambda: mg.meshgrid(_x(), _v(), indexing="ij"), mg.ShapeError, "expected 0-d or 1-d tensors"),
    (lambda: mg.meshgrid(_v(), mg.tensor([0, 1]), indexing="ij"), RuntimeError, "same dtype and backend"),
    (lambda: mg.zeros(2, 0).median(1), mg.DimError, "dim 1 of input .* is empty"),
    (lambda: mg.randn(1, 2, 2).bmm(np.ones((1, 2, 2))), TypeError, "bmm: mat2 must be a Tensor, got ndarray"),
    (lambda: mg.randn(1, 2, 2).bmm(mg.randn(1, 2, 2, dtype=mg.float64)), RuntimeError, "the same dtype"),
    (lambda: _v().outer([1.0]), TypeError, "outer: vec2 must be a Tensor, got list"),
    (lambda: _v().diagonal(), mg.ShapeError, "at least 2 dims"),
    (lambda: mg.tensor(1.0).narrow(0, 0, 1), mg.DimError, "cannot be applied to a 0-dim tensor"),
    (lambda: mg.tensor(1.0).index_select(0, mg.tensor([0, 0])), IndexError, "a 0-d input takes one index, got 2"),
    (lambda: _x().scatter(0, _i64(1, 3)), TypeError, "needs src \\(a Tensor\\) or value"),
    (lambda: _x().scatter_add(0, _i64(1, 3), 1.0), TypeError, "scatter_add: src must be a Tensor, got float"),
    (lambda: _x().scatter_add(0, _i64(1, 3), mg.zeros(1, 3, dtype=mg.float64)), RuntimeError, "src.dtype"),
    (lambda: _x().scatter_add(0, _i64(3), mg.zeros(3)), mg.ShapeError, "as many dims as self"),
    (lambda: _x().scatter_add(0, _i64(2, 3), mg.zeros(1, 3)), mg.ShapeError, "larger than src"),
    (lambda: _x().masked_select(mg.tensor([True, False])), mg.ShapeError, "don't broadcast"),
    (lambda: _v().lerp([1.0], 0.5), TypeError, "lerp: end must be a Tensor, got list"),
    (lambda: mg.tensor([1, 2]).lerp(mg.tensor([1, 2]), 0.5), RuntimeError, "self must be floating point"),
    (lambda: _v().isclose([1.0]), TypeError, "isclose: other must be a Tensor"),
    (lambda: _v().isclose(_v(), rtol=-1), ValueError, "rtol and atol must be non-negative"),
    (lambda: _v().isclose(mg.randn(2)), mg.ShapeError, "don't broadcast"),
    (lambda: _v().equal([1.0]), TypeError, "equal: other must be a Tensor"),
    (lambda: _v().norm("abc"), NotImplementedError, "p='abc'"),
    (lambda: _x().unflatten(1, ()), ValueError, "sizes must be non-empty"),
]


@pytest.mark.parametrize("call, error, message", OP_ERRORS, ids=[str(i) for i in range(len(OP_ERRORS))])
def test_op_argument_errors_name_the_argument(call, error, message):
    with pytest.raises(error, match=message):
        call()
