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
from opinfo import BROADCAST_TOL, TF, OpInfo, array, dims, fill, sample, shapes

__all__ = ["OPS"]


# PyTorch computes these on int64 too (keeping the dtype, or in the default float dtype): compared there as well
INT_TOO = ("float64", "float32", "int64")


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


def _one_element_if_square(draw, pair):
    """PyTorch's pooling also takes (n,) for (n, n): drawn now and then where both sides agree."""
    if pair is not None and pair[0] == pair[1] and draw(st.booleans()):
        return (pair[0],)
    return pair


@st.composite
def _avg_pool_sample(draw, dtype):
    k, s, p, _, ceil, shape = draw(_pool_geometry(False))
    k, s, p = (_one_element_if_square(draw, v) for v in (k, s, p))
    # int64: PyTorch's integer means round toward zero; a negative divisor_override flips the signs
    return sample(draw(array(shape, dtype)), k, s, p, ceil_mode=ceil, count_include_pad=draw(st.booleans()),
                  divisor_override=draw(st.sampled_from([None, 2, -3])))


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
    OpInfo("F.avg_pool2d", F.avg_pool2d, _torch("avg_pool2d"), _avg_pool_sample, dtypes=INT_TOO,
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
    # constant crops; replicate and reflect read input clip(j - before, 0, n - 1) or its mirror image, so they may
    # crop past the whole dim as long as one element is left (where none would be, the smaller amount of the
    # pair goes up until one is)
    lo = {"constant": -1, "replicate": -5, "reflect": -5}.get(mode, 0)
    amounts = [draw(st.integers(lo, limit)) for _ in range(2 * npad)]
    if mode != "constant":
        for i, n in enumerate(shape[::-1][:npad]):
            while n + amounts[2 * i] + amounts[2 * i + 1] < 1:
                j = 2 * i if amounts[2 * i] <= amounts[2 * i + 1] else 2 * i + 1
                amounts[j] += 1
    amounts = tuple(amounts)
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
    # int64 keeps its dtype, the bounds truncated toward zero (-1, 0)
    _kinked("F.hardtanh", lambda x: F.hardtanh(x, -1.5, 0.5), lambda x: TF.hardtanh(x, -1.5, 0.5), (-1.5, 0.5),
            dtypes=INT_TOO),
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


# ------------------------------------------ layer/group norm, conv1d, normalize, interpolate, more activations
@st.composite
def _layer_norm_sample(draw, dtype):
    shape = draw(shapes(min_dims=1, max_dims=4, max_side=4))
    k = draw(st.integers(1, len(shape)))
    norm_shape = shape[len(shape) - k:]
    if int(np.prod(norm_shape)) < 4:
        # Few elements make an ill-conditioned gradient (see the entry): one normalises to exactly 0 and its
        # float32 gradient is rounding noise times 1/sqrt(eps), two are +-1 whatever their values. Four or more
        # keep the comparison about the formula, not the noise.
        shape, norm_shape = shape[:-1] + (4,), norm_shape[:-1] + (4,)
    w = draw(array(norm_shape, dtype)) if draw(st.booleans()) else None
    b = draw(array(norm_shape, dtype)) if draw(st.booleans()) else None
    x = draw(array(shape, dtype))
    groups = x.reshape(-1, int(np.prod(norm_shape)))
    return sample(x, norm_shape, w, b, eps=draw(_eps(groups)))


def _eps(groups: np.ndarray):
    """eps for the normalizations: PyTorch takes any, a negative one too; that one is half the smallest variance
    of the groups (rows of ``groups``), so var + eps stays positive and the gradient well-conditioned (where it
    turns negative both libraries give NaN: tests/nn/test_functional_edge_inputs.py)."""
    smallest = float(np.asarray(groups, dtype=np.float64).var(axis=1).min()) if groups.size else 1.0
    return st.sampled_from([1e-5, 0.1, -0.5 * smallest])


@st.composite
def _group_norm_sample(draw, dtype):
    groups, per = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    c = groups * per
    shape = (draw(st.integers(1, 3)), c) + tuple(draw(st.lists(st.integers(1, 4), max_size=2)))
    if per * int(np.prod(shape[2:])) < 4:  # few elements per group (see _layer_norm_sample)
        shape = shape[:2] + (4,)
    w = draw(array((c,), dtype)) if draw(st.booleans()) else None
    # a bias without a weight: PyTorch 2.13's group_norm backward fails ("tensor does not have a device")
    b = draw(array((c,), dtype)) if w is not None and draw(st.booleans()) else None
    x = draw(array(shape, dtype))
    return sample(x, groups, w, b, eps=draw(_eps(x.reshape(shape[0] * groups, -1))))


@st.composite
def _conv1d_sample(draw, dtype):
    groups = draw(st.sampled_from([1, 2, 3]))
    cg, og = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    k, s, d, p = draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(0, 1))
    length = draw(st.integers(max(1, d * (k - 1) + 1 - 2 * p), 7))
    shape = (draw(st.integers(1, 2)), cg * groups, length)
    if draw(st.booleans()):
        shape = shape[1:]  # unbatched (C, L)
    w = draw(array((og * groups, cg, k), dtype))
    b = draw(array((og * groups,), dtype)) if draw(st.booleans()) else None
    padding = "same" if s == 1 and draw(st.booleans()) else p
    return sample(draw(array(shape, dtype)), w, b, stride=s, padding=padding, dilation=d, groups=groups)


