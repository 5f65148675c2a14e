"""Branches that the rest of the suite never took (found with `coverage run --branch`), each checked by value:
the grad-mode context form, engine corners (a node that gets no gradient, dtype casts of gradients), argument
errors of ops and layers, the Tensor and factory surface, Module bookkeeping, and the Backend defaults."""
import warnings

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import autograd
from minigrad import backend as B
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
    np.testing.assert_array_equal(a.grad.numpy(), [1.0, 1.0])
    assert c.grad is None


def test_gradient_is_cast_to_the_input_dtype(backend):
    a = mg.tensor([1.0, 2.0], dtype=mg.float32, requires_grad=True, backend=backend)
    b = t64([0.5, 3.0], backend)
    y = a * b
    assert y.dtype == mg.float64
    y.sum().backward()
    assert a.grad.dtype == mg.float32 and b.grad.dtype == mg.float64
    np.testing.assert_array_equal(a.grad.numpy(), np.float32([0.5, 3.0]))


def test_unbroadcast_refuses_an_impossible_reduction():
    with pytest.raises(RuntimeError, match=r"gradient of shape \(2, 3\) cannot be reduced to shape \(4,\)"):
        autograd._unbroadcast(np.ones((2, 3)), (4,))
    np.testing.assert_array_equal(autograd._unbroadcast(np.ones((2, 3)), (1, 3)), [[2.0, 2.0, 2.0]])


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
    np.testing.assert_array_equal(x.sum(dim=(0, 1)).detach().numpy(), 6.0)


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
    assert out.shape == (1, 3, 3) and out.detach().numpy()[0, 0, 0] == 0 + 1 + 4 + 5
    with pytest.raises(ValueError, match=r"kernel_size"):
        F.max_pool2d(x, 0)
    with pytest.raises(ValueError, match="padding"):
        F.max_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match="padded input"):
        F.max_pool2d(x, 5)
    with pytest.raises(ValueError, match="expected input of shape"):
        F.max_pool2d(t64(np.ones((4, 4)), backend), 2)
    pooled = F.max_pool2d(t64(np.arange(16.0).reshape(1, 4, 4), backend), 2)
    np.testing.assert_array_equal(pooled.detach().numpy(), [[[5.0, 7.0], [13.0, 15.0]]])


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
    np.testing.assert_array_equal(y.grad.numpy(), [4.0, 8.0])
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
    np.testing.assert_array_equal(x.numpy(), [2.0, 5.0])
    x[0] = 7.0
    x[mg.tensor([1], backend=backend)] = 8.0
    np.testing.assert_array_equal(x.numpy(), [7.0, 8.0])
    x /= 2
    x -= 1
    x *= 4
    np.testing.assert_array_equal(x.numpy(), [10.0, 12.0])
    mg.manual_seed(0)
    x.normal_(5.0, 0.0)
    np.testing.assert_array_equal(x.numpy(), [5.0, 5.0])
    x.fill_(1.5)
    np.testing.assert_array_equal(x.numpy(), [1.5, 1.5])


def test_augmented_assignment_on_a_graph_tensor_records(backend):
    x = t64([1.0, 2.0], backend)
    y = x * 1
    y += 1
    y -= 2
    y *= 3
    y /= 3
    y.sum().backward()
    assert y.grad_fn is not None
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])


def test_reflected_operators(backend):
    x = t64([1.0, 2.0], backend)
    y = 2 ** x + np.float64(1.0) - x
    np.testing.assert_allclose(y.detach().numpy(), [2.0, 3.0])
    m = mg.tensor([[1.0, 2.0]], dtype=mg.float64, backend=backend).__rmatmul__(mg.tensor([[3.0], [4.0]],
                                                                                         dtype=mg.float64,
                                                                                         backend=backend))
    np.testing.assert_array_equal(m.numpy(), [[3.0, 6.0], [4.0, 8.0]])
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


# --------------------------------------------------------------------------- factories
def test_factories_values_and_dtypes(backend):
    assert mg.empty(2, 3, backend=backend).shape == (2, 3)
    f = mg.full((2,), 7, backend=backend)
    assert f.dtype == mg.int64 and f.tolist() == [7, 7]
    assert mg.full((1,), 0.5, backend=backend).dtype == mg.float32
    assert mg.full((1,), 2, dtype=mg.float64, backend=backend).tolist() == [2.0]
    base = t64([[1.0, 2.0]], backend)
    assert mg.zeros_like(base).tolist() == [[0.0, 0.0]] and mg.ones_like(base, dtype=mg.float32).dtype == mg.float32
    assert mg.full_like(base, 3.0).tolist() == [[3.0, 3.0]] and mg.zeros_like(base).backend == backend
    mg.manual_seed(1)
    r = mg.rand(1000, backend=backend)
    assert r.dtype == mg.float32 and 0 <= r.min().item() and r.max().item() < 1 and 0.45 < r.mean().item() < 0.55
    mg.manual_seed(1)
    np.testing.assert_array_equal(mg.rand(1000, dtype=mg.float64, backend=backend).numpy().astype(np.float32),
                                  r.numpy())
    assert mg.arange(3, backend=backend).tolist() == [0, 1, 2] and mg.arange(3).dtype == mg.int64
    assert mg.arange(0, 1, 0.5, backend=backend).tolist() == [0.0, 0.5] and mg.arange(0, 1, 0.5).dtype == mg.float32
    a = np.zeros(2)
    t = mg.from_numpy(a)
    a[0] = 4.0
    assert t.tolist() == [4.0, 0.0]
    with pytest.raises(TypeError, match="from_numpy expects a numpy.ndarray, got list"):
        mg.from_numpy([1.0])


