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
