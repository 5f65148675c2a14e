"""nn.functional at the edges of its inputs where PyTorch computes: integer tensors in the activations, pooling
and pairwise_distance (the integer paths run on every backend here, strict included, since the registry compares
int64 with PyTorch on numpy only); a negative eps in layer_norm/group_norm where var + eps turns negative (NaN
as in PyTorch); hardshrink's test with NaN and a negative lambd; 0-d inputs of normalize, cosine_similarity and
pairwise_distance; replicate and reflect padding that crop past the edge. Each case runs the same call in PyTorch and
compares dtype, values and, for floating inputs, gradients; where PyTorch refuses, minigrad must refuse too.
"""
from __future__ import annotations

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from optional_torch import needs_torch, torch

pytestmark = needs_torch
TF = torch.nn.functional if torch is not None else None


def _both(fn_mg, fn_torch, arrays, backend, grad: bool = False, seed: int = 0):
    """Run the call in both libraries on the same arrays; compare the outputs' dtype and values, and with
    ``grad`` the gradients of every input for one random upstream gradient (NaN where PyTorch has NaN)."""
    ms = [mg.tensor(a, requires_grad=grad, backend=backend) for a in arrays]
    ts = [torch.tensor(a, requires_grad=grad) for a in arrays]
    got, want = fn_mg(*ms), fn_torch(*ts)
    assert str(got.dtype) == str(want.dtype).removeprefix("torch."), (got.dtype, want.dtype)
    assert tuple(got.shape) == tuple(want.shape)
    g_np, w_np = got.detach().numpy(), want.detach().numpy()
    if w_np.dtype.kind == "f":  # a few roundings per element (a window sum, a division): 16 eps of the dtype
        tol = 16 * float(np.finfo(w_np.dtype).eps)
        scale = float(np.abs(w_np[np.isfinite(w_np)]).max(initial=0.0))
        np.testing.assert_allclose(g_np, w_np, rtol=tol, atol=tol * scale, equal_nan=True)
    else:
        np.testing.assert_array_equal(g_np, w_np)
    if grad:
        g = np.random.default_rng(seed).standard_normal(tuple(want.shape))
        got.backward(mg.tensor(g, dtype=got.dtype, backend=backend))
        want.backward(torch.tensor(g, dtype=want.dtype))
        for m, t in zip(ms, ts):
            # the same formulas in float64: equal up to the rounding of a few operations
            np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), rtol=1e-13, atol=1e-13, equal_nan=True)
    return got


def _raises_as_torch(fn_mg, fn_torch, array, backend):
    with pytest.raises(Exception):  # noqa: B017 - PyTorch's refusal, whatever its type, is what we check
        fn_torch(torch.tensor(array))
    with pytest.raises((TypeError, RuntimeError, ValueError)):
        fn_mg(mg.tensor(array, backend=backend))


# ------------------------------------------------------------------------------------ integer activations
INT_ACTIVATIONS = {
    "hardtanh": lambda F_, x: F_.hardtanh(x, -2.5, 3.5),  # bounds truncated toward zero: -2, 3
    "hardtanh_default": lambda F_, x: F_.hardtanh(x),
    "relu6": lambda F_, x: F_.relu6(x),
    "threshold": lambda F_, x: F_.threshold(x, 1.5, 100),  # 1.5 -> 1: 2 passes, 1 becomes 100
    "threshold_negative": lambda F_, x: F_.threshold(x, -1.5, -2.7),  # -1, -2
    "softsign": lambda F_, x: F_.softsign(x),  # the default float dtype
    "tanhshrink": lambda F_, x: F_.tanhshrink(x),
}


@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "int8"])
@pytest.mark.parametrize("name", sorted(INT_ACTIVATIONS))
def test_integer_activations_match_torch(backend, name, dtype):
    fn = INT_ACTIVATIONS[name]
    x = np.arange(-9, 10).astype(dtype).reshape(1, 19)
    _both(lambda t: fn(F, t), lambda t: fn(TF, t), [x], backend)


BAD_INT_CALLS = {
    "bound out of int8": (lambda F_, x: F_.hardtanh(x, -1000, 2), "int8"),
    "bound out of int64": (lambda F_, x: F_.hardtanh(x, -1e30, 2), "int64"),
    "negative bound for uint8": (lambda F_, x: F_.hardtanh(x, -1, 2), "uint8"),
    "nan threshold": (lambda F_, x: F_.threshold(x, float("nan"), 1), "int64"),
    "inf value": (lambda F_, x: F_.threshold(x, 1, float("inf")), "int64"),
    "value out of int8": (lambda F_, x: F_.threshold(x, 1, 1000), "int8"),
    "bool hardtanh": (lambda F_, x: F_.hardtanh(x), "bool"),
    "bool relu6": (lambda F_, x: F_.relu6(x), "bool"),
    "bool threshold": (lambda F_, x: F_.threshold(x, 0, 1), "bool"),
    "bool softsign": (lambda F_, x: F_.softsign(x), "bool"),
    "bool tanhshrink": (lambda F_, x: F_.tanhshrink(x), "bool"),
    "bool pairwise_distance": (lambda F_, x: F_.pairwise_distance(x, x), "bool"),
    "int32 avg_pool2d": (lambda F_, x: F_.avg_pool2d(x.reshape(1, 1, 2, 2), 2), "int32"),
    "bool avg_pool1d": (lambda F_, x: F_.avg_pool1d(x.reshape(1, 1, 4), 2), "bool"),
}


