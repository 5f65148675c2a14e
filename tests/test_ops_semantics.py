"""PyTorch semantics of the tensor API that the registry's generic tests don't pin down, each a bug once:
min of unsigned/bool/extreme integers, dims of 0-d tensors, Pow's gradients at a zero base and with Python
scalars (no Python bool reaching ``xp.where``), PyTorch's dim order for int + index-array indexing, type
promotion without PyTorch installed, and shape errors that both NumPy-style and PyTorch-style code can catch.
"""
from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg


def _t(x, backend, **kw):
    return mg.tensor(np.asarray(x), backend=backend, **kw)


# ----------------------------------------------------------------------------- min is not -max(-x)

@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int64])
def test_min_of_integers_at_the_extremes(backend, dtype):
    info = np.iinfo(dtype)
    x = np.array([[info.max, 3], [info.min, 0]], dtype=dtype)
    t = _t(x, backend)
    assert t.min().item() == info.min and t.min().dtype == dtype
    values, indices = t.min(dim=0)
    np.testing.assert_array_equal(values.numpy(), [info.min, 0])
    np.testing.assert_array_equal(indices.numpy(), [1, 1])
    assert values.dtype == dtype
    assert t.max().item() == info.max


def test_min_and_max_of_bool(backend):
    t = _t([[True, False], [True, True]], backend)
    assert t.min().item() is False and t.max().item() is True
    np.testing.assert_array_equal(t.min(dim=1).values.numpy(), [False, True])
    np.testing.assert_array_equal(t.min(dim=1).indices.numpy(), [1, 0])


# ----------------------------------------------------------------------------- 0-d tensors take dim -1 and 0

ZERO_D = {
    "squeeze(-1)": (lambda t: t.squeeze(-1), ()),
    "squeeze(0)": (lambda t: t.squeeze(0), ()),
    "unsqueeze(-1)": (lambda t: t.unsqueeze(-1), (1,)),
    "transpose(0, -1)": (lambda t: t.transpose(0, -1), ()),
    "sum(dim=-1)": (lambda t: t.sum(dim=-1), ()),
    "mean(dim=0, keepdim)": (lambda t: t.mean(dim=0, keepdim=True), ()),
    "max(dim=-1).values": (lambda t: t.max(dim=-1).values, ()),
    "min(dim=0, keepdim).values": (lambda t: t.min(dim=0, keepdim=True).values, ()),
    "flatten()": (lambda t: t.flatten(), (1,)),
}


@pytest.mark.parametrize("name", list(ZERO_D))
def test_zero_d_tensors_accept_dim_minus_one_and_zero(backend, name):
    fn, shape = ZERO_D[name]
    t = _t(2.5, backend, dtype=mg.float64, requires_grad=True)
    out = fn(t)
    assert out.shape == shape and out.numpy().reshape(()) == 2.5
    out.sum().backward()
    assert t.grad.shape == () and t.grad.item() == 1.0


@pytest.mark.parametrize("method", ["argmax", "argmin"])
def test_zero_d_argmax_with_dim(backend, method):
    t = _t(2.5, backend)
    for kw in ({"dim": -1}, {"dim": 0}, {"dim": 0, "keepdim": True}):
        out = getattr(t, method)(**kw)
        assert out.shape == () and out.item() == 0


@pytest.mark.parametrize("fn", [lambda t: t.squeeze(1), lambda t: t.sum(dim=-2), lambda t: t.argmax(dim=1),
                                lambda t: t.transpose(0, 1)])
def test_zero_d_tensors_reject_other_dims(backend, fn):
    with pytest.raises(IndexError, match="out of range"):
        fn(_t(1.0, backend))


# ----------------------------------------------------------------------------- Pow at the edges

def test_pow_grad_wrt_exponent_at_zero_base(backend):
    # PyTorch: d(0**b)/db is -inf for b < 0 (0**b = inf there) and 0 for b >= 0.
    a = _t([0.0, 0.0, 0.0, 0.0, 2.0], backend, requires_grad=True)
    b = _t([-1.0, -0.5, 0.0, 2.0, 0.0], backend, requires_grad=True)
    with np.errstate(divide="ignore"):  # 0 ** -1 = inf, as in PyTorch (NumPy warns)
        (a ** b).sum().backward()
    np.testing.assert_array_equal(b.grad.numpy(), [-np.inf, -np.inf, 0.0, 0.0, np.log(2.0)])
    np.testing.assert_array_equal(a.grad.numpy(), [-np.inf, -np.inf, 0.0, 0.0, 0.0])


def test_pow_grad_wrt_exponent_with_scalar_zero_base(backend):
    b = _t([-1.0, 0.0, 2.0], backend, requires_grad=True)
    with np.errstate(divide="ignore"):
        (0.0 ** b).sum().backward()
    np.testing.assert_array_equal(b.grad.numpy(), [-np.inf, 0.0, 0.0])


POW_SCALAR = {
    "x ** 2": lambda x: x ** 2,
    "x ** 0": lambda x: x ** 0,
    "x ** 0.5 (positive x)": lambda x: (x * x + 1) ** 0.5,
    "2 ** x": lambda x: 2 ** x,
    "0.0 ** x": lambda x: 0.0 ** x,
    "-2.0 ** x": lambda x: (-2.0) ** x,
    "x ** y": lambda x: x ** (x * 0 + 2),
}


