"""Closeness tests: isclose (elementwise, PyTorch's rule), not differentiable."""
from __future__ import annotations

from ..autograd import Function
from ..backend import array_module


class IsClose(Function):
    """|a - b| <= atol + rtol * |b| elementwise, equal infinities close, NaN close to NaN only with equal_nan."""
    differentiable = False

    def forward(self, a, b, rtol, atol, equal_nan):
        xp = array_module(a)
        if a.dtype.kind in "biu" and b.dtype.kind in "biu":
            if rtol == 0 and atol == 0:
                return xp.asarray(a == b)
            a, b = a.astype(xp.float64), b.astype(xp.float64)
        return xp.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
