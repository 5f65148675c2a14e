"""The op registry: one :class:`OpInfo` per op drives every generic op test (tests/test_opinfo.py).

In the spirit of PyTorch's OpInfo and MyGrad's backprop test factory, an entry says once

- ``op``: the minigrad callable, ``op(*args, **kwargs) -> Tensor`` (or a tuple of Tensors);
- ``ref``: the PyTorch callable with the same signature on torch tensors (None: torch has no counterpart);
- ``samples(dtype)``: a hypothesis strategy of :class:`Sample` (shapes, values in the op's domain, kwargs);
- ``large(rng, dtype)``: one big input that reaches size-dependent branches (checked against torch);
- whether it is differentiable, the dtypes its forward is compared with torch in, and the tolerances.

and test_opinfo.py derives from it: gradcheck in float64 with a random upstream gradient, the forward and
backward against PyTorch per dtype, the large input against PyTorch, and parity of every backend with numpy.
Adding an op is a Function, its public names, and one entry here (or in tests/opinfo_nn.py /
tests/opinfo_losses.py, which define their own ``OPS`` list).

Values come from a NumPy generator seeded by hypothesis, not element by element: every draw is a generic
point in the op's domain (no runs of 0.0 that a shrinker likes), while hypothesis explores shapes, dims
and arguments. Domains keep gradchecks away from kinks and poles; ``distinct`` draws tie-free values
(a permutation of a grid whose gaps are far above the finite-difference eps) for max-like ops.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from hypothesis import strategies as st

import minigrad as mg
import minigrad.nn.functional as F

try:  # the registry itself must import without torch: the torch tests then skip, saying why
    import torch
    import torch.nn.functional as TF
except ImportError:  # pragma: no cover - depends on the environment
    torch = TF = None

__all__ = ["Sample", "OpInfo", "OPS", "fill", "array", "shapes", "broadcast_shapes", "dims", "sample",
           "FLOATS", "ALL_DTYPES"]


@dataclass(frozen=True)
class Sample:
    """One call of an op.

    args: positional args; NumPy arrays become Tensors on the test's backend (torch tensors for ``ref``),
        anything else passes as is. kwargs: the same (arrays there become tensors that never require grad).
    grad: indices of the array args that require grad (None: every float array).
    """
    args: tuple
    kwargs: dict = field(default_factory=dict)
    grad: tuple[int, ...] | None = None


@dataclass(frozen=True)
class OpInfo:
    """One op, declared once. ``atol``/``rtol`` are the tolerances of the comparison with torch in float32
    (and float16); float64 compares at ``atol * 1e-5`` and ``rtol * 1e-3`` (1e-12 and 1e-9 by default).
    Integer and bool outputs must match exactly, and so must every output dtype."""
    name: str
    op: Callable
    ref: Callable | None
    samples: Callable
    large: Callable | None = None
    differentiable: bool = True
    dtypes: tuple = ("float64", "float32")
    atol: float = 1e-7
    rtol: float = 1e-6
    skip_backends: tuple = ()


# --------------------------------------------------------------------------------------------- values

FLOATS = ("float64", "float32")
ALL_DTYPES = ("float64", "float32", "int64", "bool")


def fill(rng: np.random.Generator, shape: tuple[int, ...], dtype="float64", domain: str = "real") -> np.ndarray:
    """An array of ``shape`` and ``dtype`` with values from ``domain``:

    real [-3, 3]; positive [0.2, 3]; nonzero |v| in [0.2, 3]; unit [-0.9, 0.9]; distinct: tie-free, a shuffled
    grid in [-3, 3] whose gap (min(0.1, 6/n)) is far above eps (1e-6) and float32's spacing; int-valued:
    integers in [-5, 5] (exactly representable, for floor/round/sign style ops, with ties on purpose).
    Integer dtypes draw integers from the domain's range; bool draws a fair coin.
    """
    dt = np.dtype(dtype)
    n = math.prod(shape)
    if dt.kind == "b":
        return rng.random(shape) < 0.5
    if dt.kind in "iu":
        lo, hi = {"positive": (1, 6), "unit": (-1, 2)}.get(domain, (-5, 6))
        if domain == "distinct":
            return (rng.permutation(n) - n // 2).reshape(shape).astype(dt)
        vals = rng.integers(max(lo, 0) if dt.kind == "u" else lo, hi, shape)
        if domain == "nonzero":
            vals = np.where(vals == 0, 1, vals)
        return vals.astype(dt)
    if domain == "distinct":
        gap = min(0.1, 6.0 / max(n, 1))
        return ((rng.permutation(n) - n / 2) * gap).reshape(shape).astype(dt)
    if domain == "positive":
        v = rng.uniform(0.2, 3.0, shape)
    elif domain == "nonzero":
        v = rng.uniform(0.2, 3.0, shape) * rng.choice([-1.0, 1.0], shape)
    elif domain == "unit":
        v = rng.uniform(-0.9, 0.9, shape)
    elif domain == "int-valued":
        v = rng.integers(-5, 6, shape).astype(np.float64)
    elif domain == "real":
        v = rng.uniform(-3.0, 3.0, shape)
    else:
        raise ValueError(f"unknown domain {domain!r}")
    return np.asarray(v, dtype=dt)


seeds = st.integers(0, 2**32 - 1)


def array(shape: tuple[int, ...], dtype="float64", domain: str = "real") -> st.SearchStrategy[np.ndarray]:
    """A strategy of arrays: hypothesis draws the seed, :func:`fill` the values."""
    return seeds.map(lambda s: fill(np.random.default_rng(s), tuple(shape), dtype, domain))


# --------------------------------------------------------------------------------------------- shapes

def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 4) -> st.SearchStrategy:
    """Shapes with sides mostly >= 2 (a shape of ones hides broadcasting and reduction bugs)."""
    side = st.integers(max(min_side, 2), max_side) if max_side >= 2 and min_side <= 2 else st.integers(min_side, max_side)
    if min_side <= 1:
        side = st.one_of(side, side, side, st.just(1))  # a 1 now and then
    return st.lists(side, min_size=min_dims, max_size=max_dims).map(tuple)


@st.composite
def broadcast_shapes(draw, n: int = 2, min_dims: int = 0, max_dims: int = 3, max_side: int = 4) -> list[tuple]:
    """``n`` shapes that broadcast together, and actually broadcast most of the time: a base shape with
    sides >= 2, each operand a suffix of it (leading dims dropped) with some dims stretched to 1. About one
    draw in five gives every operand the full base shape."""
    base = draw(st.lists(st.integers(2, max_side), min_size=max(min_dims, 1), max_size=max(max_dims, 1)).map(tuple))
    if draw(st.integers(0, 4)) == 0:
        return [base] * n
    out = []
    for _ in range(n):
        drop = draw(st.integers(0, len(base) - min_dims))
        s = list(base[drop:])
        for i in range(len(s)):
            if draw(st.integers(0, 2)) == 0:
                s[i] = 1
        out.append(tuple(s))
    if all(s == out[0] for s in out) and out[0] == base:  # make sure something broadcasts
        out[-1] = base[1:] if len(base) > min_dims else (1,) * len(base)
    return out


def dims(ndim: int, none: bool = False) -> st.SearchStrategy:
    """A dim for a tensor of ``ndim`` dims, negative ones included; 0-d tensors take -1 and 0 as PyTorch does."""
    d = st.integers(-max(ndim, 1), max(ndim, 1) - 1)
    return st.one_of(st.none(), d) if none else d


def sample(*args, grad=None, **kwargs) -> Sample:
    return Sample(args, kwargs, grad)


# --------------------------------------------------------------------------------------------- builders

def _same(fn: Callable) -> tuple[Callable, Callable]:
    """The same callable for minigrad and torch: the public APIs share names and signatures on purpose."""
    return fn, fn


def _unary_samples(domain: str, min_dims: int = 0, max_side: int = 4):
    def samples(dtype):
        return shapes(min_dims=min_dims, max_side=max_side).flatmap(lambda s: array(s, dtype, domain)).map(sample)
    return samples


def _unary_large(domain: str):
    return lambda rng, dtype: sample(fill(rng, (64, 1024), dtype, domain))


def unary(name: str, fn: Callable, domain: str = "real", ref: Callable | None = None, **kw) -> OpInfo:
    """An elementwise one-input op (method or function) on shapes up to 3-D, 0-d included."""
    return OpInfo(name, fn, fn if ref is None else ref, _unary_samples(domain), **kw)


def _binary_samples(dom_a: str, dom_b: str):
    def samples(dtype):
        @st.composite
        def draw_pair(draw):
            sa, sb = draw(broadcast_shapes(2))
            return sample(draw(array(sa, dtype, dom_a)), draw(array(sb, dtype, dom_b)))
        return draw_pair()
    return samples


def binary(name: str, fn: Callable, dom_a: str = "real", dom_b: str = "real", **kw) -> OpInfo:
    """An elementwise two-tensor op with broadcasting."""
    return OpInfo(name, fn, fn, _binary_samples(dom_a, dom_b), **kw)


def _scalar_samples(dom_t: str, scalars: st.SearchStrategy):
    def samples(dtype):
        @st.composite
        def draw_one(draw):
            return sample(draw(shapes().flatmap(lambda s: array(s, dtype, dom_t))), draw(scalars))
        return draw_one()
    return samples


def with_scalar(name: str, fn: Callable, dom_t: str, scalars: st.SearchStrategy, **kw) -> OpInfo:
    """``fn(tensor, python_scalar)``: the scalar stays a Python number (weakly typed, as in PyTorch)."""
    return OpInfo(name, fn, fn, _scalar_samples(dom_t, scalars), **kw)


def _py(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def _nonzero_py(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.one_of(_py(-hi, -lo), _py(lo, hi))


# --------------------------------------------------------------------------------------------- elementwise

OPS: list[OpInfo] = [
    binary("add", lambda a, b: a + b),
    binary("sub", lambda a, b: a - b),
    binary("mul", lambda a, b: a * b),
    binary("div", lambda a, b: a / b, dom_b="nonzero"),
    binary("pow", lambda a, b: a ** b, dom_a="positive"),
    binary("pow_method", lambda a, b: a.pow(b), dom_a="positive"),
    with_scalar("add_scalar", lambda t, s: t + s, "real", _py(-3, 3)),
    with_scalar("radd_scalar", lambda t, s: s + t, "real", _py(-3, 3)),
    with_scalar("sub_scalar", lambda t, s: t - s, "real", _py(-3, 3)),
    with_scalar("rsub_scalar", lambda t, s: s - t, "real", _py(-3, 3)),
    with_scalar("mul_scalar", lambda t, s: t * s, "real", _py(-3, 3)),
    with_scalar("rmul_scalar", lambda t, s: s * t, "real", _py(-3, 3)),
    with_scalar("div_scalar", lambda t, s: t / s, "real", _nonzero_py(0.5, 3)),
    with_scalar("rdiv_scalar", lambda t, s: s / t, "nonzero", _py(-3, 3)),
    # integer exponents take any base; x ** 2 is the case that broke backward on CuPy
    with_scalar("pow_int_scalar", lambda t, s: t ** s, "real", st.integers(-2, 3)),
    with_scalar("pow_scalar", lambda t, s: t ** s, "positive", _py(-2, 3)),
    with_scalar("rpow_scalar", lambda t, s: s ** t, "real", _py(0.5, 3)),
    with_scalar("rpow_int_scalar", lambda t, s: s ** t, "real", st.integers(1, 3)),
    unary("neg", lambda t: -t),
    unary("exp", lambda t: t.exp()),
    unary("log", lambda t: t.log(), "positive"),
    unary("sqrt", lambda t: t.sqrt(), "positive"),
    unary("abs", lambda t: t.abs(), "nonzero"),
    unary("sigmoid", lambda t: t.sigmoid(), large=_unary_large("real")),
    unary("F.sigmoid", F.sigmoid, ref=lambda t: torch.sigmoid(t)),
    unary("relu", lambda t: t.relu(), "nonzero"),
    unary("F.relu", F.relu, "nonzero", ref=lambda t: TF.relu(t)),
    unary("tanh", lambda t: t.tanh(), atol=1e-6, rtol=1e-5),  # 1 - tanh**2 cancels in float32
    unary("F.tanh", F.tanh, ref=lambda t: torch.tanh(t), atol=1e-6, rtol=1e-5),
    unary("clone", lambda t: t.clone()),
]


# comparisons: bool results that never require grad; small integers make equal pairs common
def _compare_samples(dtype):
    @st.composite
    def draw_pair(draw):
        sa, sb = draw(broadcast_shapes(2))
        return sample(draw(array(sa, dtype, "int-valued" if dtype.startswith("float") else "real")),
                      draw(array(sb, dtype, "int-valued" if dtype.startswith("float") else "real")))
    return draw_pair()


for _name, _fn in {"lt": lambda a, b: a < b, "le": lambda a, b: a <= b, "gt": lambda a, b: a > b,
                   "ge": lambda a, b: a >= b, "eq": lambda a, b: a == b, "ne": lambda a, b: a != b,
                   "gt_scalar": lambda a, b: a > 0.0, "lt_reflected": lambda a, b: 0.0 < a}.items():
    OPS.append(OpInfo(_name, _fn, _fn, _compare_samples, differentiable=False, dtypes=("float64", "float32", "int64")))


# --------------------------------------------------------------------------------------------- reductions

def _reduce_samples(domain: str = "real", tuple_dims: bool = True, min_dims: int = 0):
    def samples(dtype):
        @st.composite
        def draw_one(draw):
            shape = draw(shapes(min_dims=min_dims))
            x = draw(array(shape, dtype, domain))
            choice = draw(st.integers(0, 2 if tuple_dims and shape else 1))
            if choice == 0:
                return sample(x)
            if choice == 1:
                return sample(x, dim=draw(dims(len(shape))), keepdim=draw(st.booleans()))
            ds = draw(st.lists(st.integers(-len(shape), len(shape) - 1), min_size=1, max_size=len(shape),
                               unique_by=lambda d: d % len(shape)).map(tuple))
            return sample(x, dim=ds, keepdim=draw(st.booleans()))
        return draw_one()
    return samples


def _reduce_large(domain="real"):
    return lambda rng, dtype: sample(fill(rng, (96, 80, 24), dtype, domain), dim=(0, 2))


def _values_of(method: str):
    """``x.max(dim)`` returns (values, indices); with no dim only the value."""
    return lambda x, **kw: getattr(x, method)(**kw)


def _minmax_samples(dtype):
    @st.composite
    def draw_one(draw):
        shape = draw(shapes(min_dims=0))
        x = draw(array(shape, dtype, "distinct"))
        if draw(st.booleans()):
            return sample(x)
        return sample(x, dim=draw(dims(len(shape))), keepdim=draw(st.booleans()))
    return draw_one()


OPS += [
    OpInfo("sum", *_same(lambda x, **kw: x.sum(**kw)), _reduce_samples(), large=_reduce_large(), atol=1e-5),
    OpInfo("mean", *_same(lambda x, **kw: x.mean(**kw)), _reduce_samples(), large=_reduce_large(), atol=1e-6),
    OpInfo("max", *_same(_values_of("max")), _minmax_samples,
           large=lambda rng, dtype: sample(fill(rng, (300, 200), dtype, "distinct"), dim=1)),
    OpInfo("min", *_same(_values_of("min")), _minmax_samples,
           large=lambda rng, dtype: sample(fill(rng, (300, 200), dtype, "distinct"), dim=0)),
]


# --------------------------------------------------------------------------------------------- shape ops

@st.composite
def _reshape_sample(draw, dtype, method="reshape"):
    shape = draw(shapes())
    n = math.prod(shape)
    k = draw(st.sampled_from([d for d in range(1, n + 1) if n % d == 0]))
    target = draw(st.sampled_from([(n,), (-1,), (1, n), tuple(reversed(shape)), (n // k, k), (k, -1), (n // k, 1, k)]))
    x = draw(array(shape, dtype))
    return sample(x, target) if draw(st.booleans()) or not target else sample(x, *target)


@st.composite
def _flatten_sample(draw, dtype):
    shape = draw(shapes(min_dims=1))
    nd = len(shape)
    start = draw(st.integers(-nd, nd - 1))
    end = draw(st.integers(-nd, nd - 1).filter(lambda e: e % nd >= start % nd))
    return sample(draw(array(shape, dtype)), start, end)


@st.composite
def _two_dims_sample(draw, dtype):
    shape = draw(shapes())
    return sample(draw(array(shape, dtype)), draw(dims(len(shape))), draw(dims(len(shape))))


@st.composite
def _permute_sample(draw, dtype):
    shape = draw(shapes())
    perm = tuple(draw(st.permutations(range(len(shape)))))
    x = draw(array(shape, dtype))
    return sample(x, perm) if draw(st.booleans()) or not perm else sample(x, *perm)


@st.composite
def _squeeze_sample(draw, dtype):
    shape = draw(st.lists(st.integers(1, 2), max_size=4).map(tuple))  # size-1 dims common
    x = draw(array(shape, dtype))
    d = draw(dims(len(shape), none=True))
    return sample(x) if d is None else sample(x, d)


@st.composite
def _unsqueeze_sample(draw, dtype):
    shape = draw(shapes())
    return sample(draw(array(shape, dtype)), draw(st.integers(-len(shape) - 1, len(shape))))


@st.composite
def _basic_index_sample(draw, dtype):
    shape = draw(shapes(min_dims=1))
    parts = []
    for n in shape[:draw(st.integers(1, len(shape)))]:
        kind = draw(st.integers(0, 3))
        if kind == 0:
            parts.append(draw(st.integers(-n, n - 1)))
        elif kind == 1:
            start = draw(st.integers(0, n - 1))
            parts.append(slice(start, draw(st.integers(start + 1, n)), draw(st.integers(1, 2))))
        elif kind == 2:
            parts.append(slice(None))
        else:
            parts.append(None)
            parts.append(slice(None))
    if draw(st.booleans()) and len(parts) < len(shape):
        parts.insert(draw(st.integers(0, len(parts))), Ellipsis)
    return sample(draw(array(shape, dtype)), tuple(parts))


@st.composite
def _array_index_sample(draw, dtype):
    """An integer index array (repeats included, so gradients must add up) on one dim, with slices around."""
    shape = draw(shapes(min_dims=1))
    d = draw(st.integers(0, len(shape) - 1))
    idx = draw(array((draw(st.integers(1, 5)),), "int64", "real")) % shape[d]
    return sample(draw(array(shape, dtype)), d, idx)


def _index_on_dim(x, d, idx):
    return x[(slice(None),) * d + (idx,)]


@st.composite
def _bool_index_sample(draw, dtype):
    shape = draw(shapes(min_dims=1))
    return sample(draw(array(shape, dtype)), draw(array(shape, "bool")))


OPS += [
    OpInfo("reshape", *_same(lambda x, *s: x.reshape(*s)), lambda d: _reshape_sample(d)),
    OpInfo("view", *_same(lambda x, *s: x.view(*s)), lambda d: _reshape_sample(d)),
    OpInfo("flatten", *_same(lambda x, *a: x.flatten(*a)), _flatten_sample),
    OpInfo("transpose", *_same(lambda x, a, b: x.transpose(a, b)), _two_dims_sample),
    OpInfo("T", *_same(lambda x: x.T), lambda d: shapes(2, 2).flatmap(lambda s: array(s, d)).map(sample)),
    OpInfo("permute", *_same(lambda x, *p: x.permute(*p)), _permute_sample),
    OpInfo("squeeze", *_same(lambda x, *d: x.squeeze(*d)), _squeeze_sample),
    OpInfo("unsqueeze", *_same(lambda x, d: x.unsqueeze(d)), _unsqueeze_sample),
    OpInfo("getitem_basic", *_same(lambda x, i: x[i]), _basic_index_sample),
    OpInfo("getitem_array", *_same(_index_on_dim), _array_index_sample),
    OpInfo("getitem_bool", *_same(lambda x, m: x[m]), _bool_index_sample),
]


# --------------------------------------------------------------------------------------------- linalg

@st.composite
def _matmul_sample(draw, dtype):
    """Each side 1-D or (batch..., rows, cols), batch dims broadcasting; 1-D @ 1-D only now and then."""
    n, k, m = (draw(st.integers(1, 4)) for _ in range(3))
    batch = draw(broadcast_shapes(2, min_dims=0, max_dims=2, max_side=3)) if draw(st.booleans()) else [(), ()]
    kind = draw(st.integers(0, 5))  # 0: a 1-D, 1: b 1-D, 2: both 1-D, else matrices
    a = (k,) if kind in (0, 2) else batch[0] + (n, k)
    b = (k,) if kind in (1, 2) else batch[1] + (k, m)
    return sample(draw(array(a, dtype)), draw(array(b, dtype)))


@st.composite
def _linear_sample(draw, dtype):
    batch = draw(shapes(max_dims=2))
    fin, fout = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    x, w = draw(array(batch + (fin,), dtype)), draw(array((fout, fin), dtype))
    return sample(x, w, draw(array((fout,), dtype))) if draw(st.booleans()) else sample(x, w)


def _matmul_large(rng, dtype):
    return sample(fill(rng, (3, 96, 200), dtype), fill(rng, (200, 80), dtype))


OPS += [
    OpInfo("matmul", *_same(lambda a, b: a @ b), _matmul_sample, large=_matmul_large, atol=1e-5, rtol=1e-5),
    OpInfo("matmul_method", *_same(lambda a, b: a.matmul(b)), _matmul_sample, atol=1e-5, rtol=1e-5),
    OpInfo("F.linear", F.linear, lambda *a: TF.linear(*a), _linear_sample, atol=1e-5, rtol=1e-5,
           large=lambda rng, dtype: sample(fill(rng, (4, 64, 300), dtype), fill(rng, (100, 300), dtype),
                                           fill(rng, (100,), dtype))),
]


# --------------------------------------------------------------------------------------------- conv, pool, mse

def _int_or_pair(lo: int, hi: int):
    return st.integers(lo, hi) | st.tuples(st.integers(lo, hi), st.integers(lo, hi))


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


@st.composite
def _conv_sample(draw, dtype):
    n, c, o = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride, padding = draw(_int_or_pair(1, 3)), draw(_int_or_pair(0, 2))
    ph, pw = _pair(padding)
    h = draw(st.integers(max(1, kh - 2 * ph), 6))
    w = draw(st.integers(max(1, kw - 2 * pw), 6))
    x, wt = draw(array((n, c, h, w), dtype)), draw(array((o, c, kh, kw), dtype))
    bias = draw(array((o,), dtype)) if draw(st.booleans()) else None
    return sample(x, wt, bias, stride=stride, padding=padding)


@st.composite
def _pool_sample(draw, dtype):
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    kernel = draw(_int_or_pair(1, 3))
    kh, kw = _pair(kernel)
    stride = draw(st.none() | _int_or_pair(1, 3))
    padding = (draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2)))
    ph, pw = padding
    h = draw(st.integers(max(1, kh - 2 * ph), 7))
    w = draw(st.integers(max(1, kw - 2 * pw), 7))
    return sample(draw(array((n, c, h, w), dtype, "distinct")), kernel, stride=stride, padding=padding)


@st.composite
def _mse_sample(draw, dtype):
    shape = draw(shapes())
    return sample(draw(array(shape, dtype)), draw(array(shape, dtype)),
                  reduction=draw(st.sampled_from(["mean", "sum", "none"])))


OPS += [
    OpInfo("F.conv2d", F.conv2d, lambda *a, **k: TF.conv2d(*a, **k), _conv_sample, atol=1e-5, rtol=1e-5,
           large=lambda rng, dtype: sample(fill(rng, (16, 8, 16, 16), dtype), fill(rng, (12, 8, 3, 3), dtype),
                                           fill(rng, (12,), dtype), padding=1)),
    # the tiled path (kernel == stride, no padding); its large input has > 4,096 windows
    OpInfo("F.max_pool2d", F.max_pool2d, lambda *a, **k: TF.max_pool2d(*a, **k), _pool_sample,
           large=lambda rng, dtype: sample(fill(rng, (16, 16, 16, 16), dtype, "distinct"), 2)),
    # overlapping, padded windows: the slab-by-slab path with many windows
    OpInfo("F.max_pool2d_overlap", F.max_pool2d, lambda *a, **k: TF.max_pool2d(*a, **k), _pool_sample,
           large=lambda rng, dtype: sample(fill(rng, (8, 16, 17, 15), dtype, "distinct"), 3, stride=1, padding=1)),
    OpInfo("F.mse_loss", F.mse_loss, lambda *a, **k: TF.mse_loss(*a, **k), _mse_sample, atol=1e-6,
           large=lambda rng, dtype: sample(fill(rng, (256, 300), dtype), fill(rng, (256, 300), dtype))),
]
