"""Orderings along a dim: argsort (stable, either direction, NaN as the largest value as in PyTorch), and the
order statistics built on it (topk, median). Values are gathered with TakeAlongDim, whose backward hands each
gradient back to the element it came from, so these ops need no backward of their own."""
from __future__ import annotations

from ..autograd import Function
from ..backend import array_module


def argsort(xp, x, axis: int, descending: bool):
    """Stable argsort along ``axis``; NaN sorts as the largest value (last ascending, first descending), and
    descending order keeps equal elements in their original order, as PyTorch's stable sort does."""
    if not descending:
        return xp.argsort(x, axis=axis, kind="stable")
    # sort the reversed array ascending (ties come out last-first), then reverse: largest first, ties in order
    n = x.shape[axis]
    rev = xp.flip(xp.argsort(xp.flip(x, axis=axis), axis=axis, kind="stable"), axis=axis)
    return (n - 1) - rev


class Argsort(Function):
    """The indices that sort x along ``axis`` (int64), see :func:`argsort`."""
    differentiable = False

    def forward(self, x, axis, descending):
        xp = array_module(x)
        if x.ndim == 0:
            return xp.zeros((), dtype=xp.int64)
        return argsort(xp, x, axis, descending).astype(xp.int64, copy=False)


class TopKIndices(Function):
    """The indices of the k largest (or smallest) elements along ``axis``, in sorted order: the first k of the
    stable sort, so equal values come in index order."""
    differentiable = False

    def forward(self, x, k, axis, largest):
        xp = array_module(x)
        if x.ndim == 0:
            return xp.zeros((), dtype=xp.int64)
        order = argsort(xp, x, axis, largest)
        return order[(slice(None),) * axis + (slice(0, k),)].astype(xp.int64, copy=False)


class MedianIndex(Function):
    """The index of the lower median along ``axis`` (keepdims), PyTorch's choice for an even count: the element
    at sorted position (n - 1) // 2; a NaN anywhere along the dim is the median (the first NaN), since PyTorch
    propagates NaN."""
    differentiable = False

    def forward(self, x, axis):
        xp = array_module(x)
        if x.ndim == 0:
            return xp.zeros((), dtype=xp.int64)
        n = x.shape[axis]
        order = argsort(xp, x, axis, False)
        pick = order[(slice(None),) * axis + (slice((n - 1) // 2, (n - 1) // 2 + 1),)]
        nan = xp.isnan(x)
        if x.dtype.kind == "f":
            first_nan = xp.argmax(nan, axis=axis, keepdims=True)
            pick = xp.where(nan.any(axis=axis, keepdims=True), first_nan, pick)
        return pick.astype(xp.int64, copy=False)
