"""NaN, dtype and argument edges of single ops and of backward(), each against PyTorch, plus properties over
the public API (hypothesis) for the families: var/std corrections, integer powers, negative pad amounts,
backward's gradient dtypes, float16 accumulation."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn.functional as F

torch = pytest.importorskip("torch", reason="PyTorch not installed: these edges are defined by its behaviour")
TF = torch.nn.functional
FEW = settings(max_examples=25, deadline=None)


def _quiet(fn, *a, **kw):
    with warnings.catch_warnings():  # PyTorch warns about degrees of freedom <= 0; the values are the point
        warnings.simplefilter("ignore")
        return fn(*a, **kw)


# ------------------------------------------------------------------ masked_fill with a tensor value
def test_masked_fill_differentiates_a_0d_value_tensor():
    m = [True, False, True, True]
    x, v = mg.ones(4, requires_grad=True), mg.tensor(2.0, requires_grad=True)
    tx, tv = torch.ones(4, requires_grad=True), torch.tensor(2.0, requires_grad=True)
    g = np.arange(1.0, 5.0, dtype=np.float32)
    x.masked_fill(mg.tensor(m), v).backward(mg.tensor(g))
    tx.masked_fill(torch.tensor(m), tv).backward(torch.tensor(g))
    assert v.grad.item() == tv.grad.item() == 1 + 3 + 4
    np.testing.assert_array_equal(x.grad.detach().numpy().copy(), tx.grad.detach().numpy().copy())


def test_masked_fill_refuses_a_one_element_1d_value_tensor():
    with pytest.raises(RuntimeError, match="0-dimensional value tensor"):
        mg.ones(3).masked_fill(mg.tensor([True, False, True]), mg.tensor([2.0]))


@FEW
@given(shape=st.lists(st.integers(1, 4), min_size=0, max_size=3), seed=st.integers(0, 2**16))
def test_masked_fill_value_gradient_is_the_masked_sum(shape, seed):
    rng = np.random.default_rng(seed)
    m, g = rng.random(shape) < 0.5, rng.standard_normal(shape)
    v = mg.tensor(0.5, dtype=mg.float64, requires_grad=True)
    mg.zeros(*shape, dtype=mg.float64).masked_fill(mg.tensor(m), v).backward(mg.tensor(g))
    np.testing.assert_allclose(v.grad.item(), g[m].sum(), rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------ var / std
@pytest.mark.parametrize("fn", ["var", "std"])
def test_var_and_std_of_an_empty_input_are_nan(fn):
    assert np.isnan(getattr(mg.zeros(0), fn)().item())
    assert np.isnan(getattr(mg.zeros(0, 3), fn)(0).detach().numpy().copy()).all()


@FEW
@given(n=st.integers(0, 4), correction=st.integers(0, 6), fn=st.sampled_from(["var", "std"]), seed=st.integers(0, 99))
def test_var_and_std_with_any_correction_match_torch(n, correction, fn, seed):
    x = np.random.default_rng(seed).standard_normal((n, 2))
    got = getattr(mg.tensor(x), fn)(0, correction=correction).detach().numpy().copy()
    want = _quiet(getattr(torch.tensor(x), fn), 0, correction=correction).detach().numpy().copy()
    np.testing.assert_allclose(got, want, rtol=1e-12, equal_nan=True)


# ------------------------------------------------------------------ backward(gradient) and the root's .grad
@pytest.mark.parametrize("gdtype", ["int64", "float64", "bool"])
def test_backward_casts_the_gradient_to_the_outputs_dtype(gdtype):
    g = np.array([1, 1, 0]).astype(gdtype)
    x, tx = mg.ones(3, requires_grad=True), torch.ones(3, requires_grad=True)
    x[[0, 0, 1]].backward(mg.tensor(g))
    tx[[0, 0, 1]].backward(torch.tensor(g))
    assert x.grad.dtype == mg.float32
    np.testing.assert_array_equal(x.grad.detach().numpy().copy(), tx.grad.detach().numpy().copy())
    (x * 2).sum().backward()  # the next backward adds into a float32 .grad
    assert x.grad.dtype == mg.float32
    leaf, tleaf = mg.zeros(3, requires_grad=True), torch.zeros(3, requires_grad=True)
    leaf.backward(mg.tensor(g))  # the root is the leaf: its .grad is the gradient itself, cast
    tleaf.backward(torch.tensor(g))
    assert leaf.grad.dtype == mg.float32
    np.testing.assert_array_equal(leaf.grad.detach().numpy().copy(), tleaf.grad.detach().numpy().copy())
    leaf.backward(mg.tensor([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(leaf.grad.detach().numpy().copy(), tleaf.grad.detach().numpy().copy() + [1.0, 2.0, 3.0])


@FEW
@given(out=st.sampled_from(["float16", "float32", "float64"]), grad=st.sampled_from(["bool", "int32", "int64",
                                                                                      "float16", "float32", "float64"]))
def test_the_leaf_grad_keeps_its_dtype_whatever_the_gradients_dtype(out, grad):
    x = mg.ones(2, dtype=out, requires_grad=True)
    x.backward(mg.tensor(np.array([0, 1]).astype(grad)))  # a leaf as the root: its .grad is made from it
    assert x.grad.dtype == np.dtype(out)
    (x * 3).backward(mg.tensor(np.array([1, 0]).astype(grad)))
    assert x.grad.dtype == np.dtype(out)
    np.testing.assert_array_equal(x.grad.detach().numpy().copy(), [3, 1])


def test_retain_grad_on_the_root_of_backward():
    x = mg.ones(3, requires_grad=True)
    y = (x * 2).sum()
    y.retain_grad()
    y.backward()
    assert y.grad is not None and y.grad.item() == 1.0
    z = x * 2
    z.retain_grad()
    z.backward(mg.tensor([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(z.grad.detach().numpy().copy(), [1.0, 2.0, 3.0])


# ------------------------------------------------------------------ NaN and dtype edges of single ops
def test_logsumexp_of_a_row_with_nan_has_nan_gradients():
    v = [[1.0, float("nan"), 2.0], [1.0, 2.0, 3.0]]
    x, tx = mg.tensor(v, requires_grad=True), torch.tensor(v, requires_grad=True)
    x.logsumexp(1).sum().backward()
    torch.logsumexp(tx, 1).sum().backward()
    assert np.isnan(x.grad.detach().numpy().copy()[0]).all()
    np.testing.assert_allclose(x.grad.detach().numpy().copy(), tx.grad.detach().numpy().copy(), rtol=1e-6, equal_nan=True)


@pytest.mark.parametrize("op", ["cumsum", "sum", "mean"])
def test_float16_reductions_accumulate_in_float32(op):
    x = np.ones(4096, dtype=np.float16)
    got = getattr(mg.tensor(x), op)(0).detach().numpy().copy()
    want = getattr(torch.tensor(x), op)(0).detach().numpy().copy()
    assert got.dtype == np.float16
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("fn", ["var", "std"])
def test_float16_var_and_std_accumulate_in_float32(fn):
    x = (np.random.default_rng(0).standard_normal(5000) * 3 + 100).astype(np.float16)  # squares overflow float16
    got, want = getattr(mg.tensor(x), fn)().detach().numpy().copy(), getattr(torch.tensor(x), fn)().detach().numpy().copy()
    assert got.dtype == np.float16 and np.isfinite(got)
    # both round the float32 result once to float16: at most one float16 step apart
    assert abs(float(got) - float(want)) <= float(np.spacing(want))


def test_float16_sigmoid_and_its_gradient_in_the_tail():
    x, tx = mg.tensor(-12.0, dtype=mg.float16, requires_grad=True), torch.tensor(-12.0, dtype=torch.float16,
                                                                                 requires_grad=True)
    y, ty = x.sigmoid(), tx.sigmoid()
    y.backward()
    ty.backward()
    assert y.item() == ty.item() > 0
    assert x.grad.item() == tx.grad.item() > 0


def test_a_float_tensor_is_not_a_python_index():
    with pytest.raises(TypeError, match="integer tensors"):
        [1, 2, 3][mg.tensor(1.7)]
    with pytest.raises(TypeError, match="integer tensors"):
        range(mg.tensor(2.9))
    assert [1, 2, 3][mg.tensor(1)] == 2 and len(range(mg.tensor(2))) == 2


@pytest.mark.parametrize("target", [2.0, -0.5])
def test_binary_cross_entropy_refuses_targets_outside_0_1(target):
    with pytest.raises(ValueError, match="target must be in \\[0, 1\\]"):
        F.binary_cross_entropy(mg.tensor([0.5]), mg.tensor([target]))
    with pytest.raises(RuntimeError):
        TF.binary_cross_entropy(torch.tensor([0.5]), torch.tensor([target]))


def test_max_pool2d_gradient_of_windows_that_are_all_minus_infinity():
    v = np.full((1, 1, 2, 2), -np.inf, dtype=np.float32)
    x, tx = mg.tensor(v, requires_grad=True), torch.tensor(v, requires_grad=True)
    y, idx = F.max_pool2d(x, 2, stride=1, padding=1, return_indices=True)
    ty, tidx = TF.max_pool2d(tx, 2, stride=1, padding=1, return_indices=True)
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_array_equal(x.grad.detach().numpy().copy(), tx.grad.detach().numpy().copy())  # [[4, 2], [2, 1]]
    np.testing.assert_array_equal(idx.detach().numpy().copy(), tidx.detach().numpy().copy())


def test_reshape_refuses_sizes_below_minus_one():
    with pytest.raises(RuntimeError, match="invalid shape dimension -2"):
        mg.zeros(6).reshape(-2, 3)
    assert mg.zeros(6).reshape(-1, 3).shape == (2, 3)


def test_linear_on_a_0d_input_says_so():
    with pytest.raises(mg.ShapeError, match="0-D"):
        F.linear(mg.tensor(1.0), mg.ones(2, 1))


def test_integer_power_with_a_negative_python_exponent_is_refused_as_in_torch():
    with pytest.raises(RuntimeError, match="negative integer powers"):
        mg.tensor([1, 2]) ** -2
    with pytest.raises(RuntimeError, match="negative integer powers"):
        torch.tensor([1, 2]) ** -2


@FEW
@given(base=st.lists(st.integers(-3, 3), min_size=1, max_size=8), seed=st.integers(0, 99),
       dtype=st.sampled_from(["int32", "int64"]))
def test_integer_power_with_negative_exponent_tensors_matches_torch(base, seed, dtype):
    b = np.array(base, dtype=dtype)
    e = np.random.default_rng(seed).integers(-4, 4, b.shape).astype(dtype)
    got = (mg.tensor(b) ** mg.tensor(e)).detach().numpy().copy()
    want = (torch.tensor(b) ** torch.tensor(e)).detach().numpy().copy()
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


@FEW
@given(mode=st.sampled_from(["reflect", "replicate", "circular"]),
       pad=st.lists(st.integers(-2, 2), min_size=4, max_size=4), seed=st.integers(0, 99))
def test_negative_pad_amounts_crop_in_every_mode_as_in_torch(mode, pad, seed):
    x = np.random.default_rng(seed).standard_normal((1, 2, 4, 5))
    try:
        want = TF.pad(torch.tensor(x, requires_grad=True), pad, mode=mode)
    except RuntimeError:
        with pytest.raises((RuntimeError, ValueError)):
            F.pad(mg.tensor(x), pad, mode=mode)
        return
    xm, xt = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    got, want = F.pad(xm, pad, mode=mode), TF.pad(xt, pad, mode=mode)
    np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy())
    g = np.random.default_rng(seed + 1).standard_normal(want.shape)
    got.backward(mg.tensor(g))
    want.backward(torch.tensor(g))
    np.testing.assert_allclose(xm.grad.detach().numpy().copy(), xt.grad.detach().numpy().copy(), rtol=1e-12, atol=1e-12)
