"""softmax, log_softmax and logsumexp over one axis (logsumexp: a tuple of axes), each shifted by its max so
large logits neither overflow nor lose precision. An all -inf slice gives PyTorch's answers (softmax nan,
log_softmax nan, logsumexp -inf); an empty tensor gives an empty result (logsumexp over an empty axis: -inf)."""
from __future__ import annotations

from ..autograd import Function
from ..backend import array_module


def _shift(xp, x, axis):
    """max over ``axis`` (kept), with non-finite maxima replaced by 0 so that x - m never makes inf - inf."""
    m = x.max(axis=axis, keepdims=True)
    return xp.where(xp.isfinite(m), m, 0)


class Softmax(Function):
    """exp(x) / sum(exp(x)) over ``axis``. Backward: y * (g - sum(g * y))."""
    saves_output = True

    def forward(self, x, axis):
        self.axis = axis
        if x.size == 0:
            self.out = x.copy()
            return self.out
        xp = array_module(x)
        e = xp.exp(x - x.max(axis=axis, keepdims=True))  # an all -inf slice gives nan, as in PyTorch
        e /= e.sum(axis=axis, keepdims=True)
        self.out = e
        return e

    def backward(self, g):
        y = self.out
        gy = g * y
        return gy - y * gy.sum(axis=self.axis, keepdims=True)


def log_softmax(x, axis: int):
    """Shifted log-softmax of a raw array (also the first half of the fused cross entropy)."""
    xp = array_module(x)
    z = x - x.max(axis=axis, keepdims=True)
    z -= xp.log(xp.exp(z).sum(axis=axis, keepdims=True))
    return z


class LogSoftmax(Function):
    """x - max - log(sum(exp(x - max))) over ``axis``. Backward: g - softmax * sum(g)."""
    saves_output = True

    def forward(self, x, axis):
        self.axis = axis
        self.out = x.copy() if x.size == 0 else log_softmax(x, axis)
        return self.out

    def backward(self, g):
        xp = array_module(g)
        return g - xp.exp(self.out) * g.sum(axis=self.axis, keepdims=True)


class LogSumExp(Function):
    """log(sum(exp(x))) over a tuple of axes. Backward: g * softmax(x) (read from x and the output)."""
    saves = (0,)
    saves_output = True

    def forward(self, x, axis, keepdims):
        xp = array_module(x)
        self.x, self.axis, self.keepdims = x, axis, keepdims
        if any(x.shape[a] == 0 for a in axis):  # the sum of nothing is 0; its log -inf, as in PyTorch
            shape = tuple(1 if i in axis else n for i, n in enumerate(x.shape))
            out = xp.full(shape, -xp.inf, dtype=x.dtype)
        elif x.size == 0:
            out = x.sum(axis=axis, keepdims=True)
        else:
            m = _shift(xp, x, axis)
            s = xp.exp(x - m).sum(axis=axis, keepdims=True)
            empty = s == 0  # an all -inf slice sums to 0: its log is -inf, without a divide-by-zero warning;
            # a NaN sum stays NaN (a slice holding a NaN), and so do its gradients
            out = xp.where(empty, -xp.inf, xp.log(xp.where(empty, 1, s))).astype(x.dtype, copy=False) + m
        self.kept = out.shape
        # the returned array itself is kept (saves_output): create_graph maps it to the output tensor
        self.out = out if keepdims else out.reshape(tuple(n for i, n in enumerate(x.shape) if i not in axis))
        return self.out

    def backward(self, g):
        xp = array_module(g)
        out = self.out
        if not self.keepdims:
            g, out = g.reshape(self.kept), out.reshape(self.kept)
        # PyTorch's formula, so the edge values (an inf logit, an all -inf slice) agree with it too
        return g * xp.exp(self.x - out)
