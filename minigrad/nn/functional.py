"""minigrad.nn.functional (import as F): PyTorch's functional names, with argument checks, over minigrad.ops."""
from __future__ import annotations

from typing import Sequence

from ..ops import conv, elementwise, linalg, loss
from ..tensor import Tensor

__all__ = ["conv2d", "max_pool2d", "sigmoid", "relu", "tanh", "linear", "mse_loss"]



def _check_tensor(x, name: str, fn: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}: {name} must be a minigrad Tensor, got {type(x).__name__}")


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + exp(-x)), elementwise; exact 0 and 1 far out, never an overflow warning."""
    return elementwise.Sigmoid.apply(x)


def relu(x: Tensor) -> Tensor:
    return elementwise.ReLU.apply(x)


def tanh(x: Tensor) -> Tensor:
    return elementwise.Tanh.apply(x)


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x (..., in) @ weight (out, in).T + bias (out,) -> (..., out)."""
    _check_tensor(x, "input", "linear")
    if weight.ndim != 2:
        raise ValueError(f"linear: weight must be 2-D (out_features, in_features), got shape {weight.shape}")
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError(f"linear: bias must have shape ({weight.shape[0]},), got {bias.shape}")
    return linalg.Linear.apply(x, weight) if bias is None else linalg.Linear.apply(x, weight, bias)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
           stride: int | Sequence[int] = 1, padding: int | Sequence[int] = 0) -> Tensor:
    """2-D cross-correlation, as torch.nn.functional.conv2d (groups=1, dilation=1).

    input (N, C, H, W) or (C, H, W); weight (O, C, kh, kw); bias (O,) -> (N, O, Ho, Wo) with
    Ho = (H + 2*padding - kh) // stride + 1.
    """
    _check_tensor(input, "input", "conv2d")
    _check_tensor(weight, "weight", "conv2d")
    if input.ndim == 3:  # unbatched, as PyTorch allows
        return conv2d(input.unsqueeze(0), weight, bias, stride, padding).squeeze(0)
    if input.ndim != 4:
        raise ValueError(f"conv2d: expected input of shape (N, C, H, W) or (C, H, W), got shape {input.shape}")
    if weight.ndim != 4:
        raise ValueError(f"conv2d: expected weight of shape (out_channels, in_channels, kh, kw), got {weight.shape}")
    stride, padding = conv.pair(stride, "stride"), conv.pair(padding, "padding")
    if min(stride) < 1 or min(padding) < 0:
        raise ValueError(f"conv2d: stride must be >= 1 and padding >= 0, got stride={stride}, padding={padding}")
    (_, c, h, w), (o, cw, kh, kw) = input.shape, weight.shape
    if c != cw:
        raise ValueError(f"conv2d: input has {c} channels (shape {input.shape}) but weight expects {cw} "
                         f"(shape {weight.shape})")
    if kh > h + 2 * padding[0] or kw > w + 2 * padding[1]:
        raise ValueError(f"conv2d: kernel size ({kh}, {kw}) is larger than the padded input "
                         f"({h + 2 * padding[0]}, {w + 2 * padding[1]})")
    if bias is not None and bias.shape != (o,):
        raise ValueError(f"conv2d: bias must have shape ({o},), got {bias.shape}")
    if bias is None:
        return conv.Conv2d.apply(input, weight, stride=stride, padding=padding)
    return conv.Conv2d.apply(input, weight, bias, stride=stride, padding=padding)


def max_pool2d(input: Tensor, kernel_size: int | Sequence[int], stride: int | Sequence[int] | None = None,
               padding: int | Sequence[int] = 0) -> Tensor:
    """Max over kh*kw windows, as torch.nn.functional.max_pool2d (dilation=1, ceil_mode=False).

    input (N, C, H, W) or (C, H, W) -> (N, C, Ho, Wo); stride defaults to kernel_size. The gradient of each
    window goes to its first maximum in row-major order.
    """
    _check_tensor(input, "input", "max_pool2d")
    if input.ndim == 3:
        return max_pool2d(input.unsqueeze(0), kernel_size, stride, padding).squeeze(0)
    if input.ndim != 4:
        raise ValueError(f"max_pool2d: expected input of shape (N, C, H, W) or (C, H, W), got shape {input.shape}")
    k = conv.pair(kernel_size, "kernel_size")
    s = k if stride is None else conv.pair(stride, "stride")
    p = conv.pair(padding, "padding")
    if min(k) < 1 or min(s) < 1:
        raise ValueError(f"max_pool2d: kernel_size and stride must be >= 1, got {k} and {s}")
    if p[0] > k[0] // 2 or p[1] > k[1] // 2 or min(p) < 0:
        raise ValueError(f"max_pool2d: padding {p} must be >= 0 and at most half the kernel size {k}")
    h, w = input.shape[2:]
    if k[0] > h + 2 * p[0] or k[1] > w + 2 * p[1]:
        raise ValueError(f"max_pool2d: kernel size {k} is larger than the padded input ({h + 2 * p[0]}, {w + 2 * p[1]})")
    return conv.MaxPool2d.apply(input, kernel_size=k, stride=s, padding=p)


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean squared error. input and target must have the same shape; reduction "mean" | "sum" | "none"."""
    _check_tensor(input, "input", "mse_loss")
    if reduction not in loss.REDUCTIONS:
        raise ValueError(f"mse_loss: reduction must be one of {loss.REDUCTIONS}, got {reduction!r}")
    _check_tensor(target, "target", "mse_loss")
    if target.shape != input.shape:
        raise ValueError(f"mse_loss: input shape {input.shape} and target shape {target.shape} must match exactly "
                         "(minigrad does not broadcast in losses, so a shape slip can't go unnoticed)")
    return loss.MSELoss.apply(input, target, reduction=reduction)
