"""In-place writes and the graph: no silent detaching (a loss accumulated into a plain tensor, in-place writes
of graph values, as in PyTorch), the version check of saved values, in-place ops on non-leaves, index_put's
gradient; casts and conversions of a tensor that requires grad."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from optional_torch import needs_torch, torch


# ----------------------------------------------------------------------------- no silent detaching
def test_accumulating_a_loss_into_a_plain_tensor_carries_the_graph():
    w = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    t = mg.tensor(0.0)
    t += (w * w).sum()
    (t + w.sum()).backward()
    assert w.grad.tolist() == [3.0, 5.0, 7.0]  # PyTorch's answer; the graph used to be dropped ([1, 1, 1])
    assert t.requires_grad and t.grad_fn is not None and not t.is_leaf


# (name, minigrad op, torch op): each writes a value that requires grad into a tensor that does not.
INPLACE_CASES = [
    ("+=", lambda t, w: t.__iadd__(w * w), None),
    ("-=", lambda t, w: t.__isub__(w * w), None),
    ("*=", lambda t, w: t.__imul__(w * w), None),
    ("/=", lambda t, w: t.__itruediv__(w * w), None),
    ("add_", lambda t, w: t.add_(w), None),
    ("add_ alpha", lambda t, w: t.add_(w, alpha=3), None),
    ("sub_ alpha", lambda t, w: t.sub_(w, alpha=2), None),
    ("mul_", lambda t, w: t.mul_(w), None),
    ("div_", lambda t, w: t.div_(w), None),
    ("copy_", lambda t, w: t.copy_(w), None),
    ("copy_ broadcast", lambda t, w: t.copy_(w[1:2]), None),
    ("fill_", lambda t, w: t.fill_(w.sum()), None),
    ("setitem slice", lambda t, w: t.__setitem__(slice(0, 2), w[:2] * 2), None),
    ("setitem int", lambda t, w: t.__setitem__(1, w[2]), None),
    ("setitem bool mask", lambda t, w: t.__setitem__(t.detach() > 1.5, w[0]), "mask"),
    ("setitem index list", lambda t, w: t.__setitem__([2, 0], w[:2]), None),
    ("setitem extra leading dim", lambda t, w: t.__setitem__(slice(0, 2), w[:2].reshape(1, 2)), None),
]


@needs_torch
@pytest.mark.parametrize("name, op, note", INPLACE_CASES, ids=[c[0] for c in INPLACE_CASES])
def test_inplace_writes_of_grad_values_match_torch(name, op, note):
    def run(lib):
        w = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        t = lib.tensor([1.0, 2.0, 4.0])
        alias = t  # every reference to the tensor object sees the graph
        r = op(t, w)
        if r is not None:
            assert r is t
        (alias * lib.tensor([1.0, -2.0, 5.0])).sum().backward()
        return t.detach().numpy(), w.grad.detach().numpy().copy(), t.requires_grad

    mv, mgrad, mreq = run(mg)
    tv, tgrad, treq = run(torch)
    np.testing.assert_allclose(mv, tv, rtol=1e-6)
    np.testing.assert_allclose(mgrad, tgrad, rtol=1e-6)
    assert mreq and treq


def test_inplace_graph_write_keeps_dtype_and_numpy_memory():
    w = mg.tensor([1.0, 2.0], requires_grad=True, dtype=mg.float64)
    arr = np.zeros(2, dtype=np.float32)
    t = mg.from_numpy(arr)
    t.add_(w * 3)
    assert t.dtype == mg.float32 and arr.tolist() == [3.0, 6.0]  # written into the same memory
    t.sum().backward()
    assert w.grad.dtype == mg.float64 and w.grad.tolist() == [3.0, 3.0]


def test_inplace_graph_write_errors():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype"):
        mg.tensor([1, 2]).add_(w)
    with pytest.raises(RuntimeError, match=r"output with shape minigrad.Size\(\[\]\) doesn't match the broadcast shape minigrad.Size\(\[2\]\)"):
        mg.tensor(0.0).add_(w)
    with pytest.raises(RuntimeError, match="0-dimensional value tensor"):
        mg.zeros(2).fill_(w)
    base = mg.zeros(2, 2)
    view = base[0]
    with pytest.raises(RuntimeError, match="shares memory with other tensors"):
        view += w  # base could not be given the graph: refuse rather than detach silently
    with pytest.raises(RuntimeError, match="shares memory with other tensors"):
        base[0] = w * 1
    alias = mg.zeros(2)
    _ = alias.detach()
    with pytest.raises(RuntimeError, match="shares memory"):
        alias.copy_(w)
    assert base.tolist() == [[0, 0], [0, 0]] and not base.requires_grad


def test_inplace_into_a_leaf_that_requires_grad_still_raises_and_no_grad_still_mutates():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w.add_(1.0)
    t = mg.zeros(2)
    with mg.no_grad():
        t.add_(w)
        t[0] = w[1]
    assert t.tolist() == [2.0, 2.0] and not t.requires_grad and t.grad_fn is None


def test_a_graph_that_saved_the_old_value_sees_the_inplace_change():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    t = mg.tensor([3.0, 4.0])
    y = w * t  # saves t
    with pytest.raises(RuntimeError, match="shares memory with other tensors .* or was saved for a backward"):
        t += w
    y.sum().backward()
    assert w.grad.tolist() == [3.0, 4.0]


def test_array_conversion_of_a_tensor_that_requires_grad_raises_like_torch():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    msg = r"Can't call numpy\(\) on Tensor that requires grad. Use tensor.detach\(\).numpy\(\) instead."
    for convert in (np.asarray, np.exp, lambda t: np.array(t, dtype=np.float64)):
        with pytest.raises(RuntimeError, match=msg):
            convert(w)
        with pytest.raises(RuntimeError, match=msg):
            convert(w * 2)
    np.testing.assert_allclose(np.exp(w.detach()), np.exp([1.0, 2.0]), rtol=1e-6)
    with pytest.raises(RuntimeError, match=msg):  # the explicit export refuses too, as PyTorch's
        w.numpy()
    got = w.detach().numpy()  # shares memory with w, as in PyTorch
    got[0] = 99.0
    assert w.tolist() == [99.0, 2.0]
    assert np.asarray(mg.tensor([1, 2])).tolist() == [1, 2]
    t = mg.tensor([1.0])
    assert np.shares_memory(np.asarray(t, copy=False), t.numpy())
    if torch is not None:
        with pytest.raises(RuntimeError, match=msg):
            np.asarray(torch.tensor([1.0], requires_grad=True))


@pytest.mark.parametrize("cast", [
    lambda t: t.long(), lambda t: t.int(), lambda t: t.bool(), lambda t: t.to(mg.int64),
    lambda t: t.to(dtype=mg.uint8), lambda t: t.type(mg.bool_), lambda t: t.to("numpy", mg.int32),
])
def test_casts_to_integer_or_bool_do_not_require_grad(cast):
    w = mg.tensor([1.5, -2.5], requires_grad=True)
    out = cast(w)
    assert not out.requires_grad and out.grad_fn is None and out.dtype.kind in "biu"
    with pytest.raises(RuntimeError, match="does not require grad"):
        out.sum().backward()


def test_float_casts_stay_differentiable():
    w = mg.tensor([1.5, -2.5], requires_grad=True)
    for out in (w.double(), w.half(), w.to(mg.float64), w.float()):
        assert out.requires_grad
    w.double().sum().backward()
    assert w.grad.dtype == mg.float32 and w.grad.tolist() == [1.0, 1.0]


def test_data_assignment():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    y = w * w  # saves w
    w.data = mg.tensor([5.0, 6.0])  # not recorded, but counts as an in-place change
    assert w.tolist() == [5.0, 6.0] and w.requires_grad and w.is_leaf
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.sum().backward()
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype"):
        w.data = np.array([1, 2])
    with pytest.raises(TypeError, match="dtype object"):
        w.data = np.array([None])
    plain = mg.zeros(2)
    plain.data = np.arange(3)  # shape and dtype may change, as in PyTorch
    assert plain.shape == (3,) and plain.dtype == mg.int64


@given(st.sampled_from([(slice(1, 3), (2, 3)), ((0, slice(None)), (3,)), (([2, 0],), (2, 3)),
                        ((slice(None), 1), (1,)), ((Ellipsis, 2), (4,))]),
       st.integers(0, 2**16))
def test_index_put_gradcheck(case, seed):
    from minigrad.ops.inplace import IndexPut
    index, vshape = case
    rng = np.random.default_rng(seed)
    a = mg.tensor(rng.standard_normal((4, 3)), dtype=mg.float64, requires_grad=True)
    v = mg.tensor(rng.standard_normal(vshape), dtype=mg.float64, requires_grad=True)
    assert mg.gradcheck(lambda a, v: IndexPut.apply(a, v, index=index), [a, v])


# In-place ops on a non-leaf in grad mode are recorded too, as in PyTorch.
NONLEAF_CASES = [
    ("add_", lambda y, w: y.add_(w)),
    ("add_ constant", lambda y, w: y.add_(1.5)),
    ("sub_ alpha", lambda y, w: y.sub_(w * w, alpha=0.5)),
    ("mul_", lambda y, w: y.mul_(w)),
    ("mul_ constant", lambda y, w: y.mul_(3.0)),
    ("div_", lambda y, w: y.div_(w + 5)),
    ("copy_ constant", lambda y, w: y.copy_(w.detach() * 7)),
    ("copy_ grad value", lambda y, w: y.copy_(w * w)),
    ("fill_", lambda y, w: y.fill_(2.0)),
    ("zero_", lambda y, w: y.zero_()),
    ("setitem constant", lambda y, w: y.__setitem__(0, 0.0)),
    ("setitem grad value", lambda y, w: y.__setitem__(slice(1, 3), w[:2] * 4)),
    ("setitem mask", lambda y, w: y.__setitem__(y.detach() > 2.5, -1.0)),
    ("chain", lambda y, w: y.add_(w).mul_(w).sub_(1.0)),
]


@needs_torch
@pytest.mark.parametrize("name, op", NONLEAF_CASES, ids=[c[0] for c in NONLEAF_CASES])
def test_inplace_on_a_non_leaf_matches_torch(name, op):
    def run(lib):
        w = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = w * lib.tensor([2.0, 1.0, 0.5]) + w  # a non-leaf; Add saves nothing
        same = y
        op(y, w)
        assert same is y and y.requires_grad and y.grad_fn is not None
        (y * lib.tensor([1.0, -2.0, 5.0])).sum().backward()
        return y.detach().numpy(), w.grad.detach().numpy().copy()

    (mv, mg_grad), (tv, t_grad) = run(mg), run(torch)
    np.testing.assert_allclose(mv, tv, rtol=1e-6)
    np.testing.assert_allclose(mg_grad, t_grad, rtol=1e-6)


def test_inplace_on_a_non_leaf_whose_value_was_saved_is_refused():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    h = w.exp()  # exp saves its output
    with pytest.raises(RuntimeError, match="was saved for a backward pass"):
        h.add_(1.0)
    v = (w * 2)[0:1]  # a view of a non-leaf
    with pytest.raises(RuntimeError, match="shares memory with other tensors"):
        v.mul_(2.0)
    h.sum().backward()  # nothing was changed
    np.testing.assert_allclose(w.grad.detach().numpy().copy(), np.exp([1.0, 2.0]), rtol=1e-6)
