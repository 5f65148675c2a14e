"""The nn ops of issue 8: conv2d (groups, dilation), conv_transpose2d, max_pool2d (dilation, ceil_mode,
return_indices, NaN), avg_pool2d, adaptive_avg_pool2d, pad, the activations, dropout, one_hot, embedding.

- gradcheck (float64, hypothesis-drawn geometry) for every differentiable op;
- forward against the plain loops in tests/support/reference.py where there is one (conv2d, max_pool2d);
- forward and backward against PyTorch on fixed cases in float64 and float32;
- max_pool2d's many-windows branch (> 4096 outputs) value-checked against the loop reference, with ties and
  NaNs, and small vs large inputs agreeing on NaN windows;
- the caches behind conv and pooling stay bounded.
"""
from __future__ import annotations

import gc
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn.functional as F
from minigrad.ops import conv as conv_ops
from minigrad.ops import pool as pool_ops
from reference import conv2d_ref, max_pool2d_grad_ref, max_pool2d_ref, pool_out_size

SETTINGS = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


def _t(a: np.ndarray, backend: str, grad: bool = False) -> mg.Tensor:
    return mg.tensor(a, requires_grad=grad, backend=backend)


def _np(t: mg.Tensor) -> np.ndarray:
    return t.detach().numpy()


def _check(fn, arrays: list[np.ndarray], backend: str, grad: tuple[int, ...] | None = None) -> None:
    """gradcheck ``fn`` at float64 ``arrays`` (all of them, or the indices in ``grad``), and check that the
    inputs were left alone."""
    grad = tuple(range(len(arrays))) if grad is None else grad
    before = [a.copy() for a in arrays]
    ts = [_t(a, backend, i in grad) for i, a in enumerate(arrays)]
    assert mg.gradcheck(fn, tuple(ts))
    for a, b, t in zip(arrays, before, ts):
        np.testing.assert_array_equal(_np(t), b)


def _distinct(rng: np.random.Generator, shape: tuple[int, ...], gap: float = 0.1) -> np.ndarray:
    """Tie-free values: a permutation of evenly spaced numbers, ``gap`` >> gradcheck's eps apart."""
    n = math.prod(shape)
    return ((rng.permutation(n) - n / 2) * gap).reshape(shape).astype(np.float64)


# ------------------------------------------------------------------------------------------ conv2d
@st.composite
def conv_cases(draw):
    groups = draw(st.sampled_from([1, 2, 3]))
    cg, og = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    sh, sw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    dh, dw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    ph, pw = draw(st.integers(0, 1)), draw(st.integers(0, 1))
    h = draw(st.integers(max(1, dh * (kh - 1) + 1 - 2 * ph), 5))
    w = draw(st.integers(max(1, dw * (kw - 1) + 1 - 2 * pw), 5))
    n = draw(st.integers(1, 2))
    bias = draw(st.booleans())
    seed = draw(st.integers(0, 2**16))
    return dict(x=(n, cg * groups, h, w), w=(og * groups, cg, kh, kw), bias=bias, stride=(sh, sw), padding=(ph, pw),
                dilation=(dh, dw), groups=groups, seed=seed)


@SETTINGS
@given(case=conv_cases())
def test_conv2d_groups_dilation_gradcheck_and_reference(backend, case):
    rng = np.random.default_rng(case["seed"])
    x, w = rng.standard_normal(case["x"]), rng.standard_normal(case["w"])
    b = rng.standard_normal(case["w"][0])
    kw = {k: case[k] for k in ("stride", "padding", "dilation", "groups")}
    out = F.conv2d(_t(x, backend), _t(w, backend), _t(b, backend) if case["bias"] else None, **kw)
    np.testing.assert_allclose(_np(out), conv2d_ref(x, w, b if case["bias"] else None, **kw), rtol=1e-12, atol=1e-12)
    if case["bias"]:
        _check(lambda x, w, b: F.conv2d(x, w, b, **kw), [x, w, b], backend)
    else:
        _check(lambda x, w: F.conv2d(x, w, **kw), [x, w], backend)


