"""Finite-difference gradient checks for every differentiable op.

Hypothesis draws shapes (mutually broadcastable pairs for binary ops; batch,
channels, kernel, stride and padding for conv/pool) and float64 values; each
case is checked with `mg.gradcheck`. Each case also runs one forward/backward
with a random upstream gradient and asserts that the inputs were not mutated
and that every gradient has its input's shape and dtype.

Inputs avoid points where an op is not differentiable: log/sqrt get positive
inputs, relu/abs stay away from 0, and max/max_pool2d get tie-free inputs (a
permutation of distinct values spaced far more than eps apart). The tie rule
itself is tested exactly at the end of this file.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
import minigrad.nn.functional as F
from reference import max_dim_grad_ref, max_pool2d_grad_ref, max_pool2d_ref, pair


def _settings(max_examples: int | None = None) -> settings:
    """Per-test settings on top of the active profile (loaded by conftest).

    The `backend` fixture is a plain string, so sharing it across examples is
    safe; `max_examples` only ever lowers the profile's count for costly ops.
    """
    kwargs = {}
    if max_examples is not None:
        kwargs["max_examples"] = min(settings.default.max_examples, max_examples)
    return settings(suppress_health_check=[HealthCheck.function_scoped_fixture], **kwargs)


# ----------------------------------------------------------------------------- strategies


def floats(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def away_from_zero(lo: float, hi: float) -> st.SearchStrategy[float]:
    """Values with lo <= |v| <= hi, for ops with a kink or pole at 0."""
    return st.one_of(floats(-hi, -lo), floats(lo, hi))


def arrays(shape: tuple[int, ...], elements: st.SearchStrategy[float]) -> st.SearchStrategy:
    return hnp.arrays(np.float64, shape, elements=elements)


def shapes(min_dims: int = 0, max_dims: int = 4, max_side: int = 3) -> st.SearchStrategy:
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=max_side)


@st.composite
def distinct_arrays(draw, shape: tuple[int, ...], gap: float = 0.1) -> np.ndarray:
    """A tie-free array: a permutation of evenly spaced values, `gap` >> eps apart."""
    n = math.prod(shape)
    perm = draw(st.permutations(range(n)))
    return ((np.array(perm, dtype=np.float64) - n / 2) * gap).reshape(shape)


# ----------------------------------------------------------------------------- the check


def check_grad(fn, arrays_in: list[np.ndarray], backend: str) -> None:
    """Gradcheck `fn` at `arrays_in` (float64) and check that inputs are left intact."""
    snapshots = [a.copy() for a in arrays_in]
    ts = [mg.tensor(a, requires_grad=True, backend=backend) for a in arrays_in]
    out = fn(*ts)
    # A random upstream gradient catches a backward that ignores its incoming gradient.
    g = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(mg.tensor(g, backend=backend))
    for i, (t, a, snap) in enumerate(zip(ts, arrays_in, snapshots)):
        np.testing.assert_array_equal(t.numpy(), snap, err_msg=f"input {i} mutated by forward/backward")
        np.testing.assert_array_equal(a, snap, err_msg=f"source array {i} mutated")
        assert t.grad is not None, f"input {i} got no gradient"
        assert t.grad.shape == t.shape, f"input {i}: grad shape {t.grad.shape} != {t.shape}"
        assert t.grad.dtype == mg.float64
    fresh = [mg.tensor(a, requires_grad=True, backend=backend) for a in arrays_in]
    assert mg.gradcheck(fn, fresh) is True


# ----------------------------------------------------------------------------- elementwise

UNARY = {
    "neg": (lambda t: -t, floats(-3, 3)),
    "exp": (lambda t: t.exp(), floats(-3, 3)),
    "log": (lambda t: t.log(), floats(0.1, 5)),
    "sigmoid": (lambda t: t.sigmoid(), floats(-5, 5)),
    "F.sigmoid": (lambda t: F.sigmoid(t), floats(-5, 5)),
    "relu": (lambda t: t.relu(), away_from_zero(0.01, 3)),
    "F.relu": (lambda t: F.relu(t), away_from_zero(0.01, 3)),
    "tanh": (lambda t: t.tanh(), floats(-3, 3)),
    "F.tanh": (lambda t: F.tanh(t), floats(-3, 3)),
    "sqrt": (lambda t: t.sqrt(), floats(0.1, 5)),
    "abs": (lambda t: t.abs(), away_from_zero(0.01, 3)),
    "pow_int": (lambda t: t**3, floats(-2, 2)),  # integer exponent: any sign of base
    "pow_neg": (lambda t: t**-1.5, floats(0.5, 2)),
    "pow_method": (lambda t: t.pow(2.5), floats(0.5, 2)),
}


@pytest.mark.parametrize("name", list(UNARY))
@_settings()
@given(data=st.data())
def test_unary(backend, name, data):
    fn, elements = UNARY[name]
    x = data.draw(arrays(data.draw(shapes()), elements), label="x")
    check_grad(fn, [x], backend)


BINARY = {
    "add": (lambda a, b: a + b, floats(-3, 3), floats(-3, 3)),
    "sub": (lambda a, b: a - b, floats(-3, 3), floats(-3, 3)),
    "mul": (lambda a, b: a * b, floats(-3, 3), floats(-3, 3)),
    "div": (lambda a, b: a / b, floats(-3, 3), away_from_zero(0.5, 3)),
    "pow": (lambda a, b: a**b, floats(0.5, 2), floats(-2, 2)),  # positive base
    "pow_method": (lambda a, b: a.pow(b), floats(0.5, 2), floats(-2, 2)),
}


@pytest.mark.parametrize("name", list(BINARY))
@_settings()
@given(data=st.data())
def test_binary_broadcast(backend, name, data):
    fn, ea, eb = BINARY[name]
    bshapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3), label="shapes")
    a = data.draw(arrays(bshapes.input_shapes[0], ea), label="a")
    b = data.draw(arrays(bshapes.input_shapes[1], eb), label="b")
    check_grad(fn, [a, b], backend)


# (fn(tensor, python_scalar), tensor values, scalar values); the "r" forms put the scalar on the left.
SCALAR = {
    "add": (lambda t, s: t + s, floats(-3, 3), floats(-3, 3)),
    "radd": (lambda t, s: s + t, floats(-3, 3), floats(-3, 3)),
    "sub": (lambda t, s: t - s, floats(-3, 3), floats(-3, 3)),
    "rsub": (lambda t, s: s - t, floats(-3, 3), floats(-3, 3)),
    "mul": (lambda t, s: t * s, floats(-3, 3), floats(-3, 3)),
    "rmul": (lambda t, s: s * t, floats(-3, 3), floats(-3, 3)),
    "div": (lambda t, s: t / s, floats(-3, 3), away_from_zero(0.5, 3)),
    "rdiv": (lambda t, s: s / t, away_from_zero(0.5, 3), floats(-3, 3)),
    "pow": (lambda t, s: t**s, floats(0.5, 2), floats(-2, 3)),
    "rpow": (lambda t, s: s**t, floats(-2, 2), floats(0.5, 3)),
}


@pytest.mark.parametrize("name", list(SCALAR))
@_settings()
@given(data=st.data())
def test_scalar_operand(backend, name, data):
    fn, et, es = SCALAR[name]
    x = data.draw(arrays(data.draw(shapes()), et), label="x")
    s = data.draw(es, label="scalar")
    check_grad(lambda t: fn(t, s), [x], backend)


# ----------------------------------------------------------------------------- reductions


@st.composite
def shape_and_dim(draw, min_dims: int = 0):
    """A shape and a dim for it: None (reduce all) or an int, possibly negative."""
    shape = draw(shapes(min_dims=min_dims))
    nd = len(shape)
    dim = draw(st.none() | st.integers(-nd, nd - 1)) if nd else None
    return shape, dim


@pytest.mark.parametrize("op", ["sum", "mean"])
@_settings()
@given(sd=shape_and_dim(), keepdim=st.booleans(), data=st.data())
def test_sum_mean(backend, op, sd, keepdim, data):
    shape, dim = sd
    x = data.draw(arrays(shape, floats(-3, 3)), label="x")
    if dim is None:
        fn = lambda t: getattr(t, op)()  # noqa: E731
    else:
        fn = lambda t: getattr(t, op)(dim=dim, keepdim=keepdim)  # noqa: E731
    check_grad(fn, [x], backend)


@pytest.mark.parametrize("op", ["sum", "mean"])
@_settings()
@given(shape=shapes(min_dims=1), keepdim=st.booleans(), data=st.data())
def test_sum_mean_tuple_dim(backend, op, shape, keepdim, data):
    # PyTorch accepts a tuple of dims for sum/mean; users will pass one.
    dims = data.draw(st.lists(st.integers(0, len(shape) - 1), min_size=1, unique=True).map(tuple), label="dims")
    x = data.draw(arrays(shape, floats(-3, 3)), label="x")
    check_grad(lambda t: getattr(t, op)(dim=dims, keepdim=keepdim), [x], backend)


@_settings()
@given(sd=shape_and_dim(min_dims=1), keepdim=st.booleans(), data=st.data())
def test_max(backend, sd, keepdim, data):
    shape, dim = sd
    x = data.draw(distinct_arrays(shape), label="x")
    if dim is None:
        check_grad(lambda t: t.max(), [x], backend)
        return
    check_grad(lambda t: t.max(dim=dim, keepdim=keepdim).values, [x], backend)
    # The indices half of the namedtuple: argmax positions, without grad.
    res = mg.tensor(x, backend=backend).max(dim=dim, keepdim=keepdim)
    np.testing.assert_array_equal(res.indices.numpy(), np.argmax(x, axis=dim, keepdims=keepdim))


# ----------------------------------------------------------------------------- shape ops


@st.composite
def reshape_targets(draw):
    shape = draw(shapes())
    n = math.prod(shape)
    k = draw(st.sampled_from([d for d in range(1, n + 1) if n % d == 0]))
    target = draw(st.sampled_from([(n,), (-1,), (1, n), tuple(reversed(shape)), (n // k, k), (k, -1), (n // k, 1, k)]))
    return shape, target


@pytest.mark.parametrize("method", ["reshape", "view"])
@_settings()
@given(st_=reshape_targets(), data=st.data())
def test_reshape(backend, method, st_, data):
    shape, target = st_
    x = data.draw(arrays(shape, floats(-3, 3)), label="x")
    check_grad(lambda t: getattr(t, method)(target), [x], backend)
    # size given as varargs, like PyTorch
    check_grad(lambda t: getattr(t, method)(*target), [x], backend)


@_settings()
@given(shape=shapes(min_dims=1), data=st.data())
def test_flatten(backend, shape, data):
    nd = len(shape)
    start = data.draw(st.integers(-nd, nd - 1), label="start_dim")
    end = data.draw(st.integers(-nd, nd - 1).filter(lambda e: e % nd >= start % nd), label="end_dim")
    x = data.draw(arrays(shape, floats(-3, 3)), label="x")
    check_grad(lambda t: t.flatten(start, end), [x], backend)
    check_grad(lambda t: t.flatten(), [x], backend)


@_settings()
@given(shape=shapes(min_dims=1), data=st.data())
def test_transpose(backend, shape, data):
    nd = len(shape)
    d0 = data.draw(st.integers(-nd, nd - 1), label="d0")
    d1 = data.draw(st.integers(-nd, nd - 1), label="d1")
    x = data.draw(arrays(shape, floats(-3, 3)), label="x")
    check_grad(lambda t: t.transpose(d0, d1), [x], backend)


@_settings()
@given(shape=shapes(min_dims=2, max_dims=2), data=st.data())
def test_T(backend, shape, data):
    x = data.draw(arrays(shape, floats(-3, 3)), label="x")
    check_grad(lambda t: t.T, [x], backend)


@_settings()
@given(shape=shapes(min_dims=1), data=st.data())
def test_permute(backend, shape, data):
    dims = tuple(data.draw(st.permutations(range(len(shape))), label="dims"))
    x = data.draw(arrays(shape, floats(-3, 3)), label="x")
    check_grad(lambda t: t.permute(*dims), [x], backend)
    check_grad(lambda t: t.permute(dims), [x], backend)


@_settings()
@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=2), data=st.data())
def test_squeeze(backend, shape, data):
    # max_side=2 makes size-1 dims common; squeezing a dim that is not 1 is a no-op, as in PyTorch.
    nd = len(shape)
    dim = data.draw(st.none() | st.integers(-nd, nd - 1), label="dim")
    x = data.draw(arrays(shape, floats(-3, 3)), label="x")
    check_grad(lambda t: t.squeeze(dim) if dim is not None else t.squeeze(), [x], backend)


@_settings()
@given(shape=shapes(), data=st.data())
def test_unsqueeze(backend, shape, data):
    nd = len(shape)
    dim = data.draw(st.integers(-nd - 1, nd), label="dim")
    x = data.draw(arrays(shape, floats(-3, 3)), label="x")
    check_grad(lambda t: t.unsqueeze(dim), [x], backend)


def _pytorch_style_index(index) -> bool:
    """PyTorch refuses negative slice steps; keep to what both NumPy and PyTorch accept."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(not (isinstance(p, slice) and p.step is not None and p.step < 0) for p in parts)


