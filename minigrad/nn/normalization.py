"""BatchNorm1d and BatchNorm2d with PyTorch's parameters, buffers, state-dict keys and update rule; LayerNorm and
GroupNorm (per-sample statistics, no buffers).

State dict: ``weight``, ``bias`` (affine), ``running_mean``, ``running_var``, ``num_batches_tracked`` (int64,
0-d) (track_running_stats): a PyTorch BatchNorm state dict converted to arrays loads as is.
"""
from __future__ import annotations

from typing import Any

import minigrad as mg

from . import functional as F
from . import init
from .module import Module, Parameter

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm", "GroupNorm", "InstanceNorm1d", "InstanceNorm2d"]


class _BatchNorm(Module):
    """Shared by BatchNorm1d/2d; subclasses say which input ranks they take."""
    _ranks: tuple[int, ...] = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, dtype: Any = None, backend: str | None = None, *,
                 bias: bool = True) -> None:
        super().__init__()
        if isinstance(num_features, bool) or not isinstance(num_features, int) or num_features <= 0:
            raise ValueError(f"num_features must be a positive int, got {num_features!r}")
        if momentum is not None and (isinstance(momentum, bool) or not isinstance(momentum, (int, float))):
            raise TypeError(f"momentum must be a float or None (cumulative average), got {momentum!r}")
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.use_bias = affine and bias  # PyTorch 2.13's keyword-only `bias`: a scale without a shift
        if affine:
            self.weight = Parameter(mg.ones(num_features, dtype=dtype, backend=backend))
        else:
            self.register_parameter("weight", None)
        if self.use_bias:
            self.bias = Parameter(mg.zeros(num_features, dtype=dtype, backend=backend))
        else:
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", mg.zeros(num_features, dtype=dtype, backend=backend))
            self.register_buffer("running_var", mg.ones(num_features, dtype=dtype, backend=backend))
            self.register_buffer("num_batches_tracked", mg.tensor(0, dtype=mg.int64, backend=backend))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            with mg.no_grad():
                self.running_mean.zero_()
                self.running_var.fill_(1)
                self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input: mg.Tensor) -> mg.Tensor:
        if not isinstance(input, mg.Tensor):
            raise TypeError(f"{type(self).__name__}: input must be a minigrad Tensor, got {type(input).__name__}")
        if input.ndim not in self._ranks:
            raise mg.ShapeError(f"{type(self).__name__}: expected {' or '.join(f'{r}D' for r in self._ranks)} input "
                                f"(got {input.ndim}D input of shape {input.shape})")
        if input.shape[1] != self.num_features:
            raise mg.ShapeError(f"{type(self).__name__}: input has {input.shape[1]} channels (shape {input.shape}) "
                                f"but the layer was built for num_features={self.num_features}")
        # Batch statistics in training, and in eval when no running statistics are kept (PyTorch's rule).
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        track = not self.training or self.track_running_stats
        counter = self.num_batches_tracked if self.training and self.track_running_stats else None
        return F._batch_norm(input, self.running_mean if track else None, self.running_var if track else None,
                             self.weight, self.bias, use_batch, self.momentum, self.eps, counter)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.use_bias}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L) input, per channel C."""
    _ranks = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W) input, per channel C."""
    _ranks = (4,)


class LayerNorm(Module):
    """Normalize over the trailing dims ``normalized_shape`` of each sample; ``weight`` (ones) and ``bias`` (zeros)
    of that shape when elementwise_affine (bias=False: a scale without a shift)."""

    def __init__(self, normalized_shape: int | tuple[int, ...], eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, dtype: Any = None, backend: str | None = None) -> None:
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        if not shape or any(isinstance(n, bool) or not isinstance(n, int) or n <= 0 for n in shape):
            raise ValueError(f"normalized_shape must be a positive int or a non-empty tuple of them, got "
                             f"{normalized_shape!r}")
        self.normalized_shape, self.eps, self.elementwise_affine = shape, eps, elementwise_affine
        self.use_bias = elementwise_affine and bias
        if elementwise_affine:
            self.weight = Parameter(mg.ones(*shape, dtype=dtype, backend=backend))
            if bias:
                self.bias = Parameter(mg.zeros(*shape, dtype=dtype, backend=backend))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input: mg.Tensor) -> mg.Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.use_bias}")


