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
    np.testing.assert_array_equal(values.detach().numpy().copy(), [info.min, 0])
    np.testing.assert_array_equal(indices.detach().numpy().copy(), [1, 1])
    assert values.dtype == dtype
    assert t.max().item() == info.max


def test_min_and_max_of_bool(backend):
    t = _t([[True, False], [True, True]], backend)
    assert t.min().item() is False and t.max().item() is True
    np.testing.assert_array_equal(t.min(dim=1).values.detach().numpy().copy(), [False, True])
    np.testing.assert_array_equal(t.min(dim=1).indices.detach().numpy().copy(), [1, 0])


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
    assert out.shape == shape and out.detach().numpy().reshape(()) == 2.5
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
    np.testing.assert_allclose(b.grad.detach().numpy().copy(), [-np.inf, -np.inf, 0.0, 0.0, np.log(2.0)], rtol=1e-14, atol=0)
    np.testing.assert_array_equal(a.grad.detach().numpy().copy(), [-np.inf, -np.inf, 0.0, 0.0, 0.0])


def test_pow_grad_wrt_exponent_with_scalar_zero_base(backend):
    b = _t([-1.0, 0.0, 2.0], backend, requires_grad=True)
    with np.errstate(divide="ignore"):
        (0.0 ** b).sum().backward()
    np.testing.assert_array_equal(b.grad.detach().numpy().copy(), [-np.inf, 0.0, 0.0])


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
    np.testing.assert_array_equal(x.grad.detach().numpy().copy(), [0.0, 0.0, 0.0])
    x.grad = None
    (2 ** x).sum().backward()
    np.testing.assert_allclose(x.grad.detach().numpy().copy(), np.log(2) * 2.0 ** np.array([0.0, 1.0, 2.0]), rtol=1e-14)  # ulps


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
        np.testing.assert_array_equal(out.detach().numpy(), ints_first)
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
    np.testing.assert_allclose(y.grad.detach().numpy().copy(), 3.0)


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


# ----------------------------------------------------------------------------- the new ops at their edges

def test_maximum_minimum_split_the_gradient_at_ties(backend):
    # PyTorch's rule: equal inputs share the gradient half and half (the registry draws tie-free values).
    a = _t([1.0, 2.0, 3.0], backend, dtype=mg.float64, requires_grad=True)
    b = _t([1.0, 5.0, 3.0], backend, dtype=mg.float64, requires_grad=True)
    (a.maximum(b) * _t([2.0, 4.0, 8.0], backend, dtype=mg.float64)).sum().backward()
    np.testing.assert_array_equal(a.grad.detach().numpy().copy(), [1.0, 0.0, 4.0])
    np.testing.assert_array_equal(b.grad.detach().numpy().copy(), [1.0, 4.0, 4.0])
    a.grad = b.grad = None
    mg.minimum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.detach().numpy().copy(), [0.5, 1.0, 0.5])
    np.testing.assert_array_equal(b.grad.detach().numpy().copy(), [0.5, 0.0, 0.5])


def test_clamp_gradient_passes_at_the_bounds(backend):
    x = _t([-2.0, -1.0, 0.0, 1.0, 2.0], backend, dtype=mg.float64, requires_grad=True)
    x.clamp(-1.0, 1.0).sum().backward()
    np.testing.assert_array_equal(x.grad.detach().numpy().copy(), [0.0, 1.0, 1.0, 1.0, 0.0])
    np.testing.assert_array_equal(x.clamp(min=1.0, max=-1.0).detach().numpy(), [-1.0] * 5)  # min > max: all max
    assert _t([1, 5], backend).clamp(0, 3).dtype == mg.int64
    assert _t([1, 5], backend).clamp(0.5).dtype == mg.get_default_dtype()


def test_prod_gradient_is_exact_at_zeros(backend):
    x = _t([[2.0, 0.0, 3.0], [0.0, 0.0, 4.0]], backend, dtype=mg.float64, requires_grad=True)
    x.prod(dim=1).sum().backward()
    np.testing.assert_array_equal(x.grad.detach().numpy().copy(), [[0.0, 6.0, 0.0], [0.0, 0.0, 0.0]])


