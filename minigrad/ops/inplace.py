"""The differentiable form of ``t[index] = value``, used when the value requires grad (see Tensor.__setitem__)."""
from __future__ import annotations

from ..autograd import Function
from ..backend import array_module, writable_copy


class IndexPut(Function):
    """out = a with out[index] = v (v broadcast to a[index]'s shape, as NumPy assignment does).

    d/da is g with the written positions zeroed; d/dv is g at those positions (the engine sums it back to v's
    shape). With repeated advanced indices the last write wins, as in NumPy, but every repeat gets the
    gradient (PyTorch calls this case undefined).
    """

    def forward(self, a, v, index):
        self.index, self.v_ndim = index, getattr(v, "ndim", 0)
        out = a.copy()
        out[index] = v
        return out

    def backward(self, g):
        ga = gv = None
        if self.needs_grad(0):
            ga = writable_copy(g)
            ga[self.index] = 0
        if self.needs_grad(1):
            gv = g[self.index]
            if gv.ndim < self.v_ndim:  # NumPy lets v carry extra leading 1-dims: a[0:2] = v of shape (1, 2)
                gv = gv.reshape((1,) * (self.v_ndim - gv.ndim) + gv.shape)
        return ga, gv


class IndexAdd(Function):
    """out = a with v added at ``index``, repeated indices adding up (NumPy's ``add.at``): what ``xp.add.at`` in a
    backward rule becomes when create_graph=True. d/da is g; d/dv is g at the indexed positions."""

    def forward(self, a, v, index):
        self.index = index
        out = a.copy()
        array_module(a).add.at(out, index, v)
        return out

    def backward(self, g):
        return (g if self.needs_grad(0) else None), (g[self.index] if self.needs_grad(1) else None)
