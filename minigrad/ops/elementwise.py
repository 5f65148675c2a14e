"""Elementwise ops. Inputs may be broadcast against each other: the engine sums gradients back to shape."""
from __future__ import annotations

import math

from ..autograd import Function
from ..backend import array_module, quiet_overflow

_LN10 = math.log(10.0)


class Add(Function):
    def forward(self, a, b):
        return a + b

    def backward(self, g):
        return g, g


class Sub(Function):
    def forward(self, a, b):
        return a - b

    def backward(self, g):
        return g, -g


class Mul(Function):
    saves = (0, 1)

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, g):
        return g * self.b, g * self.a


class Div(Function):
    saves = (0, 1)

    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, g):
        ga = g / self.b
        return ga, (-ga * self.a / self.b) if self.needs_grad(1) else None


class Neg(Function):
    def forward(self, a):
        return -a

    def backward(self, g):
        return -g


def _is_int(v) -> bool:
    kind = getattr(v, "dtype", None)
    return (kind.kind in "iu") if kind is not None else isinstance(v, int)


def _int_power(a, b):
    """Integer a ** b as PyTorch computes it: a negative exponent of a tensor gives 1 / a^|b| truncated (1 for
    a = 1, +-1 for a = -1, else 0), where NumPy raises; a negative Python-int exponent is refused, as there."""
    if not hasattr(b, "dtype"):
        if b < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        return a ** b
    xp = array_module(b)
    neg = b < 0  # no host read of neg.any(): the selection stays on the device
    pos = a ** xp.where(neg, 0, b)
    odd = (b % 2) == 1
    inv = xp.where(a == 1, 1, xp.where(a == -1, xp.where(odd, -1, 1), 0))
    return xp.where(neg, inv, pos).astype(pos.dtype, copy=False)


class Pow(Function):
    """a ** b, either side a tensor or a Python scalar. At the edges the gradients are PyTorch's: a zero
    exponent has zero d/da (not 0 * inf = nan at a = 0); d/db at a zero base is 0 for b >= 0 and -inf for
    b < 0. A Python-scalar side is handled in Python, so no Python bool or scalar ever reaches ``xp.where``
    as its condition (CuPy accepts only arrays there)."""
    saves = (0, 1)
    saves_output = True

    def forward(self, a, b):
        self.a, self.b = a, b
        self.out = _int_power(a, b) if _is_int(a) and _is_int(b) else a ** b
        return self.out

    def backward(self, g):
        a, b, out = self.a, self.b, self.out
        xp = array_module(out)
        ga = gb = None
        # A Python-scalar operand is tested in Python: cupy.where needs an array condition, not a bool.
        if self.needs_grad(0):
            if isinstance(b, (int, float)):
                ga = g * (b * a ** (b - 1)) if b != 0 else xp.zeros_like(g)
            else:
                ga = g * xp.where(b == 0, 0, b * a ** xp.where(b == 0, 1, b - 1))
        if self.needs_grad(1):
            if isinstance(a, (int, float)):
                if a > 0:
                    gb = g * (out * math.log(a))
                elif a == 0:
                    gb = g * xp.where(b < 0, -math.inf, xp.zeros_like(out))
                else:
                    gb = g * (out * math.nan)  # log of a negative base, as in PyTorch
            else:
                zero = a == 0
                log_a = xp.log(xp.where(zero, 1, a))  # log(0) would warn; those places are set below
                finite = xp.where(zero, 0, out) * log_a  # (inf * 0 would warn at a zero base)
                gb = g * xp.where(zero, xp.where(b < 0, -math.inf, xp.zeros_like(out)), finite)
        return ga, gb


class Exp(Function):
    saves_output = True

    def forward(self, a):
        self.out = array_module(a).exp(a)
        return self.out

    def backward(self, g):
        return g * self.out


class Log(Function):
    saves = (0,)

    def forward(self, a):
        self.a = a
        return array_module(a).log(a)

    def backward(self, g):
        return g / self.a


class Log10(Function):
    saves = (0,)

    def forward(self, a):
        self.a = a
        return array_module(a).log10(a)

    def backward(self, g):
        return g / (self.a * _LN10)


