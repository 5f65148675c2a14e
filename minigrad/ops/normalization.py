"""Batch normalization over every axis but 1 of x (N, C, *): forward and backward side by side.

The caller (``nn.functional.batch_norm``) chooses the statistics: the batch's own (training; then the output
depends on every sample through them, and backward says so) or fixed running ones (evaluation; then the op
is a per-channel affine map). It also updates running statistics, which are not part of the graph.
"""
from __future__ import annotations

from ..autograd import Function
from ..backend import array_module


def batch_stats(x, axes: tuple[int, ...]):
    """Per-channel mean and biased variance of x over ``axes``, as (C,) arrays."""
    mean = x.mean(axis=axes)
    d = x - _channel(mean, x.ndim)
    return mean, (d * d).mean(axis=axes)


def _channel(v, ndim: int):
    """A (C,) array shaped to broadcast over (N, C, *)."""
    return v.reshape((1, -1) + (1,) * (ndim - 2))


class BatchNorm(Function):
    """y = (x - mean) / sqrt(var + eps) * weight + bias, per channel (axis 1). weight and bias may be None.

    With ``training``, mean and var are the batch's, so the input gradient is
    invstd / n * (n * gxhat - sum(gxhat) - xhat * sum(gxhat * xhat)) with gxhat = g * weight; otherwise
    g * weight * invstd. Backward reads only arrays it made, plus the weight (watched for in-place edits)."""
    saves = (1,)

    def forward(self, x, weight, bias, mean, var, eps, training):
        xp = array_module(x)
        nd = x.ndim
        self.axes = (0,) + tuple(range(2, nd))
        self.training = training
        self.invstd = _channel((1 / xp.sqrt(var + eps)).astype(x.dtype, copy=False), nd)
        self.xhat = (x - _channel(mean.astype(x.dtype, copy=False), nd)) * self.invstd
        self.weight = weight
        out = self.xhat if weight is None else self.xhat * _channel(weight, nd)
        return out if bias is None else out + _channel(bias, nd)

    def backward(self, g):
        xhat, axes, nd = self.xhat, self.axes, g.ndim
        gx = gw = gb = None
        if self.needs_grad(1):
            gw = (g * xhat).sum(axis=axes)
        if len(self.inputs) > 2 and self.needs_grad(2):
            gb = g.sum(axis=axes)
        if self.needs_grad(0):
            gxhat = g if self.weight is None else g * _channel(self.weight, nd)
            if self.training:
                n = g.size // g.shape[1]
                gx = (self.invstd / n) * (n * gxhat - _channel(gxhat.sum(axis=axes), nd)
                                          - xhat * _channel((gxhat * xhat).sum(axis=axes), nd))
            else:
                gx = gxhat * self.invstd
        return gx, gw, gb
