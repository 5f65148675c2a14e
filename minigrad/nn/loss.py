"""Loss modules: thin wrappers over `minigrad.nn.functional`, with PyTorch's names and arguments. Weights
are registered as buffers (as in PyTorch), so they move with `to()` and appear in the state dict.
MSELoss lives in layers.py and is re-exported by `minigrad.nn`."""
from __future__ import annotations

import minigrad as mg

from . import functional as F
from .module import Module

__all__ = ["Softmax", "LogSoftmax", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss", "L1Loss",
           "SmoothL1Loss", "HuberLoss", "KLDivLoss"]


class Softmax(Module):
    """softmax along ``dim``."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: mg.Tensor) -> mg.Tensor:
        return F.softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """log_softmax along ``dim``."""

    def forward(self, input: mg.Tensor) -> mg.Tensor:
        return F.log_softmax(input, self.dim)


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        if not isinstance(reduction, str) or reduction not in ("mean", "sum", "none"):
            raise ValueError(f'{reduction!r} is not a valid value for reduction (use "mean", "sum" or "none")')
        self.reduction = reduction


class _WeightedLoss(_Loss):
    def __init__(self, weight: mg.Tensor | None = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        if weight is not None and not isinstance(weight, mg.Tensor):
            raise TypeError(f"weight must be a minigrad Tensor or None, got {type(weight).__name__}")
        self.register_buffer("weight", weight)


class CrossEntropyLoss(_WeightedLoss):
    """F.cross_entropy as a module: logits (N, C, *) against class indices (N, *) or probabilities."""

    def __init__(self, weight: mg.Tensor | None = None, *, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        super().__init__(weight, reduction)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input: mg.Tensor, target: mg.Tensor) -> mg.Tensor:
        return F.cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """F.nll_loss as a module: log-probabilities (N, C, *) against class indices (N, *)."""

    def __init__(self, weight: mg.Tensor | None = None, *, ignore_index: int = -100,
                 reduction: str = "mean") -> None:
        super().__init__(weight, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: mg.Tensor, target: mg.Tensor) -> mg.Tensor:
        return F.nll_loss(input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction)


class BCELoss(_WeightedLoss):
    """F.binary_cross_entropy as a module: probabilities in [0, 1] against targets of the same shape."""

    def forward(self, input: mg.Tensor, target: mg.Tensor) -> mg.Tensor:
        return F.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """F.binary_cross_entropy_with_logits as a module (stable: takes logits, not probabilities)."""

    def __init__(self, weight: mg.Tensor | None = None, reduction: str = "mean",
                 pos_weight: mg.Tensor | None = None) -> None:
        super().__init__(weight, reduction)
        if pos_weight is not None and not isinstance(pos_weight, mg.Tensor):
            raise TypeError(f"pos_weight must be a minigrad Tensor or None, got {type(pos_weight).__name__}")
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: mg.Tensor, target: mg.Tensor) -> mg.Tensor:
        return F.binary_cross_entropy_with_logits(input, target, self.weight, reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


class L1Loss(_Loss):
    """Mean absolute error between input and target of the same shape."""

    def forward(self, input: mg.Tensor, target: mg.Tensor) -> mg.Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """Quadratic below ``beta``, linear above (F.smooth_l1_loss)."""

    def __init__(self, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(reduction)
        self.beta = beta

    def forward(self, input: mg.Tensor, target: mg.Tensor) -> mg.Tensor:
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """Quadratic below ``delta``, linear with slope delta above (F.huber_loss)."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        self.delta = delta

    def forward(self, input: mg.Tensor, target: mg.Tensor) -> mg.Tensor:
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class KLDivLoss(Module):
    """F.kl_div as a layer: input log-probabilities, target probabilities (or log-probabilities with log_target);
    reduction "mean" (default, as PyTorch, which warns), "batchmean", "sum" or "none"."""

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean", log_target: bool = False) -> None:
        super().__init__()
        if size_average is not None or reduce is not None:
            raise ValueError("KLDivLoss: size_average and reduce are deprecated in PyTorch and not supported; use "
                             "reduction=")
        if reduction not in ("mean", "batchmean", "sum", "none"):
            raise ValueError(f"{reduction!r} is not a valid value for reduction")
        self.reduction, self.log_target = reduction, log_target

    def forward(self, input: mg.Tensor, target: mg.Tensor) -> mg.Tensor:
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)