def test_var_std_arguments_as_pytorch(backend):
    x = _t([[1.0, 2.0, 4.0], [3.0, 3.0, 3.0]], backend, dtype=mg.float64)
    raw = np.array([[1.0, 2.0, 4.0], [3.0, 3.0, 3.0]])
    np.testing.assert_allclose(x.var().detach().numpy().copy(), raw.var(ddof=1))
    np.testing.assert_allclose(x.var(1, unbiased=False).detach().numpy().copy(), raw.var(axis=1))
    np.testing.assert_allclose(x.var(False).detach().numpy().copy(), raw.var())
    np.testing.assert_allclose(x.std(dim=0, correction=0, keepdim=True).detach().numpy().copy(), raw.std(axis=0, keepdims=True))
    np.testing.assert_allclose(mg.std(x, axis=1).detach().numpy().copy(), raw.std(axis=1, ddof=1))
    with pytest.raises(ValueError, match="unbiased or correction"):
        x.var(0, unbiased=True, correction=0)
    with pytest.raises(RuntimeError, match="floating"):
        _t([1, 2], backend).var()


def test_split_chunk_cat_stack_round_trip(backend):
    x = _t(np.arange(20.0).reshape(4, 5), backend, dtype=mg.float64, requires_grad=True)
    parts = x.split([1, 3, 1], dim=1)
    assert [p.shape for p in parts] == [(4, 1), (4, 3), (4, 1)]
    assert [p.shape for p in x.chunk(3, dim=1)] == [(4, 2), (4, 2), (4, 1)]
    assert [p.shape for p in x.chunk(4, dim=1)] == [(4, 2), (4, 2), (4, 1)]  # PyTorch: at most `chunks` pieces
    y = mg.cat(parts, dim=-1)
    np.testing.assert_array_equal(y.detach().numpy(), x.detach().numpy())
    (mg.stack(x.split(2), dim=0) * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.detach().numpy().copy(), np.full((4, 5), 2.0))


def test_cat_and_where_promote_dtypes(backend):
    f32, i64 = _t([1.0], backend, dtype=mg.float32), _t([2], backend)
    assert mg.cat([f32, i64]).dtype == mg.float32
    assert mg.cat([f32, f32.double()]).dtype == mg.float64
    cond = _t([True], backend)
    assert mg.where(cond, f32, 0.0).dtype == mg.float32
    assert mg.where(cond, i64, 0.5).dtype == mg.get_default_dtype()
    assert mg.where(cond, 1.0, 0.0).dtype == mg.get_default_dtype()
    assert mg.where(cond, i64, 0).dtype == mg.int64


