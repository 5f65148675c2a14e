"""Gradient tests that the op registry cannot express: the tie rules, exactly.

The generic gradchecks of every op (hypothesis shapes and values, float64, random upstream gradient) are
derived from the registry in tests/support/opinfo.py and live in tests/ops/test_opinfo.py. A gradient check at a tie is
meaningless, so the registry draws tie-free inputs; the tie rule of max and max_pool2d is tested here, with
exact ties and integer-valued gradients, against the loop references in tests/support/reference.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
import minigrad.nn.functional as F
from reference import max_dim_grad_ref, max_pool2d_grad_ref, max_pool2d_ref, pair


def _settings() -> settings:
    """The active profile (loaded by conftest); the `backend` fixture is a plain string, safe to share."""
    return settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def shape_and_dim(draw, min_dims: int = 0):
    """A shape and a dim for it: None (reduce all) or an int, possibly negative."""
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=4, min_side=1, max_side=3))
    nd = len(shape)
    dim = draw(st.none() | st.integers(-nd, nd - 1)) if nd else None
    return shape, dim


int_or_pair = lambda lo, hi: st.integers(lo, hi) | st.tuples(st.integers(lo, hi), st.integers(lo, hi))  # noqa: E731


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


def test_mse_loss_default_reduction_is_mean(backend):
    a, b = np.arange(6.0).reshape(2, 3), np.ones((2, 3))
    out = F.mse_loss(mg.tensor(a, backend=backend), mg.tensor(b, backend=backend))
    assert out.shape == ()
    np.testing.assert_allclose(out.detach().numpy().copy(), np.mean((a - b) ** 2), rtol=1e-12)


# ----------------------------------------------------------------------------- the tie rule, exactly


def _grad_of(fn, x: np.ndarray, g: np.ndarray, backend: str) -> np.ndarray:
    t = mg.tensor(x, requires_grad=True, backend=backend)
    fn(t).backward(mg.tensor(g, backend=backend))
    return t.grad.detach().numpy().copy()


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


@_settings()
@given(cfg=pool_configs(), data=st.data())
def test_max_pool2d_ties_match_reference(backend, cfg, data):
    # Values from {0, 1, 2} make ties the rule rather than the exception.
    xs, kernel, stride, padding = cfg
    x = data.draw(hnp.arrays(np.float64, xs, elements=st.sampled_from([0.0, 1.0, 2.0])), label="x")
    t = mg.tensor(x, requires_grad=True, backend=backend)
    out = F.max_pool2d(t, kernel, stride=stride, padding=padding)
    np.testing.assert_array_equal(out.detach().numpy(), max_pool2d_ref(x, kernel, stride, padding))
    # Integer-valued upstream gradients keep the accumulated sums exact.
    g = data.draw(hnp.arrays(np.float64, out.shape, elements=st.integers(-9, 9).map(float)), label="g")
    out.backward(mg.tensor(g, backend=backend))
    np.testing.assert_array_equal(t.grad.detach().numpy().copy(), max_pool2d_grad_ref(x, g, kernel, stride, padding))


def test_max_dim_ties_go_to_first_max(backend):
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 1.0]])
    t = mg.tensor(x, requires_grad=True, backend=backend)
    values, indices = t.max(dim=1)
    np.testing.assert_array_equal(values.detach().numpy(), [3.0, 2.0])
    np.testing.assert_array_equal(indices.detach().numpy().copy(), [1, 0])
    values.backward(mg.tensor(np.array([5.0, 7.0]), backend=backend))
    np.testing.assert_array_equal(t.grad.detach().numpy().copy(), [[0.0, 5.0, 0.0], [7.0, 0.0, 0.0]])


@_settings()
@given(sd=shape_and_dim(min_dims=1), keepdim=st.booleans(), data=st.data())
def test_max_dim_ties_match_reference(backend, sd, keepdim, data):
    shape, dim = sd
    if dim is None:
        dim = 0
    x = data.draw(hnp.arrays(np.float64, shape, elements=st.sampled_from([0.0, 1.0])), label="x")
    t = mg.tensor(x, requires_grad=True, backend=backend)
    values, indices = t.max(dim=dim, keepdim=keepdim)
    np.testing.assert_array_equal(values.detach().numpy(), x.max(axis=dim, keepdims=keepdim))
    np.testing.assert_array_equal(indices.detach().numpy().copy(), np.argmax(x, axis=dim, keepdims=keepdim))
    g = data.draw(hnp.arrays(np.float64, values.shape, elements=st.integers(-9, 9).map(float)), label="g")
    values.backward(mg.tensor(g, backend=backend))
    g_flat = g if not keepdim else np.squeeze(g, axis=dim)
    np.testing.assert_array_equal(t.grad.detach().numpy().copy(), max_dim_grad_ref(x, g_flat, dim))


def test_max_all_with_ties_sends_gradient_only_to_maxima(backend):
    # The tie rule for a full reduction is the core's to document (PyTorch splits it
    # evenly); whatever it is, the gradient must land on maxima and sum to the upstream.
    x = np.array([[1.0, 4.0], [4.0, 0.0]])
    t = mg.tensor(x, requires_grad=True, backend=backend)
    t.max().backward(mg.tensor(np.array(3.0), backend=backend))
    grad = t.grad.detach().numpy().copy()
    assert np.all(grad[x < 4.0] == 0.0)
    assert grad.sum() == pytest.approx(3.0)
