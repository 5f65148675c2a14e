"""Registry entries (see tests/support/opinfo.py) for the nn ops: conv2d with groups and dilation, conv_transpose2d,
max_pool2d with dilation / ceil_mode / return_indices, avg_pool2d, adaptive_avg_pool2d, pad, the activations,
dropout, one_hot and embedding. tests/ops/test_opinfo.py runs gradcheck, PyTorch forward/backward per dtype, one
large input and backend parity on each. The special cases (NaN and ties in max pooling, the many-windows
branch against the loop reference, dropout's statistics, caches) are in tests/nn/test_conv_and_pool.py.
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn.functional as F
from opinfo import TF, OpInfo, array, fill, sample, shapes

__all__ = ["OPS"]


def _torch(name: str):
    return lambda *a, **k: getattr(TF, name)(*a, **k)


def _pairs(lo: int, hi: int):
    return st.tuples(st.integers(lo, hi), st.integers(lo, hi))


# ------------------------------------------------------------------------------------------------ conv
@st.composite
def _conv_groups_sample(draw, dtype):
    groups = draw(st.sampled_from([1, 2, 3]))
    cg, og = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    k, s, d, p = draw(_pairs(1, 3)), draw(_pairs(1, 2)), draw(_pairs(1, 2)), draw(_pairs(0, 1))
    size = tuple(draw(st.integers(max(1, di * (ki - 1) + 1 - 2 * pi), 6)) for ki, di, pi in zip(k, d, p))
    x = draw(array((draw(st.integers(1, 2)), cg * groups, *size), dtype))
    w = draw(array((og * groups, cg, *k), dtype))
    b = draw(array((og * groups,), dtype)) if draw(st.booleans()) else None
    return sample(x, w, b, stride=s, padding=p, dilation=d, groups=groups)


@st.composite
def _conv_transpose_sample(draw, dtype):
    groups = draw(st.sampled_from([1, 2]))
    cg, og = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    k, s, d = draw(_pairs(1, 3)), draw(_pairs(1, 3)), draw(_pairs(1, 2))
    op = tuple(draw(st.integers(0, max(si, di) - 1)) for si, di in zip(s, d))
    size = draw(_pairs(1, 4))
    p = tuple(draw(st.integers(0, min(1, ((n - 1) * si + di * (ki - 1) + o) // 2)))
              for n, si, di, ki, o in zip(size, s, d, k, op))
    x = draw(array((draw(st.integers(1, 2)), cg * groups, *size), dtype))
    w = draw(array((cg * groups, og, *k), dtype))
    b = draw(array((og * groups,), dtype)) if draw(st.booleans()) else None
    return sample(x, w, b, stride=s, padding=p, output_padding=op, groups=groups, dilation=d)


OPS: list[OpInfo] = [
    OpInfo("F.conv2d_groups_dilation", F.conv2d, _torch("conv2d"), _conv_groups_sample, atol=1e-5, rtol=1e-5,
           large=lambda rng, dtype: sample(fill(rng, (8, 16, 20, 20), dtype), fill(rng, (24, 4, 3, 3), dtype),
                                           fill(rng, (24,), dtype), stride=1, padding=2, dilation=2, groups=4)),
    OpInfo("F.conv_transpose2d", F.conv_transpose2d, _torch("conv_transpose2d"), _conv_transpose_sample,
           atol=1e-5, rtol=1e-5,
           large=lambda rng, dtype: sample(fill(rng, (8, 16, 12, 12), dtype), fill(rng, (16, 8, 3, 3), dtype),
                                           fill(rng, (16,), dtype), stride=2, padding=1, output_padding=1, groups=2)),
]


# --------------------------------------------------------------------------------------------- pooling
@st.composite
def _pool_geometry(draw, dilation: bool):
    k = draw(_pairs(1, 3))
    s = draw(st.none() | _pairs(1, 3))
    p = (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2)))
    d = draw(_pairs(1, 2)) if dilation else (1, 1)
    # every window must reach the input (a window wholly in the padding is -inf: nothing to differentiate)
    size = tuple(draw(st.integers(max(1, di * (ki - 1) + 1 - pi), 7)) for ki, pi, di in zip(k, p, d))
    return k, s, p, d, draw(st.booleans()), (draw(st.integers(1, 2)), draw(st.integers(1, 2)), *size)


@st.composite
def _max_pool_sample(draw, dtype, indices: bool = False):
    k, s, p, d, ceil, shape = draw(_pool_geometry(True))
    x = draw(array(shape, dtype, "distinct"))
    return sample(x, k, s, p, d, ceil_mode=ceil, return_indices=indices)


@st.composite
def _avg_pool_sample(draw, dtype):
    k, s, p, _, ceil, shape = draw(_pool_geometry(False))
    return sample(draw(array(shape, dtype)), k, s, p, ceil_mode=ceil, count_include_pad=draw(st.booleans()),
                  divisor_override=draw(st.sampled_from([None, 2])))


@st.composite
def _adaptive_sample(draw, dtype):
    h, w = draw(_pairs(1, 7))
    out = draw(st.integers(1, 4) | st.tuples(st.integers(1, 5), st.none() | st.integers(1, 5)))
    return sample(draw(array((draw(st.integers(1, 2)), 2, h, w), dtype)), out)


def _max_pool_large(rng, dtype, **kw):
    return sample(fill(rng, (8, 16, 20, 18), dtype, "distinct"), 3, 2, 1, 2, ceil_mode=True, **kw)


OPS += [
    OpInfo("F.max_pool2d_dilation_ceil", F.max_pool2d, _torch("max_pool2d"), _max_pool_sample,
           large=_max_pool_large),
    OpInfo("F.max_pool2d_indices", F.max_pool2d, _torch("max_pool2d"),
           lambda dtype: _max_pool_sample(dtype, indices=True),
           large=lambda rng, dtype: _max_pool_large(rng, dtype, return_indices=True)),
    OpInfo("F.avg_pool2d", F.avg_pool2d, _torch("avg_pool2d"), _avg_pool_sample,
           large=lambda rng, dtype: sample(fill(rng, (16, 16, 16, 16), dtype), 3, 2, 1, ceil_mode=True,
                                           count_include_pad=False)),
    OpInfo("F.avg_pool2d_tiled", F.avg_pool2d, _torch("avg_pool2d"),
           lambda dtype: shapes(min_dims=4, max_dims=4, max_side=6).flatmap(lambda s: array(s, dtype)).map(
               lambda x: sample(x, 2) if min(x.shape[2:]) >= 2 else sample(x, 1)),
           large=lambda rng, dtype: sample(fill(rng, (32, 16, 16, 16), dtype), 2)),
    OpInfo("F.adaptive_avg_pool2d", F.adaptive_avg_pool2d, _torch("adaptive_avg_pool2d"), _adaptive_sample,
           atol=1e-6, large=lambda rng, dtype: sample(fill(rng, (16, 32, 13, 11), dtype), (4, 3))),
]


# ------------------------------------------------------------------------------------------------- pad
@st.composite
def _pad_sample(draw, dtype):
    mode = draw(st.sampled_from(["constant", "reflect", "replicate", "circular"]))
    ndim = draw(st.integers(2, 4))
    shape = tuple(draw(st.integers(2, 4)) for _ in range(ndim))
    # PyTorch's non-constant modes pad the last n dims of an (n+1)- or (n+2)-dim input
    npad = draw(st.integers(1, ndim) if mode == "constant" else st.sampled_from([n for n in (ndim - 1, ndim - 2) if n >= 1]))
    limit = {"reflect": 1, "circular": 2}.get(mode, 3)
    lo = -1 if mode == "constant" else 0
    amounts = tuple(draw(st.integers(lo, limit)) for _ in range(2 * npad))
    value = draw(st.sampled_from([0.0, -1.5])) if mode == "constant" else None
    return sample(draw(array(shape, dtype)), amounts, mode=mode, value=value)


OPS += [
    OpInfo("F.pad", F.pad, _torch("pad"), _pad_sample,
           large=lambda rng, dtype: sample(fill(rng, (16, 16, 32, 32), dtype), (2, 1, 3, 2), mode="reflect")),
]


# ------------------------------------------------------------------------------------------ activations
def _activation(name: str, fn, ref, domain: str = "real", **kw) -> OpInfo:
    return OpInfo(name, fn, ref, lambda dtype: shapes(max_side=5).flatmap(lambda s: array(s, dtype, domain)).map(sample),
                  large=lambda rng, dtype: sample(fill(rng, (128, 1024), dtype, domain)), **kw)


def _away_from(points: tuple[float, ...]):
    """Values in [-3, 3] at least 0.05 from each of ``points`` (the kinks)."""
    def fix(x):
        for p in points:
            x = np.where(np.abs(x - p) < 0.05, p + 0.1, x).astype(x.dtype)
        return x
    return fix


def _kinked(name: str, fn, ref, points: tuple[float, ...], **kw) -> OpInfo:
    fix = _away_from(points)
    return OpInfo(name, fn, ref,
                  lambda dtype: shapes(max_side=5).flatmap(lambda s: array(s, dtype)).map(lambda x: sample(fix(x))),
                  large=lambda rng, dtype: sample(fix(fill(rng, (128, 1024), dtype))), **kw)


OPS += [
    _kinked("F.leaky_relu", lambda x: F.leaky_relu(x, 0.2), lambda x: TF.leaky_relu(x, 0.2), (0.0,)),
    # PyTorch's float32 erf-based GELU loses ~1e-7 absolute to cancellation in 1 + erf(x/sqrt(2)) for x < -2
    _activation("F.gelu", F.gelu, _torch("gelu"), atol=1e-6),
    _activation("F.gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), lambda x: TF.gelu(x, approximate="tanh")),
    _activation("F.silu", F.silu, _torch("silu")),
    _kinked("F.softplus", lambda x: F.softplus(x, beta=2.0, threshold=4.0),
            lambda x: TF.softplus(x, beta=2.0, threshold=4.0), (2.0,)),
    _kinked("F.elu", lambda x: F.elu(x, 0.7), lambda x: TF.elu(x, 0.7), (0.0,)),
    _kinked("F.hardtanh", lambda x: F.hardtanh(x, -1.5, 0.5), lambda x: TF.hardtanh(x, -1.5, 0.5), (-1.5, 0.5)),
]


# -------------------------------------------------------------------------------- dropout, one_hot, embedding
def _seeded_dropout(x, p):
    """The same mask on every call (gradcheck calls the op many times): PyTorch's stream differs, so no ref."""
    mg.manual_seed(1234)
    return F.dropout(x, p)