# --------------------------------------------------------------------------- nn.Module bookkeeping
def test_parameter_construction_forms():
    assert mg.nn.Parameter().shape == (0,)
    p = mg.nn.Parameter([1.0, 2.0], requires_grad=False)
    assert p.tolist() == [1.0, 2.0] and not p.requires_grad and p.dtype == mg.float32


def test_module_attribute_rules_apply_and_requires_grad():
    class Net(mg.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = mg.nn.Linear(2, 2)
            self.b = self.a  # shared: listed once by parameters()
            self.w = mg.nn.Parameter(mg.ones(1))

    net = Net()
    assert len(list(net.parameters())) == 3 and len(net.state_dict()) == 5
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'w'"):
        net.w = mg.ones(1)
    net.w = None
    assert "w" not in dict(net.named_parameters())
    with pytest.raises(TypeError, match="cannot assign 'int' as child module 'a'"):
        net.a = 3
    net.b = None
    with pytest.raises(TypeError, match="int is not a Module subclass"):
        net.add_module("c", 3)
    with pytest.raises(KeyError, match="can't be empty or contain"):
        net.add_module("x.y", mg.nn.ReLU())
    with pytest.raises(TypeError, match="module name should be a string"):
        net.add_module(1, mg.nn.ReLU())

    class Early(mg.nn.Module):
        def __init__(self):
            self.m = mg.nn.ReLU()

    with pytest.raises(AttributeError, match="cannot assign module before Module.__init__"):
        Early()
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "Net"]
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        net.train(1)


def test_load_state_dict_reports_an_entry_that_is_not_an_array():
    lin = mg.nn.Linear(2, 1)
    before = lin.weight.detach().numpy()
    with pytest.raises(RuntimeError, match='While copying the parameter named "weight"'):
        lin.load_state_dict({"weight": [["a", "b"]], "bias": [0.0]})
    np.testing.assert_array_equal(lin.weight.detach().numpy(), before)  # nothing copied
    lin.load_state_dict({"weight": [[1.0, 2.0]], "bias": [0.5]})
    assert lin.weight.tolist() == [[1.0, 2.0]] and lin.bias.tolist() == [0.5]


# --------------------------------------------------------------------------- optimizer arguments
def test_optimizer_param_group_errors_and_duplicate_warning():
    p = mg.nn.Parameter(mg.ones(2))
    opt = mg.optim.SGD([p], lr=0.1)
    with pytest.raises(TypeError, match="param_group must be a dict, got list"):
        opt.add_param_group([p])
    with pytest.warns(UserWarning, match="duplicate parameters"):
        mg.optim.SGD([p, p], lr=0.1)


# --------------------------------------------------------------------------- Backend defaults
def test_generic_backend_defaults():
    be = B.Backend("plain", np, (np.ndarray,))
    a = np.arange(3.0)
    h = be.to_host(a)
    assert h is not a and h.tolist() == [0.0, 1.0, 2.0]
    assert be.from_host([1, 2]).tolist() == [1, 2] and be.asarray([1.0]).tolist() == [1.0]
    assert be.asarray([1, 2], dtype=np.float32).dtype == np.float32
    assert be.owns(a) and not be.is_host and str(be) == "plain" and be == "plain" and be != 3
    assert isinstance(be.ignore_overflow(), type(B.contextlib.nullcontext()))


def test_register_and_unregister_a_backend_with_aliases():
    class Box:
        pass

    be = B.register_backend(B.Backend("boxes", np, (Box,), aliases=("bx",)))
    try:
        assert B.get_backend("BX") is be and B.backend_of(Box()) is be and Box in B.ARRAY_TYPES
        again = B.register_backend(B.Backend("boxes", np, (Box,)))  # same name: replaces
        assert B.get_backend("boxes") is again
    finally:
        B.unregister_backend("boxes")
    assert Box not in B.ARRAY_TYPES
    with pytest.raises(mg.BackendError, match="unknown backend 'bx'"):
        B.get_backend("bx")
    B.unregister_backend("never-registered")


def test_cupy_with_zero_devices_and_default_lookup(monkeypatch):
    class NoDevices:
        cuda = type("cuda", (), {"runtime": type("rt", (), {"getDeviceCount": staticmethod(lambda: 0)})})

    monkeypatch.delitem(B._backends, "cupy", raising=False)
    monkeypatch.setitem(__import__("sys").modules, "cupy", NoDevices)
    with pytest.raises(mg.BackendError, match="sees no CUDA device"):
        B.get_backend("cupy")
    assert B.get_backend().name == mg.get_default_backend()
    mg.set_default_backend(B.get_backend("strict"))
    assert mg.get_default_backend() == "strict" and mg.zeros(1).backend == "strict"
