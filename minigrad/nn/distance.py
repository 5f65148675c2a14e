"""CosineSimilarity and PairwiseDistance layers (F.cosine_similarity, F.pairwise_distance)."""
from __future__ import annotations

import minigrad as mg

from . import functional as F
from .module import Module

__all__ = ["CosineSimilarity", "PairwiseDistance"]


class CosineSimilarity(Module):
    """Cosine of the angle between x1 and x2 along ``dim`` (eps bounds each norm from below)."""

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1: mg.Tensor, x2: mg.Tensor) -> mg.Tensor:
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """||x1 - x2 + eps||_p over the last dim."""

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1: mg.Tensor, x2: mg.Tensor) -> mg.Tensor:
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