@st.composite
def _one_hot_sample(draw, dtype):
    shape = draw(shapes(max_dims=2))
    n = draw(st.integers(1, 5))
    idx = np.asarray(draw(array(shape, "int64", "positive")) % n)  # a 0-d array, not a NumPy scalar
    return sample(idx, draw(st.sampled_from([-1, n, n + 2])) if idx.size else n + 1)


@st.composite
def _embedding_sample(draw, dtype):
    v, d = draw(st.integers(1, 6)), draw(st.integers(1, 4))
    idx = np.asarray(draw(array(draw(shapes(max_dims=2)), "int64", "positive")) % v)
    # padding_idx's row gets no gradient although the forward reads it (PyTorch's rule, tested in
    # test_nn_ops.py): gradcheck can only agree when no index picks it
    unused = [i for i in range(-v, v) if i % v not in set(idx.ravel().tolist())]
    pad = draw(st.none() | st.sampled_from(unused)) if unused else None
    return sample(idx, draw(array((v, d), dtype)), padding_idx=pad, grad=(1,))


OPS += [
    OpInfo("F.dropout_seeded", _seeded_dropout, None,
           lambda dtype: shapes(max_side=5).flatmap(lambda s: array(s, dtype)).flatmap(
               lambda x: st.sampled_from([0.0, 0.3, 0.5, 1.0]).map(lambda p: sample(x, p)))),
    OpInfo("F.one_hot", F.one_hot, _torch("one_hot"), _one_hot_sample, differentiable=False, dtypes=("int64",)),
    OpInfo("F.embedding", F.embedding, _torch("embedding"), _embedding_sample,
           large=lambda rng, dtype: sample(rng.integers(0, 500, (64, 100)), fill(rng, (500, 32), dtype),
                                           padding_idx=3, grad=(1,))),  # no gradcheck here: the row may be picked
]
