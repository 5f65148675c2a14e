"""The op registry: one :class:`OpInfo` per op drives every generic op test (tests/ops/test_opinfo.py).

In the spirit of PyTorch's OpInfo and MyGrad's backprop test factory, an entry says once

- ``op``: the minigrad callable, ``op(*args, **kwargs) -> Tensor`` (or a tuple of Tensors);
- ``ref``: the PyTorch callable with the same signature on torch tensors (None: torch has no counterpart);
- ``samples(dtype)``: a hypothesis strategy of :class:`Sample` (shapes, values in the op's domain, kwargs);
- ``large(rng, dtype)``: one big input that reaches size-dependent branches (checked against torch);
- whether it is differentiable, the dtypes its forward is compared with torch in, and the tolerances.

and test_opinfo.py derives from it: gradcheck in float64 with a random upstream gradient, the forward and
backward against PyTorch per dtype, the large input against PyTorch, and parity of every backend with numpy.
Adding an op is a Function, one line in minigrad/optable.py, and one entry here (or in tests/support/opinfo_nn.py /
tests/support/opinfo_losses.py, which define their own ``OPS`` list). Entries are keyed by the op table's names:
``[mg.|F.]<op>[_<variant>]`` (``pow_method``, ``mg.sum``, ``F.max_pool2d_indices``); tests/ops/test_optable.py
fails for an op of the table that no entry names.

Values come from a NumPy generator seeded by hypothesis, not element by element: every draw is a generic
point in the op's domain (no runs of 0.0 that a shrinker likes), while hypothesis explores shapes, dims
and arguments. Domains keep gradchecks away from kinks and poles; ``distinct`` draws tie-free values
(a permutation of a grid whose gaps are far above the finite-difference eps) for max-like ops.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field, replace
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

__all__ = ["Sample", "OpInfo", "OPS", "fill", "array", "shapes", "broadcast_shapes", "dims", "sample", "same", "unary",
           "binary", "with_scalar", "BROADCAST_TOL",
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

    def __post_init__(self) -> None:
        # One strategy object per dtype, built once: a strategy is immutable, and building it again for every
        # test re-runs hypothesis's per-object work (the @composite source checks, the is_empty analysis),
        # which was a large part of the suite's time.
        object.__setattr__(self, "samples", functools.lru_cache(maxsize=None)(self.samples))


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
    return np.asarray(_fill(rng, tuple(shape), np.dtype(dtype), domain))  # 0-d draws come back as scalars


def _fill(rng: np.random.Generator, shape: tuple[int, ...], dt: np.dtype, domain: str):
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
    lo = max(min_side, 2) if max_side >= 2 else min_side
    side = st.integers(lo, max_side)
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

def same(fn: Callable) -> tuple[Callable, Callable]:
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


BROADCAST_TOL = dict(atol=1e-5, rtol=1e-5)  # a broadcast operand's float32 gradient is a sum of many terms


def binary(name: str, fn: Callable, dom_a: str = "real", dom_b: str = "real", **kw) -> OpInfo:
    """An elementwise two-tensor op with broadcasting."""
    return OpInfo(name, fn, fn, _binary_samples(dom_a, dom_b), **{**BROADCAST_TOL, **kw})


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
    unary("log10", lambda t: t.log10(), "positive"),
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
    OpInfo("sum", *same(lambda x, **kw: x.sum(**kw)), _reduce_samples(), large=_reduce_large(), atol=1e-5),
    OpInfo("mean", *same(lambda x, **kw: x.mean(**kw)), _reduce_samples(), large=_reduce_large(), atol=1e-6),
    OpInfo("max", *same(_values_of("max")), _minmax_samples,
           large=lambda rng, dtype: sample(fill(rng, (300, 200), dtype, "distinct"), dim=1)),
    OpInfo("min", *same(_values_of("min")), _minmax_samples,
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
    """Ints (negative too), slices with steps, None and ``...``: some leading dims, maybe ``...`` and some
    trailing dims."""
    shape = draw(shapes(min_dims=1))

    def part(n):
        kind = draw(st.integers(0, 3))
        if kind == 0:
            return [draw(st.integers(-n, n - 1))]
        if kind == 1:
            start = draw(st.integers(0, n - 1))
            return [slice(start, draw(st.integers(start + 1, n)), draw(st.integers(1, 2)))]
        return [slice(None)] if kind == 2 else [None, slice(None)]

    front = draw(st.integers(1, len(shape)))
    parts = [p for n in shape[:front] for p in part(n)]
    if draw(st.booleans()):
        back = draw(st.integers(0, len(shape) - front))
        parts += [Ellipsis] + [p for n in shape[len(shape) - back:] for p in part(n)]
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
    OpInfo("reshape", *same(lambda x, *s: x.reshape(*s)), lambda d: _reshape_sample(d)),
    OpInfo("view", *same(lambda x, *s: x.view(*s)), lambda d: _reshape_sample(d)),
    OpInfo("flatten", *same(lambda x, *a: x.flatten(*a)), _flatten_sample),
    OpInfo("transpose", *same(lambda x, a, b: x.transpose(a, b)), _two_dims_sample),
    OpInfo("T", *same(lambda x: x.T), lambda d: shapes(2, 2).flatmap(lambda s: array(s, d)).map(sample)),
    OpInfo("permute", *same(lambda x, *p: x.permute(*p)), _permute_sample),
    OpInfo("squeeze", *same(lambda x, *d: x.squeeze(*d)), _squeeze_sample),
    OpInfo("unsqueeze", *same(lambda x, d: x.unsqueeze(d)), _unsqueeze_sample),
    OpInfo("getitem_basic", *same(lambda x, i: x[i]), _basic_index_sample),
    OpInfo("getitem_array", *same(_index_on_dim), _array_index_sample),
    OpInfo("getitem_bool", *same(lambda x, m: x[m]), _bool_index_sample),
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
    OpInfo("matmul", *same(lambda a, b: a @ b), _matmul_sample, large=_matmul_large, atol=1e-5, rtol=1e-5),
    OpInfo("matmul_method", *same(lambda a, b: a.matmul(b)), _matmul_sample, atol=1e-5, rtol=1e-5),
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


# --------------------------------------------------------------------------------------------- tensor ops

@st.composite
def _cat_sample(draw, dtype, new_dim=False):
    """2-3 tensors that agree outside ``dim`` (cat) or everywhere (stack), and a dim, negative ones too."""
    shape = draw(shapes(min_dims=0 if new_dim else 1))
    k = draw(st.integers(1, 3))
    nd = len(shape)
    dim = draw(st.integers(-nd - 1, nd)) if new_dim else draw(dims(nd))
    arrays = []
    for _ in range(k):
        s = list(shape)
        if not new_dim:
            s[dim] = draw(st.integers(1, 3))
        arrays.append(draw(array(tuple(s), dtype)))
    return sample(*arrays, dim=dim)


@st.composite
def _where_sample(draw, dtype):
    sc, sa, sb = draw(broadcast_shapes(3))
    return sample(draw(array(sc, "bool")), draw(array(sa, dtype)), draw(array(sb, dtype)))


@st.composite
def _where_scalar_sample(draw, dtype):
    shape = draw(shapes())
    return sample(draw(array(shape, "bool")), draw(array(shape, dtype)), draw(_py(-3, 3)))


@st.composite
def _clamp_sample(draw, dtype):
    x = draw(shapes().flatmap(lambda s: array(s, dtype)))
    lo = draw(st.none() | st.sampled_from([-2.05, -1.05, -0.05, 0.95]))
    hi = draw(st.sampled_from([-0.55, 0.45, 1.45, 2.45]) if lo is None else
              st.none() | st.sampled_from([lo + 0.5, lo + 1.5, lo + 3.0]))
    if lo is not None and hi is not None and draw(st.integers(0, 9)) == 0:
        lo, hi = hi, lo  # min > max: everything becomes max, as in PyTorch
    return sample(x, min=lo, max=hi)


@st.composite
def _clamp_tensor_sample(draw, dtype):
    sx, slo, shi = draw(broadcast_shapes(3))
    sx = np.broadcast_shapes(sx, slo, shi)  # PyTorch's clamp keeps x's shape: bounds may not enlarge it
    lo = np.asarray(draw(array(slo, dtype)) - 1.5)  # (0-d arithmetic gives NumPy scalars: keep arrays)
    return sample(draw(array(sx, dtype)), lo, np.asarray(lo + 2.0 + draw(array(shi, dtype, "positive"))))


@st.composite
def _expand_sample(draw, dtype):
    shape = draw(st.lists(st.integers(1, 3), max_size=3).map(tuple))
    lead = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    sizes = lead + tuple(draw(st.sampled_from([-1, n] if n != 1 else [-1, 1, 2, 4])) for n in shape)
    x = draw(array(shape, dtype))
    return sample(x, sizes) if draw(st.booleans()) or not sizes else sample(x, *sizes)


@st.composite
def _repeat_sample(draw, dtype):
    shape = draw(shapes(max_side=3))
    reps = tuple(draw(st.lists(st.integers(1, 3), min_size=len(shape), max_size=len(shape) + 2)))
    x = draw(array(shape, dtype))
    return sample(x, reps) if draw(st.booleans()) or not reps else sample(x, *reps)


@st.composite
def _flip_sample(draw, dtype):
    shape = draw(shapes(min_dims=1))
    nd = len(shape)
    ds = tuple(draw(st.lists(st.integers(-nd, nd - 1), min_size=1, max_size=nd, unique_by=lambda d: d % nd)))
    return sample(draw(array(shape, dtype)), ds)


@st.composite
def _masked_fill_sample(draw, dtype):
    shape = draw(shapes())
    mshape = shape[draw(st.integers(0, len(shape))):]
    mshape = tuple(1 if draw(st.integers(0, 3)) == 0 else n for n in mshape)
    return sample(draw(array(shape, dtype)), draw(array(mshape, "bool")), draw(_py(-3, 3)))


@st.composite
def _gather_sample(draw, dtype):
    shape = draw(shapes(min_dims=1))
    d = draw(dims(len(shape)))
    ishape = tuple(draw(st.integers(1, 5)) if i == d % len(shape) else draw(st.integers(1, n))
                   for i, n in enumerate(shape))
    idx = draw(array(ishape, "int64", "real")) % shape[d]  # repeats on purpose: their gradients add up
    return sample(draw(array(shape, dtype)), d, idx)


@st.composite
def _var_sample(draw, dtype, std=False):
    """std is not differentiable where the spread is 0 (one element): it gets sides >= 2."""
    shape = draw(shapes(min_dims=1, min_side=2) if std else shapes(min_dims=0))
    x = draw(array(shape, dtype))
    nd = len(shape)
    dim = draw(st.none() | (dims(nd) if nd else st.none()) |
               st.lists(st.integers(-max(nd, 1), max(nd, 1) - 1), min_size=1, max_size=max(nd, 1),
                        unique_by=lambda d: d % max(nd, 1)).map(tuple))
    axes = range(nd) if dim is None else [d % max(nd, 1) for d in ((dim,) if isinstance(dim, int) else dim)]
    count = math.prod(shape[a] for a in axes) if nd else 1
    kw = {"keepdim": draw(st.booleans())}
    choice = draw(st.integers(0, 2))
    if choice == 1:
        kw["unbiased"] = draw(st.booleans())
    elif choice == 2:
        kw["correction"] = draw(st.sampled_from([0, 1] if std else [0, 1, 2]))
    corr = kw.get("correction", 0 if kw.get("unbiased") is False else 1)
    if count - corr <= 0:  # no spread to divide by: inf/nan in both libraries, nothing to differentiate
        kw = {"keepdim": kw["keepdim"], "correction": 0}
    return sample(x, dim, **kw)


@st.composite
def _prod_sample(draw, dtype, domain="real"):
    shape = draw(shapes(max_side=3))
    x = draw(array(shape, dtype, domain))
    if draw(st.booleans()):
        return sample(x)
    return sample(x, draw(dims(len(shape))), keepdim=draw(st.booleans()))


@st.composite
def _cumsum_sample(draw, dtype):
    shape = draw(shapes())
    return sample(draw(array(shape, dtype)), draw(dims(len(shape))))


@st.composite
def _split_sample(draw, dtype):
    shape = draw(shapes(min_dims=1, max_side=6))
    d = draw(dims(len(shape)))
    n = shape[d]
    if draw(st.booleans()):
        how = draw(st.integers(1, n + 1))
    else:
        cuts = sorted(draw(st.lists(st.integers(0, n), max_size=3)))
        how = [b - a for a, b in zip([0] + cuts, cuts + [n])]
    return sample(draw(array(shape, dtype)), how, d)


@st.composite
def _chunk_sample(draw, dtype):
    shape = draw(shapes(min_dims=1, max_side=7))
    return sample(draw(array(shape, dtype)), draw(st.integers(1, 5)), draw(dims(len(shape))))


@st.composite
def _nan_inf_sample(draw, dtype):
    shape = draw(shapes())
    x = draw(array(shape, dtype))
    if np.dtype(dtype).kind == "f" and x.size:
        rng = np.random.default_rng(draw(seeds))
        x = x.copy()
        x[rng.random(shape) < 0.3] = np.nan
        x[rng.random(shape) < 0.2] = np.inf
        x[rng.random(shape) < 0.2] = -np.inf
    return sample(x)


@st.composite
def _all_any_sample(draw, dtype):
    shape = draw(shapes())
    x = draw(array(shape, dtype, "int-valued" if dtype.startswith("float") else "unit"))
    if draw(st.booleans()):
        return sample(x)
    return sample(x, draw(dims(len(shape))), keepdim=draw(st.booleans()))


# matrix products, batches, diagonals, full and partial sums, outer products, implicit output, ellipsis
EINSUM = ("ij,jk->ik", "bij,bjk->bik", "ii->i", "ii", "ij->", "i,i->", "i,j->ij", "ij->ji", "...ij,...jk->...ik",
          "bii->b", "ij,ij->i", "ijk,k", "i,ij,j")


@st.composite
def _einsum_sample(draw, dtype):
    eq = draw(st.sampled_from(EINSUM))
    size = {c: draw(st.integers(1, 4)) for c in "ijkb"}
    batch = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    terms = eq.split("->")[0].split(",")
    arrays = [draw(array(batch * ("..." in t) + tuple(size[c] for c in t.replace("...", "")), dtype)) for t in terms]
    return sample(*arrays, equation=eq)


@st.composite
def _dot_sample(draw, dtype):
    n = draw(st.integers(1, 6))
    return sample(draw(array((n,), dtype)), draw(array((n,), dtype)))


@st.composite
def _mixed_index_sample(draw, dtype):
    """An int, slices and an index array together: PyTorch applies the int first (NumPy would not)."""
    shape = draw(shapes(min_dims=3, max_dims=3, min_side=2))
    order = draw(st.permutations(["int", "slice", "array"]))
    parts = []
    for kind, n in zip(order, shape):
        if kind == "int":
            parts.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            parts.append(slice(None))
        else:
            parts.append(draw(array((draw(st.integers(1, 4)),), "int64")) % n)
    return sample(draw(array(shape, dtype)), tuple(parts))


def _mixed_index_ref(x, index):
    return x[tuple(torch.from_numpy(i) if isinstance(i, np.ndarray) else i for i in index)]


def _torch_split(x, how, d):
    return torch.split(x, how, d)


OPS += [
    OpInfo("cat", lambda *ts, dim: mg.cat(ts, dim), lambda *ts, dim: torch.cat(ts, dim), _cat_sample,
           dtypes=("float64", "float32", "int64")),
    OpInfo("stack", lambda *ts, dim: mg.stack(ts, dim), lambda *ts, dim: torch.stack(ts, dim),
           lambda d: _cat_sample(d, new_dim=True)),
    OpInfo("where", mg.where, lambda *a: torch.where(*a), _where_sample, dtypes=("float64", "float32", "int64"),
           **BROADCAST_TOL),
    OpInfo("where_scalar", mg.where, lambda *a: torch.where(*a), _where_scalar_sample),
    OpInfo("where_method", *same(lambda c, x, y: x.where(c, y)), _where_sample, **BROADCAST_TOL),
    OpInfo("clamp", *same(lambda x, **kw: x.clamp(**kw)), _clamp_sample),
    OpInfo("clip", *same(lambda x, **kw: x.clip(**kw)), _clamp_sample),
    OpInfo("mg.clamp", lambda x, **kw: mg.clamp(x, **kw), lambda x, **kw: torch.clamp(x, **kw), _clamp_sample),
    OpInfo("clamp_tensors", *same(lambda x, lo, hi: x.clamp(lo, hi)), _clamp_tensor_sample, **BROADCAST_TOL),
    binary("maximum", lambda a, b: a.maximum(b)),
    binary("minimum", lambda a, b: a.minimum(b)),
    OpInfo("mg.maximum", mg.maximum, lambda a, b: torch.maximum(a, b), _binary_samples("real", "real"),
           **BROADCAST_TOL),
    OpInfo("mg.max_binary", mg.max, lambda a, b: torch.max(a, b), _binary_samples("real", "real"), **BROADCAST_TOL),
    OpInfo("expand", *same(lambda x, *s: x.expand(*s)), _expand_sample),
    OpInfo("repeat", *same(lambda x, *r: x.repeat(*r)), _repeat_sample,
           large=lambda rng, dtype: sample(fill(rng, (64, 1, 50), dtype), (2, 3, 30, 4))),
    OpInfo("flip", *same(lambda x, d: x.flip(d)), _flip_sample),
    OpInfo("mg.flip", mg.flip, lambda x, d: torch.flip(x, d), _flip_sample),
    OpInfo("masked_fill", *same(lambda x, m, v: x.masked_fill(m, v)), _masked_fill_sample),
    OpInfo("gather", *same(lambda x, d, i: x.gather(d, i)), _gather_sample, dtypes=("float64", "float32", "int64"),
           large=lambda rng, dtype: sample(fill(rng, (500, 64), dtype), 0, rng.integers(0, 500, (900, 64)))),
    OpInfo("var", *same(lambda x, *a, **k: x.var(*a, **k)), _var_sample, atol=1e-6, rtol=1e-5,
           large=lambda rng, dtype: sample(fill(rng, (300, 40, 20), dtype) + 5, (0, 2))),
    OpInfo("std", *same(lambda x, *a, **k: x.std(*a, **k)), lambda d: _var_sample(d, std=True), atol=1e-6,
           rtol=1e-5),
    OpInfo("mg.var", lambda x, *a, **k: mg.var(x, *a, **k), lambda x, *a, **k: torch.var(x, *a, **k), _var_sample,
           atol=1e-6, rtol=1e-5),
    OpInfo("prod", *same(lambda x, *a, **k: x.prod(*a, **k)), _prod_sample, atol=1e-5, rtol=1e-5,
           dtypes=("float64", "float32", "int64")),
    # integers in [-5, 5] stored as floats: zeros (one or several per slice) are common, and exact
    OpInfo("prod_with_zeros", *same(lambda x, *a, **k: x.prod(*a, **k)), lambda d: _prod_sample(d, "int-valued"),
           atol=1e-5, rtol=1e-5),
    OpInfo("cumsum", *same(lambda x, d: x.cumsum(d)), _cumsum_sample, atol=1e-6, rtol=1e-5,
           dtypes=("float64", "float32", "int64", "bool"),
           large=lambda rng, dtype: sample(fill(rng, (40, 3000), dtype), 1)),
    OpInfo("split", *same(lambda x, how, d: x.split(how, d)), _split_sample),
    OpInfo("mg.split", mg.split, _torch_split, _split_sample),
    OpInfo("chunk", *same(lambda x, c, d: x.chunk(c, d)), _chunk_sample),
    unary("sin", lambda t: t.sin(), dtypes=("float64", "float32", "int64")),
    unary("cos", lambda t: t.cos(), dtypes=("float64", "float32", "int64")),
    unary("mg.sin", mg.sin, ref=lambda t: torch.sin(t)),
    unary("floor", lambda t: t.floor(), dtypes=("float64", "float32", "int64")),
    unary("ceil", lambda t: t.ceil(), dtypes=("float64", "float32", "int64")),
    unary("round", lambda t: t.round(), dtypes=("float64", "float32", "int64")),
    # halves round to even in both libraries
    OpInfo("round_halves", *same(lambda t: t.round()), lambda d: shapes().flatmap(
        lambda s: array(s, d, "int-valued").map(lambda a: sample(np.asarray(a + np.asarray(0.5, a.dtype))))),
        differentiable=False),
    unary("sign", lambda t: t.sign(), "nonzero", dtypes=("float64", "float32", "int64")),
    OpInfo("isnan", *same(lambda t: t.isnan()), _nan_inf_sample, differentiable=False,
           dtypes=("float64", "float32", "int64")),
    OpInfo("isinf", *same(lambda t: t.isinf()), _nan_inf_sample, differentiable=False,
           dtypes=("float64", "float32", "int64")),
    OpInfo("all", *same(lambda x, *a, **k: x.all(*a, **k)), _all_any_sample, differentiable=False,
           dtypes=("bool", "float64", "int64")),
    OpInfo("any", *same(lambda x, *a, **k: x.any(*a, **k)), _all_any_sample, differentiable=False,
           dtypes=("bool", "float64", "int64")),
    OpInfo("einsum", lambda *ts, equation: mg.einsum(equation, *ts),
           lambda *ts, equation: torch.einsum(equation, *ts), _einsum_sample, atol=1e-5, rtol=1e-5,
           large=lambda rng, dtype: sample(fill(rng, (8, 64, 100), dtype), fill(rng, (8, 100, 48), dtype),
                                           equation="bij,bjk->bik")),
    OpInfo("dot", *same(lambda a, b: a.dot(b)), _dot_sample, atol=1e-6, rtol=1e-5),
    OpInfo("mg.dot", mg.dot, lambda a, b: torch.dot(a, b), _dot_sample, atol=1e-6, rtol=1e-5),
    OpInfo("getitem_mixed", lambda x, i: x[i], _mixed_index_ref, _mixed_index_sample),
    # PyTorch spellings: axis= for dim=, function forms, dtype conversions
    OpInfo("sum_axis", *same(lambda x, a: x.sum(axis=a)), lambda d: _cumsum_sample(d), atol=1e-5),
    OpInfo("mean_axis", *same(lambda x, a: x.mean(axis=a, keepdim=True)), lambda d: _cumsum_sample(d), atol=1e-6),
    OpInfo("max_axis", *same(lambda x, a: x.max(axis=a)), lambda d: _minmax_axis_sample(d)),
    OpInfo("mg.sum", lambda x, **kw: mg.sum(x, **kw), lambda x, **kw: torch.sum(x, **kw), _reduce_samples(), atol=1e-5,
           dtypes=("float64", "float32", "int64", "bool")),
    OpInfo("mg.exp", mg.exp, lambda x: torch.exp(x), _unary_samples("real"), dtypes=("float64", "float32", "int64")),
    OpInfo("float()", *same(lambda x: x.float()), _unary_samples("real"), differentiable=False,
           dtypes=("float64", "float32", "int64", "bool")),
    OpInfo("double()", *same(lambda x: x.double()), _unary_samples("real"), dtypes=("float64", "float32", "int64")),
    OpInfo("half()", *same(lambda x: x.half()), _unary_samples("real"), differentiable=False, atol=1e-3, rtol=1e-3),
    OpInfo("int()", *same(lambda x: x.int()), _unary_samples("real"), differentiable=False,
           dtypes=("float64", "int64", "bool")),
    OpInfo("long()", *same(lambda x: x.long()), _unary_samples("real"), differentiable=False,
           dtypes=("float64", "int64", "bool")),
    OpInfo("bool()", *same(lambda x: x.bool()), _unary_samples("int-valued"), differentiable=False,
           dtypes=("float64", "int64")),
]


@st.composite
def _minmax_axis_sample(draw, dtype):
    shape = draw(shapes(min_dims=1))
    return sample(draw(array(shape, dtype, "distinct")), draw(dims(len(shape))))


# integer (and unsigned) dtypes for the existing reductions: min/max pick, never negate
OPS = [replace(op, dtypes=op.dtypes + ("int64", "uint8")) if op.name in ("max", "min") else
       replace(op, dtypes=op.dtypes + ("int64", "bool")) if op.name == "sum" else op for op in OPS]


# ------------------------------------- sort/topk/median, bmm/outer, tril/triu/diag, roll/narrow, index and scatter
@st.composite
def _sort_sample(draw, dtype):
    shape = draw(shapes())
    kw = {"descending": draw(st.booleans())}
    if draw(st.booleans()):
        kw["stable"] = True
    return sample(draw(array(shape, dtype, "distinct")), dim=draw(dims(len(shape))), **kw)


@st.composite
def _sort_ties_sample(draw, dtype):
    """Integer-valued elements with many ties: the stable order (equal elements in index order) must be torch's."""
    shape = draw(shapes(min_dims=1, max_side=6))
    return sample(draw(array(shape, dtype, "int-valued")), dim=draw(dims(len(shape))),
                  descending=draw(st.booleans()), stable=True)


