"""pad: constant (with negative amounts cropping, as in PyTorch), reflect, replicate and circular.

The non-constant modes are a gather along each padded axis with an index vector; the backward of a gather
along one axis is a product with the one-hot (out, in) matrix of that index, one GEMM per axis, no add.at.
"""
from __future__ import annotations

from ..autograd import Function
from ..backend import array_module


def pad_index(xp, n: int, before: int, after: int, mode: str):
    """Source index along one axis of length n for each of the n + before + after output positions."""
    i = xp.arange(-before, n + after)
    if mode == "replicate":
        return xp.clip(i, 0, n - 1)
    if mode == "circular":
        return i % n
    period = 2 * (n - 1)  # reflect: ... 2 1 | 0 1 2 ... n-1 | n-2 ...
    i = xp.abs(i) % period if period else xp.zeros_like(i)
    return xp.where(i >= n, period - i, i)


class ConstantPad(Function):
    """Pads (or, for negative amounts, crops) each axis by ``widths[axis] = (before, after)`` with ``value``."""

    def forward(self, x, widths=(), value=0.0):
        xp = array_module(x)
        crop = tuple(slice(max(-b, 0), n - max(-a, 0)) for (b, a), n in zip(widths, x.shape))
        grow = tuple((max(b, 0), max(a, 0)) for b, a in widths)
        self.widths, self.shape = widths, x.shape
        return xp.pad(x[crop], grow, constant_values=value)

    def backward(self, g):
        xp = array_module(g)
        keep = tuple(slice(max(b, 0), g.shape[i] - max(a, 0)) for i, (b, a) in enumerate(self.widths))
        back = tuple((max(-b, 0), max(-a, 0)) for b, a in self.widths)
        return xp.pad(g[keep], back)


class IndexPad(Function):
    """reflect / replicate / circular padding of the last len(widths) axes: a gather along each."""

    def forward(self, x, widths=(), mode="reflect"):
        xp = array_module(x)
        lead = x.ndim - len(widths)
        self.steps = []
        for k, (b, a) in enumerate(widths):
            if b or a:
                axis = lead + k
                idx = pad_index(xp, x.shape[axis], b, a, mode)
                self.steps.append((axis, idx, x.shape[axis]))
                x = xp.take(x, idx, axis=axis)
        return x

    def backward(self, g):
        xp = array_module(g)
        for axis, idx, n in reversed(self.steps):
            onehot = (idx[:, None] == xp.arange(n)).astype(g.dtype)  # (out, in)
            g = xp.moveaxis(xp.moveaxis(g, axis, -1) @ onehot, -1, axis)
        return g
