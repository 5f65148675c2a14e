"""The Tensor surface: accessors and conversions, requires_grad and retain_grad, .data, in-place ops and
index assignment, reflected operators, shape methods, and construction from unsupported data."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import backend as B


def t64(a, backend="numpy", requires_grad=True):
    return mg.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad, backend=backend)


# --------------------------------------------------------------------------- Tensor surface
def test_tensor_accessors_and_conversions(backend):
    x = t64(np.arange(6.0).reshape(2, 3), backend)
    assert x.size() == (2, 3) and x.size(1) == 3 and x.dim() == 2
    assert x.float().dtype == mg.float32 and x.float().double().dtype == mg.float64
    assert x.type(mg.float32).dtype == mg.float32 and x.cpu().backend == "numpy"
    np.testing.assert_array_equal(np.asarray(x.detach(), dtype=np.float32), np.arange(6.0, dtype=np.float32).reshape(2, 3))
    with pytest.raises(RuntimeError, match="a Tensor with 6 elements cannot be converted to a Python scalar"):
        x.item()
    with pytest.raises(RuntimeError, match="Boolean value of a Tensor with 6 elements is ambiguous"):
        bool(x)
    one = t64([2.5], backend)
    assert float(one) == 2.5 and int(one) == 2 and bool(one) and [10, 20, 30][mg.tensor([1], backend=backend)] == 20
    assert [r.tolist() for r in x] == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(t64(1.0, backend))


def test_cuda_without_cupy_is_a_clear_error():
    if mg.cupy_available():
        pytest.skip("CuPy and a GPU are present: .cuda() works here")
    with pytest.raises(mg.BackendError, match="cupy"):
        mg.ones(1).cuda()


def test_requires_grad_and_retain_grad_rules(backend):
    x = t64([1.0, 2.0], backend)
    y = x * 2
    with pytest.raises(RuntimeError, match="only allowed on leaf tensors"):
        y.requires_grad_(False)
    with pytest.raises(RuntimeError, match="can't retain_grad on a tensor that has requires_grad=False"):
        t64([1.0], backend, requires_grad=False).retain_grad()
    x.retain_grad()  # a leaf: nothing to do, leaves keep their grad anyway
    assert not x.retains_grad
    y.retain_grad()
    assert y.retains_grad
    (y * y).sum().backward()
    np.testing.assert_array_equal(y.grad.detach().numpy().copy(), [4.0, 8.0])
    z = y.detach_()
    assert z is y and y.grad_fn is None and not y.requires_grad


def test_data_setter_coerces_and_bumps_the_version(backend):
    x = t64([1.0, 2.0], backend, requires_grad=False)
    v = x._version
    class Sub(np.ndarray):
        pass

    # an ndarray subclass is made a plain ndarray again; on other backends an own array passes through
    x.data = np.array([[3.0, 4.0]]).view(Sub) if backend == "numpy" else mg.tensor([[3.0, 4.0]], backend=backend)
    assert type(x._data) in B.ARRAY_TYPES
    assert x._version == v + 1 and x.shape == (1, 2) and x.tolist() == [[3.0, 4.0]]
    x.data = mg.tensor([5.0], backend=backend)
    assert x.tolist() == [5.0]


def test_inplace_ops_and_setitem(backend):
    x = t64([2.0, 4.0], backend, requires_grad=False)
    x.mul_(3).div_(2).add_(1, alpha=2).sub_(t64([1.0, 1.0], backend, requires_grad=False), alpha=3)
    np.testing.assert_array_equal(x.detach().numpy().copy(), [2.0, 5.0])
    x[0] = 7.0
    x[mg.tensor([1], backend=backend)] = 8.0
    np.testing.assert_array_equal(x.detach().numpy().copy(), [7.0, 8.0])
    x /= 2
    x -= 1
    x *= 4
    np.testing.assert_array_equal(x.detach().numpy().copy(), [10.0, 12.0])
    mg.manual_seed(0)
    x.normal_(5.0, 0.0)
    np.testing.assert_array_equal(x.detach().numpy().copy(), [5.0, 5.0])
    x.fill_(1.5)
    np.testing.assert_array_equal(x.detach().numpy().copy(), [1.5, 1.5])


def test_augmented_assignment_on_a_graph_tensor_records(backend):
    x = t64([1.0, 2.0], backend)
    y = x * 1
    y += 1
    y -= 2
    y *= 3
    y /= 3
    y.sum().backward()
    assert y.grad_fn is not None
    np.testing.assert_array_equal(x.grad.detach().numpy().copy(), [1.0, 1.0])


def test_reflected_operators(backend):
    x = t64([1.0, 2.0], backend)
    y = 2 ** x + np.float64(1.0) - x
    np.testing.assert_allclose(y.detach().numpy().copy(), [2.0, 3.0])
    m = mg.tensor([[1.0, 2.0]], dtype=mg.float64, backend=backend).__rmatmul__(mg.tensor([[3.0], [4.0]],
                                                                                         dtype=mg.float64,
                                                                                         backend=backend))
    np.testing.assert_array_equal(m.detach().numpy().copy(), [[3.0, 6.0], [4.0, 8.0]])
    assert (+x) is x


def test_shape_method_errors_and_corners(backend):
    x = t64(np.arange(6.0).reshape(1, 2, 3), backend)
    assert x.view(3, 2).shape == (3, 2) and t64(5.0, backend).flatten().shape == (1,)
    with pytest.raises(ValueError, match=r"start_dim \(2\) must not come after end_dim \(1\)"):
        x.flatten(2, 1)
    assert x.squeeze(1) .shape == (1, 2, 3) and x.squeeze(0).shape == (2, 3)
    with pytest.raises(ValueError, match=r"is not a permutation of the 3 dims"):
        x.permute(0, 0, 1)
    with pytest.raises(ValueError, match=r"t\(\) expects a tensor with <= 2 dims"):
        x.t()
    with pytest.raises(IndexError, match="dimension 5 is out of range"):
        x.unsqueeze(5)
    with pytest.raises(RuntimeError, match="mean\\(\\) needs a floating point tensor"):
        mg.tensor([1, 2], backend=backend).mean()
    assert t64(np.ones((2, 3)), backend).t().shape == (3, 2)


def test_tensor_from_unsupported_data_is_a_clear_error():
    with pytest.raises(TypeError, match="can't make a tensor from data of dtype <U1"):
        mg.tensor(["a"])