@st.composite
def _topk_sample(draw, dtype):
    shape = draw(shapes())
    d = draw(dims(len(shape)))
    n = shape[d] if shape else 1
    return sample(draw(array(shape, dtype, "distinct")), draw(st.integers(0, n)), d, largest=draw(st.booleans()))


@st.composite
def _median_sample(draw, dtype):
    shape = draw(shapes(min_side=1))
    x = draw(array(shape, dtype, "distinct"))
    if draw(st.booleans()):
        return sample(x)
    return sample(x, draw(dims(len(shape))), keepdim=draw(st.booleans()))


@st.composite
def _bmm_sample(draw, dtype):
    b, n, m, p = (draw(st.integers(1, 4)) for _ in range(4))
    return sample(draw(array((b, n, m), dtype)), draw(array((b, m, p), dtype)))


@st.composite
def _triangle_sample(draw, dtype):
    shape = draw(shapes(min_dims=2, max_dims=4))
    return sample(draw(array(shape, dtype)), draw(st.integers(-3, 3)))


@st.composite
def _diag_sample(draw, dtype):
    shape = draw(shapes(min_dims=1, max_dims=2, max_side=5))
    return sample(draw(array(shape, dtype)), draw(st.integers(-3, 3)))


@st.composite
def _diagonal_sample(draw, dtype):
    shape = draw(shapes(min_dims=2, max_dims=4))
    nd = len(shape)
    d1 = draw(st.integers(-nd, nd - 1))
    d2 = draw(st.integers(-nd, nd - 1).filter(lambda d: d % nd != d1 % nd))
    return sample(draw(array(shape, dtype)), draw(st.integers(-3, 3)), d1, d2)


