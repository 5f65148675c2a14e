"""Op gradients and values by formula, on every backend: Clone, min(dim)/argmin, casts, matmul, linear and
conv2d with a frozen (no-grad) operand, the large max_pool2d path against the loop reference, pow with Python
scalar operands, relu and abs at zero, and gather with repeated indices."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from reference import conv2d_ref, max_pool2d_grad_ref, max_pool2d_ref


def t64(a, backend, requires_grad=True):
    return mg.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad, backend=backend)


# --------------------------------------------------------------------------- clone, min, argmin, casts
def test_clone_copies_and_passes_the_gradient_through(backend):
    x = t64([1.0, 2.0, 3.0], backend)
    y = x.clone()
    with mg.no_grad():
        y.data[...] = 0.0  # a copy: x is untouched
    np.testing.assert_array_equal(x.detach().numpy(), [1.0, 2.0, 3.0])
    (x.clone() * t64([2.0, -1.0, 5.0], backend, requires_grad=False)).sum().backward()
    np.testing.assert_array_equal(x.grad.detach().numpy().copy(), [2.0, -1.0, 5.0])


@pytest.mark.parametrize("dim,keepdim", [(0, False), (1, True), (-1, False)])
def test_min_dim_and_argmin_values_and_gradient(backend, dim, keepdim):
    a = np.array([[3.0, 1.0, 2.0], [0.5, 4.0, 0.5]])  # a tie in row 1: the first minimum wins
    x = t64(a, backend)
    values, indices = x.min(dim, keepdim=keepdim)
    np.testing.assert_array_equal(values.detach().numpy(), a.min(axis=dim, keepdims=keepdim))
    np.testing.assert_array_equal(indices.detach().numpy(), np.argmin(a, axis=dim).reshape(values.shape))
    np.testing.assert_array_equal(x.argmin(dim, keepdim).detach().numpy(), indices.detach().numpy())
    assert indices.dtype == mg.int64 and not indices.requires_grad
    g = np.arange(1.0, 1.0 + values.numel()).reshape(values.shape)
    values.backward(mg.tensor(g, dtype=mg.float64, backend=backend))
    expected = np.zeros_like(a)
    idx = np.argmin(a, axis=dim)
    np.put_along_axis(expected, np.expand_dims(idx, dim), np.reshape(g, np.expand_dims(idx, dim).shape), axis=dim)
    np.testing.assert_array_equal(x.grad.detach().numpy().copy(), expected)


def test_full_min_and_argmin(backend):
    a = np.array([[3.0, -1.0], [-1.0, 2.0]])
    x = t64(a, backend)
    m = x.min()
    assert m.item() == -1.0 and x.argmin().item() == 1 and m.shape == ()
    m.backward()
    np.testing.assert_array_equal(x.grad.detach().numpy().copy(), [[0.0, 1.0], [0.0, 0.0]])  # first minimum only


def test_cast_backward_returns_the_input_dtype(backend):
    x = t64([1.5, -2.0], backend)
    y = x.to(mg.float32)
    assert y.dtype == mg.float32 and y.to(x).dtype == mg.float64
    (y * y).sum().backward()
    assert x.grad.dtype == mg.float64
    np.testing.assert_allclose(x.grad.detach().numpy().copy(), [3.0, -4.0])


# --------------------------------------------------------------------------- frozen operands
def _grads(fn, arrays, wants, backend):
    ts = [t64(a, backend, requires_grad=w) for a, w in zip(arrays, wants)]
    out = fn(*ts)
    g = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(mg.tensor(g, dtype=mg.float64, backend=backend))
    return [t.grad.detach().numpy().copy() if t.grad is not None else None for t in ts], g


@pytest.mark.parametrize("shapes", [((2, 3), (3, 4)), ((3,), (3, 2)), ((2, 3), (3,)), ((2, 2, 3), (3, 4))])
def test_matmul_with_a_frozen_operand(backend, shapes):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    for wants in [(True, False), (False, True)]:
        grads, g = _grads(lambda x, y: x @ y, [a, b], wants, backend)
        a2 = a[None] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = g.reshape(np.matmul(a2, b2).shape)
        if wants[0]:
            want = (g2 @ np.swapaxes(b2, -1, -2)).reshape(-1, *a.shape).sum(axis=0) if a.ndim > 1 else \
                (g2 @ b2.T).reshape(a.shape)
            np.testing.assert_allclose(grads[0], want, rtol=1e-12)
            assert grads[1] is None
        else:
            want = (np.swapaxes(a2, -1, -2) @ g2)
            want = want.sum(axis=0) if want.ndim > b2.ndim else want
            np.testing.assert_allclose(grads[1], want.reshape(b.shape), rtol=1e-12)
            assert grads[0] is None


@pytest.mark.parametrize("x_shape", [(4,), (3, 4), (2, 3, 4)])
def test_linear_with_frozen_operands(backend, x_shape):
    rng = np.random.default_rng(2)
    x, w, b = rng.standard_normal(x_shape), rng.standard_normal((5, 4)), rng.standard_normal(5)
    for wants in [(True, False, False), (False, True, False), (False, False, True), (False, True, True)]:
        grads, g = _grads(lambda x, w, b: F.linear(x, w, b), [x, w, b], wants, backend)
        g2, x2 = g.reshape(-1, 5), x.reshape(-1, 4)
        expected = [(g2 @ w).reshape(x_shape), g2.T @ x2, g2.sum(axis=0)]
        for got, want, wanted in zip(grads, expected, wants):
            if wanted:
                np.testing.assert_allclose(got, want, rtol=1e-12)
            else:
                assert got is None


def test_linear_without_bias_and_frozen_input(backend):
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((3, 4)), rng.standard_normal((2, 4))
    grads, g = _grads(lambda x, w: F.linear(x, w), [x, w], (False, True), backend)
    np.testing.assert_allclose(grads[1], g.T @ x, rtol=1e-12)


@pytest.mark.parametrize("stride,padding", [(1, 0), (2, 1)])
def test_conv2d_with_frozen_operands(backend, stride, padding):
    """The gradient each operand gets alone equals the one it gets when all require grad (checked against
    finite differences), and the frozen ones get none."""
    rng = np.random.default_rng(4)
    x, w, b = rng.standard_normal((2, 3, 5, 5)), rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4)

    def conv(x, w, b):
        return F.conv2d(x, w, b, stride=stride, padding=padding)

    out = conv2d_ref(x, w, b, stride=stride, padding=padding)
    full, g = _grads(conv, [x, w, b], (True, True, True), backend)
    # the full gradients against the loop reference: d/dw is sum over output pixels of g * window
    assert mg.gradcheck(conv, (t64(x[:1, :1, :4, :4], "numpy"), t64(w[:2, :1], "numpy"), t64(b[:2], "numpy")))
    np.testing.assert_allclose(full[2], g.sum(axis=(0, 2, 3)), rtol=1e-12)
    assert g.shape == out.shape
    for wants in [(True, False, False), (False, True, False), (False, False, True)]:
        grads, _ = _grads(conv, [x, w, b], wants, backend)
        for got, want, wanted in zip(grads, full, wants):
            if wanted:
                np.testing.assert_allclose(got, want, rtol=1e-12)
            else:
                assert got is None


# --------------------------------------------------------------------------- the large max_pool2d path
@pytest.mark.parametrize("kernel,stride", [(2, 2), (3, 2)])
def test_max_pool2d_many_windows_matches_loop_reference_with_ties(backend, kernel, stride):
    """More than 4,096 outputs takes the slab-comparison path; values drawn from a few levels make many ties,
    and the whole gradient of a window must go to its first maximum (row-major), as on the small path."""
    rng = np.random.default_rng(5)
    x = rng.integers(0, 3, size=(2, 4, 66, 66)).astype(np.float64)
    t = t64(x, backend)
    out = F.max_pool2d(t, kernel, stride)
    assert out.numel() > 4096
    np.testing.assert_array_equal(out.detach().numpy(), max_pool2d_ref(x, kernel, stride))
    g = rng.integers(1, 5, size=out.shape).astype(np.float64)
    out.backward(mg.tensor(g, backend=backend))
    np.testing.assert_array_equal(t.grad.detach().numpy().copy(), max_pool2d_grad_ref(x, g, kernel, stride))


# --------------------------------------------------------------------------- Python-scalar operands of pow
def test_pow_with_a_python_scalar_base(backend):
    """d(c ** y)/dy = c ** y * ln c, with PyTorch's 0 at c = 0 and nan for a negative base (as torch gives)."""
    y0 = np.array([0.5, 2.0])
    for c, want in [(2.0, 2.0 ** y0 * np.log(2.0)), (0.0, np.zeros(2)), (1, np.zeros(2)),
                    (-2.0, np.full(2, np.nan))]:
        y = t64(y0, backend)
        with np.errstate(invalid="ignore"):
            (c ** y).sum().backward()
        np.testing.assert_allclose(y.grad.detach().numpy().copy(), want, rtol=1e-14, err_msg=f"base {c}")


