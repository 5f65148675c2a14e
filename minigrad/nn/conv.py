"""Convolution layers: Conv2d and ConvTranspose2d (PyTorch's constructor arguments, state-dict keys, repr and
default initialisation)."""
from __future__ import annotations

from typing import Any

import minigrad as mg

from . import functional as F
from .layers import _check_positive, _pair, _reset_weight_and_bias
from .module import Module, Parameter

__all__ = ["Conv2d", "ConvTranspose2d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """What Conv2d and ConvTranspose2d share: argument checks, parameters, repr."""

    def _setup(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
               groups: int, bias: bool, padding_mode: str, output_padding: Any, transposed: bool, dtype: Any,
               backend: str | None) -> None:
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
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.stride = _pair(stride, "stride")
        self.dilation = _pair(dilation, "dilation")
        if isinstance(padding, str):
            if padding not in ("same", "valid") or transposed:
                raise ValueError(f"padding must be an int, a pair of ints{'' if transposed else ', valid or same'}, "
                                 f"got {padding!r}")
            if padding == "same" and self.stride != (1, 1):
                raise ValueError(f"padding='same' needs stride 1, got stride={self.stride}")
            self.padding = padding
        else:
            self.padding = _pair(padding, "padding")
        self.output_padding = _pair(output_padding, "output_padding")
        self.padding_mode, self.transposed = padding_mode, transposed
        if min(self.kernel_size) <= 0 or min(self.stride) <= 0 or min(self.dilation) <= 0:
            raise ValueError(f"{type(self).__name__} needs kernel_size > 0, stride > 0 and dilation > 0, got kernel_size="
                             f"{self.kernel_size}, stride={self.stride}, dilation={self.dilation}")
        if not isinstance(self.padding, str) and min(self.padding) < 0:
            raise ValueError(f"padding must be >= 0, got {self.padding}")
        shape = (in_channels, out_channels // groups) if transposed else (out_channels, in_channels // groups)
        self.weight = Parameter(mg.zeros(*shape, *self.kernel_size, dtype=dtype, backend=backend))
        if bias:
            self.bias = Parameter(mg.zeros(out_channels, dtype=dtype, backend=backend))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = weight.shape[1] * kh * kw."""
        _reset_weight_and_bias(self.weight, self.bias)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0, 0):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv2d(_ConvNd):
    """2-D cross-correlation: (N, C_in, H, W) -> (N, C_out, Ho, Wo); weight (out_channels, in_channels/groups,
    kh, kw), bias (out_channels,). padding_mode other than "zeros" pads with F.pad first, as PyTorch does."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                 stride: int | tuple[int, int] = 1, padding: int | tuple[int, int] | str = 0,
                 dilation: int | tuple[int, int] = 1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 dtype: Any = None, backend: str | None = None) -> None:
        super().__init__()
        self._setup(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode,
                    0, False, dtype, backend)

    def forward(self, input: mg.Tensor) -> mg.Tensor:
        if self.padding_mode == "zeros" or self.padding in ("valid", (0, 0)):
            return F.conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)
        if self.padding == "same":
            th, tw = (d * (k - 1) for d, k in zip(self.dilation, self.kernel_size))
            amounts = (tw // 2, tw - tw // 2, th // 2, th - th // 2)
        else:
            ph, pw = self.padding
            amounts = (pw, pw, ph, ph)
        input = F.pad(input, amounts, mode=self.padding_mode)
        return F.conv2d(input, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


class ConvTranspose2d(_ConvNd):
    """Transposed convolution: (N, C_in, H, W) -> (N, C_out, Ho, Wo) with
    Ho = (H-1)*stride - 2*padding + dilation*(kh-1) + output_padding + 1; weight (in_channels,
    out_channels/groups, kh, kw), bias (out_channels,). Only padding_mode="zeros", as in PyTorch."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                 stride: int | tuple[int, int] = 1, padding: int | tuple[int, int] = 0,
                 output_padding: int | tuple[int, int] = 0, groups: int = 1, bias: bool = True,
                 dilation: int | tuple[int, int] = 1, padding_mode: str = "zeros", dtype: Any = None,
                 backend: str | None = None) -> None:
        super().__init__()
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for ConvTranspose2d, got {padding_mode!r}')
        self._setup(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode,
                    output_padding, True, dtype, backend)
        for i in range(2):
            if self.output_padding[i] >= max(self.stride[i], self.dilation[i]):
                raise ValueError(f"output_padding {self.output_padding} must be smaller than stride {self.stride} "
                                 f"or dilation {self.dilation}")

    def forward(self, input: mg.Tensor) -> mg.Tensor:
        return F.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding, self.output_padding,
                                  self.groups, self.dilation)
