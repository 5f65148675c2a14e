"""Matrix products with numpy.matmul semantics (1-D operands, broadcast batch dimensions)."""
from __future__ import annotations

from ..autograd import Function
from ..errors import ShapeError


def _swap(a):
    return a.swapaxes(-1, -2)


class MatMul(Function):
    saves = (0, 1)

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ShapeError(f"matmul: both arguments need at least 1 dimension, got shapes {a.shape} and {b.shape}")
        if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            raise ShapeError(f"matmul: shapes {a.shape} and {b.shape} don't line up "
                             f"({a.shape[-1]} != {b.shape[-2 if b.ndim > 1 else 0]})")
        self.a, self.b = a, b
        return a @ b

    def backward(self, g):
        a, b = self.a, self.b
        # Treat 1-D operands as a row (a) / column (b) matrix, then drop that axis from the gradient again.
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        if a.ndim == 1:
            g = g[..., None, :] if b.ndim > 1 else g[..., None]
        if b.ndim == 1:
            g = g[..., None]
        ga = gb = None
        if self.needs_grad(0):
            ga = g @ _swap(b2)
            ga = ga[..., 0, :] if a.ndim == 1 else ga
        if self.needs_grad(1):
            gb = _swap(a2) @ g
            gb = gb[..., 0] if b.ndim == 1 else gb
        return ga, gb  # broadcast batch dims are summed away by the engine


class Linear(Function):
    """x @ w.T + b for x (..., in), w (out, in), b (out,): one node instead of three."""
    saves = (0, 1)

    def forward(self, x, w, b=None):
        if x.shape[-1] != w.shape[1]:
            raise ShapeError(f"linear: input has {x.shape[-1]} features (shape {x.shape}) but weight has shape "
                             f"{w.shape} (expects {w.shape[1]})")
        self.x, self.w = x, w
        out = x @ w.T
        return out if b is None else out + b

    def backward(self, g):
        x, w = self.x, self.w
        gx = g @ w if self.needs_grad(0) else None
        gw = gb = None
        if self.needs_grad(1):
            if g.ndim == 1:
                gw = g[:, None] * x[None, :]
            elif g.ndim == 2:
                gw = g.T @ x
            else:  # batch dims fold into one
                gw = g.reshape(-1, g.shape[-1]).T @ x.reshape(-1, x.shape[-1])
        if len(self.inputs) > 2 and self.needs_grad(2):
            gb = g.sum(axis=tuple(range(g.ndim - 1)))
        return gx, gw, gb