class Sqrt(Function):
    saves_output = True

    def forward(self, a):
        self.out = array_module(a).sqrt(a)
        return self.out

    def backward(self, g):
        return g / (2 * self.out)


class Abs(Function):
    saves = (0,)

    def forward(self, a):
        self.a = a
        return abs(a)

    def backward(self, g):
        return g * array_module(self.a).sign(self.a)


@quiet_overflow
def logistic(xp, x):
    """1 / (1 + exp(-x)) on arrays, where exp(-x) may overflow to inf (the result is then exactly 0)."""
    return 1 / (1 + xp.exp(-x))


class Sigmoid(Function):
    """1 / (1 + exp(-x)). For x < -88 (float32) or -709 (float64) exp(-x) overflows to inf and the result is
    exactly 0, which is the right answer: the overflow is expected, so its warning is silenced. Both tails
    stay accurate to an ulp or so (no 1 - p cancellation), and it is four fast ufuncs on any size."""
    saves_output = True

    def forward(self, a):
        low = a.dtype.itemsize == 2  # float16: 1 + exp(12) overflows it; compute in float32 as PyTorch does
        self.out = logistic(array_module(a), a.astype("float32") if low else a)
        if low:
            self.out = self.out.astype(a.dtype)
        return self.out

    def backward(self, g):
        out = self.out
        return g * out * (1 - out)


class ReLU(Function):
    """max(x, 0); the gradient at exactly 0 is 0, as in PyTorch."""
    saves_output = True

    def forward(self, a):
        self.out = array_module(a).maximum(a, 0)
        return self.out

    def backward(self, g):
        return g * (self.out > 0)


class Tanh(Function):
    saves_output = True

    def forward(self, a):
        self.out = array_module(a).tanh(a)
        return self.out

    def backward(self, g):
        return g * (1 - self.out * self.out)


class Clone(Function):
    def forward(self, a):
        return a.copy()

    def backward(self, g):
        return g


class Where(Function):
    """cond ? a : b, with ``cond`` a bool array (never a Python bool: CuPy needs an array) and a, b arrays or
    Python scalars, all broadcast together. The gradient of each side is the upstream gradient where it won."""
    saves = (0,)

    def forward(self, cond, a, b):
        self.cond = cond
        return array_module(cond).where(cond, a, b)

    def backward(self, g):
        xp = array_module(g)
        zero = xp.zeros((), dtype=g.dtype)
        ga = xp.where(self.cond, g, zero) if self.needs_grad(1) else None
        gb = xp.where(self.cond, zero, g) if self.needs_grad(2) else None
        return None, ga, gb


class Clamp(Function):
    """min(max(x, lo), hi) with Python-scalar bounds (either may be None). The gradient passes where
    lo <= x <= hi, bounds included, as in PyTorch."""
    saves = (0,)

    def forward(self, a, lo=None, hi=None):
        xp = array_module(a)
        self.a, self.lo, self.hi = a, lo, hi
        out = a
        if lo is not None:
            out = xp.maximum(out, xp.asarray(lo, dtype=a.dtype))
        if hi is not None:
            out = xp.minimum(out, xp.asarray(hi, dtype=a.dtype))
        return out if out is not a else a.copy()

    def backward(self, g):
        keep = True
        if self.lo is not None:
            keep = self.a >= self.lo
        if self.hi is not None:
            keep = keep & (self.a <= self.hi) if self.lo is not None else self.a <= self.hi
        return g * keep


class Maximum(Function):
    """Elementwise max of two broadcast arrays. Where they are equal each side gets half the gradient
    (PyTorch's rule), so the two halves still add up to the upstream gradient."""
    saves = (0, 1)
    pick = "maximum"

    def forward(self, a, b):
        self.a, self.b = a, b
        return getattr(array_module(a), self.pick)(a, b)

    def backward(self, g):
        a, b = self.a, self.b
        wins = (a > b) if self.pick == "maximum" else (a < b)
        share = wins + (a == b) * 0.5  # 1 where a wins, 1/2 at a tie, 0 where b wins
        ga = g * share.astype(g.dtype) if self.needs_grad(0) else None
        gb = g * (1 - share).astype(g.dtype) if self.needs_grad(1) else None
        return ga, gb


