"""Conv1d: 1-D convolution with PyTorch's constructor arguments, state-dict keys, repr and initialisation."""
from __future__ import annotations

from typing import Any

import minigrad as mg

from . import functional as F
from .._args import as_int
from .layers import _check_positive, _reset_weight_and_bias
from .module import Module, Parameter

__all__ = ["Conv1d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _single(value: Any, name: str) -> tuple[int]:
    if isinstance(value, (tuple, list)):
        if len(value) != 1:
            raise TypeError(f"{name} must be an int or a 1-tuple, got {value!r}")
        value = value[0]
    n = as_int(value)
    if n is None:
        raise TypeError(f"{name} must be an int or a 1-tuple, got {value!r}")
    return (n,)


class Conv1d(Module):
    """(N, C_in, L) or (C_in, L) -> (N, C_out, Lo); weight (out_channels, in_channels/groups, k), bias
    (out_channels,). padding may be "valid" or "same"; padding_mode other than "zeros" pads with F.pad first."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int], stride: int | tuple[int] = 1,
                 padding: int | tuple[int] | str = 0, dilation: int | tuple[int] = 1, groups: int = 1,
                 bias: bool = True, padding_mode: str = "zeros", dtype: Any = None, backend: str | None = None) -> None:
        super().__init__()
        in_channels = _check_positive(in_channels, "in_channels")
        out_channels = _check_positive(out_channels, "out_channels")
        groups = _check_positive(groups, "groups")
        if in_channels % groups:
            raise ValueError(f"in_channels ({in_channels}) must be divisible by groups ({groups})")
        if out_channels % groups:
            raise ValueError(f"out_channels ({out_channels}) must be divisible by groups ({groups})")
        if not isinstance(padding_mode, str) or padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {_PADDING_MODES}, got {padding_mode!r}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _single(kernel_size, "kernel_size")
        self.stride = _single(stride, "stride")
        self.dilation = _single(dilation, "dilation")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"padding must be an int, a 1-tuple, 'valid' or 'same', got {padding!r}")
            if padding == "same" and self.stride != (1,):
                raise ValueError(f"padding='same' needs stride 1, got stride={self.stride}")
            self.padding: Any = padding
        else:
            self.padding = _single(padding, "padding")
            if self.padding[0] < 0:
                raise ValueError(f"padding must be >= 0, got {self.padding}")
        if self.kernel_size[0] <= 0 or self.stride[0] <= 0 or self.dilation[0] <= 0:
            raise ValueError(f"Conv1d needs kernel_size > 0, stride > 0 and dilation > 0, got kernel_size="
                             f"{self.kernel_size}, stride={self.stride}, dilation={self.dilation}")
        self.padding_mode = padding_mode
        self.weight = Parameter(mg.zeros(out_channels, in_channels // groups, self.kernel_size[0], dtype=dtype,
                                         backend=backend))
        if bias:
            self.bias = Parameter(mg.zeros(out_channels, dtype=dtype, backend=backend))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in_channels / groups * k."""
        _reset_weight_and_bias(self.weight, self.bias)

    def forward(self, input: mg.Tensor) -> mg.Tensor:
        if self.padding_mode == "zeros" or self.padding in ("valid", (0,)):
            return F.conv1d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)
        if self.padding == "same":
            total = self.dilation[0] * (self.kernel_size[0] - 1)
            amounts = (total // 2, total - total // 2)
        else:
            amounts = (self.padding[0], self.padding[0])
        x = F.pad(input, amounts, mode=self.padding_mode)
        return F.conv1d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,):
            s += f", padding={self.padding}"
        if self.dilation != (1,):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s