BAD_CALLS = {
    "cat: other dims differ": (lambda b: mg.cat([_t(np.ones((2, 3)), b), _t(np.ones((2, 4)), b)]), mg.ShapeError,
                               "cat"),
    "cat: 0-d": (lambda b: mg.cat([_t(1.0, b), _t(2.0, b)]), mg.ShapeError, "zero-dim"),
    "cat: empty list": (lambda b: mg.cat([]), ValueError, "non-empty"),
    "cat: not tensors": (lambda b: mg.cat([np.ones(2)]), TypeError, "Tensor"),
    "stack: shapes differ": (lambda b: mg.stack([_t(np.ones(2), b), _t(np.ones(3), b)]), mg.ShapeError, "shape"),
    "where: float condition": (lambda b: mg.where(_t([1.0], b), _t([1.0], b), 0.0), TypeError, "bool"),
    "where: shapes": (lambda b: mg.where(_t([True, False], b), _t([1.0, 2.0, 3.0], b), 0.0), mg.ShapeError,
                      "broadcast"),
    "expand: non-1 dim": (lambda b: _t(np.ones((2, 3)), b).expand(4, 3), mg.ShapeError, "size-1"),
    "expand: too few sizes": (lambda b: _t(np.ones((2, 3)), b).expand(3), mg.ShapeError, "number of sizes"),
    "repeat: too few": (lambda b: _t(np.ones((2, 3)), b).repeat(2), mg.ShapeError, "number of repeats"),
    "flip: repeated dim": (lambda b: _t(np.ones((2, 3)), b).flip(0, -2), mg.ShapeError, "more than once"),
    "masked_fill: float mask": (lambda b: _t(np.ones(2), b).masked_fill(_t([1.0, 0.0], b), 0.0), TypeError, "bool"),
    "masked_fill: shape": (lambda b: _t(np.ones(2), b).masked_fill(_t([True, False, True], b), 0.0), mg.ShapeError,
                           "broadcast"),
    "gather: float index": (lambda b: _t(np.ones((2, 2)), b).gather(1, _t([[0.0]], b)), TypeError, "integer"),
    "gather: index too big": (lambda b: _t(np.ones((2, 2)), b).gather(1, _t([[0], [1], [0]], b)), mg.ShapeError,
                              "no larger"),
    "split: sections": (lambda b: _t(np.ones(5), b).split([2, 2]), mg.ShapeError, "add up"),
    "split: size 0": (lambda b: _t(np.ones(5), b).split(0), ValueError, "positive"),
    "chunk: 0": (lambda b: _t(np.ones(5), b).chunk(0), ValueError, "positive"),
    "dot: 2-D": (lambda b: _t(np.ones((2, 2)), b).dot(_t(np.ones((2, 2)), b)), mg.ShapeError, "1-D"),
    "einsum: operand count": (lambda b: mg.einsum("ij,jk->ik", _t(np.ones((2, 2)), b)), ValueError, "operands"),
    "einsum: sizes": (lambda b: mg.einsum("ij,jk->ik", _t(np.ones((2, 3)), b), _t(np.ones((2, 2)), b)),
                      mg.ShapeError, "sizes"),
    "einsum: rank": (lambda b: mg.einsum("ijk->i", _t(np.ones((2, 3)), b)), ValueError, "subscripts"),
    "clamp: no bounds": (lambda b: _t(np.ones(2), b).clamp(), ValueError, "at least one"),
    "sum: dim and axis": (lambda b: _t(np.ones(2), b).sum(dim=0, axis=0), TypeError, "both dim and axis"),
}


@pytest.mark.parametrize("name", list(BAD_CALLS))
def test_bad_arguments_give_clear_errors(backend, name):
    fn, kind, match = BAD_CALLS[name]
    with pytest.raises(kind, match=match):
        fn(backend)


def test_all_any_isnan_isinf(backend):
    x = _t([[0.0, np.nan], [np.inf, -1.0]], backend)
    np.testing.assert_array_equal(x.isnan().detach().numpy().copy(), [[False, True], [False, False]])
    np.testing.assert_array_equal(x.isinf().detach().numpy().copy(), [[False, False], [True, False]])
    assert x.all().item() is False and x.any().item() is True
    np.testing.assert_array_equal(x.all(dim=1).detach().numpy().copy(), [False, True])
    np.testing.assert_array_equal(mg.any(x, axis=0, keepdim=True).detach().numpy().copy(), [[True, True]])
    assert x.all().backend == backend and _t(0.0, backend).any().shape == ()


# ----------------------------------------------------------------------------- factories