@st.composite
def _normalize_sample(draw, dtype):
    shape = draw(shapes(min_dims=0, max_dims=3))  # a 0-d input is a vector of one element (dim -1 or 0)
    p = draw(st.sampled_from([1.0, 2.0, 3.0, 0.5, float("inf")]))
    if p == float("inf"):  # tie-free |x| (an offset grid): the max gets the whole gradient
        gap = min(0.1, 6.0 / max(int(np.prod(shape)), 1))
        x = np.asarray(draw(array(shape, dtype, "distinct")) + np.asarray(gap / 3, dtype=dtype))  # 0-d stays an array
    else:
        x = draw(array(shape, dtype, "nonzero"))
    return sample(x, p=p, dim=draw(dims(len(shape))))


@st.composite
def _interpolate_sample(draw, dtype):
    rank = draw(st.sampled_from([1, 2, 2, 3]))
    interpolating = {1: ["linear"], 2: ["bilinear", "bicubic"], 3: ["trilinear"]}[rank]
    mode = draw(st.sampled_from(["nearest", "nearest-exact", "area"] + interpolating))
    spatial = tuple(draw(st.integers(1, 5 if rank < 3 else 3)) for _ in range(rank))
    x = draw(array((draw(st.integers(1, 2)), draw(st.integers(1, 2))) + spatial, dtype))
    kw = {"mode": mode}
    if mode in interpolating:
        kw["align_corners"] = draw(st.sampled_from([None, False, True]))
    if draw(st.booleans()):
        kw["size"] = tuple(draw(st.integers(1, 7)) for _ in spatial)
    else:
        kw["scale_factor"] = draw(st.sampled_from([0.5, 1.5, 2.0, 2.7]))
        if min(int(n * kw["scale_factor"]) for n in spatial) < 1:
            kw["scale_factor"] = 2.0
        kw["recompute_scale_factor"] = draw(st.sampled_from([None, True]))
    return sample(x, **kw)


@st.composite
def _pair_sample(draw, dtype, last_dim_min: int = 1):
    shape = draw(shapes(min_dims=0, max_dims=3, min_side=last_dim_min))  # two 0-d inputs: one-element vectors
    other = tuple(1 if draw(st.integers(0, 3)) == 0 else n for n in shape)  # broadcast along some dims
    other = other[draw(st.integers(0, max(len(other) - 1, 0))):]
    a, b = draw(array(shape, dtype)), draw(array(other, dtype))
    return (a, b) if draw(st.booleans()) else (b, a)


def _apart(ab: tuple) -> tuple:
    """The pair with every difference a - b at least 0.25 from zero: pairwise_distance is ||a - b + 1e-6||_p,
    kinked (p = 1) or with curvature 1 / ||a - b|| (p > 1) where a difference nears -1e-6, and a central
    difference with eps = 1e-6 cannot see a gradient there. The full-shaped operand moves (the other may
    broadcast)."""
    a, b = ab
    move_a = a.shape == np.broadcast_shapes(a.shape, b.shape)
    x, y = (a, b) if move_a else (b, a)
    x = np.where(np.abs(x - y) < 0.25, y + 0.5, x).astype(x.dtype)
    return (x, b) if move_a else (a, x)


