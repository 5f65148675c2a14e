"""Op values a wrong line would change: float32 outputs of ops that build constants, frozen operands, einsum's
parsing and diagonal gradients, index assignment broadcasting, empty reductions, activation defaults."""

from __future__ import annotations

import math

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F


def _t(a, backend, requires_grad=False, dtype=None):
    return mg.tensor(np.asarray(a, dtype=dtype), backend=backend, requires_grad=requires_grad)


def _np(t):
    return t.detach().numpy()


# ------------------------------------------------------------------ float32 stays float32 (no float64 constants)
@pytest.mark.parametrize("make", [
    lambda x: F.dropout(x, p=0.25),
    lambda x: F.avg_pool2d(x, 2, divisor_override=3),
    lambda x: F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False),
    lambda x: F.avg_pool2d(x, 2, ceil_mode=True),
    lambda x: F.cross_entropy(x.reshape(5, 10), mg.tensor(np.arange(5) % 10, backend=x.backend)),
    lambda x: F.cross_entropy(x.reshape(5, 10), F.softmax(x.reshape(5, 10).detach() * 2, dim=1)),
    lambda x: F.cross_entropy(x.reshape(5, 10), mg.tensor(np.arange(5) % 10, backend=x.backend), label_smoothing=0.1),
    lambda x: F.logsumexp(x, dim=(2, 3)),
], ids=["dropout", "avg_pool_divisor", "avg_pool_exclude_pad", "avg_pool_ceil", "cross_entropy", "cross_entropy_probs",
        "cross_entropy_smoothing", "logsumexp"])
def test_float32_inputs_give_float32_outputs_and_grads(backend, make):
    mg.manual_seed(0)
    x = _t(np.random.default_rng(0).standard_normal((1, 2, 5, 5)), backend, True, np.float32)
    out = make(x)
    assert out.dtype == mg.float32, out.dtype
    out.sum().backward()
    assert x.grad.dtype == mg.float32


# ------------------------------------------------------------------ frozen operands
def test_maximum_gradient_of_the_trainable_operand_when_the_other_is_frozen(backend):
    a = _t([1.0, 5.0, 3.0], backend, True)
    b = _t([2.0, 4.0, 3.0], backend)
    mg.maximum(a, b).sum().backward()
    np.testing.assert_array_equal(_np(a.grad), [0.0, 1.0, 0.5])
    a2, b2 = _t([1.0, 5.0, 3.0], backend), _t([2.0, 4.0, 3.0], backend, True)
    mg.maximum(a2, b2).sum().backward()
    np.testing.assert_array_equal(_np(b2.grad), [1.0, 0.0, 0.5])


def test_einsum_gradient_of_a_later_operand_when_the_first_is_frozen(backend):
    rng = np.random.default_rng(1)
    a = _t(rng.standard_normal((2, 3)), backend)
    b = _t(rng.standard_normal((3, 4)), backend, True)
    mg.einsum("ij,jk->ik", a, b).sum().backward()
    np.testing.assert_allclose(_np(b.grad), np.repeat(_np(a).sum(0)[:, None], 4, axis=1), rtol=1e-12)


# ------------------------------------------------------------------ einsum parsing and gradients
@pytest.mark.parametrize("eq, shapes", [
    ("ij, jk -> ik", [(2, 3), (3, 4)]),            # spaces are ignored, as in NumPy and PyTorch
    ("...ij,jk->...ik", [(2, 5, 3), (3, 4)]),       # an ellipsis on one operand only
    ("...ij,...jk->...ik", [(2, 5, 3), (3, 4)]),    # ellipses of different lengths broadcast
    ("ij,jk", [(2, 3), (3, 4)]),                    # implicit output: the letters used once, sorted
    ("ii->i", [(3, 3)]),                            # a diagonal: the gradient goes through an identity matrix
    ("iij,jk->ik", [(3, 3, 2), (2, 4)]),
    ("ij,j->", [(2, 3), (3,)]),
    ("ij,kj->ij", [(2, 3), (4, 3)]),                 # k summed away from the second operand only
])
def test_einsum_values_and_gradients(backend, eq, shapes):
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal(s) for s in shapes]
    ts = [_t(a, backend, True) for a in arrays]
    out = mg.einsum(eq, *ts)
    np.testing.assert_allclose(_np(out), np.einsum(eq, *arrays), rtol=1e-12, atol=1e-12)
    assert mg.gradcheck(lambda *xs: mg.einsum(eq, *xs), [_t(a, backend, True) for a in arrays])