@_settings()
@given(shape=shapes(min_dims=1), data=st.data())
def test_getitem(backend, shape, data):
    index = data.draw(
        hnp.basic_indices(shape, allow_ellipsis=True)
        .filter(_pytorch_style_index)
        .filter(lambda i: np.empty(shape)[i].size > 0),
        label="index",
    )
    x = data.draw(arrays(shape, floats(-3, 3)), label="x")
    check_grad(lambda t: t[index], [x], backend)


# ----------------------------------------------------------------------------- matmul


@st.composite
def matmul_shapes(draw):
    """Shapes for numpy.matmul: each side 1-D or (batch..., rows, cols) with broadcast batch dims."""
    n, k, m = (draw(st.integers(1, 3)) for _ in range(3))
    batch = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, max_side=3))
    a = (k,) if draw(st.booleans()) else batch.input_shapes[0] + (n, k)
    b = (k,) if draw(st.booleans()) else batch.input_shapes[1] + (k, m)
    return a, b


@_settings()
@given(ab=matmul_shapes(), data=st.data())
def test_matmul(backend, ab, data):
    a = data.draw(arrays(ab[0], floats(-3, 3)), label="a")
    b = data.draw(arrays(ab[1], floats(-3, 3)), label="b")
    check_grad(lambda x, y: x @ y, [a, b], backend)
    check_grad(lambda x, y: x.matmul(y), [a, b], backend)