@st.composite
def _roll_sample(draw, dtype):
    shape = draw(shapes(min_dims=1))
    nd = len(shape)
    if draw(st.booleans()):
        return sample(draw(array(shape, dtype)), draw(st.integers(-7, 7)))
    ds = tuple(draw(st.lists(st.integers(-nd, nd - 1), min_size=1, max_size=nd, unique_by=lambda d: d % nd)))
    return sample(draw(array(shape, dtype)), tuple(draw(st.integers(-7, 7)) for _ in ds), ds)


@st.composite
def _narrow_sample(draw, dtype):
    shape = draw(shapes(min_dims=1))
    d = draw(dims(len(shape)))
    n = shape[d]
    start = draw(st.integers(0, n))
    length = draw(st.integers(0, n - start))
    if start < n and draw(st.booleans()):
        start -= n  # a negative start counts from the end
    return sample(draw(array(shape, dtype)), d, start, length)


@st.composite
def _index_select_sample(draw, dtype):
    shape = draw(shapes(min_dims=1))
    d = draw(dims(len(shape)))
    idx = draw(array((draw(st.integers(0, 6)),), "int64", "real")) % shape[d]  # repeats: gradients add up
    return sample(draw(array(shape, dtype)), d, idx)


def _distinct_index(rng, shape: tuple, ishape: tuple, d: int) -> np.ndarray:
    """An index of ``ishape`` into dim ``d`` of ``shape`` with no repeats along d (a scatter writes each place
    once, so the result does not depend on which write wins)."""
    perm = np.argsort(rng.random(ishape[:d] + (shape[d],) + ishape[d + 1:]), axis=d)
    return np.ascontiguousarray(np.take(perm, np.arange(ishape[d]), axis=d)).astype(np.int64)


