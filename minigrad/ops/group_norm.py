"""Layer and group normalization: statistics per sample (over the trailing dims, or per group of channels),
forward and backward side by side, on raw arrays. The running statistics of batch norm have no part here."""
from __future__ import annotations

import contextlib

from ..autograd import Function
from ..backend import array_module
from .quiet import quiet_invalid


def _normalize(x, axes, eps):
    """(xhat, invstd): x standardised over ``axes`` with the biased variance, and 1 / sqrt(var + eps) kept."""
    xp = array_module(x)
    d = x - x.mean(axis=axes, keepdims=True)
    var = (d * d).mean(axis=axes, keepdims=True)
    # a positive eps keeps var + eps > 0; otherwise it may be 0 or negative: inf or NaN there, as in PyTorch
    with quiet_invalid(xp) if eps <= 0 else contextlib.nullcontext():
        invstd = (1 / xp.sqrt(var + eps)).astype(x.dtype, copy=False)
        return d * invstd, invstd


def _normalize_backward(gxhat, xhat, invstd, axes):
    """The gradient through xhat = (x - mean) * invstd over ``axes`` (n elements):
    invstd / n * (n * gxhat - sum(gxhat) - xhat * sum(gxhat * xhat))."""
    n = 1
    for a in axes:
        n *= gxhat.shape[a]
    return (invstd / n) * (n * gxhat - gxhat.sum(axis=axes, keepdims=True)
                           - xhat * (gxhat * xhat).sum(axis=axes, keepdims=True))


class LayerNorm(Function):
    """y = (x - mean) / sqrt(var + eps) * weight + bias over the last ``ndim`` dims of x; weight and bias (or
    None) have those dims' shape. Inputs: x, weight, bias."""
    saves = (1,)
    saves_output = True  # backward reads the returned array: an in-place edit of the result must be caught

    def forward(self, x, weight, bias, ndim, eps):
        self.axes, self.eps = tuple(range(x.ndim - ndim, x.ndim)), eps
        self.xhat, self.invstd = _normalize(x, self.axes, eps)
        self.weight = weight
        out = self.xhat if weight is None else self.xhat * weight
        self.out = out if bias is None else out + bias  # the returned array (saves_output)
        return self.out

    def derive(self, inputs):
        """create_graph: xhat and invstd as functions of x."""
        self.xhat, self.invstd = _normalize(inputs[0], self.axes, self.eps)

    def backward(self, g):
        lead = tuple(range(g.ndim - len(self.axes)))
        gx = gw = gb = None
        if self.needs_grad(1):
            gw = (g * self.xhat).sum(axis=lead)
        if self.needs_grad(2):
            gb = g.sum(axis=lead)
        if self.needs_grad(0):
            gxhat = g if self.weight is None else g * self.weight
            gx = _normalize_backward(gxhat, self.xhat, self.invstd, self.axes)
        return gx, gw, gb


def _per_channel(v, ndim: int):
    return v.reshape((1, -1) + (1,) * (ndim - 2))


class GroupNorm(Function):
    """x (N, C, *) split into ``groups`` groups of C / groups channels; each (sample, group) standardised over
    its channels and positions, then y = xhat * weight[c] + bias[c] (weight, bias (C,) or None)."""
    saves = (1,)
    saves_output = True  # backward reads the returned array: an in-place edit of the result must be caught

    def forward(self, x, weight, bias, groups, eps):
        self.shape, self.groups, self.eps = x.shape, groups, eps
        grouped = x.reshape(x.shape[0], groups, -1)
        xhat, self.invstd = _normalize(grouped, (2,), eps)
        self.xhat = xhat.reshape(x.shape)
        self.weight = weight
        out = self.xhat if weight is None else self.xhat * _per_channel(weight, x.ndim)
        self.out = out if bias is None else out + _per_channel(bias, x.ndim)  # the returned array (saves_output)
        return self.out

    def derive(self, inputs):
        """create_graph: xhat and invstd as functions of x."""
        x = inputs[0]
        xhat, self.invstd = _normalize(x.reshape(x.shape[0], self.groups, -1), (2,), self.eps)
        self.xhat = xhat.reshape(x.shape)

    def backward(self, g):
        axes = (0,) + tuple(range(2, g.ndim))
        gx = gw = gb = None
        if self.needs_grad(1):
            gw = (g * self.xhat).sum(axis=axes)
        if self.needs_grad(2):
            gb = g.sum(axis=axes)
        if self.needs_grad(0):
            gxhat = g if self.weight is None else g * _per_channel(self.weight, g.ndim)
            n, groups = self.shape[0], self.invstd.shape[1]
            gx = _normalize_backward(gxhat.reshape(n, groups, -1), self.xhat.reshape(n, groups, -1),
                                     self.invstd, (2,)).reshape(self.shape)
        return gx, gw, gb