def test_eye_linspace_randint(backend):
    e = mg.eye(2, 3, backend=backend)
    assert e.dtype == mg.get_default_dtype() and e.backend == backend
    np.testing.assert_array_equal(e.detach().numpy().copy(), np.eye(2, 3))
    assert mg.eye(3, dtype=mg.int64).dtype == mg.int64
    lin = mg.linspace(-1, 1, 5, backend=backend, dtype=mg.float64)
    np.testing.assert_allclose(lin.detach().numpy().copy(), [-1.0, -0.5, 0.0, 0.5, 1.0])
    assert mg.linspace(0, 1, 0).shape == (0,) and mg.linspace(0, 1, 1).detach().numpy().copy().tolist() == [0.0]
    mg.manual_seed(3)
    r = mg.randint(2, 7, (200,), backend=backend)
    assert r.dtype == mg.int64 and r.backend == backend and r.shape == (200,)
    v = r.detach().numpy().copy()
    assert v.min() == 2 and v.max() == 6  # both ends reached in 200 draws, high excluded
    mg.manual_seed(3)
    np.testing.assert_array_equal(mg.randint(2, 7, (200,)).detach().numpy().copy(), v)  # seeded
    assert mg.randint(5, (2, 3)).shape == (2, 3) and mg.randint(5, (4,)).detach().numpy().copy().max() < 5
    with pytest.raises(ValueError, match="greater"):
        mg.randint(3, 3, (2,))
    with pytest.raises(ValueError, match="non-negative"):
        mg.eye(-1)
    with pytest.raises(ValueError, match="steps"):
        mg.linspace(0, 1, -2)


def test_factories_match_torch():
    torch = pytest.importorskip("torch", reason="PyTorch not installed: cross-check of eye/linspace skipped")
    for args in [(0, 1, 5), (-3.5, 2, 7), (2, -2, 4), (1, 1, 3)]:
        np.testing.assert_allclose(mg.linspace(*args, dtype=mg.float64).detach().numpy().copy(),
                                   torch.linspace(*args, dtype=torch.float64).detach().numpy().copy(), rtol=1e-15, atol=1e-15)
        assert mg.linspace(*args).dtype == torch.linspace(*args).detach().numpy().copy().dtype
    for args in [(3,), (2, 4), (4, 2), (0,)]:
        np.testing.assert_array_equal(mg.eye(*args).detach().numpy().copy(), torch.eye(*args).detach().numpy().copy())


# ----------------------------------------------------------------------------- dims and sizes as PyTorch takes them

def test_dims_accept_int_like_values(backend):
    x = _t(np.arange(6.0).reshape(2, 3), backend)
    assert x.sum(()).shape == () and x.mean([]).shape == ()  # an empty dim list reduces every dim
    assert x.sum(mg.tensor(1)).shape == (2,) and x.sum(np.int64(0)).shape == (3,)
    assert x.sum([0, np.int32(1)]).shape == () and x.var((mg.tensor(0),)).shape == (3,)
    assert x.transpose(np.int64(0), mg.tensor(-1)).shape == (3, 2)
    assert x.reshape(np.int64(3), mg.tensor(2)).shape == (3, 2) and x.size(np.int8(1)) == 3
    assert x.argmax(dim=mg.tensor(0)).shape == (3,)


@pytest.mark.parametrize("dim", ["a", 1.5, None, True, object(), [0.5]])
@pytest.mark.parametrize("method", ["unsqueeze", "squeeze", "transpose", "argmax", "sum", "prod", "cumsum", "size",
                                    "flip", "split", "chunk"])
def test_dims_of_the_wrong_type_name_the_dim(backend, method, dim):
    x = _t(np.ones((2, 3)), backend)
    if dim is None and method in ("squeeze", "argmax", "sum", "prod", "size"):
        return  # None means "every dim" there
    args = {"transpose": (dim, 0), "split": (1, dim), "chunk": (2, dim), "flip": (dim,)}.get(method, (dim,))
    with pytest.raises(TypeError, match="dim"):
        getattr(x, method)(*args)


@pytest.mark.parametrize("shape", [(None,), ("a",), (1.5, 4), ((2, (3,)),)])
def test_reshape_of_non_int_sizes_names_the_shape(backend, shape):
    with pytest.raises(TypeError, match="reshape: shape"):
        _t(np.ones(6), backend).reshape(*shape)


def test_reshape_to_an_impossible_size_is_a_shape_error(backend):
    with pytest.raises(mg.ShapeError, match="reshape"):
        _t(np.ones(6), backend).reshape(2**62)
    with pytest.raises(mg.DimError, match="0-d"):
        _t(1.0, backend).size(0)
