"""Tensor rules with PyTorch's semantics: integer and bool tensors never require grad, requires_grad and .grad
assignment are checked, construction validates its data and warns on a tensor that requires grad, and
reduction dims are checked by value and type."""
from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg
from optional_torch import needs_torch, torch


# ----------------------------------------------------------------------------- integer tensors
INT_MSG = "only Tensors of floating point dtype can require gradients"


@pytest.mark.parametrize("make", [
    lambda: mg.tensor([1, 2], requires_grad=True),
    lambda: mg.tensor([True], requires_grad=True),
    lambda: mg.tensor([1.0], dtype=mg.int32, requires_grad=True),
    lambda: mg.Tensor(np.arange(3), requires_grad=True),
    lambda: mg.arange(3, requires_grad=True),
    lambda: mg.zeros(2, dtype=mg.int64, requires_grad=True),
    lambda: mg.ones(2, dtype=mg.bool_, requires_grad=True),
    lambda: mg.full((2,), 3, requires_grad=True),
    lambda: mg.tensor([1, 2]).requires_grad_(),
    lambda: setattr(mg.tensor([1, 2]), "requires_grad", True),
    lambda: mg.nn.Parameter(mg.tensor([1, 2])),
])
def test_integer_and_bool_tensors_never_require_grad(make):
    with pytest.raises(RuntimeError, match=INT_MSG):
        make()


@needs_torch
def test_integer_requires_grad_errors_exist_in_torch_too():
    with pytest.raises(RuntimeError, match="(?i)only Tensors of floating point"):
        torch.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="(?i)only Tensors of floating point"):
        torch.tensor([1, 2]).requires_grad = True


def test_requires_grad_setter():
    t = mg.zeros(2)
    t.requires_grad = True
    assert t.requires_grad and t.is_leaf
    t.requires_grad = False
    assert not t.requires_grad
    y = mg.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf"):
        y.requires_grad = False
    y.requires_grad = True  # a no-op on a non-leaf, as in PyTorch


# ----------------------------------------------------------------------------- .grad assignment
def test_grad_assignment_is_checked_like_torch():
    w = mg.zeros(2, 3, requires_grad=True)
    w.grad = mg.ones(2, 3)
    w.grad = None
    with pytest.raises(TypeError, match="expected to be a Tensor or None but got grad of type ndarray"):
        w.grad = np.ones((2, 3), dtype=np.float32)
    with pytest.raises(RuntimeError, match=r"assigned grad has shape \(3, 2\) but the tensor has shape \(2, 3\)"):
        w.grad = mg.ones(3, 2)
    with pytest.raises(RuntimeError, match="assigned grad has dtype float64 but the tensor has dtype float32"):
        w.grad = mg.ones(2, 3, dtype=mg.float64)
    assert w.grad is None
    if torch is not None:
        tw = torch.zeros(2, 3, requires_grad=True)
        for bad in (torch.ones(3, 2), torch.ones(2, 3, dtype=torch.float64)):
            with pytest.raises(RuntimeError, match="assign a gradient (of size|with dtype)"):
                tw.grad = bad


@pytest.mark.parametrize("data, match", [
    (None, "dtype object"),
    ("abc", "dtype <U3"),
    (b"x", "dtype |S1"),
    (1j, "dtype complex128"),
    ([1, "a"], "dtype <U21"),
    ({1, 2}, "dtype object"),
    (2**70, "dtype object"),
    (np.array(["2020-01-01"], dtype="datetime64[D]"), "dtype datetime64"),
    (np.array([1 + 2j]), "dtype complex128"),
    (np.array([None]), "dtype object"),
    (np.zeros(2, dtype=[("a", "f4")]), "dtype"),
])
def test_construction_rejects_non_numeric_data(data, match):
    with pytest.raises(TypeError, match=r"tensor\(\): can't make a tensor from data of " + match):
        mg.tensor(data)


