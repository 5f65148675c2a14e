"""Elementwise ops. Inputs may be broadcast against each other: the engine sums gradients back to shape."""
from __future__ import annotations

import math

from ..autograd import Function
from ..backend import array_module, ignore_overflow


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


class Pow(Function):
    """a ** b for a tensor or scalar exponent. As in PyTorch, a zero exponent has zero gradient and a zero base
    contributes nothing to d/db (instead of 0 * inf = nan); d/db is only formed when b wants a gradient."""
    saves = (0, 1)
    saves_output = True

    def forward(self, a, b):
        self.a, self.b = a, b
        self.out = a ** b
        return self.out

    def backward(self, g):
        xp = array_module(self.out)
        a, b = self.a, self.b
        ga = gb = None
        # A Python-scalar operand is tested in Python: cupy.where needs an array condition, not a bool.
        if self.needs_grad(0):
            if isinstance(b, (int, float)):
                ga = g * b * a ** (b - 1) if b != 0 else g * 0
            else:
                ga = g * xp.where(b == 0, 0, b * a ** xp.where(b == 0, 1, b - 1))
        if self.needs_grad(1):
            if isinstance(a, (int, float)):
                log_a = 0.0 if a == 0 else math.log(a) if a > 0 else math.nan
            else:
                log_a = xp.log(xp.where(a == 0, 1, a))
            gb = g * self.out * log_a
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


class Sigmoid(Function):
    """1 / (1 + exp(-x)). For x < -88 (float32) or -709 (float64) exp(-x) overflows to inf and the result is
    exactly 0, which is the right answer: the overflow is expected, so its warning is silenced. Both tails
    stay accurate to an ulp or so (no 1 - p cancellation), and it is four fast ufuncs on any size."""
    saves_output = True

    def forward(self, a):
        xp = array_module(a)
        with ignore_overflow(xp):
            self.out = 1 / (1 + xp.exp(-a))
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