class GroupNorm(Module):
    """Split the C channels of (N, C, *) input into ``num_groups`` groups and normalize each per sample; with
    ``affine``, a per-channel ``weight`` (ones) and, unless bias=False, ``bias`` (zeros)."""

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True,
                 dtype: Any = None, backend: str | None = None, *, bias: bool = True) -> None:
        super().__init__()
        for name, value in (("num_groups", num_groups), ("num_channels", num_channels)):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if num_channels % num_groups:
            raise ValueError("num_channels must be divisible by num_groups")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        self.use_bias = affine and bias
        if affine:
            self.weight = Parameter(mg.ones(num_channels, dtype=dtype, backend=backend))
            if bias:
                self.bias = Parameter(mg.zeros(num_channels, dtype=dtype, backend=backend))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input: mg.Tensor) -> mg.Tensor:
        if input.ndim >= 2 and input.shape[1] != self.num_channels:
            raise mg.ShapeError(f"GroupNorm: input has {input.shape[1]} channels (shape {input.shape}) but the layer "
                                f"was built for num_channels={self.num_channels}")
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, bias={self.use_bias}"


class _InstanceNorm(Module):
    """Per-sample, per-channel normalization over the positions (F.instance_norm); ``affine`` adds a per-channel
    weight (ones) and bias (zeros). With track_running_stats, training updates running_mean and running_var
    (momentum None: never) and eval normalizes by them, as PyTorch's."""
    _batched_ndim = 3

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, affine: bool = False,
                 track_running_stats: bool = False, dtype: Any = None, backend: str | None = None, *,
                 bias: bool = True) -> None:
        super().__init__()
        if isinstance(num_features, bool) or not isinstance(num_features, int) or num_features <= 0:
            raise ValueError(f"num_features must be a positive int, got {num_features!r}")
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.use_bias = affine and bias
        if affine:
            self.weight = Parameter(mg.ones(num_features, dtype=dtype, backend=backend))
        else:
            self.register_parameter("weight", None)
        if self.use_bias:
            self.bias = Parameter(mg.zeros(num_features, dtype=dtype, backend=backend))
        else:
            self.register_parameter("bias", None)
        if track_running_stats:  # PyTorch's buffers; the counter is kept for state_dict, never incremented
            self.register_buffer("running_mean", mg.zeros(num_features, dtype=dtype, backend=backend))
            self.register_buffer("running_var", mg.ones(num_features, dtype=dtype, backend=backend))
            self.register_buffer("num_batches_tracked", mg.tensor(0, dtype=mg.int64, backend=backend))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_parameters(self) -> None:
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input: mg.Tensor) -> mg.Tensor:
        n = self._batched_ndim
        if input.ndim not in (n - 1, n):
            raise mg.ShapeError(f"{type(self).__name__}: expected {n - 1}D (unbatched) or {n}D (batched) input, got "
                                f"{input.ndim}D input of shape {input.shape}")
        unbatched = input.ndim == n - 1
        x = input.unsqueeze(0) if unbatched else input
        if x.shape[1] != self.num_features:
            raise mg.ShapeError(f"{type(self).__name__}: input has {x.shape[1]} channels (shape {input.shape}) but "
                                f"the layer was built for num_features={self.num_features}")
        out = F.instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                              self.training or not self.track_running_stats,
                              self.momentum if self.momentum is not None else 0.0, self.eps)
        return out.squeeze(0) if unbatched else out

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.use_bias}, track_running_stats={self.track_running_stats}")


class InstanceNorm1d(_InstanceNorm):
    """Instance norm of (N, C, L) or (C, L) input."""
    _batched_ndim = 3


class InstanceNorm2d(_InstanceNorm):
    """Instance norm of (N, C, H, W) or (C, H, W) input."""
    _batched_ndim = 4