class Minimum(Maximum):
    pick = "minimum"


class MaskedFill(Function):
    """a with ``value`` wherever the bool ``mask`` (broadcast to a) is True; no gradient flows to a there.
    ``value`` is a number, or a 0-d array given as input 2 when it wants a gradient: the sum of the upstream
    gradient over the masked places."""
    saves = (1,)

    def forward(self, a, mask, value):
        xp = array_module(a)
        self.mask = mask
        return xp.where(mask, xp.asarray(value, dtype=a.dtype), a)

    def backward(self, g):
        xp = array_module(g)
        ga = xp.where(self.mask, xp.zeros((), dtype=g.dtype), g)
        if len(self.inputs) < 3:
            return ga, None
        gv = xp.where(self.mask, g, xp.zeros((), dtype=g.dtype)).sum() if self.needs_grad(2) else None
        return ga, None, gv


class Sin(Function):
    saves = (0,)

    def forward(self, a):
        self.a = a
        return array_module(a).sin(a)

    def backward(self, g):
        return g * array_module(g).cos(self.a)


class Cos(Function):
    saves = (0,)

    def forward(self, a):
        self.a = a
        return array_module(a).cos(a)

    def backward(self, g):
        return -g * array_module(g).sin(self.a)


class Step(Function):
    """floor, ceil, round (half to even, as PyTorch), sign: piecewise constant, so the gradient is zero
    everywhere (PyTorch's convention, also at the jumps)."""

    def forward(self, a, fn, decimals=0):
        self.shape = a.shape
        if fn == "round":  # the array method: both NumPy and CuPy have it (module-level names differ)
            return a.round(decimals)
        return getattr(array_module(a), fn)(a)

    def backward(self, g):
        return array_module(g).zeros(self.shape, dtype=g.dtype)


class Predicate(Function):
    """isnan / isinf (elementwise) and all / any (over ``axis``): bool results without a gradient. Still an
    op, so that mg.jit records it instead of freezing its first value."""
    differentiable = False

    def forward(self, a, fn, axis=None, keepdims=False):
        xp = array_module(a)
        if fn in ("all", "any"):
            return xp.asarray(getattr(a, fn)(axis=axis, keepdims=keepdims))
        if a.dtype.kind != "f":  # integers are never nan or inf
            return xp.zeros(a.shape, dtype=bool)
        return getattr(xp, fn)(a)


def _xp(a, b):
    """The array module of whichever operand is an array (the other may be a Python scalar)."""
    return array_module(b if isinstance(a, (int, float)) else a)


class Remainder(Function):
    """a - floor(a / b) * b (the result takes the divisor's sign, as Python's % and torch.remainder).
    Gradients: 1 for a, -floor(a / b) for b."""
    constants = ("q",)  # floor(a / b): piecewise constant in a and b, so its own derivative is zero

    def forward(self, a, b):
        xp = _xp(a, b)
        self.q = xp.floor_divide(a, b)
        return xp.remainder(a, b)

    def backward(self, g):
        return g if self.needs_grad(0) else None, -g * self.q if self.needs_grad(1) else None


class RoundedDiv(Function):
    """a / b rounded toward -inf (FloorDivide: floor_divide, //) or toward zero (TruncDivide), integers staying
    integers: piecewise constant, so the gradient is zero, as PyTorch's div(rounding_mode=...)."""
    mode = "floor"

    def forward(self, a, b):
        xp = _xp(a, b)
        self.shapes = tuple(getattr(v, "shape", None) for v in (a, b))
        if self.mode == "floor":
            return xp.floor_divide(a, b)
        if all(getattr(v, "dtype", None) is None or v.dtype.kind != "f" for v in (a, b)) and \
                not any(isinstance(v, float) for v in (a, b)):  # integers: floor, then one step toward zero
            q = xp.floor_divide(a, b)
            return q + ((q < 0) & (q * b != a))
        return xp.trunc(a / b)

    def backward(self, g):
        xp = array_module(g)
        return tuple(None if s is None else xp.zeros(s, dtype=g.dtype) for s in self.shapes)


class FloorDivide(RoundedDiv):
    mode = "floor"


class TruncDivide(RoundedDiv):
    mode = "trunc"