# ----------------------------------------------------------------------------- nn.functional

int_or_pair = lambda lo, hi: st.integers(lo, hi) | st.tuples(st.integers(lo, hi), st.integers(lo, hi))  # noqa: E731


@st.composite
def conv_configs(draw):
    """(x_shape, w_shape, has_bias, stride, padding) with the padded input at least the kernel."""
    n, c, o = draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = draw(int_or_pair(1, 3))
    padding = draw(int_or_pair(0, 2))
    ph, pw = pair(padding)
    h = draw(st.integers(max(1, kh - 2 * ph), 5))
    w = draw(st.integers(max(1, kw - 2 * pw), 5))
    return (n, c, h, w), (o, c, kh, kw), draw(st.booleans()), stride, padding


@_settings(max_examples=20)
@given(cfg=conv_configs(), data=st.data())
def test_conv2d(backend, cfg, data):
    xs, ws, has_bias, stride, padding = cfg
    arrs = [data.draw(arrays(xs, floats(-2, 2)), label="x"), data.draw(arrays(ws, floats(-2, 2)), label="w")]
    if has_bias:
        arrs.append(data.draw(arrays((ws[0],), floats(-2, 2)), label="bias"))
        fn = lambda x, w, b: F.conv2d(x, w, b, stride=stride, padding=padding)  # noqa: E731
    else:
        fn = lambda x, w: F.conv2d(x, w, stride=stride, padding=padding)  # noqa: E731
    check_grad(fn, arrs, backend)


