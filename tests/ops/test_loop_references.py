"""Forward values against plain-loop references, clear shape errors, numerical behaviour.

- conv2d and max_pool2d forward vs the loops in tests/support/reference.py over drawn configs;
- wrong shapes raise an error whose message names the problem;
- sigmoid stays exact and silent at +-1e4; float32 stays float32 through every op.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
import minigrad.nn.functional as F
from reference import conv2d_ref, max_pool2d_grad_ref, max_pool2d_ref, pair

# The `backend` fixture is a plain string, so sharing it across examples is safe.
FIXTURE_OK = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])

int_or_pair = lambda lo, hi: st.integers(lo, hi) | st.tuples(st.integers(lo, hi), st.integers(lo, hi))  # noqa: E731
values = st.floats(-3, 3, allow_nan=False, allow_infinity=False)


@st.composite
def conv_case(draw):
    n, c, o = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride, padding = draw(int_or_pair(1, 3)), draw(int_or_pair(0, 2))
    ph, pw = pair(padding)
    h = draw(st.integers(max(1, kh - 2 * ph), 7))
    w = draw(st.integers(max(1, kw - 2 * pw), 7))
    x = draw(hnp.arrays(np.float64, (n, c, h, w), elements=values))
    wt = draw(hnp.arrays(np.float64, (o, c, kh, kw), elements=values))
    bias = draw(st.none() | hnp.arrays(np.float64, (o,), elements=values))
    return x, wt, bias, stride, padding


@FIXTURE_OK
@given(case=conv_case())
def test_conv2d_matches_loop_reference(backend, case):
    x, w, bias, stride, padding = case
    b = None if bias is None else mg.tensor(bias, backend=backend)
    out = F.conv2d(mg.tensor(x, backend=backend), mg.tensor(w, backend=backend), b, stride=stride, padding=padding)
    expected = conv2d_ref(x, w, bias, stride, padding)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.detach().numpy().copy(), expected, rtol=1e-10, atol=1e-10)


@st.composite
def pool_case(draw):
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    kernel = draw(int_or_pair(1, 4))
    kh, kw = pair(kernel)
    stride = draw(st.none() | int_or_pair(1, 3))
    padding = (draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2)))
    if padding[0] == padding[1] and draw(st.booleans()):
        padding = padding[0]  # the int form too
    ph, pw = pair(padding)
    h = draw(st.integers(max(1, kh - 2 * ph), 7))
    w = draw(st.integers(max(1, kw - 2 * pw), 7))
    x = draw(hnp.arrays(np.float64, (n, c, h, w), elements=values))
    return x, kernel, stride, padding


@FIXTURE_OK
@given(case=pool_case())
def test_max_pool2d_matches_loop_reference(backend, case):
    x, kernel, stride, padding = case
    out = F.max_pool2d(mg.tensor(x, backend=backend), kernel, stride=stride, padding=padding)
    expected = max_pool2d_ref(x, kernel, stride, padding)
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out.detach().numpy().copy(), expected)


def test_max_pool2d_negative_inputs_ignore_padding(backend):
    # Padding is -inf, not 0: with all-negative inputs a zero pad would win every edge window.
    x = -np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    out = F.max_pool2d(mg.tensor(x, backend=backend), 3, stride=1, padding=1)
    np.testing.assert_array_equal(out.detach().numpy().copy(), max_pool2d_ref(x, 3, 1, 1))
    assert out.detach().numpy().copy().max() < 0


def test_conv2d_int_and_pair_arguments_agree(backend):
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((4, 3, 3, 2))
    xt, wt = mg.tensor(x, backend=backend), mg.tensor(w, backend=backend)
    a = F.conv2d(xt, wt, stride=2, padding=1).detach().numpy().copy()
    b = F.conv2d(xt, wt, stride=(2, 2), padding=(1, 1)).detach().numpy().copy()
    np.testing.assert_array_equal(a, b)
    # Default stride=1, padding=0 gives the "valid" output size.
    assert F.conv2d(xt, wt).shape == (2, 4, 4, 4)


# ----------------------------------------------------------------------------- shape errors

# Errors are checked by a word of their message, so a user can tell what went wrong.
SHAPE_ERRORS = (ValueError, RuntimeError)


def _t(shape, backend):
    return mg.tensor(np.zeros(shape), backend=backend)


@pytest.mark.parametrize("x_shape", [(5, 5), (1, 1, 1, 5, 5)])
def test_conv2d_wrong_input_ndim(backend, x_shape):
    with pytest.raises(SHAPE_ERRORS, match=r"(?i)4-?d|dim|shape|\(N, ?C, ?H, ?W\)"):
        F.conv2d(_t(x_shape, backend), _t((1, 1, 2, 2), backend))


def test_conv2d_wrong_weight_ndim(backend):
    with pytest.raises(SHAPE_ERRORS, match=r"(?i)4-?d|dim|shape|weight"):
        F.conv2d(_t((1, 1, 5, 5), backend), _t((1, 2, 2), backend))


def test_conv2d_channel_mismatch(backend):
    with pytest.raises(SHAPE_ERRORS, match=r"(?i)channel"):
        F.conv2d(_t((1, 3, 5, 5), backend), _t((2, 2, 3, 3), backend))


@pytest.mark.parametrize(
    "x_shape, kernel, padding",
    [((1, 1, 2, 5), (3, 3), 0), ((1, 1, 5, 2), (3, 3), 0), ((1, 1, 1, 1), (4, 4), 1)],
)
def test_conv2d_kernel_larger_than_padded_input(backend, x_shape, kernel, padding):
    with pytest.raises(SHAPE_ERRORS, match=r"(?i)kernel|larger|too small|padded"):
        F.conv2d(_t(x_shape, backend), _t((1, 1) + kernel, backend), padding=padding)


def test_conv2d_kernel_equal_to_padded_input_is_fine(backend):
    # The boundary case: one output pixel, no error.
    out = F.conv2d(_t((1, 1, 1, 1), backend), _t((1, 1, 3, 3), backend), padding=1)
    assert out.shape == (1, 1, 1, 1)


@pytest.mark.parametrize("x_shape", [(5, 5), (1, 1, 1, 5, 5)])
def test_max_pool2d_wrong_ndim(backend, x_shape):
    with pytest.raises(SHAPE_ERRORS, match=r"(?i)4-?d|dim|shape|\(N, ?C, ?H, ?W\)"):
        F.max_pool2d(_t(x_shape, backend), 2)


def test_max_pool2d_kernel_larger_than_input(backend):
    with pytest.raises(SHAPE_ERRORS, match=r"(?i)kernel|larger|too small|padded"):
        F.max_pool2d(_t((1, 1, 2, 2), backend), 3)


@pytest.mark.parametrize("a_shape, b_shape", [((3,), (4,)), ((2, 3), (3, 2)), ((2, 3), (1, 3)), ((2, 3), (2, 3, 1))])
def test_mse_loss_shape_mismatch(backend, a_shape, b_shape):
    # Exact shapes only: a broadcast target is almost always a bug in the caller.
    with pytest.raises(SHAPE_ERRORS, match=r"(?i)shape"):
        F.mse_loss(_t(a_shape, backend), _t(b_shape, backend))


def test_mse_loss_bad_reduction(backend):
    with pytest.raises(ValueError, match=r"(?i)reduction"):
        F.mse_loss(_t((2,), backend), _t((2,), backend), reduction="average")


# ----------------------------------------------------------------------------- numerical behaviour


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("fn", [lambda t: t.sigmoid(), lambda t: F.sigmoid(t)], ids=["method", "F"])
def test_sigmoid_is_stable_at_large_inputs(backend, dtype, fn):
    x = np.array([-1e4, -1e3, -100.0, -1.0, 0.0, 1.0, 100.0, 1e3, 1e4], dtype=dtype)
    t = mg.tensor(x, requires_grad=True, backend=backend)
    # Overflow in exp(-x) is the classic bug; it shows up as a RuntimeWarning or FP error.
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        out = fn(t)
        out.sum().backward()
    y = out.detach().numpy()
    assert out.dtype == dtype and y.dtype == dtype
    assert y[0] == 0.0 and y[-1] == 1.0 and y[4] == 0.5
    assert np.all(np.isfinite(y)) and np.all(np.diff(y) >= 0)
    g = t.grad.detach().numpy().copy()
    assert g.dtype == dtype and np.all(np.isfinite(g))
    assert g[0] == 0.0 and g[-1] == 0.0 and g[4] == 0.25


FLOAT32_OPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - 2.5 * b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 1.0),
    "pow": lambda a, b: (a * a + 1.0) ** 1.5 + 2.0 ** b,
    "unary": lambda a, b: (a.exp() + (b * b + 1.0).log() + a.tanh() + a.sigmoid() + a.relu() + (b * b + 1.0).sqrt() + a.abs() - a),
    "reduce": lambda a, b: a.sum(dim=1) + a.mean(dim=1) + b.max(dim=1).values + a.sum() + a.mean() + a.max(),
    "shape": lambda a, b: a.reshape(6, 2).T.flatten() + b.permute(1, 0).unsqueeze(0).squeeze(0).transpose(0, 1)[1:].flatten()[:8].sum(),
    "matmul": lambda a, b: a @ b.T,
    "conv2d": lambda a, b: F.conv2d(a.reshape(1, 1, 3, 4), b.reshape(1, 1, 3, 4)[:, :, :2, :2], padding=1, bias=b[0, :1]),
    "max_pool2d": lambda a, b: F.max_pool2d(a.reshape(1, 1, 3, 4), 2, stride=1, padding=1),
    "linear": lambda a, b: F.linear(a, b, b[0, :3]),
    "mse_loss": lambda a, b: F.mse_loss(a, b) + F.mse_loss(a, b, reduction="sum"),
}


@pytest.mark.parametrize("name", list(FLOAT32_OPS))
def test_float32_stays_float32(backend, name):
    # Python scalars and internal constants must not promote float32 to float64 (PyTorch keeps float32).
    rng = np.random.default_rng(0)
    a = mg.tensor(rng.standard_normal((3, 4)).astype(np.float32), requires_grad=True, backend=backend)
    b = mg.tensor(rng.standard_normal((3, 4)).astype(np.float32), requires_grad=True, backend=backend)
    out = FLOAT32_OPS[name](a, b)
    assert out.dtype == mg.float32, f"{name}: output is {out.dtype}"
    out.sum().backward()
    for t in (a, b):
        if t.grad is not None:
            assert t.grad.dtype == mg.float32, f"{name}: grad is {t.grad.dtype}"


# Above 4,096 windows max_pool2d takes another branch (slab comparisons instead of one argmax): the registry's
# large inputs check its values against PyTorch; here its tie rule is checked exactly, with many ties, against
# the loop reference (no PyTorch needed).
LARGE_POOLS = {
    "tiled k2": ((4, 17, 16, 16), 2, None, 0),
    "overlapping k3 s1 p1": ((2, 9, 16, 16), 3, 1, 1),
    "pairs k(2,3) s(2,1) p(1,1)": ((4, 9, 17, 15), (2, 3), (2, 1), (1, 1)),
}


@pytest.mark.parametrize("name", list(LARGE_POOLS))
def test_max_pool2d_many_windows_ties_match_loop_reference(backend, name):
    shape, kernel, stride, padding = LARGE_POOLS[name]
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, shape).astype(np.float64)  # values in {0, 1, 2}: ties in almost every window
    t = mg.tensor(x, requires_grad=True, backend=backend)
    out = F.max_pool2d(t, kernel, stride=stride, padding=padding)
    assert out.numel() > 4096, "the config must reach the many-windows branch"
    np.testing.assert_array_equal(out.detach().numpy(), max_pool2d_ref(x, kernel, stride, padding))
    g = rng.integers(-9, 10, out.shape).astype(np.float64)  # integer gradients: exact sums
    out.backward(mg.tensor(g, backend=backend))
    np.testing.assert_array_equal(t.grad.detach().numpy().copy(), max_pool2d_grad_ref(x, g, kernel, stride, padding))
