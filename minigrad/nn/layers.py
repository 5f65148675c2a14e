"""Layers: thin Modules that hold parameters and call `minigrad.nn.functional`.

Shapes follow PyTorch: Linear maps (*, in_features) -> (*, out_features). Convolution, pooling, activation,
dropout and embedding layers live in conv.py, pooling.py, activation.py, dropout.py and sparse.py. Default
initialisation is PyTorch's (see `reset_parameters`), drawn from the generator that `mg.manual_seed` seeds,
so it is reproducible and identical on every backend.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Any, Iterator

import minigrad as mg

from . import functional as F
from . import init
from .._args import as_int
from ..ops import conv as _conv_ops
from .module import Module, Parameter

__all__ = ["Linear", "Sigmoid", "ReLU", "Tanh", "Flatten", "Sequential", "MSELoss"]


def _pair(value: Any, name: str) -> tuple[int, int]:
    """An int or a pair of ints (NumPy's too) as a pair (PyTorch's `_pair`); a TypeError otherwise, as a
    layer's constructor gives."""
    try:
        return _conv_ops.pair(value, name)
    except ValueError as e:
        raise TypeError(str(e)) from None


def _add_weight_and_bias(m: Module, shape: tuple[int, ...], bias: bool, dtype: Any, backend: str | None) -> None:
    """Register ``weight`` of ``shape`` and ``bias`` of shape[0] (or None), then give them PyTorch's default
    init: kaiming_uniform_(a=sqrt(5)) = U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the weight, the same bound for
    the bias."""
    m.weight = Parameter(mg.zeros(*shape, dtype=dtype, backend=backend))
    if bias:
        m.bias = Parameter(mg.zeros(shape[0], dtype=dtype, backend=backend))
    else:
        m.register_parameter("bias", None)
    m.reset_parameters()


def _reset_weight_and_bias(weight: Parameter, bias: Parameter | None) -> None:
    init.kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = init._calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        init.uniform_(bias, -bound, bound)


def _check_positive(value: Any, name: str) -> int:
    """value as a positive int (any integer type, NumPy's and 0-d integer tensors too, but not bool)."""
    n = as_int(value)
    if n is None or n <= 0:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return n


class Linear(Module):
    """y = x @ weight.T + bias; weight (out_features, in_features), bias (out_features,)."""

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, dtype: Any = None, backend: str | None = None
    ) -> None:
        super().__init__()
        self.in_features = _check_positive(in_features, "in_features")
        self.out_features = _check_positive(out_features, "out_features")
        _add_weight_and_bias(self, (out_features, in_features), bias, dtype, backend)

    def reset_parameters(self) -> None:
        """PyTorch's default: kaiming_uniform_(a=sqrt(5)) = U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for both."""
        _reset_weight_and_bias(self.weight, self.bias)

    def forward(self, input: mg.Tensor) -> mg.Tensor:
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Sigmoid(Module):
    def forward(self, input: mg.Tensor) -> mg.Tensor:
        return F.sigmoid(input)


class ReLU(Module):
    def forward(self, input: mg.Tensor) -> mg.Tensor:
        return F.relu(input)


class Tanh(Module):
    def forward(self, input: mg.Tensor) -> mg.Tensor:
        return F.tanh(input)


class Flatten(Module):
    """Flattens dims start_dim..end_dim into one (default keeps the batch dim)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: mg.Tensor) -> mg.Tensor:
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Sequential(Module):
    """Runs its modules in order. `Sequential(m0, m1, ...)` names them "0", "1", ...;
    `Sequential(OrderedDict(name=module, ...))` keeps the given names."""

    def __init__(self, *args: Module) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for idx, module in enumerate(args):
                self.add_module(str(idx), module)

    def _index(self, idx: int) -> str:
        n = len(self._modules)
        if not -n <= idx < n:
            raise IndexError(f"index {idx} is out of range for Sequential of length {n}")
        return list(self._modules)[idx % n]

    def __getitem__(self, idx: int | slice) -> Module:
        if isinstance(idx, slice):
            return Sequential(OrderedDict(list(self._modules.items())[idx]))
        return self._modules[self._index(idx)]

    def __setitem__(self, idx: int, module: Module) -> None:
        setattr(self, self._index(idx), module)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self)), module)
        return self

    def forward(self, input: Any) -> Any:
        for module in self._modules.values():
            input = module(input)
        return input


class MSELoss(Module):
    """Mean squared error between input and target of the same shape; reduction "mean", "sum" or "none"."""

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        if not isinstance(reduction, str) or reduction not in ("mean", "sum", "none"):
            raise ValueError(f'{reduction!r} is not a valid value for reduction (use "mean", "sum" or "none")')
        self.reduction = reduction

    def forward(self, input: mg.Tensor, target: mg.Tensor) -> mg.Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)