def _wide(points: tuple[float, ...], scale: float):
    """Values in [-3 scale, 3 scale] kept 0.05 from the kinks, for ops whose corners lie beyond [-3, 3]."""
    fix = _away_from(points)
    return lambda x: fix(np.asarray(x * scale, dtype=x.dtype))


def _wide_activation(name: str, fn, ref, points: tuple[float, ...], scale: float = 2.5, **kw) -> OpInfo:
    fix = _wide(points, scale)
    return OpInfo(name, fn, ref,
                  lambda dtype: shapes(max_side=5).flatmap(lambda s: array(s, dtype)).map(lambda x: sample(fix(x))),
                  large=lambda rng, dtype: sample(fix(fill(rng, (128, 1024), dtype))), **kw)


OPS += [
    # The input gradient is invstd / n * (n g' - sum g' - xhat sum g' xhat): three terms of size |g| n that cancel,
    # scaled by invstd = 1 / std of the group. In float32 each term carries ~n * 6e-8 relative error, so the
    # difference from PyTorch grows like n * 6e-8 * invstd * |g|; with groups of 4 to 64 elements drawn from
    # [-3, 3] (std rarely below 0.2) that stays below 1e-4 (float64: 1e-9 absolute).
    OpInfo("F.layer_norm", F.layer_norm, _torch("layer_norm"), _layer_norm_sample, atol=1e-4, rtol=1e-5,
           large=lambda rng, dtype: sample(fill(rng, (64, 32, 128), dtype), (128,), fill(rng, (128,), dtype),
                                           fill(rng, (128,), dtype))),
    OpInfo("F.group_norm", F.group_norm, _torch("group_norm"), _group_norm_sample, atol=1e-4, rtol=1e-5,
           large=lambda rng, dtype: sample(fill(rng, (8, 32, 16, 16), dtype), 8, fill(rng, (32,), dtype),
                                           fill(rng, (32,), dtype))),
    OpInfo("F.conv1d", F.conv1d, _torch("conv1d"), _conv1d_sample, atol=1e-5, rtol=1e-5,
           large=lambda rng, dtype: sample(fill(rng, (16, 32, 200), dtype), fill(rng, (48, 8, 5), dtype),
                                           fill(rng, (48,), dtype), stride=2, padding=3, dilation=2, groups=4)),
    OpInfo("F.normalize", F.normalize, _torch("normalize"), _normalize_sample, atol=1e-6, rtol=1e-5,
           large=lambda rng, dtype: sample(fill(rng, (256, 512), dtype, "nonzero"), p=2.0, dim=1)),
    OpInfo("F.interpolate", F.interpolate, _torch("interpolate"), _interpolate_sample, atol=1e-6, rtol=1e-5,
           large=lambda rng, dtype: sample(fill(rng, (8, 16, 40, 30), dtype), size=(67, 45), mode="bilinear",
                                           align_corners=False)),
    OpInfo("F.upsample", F.upsample, _torch("upsample"),  # interpolate's deprecated name, without recompute_...
           lambda d: _interpolate_sample(d).map(
               lambda s: sample(*s.args, **{k: v for k, v in s.kwargs.items() if k != "recompute_scale_factor"})),
           atol=1e-6, rtol=1e-5),
    OpInfo("F.interpolate_nearest_large", F.interpolate, _torch("interpolate"), _interpolate_sample,
           large=lambda rng, dtype: sample(fill(rng, (8, 16, 40, 30), dtype), scale_factor=1.7)),
    OpInfo("F.interpolate_bicubic_large", F.interpolate, _torch("interpolate"), _interpolate_sample,
           atol=1e-6, rtol=1e-5,
           large=lambda rng, dtype: sample(fill(rng, (8, 16, 40, 30), dtype), size=(23, 71), mode="bicubic",
                                           align_corners=True)),
    OpInfo("F.interpolate_area_large", F.interpolate, _torch("interpolate"), _interpolate_sample,
           atol=1e-6, rtol=1e-5,
           large=lambda rng, dtype: sample(fill(rng, (4, 8, 10, 40, 30), dtype), size=(7, 13, 11), mode="area")),
    # one operand may broadcast: its float32 gradient is a sum over the broadcast dims (BROADCAST_TOL's reason)
    OpInfo("F.cosine_similarity", lambda a, b: F.cosine_similarity(a, b, dim=-1),
           lambda a, b: TF.cosine_similarity(a, b, dim=-1),
           lambda dtype: _pair_sample(dtype).map(lambda ab: sample(*ab)), **BROADCAST_TOL,
           large=lambda rng, dtype: sample(fill(rng, (256, 300), dtype), fill(rng, (1, 300), dtype))),
    # int64 inputs subtract exactly; the distance has the default float dtype
    OpInfo("F.pairwise_distance", lambda a, b, p: F.pairwise_distance(a, b, p), TF.pairwise_distance if TF else None,
           lambda dtype: st.tuples(_pair_sample(dtype).map(_apart), st.sampled_from([1.0, 2.0, 3.0])).map(
               lambda abp: sample(*abp[0], abp[1])), atol=1e-6, rtol=1e-5, dtypes=INT_TOO,
           large=lambda rng, dtype: sample(fill(rng, (256, 300), dtype), fill(rng, (256, 300), dtype), 2.0)),
    _wide_activation("F.hardsigmoid", F.hardsigmoid, _torch("hardsigmoid"), (-3.0, 3.0)),
    _wide_activation("F.hardswish", F.hardswish, _torch("hardswish"), (-3.0, 3.0)),
    _wide_activation("F.relu6", F.relu6, _torch("relu6"), (0.0, 6.0), scale=3.0, dtypes=INT_TOO),
    _kinked("F.selu", F.selu, _torch("selu"), (0.0,)),
    _kinked("F.celu", lambda x: F.celu(x, 0.6), lambda x: TF.celu(x, 0.6), (0.0,)),
    _activation("F.mish", F.mish, _torch("mish")),
    _wide_activation("F.logsigmoid", F.logsigmoid, _torch("logsigmoid"), (), scale=10.0),
    _activation("F.softsign", F.softsign, _torch("softsign"), dtypes=INT_TOO),  # int64: the default float dtype
    _activation("F.tanhshrink", F.tanhshrink, _torch("tanhshrink"), atol=1e-6, dtypes=INT_TOO),
    _kinked("F.softshrink", lambda x: F.softshrink(x, 0.7), lambda x: TF.softshrink(x, 0.7), (-0.7, 0.7)),
    _kinked("F.hardshrink", F.hardshrink, _torch("hardshrink"), (-0.5, 0.5)),
    # PyTorch zeroes where -lambd <= x <= lambd: with a negative lambd nothing (the identity)
    _activation("F.hardshrink_negative_lambd", lambda x: F.hardshrink(x, -0.5), lambda x: TF.hardshrink(x, -0.5)),
]