@st.composite
def _scatter_sample(draw, dtype, add: bool = False, value: bool = False):
    shape = draw(shapes(min_dims=1))
    d = draw(dims(len(shape))) % len(shape)
    ishape = tuple(draw(st.integers(1, n)) for n in shape)
    rng = np.random.default_rng(draw(seeds))
    if add:  # repeats on purpose (the index may be longer than self along d): they add up
        ishape = tuple(n if i != d else draw(st.integers(1, 5)) for i, n in enumerate(ishape))
        idx = rng.integers(0, shape[d], ishape).astype(np.int64)
    else:
        idx = _distinct_index(rng, shape, ishape, d)
    x = draw(array(shape, dtype))
    if value:
        return sample(x, d, idx, draw(_py(-3, 3)), grad=(0,))
    # src has the index's shape: PyTorch 2.13's scatter backward fails for a larger src
    return sample(x, d, idx, draw(array(ishape, dtype)))


@st.composite
def _masked_select_sample(draw, dtype):
    shape = draw(shapes())
    mshape = shape[draw(st.integers(0, len(shape))):]
    mshape = tuple(1 if draw(st.integers(0, 3)) == 0 else n for n in mshape)
    if draw(st.booleans()):  # the mask may be the larger one
        shape, mshape = tuple(1 if draw(st.integers(0, 2)) == 0 else n for n in shape), shape
    return sample(draw(array(shape, dtype)), draw(array(mshape, "bool")))


