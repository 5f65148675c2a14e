"""dropout: zero each element with probability p and scale the rest by 1/(1-p) (inverted dropout)."""
from __future__ import annotations

from ..autograd import Function


class Dropout(Function):
    """x * mask, where ``mask`` holds 0 or 1/(1-p) in x's dtype. The caller draws it on the host generator,
    so one seed gives one mask on every backend."""

    def forward(self, x, mask):
        self.mask = mask
        return x * mask

    def backward(self, g):
        return g * self.mask, None