def test_einsum_diagonal_gradient_in_float32(backend):
    x = _t(np.arange(9.0).reshape(3, 3), backend, True, np.float32)
    mg.einsum("ii->i", x).sum().backward()
    assert x.grad.dtype == mg.float32
    np.testing.assert_array_equal(_np(x.grad), np.eye(3))


# ------------------------------------------------------------------ index assignment
def test_index_put_gradient_of_a_value_with_extra_leading_ones(backend):
    """a[0:2] = v with v of shape (1, 3): NumPy broadcasting drops v's leading 1; v's gradient keeps its shape."""
    a = _t(np.zeros((4, 3)), backend, True)
    v = _t(np.ones((1, 3)), backend, True)
    b = a * 1.0
    b[0:2] = v
    (b * _t(np.arange(12.0).reshape(4, 3), backend)).sum().backward()
    assert v.grad.shape == (1, 3)
    np.testing.assert_array_equal(_np(v.grad), [[3.0, 5.0, 7.0]])
    np.testing.assert_array_equal(_np(a.grad), np.where(np.arange(4)[:, None] < 2, 0.0, np.arange(12.0).reshape(4, 3)))
    # a[1] = v of shape (1, 3): the indexed gradient (3,) gets v's leading 1 back
    v1 = _t(np.ones((1, 3)), backend, True)
    c = a * 1.0
    c[1] = v1
    (c * _t(np.arange(12.0).reshape(4, 3), backend)).sum().backward()
    assert v1.grad.shape == (1, 3)
    np.testing.assert_array_equal(_np(v1.grad), [[3.0, 4.0, 5.0]])


# ------------------------------------------------------------------ empty reductions and losses
@pytest.mark.parametrize("loss", [F.mse_loss, F.l1_loss, F.binary_cross_entropy])
def test_mean_loss_of_empty_inputs_is_nan_like_torch(backend, loss):
    """nan without a NumPy warning, and an empty gradient (not a division by zero)."""
    x = _t(np.zeros((0, 3)), backend, True)
    y = _t(np.zeros((0, 3)), backend)
    out = loss(x, y)
    assert out.shape == () and math.isnan(out.item())
    out.backward()
    assert x.grad.shape == (0, 3)
    assert loss(x, y, reduction="sum").item() == 0.0


# ------------------------------------------------------------------ activation defaults are PyTorch's
def test_activation_defaults(backend):
    x = _t([-3.0, -1.0, 0.5, 3.0], backend)
    np.testing.assert_allclose(_np(F.leaky_relu(x)), [-0.03, -0.01, 0.5, 3.0], rtol=1e-15)
    np.testing.assert_allclose(_np(F.hardtanh(x)), [-1.0, -1.0, 0.5, 1.0], rtol=1e-15)
    np.testing.assert_allclose(_np(F.elu(x)), [math.expm1(-3.0), math.expm1(-1.0), 0.5, 3.0], rtol=1e-15)
    np.testing.assert_allclose(_np(F.softplus(x)), np.log1p(np.exp([-3.0, -1.0, 0.5, 3.0])), rtol=1e-15)
    # threshold 20: above it softplus is x itself, below it the exact log1p(exp(x))
    big = _t([20.5, 19.5], backend)
    assert _np(F.softplus(big))[0] == 20.5 and _np(F.softplus(big))[1] == np.log1p(np.exp(19.5))