@st.composite
def _cumprod_sample(draw, dtype):
    shape = draw(shapes(max_side=5))
    domain = draw(st.sampled_from(["real", "int-valued"]))  # integer values in [-5, 5]: zeros, one or several
    return sample(draw(array(shape, dtype, domain)), draw(dims(len(shape))))


@st.composite
def _lerp_sample(draw, dtype):
    if draw(st.booleans()):
        sa, sb, sw = draw(broadcast_shapes(3))
        return sample(draw(array(sa, dtype)), draw(array(sb, dtype)), draw(array(sw, dtype)))
    sa, sb = draw(broadcast_shapes(2))
    return sample(draw(array(sa, dtype)), draw(array(sb, dtype)), draw(st.sampled_from([0.0, 0.25, 0.5, 0.9, 1.0,
                                                                                          -0.3, 1.7])))


@st.composite
def _isclose_sample(draw, dtype):
    """Pairs at relative distances 0, 1e-7, 1e-5, 1e-3 (around the tolerances drawn), some NaN, some broadcast."""
    sa, sb = draw(broadcast_shapes(2))
    a = draw(array(sa, dtype))
    rng = np.random.default_rng(draw(seeds))
    if sa == sb and np.dtype(dtype).kind == "f":
        b = np.array(a * (1 + rng.choice([0.0, 1e-7, 1e-5, 1e-3], sa)), dtype=dtype)
        b[rng.random(sa) < 0.2] = np.nan
    else:
        b = draw(array(sb, dtype))
    return sample(a, b, rtol=draw(st.sampled_from([1e-5, 1e-3, 0.0])),
                  atol=draw(st.sampled_from([1e-8, 0.0, 0.1])), equal_nan=draw(st.booleans()))


