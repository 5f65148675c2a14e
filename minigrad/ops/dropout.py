"""dropout: zero each element with probability p and scale the rest by 1/(1-p) (inverted dropout)."""
from __future__ import annotations

from .. import factories
from ..autograd import Function
from ..backend import array_module


class Dropout(Function):
    """x * mask, ``mask`` holding 0 (probability p) or 1/(1-p) in x's dtype.

    The mask is drawn inside forward, on the host generator that ``mg.manual_seed`` seeds (so one seed gives one
    mask on every backend): an ``mg.jit`` replay runs this forward again and so draws a fresh mask each step, in
    the same sequence as eager. A CUDA graph could not (it would replay one mask), so ``host_random`` tells the
    jit to replay programs holding this op without graphs."""
    host_random = True
    constants = ("mask",)  # drawn, not computed from x

    def forward(self, x, p):
        keep = factories.op_generator().random(x.shape) >= p
        scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
        self.mask = array_module(x).asarray((keep * scale).astype(x.dtype))
        return x * self.mask

    def backward(self, g):
        return g * self.mask