@pytest.mark.parametrize("name", sorted(BAD_INT_CALLS))
def test_integer_inputs_torch_refuses_are_refused(backend, name):
    fn, dtype = BAD_INT_CALLS[name]
    x = np.array([0, 1, 1, 0]).astype(dtype)
    _raises_as_torch(lambda t: fn(F, t), lambda t: fn(TF, t), x, backend)


# ------------------------------------------------------------------------------------------ int64 pooling
POOL_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    dict(kernel_size=(3, 2), stride=(1,), padding=(1,), ceil_mode=True),
    dict(kernel_size=(2,), divisor_override=3),
    dict(kernel_size=2, stride=1, divisor_override=-3),
]


@pytest.mark.parametrize("i", range(len(POOL_CASES)))
def test_int64_avg_pool_rounds_toward_zero_as_torch(backend, i):
    kw = POOL_CASES[i]
    x = np.random.default_rng(i).integers(-50, 50, (2, 3, 5, 7))
    _both(lambda t: F.avg_pool2d(t, **kw), lambda t: TF.avg_pool2d(t, **kw), [x], backend)
    x1 = x[:, :, 0]
    kw1 = {k: (v[0] if isinstance(v, tuple) else v) for k, v in kw.items() if k != "divisor_override"}
    _both(lambda t: F.avg_pool1d(t, **kw1), lambda t: TF.avg_pool1d(t, **kw1), [x1], backend)


def test_float_avg_pool_takes_one_element_tuples_and_a_negative_divisor(backend):
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 5))
    kw = dict(kernel_size=(3,), stride=(2,), padding=(1,), divisor_override=-2)
    got = _both(lambda t: F.avg_pool2d(t, **kw), lambda t: TF.avg_pool2d(t, **kw), [x], backend, grad=True)
    assert got.shape == (2, 3, 3, 3)
    with pytest.raises(ValueError, match="divisor_override"):
        F.avg_pool2d(mg.tensor(x, backend=backend), 2, divisor_override=0)
    with pytest.raises(ValueError, match="padding"):
        F.avg_pool2d(mg.tensor(x, backend=backend), 3, padding=())  # PyTorch: one or two ints


@pytest.mark.parametrize("layer", ["AvgPool2d", "MaxPool2d"])
def test_pooling_layers_take_one_element_tuples_as_torch(backend, layer):
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 5))
    kw = dict(kernel_size=(3,), stride=(2,), padding=(1,))
    m, t = getattr(mg.nn, layer)(**kw), getattr(torch.nn, layer)(**kw)
    _both(m, t, [x], backend, grad=True)
    assert repr(m) == repr(t)


def test_integer_pairwise_distance_matches_torch(backend):
    rng = np.random.default_rng(0)
    a, b = rng.integers(-9, 9, (4, 5)), rng.integers(-9, 9, (1, 5))
    for p in (1.0, 2.0, 0.0, float("inf")):
        _both(lambda x, y: F.pairwise_distance(x, y, p), lambda x, y: TF.pairwise_distance(x, y, p), [a, b],
              backend)
    # int64 with float64: float64, as PyTorch promotes
    _both(F.pairwise_distance, TF.pairwise_distance, [a, b.astype(np.float64)], backend)


# --------------------------------------------------------------------------------------- negative eps
@pytest.mark.parametrize("which", ["layer_norm", "group_norm"])
def test_negative_eps_gives_nan_where_var_plus_eps_is_negative_as_torch(backend, which):
    rng = np.random.default_rng(1)
    # rows with variance far below and far above 0.5: half the groups give NaN, half finite values
    x = np.concatenate([rng.uniform(-0.1, 0.1, (3, 8)), rng.uniform(-3, 3, (3, 8))])[rng.permutation(6)]
    x = x.reshape(3, 2, 8)
    if which == "layer_norm":
        fm, ft = (lambda t: F.layer_norm(t, (8,), eps=-0.5)), (lambda t: TF.layer_norm(t, (8,), eps=-0.5))
    else:
        fm, ft = (lambda t: F.group_norm(t, 2, eps=-0.5)), (lambda t: TF.group_norm(t, 2, eps=-0.5))
    ms, ts = mg.tensor(x, requires_grad=True, backend=backend), torch.tensor(x, requires_grad=True)
    got, want = fm(ms), ft(ts)
    assert np.isnan(want.detach().numpy()).any() and np.isfinite(want.detach().numpy()).any()
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-13, atol=1e-13, equal_nan=True)
    g = rng.standard_normal(x.shape)
    got.backward(mg.tensor(g, backend=backend))
    want.backward(torch.tensor(g))
    np.testing.assert_allclose(ms.grad.numpy(), ts.grad.numpy(), rtol=1e-12, atol=1e-12, equal_nan=True)


