"""Reductions over a tuple of axes (None means all). Max routes its gradient to the first maximum."""
from __future__ import annotations

import math
from typing import Sequence

from ..autograd import Function
from ..backend import array_module
from ..errors import DimError, ShapeError


def normalize_axes(dim: int | Sequence[int] | None, ndim: int) -> tuple[int, ...]:
    """PyTorch's ``dim`` argument as a sorted tuple of non-negative axes; None means every axis."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    n = max(ndim, 1)
    for d in dims:
        if not -n <= d < n:
            raise DimError(f"dimension {d} is out of range for a tensor with {ndim} dims "
                           f"(expected a dim in [{-n}, {n - 1}])")
    axes = tuple(sorted({d % n for d in dims}))
    if len(axes) != len(dims):
        raise ShapeError(f"dim {dims} names the same dimension more than once")
    return axes if ndim else ()


def _accumulate_in(a):
    """The dtype a reduction of ``a`` adds up in: float32 for float16, as PyTorch does (float16 alone loses
    every addend once the total passes 2048), else None (the array's own)."""
    return "float32" if a.dtype.itemsize == 2 and a.dtype.kind == "f" else None


def _expand(g, shape, axes, keepdims):
    """Broadcast a reduced gradient back over the reduced axes (a read-only view, no copy)."""
    xp = array_module(g)
    if not keepdims:
        g = g.reshape(tuple(1 if i in axes else n for i, n in enumerate(shape)))
    return xp.broadcast_to(g, shape)


class Sum(Function):
    def forward(self, a, axis, keepdims):
        self.shape, self.axis, self.keepdims = a.shape, axis, keepdims
        acc = _accumulate_in(a)
        if acc is not None:
            return array_module(a).asarray(a.sum(axis=axis, keepdims=keepdims, dtype=acc)).astype(a.dtype)
        return a.sum(axis=axis, keepdims=keepdims)

    def backward(self, g):
        return _expand(g, self.shape, self.axis, self.keepdims)


class Mean(Function):
    def forward(self, a, axis, keepdims):
        self.shape, self.axis, self.keepdims = a.shape, axis, keepdims
        self.count = 1
        for i in axis:
            self.count *= a.shape[i]
        acc = _accumulate_in(a)
        if acc is not None:
            return array_module(a).asarray(a.mean(axis=axis, keepdims=keepdims, dtype=acc)).astype(a.dtype)
        return a.mean(axis=axis, keepdims=keepdims)

    def backward(self, g):
        return _expand(g / self.count, self.shape, self.axis, self.keepdims)


class Max(Function):
    """Max over ``axis``. Ties: the whole gradient goes to the first maximum in row-major order (argmax order),
    as in PyTorch's max(dim) and max_pool2d; PyTorch's full max() splits it, minigrad's does not.
    Values are picked, never negated or computed, so every dtype (unsigned, bool, the most negative int) works."""
    arg = "argmax"

    def forward(self, a, axis, keepdims):
        xp = array_module(a)
        kept = tuple(i for i in range(a.ndim) if i not in axis)
        self.perm = kept + axis
        moved = a.transpose(self.perm) if axis != tuple(range(a.ndim - len(axis), a.ndim)) else a
        size = 1
        for i in axis:
            size *= a.shape[i]
        flat = moved.reshape(tuple(a.shape[i] for i in kept) + (size,))  # not -1: ambiguous with a 0-sized kept dim
        if flat.shape[-1] == 0:
            raise RuntimeError(f"{self.arg[3:]}(): cannot reduce an empty dimension of shape {a.shape}")
        self.idx = getattr(flat, self.arg)(axis=-1)[..., None]
        self.flat_shape, self.moved_shape, self.shape = flat.shape, moved.shape, a.shape
        self.axis, self.keepdims = axis, keepdims
        out = xp.take_along_axis(flat, self.idx, axis=-1)[..., 0]
        if keepdims:
            out = out.reshape(tuple(1 if i in axis else n for i, n in enumerate(a.shape)))
        return out

    def backward(self, g):
        xp = array_module(g)
        kept_shape = self.flat_shape[:-1]
        onehot = xp.arange(self.flat_shape[-1]) == self.idx
        gflat = onehot * g.reshape(kept_shape + (1,))
        inverse = tuple(self.perm.index(i) for i in range(len(self.perm)))
        return gflat.reshape(self.moved_shape).transpose(inverse)


class Min(Max):
    """Min over ``axis``; the gradient goes to the first minimum (argmin order)."""
    arg = "argmin"


class Var(Function):
    """Variance over ``axis`` with ``correction`` (Bessel's: 1, the default; 0: population). With
    N - correction <= 0 the result is inf or nan, as in PyTorch."""
    saves = (0,)

    def forward(self, a, axis, keepdims, correction=1):
        xp = array_module(a)
        self.a, self.axis, self.keepdims = a, axis, keepdims
        n = 1
        for i in axis:
            n *= a.shape[i]
        self.denom = max(0, n - correction)  # PyTorch's rule: no degrees of freedom left gives inf or nan
        acc = _accumulate_in(a)  # float16 squares overflow long before their mean does
        src = a if acc is None else a.astype(acc)
        self.mean = src.mean(axis=axis, keepdims=True) if n else xp.zeros_like(src.sum(axis=axis, keepdims=True))
        d = src - self.mean
        ss = xp.asarray((d * d).sum(axis=axis, keepdims=keepdims))
        if self.denom:
            out = xp.asarray(ss / self.denom)
        else:
            out = xp.where(ss > 0, xp.asarray(math.inf, dtype=ss.dtype), xp.asarray(math.nan, dtype=ss.dtype))
        return out if acc is None else out.astype(a.dtype)

    def derive(self, inputs):
        """create_graph: the mean as a function of the input (see ops/tensor_xp.py)."""
        self.mean = inputs[0].mean(axis=self.axis, keepdims=True)

    def backward(self, g):
        if not self.keepdims:
            g = g.reshape(tuple(1 if i in self.axis else n for i, n in enumerate(self.a.shape)))
        scale = 2 / self.denom if self.denom else math.nan  # no spread to differentiate: nan, as PyTorch
        return g * (scale * (self.a - self.mean))


class Prod(Function):
    """Product over one axis (or all, as a flat axis). Backward multiplies the products of the elements
    before and after each one (exclusive cumulative products), so zeros get their exact gradient instead
    of out / x = 0 / 0. Without any zero in the input it is PyTorch's out / x, so a NaN or inf element
    gets NaN, as there."""
    saves = (0,)

    def forward(self, a, axis=None, keepdims=False):
        xp = array_module(a)
        self.a, self.axis, self.keepdims = a, axis, keepdims
        return xp.asarray(a.prod(axis=axis, keepdims=keepdims))

    def backward(self, g):
        xp = array_module(g)
        a, axis = self.a, self.axis
        if axis is not None and not self.keepdims:
            g = xp.expand_dims(g, axis)
        if a.ndim == 0:
            return g
        flat = a.reshape(-1) if axis is None else a
        ax = 0 if axis is None else axis
        moved = xp.moveaxis(flat, ax, -1)
        ones = xp.ones_like(moved[..., :1])
        before = xp.cumprod(xp.concatenate([ones, moved[..., :-1]], axis=-1), axis=-1)
        after = xp.flip(xp.cumprod(xp.concatenate([ones, xp.flip(moved, axis=-1)[..., :-1]], axis=-1), axis=-1),
                        axis=-1)
        others = xp.moveaxis(before * after, -1, ax).reshape(a.shape)
        if a.size:  # selected on the device, so no host read (mg.jit captures backward into CUDA graphs)
            zero, inf = a == 0, xp.isinf(a)
            div = a.prod(axis=axis, keepdims=axis is not None) / xp.where(zero | inf, 1, a)
            others = xp.where(zero.any(), others, xp.where(inf, math.nan, div))
        return g * others


class CumSum(Function):
    """Running sum along ``axis``; the gradient is the running sum of the upstream gradient from the end."""

    def forward(self, a, axis):
        self.axis = axis
        acc = _accumulate_in(a)
        if acc is not None:
            return array_module(a).cumsum(a, axis=axis, dtype=acc).astype(a.dtype)
        return array_module(a).cumsum(a, axis=axis)

    def backward(self, g):
        xp = array_module(g)
        return xp.flip(xp.cumsum(xp.flip(g, axis=self.axis), axis=self.axis), axis=self.axis)