@st.composite
def _meshgrid_sample(draw, dtype):
    n = draw(st.integers(1, 3))
    ts = [draw(array((draw(st.integers(0, 4)),) if draw(st.integers(0, 4)) else (), dtype)) for _ in range(n)]
    return sample(*ts, indexing=draw(st.sampled_from(["ij", "xy"])))


INDEX_DTYPES = ("float64", "float32", "int64")
OPS += [
    OpInfo("sort", *same(lambda x, **k: x.sort(**k)), _sort_sample, dtypes=INDEX_DTYPES,
           large=lambda rng, dtype: sample(fill(rng, (64, 1000), dtype, "distinct"), dim=1, descending=True)),
    OpInfo("sort_stable_ties", *same(lambda x, **k: x.sort(**k)), _sort_ties_sample, dtypes=INDEX_DTYPES,
           differentiable=False,
           large=lambda rng, dtype: sample(fill(rng, (64, 1000), dtype, "int-valued"), dim=1, stable=True)),
    OpInfo("mg.sort", lambda x, **k: mg.sort(x, **k), lambda x, **k: torch.sort(x, **k), _sort_sample),
    OpInfo("argsort", *same(lambda x, **k: x.argsort(**k)), _sort_sample, differentiable=False,
           dtypes=INDEX_DTYPES),
    OpInfo("topk", *same(lambda x, k, d, **kw: x.topk(k, d, **kw)), _topk_sample, dtypes=INDEX_DTYPES,
           large=lambda rng, dtype: sample(fill(rng, (64, 1000), dtype, "distinct"), 10, 1)),
    OpInfo("median", *same(lambda x, *a, **k: x.median(*a, **k)), _median_sample, dtypes=INDEX_DTYPES,
           large=lambda rng, dtype: sample(fill(rng, (64, 1000), dtype, "distinct"), 1)),
    OpInfo("mg.bmm", mg.bmm, lambda a, b: torch.bmm(a, b), _bmm_sample, atol=1e-6, rtol=1e-5,
           large=lambda rng, dtype: sample(fill(rng, (16, 64, 128), dtype), fill(rng, (16, 128, 32), dtype))),
    OpInfo("outer", *same(lambda a, b: a.outer(b)),
           lambda dtype: st.tuples(shapes(1, 1), shapes(1, 1)).flatmap(
               lambda s: st.tuples(array(s[0], dtype), array(s[1], dtype))).map(lambda ab: sample(*ab))),
    OpInfo("tril", *same(lambda x, k: x.tril(k)), _triangle_sample, dtypes=INDEX_DTYPES),
    OpInfo("triu", *same(lambda x, k: x.triu(k)), _triangle_sample, dtypes=INDEX_DTYPES,
           large=lambda rng, dtype: sample(fill(rng, (32, 128, 128), dtype), -2)),
    OpInfo("diag", *same(lambda x, k: x.diag(k)), _diag_sample, dtypes=INDEX_DTYPES),
    OpInfo("diagonal", *same(lambda x, *a: x.diagonal(*a)), _diagonal_sample, dtypes=INDEX_DTYPES,
           large=lambda rng, dtype: sample(fill(rng, (32, 128, 128), dtype), 1, -1, -2)),
    OpInfo("roll", *same(lambda x, *a: x.roll(*a)), _roll_sample, dtypes=INDEX_DTYPES),
    OpInfo("narrow", *same(lambda x, *a: x.narrow(*a)), _narrow_sample, dtypes=INDEX_DTYPES),
    OpInfo("index_select", *same(lambda x, d, i: x.index_select(d, i)), _index_select_sample, dtypes=INDEX_DTYPES,
           large=lambda rng, dtype: sample(fill(rng, (500, 64), dtype), 0, rng.integers(0, 500, 2000))),
    OpInfo("scatter", *same(lambda x, d, i, s: x.scatter(d, i, s)), _scatter_sample, dtypes=INDEX_DTYPES),
    OpInfo("scatter_value", *same(lambda x, d, i, v: x.scatter(d, i, v)),
           lambda dtype: _scatter_sample(dtype, value=True)),
    OpInfo("scatter_add", *same(lambda x, d, i, s: x.scatter_add(d, i, s)),
           lambda dtype: _scatter_sample(dtype, add=True), dtypes=INDEX_DTYPES, atol=1e-6, rtol=1e-5,
           large=lambda rng, dtype: sample(fill(rng, (100, 64), dtype), 0, rng.integers(0, 100, (2000, 64)),
                                           fill(rng, (2000, 64), dtype))),
    OpInfo("masked_select", *same(lambda x, m: x.masked_select(m)), _masked_select_sample, dtypes=INDEX_DTYPES),
    OpInfo("nonzero", *same(lambda x: x.nonzero()), _unary_samples("int-valued"), differentiable=False,
           dtypes=ALL_DTYPES),
    OpInfo("nonzero_tuple", *same(lambda x: x.nonzero(as_tuple=True)), _unary_samples("int-valued"),
           differentiable=False, dtypes=ALL_DTYPES),
    OpInfo("cumprod", *same(lambda x, d: x.cumprod(d)), _cumprod_sample, atol=1e-5, rtol=1e-5,
           dtypes=("float64", "float32", "int64", "bool"),
           large=lambda rng, dtype: sample(fill(rng, (64, 500), dtype, "int-valued") / 4, 1)),
    unary("erf", lambda t: t.erf(), dtypes=("float64", "float32", "int64"),
          large=lambda rng, dtype: sample(fill(rng, (64, 1024), dtype) * 2)),
    OpInfo("mg.erf", mg.erf, lambda t: torch.erf(t), _unary_samples("real")),
    binary("atan2", lambda a, b: a.atan2(b), dom_b="nonzero", dtypes=("float64", "float32", "int64")),
    OpInfo("lerp", *same(lambda a, b, w: a.lerp(b, w)), _lerp_sample, **BROADCAST_TOL),
    OpInfo("isclose", *same(lambda a, b, **k: a.isclose(b, **k)), _isclose_sample, differentiable=False,
           dtypes=INDEX_DTYPES),
    OpInfo("mg.meshgrid", mg.meshgrid, lambda *t, **k: torch.meshgrid(*t, **k), _meshgrid_sample),
]