@st.composite
def pool_configs(draw):
    """(x_shape, kernel, stride, padding); padding <= kernel // 2 per side, as PyTorch requires."""
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    kernel = draw(int_or_pair(1, 3))
    kh, kw = pair(kernel)
    stride = draw(st.none() | int_or_pair(1, 3))
    if draw(st.booleans()):
        padding = draw(st.integers(0, min(kh, kw) // 2))
    else:
        padding = (draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2)))
    ph, pw = pair(padding)
    h = draw(st.integers(max(1, kh - 2 * ph), 6))
    w = draw(st.integers(max(1, kw - 2 * pw), 6))
    return (n, c, h, w), kernel, stride, padding


@_settings(max_examples=25)
@given(cfg=pool_configs(), data=st.data())
def test_max_pool2d(backend, cfg, data):
    xs, kernel, stride, padding = cfg
    x = data.draw(distinct_arrays(xs), label="x")
    check_grad(lambda t: F.max_pool2d(t, kernel, stride=stride, padding=padding), [x], backend)


@st.composite
def linear_shapes(draw):
    batch = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3))
    fin, fout = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    return batch + (fin,), (fout, fin), draw(st.booleans())


@_settings()
@given(cfg=linear_shapes(), data=st.data())
def test_linear(backend, cfg, data):
    xs, ws, has_bias = cfg
    arrs = [data.draw(arrays(xs, floats(-2, 2)), label="x"), data.draw(arrays(ws, floats(-2, 2)), label="w")]
    if has_bias:
        arrs.append(data.draw(arrays((ws[0],), floats(-2, 2)), label="bias"))
    check_grad(lambda *ts: F.linear(*ts), arrs, backend)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@_settings()
