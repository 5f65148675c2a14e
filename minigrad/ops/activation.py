"""Activation functions with PyTorch's formulas, including the value its backward gives at each kink:
leaky_relu, elu, hardtanh, silu, softplus, gelu (exact and tanh approximation).

NumPy has no erf, so the exact GELU uses the normal CDF Phi from :func:`normal_cdf`: two Chebyshev series
fitted at import to the standard library's ``math.erf``/``math.erfc`` (pure Python, a few milliseconds),
accurate to about 1e-14 relative in float64 and evaluated with the same code on both backends.
"""
from __future__ import annotations

import math

from ..autograd import Function
from ..backend import array_module, ignore_overflow


class LeakyReLU(Function):
    """x if x > 0 else slope * x; at 0 the gradient is the slope (PyTorch's choice)."""
    saves = (0,)

    def forward(self, x, negative_slope=0.01):
        self.x, self.slope = x, negative_slope
        return array_module(x).where(x > 0, x, x * negative_slope)

    def backward(self, g):
        return array_module(g).where(self.x > 0, g, g * self.slope)


class ELU(Function):
    """x if x > 0 else alpha * (exp(x) - 1); at 0 the gradient is alpha, as in PyTorch."""
    saves = (0,)

    def forward(self, x, alpha=1.0):
        xp = array_module(x)
        self.x, self.alpha = x, alpha
        return xp.where(x > 0, x, alpha * xp.expm1(xp.minimum(x, 0)))

    def backward(self, g):
        xp = array_module(g)
        return xp.where(self.x > 0, g, g * (self.alpha * xp.exp(xp.minimum(self.x, 0))))


class Hardtanh(Function):
    """clip(x, min_val, max_val); the gradient is 0 at and beyond the two corners, as in PyTorch."""
    saves = (0,)

    def forward(self, x, min_val=-1.0, max_val=1.0):
        self.x, self.lo, self.hi = x, min_val, max_val
        return array_module(x).clip(x, min_val, max_val)

    def backward(self, g):
        return g * ((self.x > self.lo) & (self.x < self.hi))


def _sigmoid(xp, x):
    with ignore_overflow(xp):
        return 1 / (1 + xp.exp(-x))


class SiLU(Function):
    """x * sigmoid(x)."""
    saves = (0,)

    def forward(self, x):
        self.x, self.s = x, _sigmoid(array_module(x), x)
        return x * self.s

    def backward(self, g):
        s = self.s
        return g * (s * (1 + self.x * (1 - s)))


class Softplus(Function):
    """log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold (PyTorch's switch)."""
    saves = (0,)

    def forward(self, x, beta=1.0, threshold=20.0):
        xp = array_module(x)
        self.x, self.beta, self.threshold = x, beta, threshold
        bx = x * beta
        return xp.where(bx > threshold, x, xp.logaddexp(0, bx) / beta)

    def backward(self, g):
        xp = array_module(g)
        bx = self.x * self.beta
        return xp.where(bx > self.threshold, g, g * _sigmoid(xp, bx))


# ------------------------------------------------------------------------------------------------ GELU
def _chebyshev(f, a: float, b: float, n: int) -> tuple[float, ...]:
    """First n Chebyshev coefficients of f on [a, b], from f at n + 8 Chebyshev nodes."""
    m = n + 8
    vals = [f(0.5 * (b - a) * math.cos(math.pi * (j + 0.5) / m) + 0.5 * (b + a)) for j in range(m)]
    return tuple(2.0 / m * sum(v * math.cos(math.pi * k * (j + 0.5) / m) for j, v in enumerate(vals))
                 for k in range(n))


def _clenshaw(c: tuple[float, ...], t):
    """sum_k c_k T_k(t) - c_0 / 2 for t in [-1, 1]."""
    b1 = b2 = 0.0
    t2 = 2 * t
    for ck in c[:0:-1]:
        b1, b2 = t2 * b1 - b2 + ck, b1
    return t * b1 - b2 + 0.5 * c[0]


_R = 2.0  # below: erf(z)/z as a series in z**2; above: erfc(z) * exp(z**2) * z as a series in 1/z


def _erfc_scaled(s: float) -> float:
    """erfc(z) * exp(z*z) * z at s = 1/z; the asymptotic series where exp(z*z) would overflow."""
    if s < 1 / 25:
        s2 = s * s
        return (1 - s2 / 2 + 3 * s2 ** 2 / 4 - 15 * s2 ** 3 / 8 + 105 * s2 ** 4 / 16) / math.sqrt(math.pi)
    z = 1 / s
    return math.erfc(z) * math.exp(z * z) * z


_ERF_SMALL = _chebyshev(lambda u: math.erf(math.sqrt(u)) / math.sqrt(u) if u > 0 else 2 / math.sqrt(math.pi),
                        0.0, _R * _R, 18)
_ERFC_LARGE = _chebyshev(_erfc_scaled, 0.0, 1 / _R, 26)


def normal_cdf(x):
    """Phi(x) = P(Z <= x) for a standard normal Z, elementwise, in x's dtype; both tails accurate. Narrower
    floats are computed in float64 and rounded once, so float32 gets a correctly rounded result."""
    xp = array_module(x)
    if x.dtype.itemsize < 8:
        return normal_cdf(x.astype(xp.float64)).astype(x.dtype)
    z = x * (1 / math.sqrt(2))
    az = xp.abs(z)
    half_r2 = _R * _R / 2
    small = 0.5 + 0.5 * z * _clenshaw(_ERF_SMALL, (xp.minimum(az, _R) ** 2 - half_r2) / half_r2)
    far = xp.maximum(az, _R)
    tail = 0.5 * xp.exp(-far * far) * _clenshaw(_ERFC_LARGE, (1 / far) * (2 * _R) - 1) / far  # Phi(-|x|)
    return xp.where(az <= _R, small, xp.where(z < 0, tail, 1 - tail))


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
            self.cdf = _sigmoid(xp, (2 * _SQRT_2_OVER_PI) * (x + 0.044715 * x * x * x))
        else:
            self.cdf = normal_cdf(x)
        return x * self.cdf

    def backward(self, g):
        xp = array_module(g)
        x, cdf = self.x, self.cdf
        if self.approximate == "tanh":
            du = (2 * _SQRT_2_OVER_PI) * (1 + 3 * 0.044715 * x * x)
            return g * (cdf + x * (cdf * (1 - cdf)) * du)
        pdf = xp.exp(-0.5 * x * x) * (1 / math.sqrt(2 * math.pi))
        return g * (cdf + x * pdf)
