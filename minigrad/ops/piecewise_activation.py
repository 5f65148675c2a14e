"""Piecewise activations with PyTorch's gradient at each corner: hardsigmoid, hardswish, softshrink,
hardshrink (relu6 is hardtanh(0, 6), in activation.py)."""
from __future__ import annotations

from ..autograd import Function
from ..backend import array_module

_ONE_SIXTH_F32 = 0.1666666716337204  # float32(1 / 6)


class Hardsigmoid(Function):
    """clip(x / 6 + 1/2, 0, 1); the gradient is 1/6 strictly inside (-3, 3) and 0 at and beyond the corners."""
    saves = (0,)

    def forward(self, x):
        self.x = x
        return array_module(x).clip(x / 6 + 0.5, 0, 1).astype(x.dtype, copy=False)

    def backward(self, g):
        # PyTorch's kernel multiplies by 1/6 rounded to float32 (its constant is 1.0f / 6.0f), in float64 too
        return g * ((self.x > -3) & (self.x < 3)) * _ONE_SIXTH_F32


class Hardswish(Function):
    """x * clip(x + 3, 0, 6) / 6; gradient 0 below -3, x / 3 + 1/2 on [-3, 3], 1 above (PyTorch's branches)."""
    saves = (0,)

    def forward(self, x):
        self.x = x
        return x * array_module(x).clip(x + 3, 0, 6) / 6

    def backward(self, g):
        xp = array_module(g)
        x = self.x
        return xp.where(x < -3, 0, xp.where(x <= 3, g * (x / 3 + 0.5), g)).astype(g.dtype, copy=False)


class Softshrink(Function):
    """x - lambd above lambd, x + lambd below -lambd, 0 between; gradient 1 outside [-lambd, lambd]."""
    saves = (0,)

    def forward(self, x, lambd):
        xp = array_module(x)
        self.x, self.lambd = x, lambd
        return xp.where(x > lambd, x - lambd, xp.where(x < -lambd, x + lambd, 0)).astype(x.dtype, copy=False)

    def backward(self, g):
        return g * ((self.x > self.lambd) | (self.x < -self.lambd))


class Hardshrink(Function):
    """0 where -lambd <= x <= lambd, else x (PyTorch's test: a negative or NaN lambd zeroes nothing, a NaN x
    passes); gradient 1 where x > lambd or x < -lambd, PyTorch's vectorized backward (its scalar loop, which
    only handles a tensor's last few elements, lets the gradient of a NaN x or with a NaN lambd through
    instead)."""

    def forward(self, x, lambd):
        xp = array_module(x)
        self.mask = (x > lambd) | (x < -lambd)
        return xp.where((x >= -lambd) & (x <= lambd), 0, x).astype(x.dtype, copy=False)

    def backward(self, g):
        return g * self.mask
