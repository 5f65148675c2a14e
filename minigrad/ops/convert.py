"""Differentiable conversions: dtype casts and moves between backends."""
from __future__ import annotations

from ..autograd import Function
from ..backend import backend_of, get_backend


class Cast(Function):
    def forward(self, a, dtype):
        self.dtype = a.dtype
        return a.astype(dtype)

    def backward(self, g):
        return g.astype(self.dtype)


def _move(a, name: str):
    if backend_of(a) == name:
        return a
    return a.get() if backend_of(a) == "cupy" else get_backend(name).xp.asarray(a)


class ToBackend(Function):
    def forward(self, a, name):
        self.src = backend_of(a)
        return _move(a, name)

    def backward(self, g):
        return _move(g, self.src)
