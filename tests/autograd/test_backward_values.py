"""backward() by value: a second backward through a retained graph, a leaf's given gradient accumulating, and
the grad-mode decorators setting exactly False and True."""
import numpy as np

import minigrad as mg


def t64(a, backend, requires_grad=True):
    return mg.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad, backend=backend)


# --------------------------------------------------------------------------- engine
def test_retain_graph_second_backward_matches_the_formula(backend):
    x0 = np.array([1.0, -2.0, 0.5])
    x = t64(x0, backend)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    np.testing.assert_allclose(x.grad.detach().numpy().copy(), np.exp(x0) * (1 + x0), rtol=1e-13)
    y.backward()
    np.testing.assert_allclose(x.grad.detach().numpy().copy(), 2 * np.exp(x0) * (1 + x0), rtol=1e-13)


def test_backward_on_a_leaf_accumulates_the_given_gradient(backend):
    x = t64([1.0, 2.0], backend)
    x.backward(mg.tensor([3.0, -1.0], dtype=mg.float64, backend=backend))
    x.backward(mg.tensor([1.0, 1.0], dtype=mg.float64, backend=backend))
    np.testing.assert_array_equal(x.grad.detach().numpy().copy(), [4.0, 0.0])
    s = t64(2.0, backend)
    s.backward()
    assert s.grad.item() == 1.0


def test_grad_mode_decorators_set_exactly_false_and_true():
    @mg.no_grad()
    def off():
        return mg.is_grad_enabled()

    @mg.enable_grad()
    def on():
        return mg.is_grad_enabled()

    assert off() is False and mg.is_grad_enabled() is True
    with mg.no_grad():
        assert on() is True and mg.is_grad_enabled() is False
