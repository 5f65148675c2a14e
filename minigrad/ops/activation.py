"""Activation functions with PyTorch's formulas, including the value its backward gives at each kink:
leaky_relu, elu, hardtanh, silu, softplus, gelu (exact and tanh approximation).

NumPy has no erf, so the exact GELU uses the normal CDF Phi from :func:`normal_cdf`: Chebyshev series fitted
at import to the standard library's ``math.erf``/``math.erfc`` (pure Python, a few milliseconds), accurate to
about 1e-12 relative in float64 (about 1e-8 in float32, in its own dtype), the same code on both backends.
"""
from __future__ import annotations

import math

from ..autograd import Function
from ..backend import array_module
from .elementwise import logistic


class LeakyReLU(Function):
    """x if x > 0 else slope * x; at 0 the gradient is the slope (PyTorch's choice)."""
    saves = (0,)

    def forward(self, x, negative_slope):
        self.x, self.slope = x, negative_slope
        return array_module(x).where(x > 0, x, x * negative_slope)

    def backward(self, g):
        return array_module(g).where(self.x > 0, g, g * self.slope)


class ELU(Function):
    """x if x > 0 else alpha * (exp(x) - 1); at 0 the gradient is alpha, as in PyTorch."""
    saves = (0,)

    def forward(self, x, alpha):
        xp = array_module(x)
        self.x, self.alpha = x, alpha
        return xp.where(x > 0, x, alpha * xp.expm1(xp.minimum(x, 0)))

    def backward(self, g):
        xp = array_module(g)
        return xp.where(self.x > 0, g, g * (self.alpha * xp.exp(xp.minimum(self.x, 0))))


class Hardtanh(Function):
    """clip(x, min_val, max_val); the gradient is 0 at and beyond the two corners, as in PyTorch."""
    saves = (0,)

    def forward(self, x, min_val, max_val):
        self.x, self.lo, self.hi = x, min_val, max_val
        return array_module(x).clip(x, min_val, max_val)

    def backward(self, g):
        return g * ((self.x > self.lo) & (self.x < self.hi))


class SiLU(Function):
    """x * sigmoid(x)."""
    saves = (0,)

    def forward(self, x):
        self.x, self.s = x, logistic(array_module(x), x)
        return x * self.s

    def derive(self, inputs):
        """create_graph: sigmoid(x) as a function of x (see ops/tensor_xp.py)."""
        self.s = array_module(inputs[0]).sigmoid(inputs[0])

    def backward(self, g):
        s = self.s
        return g * (s * (1 + self.x * (1 - s)))


class Softplus(Function):
    """log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold (PyTorch's switch)."""
    saves = (0,)

    def forward(self, x, beta, threshold):
        xp = array_module(x)
        self.x, self.beta, self.threshold = x, beta, threshold
        bx = x * beta
        return xp.where(bx > threshold, x, xp.logaddexp(0, bx) / beta)

    def backward(self, g):
        xp = array_module(g)
        bx = self.x * self.beta
        return xp.where(bx > self.threshold, g, g * logistic(xp, bx))


# ------------------------------------------------------------------------------------------------ GELU
def _chebyshev(f, a: float, b: float, n: int) -> tuple[float, ...]:
    """First n Chebyshev coefficients of f on [a, b], from f at n + 8 Chebyshev nodes."""
    m = n + 8
    vals = [f(0.5 * (b - a) * math.cos(math.pi * (j + 0.5) / m) + 0.5 * (b + a)) for j in range(m)]
    return tuple(2.0 / m * sum(v * math.cos(math.pi * k * (j + 0.5) / m) for j, v in enumerate(vals))
                 for k in range(n))


def _clenshaw(c: tuple[float, ...], t):
    """sum_k c_k T_k(t) - c_0 / 2 for t in [-1, 1]; in place, three passes per term and no temporaries."""
    xp = array_module(t)
    b1, b2, tmp = xp.full_like(t, c[-1]), xp.zeros_like(t), xp.empty_like(t)
    t2 = t + t
    for ck in c[-2:0:-1]:  # b1, b2 = 2t*b1 - b2 + ck, b1
        xp.multiply(t2, b1, out=tmp)
        tmp -= b2
        tmp += ck
        b1, b2, tmp = tmp, b1, b2
    b1 *= t
    b1 -= b2
    b1 += 0.5 * c[0]
    return b1


_R = 2.0  # below: erf(z)/z as a series in z**2; above: erfc(z) * exp(z**2) * z as a series in 1/z


def _erfc_scaled(s: float) -> float:
    """erfc(z) * exp(z*z) * z at s = 1/z; the asymptotic series where exp(z*z) would overflow."""
    if s < 1 / 25:
        s2 = s * s
        return (1 - s2 / 2 + 3 * s2 ** 2 / 4 - 15 * s2 ** 3 / 8 + 105 * s2 ** 4 / 16) / math.sqrt(math.pi)
    z = 1 / s
    return math.erfc(z) * math.exp(z * z) * z


