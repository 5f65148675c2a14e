"""Elementwise math: erf (from the same Chebyshev series as GELU's normal CDF), atan2 and lerp."""
from __future__ import annotations

import math

from ..autograd import Function
from ..backend import array_module
from .quiet import quiet_invalid
from .activation import _R, _SERIES, _clenshaw, _upper_tail

_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


def erf(x):
    """erf(x) in x's dtype, about 1e-14 relative in float64: erf(z)/z as a series in z**2 for |z| <= R (no
    cancellation near 0), 1 - erfc(|z|) from the scaled-tail series beyond, odd in z."""
    xp = array_module(x)
    shape = x.shape
    x = x.reshape(-1)  # 1-D throughout: 0-d arithmetic gives NumPy scalars, which can't be assigned into
    small_series, tail_series = _SERIES[8 if x.dtype.itemsize >= 8 else 4]
    az = xp.abs(x)
    half_r2 = _R * _R / 2
    u = xp.minimum(az, _R)
    u = u * u
    u -= half_r2
    u /= half_r2
    out = _clenshaw(small_series, u) * x
    far = az > _R
    if xp.__name__ == "numpy":
        if far.any():
            out[far] = xp.sign(x[far]) * (1 - 2 * _upper_tail(az[far], tail_series))
    else:  # no data-dependent branching (a device sync) on a GPU
        tail = 1 - 2 * _upper_tail(xp.maximum(az, _R), tail_series)
        out = xp.where(far, xp.sign(x) * tail, out)
    return xp.where(xp.isnan(x), x, out).astype(x.dtype, copy=False).reshape(shape)


class Erf(Function):
    """erf(x); gradient 2 / sqrt(pi) * exp(-x**2)."""
    saves = (0,)

    def forward(self, x):
        self.x = x
        return erf(x)

    def backward(self, g):
        xp = array_module(g)
        return g * (_TWO_OVER_SQRT_PI * xp.exp(-self.x * self.x))


class Atan2(Function):
    """atan2(y, x), the angle of the point (x, y) in (-pi, pi]; gradients x / r2 for y and -y / r2 for x,
    r2 = x**2 + y**2 (0/0 = nan at the origin, as in PyTorch)."""
    saves = (0, 1)

    def forward(self, y, x):
        self.y, self.x = y, x
        return array_module(y).arctan2(y, x)

    def backward(self, g):
        xp = array_module(g)
        y, x = self.y, self.x
        with quiet_invalid(xp):
            r2 = x * x + y * y
            return g * (x / r2), g * (-y / r2)


class Lerp(Function):
    """start + weight * (end - start), in PyTorch's two-branch form (exact at weight 0 and 1): for |weight| < 0.5
    start + weight * (end - start), else end - (end - start) * (1 - weight). ``weight`` is input 2 (an array)
    or None with a Python ``scalar``. Gradients: 1 - weight, weight, end - start."""
    saves = (0, 1, 2)

    def forward(self, start, end, weight, scalar=None):
        xp = array_module(start)
        w = scalar if weight is None else weight
        self.start, self.end, self.w = start, end, w
        diff = end - start
        if weight is None:
            return start + w * diff if abs(w) < 0.5 else end - diff * (1 - w)
        return xp.where(xp.abs(w) < 0.5, start + w * diff, end - diff * (1 - w))

    def backward(self, g):
        w = self.w
        gw = g * (self.end - self.start) if self.needs_grad(2) else None
        return g * (1 - w), g * w, gw

