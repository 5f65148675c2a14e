"""The engine's handling of gradients: the grad-mode context form, a node that receives no gradient, the
cast of a gradient to its input's dtype, and a broadcast that cannot be undone."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import autograd
from minigrad.autograd import Function


def t64(a, backend="numpy", requires_grad=True):
    return mg.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad, backend=backend)


# --------------------------------------------------------------------------- engine
def test_set_grad_enabled_as_a_context_manager_restores_the_mode():
    x = t64([1.0])
    with mg.set_grad_enabled(False):
        assert not mg.is_grad_enabled()
        assert not (x * 2).requires_grad
    assert mg.is_grad_enabled() and (x * 2).requires_grad


class FirstOnly(Function):
    """a + b whose backward sends nothing to b: b's own node then receives no gradient at all."""

    def forward(self, a, b):
        return a + b

    def backward(self, g):
        return g, None


def test_a_node_that_receives_no_gradient_is_skipped(backend):
    a, c = t64([1.0, 2.0], backend), t64([3.0, 4.0], backend)
    b = c * 3  # a non-leaf whose node gets no gradient from FirstOnly
    FirstOnly.apply(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.detach().numpy().copy(), [1.0, 1.0])
    assert c.grad is None


def test_gradient_is_cast_to_the_input_dtype(backend):
    a = mg.tensor([1.0, 2.0], dtype=mg.float32, requires_grad=True, backend=backend)
    b = t64([0.5, 3.0], backend)
    y = a * b
    assert y.dtype == mg.float64
    y.sum().backward()
    assert a.grad.dtype == mg.float32 and b.grad.dtype == mg.float64
    np.testing.assert_array_equal(a.grad.detach().numpy().copy(), np.float32([0.5, 3.0]))


def test_unbroadcast_refuses_an_impossible_reduction():
    with pytest.raises(RuntimeError, match=r"gradient of shape \(2, 3\) cannot be reduced to shape \(4,\)"):
        autograd._unbroadcast(np.ones((2, 3)), (4,))
    np.testing.assert_array_equal(autograd._unbroadcast(np.ones((2, 3)), (1, 3)), [[2.0, 2.0, 2.0]])
