"""Pooling layers: MaxPool2d, AvgPool2d, AdaptiveAvgPool2d (PyTorch's arguments and repr; no parameters)."""
from __future__ import annotations

from typing import Any

import minigrad as mg

from . import functional as F
from .layers import _pair
from .module import Module

__all__ = ["MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d"]


def _pool_pair(value: Any, name: str) -> tuple[int, int]:
    """_pair, with F's rule for a one-element sequence (the same value for both dims)."""
    return _pair(F._one_for_both(value), name)


class MaxPool2d(Module):
    """Max over kernel_size windows; stride defaults to kernel_size. The gradient goes to the first maximum
    (the last NaN in a window holding one); see F.max_pool2d."""

    def __init__(self, kernel_size: int | tuple[int, int], stride: int | tuple[int, int] | None = None,
                 padding: int | tuple[int, int] = 0, dilation: int | tuple[int, int] = 1,
                 return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        _pool_pair(kernel_size, "kernel_size")  # validate early, keep the user's spelling for repr
        if stride is not None:
            _pool_pair(stride, "stride")
        _pool_pair(padding, "padding")
        _pool_pair(dilation, "dilation")
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input: mg.Tensor) -> Any:
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                            self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """Mean over kernel_size windows; stride defaults to kernel_size; see F.avg_pool2d for the divisor."""

    def __init__(self, kernel_size: int | tuple[int, int], stride: int | tuple[int, int] | None = None,
                 padding: int | tuple[int, int] = 0, ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:
        super().__init__()
        _pool_pair(kernel_size, "kernel_size")
        if stride is not None:
            _pool_pair(stride, "stride")
        _pool_pair(padding, "padding")
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input: mg.Tensor) -> mg.Tensor:
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                            self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output size (int, or a pair whose None entries keep the input size)."""

    def __init__(self, output_size: int | None | tuple[int | None, int | None]) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: mg.Tensor) -> mg.Tensor:
        return F.adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