@given(shape=shapes(), data=st.data())
def test_mse_loss(backend, reduction, shape, data):
    a = data.draw(arrays(shape, floats(-3, 3)), label="input")
    b = data.draw(arrays(shape, floats(-3, 3)), label="target")
    check_grad(lambda x, y: F.mse_loss(x, y, reduction=reduction), [a, b], backend)


def test_mse_loss_default_reduction_is_mean(backend):
    a, b = np.arange(6.0).reshape(2, 3), np.ones((2, 3))
    out = F.mse_loss(mg.tensor(a, backend=backend), mg.tensor(b, backend=backend))
    assert out.shape == ()
    np.testing.assert_allclose(out.numpy(), np.mean((a - b) ** 2), rtol=1e-12)


# ----------------------------------------------------------------------------- the tie rule, exactly


def _grad_of(fn, x: np.ndarray, g: np.ndarray, backend: str) -> np.ndarray:
    t = mg.tensor(x, requires_grad=True, backend=backend)
    fn(t).backward(mg.tensor(g, backend=backend))
    return t.grad.numpy()


def test_max_pool2d_ties_go_to_first_max(backend):
    # All four windows are constant: each sends its gradient to its top-left cell.
    x = np.ones((1, 1, 4, 4))
    g = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    expected = np.array([[[[1, 0, 2, 0], [0, 0, 0, 0], [3, 0, 4, 0], [0, 0, 0, 0]]]], dtype=np.float64)
    np.testing.assert_array_equal(_grad_of(lambda t: F.max_pool2d(t, 2), x, g, backend), expected)


def test_max_pool2d_tie_prefers_earlier_row_then_column(backend):
    # One 2x2 window with the max tied at (0,1) and (1,0): row-major order picks (0,1).
    x = np.array([[[[0.0, 5.0], [5.0, 1.0]]]])
    g = np.array([[[[7.0]]]])
    expected = np.array([[[[0.0, 7.0], [0.0, 0.0]]]])
    np.testing.assert_array_equal(_grad_of(lambda t: F.max_pool2d(t, 2), x, g, backend), expected)


