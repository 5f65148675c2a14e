"""Differentiable conversions: dtype casts and moves between backends."""
from __future__ import annotations

from ..autograd import Function
from ..backend import ARRAY_TYPES, backend_of, get_backend, transfer


class Cast(Function):
    def forward(self, a, dtype):
        self.dtype = a.dtype
        return a.astype(dtype)

    def backward(self, g):
        return g.astype(self.dtype)


class ToBackend(Function):
    """A copy of the input on another backend; the gradient travels back to the input's backend."""

    def forward(self, a, name):
        self.src = backend_of(a)
        return transfer(a, get_backend(name))

    def backward(self, g):
        if type(g) not in ARRAY_TYPES:  # create_graph: a Box (ops/tensor_xp.py); the move is itself an op
            return type(g)(ToBackend.apply(g.t, self.src.name))
        return transfer(g, self.src)