@pytest.mark.parametrize("p,want", [(0, [0.0, 0.0, 0.0]), (1, [1.0, 1.0, 1.0]), (2, [-2.0, 0.0, 3.0]),
                                    (0.5, [np.nan, np.inf, 1 / np.sqrt(1.5) / 2])])
def test_pow_with_a_python_scalar_exponent(backend, p, want):
    x = t64([-1.0, 0.0, 1.5], backend)
    with np.errstate(invalid="ignore", divide="ignore"):
        (x ** p).sum().backward()
    np.testing.assert_allclose(x.grad.detach().numpy().copy(), want, rtol=1e-14)


def test_relu_and_abs_gradient_at_exactly_zero_is_zero(backend):
    """PyTorch's choice at the kink: 0 for both (a >= 0 in relu's backward would give 1)."""
    x = t64([-1.0, 0.0, 2.0], backend)
    (x.relu() + x.abs()).sum().backward()
    np.testing.assert_array_equal(x.grad.detach().numpy().copy(), [-1.0, 0.0, 2.0])


def test_gather_backward_adds_repeated_indices_on_every_backend(backend):
    x = t64([1.0, 2.0, 3.0, 4.0], backend)
    idx = mg.tensor([0, 2, 0, 0], backend=backend)
    (x[idx] * t64([1.0, 10.0, 100.0, 1000.0], backend, requires_grad=False)).sum().backward()
    np.testing.assert_array_equal(x.grad.detach().numpy().copy(), [1101.0, 0.0, 10.0, 0.0])
    y = t64([[1.0, -2.0], [3.0, -4.0]], backend)
    y[y > 0].sum().backward()
    np.testing.assert_array_equal(y.grad.detach().numpy().copy(), [[1.0, 0.0], [1.0, 0.0]])


def test_pow_at_a_zero_base_with_zero_and_positive_exponents(backend):
    """d(a ** b)/db = a ** b * ln a, defined as 0 at a = 0 for b >= 0 (PyTorch), for a scalar or a tensor base."""
    y = t64([0.0, 0.5, 2.0], backend)
    (0.0 ** y).sum().backward()
    np.testing.assert_array_equal(y.grad.detach().numpy().copy(), [0.0, 0.0, 0.0])
    a, b = t64([0.0, 0.0, 2.0, 1.0], backend), t64([0.0, 2.0, 0.5, 3.0], backend)
    (a ** b).sum().backward()
    np.testing.assert_allclose(b.grad.detach().numpy().copy(), [0.0, 0.0, 2.0 ** 0.5 * np.log(2.0), 0.0], rtol=1e-15, atol=0)
    np.testing.assert_allclose(a.grad.detach().numpy().copy(), [0.0, 0.0, 0.5 * 2.0 ** -0.5, 3.0], rtol=1e-15)