# ------------------------------------------------------------------ arguments
def test_window_arguments_may_be_numpy_integer_arrays(backend):
    """kernel_size, stride, ... as a NumPy array of two ints is a pair (it has __index__ and __len__), as a tuple."""
    x, w = _t(np.ones((1, 1, 5, 5)), backend), _t(np.ones((1, 1, 2, 2)), backend)
    assert F.conv2d(x, w, stride=np.array([1, 2])).shape == (1, 1, 4, 2)
    assert F.max_pool2d(x, np.array([2, 1])).shape == (1, 1, 2, 5)


def test_matmul_shape_error_names_the_inner_sizes_of_a_batched_operand(backend):
    with pytest.raises(mg.ShapeError) as info:
        _t(np.ones((2, 3)), backend) @ _t(np.ones((5, 4, 2)), backend)
    assert str(info.value) == "matmul: shapes (2, 3) and (5, 4, 2) don't line up (3 != 4)"


@pytest.mark.parametrize("shape", [(1, 2, 5, 4), (1, 2, 4, 5)], ids=["extra_rows", "extra_cols"])
def test_ceil_mode_pooling_pads_one_side_only(backend, shape):
    """ceil_mode with an odd size on one axis only: the last window is partial on that axis alone."""
    a = np.random.default_rng(4).standard_normal(shape)
    h, w = shape[2:]
    ho, wo = -(-h // 2), -(-w // 2)
    want = np.array([[[[a[n, c, 2 * i:2 * i + 2, 2 * j:2 * j + 2].max() for j in range(wo)] for i in range(ho)]
                      for c in range(shape[1])] for n in range(shape[0])])
    x = _t(a, backend, True)
    out = F.max_pool2d(x, 2, ceil_mode=True)
    np.testing.assert_array_equal(_np(out), want)
    avg = F.avg_pool2d(x, 2, ceil_mode=True)
    want_avg = np.array([[[[a[n, c, 2 * i:2 * i + 2, 2 * j:2 * j + 2].mean() for j in range(wo)] for i in range(ho)]
                          for c in range(shape[1])] for n in range(shape[0])])
    np.testing.assert_allclose(_np(avg), want_avg, rtol=1e-12)


def test_conv_transpose2d_gradient_of_the_input_when_the_weight_is_frozen(backend):
    rng = np.random.default_rng(5)
    xa, wa = rng.standard_normal((2, 3, 4, 4)), rng.standard_normal((3, 2, 3, 3))
    x, w = _t(xa, backend, True), _t(wa, backend)
    F.conv_transpose2d(x, w, stride=2).sum().backward()
    x2, w2 = _t(xa, backend, True), _t(wa, backend, True)
    F.conv_transpose2d(x2, w2, stride=2).sum().backward()
    assert w.grad is None
    np.testing.assert_allclose(_np(x.grad), _np(x2.grad), rtol=1e-12)


def test_pow_gradient_with_a_tensor_exponent_of_zero_and_one(backend):
    """d(a**b)/da = b * a**(b - 1): 0 where b == 0 (even at a == 0), 1 where b == 1."""
    a = _t([2.0, 3.0, 0.0, 5.0], backend, True)
    b = _t([0.0, 1.0, 0.0, 2.0], backend)
    (a ** b).sum().backward()
    np.testing.assert_array_equal(_np(a.grad), [0.0, 1.0, 0.0, 10.0])


def test_conv2d_with_no_output_channels(backend):
    x, w = _t(np.ones((2, 3, 5, 5)), backend, True), _t(np.ones((0, 3, 3, 3)), backend, True)
    out = F.conv2d(x, w)
    assert out.shape == (2, 0, 3, 3)
    out.sum().backward()
    np.testing.assert_array_equal(_np(x.grad), np.zeros((2, 3, 5, 5)))
