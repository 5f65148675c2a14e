"""The autograd engine: accumulation, graph freeing, deep graphs, reuse, grad modes, detach, broadcasting,
the in-place guard, and the Tensor surface a PyTorch user expects."""
import gc
import weakref

import numpy as np
import pytest

import minigrad as mg


def t64(a, backend="numpy", requires_grad=True):
    return mg.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad, backend=backend)


def test_grads_accumulate_across_backward_calls(backend):
    x = t64([1.0, 2.0, 3.0], backend)
    (x * x).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.detach().numpy().copy(), 4 * np.array([1.0, 2.0, 3.0]))


def test_retain_graph_allows_second_backward(backend):
    x = t64([1.0, -2.0], backend)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()  # numpy() shares memory, and backward accumulates into the grad in place
    y.backward()
    np.testing.assert_allclose(x.grad.detach().numpy().copy(), 2 * first)


def test_second_backward_through_freed_graph_raises_clear_error():
    x = t64([1.0, 2.0])
    y = (x.sigmoid() * 2).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_backward_frees_saved_arrays():
    x = t64(np.ones(3))
    y = x.exp()
    node = y.grad_fn
    y.sum().backward()
    assert node.inputs is None and not hasattr(node, "out")


def test_non_scalar_backward_needs_gradient():
    x = t64(np.ones((2, 3)))
    y = x * 2
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        y.backward()
    y.backward(mg.ones(2, 3, dtype=mg.float64))
    np.testing.assert_allclose(x.grad.detach().numpy().copy(), 2 * np.ones((2, 3)))