# ------------------------------------------------------------------------------ scaled_dot_product_attention
@st.composite
def _sdpa_sample(draw, dtype):
    lead = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    tgt, src, e, ev = (draw(st.integers(1, 4)) for _ in range(4))
    q, k = draw(array(lead + (tgt, e), dtype)), draw(array(lead + (src, e), dtype))
    v = draw(array(lead + (src, ev), dtype))
    kind = draw(st.sampled_from(["none", "bool", "float", "causal"]))
    kw = {"scale": draw(st.sampled_from([None, 0.5]))}
    if kind == "bool":
        mask = np.asarray(draw(array((tgt, src), "bool")))
        mask[:, 0] = True  # every query attends somewhere (an all-masked row is nan in both libraries)
        kw["attn_mask"] = mask
    elif kind == "float":
        kw["attn_mask"] = draw(array((tgt, src), dtype))
    elif kind == "causal":
        kw["is_causal"] = True
    return sample(q, k, v, **kw)


OPS += [
    OpInfo("F.scaled_dot_product_attention", F.scaled_dot_product_attention, _torch("scaled_dot_product_attention"),
           _sdpa_sample, atol=1e-6, rtol=1e-5,
           large=lambda rng, dtype: sample(fill(rng, (4, 8, 64, 32), dtype), fill(rng, (4, 8, 80, 32), dtype),
                                           fill(rng, (4, 8, 80, 16), dtype), is_causal=True)),
]


# ------------------------------------------------------------------------------------------ 1-D pooling
@st.composite
def _pool1d_sample(draw, dtype, kind):
    k = draw(st.integers(1, 3))
    s = draw(st.none() | st.integers(1, 3))
    p = draw(st.integers(0, k // 2))
    d = draw(st.integers(1, 2)) if kind == "max" else 1
    length = draw(st.integers(max(1, d * (k - 1) + 1 - p), 8))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3)), length)
    if draw(st.booleans()):
        shape = shape[1:]
    x = draw(array(shape, dtype, "distinct" if kind == "max" else "real"))
    if kind == "max":
        return sample(x, k, s, p, d, ceil_mode=draw(st.booleans()), return_indices=draw(st.booleans()))
    return sample(x, k, s, p, ceil_mode=draw(st.booleans()), count_include_pad=draw(st.booleans()))