@st.composite
def conv_transpose_cases(draw):
    groups = draw(st.sampled_from([1, 2]))
    cg, og = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    op = tuple(draw(st.integers(0, max(si, di) - 1)) for si, di in zip(s, d))
    size = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    # padding small enough that the output keeps at least one pixel
    p = tuple(draw(st.integers(0, max(0, min(1, ((n - 1) * si + di * (ki - 1) + o) // 2))))
              for n, si, di, ki, o in zip(size, s, d, k, op))
    return dict(x=(draw(st.integers(1, 2)), cg * groups, *size), w=(cg * groups, og, *k), stride=s, padding=p,
                output_padding=op, dilation=d, groups=groups, bias=draw(st.booleans()), seed=draw(st.integers(0, 999)))


@SETTINGS
@given(case=conv_transpose_cases())
def test_conv_transpose2d_gradcheck(backend, case):
    rng = np.random.default_rng(case["seed"])
    x, w = rng.standard_normal(case["x"]), rng.standard_normal(case["w"])
    kw = {k: case[k] for k in ("stride", "padding", "output_padding", "dilation", "groups")}
    if case["bias"]:
        b = rng.standard_normal(case["w"][1] * case["groups"])
        _check(lambda x, w, b: F.conv_transpose2d(x, w, b, **kw), [x, w, b], backend)
    else:
        _check(lambda x, w: F.conv_transpose2d(x, w, **kw), [x, w], backend)


def test_conv_transpose2d_is_the_adjoint_of_conv2d(backend):
    """<conv2d(x, w), y> == <x, conv_transpose2d(y, w)> for the same stride/padding/dilation/groups."""
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((2, 4, 7, 6)), rng.standard_normal((6, 2, 3, 2))
    kw = dict(stride=(2, 1), padding=(1, 1), dilation=(1, 2), groups=2)
    y = rng.standard_normal(F.conv2d(_t(x, backend), _t(w, backend), **kw).shape)
    lhs = (_np(F.conv2d(_t(x, backend), _t(w, backend), **kw)) * y).sum()
    back = F.conv_transpose2d(_t(y, backend), _t(w, backend), output_padding=(0, 0), **kw)
    assert back.shape == x.shape
    assert lhs == pytest.approx((x * _np(back)).sum(), rel=1e-12)


def test_conv2d_output_keeps_batch_innermost_layout_through_a_network(backend):
    """conv2d returns a view of its (O, Ho, Wo, N) GEMM result; relu, pooling and a second conv must give the
    same numbers and gradients as on ordinary contiguous arrays."""
    rng = np.random.default_rng(2)
    x, w1, w2 = rng.standard_normal((5, 2, 8, 8)), rng.standard_normal((4, 2, 3, 3)), rng.standard_normal((3, 4, 3, 3))
    g = rng.standard_normal((5, 3, 2, 2))

    def net(x, w1, w2, contiguous):
        h = F.conv2d(x, w1, padding=1)
        if contiguous:
            h = h.reshape(-1).reshape(h.shape)  # a fresh C-ordered array, the plain NCHW path
        h = F.max_pool2d(h.relu(), 2)
        return F.avg_pool2d(F.conv2d(h, w2, padding=1), 2)

    results = []
    for contiguous in (False, True):
        ts = [_t(a, backend, True) for a in (x, w1, w2)]
        net(*ts, contiguous).backward(_t(g, backend))
        results.append([_np(net(*ts, contiguous))] + [_np(t.grad) for t in ts])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------------------------------ pooling
@st.composite
def pool_cases(draw, dilation: bool = True):
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    p = (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) if dilation else (1, 1)
    ceil = draw(st.booleans())
    size = tuple(draw(st.integers(max(1, di * (ki - 1) + 1 - 2 * pi), 6)) for ki, pi, di in zip(k, p, d))
    return dict(shape=(draw(st.integers(1, 2)), draw(st.integers(1, 2)), *size), kernel_size=k, stride=s, padding=p,
                dilation=d, ceil_mode=ceil, seed=draw(st.integers(0, 999)))


@SETTINGS
@given(case=pool_cases())
def test_max_pool2d_gradcheck_and_reference(backend, case):
    x = _distinct(np.random.default_rng(case["seed"]), case["shape"])
    kw = {k: case[k] for k in ("kernel_size", "stride", "padding", "dilation", "ceil_mode")}
    out = F.max_pool2d(_t(x, backend), **kw)
    np.testing.assert_array_equal(_np(out), max_pool2d_ref(x, **kw))
    assume(np.isfinite(_np(out)).all())  # a window wholly in the padding gives -inf: nothing to check there
    _check(lambda t: F.max_pool2d(t, **kw), [x], backend)


@SETTINGS
@given(case=pool_cases(dilation=False), include_pad=st.booleans(), override=st.sampled_from([None, 3]))
def test_avg_pool2d_gradcheck(backend, case, include_pad, override):
    x = np.random.default_rng(case["seed"]).standard_normal(case["shape"])
    kw = {k: case[k] for k in ("kernel_size", "stride", "padding", "ceil_mode")}
    _check(lambda t: F.avg_pool2d(t, **kw, count_include_pad=include_pad, divisor_override=override), [x], backend)


@SETTINGS
@given(h=st.integers(1, 6), w=st.integers(1, 6), oh=st.integers(1, 4), ow=st.one_of(st.none(), st.integers(1, 4)))
def test_adaptive_avg_pool2d_gradcheck(backend, h, w, oh, ow):
    x = np.random.default_rng(h * 7 + w).standard_normal((2, 2, h, w))
    _check(lambda t: F.adaptive_avg_pool2d(t, (oh, ow)), [x], backend)


def _nan_block(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Small integers (many ties) with NaNs sprinkled in, some windows holding two or more."""
    x = rng.integers(0, 3, size=shape).astype(np.float64)
    x[rng.random(shape) < 0.15] = np.nan
    return x


POOL_CONFIGS = [  # kernel, stride, padding, dilation, ceil_mode: tiled, overlapping, padded, dilated, ceil
    dict(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False),
    dict(kernel_size=2, stride=1, padding=0, dilation=1, ceil_mode=False),
    dict(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=True),
    dict(kernel_size=(3, 2), stride=(1, 2), padding=(1, 0), dilation=(2, 1), ceil_mode=False),
]


@pytest.mark.parametrize("cfg", POOL_CONFIGS, ids=lambda c: "k{kernel_size}s{stride}p{padding}d{dilation}c{ceil_mode}".format(**c))
def test_max_pool2d_many_windows_branch_matches_reference(backend, cfg):
    """More than 4096 outputs takes the slab-comparison branch; with ties and NaNs its values, indices of the
    winners and gradient must equal the loop reference (first maximum; last NaN)."""
    rng = np.random.default_rng(3)
    x = _nan_block(rng, (4, 3, 50, 46))
    h, w = x.shape[2:]
    k, s = conv_ops.pair(cfg["kernel_size"], "k"), conv_ops.pair(cfg["stride"], "s")
    p, d = conv_ops.pair(cfg["padding"], "p"), conv_ops.pair(cfg["dilation"], "d")
    n_out = 12 * pool_out_size(h, k[0], s[0], p[0], d[0], cfg["ceil_mode"]) * pool_out_size(w, k[1], s[1], p[1], d[1], cfg["ceil_mode"])
    assert n_out >= pool_ops._SLAB_MIN
    t = _t(x, backend, True)
    out = F.max_pool2d(t, **cfg)
    np.testing.assert_array_equal(_np(out), max_pool2d_ref(x, **cfg))
    g = rng.standard_normal(out.shape)
    out.backward(_t(g, backend))
    # overlapping windows add in another order than the loop: equal to rounding
    np.testing.assert_allclose(_np(t.grad), max_pool2d_grad_ref(x, g, **cfg), rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("cfg", POOL_CONFIGS[:3], ids=["tiled", "overlapping", "padded-ceil"])
def test_max_pool2d_nan_gradient_same_for_small_and_large_inputs(backend, cfg):
    """The same windows give the same gradient whether the input is small (one argmax) or large (slabs)."""
    rng = np.random.default_rng(4)
    small = _nan_block(rng, (1, 1, 6, 6))
    large = np.tile(small, (16, 30, 1, 1))  # 480 copies of the small image
    grads, sizes = [], []
    for x in (small, large):
        t = _t(x, backend, True)
        out = F.max_pool2d(t, **cfg)
        out.backward(_t(np.ones(out.shape), backend))
        grads.append(_np(t.grad))
        sizes.append(out.numel())
        np.testing.assert_array_equal(_np(out)[0, 0], max_pool2d_ref(small, **cfg)[0, 0])
    assert sizes[0] < pool_ops._SLAB_MIN <= sizes[1]  # one input on each branch
    for g in grads[1].reshape(-1, 6, 6):
        np.testing.assert_array_equal(g, grads[0][0, 0])


def test_max_pool2d_nan_matches_torch(backend):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    for shape in [(1, 2, 6, 6), (4, 16, 20, 20)]:  # few windows and many windows
        x = _nan_block(rng, shape)
        t, tt = _t(x, backend, True), torch.tensor(x, requires_grad=True)
        out, idx = F.max_pool2d(t, 3, 2, 1, return_indices=True)
        tout, tidx = torch.nn.functional.max_pool2d(tt, 3, 2, 1, return_indices=True)
        np.testing.assert_array_equal(_np(out), tout.detach().numpy())
        np.testing.assert_array_equal(_np(idx), tidx.detach().numpy().copy())
        g = rng.standard_normal(out.shape)
        out.backward(_t(g, backend))
        tout.backward(torch.tensor(g))
        np.testing.assert_allclose(_np(t.grad), tt.grad.detach().numpy().copy(), rtol=1e-14, atol=1e-15)


def test_max_pool2d_return_indices_and_int_input(backend):
    x = np.arange(16.0).reshape(1, 1, 4, 4)[:, :, ::-1].copy()
    out, idx = F.max_pool2d(_t(x, backend), 2, return_indices=True)
    assert idx.dtype == np.int64 and not idx.requires_grad
    np.testing.assert_array_equal(_np(idx), [[[[1, 3], [9, 11]]]])  # rows run 12..15, 8..11, ...
    out_i = F.max_pool2d(_t(x.astype(np.int64), backend), 3, 1, 1)
    np.testing.assert_array_equal(_np(out_i), max_pool2d_ref(x, 3, 1, 1).astype(np.int64))


# ---------------------------------------------------------------------------------------------- pad
@SETTINGS
@given(mode=st.sampled_from(["constant", "reflect", "replicate", "circular"]), amounts=st.lists(st.integers(0, 2), min_size=4, max_size=4),
       seed=st.integers(0, 999))
def test_pad_gradcheck(backend, mode, amounts, seed):
    x = np.random.default_rng(seed).standard_normal((2, 1, 3, 4))
    _check(lambda t: F.pad(t, tuple(amounts), mode=mode, value=None if mode != "constant" else 0.5), [x], backend)


def test_pad_negative_crops(backend):
    x = np.arange(20.0).reshape(4, 5)
    out = F.pad(_t(x, backend), (-1, 2, 0, -3), value=7.0)
    expected = np.pad(x[:1, 1:], ((0, 0), (0, 2)), constant_values=7.0)
    np.testing.assert_array_equal(_np(out), expected)


# ---------------------------------------------------------------------------------------- activations
ACTIVATIONS = {
    "leaky_relu": (lambda t: F.leaky_relu(t, 0.2), "leaky_relu", {"negative_slope": 0.2}),
    "gelu": (F.gelu, "gelu", {}),
    "gelu_tanh": (lambda t: F.gelu(t, approximate="tanh"), "gelu", {"approximate": "tanh"}),
    "silu": (F.silu, "silu", {}),
    "softplus": (lambda t: F.softplus(t, beta=2.0, threshold=3.0), "softplus", {"beta": 2.0, "threshold": 3.0}),
    "elu": (lambda t: F.elu(t, alpha=0.7), "elu", {"alpha": 0.7}),
    "hardtanh": (lambda t: F.hardtanh(t, -1.5, 0.5), "hardtanh", {"min_val": -1.5, "max_val": 0.5}),
}
KINKS = {"leaky_relu": [0.0], "elu": [0.0], "hardtanh": [-1.5, 0.5], "softplus": [1.5]}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@SETTINGS
@given(values=st.lists(st.floats(-6, 6, allow_nan=False), min_size=1, max_size=12))
def test_activation_gradcheck(backend, name, values):
    x = np.array(values)
    for k in KINKS.get(name, []):  # stay off the points where the function has no derivative
        x = np.where(np.abs(x - k) < 1e-3, k + 0.5, x)
    _check(ACTIVATIONS[name][0], [x], backend)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_matches_torch_including_kinks_and_tails(backend, name, dtype):
    torch = pytest.importorskip("torch")
    fn, tname, kw = ACTIVATIONS[name]
    x = np.concatenate([np.linspace(-30, 30, 601), [0.0, -1.5, 0.5, 1.5, -1e-8, 1e-8]]).astype(dtype)
    t, tt = _t(x, backend, True), torch.tensor(x, requires_grad=True)
    out, tout = fn(t), getattr(torch.nn.functional, tname)(tt, **kw)
    g = np.random.default_rng(6).standard_normal(x.shape).astype(dtype)
    out.backward(_t(g, backend))
    tout.backward(torch.tensor(g))
    assert out.dtype == np.dtype(dtype)
    # float32: 1 + tanh(z) near tanh = -1 cancels differently from PyTorch's kernel; 1e-5 is float32 eps at 30
    tol = dict(rtol=1e-12, atol=1e-14) if dtype == "float64" else dict(rtol=2e-6, atol=1e-5)
    np.testing.assert_allclose(_np(out), tout.detach().numpy(), **tol)
    np.testing.assert_allclose(_np(t.grad), tt.grad.detach().numpy().copy(), **tol)


def test_normal_cdf_accuracy():
    from minigrad.ops.activation import normal_cdf

    x = np.linspace(-37, 8, 9001)
    exact = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in x])
    np.testing.assert_allclose(normal_cdf(x), exact, rtol=1e-12, atol=1e-300)
    # more elements than one host block (2**14): the blockwise path, with a partial last block
    big = np.linspace(-9, 9, 40_001)
    np.testing.assert_allclose(normal_cdf(big.reshape(1, -1)), [[0.5 * math.erfc(-v / math.sqrt(2)) for v in big]],
                               rtol=1e-12, atol=1e-300)


# -------------------------------------------------------------------------------------------- dropout
def test_dropout_scaling_mask_and_gradient(backend):
    mg.manual_seed(0)
    x = _t(np.ones((200, 50)), backend, True)
    out = F.dropout(x, p=0.3)
    values = np.unique(_np(out))
    np.testing.assert_allclose(values, [0.0, 1 / 0.7])
    kept = _np(out) != 0
    assert abs(kept.mean() - 0.7) < 0.02  # 10,000 draws: 5 standard deviations is 0.023
    out.backward(_t(np.full(out.shape, 2.0), backend))
    np.testing.assert_allclose(_np(x.grad), np.where(kept, 2 / 0.7, 0.0))


def test_dropout_same_seed_same_mask_and_gradcheck(backend):
    x = np.random.default_rng(7).standard_normal((4, 6))

    def seeded(t):
        mg.manual_seed(123)
        return F.dropout(t, p=0.4)
    a, b = _np(seeded(_t(x, backend))), _np(seeded(_t(x, backend)))
    np.testing.assert_array_equal(a, b)
    assert mg.tensor(a, backend="numpy").backend == "numpy"  # the mask was drawn on the host
    _check(seeded, [x], backend)


def test_dropout_edges_and_eval(backend):
    x = _t(np.arange(1.0, 7.0), backend, True)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    np.testing.assert_array_equal(_np(F.dropout(x, 1.0)), np.zeros(6))
    layer = mg.nn.Dropout(0.5)
    layer.eval()
    assert layer(x) is x
    layer.train()
    mg.manual_seed(1)
    assert (_np(layer(x)) == 0).any()


# ------------------------------------------------------------------------------------ one_hot, embedding
def test_one_hot(backend):
    torch = pytest.importorskip("torch")
    idx = np.array([[0, 3, 1], [2, 2, 0]])
    for n in (-1, 6):
        out = F.one_hot(_t(idx, backend), n)
        assert out.dtype == np.int64 and not out.requires_grad
        np.testing.assert_array_equal(_np(out), torch.nn.functional.one_hot(torch.tensor(idx), n).detach().numpy().copy())
    assert F.one_hot(_t(np.zeros((0,), np.int64), backend), 3).shape == (0, 3)


def test_embedding_gradcheck_and_padding_idx(backend):
    w = np.random.default_rng(8).standard_normal((6, 3))
    idx = _t(np.array([[1, 2, 1], [0, 5, 2]]), backend)
    _check(lambda w: F.embedding(idx, w), [w], backend)
    wt = _t(w, backend, True)
    F.embedding(idx, wt, padding_idx=2).sum().backward()
    np.testing.assert_array_equal(_np(wt.grad)[:, 0], [1, 2, 0, 0, 0, 1])


# -------------------------------------------------------------------------- every op against PyTorch
def _cases():
    r = np.random.default_rng(9)
    x = r.standard_normal((3, 4, 9, 8))
    perm = _distinct(r, (3, 4, 9, 8), 0.01)
    w = r.standard_normal((6, 2, 3, 2))
    wt = r.standard_normal((4, 3, 3, 2))
    emb_idx = np.array([[1, 2, 1], [0, 9, 2]])
    return {
        "conv2d": ([x, w, r.standard_normal(6)], lambda F, x, w, b: F.conv2d(x, w, b, (2, 1), (1, 2), (2, 1), 2)),
        "conv2d_same": ([x, w], lambda F, x, w: F.conv2d(x, w, padding="same", dilation=(1, 2), groups=2)),
        "conv2d_unbatched": ([x[0], w[:, :1].repeat(4, 1)], lambda F, x, w: F.conv2d(x, w, stride=2)),
        "conv_transpose2d": ([x, wt, r.standard_normal(6)],
                             lambda F, x, w, b: F.conv_transpose2d(x, w, b, (3, 2), (2, 1), (2, 1), 2, (1, 2))),
        "max_pool2d": ([perm], lambda F, x: F.max_pool2d(x, 3, 2, 1, 2, True)),
        "avg_pool2d": ([x], lambda F, x: F.avg_pool2d(x, (3, 2), (2, 1), (1, 0), True, False)),
        "avg_pool2d_override": ([x], lambda F, x: F.avg_pool2d(x, 3, 2, 1, True, True, 5)),
        "adaptive_avg_pool2d": ([x], lambda F, x: F.adaptive_avg_pool2d(x, (5, 3))),
        "adaptive_avg_pool2d_none": ([x], lambda F, x: F.adaptive_avg_pool2d(x, (4, None))),
        "pad_reflect": ([x], lambda F, x: F.pad(x, (2, 0, 1, 3), mode="reflect")),
        "pad_replicate": ([x], lambda F, x: F.pad(x, (3, 3, 2, 2), mode="replicate")),
        "pad_circular": ([x], lambda F, x: F.pad(x, (1, 2, 0, 4), mode="circular")),
        "pad_constant": ([x], lambda F, x: F.pad(x, (1, 2, 3, 0, 1, 1), value=-2.0)),
        "embedding": ([r.standard_normal((10, 3))], lambda F, w: F.embedding(_idx(F, emb_idx), w, padding_idx=2)),
    }


def _idx(F, a):
    import torch
    return torch.tensor(a) if F is torch.nn.functional else mg.tensor(a, backend=_idx.backend)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(_cases()))
def test_matches_torch(backend, name, dtype):
    torch = pytest.importorskip("torch")
    arrays, call = _cases()[name]
    arrays = [a.astype(dtype) for a in arrays]
    _idx.backend = backend
    ts = [_t(a, backend, True) for a in arrays]
    tts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, tout = call(F, *ts), call(torch.nn.functional, *tts)
    assert out.shape == tuple(tout.shape) and out.dtype == np.dtype(dtype)
    g = np.random.default_rng(10).standard_normal(out.shape).astype(dtype)
    out.backward(_t(g, backend))
    tout.backward(torch.tensor(g))
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == "float64" else dict(rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(_np(out), tout.detach().numpy(), **tol)
    for t, tt in zip(ts, tts):
        np.testing.assert_allclose(_np(t.grad), tt.grad.detach().numpy().copy(), **tol)


# --------------------------------------------------------------------------------------------- caches
def _containers(module) -> dict:
    """Sizes of the module-level dicts, lists and sets of ``module`` (where an unbounded cache would live)."""
    return {name: len(v) for name, v in vars(module).items()
            if not name.startswith("__") and isinstance(v, (dict, list, set))}


def _lru_caches(module) -> dict:
    return {name: v for name, v in vars(module).items() if hasattr(v, "cache_info")}


def test_conv_and_pool_caches_stay_bounded(backend):
    """Issue 10, rule 7: 60 input sizes once held 320 MB in an unbounded im2col index cache. Now conv keeps no
    index at all; the caches left (tap slices, pooling geometry, offset columns) are lru_caches with a fixed
    maxsize, and no module-level container grows with new input sizes."""
    modules = (conv_ops, pool_ops)
    caches = {f"{m.__name__}.{n}": c for m in modules for n, c in _lru_caches(m).items()}
    assert caches and all(c.cache_info().maxsize is not None for c in caches.values()), caches
    before = {m.__name__: _containers(m) for m in modules}
    w = _t(np.ones((2, 1, 3, 3)), backend)
    most = max(c.cache_info().maxsize for c in caches.values())
    for size in range(3, 3 + most + 20):  # more distinct geometries than any cache holds
        x = _t(np.ones((1, 1, 3, size)), backend, True)
        F.max_pool2d(F.conv2d(x, w, padding=1), 3, 1, 1).sum().backward()
    gc.collect()
    for name, c in caches.items():
        info = c.cache_info()
        assert info.currsize <= info.maxsize, (name, info)
    for m in modules:
        assert _containers(m) == before[m.__name__], m.__name__


# --------------------------------------------------------------------------------------------- errors
ERRORS = [
    (lambda b: F.conv2d(_t(np.ones((1, 4, 5, 5)), b), _t(np.ones((3, 2, 3, 3)), b), groups=2), ValueError, "out_channels"),
    (lambda b: F.conv2d(_t(np.ones((1, 3, 5, 5)), b), _t(np.ones((4, 2, 3, 3)), b), groups=2), ValueError, "channels"),
    (lambda b: F.conv2d(_t(np.ones((1, 1, 5, 5)), b), _t(np.ones((1, 1, 3, 3)), b), dilation=0), ValueError, "dilation"),
    (lambda b: F.conv2d(_t(np.ones((1, 1, 5, 5)), b), _t(np.ones((1, 1, 3, 3)), b), dilation=3), ValueError, "dilation"),
    (lambda b: F.conv2d(_t(np.ones((1, 1, 5, 5)), b), _t(np.ones((1, 1, 3, 3)), b), groups=0), ValueError, "groups"),
    (lambda b: F.conv2d(_t(np.ones((1, 1, 5, 5)), b), _t(np.ones((1, 1, 3, 3)), b), padding="full"), ValueError, "padding"),
    (lambda b: F.conv2d(_t(np.ones((1, 1, 5, 5)), b), _t(np.ones((1, 1, 3, 3)), b), stride=2, padding="same"), ValueError, "stride"),
    (lambda b: F.conv_transpose2d(_t(np.ones((1, 2, 3, 3)), b), _t(np.ones((2, 1, 3, 3)), b), stride=2, output_padding=2),
     ValueError, "output_padding"),
    (lambda b: F.conv_transpose2d(_t(np.ones((1, 3, 3, 3)), b), _t(np.ones((2, 1, 3, 3)), b)), ValueError, "channels"),
    (lambda b: F.max_pool2d(_t(np.ones((1, 1, 5, 5)), b), 2, padding=2), ValueError, "padding"),
    (lambda b: F.max_pool2d(_t(np.ones((1, 1, 5, 5)), b), 3, dilation=3), ValueError, "larger than"),
    (lambda b: F.max_pool2d(_t(np.ones((1, 1, 5, 5)), b), 2, stride=0), ValueError, "stride"),
    (lambda b: F.avg_pool2d(_t(np.ones((1, 1, 5, 5)), b), 2, divisor_override=0), ValueError, "divisor_override"),
    (lambda b: F.adaptive_avg_pool2d(_t(np.ones((1, 1, 5, 5)), b), (0, 2)), ValueError, "output_size"),
    (lambda b: F.pad(_t(np.ones((2, 3)), b), (1,)), ValueError, "even length"),
    (lambda b: F.pad(_t(np.ones((2, 3)), b), (3, 0), mode="reflect"), ValueError, "at most 2"),
    (lambda b: F.pad(_t(np.ones((2, 3)), b), (1, 1), mode="wrap"), ValueError, "mode"),
    (lambda b: F.pad(_t(np.ones((2, 3)), b), (-4, 0), mode="replicate"), ValueError, "crops more"),  # crop > size
    (lambda b: F.dropout(_t(np.ones(3), b), p=1.5), ValueError, "p=1.5"),
    (lambda b: F.gelu(_t(np.ones(3), b), approximate="fast"), ValueError, "approximate"),
    (lambda b: F.gelu(_t(np.ones(3, np.int64), b)), TypeError, "floating point"),
    (lambda b: F.hardtanh(_t(np.ones(3), b), 1.0, -1.0), ValueError, "min_val"),
    (lambda b: F.one_hot(_t(np.array([0, 3]), b), 3), ValueError, "num_classes=3"),
    (lambda b: F.one_hot(_t(np.array([0.0, 1.0]), b)), TypeError, "integer"),
    (lambda b: F.embedding(_t(np.array([0, 4]), b), _t(np.ones((4, 2)), b)), IndexError, "index 4"),
    (lambda b: F.embedding(_t(np.array([0, 1]), b), _t(np.ones((4, 2)), b), padding_idx=4), ValueError, "padding_idx"),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_bad_arguments_raise_clear_errors(backend, i):
    call, kind, match = ERRORS[i]
    with pytest.raises(kind, match=match):
        call(backend)


def test_numpy_integers_are_accepted_and_bools_and_floats_are_not(backend):
    """Issue 10, rule 3: sizes given as NumPy integers work like ints; bools and floats are refused by name."""
    x, w = _t(np.ones((1, 2, 6, 6)), backend), _t(np.ones((2, 1, 3, 3)), backend)
    a = F.conv2d(x, w, stride=np.int64(2), padding=(np.int32(1), 1), dilation=np.int16(1), groups=np.int64(2))
    np.testing.assert_array_equal(_np(a), _np(F.conv2d(x, w, stride=2, padding=1, groups=2)))
    np.testing.assert_array_equal(_np(F.max_pool2d(x, np.int64(2))), _np(F.max_pool2d(x, 2)))
    with pytest.raises(ValueError, match="stride"):
        F.conv2d(x, w, stride=True, groups=2)
    with pytest.raises(ValueError, match="kernel_size"):
        F.max_pool2d(x, 2.0)
    with pytest.raises(ValueError, match="groups"):
        F.conv2d(x, w, groups=2.0)


def test_geometry_errors_are_catchable_the_numpy_and_the_pytorch_way(backend):
    x, w = _t(np.ones((1, 3, 5, 5)), backend), _t(np.ones((2, 2, 3, 3)), backend)
    for kind in (mg.ShapeError, ValueError, RuntimeError):
        with pytest.raises(kind, match="channels"):
            F.conv2d(x, w)
        with pytest.raises(kind, match="padding"):
            F.max_pool2d(x, 2, padding=2)


EMPTY_OPS = {  # (op, weight shape or None)
    "conv2d_groups": (lambda x, w: F.conv2d(x, w, padding=1, groups=2), (6, 2, 3, 3)),
    "conv_transpose2d": (lambda x, w: F.conv_transpose2d(x, w, stride=2, groups=2), (4, 3, 3, 3)),
    "max_pool2d": (lambda x, w: F.max_pool2d(x, 3, 2, 1, ceil_mode=True), None),
    "max_pool2d_tiled": (lambda x, w: F.max_pool2d(x, 2), None),
    "avg_pool2d": (lambda x, w: F.avg_pool2d(x, 2), None),
    "adaptive_avg_pool2d": (lambda x, w: F.adaptive_avg_pool2d(x, 2), None),
    "pad_reflect": (lambda x, w: F.pad(x, (1, 1, 1, 1), mode="reflect"), None),
    "gelu": (lambda x, w: F.gelu(x), None),
    "dropout": (lambda x, w: F.dropout(x, 0.5), None),
}


@pytest.mark.parametrize("name", sorted(EMPTY_OPS))
def test_empty_batch_flows_through(backend, name):
    """Issue 10, rule 6: a 0-sized batch goes forward and backward as in PyTorch (the weight gets a zero
    gradient)."""
    op, wshape = EMPTY_OPS[name]
    x = _t(np.zeros((0, 4, 5, 5)), backend, True)
    w = _t(np.ones(wshape), backend, True) if wshape else None
    out = op(x, w)
    assert out.shape[0] == 0
    out.sum().backward()
    assert x.grad.shape == x.shape
    if w is not None:
        np.testing.assert_array_equal(_np(w.grad), np.zeros(wshape))