# ------------------------------------- argmax/argmin, t, expand_as, and the ops that answer with a Python value
@st.composite
def _arg_reduce_sample(draw, dtype):
    shape = draw(shapes())
    x = draw(array(shape, dtype, "distinct"))  # tie-free: which of two equal maxima wins is not what is tested
    d = draw(dims(len(shape), none=True))
    return sample(x) if d is None else sample(x, d, keepdim=draw(st.booleans()))


@st.composite
def _expand_as_sample(draw, dtype):
    shape = draw(st.lists(st.integers(1, 3), max_size=3).map(tuple))
    target = tuple(draw(st.lists(st.integers(1, 3), max_size=2))) + tuple(
        draw(st.sampled_from([n, 3])) if n == 1 else n for n in shape)
    return sample(draw(array(shape, dtype)), draw(array(target, dtype)), grad=(0,))


@st.composite
def _equal_sample(draw, dtype):
    """Equal pairs, pairs differing in one element, and pairs of different shapes."""
    sa = draw(shapes())
    a = draw(array(sa, dtype))
    kind = draw(st.sampled_from(["same", "one off", "other shape"]))
    if kind == "same":
        return sample(a, a.copy())
    if kind == "one off" and a.size:
        b = a.copy()
        b.flat[draw(st.integers(0, a.size - 1))] += 1
        return sample(a, b)
    return sample(a, draw(array(draw(shapes()), dtype)))


def _as_tensor(f: Callable, make: Callable) -> Callable:
    """An op answering with a Python value (a bool, an int), as a tensor the generic tests can compare."""
    return lambda *a, **k: make(f(*a, **k))


OPS += [
    OpInfo("argmax", *same(lambda x, *a, **k: x.argmax(*a, **k)), _arg_reduce_sample, differentiable=False,
           dtypes=INDEX_DTYPES),
    OpInfo("argmin", *same(lambda x, *a, **k: x.argmin(*a, **k)), _arg_reduce_sample, differentiable=False,
           dtypes=INDEX_DTYPES),
    OpInfo("t", *same(lambda x: x.t()), lambda d: shapes(0, 2).flatmap(lambda s: array(s, d)).map(sample)),
    OpInfo("expand_as", *same(lambda x, y: x.expand_as(y)), _expand_as_sample),
    OpInfo("numel", _as_tensor(lambda x: x.numel(), mg.tensor),
           _as_tensor(lambda x: x.numel(), lambda v: torch.tensor(v)),
           lambda d: shapes().flatmap(lambda s: array(s, d)).map(sample), differentiable=False),
    OpInfo("allclose", _as_tensor(lambda a, b, **k: a.allclose(b, **k), mg.tensor),
           _as_tensor(lambda a, b, **k: a.allclose(b, **k), lambda v: torch.tensor(v)), _isclose_sample,
           differentiable=False, dtypes=FLOATS),
    OpInfo("equal", _as_tensor(lambda a, b: a.equal(b), mg.tensor),
           _as_tensor(lambda a, b: a.equal(b), lambda v: torch.tensor(v)), _equal_sample, differentiable=False,
           dtypes=INDEX_DTYPES),
]


@st.composite
def _norm_sample(draw, dtype):
    shape = draw(shapes(min_dims=1))
    nd = len(shape)
    p = draw(st.sampled_from([2.0, 1.0, 3.0, 0.5, float("inf"), float("-inf"), "fro"]))
    if p in (float("inf"), float("-inf")):  # tie-free |x| (an offset grid): the extreme gets the whole gradient
        gap = min(0.1, 6.0 / max(int(np.prod(shape)), 1))
        x = draw(array(shape, dtype, "distinct")) + np.asarray(gap / 3, dtype=dtype)
    else:
        x = draw(array(shape, dtype, "nonzero"))
    dim = draw(st.none() | dims(nd) | st.lists(st.integers(-nd, nd - 1), min_size=1, max_size=min(nd, 2),
                                               unique_by=lambda d: d % nd).map(tuple))
    return sample(x, p, dim, keepdim=draw(st.booleans()))


