"""cumprod along a dim, with an exact gradient where the input has zeros."""
from __future__ import annotations

from ..autograd import Function
from ..backend import array_module


def _rev_cumsum(xp, a):
    return xp.flip(xp.cumsum(xp.flip(a, axis=-1), axis=-1), axis=-1)


class Cumprod(Function):
    """out[i] = x[0] * ... * x[i] along ``axis``.

    Backward, along the (last, after moving) axis with z the first zero of a row (n if none):
        i < z:  sum_{j >= i} g[j] out[j] / x[i]                 (x[i] != 0 there)
        i = z:  sum_{j >= z} g[j] prod_{k <= j, k != z} x[k]    (a cumprod with x[z] replaced by 1)
        i > z:  0                                               (every product holds x[z] = 0)
    """
    saves = (0,)
    saves_output = True  # backward reads the returned array: an in-place edit of the result must be caught

    def forward(self, x, axis):
        xp = array_module(x)
        self.x, self.axis = x, axis
        self.out = xp.cumprod(x, axis=axis, dtype=x.dtype)
        return self.out

    def derive(self, inputs):
        """create_graph: the running products as a function of x, and the division-free backward (the rule
        above picks its case by where x is zero, which is right for the first derivative only: the third case's
        0 still depends on x[z])."""
        self.out = array_module(inputs[0]).cumprod(inputs[0], axis=self.axis)
        self.graph = True

    def _graph_backward(self, xp, x, out, g):
        """sum_{j >= i} g[j] prod_{k <= j, k != i} x[k] = prod_{k < i} x[k] * S[i], with S[n-1] = g[n-1] and
        S[i] = g[i] + x[i+1] S[i+1]: O(n) products, no division, so every case is one polynomial."""
        n = x.shape[-1]
        s = [g[..., n - 1:n]]
        for i in range(n - 2, -1, -1):
            s.append(g[..., i:i + 1] + x[..., i + 1:i + 2] * s[-1])
        before = xp.concatenate([xp.ones_like(x[..., :1]), out[..., :n - 1]], axis=-1)
        return before * xp.concatenate(s[::-1], axis=-1)

    def backward(self, g):
        xp = array_module(g)
        axis = self.axis
        x, out = xp.moveaxis(self.x, axis, -1), xp.moveaxis(self.out, axis, -1)
        g = xp.moveaxis(g, axis, -1)
        n = x.shape[-1]
        if n == 0:
            return xp.moveaxis(xp.zeros_like(g), -1, axis)
        if self.__dict__.get("graph"):
            return xp.moveaxis(self._graph_backward(xp, x, out, g), -1, axis)
        zero = x == 0
        z = xp.where(zero.any(axis=-1, keepdims=True), xp.argmax(zero, axis=-1)[..., None], n)
        pos = xp.arange(n)
        safe = xp.where(zero, 1, x)
        before = _rev_cumsum(xp, g * out) / safe
        at_zero = _rev_cumsum(xp, g * xp.cumprod(xp.where(pos == z, 1, x), axis=-1, dtype=x.dtype))
        grad = xp.where(pos < z, before, xp.where(pos == z, at_zero, 0)).astype(g.dtype, copy=False)
        return xp.moveaxis(grad, -1, axis)
