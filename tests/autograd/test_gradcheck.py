"""mg.gradcheck itself: it must fail on wrong backwards, including one that ignores its upstream gradient."""
import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad.autograd import Function


class MulIgnoringUpstream(Function):
    """a * b whose backward forgets to multiply by the incoming gradient (right only when g == 1)."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, g):
        return self.b, self.a


def t64(a, backend="numpy", requires_grad=True):
    return mg.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad, backend=backend)


def test_backward_that_ignores_its_gradient_is_caught_on_one_element_outputs(backend):
    """With unit upstream gradients only, this bug passes whenever the output has one element (the case the
    drawn shapes collapse to most often); the random-upstream check catches it."""
    a, b = t64([1.5], backend), t64([-0.5], backend)
    with pytest.raises(mg.GradcheckError, match="random upstream gradient disagrees for input 0"):
        mg.gradcheck(lambda a, b: MulIgnoringUpstream.apply(a, b), (a, b))
    assert mg.gradcheck(lambda a, b: MulIgnoringUpstream.apply(a, b), (a, b), raise_exception=False) is False
    assert mg.gradcheck(lambda a, b: a * b, (a, b)) is True


def test_wrong_jacobian_is_reported_with_input_element_and_values():
    class WrongExp(Function):
        def forward(self, a):
            self.out = np.exp(a)
            return self.out

        def backward(self, g):
            return g * self.out * 1.01

    x = t64([[0.1, 0.2], [0.3, 0.4]])
    with pytest.raises(mg.GradcheckError, match=r"input 0 \(shape \(2, 2\)\) at element \(0, 0\), output element 0"):
        mg.gradcheck(lambda x: WrongExp.apply(x), (x,))
    assert mg.gradcheck(lambda x: WrongExp.apply(x), (x,), raise_exception=False) is False


def test_gradcheck_with_several_outputs_constants_and_an_output_without_grad():
    x = t64([0.5, -1.0])
    c = t64([2.0, 3.0], requires_grad=False)
    assert mg.gradcheck(lambda x, c, k: (x * c * k, c + 1, x.sigmoid()), (x, c, 4.0)) is True
    assert x.grad is None  # the caller's tensors are untouched


def test_gradcheck_argument_errors_and_float32_warning():
    with pytest.raises(ValueError, match="no input has requires_grad=True"):
        mg.gradcheck(lambda x: x * 2, (t64([1.0], requires_grad=False),))
    with pytest.raises(TypeError, match="fn must return a Tensor"):
        mg.gradcheck(lambda x: [x, 1.0], (t64([1.0]),))
    with pytest.warns(UserWarning, match="input 0 is float32"):
        mg.gradcheck(lambda x: x * 2, (mg.tensor([1.0], requires_grad=True),), eps=1e-2, atol=1e-2, rtol=1e-2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert mg.gradcheck(lambda x: x * 2, t64([1.0, 2.0])) is True  # a single Tensor as inputs


def test_given_upstream_gradient_replaces_the_random_one(backend):
    """gradcheck(upstream=G) checks backward(G) against G @ J from the same finite differences: what a second
    gradcheck of sum(f(x) * G) checked, at the cost of one backward."""
    a, b = t64([1.5], backend), t64([-0.5], backend)
    with pytest.raises(mg.GradcheckError, match="random upstream gradient disagrees for input 0"):
        mg.gradcheck(lambda a, b: MulIgnoringUpstream.apply(a, b), (a, b), upstream=[np.array([3.0])])
    # G == 1 cannot see the bug: the upstream gradient given is the one used
    assert mg.gradcheck(lambda a, b: MulIgnoringUpstream.apply(a, b), (a, b), upstream=[np.array([1.0])])
    x = t64([[0.1, -0.2], [0.3, 0.4]], backend)
    assert mg.gradcheck(lambda x: (x.exp(), x.sum()), (x,), upstream=[np.ones((2, 2)) * -2, None])
    with pytest.raises(ValueError, match="upstream has 1 entries for 2 outputs"):
        mg.gradcheck(lambda x: (x.exp(), x.sum()), (x,), upstream=[None])