@st.composite
def _unflatten_sample(draw, dtype):
    shape = draw(shapes(min_dims=1, max_side=6))
    d = draw(dims(len(shape)))
    n = shape[d]
    a = draw(st.sampled_from([k for k in range(1, n + 1) if n % k == 0]))
    sizes = draw(st.sampled_from([(a, n // a), (a, -1), (-1, n // a), (n,)]))
    return sample(draw(array(shape, dtype)), d, sizes)


OPS += [
    OpInfo("norm", *same(lambda x, p, d, **k: x.norm(p, d, **k)), _norm_sample, atol=1e-6, rtol=1e-5,
           large=lambda rng, dtype: sample(fill(rng, (64, 1000), dtype, "nonzero"), 2.0, 1)),
    OpInfo("mg.norm", lambda x, p, d, **k: mg.norm(x, p, d, **k), lambda x, p, d, **k: torch.norm(x, p, d, **k),
           _norm_sample, atol=1e-6, rtol=1e-5),
    OpInfo("unflatten", *same(lambda x, d, s: x.unflatten(d, s)), _unflatten_sample, dtypes=INDEX_DTYPES),
    OpInfo("mg.broadcast_to", mg.broadcast_to, lambda x, s: torch.broadcast_to(x, s),
           lambda dtype: _expand_sample(dtype).map(lambda s: sample(
               s.args[0], s.args[1] if len(s.args) == 2 and isinstance(s.args[1], tuple) else tuple(s.args[1:])))),
]


# --------------------------------------------------------------------------------------------- rounded division
# remainder, floor_divide, div(rounding_mode=) and round(decimals=) jump where a / b (or x * 10**decimals) crosses
# an integer (a half): the float samples keep a / b at least 0.05 from one, so the central differences of
# gradcheck (eps 1e-6) never straddle a jump. Integer samples need no care (no gradient).
INT_FLOAT = ("float64", "float32", "int64")
BITS = ("int64", "bool")


def _off_the_jumps(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if a.dtype.kind != "f":
        return a
    q = a / b
    frac = np.clip(q - np.floor(q), 0.05, 0.95)
    return np.asarray((np.floor(q) + frac) * b, dtype=a.dtype).reshape(np.broadcast_shapes(a.shape, b.shape))


def _quotient_samples(dtype):
    @st.composite
    def draw_pair(draw):
        sa, sb = draw(broadcast_shapes(2))
        a, b = draw(array(sa, dtype)), draw(array(sb, dtype, "nonzero"))
        if dtype.startswith("int"):
            b = np.where(b == 0, 1, b).astype(b.dtype)
        return sample(_off_the_jumps(a, b), b)
    return draw_pair()


def _quotient_scalar_samples(dtype):
    @st.composite
    def draw_one(draw):
        a, s = draw(shapes().flatmap(lambda sh: array(sh, dtype))), draw(_nonzero_py(0.5, 3))
        return sample(_off_the_jumps(a, np.asarray(s, a.dtype)), s)
    return draw_one()


@st.composite
def _decimals_sample(draw, dtype):
    x, d = draw(shapes().flatmap(lambda s: array(s, dtype))), draw(st.integers(-1, 3))
    if x.dtype.kind == "f":  # away from the halves, where rounding jumps
        scaled = x.astype(np.float64) * 10.0 ** d
        frac = scaled - np.floor(scaled)
        x = np.asarray(np.where(np.abs(frac - 0.5) < 0.05, (np.floor(scaled) + 0.3) / 10.0 ** d, x), dtype=x.dtype)
    return sample(x, decimals=d)


@st.composite
def _squeeze_tuple_sample(draw, dtype):
    shape = draw(st.lists(st.integers(1, 2), min_size=1, max_size=4).map(tuple))
    nd = len(shape)
    ds = tuple(draw(st.lists(st.integers(-nd, nd - 1), max_size=nd, unique_by=lambda d: d % nd)))
    return sample(draw(array(shape, dtype)), ds)


OPS += [
    OpInfo("remainder", *same(lambda a, b: a % b), _quotient_samples, dtypes=INT_FLOAT, **BROADCAST_TOL),
    OpInfo("remainder_scalar", *same(lambda t, s: t % s), _quotient_scalar_samples, dtypes=INT_FLOAT),
    OpInfo("mg.remainder", mg.remainder, lambda a, b: torch.remainder(a, b),
           _quotient_samples, dtypes=INT_FLOAT, **BROADCAST_TOL),
    # torch's floor_divide has no derivative; div(rounding_mode="floor") is the same values with a zero gradient
    OpInfo("floor_divide", lambda a, b: a // b, lambda a, b: torch.div(a, b, rounding_mode="floor"),
           _quotient_samples, dtypes=INT_FLOAT, **BROADCAST_TOL),
    OpInfo("div_trunc", *same(lambda a, b: a.div(b, rounding_mode="trunc")), _quotient_samples, dtypes=INT_FLOAT,
           **BROADCAST_TOL),
    OpInfo("div_floor", *same(lambda a, b: a.div(b, rounding_mode="floor")), _quotient_samples, dtypes=INT_FLOAT,
           **BROADCAST_TOL),
    OpInfo("round_decimals", *same(lambda x, decimals: x.round(decimals=decimals)), _decimals_sample),
    OpInfo("squeeze_tuple", *same(lambda x, d: x.squeeze(d)), _squeeze_tuple_sample),
    OpInfo("bitwise_and", *same(lambda a, b: a & b), _compare_samples, differentiable=False, dtypes=BITS),
    OpInfo("bitwise_or", *same(lambda a, b: a | b), _compare_samples, differentiable=False, dtypes=BITS),
    OpInfo("bitwise_xor", *same(lambda a, b: a ^ b), _compare_samples, differentiable=False, dtypes=BITS),
    OpInfo("bitwise_not", *same(lambda t: ~t), _unary_samples("real"), differentiable=False, dtypes=BITS),
    OpInfo("zero_", lambda t: t.clone().zero_(), lambda t: t.clone().zero_(), _unary_samples("real"),
           dtypes=INT_FLOAT),
    # a transposed view is not contiguous: contiguous() copies it into row-major order (a copy, differentiable)
    OpInfo("contiguous", *same(lambda t: t.transpose(0, -1).contiguous() * 2), _unary_samples("real", min_dims=1)),
]


# --------------------------------------------------------------------------------------------- NaN samples
# Every reduction follows one rule, PyTorch's: a NaN in a reduced slice makes that slice's result NaN (max
# and min included, whose gradient goes to the NaN; all/any count NaN as true), and gradients are PyTorch's
# formulas evaluated there (NaN where they read the NaN, finite where they don't, as for sum and mean).
# nan_samples(op) plants NaNs into the float arrays of the entry's own samples, so every reduction in the
# registry (here and in opinfo_losses.py: logsumexp) is checked against PyTorch with NaN inputs.
REDUCTIONS = ("sum", "mean", "max", "min", "var", "std", "mg.var", "prod", "cumsum", "all", "any", "sum_axis",
              "mean_axis", "max_axis", "mg.sum", "F.logsumexp", "logsumexp_method")


# A full max()/min() splits its gradient among tied maxima in PyTorch and not in minigrad (README, Differences),
# and two NaNs tie: these entries get exactly one NaN, so the NaN rule is what is compared.
ONE_NAN = ("max", "min")


def nan_samples(op: OpInfo, dtype: str = "float64") -> st.SearchStrategy:
    """The entry's samples with NaN at some positions of every float array argument (at least one NaN)."""
    @st.composite
    def draw_one(draw):
        s = draw(op.samples(dtype))
        seed = draw(st.integers(0, 2**16))
        rng = np.random.default_rng(seed)
        args = list(s.args)
        for i, a in enumerate(args):
            if isinstance(a, np.ndarray) and a.dtype.kind == "f" and a.size:
                a = a.copy()
                flat = a.reshape(-1)
                if op.name not in ONE_NAN:
                    flat[rng.random(flat.size) < 0.3] = np.nan
                flat[rng.integers(flat.size)] = np.nan
                args[i] = a
        return replace(s, args=tuple(args))
    return draw_one()
