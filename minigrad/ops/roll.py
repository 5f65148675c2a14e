"""roll: a cyclic shift along dims (torch.roll)."""
from __future__ import annotations

from ..autograd import Function
from ..backend import array_module


class Roll(Function):
    """Elements shifted by ``shifts`` along ``axes`` (None: the flattened array, shape kept), wrapping around;
    backward rolls back."""

    def forward(self, x, shifts, axes):
        self.shifts, self.axes = shifts, axes
        return array_module(x).roll(x, shifts, axis=axes)

    def backward(self, g):
        neg = -self.shifts if isinstance(self.shifts, int) else tuple(-s for s in self.shifts)
        return array_module(g).roll(g, neg, axis=self.axes)