def test_batch_norm_keeps_refusing_a_negative_eps_in_training_as_torch(backend):
    x = np.ones((2, 3))
    with pytest.raises(ValueError, match="eps"):
        F.batch_norm(mg.tensor(x, backend=backend), None, None, training=True, eps=-0.5)
    with pytest.raises(ValueError, match="eps"):
        TF.batch_norm(torch.tensor(x), None, None, training=True, eps=-0.5)


# ------------------------------------------------------------------------------------------- hardshrink
@pytest.mark.parametrize("lambd", [0.5, -0.5, 0.0, float("inf"), float("nan")])
def test_hardshrink_uses_torchs_test_for_any_lambd(backend, lambd):
    # 64 elements: PyTorch's vectorized kernel handles them all (its scalar loop, for a remainder shorter than
    # a vector, passes the gradient of a NaN where the vectorized one gives 0; minigrad follows the latter)
    x = np.resize([-1.0, -0.5, -0.2, 0.0, 0.5, 1.0, np.nan, np.inf, -np.inf, 0.7, -0.7, 2.0, -3.0, 0.3, -0.3, 1e-3],
                  64)
    _both(lambda t: F.hardshrink(t, lambd), lambda t: TF.hardshrink(t, lambd), [x], backend, grad=True)


def test_softshrink_keeps_refusing_a_negative_lambd_as_torch(backend):
    _raises_as_torch(lambda t: F.softshrink(t, -0.5), lambda t: TF.softshrink(t, -0.5), np.ones(3), backend)


# ---------------------------------------------------------------------------------------------- 0-d inputs
ZERO_D = {
    "normalize": (lambda F_, a, b: F_.normalize(a, dim=0), 1),
    "normalize_p1_dim-1": (lambda F_, a, b: F_.normalize(a, p=1, dim=-1), 1),
    "normalize_below_eps": (lambda F_, a, b: F_.normalize(a * 1e-13, dim=0), 1),
    "cosine_similarity": (lambda F_, a, b: F_.cosine_similarity(a, b, dim=0), 2),
    "cosine_similarity_with_zero": (lambda F_, a, b: F_.cosine_similarity(a, b * 0, dim=-1), 2),
    "pairwise_distance": (lambda F_, a, b: F_.pairwise_distance(a, b), 2),
    "pairwise_distance_keepdim_p1": (lambda F_, a, b: F_.pairwise_distance(a, b, p=1.0, keepdim=True), 2),
}


@pytest.mark.parametrize("name", sorted(ZERO_D))
def test_zero_d_inputs_are_one_element_vectors_as_in_torch(backend, name):
    fn, n = ZERO_D[name]
    arrays = [np.array(2.5), np.array(-3.0)][:n]
    if n == 1:
        got = _both(lambda a: fn(F, a, None), lambda a: fn(TF, a, None), arrays, backend, grad=True)
    else:
        got = _both(lambda a, b: fn(F, a, b), lambda a, b: fn(TF, a, b), arrays, backend, grad=True)
    assert got.shape == ()


def test_zero_d_dims_out_of_range_are_refused(backend):
    x = mg.tensor(2.5, backend=backend)
    with pytest.raises(IndexError, match="dim"):
        F.normalize(x)  # dim=1, as PyTorch refuses
    with pytest.raises(IndexError, match="dim"):
        F.cosine_similarity(x, x)


# ------------------------------------------------------------------------ replicate and reflect past the edge
@pytest.mark.parametrize("mode, amounts", [
    ("replicate", (-4, 5, 0, 0)), ("replicate", (0, 0, 2, -4)), ("replicate", (5, -4, -4, 3)),
    ("replicate", (-2, -1, 4, 6)), ("replicate", (8, -1, -1, -3)), ("replicate", (-6, 4, 0, 0)),
    ("replicate", (2, -7, 1, 1)),
    ("reflect", (-5, 2, 0, 0)), ("reflect", (-8, 3, -1, 1)), ("reflect", (4, -5, 2, -6)), ("reflect", (-2, -3, 3, 2))])
def test_replicate_and_reflect_pad_read_their_index_rule_past_a_crop_as_torch(backend, mode, amounts):
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 6))
    _both(lambda t: F.pad(t, amounts, mode=mode), lambda t: TF.pad(t, amounts, mode=mode), [x], backend, grad=True)


@pytest.mark.parametrize("mode, shape, amounts", [
    ("replicate", (1, 2, 4), (-2, -2)), ("replicate", (1, 2, 4), (-5, 0)), ("replicate", (1, 2, 0), (1, 1)),
    ("replicate", (1, 2, 0), (0, 0)), ("reflect", (1, 2, 4), (-2, -2)), ("reflect", (1, 2, 4), (-2, 4)),
    ("reflect", (1, 2, 4), (4, -1)), ("reflect", (1, 2, 0), (0, 0))])
def test_pad_that_leaves_nothing_or_reads_an_empty_dim_is_refused(backend, mode, shape, amounts):
    _raises_as_torch(lambda t: F.pad(t, amounts, mode=mode), lambda t: TF.pad(t, amounts, mode=mode),
                     np.zeros(shape), backend)