def test_max_pool2d_overlapping_windows_accumulate(backend):
    # 3x3 input, kernel 2, stride 1: four overlapping windows. The centre (value 9)
    # wins all four, so it collects the sum of all four upstream gradients.
    x = np.array([[[[1.0, 2.0, 3.0], [4.0, 9.0, 5.0], [6.0, 7.0, 8.0]]]])
    g = np.array([[[[1.0, 10.0], [100.0, 1000.0]]]])
    expected = np.zeros_like(x)
    expected[0, 0, 1, 1] = 1111.0
    np.testing.assert_array_equal(_grad_of(lambda t: F.max_pool2d(t, 2, stride=1), x, g, backend), expected)
    # Ties inside overlapping windows: a constant input; each window picks its top-left cell.
    x = np.zeros((1, 1, 3, 3))
    expected = np.array([[[[1.0, 10.0, 0.0], [100.0, 1000.0, 0.0], [0.0, 0.0, 0.0]]]])
    np.testing.assert_array_equal(_grad_of(lambda t: F.max_pool2d(t, 2, stride=1), x, g, backend), expected)


@_settings(max_examples=25)
@given(cfg=pool_configs(), data=st.data())
def test_max_pool2d_ties_match_reference(backend, cfg, data):
    # Values from {0, 1, 2} make ties the rule rather than the exception.
    xs, kernel, stride, padding = cfg
    x = data.draw(hnp.arrays(np.float64, xs, elements=st.sampled_from([0.0, 1.0, 2.0])), label="x")
    t = mg.tensor(x, requires_grad=True, backend=backend)
    out = F.max_pool2d(t, kernel, stride=stride, padding=padding)
    np.testing.assert_array_equal(out.numpy(), max_pool2d_ref(x, kernel, stride, padding))
    # Integer-valued upstream gradients keep the accumulated sums exact.
    g = data.draw(hnp.arrays(np.float64, out.shape, elements=st.integers(-9, 9).map(float)), label="g")
    out.backward(mg.tensor(g, backend=backend))
    np.testing.assert_array_equal(t.grad.numpy(), max_pool2d_grad_ref(x, g, kernel, stride, padding))


def test_max_dim_ties_go_to_first_max(backend):
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 1.0]])
    t = mg.tensor(x, requires_grad=True, backend=backend)
    values, indices = t.max(dim=1)
    np.testing.assert_array_equal(values.numpy(), [3.0, 2.0])
    np.testing.assert_array_equal(indices.numpy(), [1, 0])
    values.backward(mg.tensor(np.array([5.0, 7.0]), backend=backend))
    np.testing.assert_array_equal(t.grad.numpy(), [[0.0, 5.0, 0.0], [7.0, 0.0, 0.0]])


@_settings()
@given(sd=shape_and_dim(min_dims=1), keepdim=st.booleans(), data=st.data())
def test_max_dim_ties_match_reference(backend, sd, keepdim, data):
    shape, dim = sd
    if dim is None:
        dim = 0
    x = data.draw(hnp.arrays(np.float64, shape, elements=st.sampled_from([0.0, 1.0])), label="x")
    t = mg.tensor(x, requires_grad=True, backend=backend)
    values, indices = t.max(dim=dim, keepdim=keepdim)
    np.testing.assert_array_equal(values.numpy(), x.max(axis=dim, keepdims=keepdim))
    np.testing.assert_array_equal(indices.numpy(), np.argmax(x, axis=dim, keepdims=keepdim))
    g = data.draw(hnp.arrays(np.float64, values.shape, elements=st.integers(-9, 9).map(float)), label="g")
    values.backward(mg.tensor(g, backend=backend))
    g_flat = g if not keepdim else np.squeeze(g, axis=dim)
    np.testing.assert_array_equal(t.grad.numpy(), max_dim_grad_ref(x, g_flat, dim))


def test_max_all_with_ties_sends_gradient_only_to_maxima(backend):
    # The tie rule for a full reduction is the core's to document (PyTorch splits it
    # evenly); whatever it is, the gradient must land on maxima and sum to the upstream.
    x = np.array([[1.0, 4.0], [4.0, 0.0]])
    t = mg.tensor(x, requires_grad=True, backend=backend)
    t.max().backward(mg.tensor(np.array(3.0), backend=backend))
    grad = t.grad.numpy()
    assert np.all(grad[x < 4.0] == 0.0)
    assert grad.sum() == pytest.approx(3.0)