@pytest.mark.parametrize("name", list(POW_SCALAR))
def test_pow_with_python_scalar_never_passes_a_python_condition_to_where(backend, monkeypatch, name):
    # CuPy's where needs an array condition; NumPy accepts a Python bool, so make NumPy's where as strict.
    strict = np.where

    def where(cond, *args):
        if isinstance(cond, (bool, int, float)):
            raise TypeError(f"where() got a Python {type(cond).__name__} as condition (CuPy rejects it)")
        return strict(cond, *args)

    monkeypatch.setattr(np, "where", where)
    x = _t([0.5, 1.5, 3.0], backend, dtype=mg.float64, requires_grad=True)
    with np.errstate(invalid="ignore"):
        POW_SCALAR[name](x).sum().backward()
    assert x.grad.shape == (3,)


def test_pow_scalar_edge_gradients_match_pytorch_values(backend):
    x = _t([0.0, 1.0, 2.0], backend, dtype=mg.float64, requires_grad=True)
    (x ** 0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0])
    x.grad = None
    (2 ** x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.log(2) * 2.0 ** np.array([0.0, 1.0, 2.0]), rtol=1e-15)


# ----------------------------------------------------------------------------- indexing order

MIXED = {  # index -> PyTorch's result shape for x of shape (2, 3, 4)
    "int, slice, array": ((0, slice(None), [1, 2]), (3, 2)),
    "slice, int, array": ((slice(None), 0, [1, 2]), (2, 2)),
    "array, slice, int": (([0, 1], slice(None), 0), (2, 3)),
    "int, array, slice": ((1, [2, 0], slice(1, 3)), (2, 2)),
    "ellipsis, int, array": ((Ellipsis, 1, [1, 0]), (2, 2)),
    "int, slice, bool mask": ((0, slice(None), [True, False, True, True]), (3, 3)),
}


@pytest.mark.parametrize("name", list(MIXED))
def test_mixed_int_slice_array_indexing_follows_pytorch(backend, name):
    index, shape = MIXED[name]
    x = np.arange(24.0).reshape(2, 3, 4)
    t = _t(x, backend, requires_grad=True)
    raw = tuple(np.array(i) if isinstance(i, list) else i for i in index)
    out = t[raw]
    assert out.shape == shape
    # PyTorch applies the ints first: the same as indexing the int-selected view with the rest
    first = tuple(i for i in index if isinstance(i, int))
    ints_first = x[index[0]][tuple(raw[1:])] if isinstance(index[0], int) else None
    if ints_first is not None:
        np.testing.assert_array_equal(out.numpy(), ints_first)
    assert first  # every case mixes an int in
    assert mg.gradcheck(lambda a: a[raw], (mg.tensor(x, dtype=mg.float64, requires_grad=True, backend=backend),))


# ----------------------------------------------------------------------------- promotion without torch

def test_integer_meets_float_gives_the_default_dtype(backend):
    i = _t([1, 2], backend)
    for default in (mg.float32, mg.float64):
        mg.set_default_dtype(default)
        assert (i * 2.5).dtype == default
        assert (i / i).dtype == default
        assert (1 / i).dtype == default
        assert i.exp().dtype == default and i.sqrt().dtype == default and i.sigmoid().dtype == default
        assert (i + _t([1.0, 2.0], backend, dtype=mg.float16)).dtype == mg.float16
    assert (i * 2).dtype == mg.int64 and (i ** 2).dtype == mg.int64
    assert (_t([1.0], backend, dtype=mg.float32) + _t(1.0, backend, dtype=mg.float64)).dtype == mg.float32


def test_promotion_cast_is_differentiable(backend):
    x = _t([1.0, 2.0], backend, dtype=mg.float32, requires_grad=True)
    y = _t(3.0, backend, dtype=mg.float64, requires_grad=True)
    out = x * y
    assert out.dtype == mg.float32
    out.sum().backward()
    assert x.grad.dtype == mg.float32 and y.grad.dtype == mg.float64
    np.testing.assert_allclose(y.grad.numpy(), 3.0)


# ----------------------------------------------------------------------------- errors catchable both ways

SHAPE_ERRORS = {
    "matmul": lambda b: _t(np.ones((2, 3)), b) @ _t(np.ones((2, 3)), b),
    "matmul 0-d": lambda b: _t(1.0, b) @ _t(np.ones(3), b),
    "linear": lambda b: mg.nn.functional.linear(_t(np.ones((2, 3)), b), _t(np.ones((4, 2)), b)),
    "reshape": lambda b: _t(np.ones(6), b).reshape(4, 2),
    "view": lambda b: _t(np.ones(6), b).view(5),
    "broadcast add": lambda b: _t(np.ones(3), b) + _t(np.ones(4), b),
    "broadcast mul": lambda b: _t(np.ones((2, 3)), b) * _t(np.ones((3, 2)), b),
    "broadcast pow": lambda b: _t(np.ones(2), b) ** _t(np.ones(3), b),
    "permute": lambda b: _t(np.ones((2, 3)), b).permute(0, 0),
}


@pytest.mark.parametrize("name", list(SHAPE_ERRORS))
@pytest.mark.parametrize("kind", [mg.ShapeError, ValueError, RuntimeError])
def test_shape_errors_are_value_and_runtime_errors(backend, name, kind):
    with pytest.raises(kind, match=r"(?i)shape|broadcast|features|permutation|dimension"):
        SHAPE_ERRORS[name](backend)


@pytest.mark.parametrize("kind", [mg.DimError, IndexError, RuntimeError, ValueError])
def test_dim_errors_are_index_errors_too(backend, kind):
    t = _t(np.ones((2, 3)), backend)
    for fn in (lambda: t.sum(dim=2), lambda: t.transpose(0, -3), lambda: t.unsqueeze(4), lambda: t.max(dim=5)):
        with pytest.raises(kind, match=r"out of range"):
            fn()
