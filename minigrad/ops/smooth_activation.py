"""Smooth activations with PyTorch's formulas: the ELU family with a scale (selu, celu), mish, logsigmoid,
softsign, tanhshrink."""
from __future__ import annotations

from ..autograd import Function
from ..backend import array_module
from .elementwise import logistic

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


class ScaledELU(Function):
    """scale * (x if x > 0 else alpha * (exp(x * input_scale) - 1)): selu (alpha, scale = SELU's constants,
    input_scale 1) and celu (alpha, 1, 1 / alpha), as PyTorch's elu kernel with its three parameters."""
    saves = (0,)

    def forward(self, x, alpha, scale, input_scale):
        xp = array_module(x)
        self.x, self.alpha, self.scale, self.input_scale = x, alpha, scale, input_scale
        neg = alpha * xp.expm1(xp.minimum(x, 0) * input_scale)
        return (scale * xp.where(x > 0, x, neg)).astype(x.dtype, copy=False)

    def backward(self, g):
        xp = array_module(g)
        x = self.x
        # PyTorch's celu gradient uses input_scale = 1 / float32(alpha) (its derivative formula takes alpha
        # toFloat()): the same rounding keeps float64 gradients equal to PyTorch's, within 1e-7 relative of the
        # exact ones. SELU's input_scale 1 is unaffected.
        s = 1.0 / float(xp.float32(1.0 / self.input_scale))
        neg = (self.scale * self.alpha * s) * xp.exp(xp.minimum(x, 0) * s)
        return g * xp.where(x > 0, self.scale, neg).astype(g.dtype, copy=False)


def _softplus(xp, x):
    return xp.logaddexp(0, x).astype(x.dtype, copy=False)


class Mish(Function):
    """x * tanh(softplus(x)); gradient tanh(sp) + x * (1 - tanh(sp)**2) * sigmoid(x)."""
    saves = (0,)

    def forward(self, x):
        xp = array_module(x)
        self.x, self.t = x, xp.tanh(_softplus(xp, x))
        return x * self.t

    def derive(self, inputs):
        """create_graph: tanh(softplus(x)) as a function of x."""
        xp = array_module(inputs[0])
        self.t = xp.tanh(_softplus(xp, inputs[0]))

    def backward(self, g):
        xp = array_module(g)
        t = self.t
        return g * (t + self.x * (1 - t * t) * logistic(xp, self.x))


class LogSigmoid(Function):
    """log(sigmoid(x)) = -softplus(-x), stable at both ends; gradient sigmoid(-x)."""
    saves = (0,)

    def forward(self, x):
        self.x = x
        return -_softplus(array_module(x), -x)

    def backward(self, g):
        return g * logistic(array_module(g), -self.x)


class Softsign(Function):
    """x / (1 + |x|); gradient 1 / (1 + |x|)**2."""

    def forward(self, x):
        self.d = 1 + array_module(x).abs(x)
        return x / self.d

    def derive(self, inputs):
        """create_graph: 1 + |x| as a function of x."""
        self.d = 1 + array_module(inputs[0]).abs(inputs[0])

    def backward(self, g):
        return g / (self.d * self.d)


class Tanhshrink(Function):
    """x - tanh(x); gradient tanh(x)**2."""

    def forward(self, x):
        self.t = array_module(x).tanh(x)
        return x - self.t

    def derive(self, inputs):
        """create_graph: tanh(x) as a function of x."""
        self.t = array_module(inputs[0]).tanh(inputs[0])

    def backward(self, g):
        return g * (self.t * self.t)
