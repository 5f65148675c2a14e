"""embedding: rows of a weight matrix picked by integer indices."""
from __future__ import annotations

from ..autograd import Function
from ..backend import array_module


class Embedding(Function):
    """weight (V, D) and integer indices (*) -> (*, D). The gradient of row v sums the upstream gradients of
    every position that picked v; the ``padding_idx`` row gets none (PyTorch's rule)."""
    saves = (1,)  # backward scatters by the indices

    def forward(self, weight, indices, padding_idx=None):
        self.indices, self.wshape, self.padding_idx = indices, weight.shape, padding_idx
        return weight[indices]

    def backward(self, g):
        xp = array_module(g)
        v, d = self.wshape
        gw = xp.zeros((v, d), dtype=g.dtype)
        xp.add.at(gw, self.indices.reshape(-1), g.reshape(self.indices.size, d))  # repeated indices must add up
        if self.padding_idx is not None:
            gw[self.padding_idx] = 0
        return gw, None


class OneHot(Function):
    """Integer class indices x (*) -> int64 (*, num_classes), 1 at each index (values checked by the caller)."""
    differentiable = False

    def forward(self, x, num_classes):
        xp = array_module(x)
        return (x[..., None] == xp.arange(num_classes)).astype(xp.int64)

    def backward(self, g):  # pragma: no cover - not differentiable, never recorded for backward
        return None
