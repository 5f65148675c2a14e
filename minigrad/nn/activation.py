"""Activation layers with PyTorch's constructor arguments and repr: LeakyReLU, GELU, SiLU, Softplus, ELU,
Hardtanh. (Sigmoid, ReLU and Tanh are in layers.py.) ``inplace=True`` is accepted for PyTorch code and
computes out of place: minigrad's in-place ops are for no_grad code."""
from __future__ import annotations

from typing import Any

import minigrad as mg

from . import functional as F
from .module import Module, Parameter

__all__ = ["LeakyReLU", "GELU", "SiLU", "Softplus", "ELU", "Hardtanh", "ReLU6", "Hardsigmoid", "Hardswish", "SELU",
           "CELU", "Mish", "LogSigmoid", "Softsign", "Tanhshrink", "Softshrink", "Hardshrink", "PReLU", "GLU",
           "Threshold", "Softmin", "Softmax2d"]


def _inplace_repr(inplace: bool) -> str:
    return ", inplace=True" if inplace else ""


class LeakyReLU(Module):
    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input: mg.Tensor) -> mg.Tensor:
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}{_inplace_repr(self.inplace)}"


class GELU(Module):
    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if not isinstance(approximate, str) or approximate not in ("none", "tanh"):
            raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input: mg.Tensor) -> mg.Tensor:
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: mg.Tensor) -> mg.Tensor:
        return F.silu(input)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Softplus(Module):
    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input: mg.Tensor) -> mg.Tensor:
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class ELU(Module):
    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input: mg.Tensor) -> mg.Tensor:
        return F.elu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}{_inplace_repr(self.inplace)}"


class Hardtanh(Module):
    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        if min_val > max_val:
            raise ValueError(f"min_val ({min_val}) must not be greater than max_val ({max_val})")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input: mg.Tensor) -> mg.Tensor:
        return F.hardtanh(input, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}{_inplace_repr(self.inplace)}"


# --- activations: relu6, hardsigmoid, hardswish, selu, celu, mish, logsigmoid, softsign, tanhshrink, shrinks ---
class _Pointwise(Module):
    """An activation without parameters: ``inplace`` is accepted for PyTorch code and computes out of place."""
    _fn = staticmethod(F.relu)

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: mg.Tensor) -> mg.Tensor:
        return type(self)._fn(input)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class ReLU6(_Pointwise):
    """min(max(x, 0), 6)."""
    _fn = staticmethod(F.relu6)


class Hardsigmoid(_Pointwise):
    """clip(x / 6 + 1/2, 0, 1)."""
    _fn = staticmethod(F.hardsigmoid)


class Hardswish(_Pointwise):
    """x * clip(x + 3, 0, 6) / 6."""
    _fn = staticmethod(F.hardswish)


class SELU(_Pointwise):
    """scale * elu(x, alpha) with SELU's constants."""
    _fn = staticmethod(F.selu)


class Mish(_Pointwise):
    """x * tanh(softplus(x))."""
    _fn = staticmethod(F.mish)


class LogSigmoid(Module):
    """log(sigmoid(x))."""

    def forward(self, input: mg.Tensor) -> mg.Tensor:
        return F.logsigmoid(input)


class Softsign(Module):
    """x / (1 + |x|)."""

    def forward(self, input: mg.Tensor) -> mg.Tensor:
        return F.softsign(input)


class Tanhshrink(Module):
    """x - tanh(x)."""

    def forward(self, input: mg.Tensor) -> mg.Tensor:
        return F.tanhshrink(input)


class CELU(Module):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input: mg.Tensor) -> mg.Tensor:
        return F.celu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}{_inplace_repr(self.inplace)}"


class Softshrink(Module):
    """x -+ lambd outside [-lambd, lambd], 0 inside."""

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def forward(self, input: mg.Tensor) -> mg.Tensor:
        return F.softshrink(input, self.lambd)

    def extra_repr(self) -> str:
        return str(self.lambd)


class Hardshrink(Softshrink):
    """x outside [-lambd, lambd], 0 inside."""

    def forward(self, input: mg.Tensor) -> mg.Tensor:
        return F.hardshrink(input, self.lambd)


class PReLU(Module):
    """x where x > 0, else weight * x, with a learnable slope per channel (num_parameters = C) or one for all (1),
    initialised to ``init``."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, dtype: Any = None,
                 backend: str | None = None) -> None:
        super().__init__()
        if isinstance(num_parameters, bool) or not isinstance(num_parameters, int) or num_parameters <= 0:
            raise ValueError(f"num_parameters must be a positive int, got {num_parameters!r}")
        self.num_parameters, self.init = num_parameters, init
        self.weight = Parameter(mg.full((num_parameters,), init, dtype=dtype, backend=backend))

    def reset_parameters(self) -> None:
        with mg.no_grad():
            self.weight.fill_(self.init)

    def forward(self, input: mg.Tensor) -> mg.Tensor:
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class GLU(Module):
    """a * sigmoid(b) for the input's halves a, b along ``dim``."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: mg.Tensor) -> mg.Tensor:
        return F.glu(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Threshold(Module):
    """x where x > threshold, else value."""

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input: mg.Tensor) -> mg.Tensor:
        return F.threshold(input, self.threshold, self.value)

    def extra_repr(self) -> str:
        return f"threshold={self.threshold}, value={self.value}{_inplace_repr(self.inplace)}"


class Softmin(Module):
    """softmax(-x) along ``dim``."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: mg.Tensor) -> mg.Tensor:
        return F.softmin(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax2d(Module):
    """softmax over the channels of (N, C, H, W) or (C, H, W) input (dim -3)."""

    def forward(self, input: mg.Tensor) -> mg.Tensor:
        if input.ndim not in (3, 4):
            raise mg.ShapeError(f"Softmax2d: expected an input of 3 or 4 dims, got shape {input.shape}")
        return F.softmax(input, -3)
