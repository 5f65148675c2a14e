"""The p-norm of a tensor over some dims (torch.linalg.vector_norm), with PyTorch's gradient at zero."""
from __future__ import annotations

from ..autograd import Function
from ..backend import array_module


class VectorNorm(Function):
    """(sum |x|**p)**(1/p) over ``axes`` (p > 0 finite), max |x| (p = inf), min |x| (p = -inf), the count of
    nonzeros (p = 0, no gradient). Backward: g * sign(x) |x|**(p-1) / norm**(p-1), and 0 where the norm is 0
    (PyTorch's choice: a zero vector gets a zero gradient, not nan); for +-inf the gradient is split evenly
    between the elements that attain the extreme, as PyTorch's amax backward does."""
    saves = (0,)
    saves_output = True  # backward reads the returned array: an in-place edit of the result must be caught

    def forward(self, x, p, axes, keepdim):
        xp = array_module(x)
        self.x, self.p, self.axes, self.keepdim = x, p, axes, keepdim
        a = xp.abs(x)
        if p == float("inf"):
            out = a.max(axis=axes, keepdims=True) if a.size else xp.zeros_like(a.sum(axis=axes, keepdims=True))
        elif p == float("-inf"):
            out = a.min(axis=axes, keepdims=True)
        elif p == 0:
            out = (a != 0).sum(axis=axes, keepdims=True).astype(x.dtype)
        elif p == 1:
            out = a.sum(axis=axes, keepdims=True)
        elif p == 2:
            out = xp.sqrt((x * x).sum(axis=axes, keepdims=True))
        else:
            out = (a ** p).sum(axis=axes, keepdims=True) ** (1.0 / p)
        self.norm = out = xp.asarray(out, dtype=x.dtype)
        # the returned array (saves_output): an in-place edit of it changes norm, which backward reads
        self.out = out if keepdim else out.reshape(tuple(n for i, n in enumerate(out.shape) if i not in axes))
        return self.out

    def derive(self, inputs):
        """create_graph: the norm as a function of x (for p = 0 a count of nonzeros, piecewise constant)."""
        x, p, axes = inputs[0], self.p, self.axes
        xp = array_module(x)
        a = xp.abs(x)
        if p == 0:
            self.norm = (a != 0).astype(x.dtype).sum(axis=axes, keepdims=True)
        elif x.size == 0:
            self.norm = xp.zeros(self.norm.shape, dtype=x.dtype)
        elif p == float("inf"):
            self.norm = a.max(axis=axes, keepdims=True)
        elif p == float("-inf"):
            self.norm = -((-a).max(axis=axes, keepdims=True))
        elif p == 1:
            self.norm = a.sum(axis=axes, keepdims=True)
        elif p == 2:
            self.norm = xp.sqrt((x * x).sum(axis=axes, keepdims=True))
        else:
            self.norm = (a ** p).sum(axis=axes, keepdims=True) ** (1.0 / p)

    def backward(self, g):
        xp = array_module(g)
        x, p, norm = self.x, self.p, self.norm
        if not self.keepdim:
            g = g.reshape(norm.shape)
        if p == 0:
            return xp.zeros_like(x)
        if p in (float("inf"), float("-inf")):
            hit = (xp.abs(x) == norm)
            count = hit.sum(axis=self.axes, keepdims=True)
            return g * xp.sign(x) * hit / xp.maximum(count, 1)
        safe = xp.where(norm == 0, 1, norm)
        if p == 1:
            grad = xp.sign(x)
        elif p == 2:
            grad = x / safe
        else:
            grad = xp.sign(x) * xp.abs(x) ** (p - 1) / safe ** (p - 1)
        return (g * xp.where(norm == 0, 0, grad)).astype(x.dtype, copy=False)