OPS += [
    OpInfo("F.max_pool1d", F.max_pool1d, _torch("max_pool1d"), lambda dtype: _pool1d_sample(dtype, "max"),
           large=lambda rng, dtype: sample(fill(rng, (16, 32, 500), dtype, "distinct"), 3, 2, 1, 2, ceil_mode=True)),
    OpInfo("F.avg_pool1d", F.avg_pool1d, _torch("avg_pool1d"), lambda dtype: _pool1d_sample(dtype, "avg"),
           dtypes=INT_TOO, large=lambda rng, dtype: sample(fill(rng, (16, 32, 500), dtype), 4, 3, 2, count_include_pad=False)),
    OpInfo("F.adaptive_avg_pool1d", F.adaptive_avg_pool1d, _torch("adaptive_avg_pool1d"),
           lambda dtype: st.tuples(st.integers(1, 9), st.integers(1, 5)).flatmap(
               lambda lo: array((2, 3, lo[0]), dtype).map(lambda x: sample(x, lo[1]))), atol=1e-6,
           large=lambda rng, dtype: sample(fill(rng, (16, 32, 500), dtype), 7)),
]



# ------------------------------------------------------------------------------ prelu, glu, threshold, softmin
@st.composite
def _prelu_sample(draw, dtype):
    shape = draw(shapes(min_dims=0, max_dims=4))
    channels = shape[1] if len(shape) >= 2 else 1
    n = draw(st.sampled_from([1, channels]))
    x = np.asarray(_away_from((0.0,))(draw(array(shape, dtype))))
    return sample(x, draw(array((n,), dtype)))


@st.composite
def _glu_sample(draw, dtype):
    shape = list(draw(shapes(min_dims=1)))
    d = draw(dims(len(shape)))
    shape[d] = 2 * draw(st.integers(1, 3))
    return sample(draw(array(tuple(shape), dtype)), d)


OPS += [
    OpInfo("F.prelu", F.prelu, _torch("prelu"), _prelu_sample, **BROADCAST_TOL,
           large=lambda rng, dtype: sample(fill(rng, (16, 64, 32, 32), dtype), fill(rng, (64,), dtype))),
    OpInfo("F.glu", F.glu, _torch("glu"), _glu_sample,
           large=lambda rng, dtype: sample(fill(rng, (128, 1024), dtype), 1)),
    # int64 keeps its dtype, threshold and value truncated toward zero (0, -1)
    _kinked("F.threshold", lambda x: F.threshold(x, 0.5, -1.5), lambda x: TF.threshold(x, 0.5, -1.5), (0.5,),
            dtypes=INT_TOO),
    OpInfo("F.softmin", F.softmin, _torch("softmin"),
           lambda dtype: shapes(min_dims=1).flatmap(lambda s: st.tuples(array(s, dtype), dims(len(s)))).map(
               lambda xd: sample(*xd)), atol=1e-6),
]



@st.composite
def _instance_norm_sample(draw, dtype):
    c = draw(st.integers(1, 3))
    spatial = tuple(draw(st.lists(st.integers(2, 4), min_size=1, max_size=2)))
    shape = (draw(st.integers(1, 3)), c) + spatial
    if int(np.prod(spatial)) < 4:  # few elements per instance: see _layer_norm_sample
        shape = shape[:2] + (4,)
    affine = draw(st.booleans())
    w = draw(array((c,), dtype)) if affine else None
    b = draw(array((c,), dtype)) if affine else None
    return sample(draw(array(shape, dtype)), None, None, w, b, eps=draw(st.sampled_from([1e-5, 0.1])))


OPS += [
    OpInfo("F.instance_norm", F.instance_norm, _torch("instance_norm"), _instance_norm_sample, atol=1e-4, rtol=1e-5,
           large=lambda rng, dtype: sample(fill(rng, (8, 32, 16, 16), dtype), None, None, fill(rng, (32,), dtype),
                                           fill(rng, (32,), dtype))),
]