def test_construction_errors_for_ragged_data_overflow_and_bad_dtypes():
    with pytest.raises(ValueError, match=r"tensor\(\): can't make a tensor from list data: .*inhomogeneous"):
        mg.tensor([[1, 2], [3]])
    with pytest.raises(ValueError, match="does not fit in int64"):
        mg.tensor(2**63)
    assert mg.tensor(2**63 - 1).item() == 2**63 - 1
    with pytest.raises(TypeError, match=r"tensor\(\): dtype must be a bool, int or float dtype, got complex128"):
        mg.tensor([1.0], dtype=complex)
    with pytest.raises(TypeError, match="to\\(dtype\\): .* got dtype complex64"):
        mg.tensor([1.0]).to(np.complex64)


def test_constructing_from_a_tensor_that_requires_grad_warns_like_torch():
    w = mg.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match=r"copies t's data without its graph"):
        t = mg.tensor(w)
    assert not t.requires_grad and t.tolist() == [1.0, 1.0]
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mg.tensor(w.detach())  # the explicit form is silent


# ----------------------------------------------------------------------------- dims in reductions
# coreops owns dim handling (reduce.normalize_axes, Tensor._dim); these pin the behaviour PyTorch 2.13 has.
@pytest.mark.parametrize("method", ["sum", "mean"])
@pytest.mark.parametrize("dim, shape", [((0, -1), ()), (-1, (2,)), ([0], (3,)), (None, ())])
def test_reduction_dims_that_work(method, dim, shape):
    assert getattr(mg.ones(2, 3), method)(dim).shape == shape


@pytest.mark.parametrize("method", ["sum", "mean"])
def test_reduction_dims_empty_tuple_and_0d_tensor(method):
    x = mg.ones(2, 3)
    assert getattr(x, method)(()).shape == ()
    assert getattr(x, method)(mg.tensor(1)).shape == (2,)


@pytest.mark.parametrize("method", ["sum", "mean", "max", "argmax"])
def test_reduction_dim_out_of_range_names_the_dim(method):
    with pytest.raises(IndexError, match="dimension 5 is out of range"):
        getattr(mg.ones(2, 3), method)(5)


@pytest.mark.parametrize("method", ["sum", "mean", "max", "argmax", "unsqueeze", "squeeze"])
@pytest.mark.parametrize("dim", ["a", 1.5, object()])
def test_reduction_dim_of_the_wrong_type_names_the_dim(method, dim):
    with pytest.raises(TypeError, match="dim"):
        getattr(mg.ones(2, 3), method)(dim)


@pytest.mark.parametrize("method", ["add_", "sub_", "mul_"])
def test_an_operand_numpy_cannot_use_is_a_type_error_naming_the_method(method):
    """NumPy's own error for a str operand is a subclass whose constructor takes other arguments: the error
    must still come out as a readable TypeError that names the method, the operand and the tensor."""
    with pytest.raises(TypeError, match=rf"^{method}: can't apply operand 'x' to a tensor of shape .*\(\[2\]\) and "
                                        "dtype .*float32"):
        getattr(mg.ones(2), method)("x")


def test_an_in_place_write_into_a_leaf_that_requires_grad_names_the_write():
    with pytest.raises(RuntimeError, match=r"^__setitem__: a leaf Variable that requires grad"):
        mg.ones(2, requires_grad=True)[0] = 1.0


def test_generated_in_place_forms_say_what_they_are():
    for name in ("exp_", "clamp_", "sigmoid_", "abs_"):
        assert getattr(mg.Tensor, name).__doc__ == (f"In-place form of ``{name[:-1]}``: writes the result into this "
                                                   "tensor and returns it.")


def test_writing_a_value_that_requires_grad_into_an_integer_tensor_names_the_write():
    t = mg.zeros(2, dtype=mg.int64)
    with pytest.raises(RuntimeError, match="^__setitem__: the value requires grad but this tensor has dtype int64"):
        t[0] = mg.ones(1, requires_grad=True)[0]


def test_where_names_its_condition_in_errors():
    """As PyTorch: the first argument of where is the condition."""
    with pytest.raises(TypeError, match="^where: condition must be a minigrad Tensor, got list$"):
        mg.where([True, False], mg.ones(2), mg.zeros(2))
    with pytest.raises(TypeError, match="^where: condition must be a bool tensor, got Tensor of dtype int64$"):
        mg.where(mg.tensor([1, 0]), mg.ones(2), mg.zeros(2))
    with pytest.raises(TypeError, match="^where: condition must be a bool tensor, got list$"):
        mg.ones(2).where([True, False], mg.zeros(2))
