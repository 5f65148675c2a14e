"""Batch normalization over every axis but 1 of x (N, C, *): forward and backward side by side.

One op does the whole layer, running statistics included, so that ``mg.jit`` replays it faithfully: the batch
statistics come from each call's input, and the in-place update of the running statistics (and of the batch
counter) happens inside ``forward`` on the buffers' own arrays, which a replay passes again. Instance norm's
running statistics are updated the same way, by an op of their own.
"""
from __future__ import annotations

from ..autograd import Function
from ..backend import array_module


def _channel(v, ndim: int):
    """A (C,) array shaped to broadcast over (N, C, *)."""
    return v.reshape((1, -1) + (1,) * (ndim - 2))


class BatchNorm(Function):
    """y = (x - mean) / sqrt(var + eps) * weight + bias, per channel (axis 1). Inputs: x, weight, bias,
    running_mean, running_var, num_batches (each but x may be None).

    ``training``: mean and (biased) var are the batch's; when running statistics are given they are updated in
    place, running = (1 - f) running + f batch with the batch's unbiased variance, where f is ``momentum``, or
    1 / num_batches (a cumulative average) when momentum is None; num_batches, if given, is incremented first.
    Otherwise mean and var are the running ones.

    Backward, training: invstd / n * (n * gxhat - sum(gxhat) - xhat * sum(gxhat * xhat)) with gxhat = g * weight;
    otherwise g * weight * invstd. It reads only arrays it made, plus the weight (watched for in-place edits).
    """
    saves = (1,)

    def forward(self, x, weight, bias, running_mean, running_var, num_batches, training, momentum, eps):
        xp = array_module(x)
        nd = x.ndim
        self.axes = axes = (0,) + tuple(range(2, nd))
        self.training = training
        if training and x.size == 0:  # an empty batch: PyTorch counts it and leaves the statistics alone
            if running_mean is not None and num_batches is not None:
                num_batches += 1
            mean, var = xp.zeros(x.shape[1], x.dtype), xp.ones(x.shape[1], x.dtype)
            d = x
        elif training:
            mean = x.mean(axis=axes)
            d = x - _channel(mean, nd)
            var = (d * d).mean(axis=axes)
            if running_mean is not None:
                n = x.size // x.shape[1]
                if num_batches is not None:
                    num_batches += 1  # in place: the buffer's own 0-d array
                f = momentum if momentum is not None else 1.0 / num_batches
                running_mean *= 1 - f
                running_mean += f * mean
                running_var *= 1 - f
                running_var += (f * n / (n - 1)) * var
        else:
            mean, var = running_mean.astype(x.dtype, copy=False), running_var.astype(x.dtype, copy=False)
            d = x - _channel(mean, nd)
        self.mean, self.eps = mean, eps
        self.invstd = _channel((1 / xp.sqrt(var + eps)).astype(x.dtype, copy=False), nd)
        self.xhat = d * self.invstd
        self.weight = weight
        if weight is None and bias is None:  # backward reads xhat: the output must not be the same array
            return self.xhat.copy()
        out = self.xhat if weight is None else self.xhat * _channel(weight, nd)
        return out if bias is None else out + _channel(bias, nd)

    def derive(self, inputs):
        """create_graph: the normalized input and its statistics as functions of the inputs (the running
        statistics, in eval mode, are inputs that never require grad: constants). An x that doesn't require grad
        keeps them, as constants."""
        if not self.needs_grad(0):
            return ("mean", "invstd", "xhat")
        x = inputs[0]
        xp, nd = array_module(x), x.ndim
        if self.training:
            self.mean = x.mean(axis=self.axes)
            d = x - _channel(self.mean, nd)
            var = (d * d).mean(axis=self.axes)
        else:
            self.mean, var = inputs[3].astype(x.dtype), inputs[4].astype(x.dtype)
            d = x - _channel(self.mean, nd)
        self.invstd = _channel((1 / xp.sqrt(var + self.eps)).astype(x.dtype), nd)
        self.xhat = d * self.invstd

    def backward(self, g):
        xhat, axes, nd = self.xhat, self.axes, g.ndim
        gx = gw = gb = None
        if self.needs_grad(1):
            gw = (g * xhat).sum(axis=axes)
        if self.needs_grad(2):
            gb = g.sum(axis=axes)
        if self.needs_grad(0):
            gxhat = g if self.weight is None else g * _channel(self.weight, nd)
            if self.training:
                n = max(g.size // g.shape[1], 1)  # an empty batch: gx is empty whatever the scale
                gx = (self.invstd / n) * (n * gxhat - _channel(gxhat.sum(axis=axes), nd)
                                          - xhat * _channel((gxhat * xhat).sum(axis=axes), nd))
            else:
                gx = gxhat * self.invstd
        return gx, gw, gb, None, None, None


class InstanceRunningStats(Function):
    """Instance norm's running statistics, updated in place from the instance statistics of x (N, C, *): running
    = (1 - momentum) running + momentum * (the mean over N of each sample's per-channel mean, or unbiased
    variance), as PyTorch's instance_norm does by batch-normalizing (1, N * C, *) with the statistics repeated.
    In an op of its own so that mg.jit replays the update; returns nothing of use (a 0-d zero)."""

    def forward(self, x, running_mean, running_var, momentum):
        axes = tuple(range(2, x.ndim))
        n = x.size // (x.shape[0] * x.shape[1])
        mean = x.mean(axis=axes)
        var = ((x - mean.reshape(mean.shape + (1,) * len(axes))) ** 2).sum(axis=axes) / (n - 1)
        running_mean *= 1 - momentum
        running_mean += momentum * mean.mean(axis=0)
        running_var *= 1 - momentum
        running_var += momentum * var.mean(axis=0)
        return array_module(x).zeros((), dtype=x.dtype)
