"""Losses."""
from __future__ import annotations

from ..autograd import Function

REDUCTIONS = ("mean", "sum", "none")


class MSELoss(Function):
    """(input - target)**2, then mean, sum or none. Shapes must match exactly (no silent broadcasting).
    Backward reads only its own difference array, so in-place edits of the inputs cannot corrupt it."""

    def forward(self, a, b, reduction="mean"):
        self.diff, self.reduction = a - b, reduction
        sq = self.diff * self.diff
        if reduction == "none":
            return sq
        return sq.sum() if reduction == "sum" else sq.mean()

    def backward(self, g):
        scale = 2 / self.diff.size if self.reduction == "mean" else 2
        ga = (g * scale) * self.diff
        return ga, -ga if self.needs_grad(1) else None