def _erf_over_z(u: float) -> float:
    return math.erf(math.sqrt(u)) / math.sqrt(u) if u > 0 else 2 / math.sqrt(math.pi)


# (series for |z| <= R, series for |z| > R) per precision: 18 + 16 terms reach ~1e-14 relative in float64,
# 10 + 10 terms ~1e-8 for float32 and narrower (computed in their own dtype).
_SERIES = {8: (_chebyshev(_erf_over_z, 0.0, _R * _R, 18), _chebyshev(_erfc_scaled, 0.0, 1 / _R, 16)),
           4: (_chebyshev(_erf_over_z, 0.0, _R * _R, 10), _chebyshev(_erfc_scaled, 0.0, 1 / _R, 10))}


def _upper_tail(az, series):
    """0.5 * erfc(az) for az >= R."""
    xp = array_module(az)
    return 0.5 * xp.exp(-az * az) * _clenshaw(series, (1 / az) * (2 * _R) - 1) / az


_CHUNK = 1 << 14  # elements per block on the host: the ~25 passes of a block stay in the L2 cache


def normal_cdf(x):
    """Phi(x) = P(Z <= x) for a standard normal Z, elementwise, in x's dtype; both tails accurate.
    On the host, large arrays go block by block, so the series' many passes run in cache."""
    xp = array_module(x)
    if xp.__name__ != "numpy" or x.size <= _CHUNK:
        return _normal_cdf(x)
    flat = x.reshape(-1)
    out = xp.empty(flat.shape, dtype=x.dtype)
    for i in range(0, flat.size, _CHUNK):
        out[i:i + _CHUNK] = _normal_cdf(flat[i:i + _CHUNK])
    return out.reshape(x.shape)


def _normal_cdf(x):
    xp = array_module(x)
    small_series, tail_series = _SERIES[8 if x.dtype.itemsize >= 8 else 4]
    z = x * (1 / math.sqrt(2))
    az = xp.abs(z)
    half_r2 = _R * _R / 2
    u = xp.minimum(az, _R)
    u *= u
    u -= half_r2
    u /= half_r2
    phi = _clenshaw(small_series, u)
    phi *= z
    phi *= 0.5
    phi += 0.5
    far = az > _R
    if xp.__name__ == "numpy":  # few elements are that far out: evaluate the tail on them only
        if far.any():
            tail = _upper_tail(az[far], tail_series)  # Phi(-|x|)
            phi[far] = xp.where(z[far] < 0, tail, 1 - tail)
    else:  # no data-dependent branching (a device sync) on a GPU
        tail = _upper_tail(xp.maximum(az, _R), tail_series)
        phi = xp.where(far, xp.where(z < 0, tail, 1 - tail), phi)
    return phi


_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)


class GELU(Function):
    """x * Phi(x) ("none"), or PyTorch's tanh approximation 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3),
    computed as x * sigmoid(2u) (the same function): no 1 + tanh(u) cancellation, so both tails stay accurate
    in float32 too."""
    saves = (0,)

    def forward(self, x, approximate="none"):
        xp = array_module(x)
        self.x, self.approximate = x, approximate
        if approximate == "tanh":
            self.cdf = logistic(xp, (2 * _SQRT_2_OVER_PI) * (x + 0.044715 * x * x * x))
        else:
            self.cdf = normal_cdf(x)
        return x * self.cdf

    def derive(self, inputs):
        """create_graph: the CDF factor as a function of x (see ops/tensor_xp.py)."""
        x = inputs[0]
        xp = array_module(x)
        if self.approximate == "tanh":
            self.cdf = xp.sigmoid((2 * _SQRT_2_OVER_PI) * (x + 0.044715 * x * x * x))
        else:
            self.cdf = xp.apply(NormalCDF, x)

    def backward(self, g):
        xp = array_module(g)
        x, cdf = self.x, self.cdf
        if self.approximate == "tanh":
            du = (2 * _SQRT_2_OVER_PI) * (1 + 3 * 0.044715 * x * x)
            return g * (cdf + x * (cdf * (1 - cdf)) * du)
        pdf = xp.exp(-0.5 * x * x) * (1 / math.sqrt(2 * math.pi))
        return g * (cdf + x * pdf)


class NormalCDF(Function):
    """Phi(x), with Phi'(x) = exp(-x^2/2) / sqrt(2 pi): GELU's CDF factor when its backward is differentiated."""
    saves = (0,)

    def forward(self, x):
        self.x = x
        return normal_cdf(x)

    def backward(self, g):
        x = self.x
        return g * (array_module(g).exp(-0.5 * x * x) * (1 / math.sqrt(2 * math.pi)))