def test_backward_gradient_shape_is_checked():
    x = t64(np.ones(3))
    with pytest.raises(RuntimeError, match="shape"):
        (x * 2).backward(mg.ones(4, dtype=mg.float64))


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        mg.ones(2).sum().backward()


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating point"):
        mg.tensor([1, 2, 3], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        mg.arange(3).requires_grad_()


@pytest.mark.slow  # a stress test: 100k nodes
def test_chain_of_100k_ops_backpropagates_without_recursion_error():
    x = t64([0.5])
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.sum().backward()
    np.testing.assert_allclose(x.grad.detach().numpy().copy(), [1.0])
    del y  # dropping a 100k-node chain must not overflow the C stack either
    gc.collect()


def test_diamond_node_reused_many_times(backend):
    x = t64([0.3, -0.7], backend)
    h = x.tanh()
    y = h
    for _ in range(50):
        y = y + h * h
    y.sum().backward()
    hx = np.tanh([0.3, -0.7])
    expected = (1 + 50 * 2 * hx) * (1 - hx ** 2)
    np.testing.assert_allclose(x.grad.detach().numpy().copy(), expected, rtol=1e-12)


def test_same_tensor_on_both_sides():
    x = t64([3.0])
    (x * x * x).backward(mg.ones(1, dtype=mg.float64))
    np.testing.assert_allclose(x.grad.detach().numpy().copy(), [27.0])


def test_no_grad_builds_no_graph_and_works_as_decorator():
    x = t64([1.0, 2.0])
    with mg.no_grad():
        y = x * 2
        assert not mg.is_grad_enabled()
        with mg.enable_grad():
            z = x * 2
    assert mg.is_grad_enabled()
    assert y.grad_fn is None and not y.requires_grad
    assert z.requires_grad and z.grad_fn is not None

    @mg.no_grad()
    def f(t):
        return t * 3

    assert f(x).grad_fn is None and mg.is_grad_enabled()
    mg.set_grad_enabled(False)
    assert (x * 2).grad_fn is None
    mg.set_grad_enabled(True)


def test_detach_shares_data_and_cuts_graph():
    x = t64([1.0, 2.0])
    y = x * 2
    d = y.detach()
    assert d.grad_fn is None and not d.requires_grad and d.is_leaf
    assert np.shares_memory(d.data, y.data)
    (d * x).sum().backward()
    np.testing.assert_allclose(x.grad.detach().numpy().copy(), [2.0, 4.0])  # d treated as a constant


def test_retain_grad_keeps_non_leaf_grad():
    x = t64([1.0, 2.0])
    h = x * 3
    h.retain_grad()
    other = x * 5  # not retained
    (h * h + other).sum().backward()
    np.testing.assert_allclose(h.grad.detach().numpy().copy(), 2 * h.data)
    assert other.grad is None


@pytest.mark.parametrize("shape_a,shape_b", [((3, 1), (1, 4)), ((2, 3, 4), (4,)), ((5,), ()), ((1,), (3, 2, 1))])
def test_broadcasting_grads_are_summed_back_to_input_shape(shape_a, shape_b, backend):
    rng = np.random.default_rng(0)
    a_np, b_np = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    a, b = t64(a_np, backend), t64(b_np, backend)
    (a * b).sum().backward()
    assert a.grad.shape == shape_a and b.grad.shape == shape_b
    full = np.broadcast_shapes(shape_a, shape_b)
    expected_a = np.broadcast_to(b_np, full).reshape((-1,) + full[len(full) - len(shape_a):]).sum(axis=0)
    expected_a = expected_a.sum(axis=tuple(i for i, n in enumerate(shape_a) if n == 1), keepdims=True)
    np.testing.assert_allclose(a.grad.detach().numpy().copy(), expected_a, rtol=1e-12)
    assert mg.gradcheck(lambda a, b: a * b + a / (b * b + 1), (a, b))


def test_grads_of_two_leaves_are_not_views_of_each_other():
    a, b = t64([1.0, 2.0]), t64([3.0, 4.0])
    (a + b).sum().backward()
    assert not np.shares_memory(a.grad.data, b.grad.data)
    with mg.no_grad():
        a.grad.mul_(0)
    np.testing.assert_allclose(b.grad.detach().numpy().copy(), [1.0, 1.0])


def test_inplace_change_of_saved_tensor_is_detected():
    x = t64([1.0, 2.0])
    w = t64([3.0, 4.0])
    y = (x * w).sum()
    with mg.no_grad():
        w.add_(1.0)
    with pytest.raises(RuntimeError, match=r"needed by MulBackward for its gradient has been modified by an in-place "
                       r"operation \(version 1, expected 0\)\. Don't modify it in place before backward\(\), or use "
                       r"\.clone\(\) first\."):
        y.backward()


def test_inplace_change_of_saved_output_is_detected():
    x = t64([1.0, 2.0])
    y = x.exp()
    with mg.no_grad():
        y.mul_(2)
    with pytest.raises(RuntimeError, match="in-place"):
        y.sum().backward()


def test_inplace_through_view_and_data_assignment_is_detected():
    w = t64(np.ones((2, 2)))
    y = (w + 2).sum()
    z = (w * w).sum()
    with mg.no_grad():
        w.reshape(4)[0:1].fill_(5.0)  # a view of w shares its version counter
    with pytest.raises(RuntimeError, match="in-place"):
        z.backward()
    w2 = t64([1.0])
    y2 = (w2 * w2).sum()
    w2.data = np.array([2.0])
    with pytest.raises(RuntimeError, match="in-place"):
        y2.backward()
    y.backward()  # Add does not read w, so changing w does not invalidate it


def test_inplace_on_leaf_requiring_grad_is_refused_in_grad_mode():
    w = t64([1.0])
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w.add_(1.0)
    with mg.no_grad():
        w -= 0.5  # the optimizer idiom
    np.testing.assert_allclose(w.detach().numpy(), [0.5])


def test_graph_is_freed_by_refcount_without_gc():
    gc.disable()
    try:
        x = t64(np.ones(4))
        y = (x.sigmoid() * 2).sum()
        ref = weakref.ref(y.grad_fn)
        y.backward()
        del y
        assert ref() is None
    finally:
        gc.enable()


def test_tensor_surface_follows_pytorch():
    x = mg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert x.dtype == mg.float32 and x.shape == (2, 3) and x.ndim == 2 and x.backend == "numpy"
    assert mg.tensor(np.zeros(2)).dtype == mg.float64  # a float64 array stays float64
    assert mg.tensor([1, 2]).dtype == mg.int64
    assert x.T.shape == (3, 2) and x.flatten().shape == (6,) and x.unsqueeze(0).shape == (1, 2, 3)
    assert x.view(3, 2).shape == (3, 2) and x.reshape(-1, 1).shape == (6, 1)
    assert x.permute(1, 0).shape == (3, 2) and x.unsqueeze(1).squeeze().shape == (2, 3)
    assert x.sum().item() == 21.0 and x.mean(dim=0).tolist() == [2.5, 3.5, 4.5]
    values, indices = x.max(dim=1)
    assert values.tolist() == [3.0, 6.0] and indices.tolist() == [2, 2]
    assert (x > 2).tolist() == [[False, False, True], [True, True, True]] and not (x > 2).requires_grad
    assert (2 - x).tolist()[0] == [1.0, 0.0, -1.0] and (1 / mg.tensor([2.0])).item() == 0.5
    assert (2 ** mg.tensor([3.0])).item() == 8.0
    assert repr(mg.tensor([1.0, 2.0], requires_grad=True)) == "tensor([1., 2.], requires_grad=True)"
    assert repr(mg.tensor([1.5]) * mg.tensor([2.0], requires_grad=True)) == "tensor([3.], grad_fn=<MulBackward>)"
    assert "dtype=minigrad.float64" in repr(mg.tensor(np.zeros(1)))
    assert x[1, 1:].tolist() == [5.0, 6.0] and x[:, None].shape == (2, 1, 3)


def test_default_dtype_and_seed():
    mg.set_default_dtype(mg.float64)
    assert mg.tensor([1.0]).dtype == mg.float64 and mg.randn(2).dtype == mg.float64
    mg.set_default_dtype(mg.float32)
    mg.manual_seed(3)
    a = mg.randn(5).detach().numpy().copy()
    mg.manual_seed(3)
    np.testing.assert_array_equal(a, mg.randn(5).detach().numpy().copy())
    with pytest.raises(TypeError, match="floating"):
        mg.set_default_dtype(mg.int64)


def test_getitem_with_repeated_indices_accumulates():
    x = t64([1.0, 2.0, 3.0])
    x[np.array([0, 0, 2])].sum().backward()
    np.testing.assert_allclose(x.grad.detach().numpy().copy(), [2.0, 0.0, 1.0])


def test_gradcheck_catches_a_wrong_backward():
    from minigrad.autograd import Function

    class BadSquare(Function):
        def forward(self, a):
            self.a = a
            return a * a

        def backward(self, g):
            return g * self.a  # should be 2 * a * g

    x = t64([1.0, 2.0])
    with pytest.raises(mg.GradcheckError, match=r"input 0 .* numerical 2\.0.*analytical 1\.0"):
        mg.gradcheck(lambda x: BadSquare.apply(x), (x,))
    assert mg.gradcheck(lambda x: BadSquare.apply(x), (x,), raise_exception=False) is False


def test_gradcheck_warns_for_float32_and_leaves_inputs_alone():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(UserWarning, match="float64"):
        mg.gradcheck(lambda x: x * 2, (x,), atol=0.1)
    assert x.grad is None


def test_mixing_backends_names_both():
    pytest.importorskip("cupy", reason="mixing backends needs CuPy installed")
    if not mg.cupy_available():
        pytest.skip("CuPy installed but no GPU: can't make a cupy tensor")
    a, b = mg.ones(2), mg.ones(2, backend="cupy")
    with pytest.raises(RuntimeError, match="'cupy' and 'numpy'"):
        a + b


def test_to_moves_and_casts_differentiably(backend):
    x = t64([1.0, 2.0])
    y = x.to(backend).to(mg.float32)
    assert y.backend == backend and y.dtype == mg.float32
    (y * y).sum().backward()
    assert x.grad.dtype == mg.float64 and x.grad.backend == "numpy"
    np.testing.assert_allclose(x.grad.detach().numpy().copy(), [2.0, 4.0])


def test_inference_mode_as_a_bare_decorator_and_its_mode_values():
    @mg.inference_mode
    def f(x):
        assert mg.is_grad_enabled() is False
        return x * 2

    x = mg.tensor([1.0, 2.0], requires_grad=True)
    assert f(x).requires_grad is False and mg.is_grad_enabled() is True
    with mg.inference_mode():
        assert mg.is_grad_enabled() is False
    with mg.inference_mode(False):
        assert mg.is_grad_enabled() is True
    with pytest.raises(TypeError, match=r"inference_mode\(mode\): mode must be a bool, got 'yes'"):
        mg.inference_mode("yes")


def test_grad_mode_decorator_on_a_non_function_names_both():
    with pytest.raises(TypeError) as info:
        mg.no_grad()(5)
    assert str(info.value) == "no_grad() used as a decorator needs a function, got int"
