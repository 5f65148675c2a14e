"""In-place edits of what an op saved for backward: caught, or harmless; and never a false conflict.

The rule (PyTorch's): every tensor an op's backward reads (float or integer, an input, an index given as a
keyword, or the output, and every view of one) is version-checked, so an in-place edit between forward and
backward raises instead of giving a silently wrong gradient; a copy (a reshape that could not be a view)
has its own version counter, so editing it is not an edit of its source.
"""
from __future__ import annotations

import importlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn.functional as F
import opinfo

ALL = list(opinfo.OPS)
for _mod in ("opinfo_nn", "opinfo_losses"):
    ALL += importlib.import_module(_mod).OPS
DIFFERENTIABLE = [op for op in ALL if op.differentiable]
MODIFIED = "modified by an in-place operation"


def _tensors(s):
    """The sample's arrays as tensors; the float ones in ``s.grad`` (or all float ones) require grad."""
    args = [mg.tensor(a, requires_grad=(a.dtype.kind == "f" if s.grad is None else i in s.grad))
            if isinstance(a, np.ndarray) else a for i, a in enumerate(s.args)]
    kwargs = {k: mg.tensor(v) if isinstance(v, np.ndarray) else v for k, v in s.kwargs.items()}
    return args, kwargs


def _rolled(t: mg.Tensor) -> np.ndarray:
    """The same values in another order: an index stays in range and a value stays in the op's domain."""
    return np.roll(t.detach().numpy().copy().reshape(-1), 1).reshape(t.shape)


def _grads(op, s, edit=None):
    args, kwargs = _tensors(s)
    out = op.op(*args, **kwargs)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    out = outs[0]
    targets = [a for a in args if isinstance(a, mg.Tensor)] + [v for v in kwargs.values() if isinstance(v, mg.Tensor)]
    if edit is not None:
        t = (targets + [out])[edit]
        with mg.no_grad():
            try:
                t.copy_(mg.tensor(_rolled(t), dtype=t.dtype))
            except ValueError as e:  # a read-only broadcast view (expand) can't be edited at all
                assert "read-only" in str(e)
                return None
    rng = np.random.default_rng(0)
    out.backward(mg.tensor(rng.standard_normal(out.shape), dtype=out.dtype))
    return [a.grad.detach().numpy().copy() if a.grad is not None else None for a in args if isinstance(a, mg.Tensor)]


@pytest.mark.parametrize("op", [pytest.param(op, id=op.name) for op in DIFFERENTIABLE])
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_an_in_place_edit_between_forward_and_backward_is_caught_or_harmless(op, data):
    """Over the registry: edit each tensor argument and the output in place after forward (its values
    permuted); backward must either raise the version error or give the gradient of the unedited graph."""
    s = data.draw(op.samples("float64"))
    args, kwargs = _tensors(s)
    out = op.op(*args, **kwargs)
    out = out[0] if isinstance(out, (tuple, list)) else out
    if not out.requires_grad:
        return
    clean = _grads(op, s)
    n = sum(isinstance(a, mg.Tensor) for a in args) + sum(isinstance(v, mg.Tensor) for v in kwargs.values()) + 1
    for edit in range(n):
        try:
            edited = _grads(op, s, edit)
        except RuntimeError as e:
            assert MODIFIED in str(e)
            continue
        if edited is None:
            continue
        for c, g in zip(clean, edited):
            assert (c is None) == (g is None)
            if c is not None:
                np.testing.assert_array_equal(g, c, err_msg=f"{op.name}: argument {edit} edited in place after "
                                              "forward changed the gradient without an error")


def _backward_raises(loss):
    with pytest.raises(RuntimeError, match=MODIFIED):
        loss.backward()


def test_editing_the_indices_of_embedding():
    w, i = mg.randn(5, 3, requires_grad=True), mg.tensor([0, 1])
    y = F.embedding(i, w)
    i.add_(1)
    _backward_raises(y.sum())


@pytest.mark.parametrize("pick", [lambda w, i: w[i], lambda w, i: w[0, i], lambda w, i: w[:, i]],
                         ids=["x[idx]", "x[0, idx]", "x[:, idx]"])
def test_editing_an_index_tensor_of_getitem(pick):
    w, i = mg.randn(3, 3, requires_grad=True), mg.tensor([0, 1])
    y = pick(w, i)
    i.add_(1)
    _backward_raises(y.sum())


def test_editing_a_bool_mask_of_getitem():
    w, m = mg.randn(4, requires_grad=True), mg.tensor([True, False, True, False])
    y = w[m]
    m.copy_(mg.tensor([False, True, False, True]))
    _backward_raises(y.sum())


def test_editing_the_index_of_gather():
    w, i = mg.randn(3, 3, requires_grad=True), mg.tensor([[0], [1], [2]])
    y = w.gather(1, i)
    i.add_(0)  # a version bump is enough: the values backward reads might have changed
    _backward_raises(y.sum())


def test_editing_the_index_of_index_put():
    b, v, i = mg.zeros(5), mg.randn(2, requires_grad=True), mg.tensor([0, 1])
    b[i] = v
    i.add_(1)
    _backward_raises(b.sum())


def test_editing_a_float_operand_of_einsum():
    a, b = mg.randn(2, 3, requires_grad=True), mg.randn(3)
    y = mg.einsum("ij,j->i", a, b)
    b.mul_(2)
    _backward_raises(y.sum())


def test_editing_a_conv_transpose2d_input_that_shares_memory_with_a_conv2d_output():
    y = F.conv2d(mg.randn(1, 1, 5, 5), mg.randn(1, 1, 3, 3))  # a strided view: conv_transpose2d reads it as is
    w = mg.randn(1, 1, 3, 3, requires_grad=True)
    z = F.conv_transpose2d(y, w)
    y.mul_(0)
    _backward_raises(z.sum())


def test_a_reshape_that_copies_has_its_own_version():
    x = mg.randn(2, 3, requires_grad=True)
    y = x.exp()  # saves its output
    flat = y.T.reshape(-1)  # not contiguous: a copy
    flat.mul_(0)  # recorded into the copy, not an edit of y
    y.sum().backward()
    np.testing.assert_allclose(x.grad.detach().numpy().copy(), np.exp(x.detach().numpy()))
    with mg.no_grad():
        x.T.reshape(-1).mul_(0)  # a copy: x itself stays as it is
    assert x._version == 0 and np.all(x.detach().numpy() != 0)


def test_a_reshape_that_is_a_view_shares_the_version():
    x = mg.randn(2, 3, requires_grad=True)
    y = x.exp()
    with mg.no_grad():
        y.reshape(-1).mul_(0)
    _backward_raises(y.sum())
