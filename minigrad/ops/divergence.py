"""The Kullback-Leibler divergence loss, as torch.nn.functional.kl_div."""
from __future__ import annotations

from ..autograd import Function
from ..backend import array_module
from .quiet import quiet_invalid


class KLDiv(Function):
    """Pointwise target * (log(target) - input) (0 where target is 0), or exp(target) * (target - input) with
    ``log_target``; reduced by "none", "sum", "mean" (over all elements) or "batchmean" (sum / input.shape[0]).
    Gradients: d/dinput = -target (or -exp(target)); d/dtarget = log(target) + 1 - input, nan at target 0 (or
    exp(target) * (target - input + 1))."""
    saves = (0, 1)

    def forward(self, x, t, reduction, log_target):
        xp = array_module(x)
        self.x, self.t, self.reduction, self.log_target = x, t, reduction, log_target
        if log_target:
            loss = xp.exp(t) * (t - x)
        else:
            # xlogy(t, t) - t * x: 0 * log(0) is 0, a negative target gives nan (PyTorch's values)
            with quiet_invalid(xp):
                loss = (xp.where(t == 0, 0, t * xp.log(xp.where(t == 0, 1, t))) - t * x).astype(x.dtype, copy=False)
        if reduction == "none":
            return loss
        if reduction == "sum":
            return loss.sum()
        if reduction == "batchmean":
            return loss.sum() / (x.shape[0] if x.ndim else 1)
        return loss.mean() if loss.size else xp.full((), xp.nan, dtype=loss.dtype)

    def _scale(self):
        if self.reduction == "mean":
            return 1 / max(self.x.size, 1)
        if self.reduction == "batchmean":
            return 1 / (self.x.shape[0] if self.x.ndim else 1)
        return 1

    def backward(self, g):
        xp = array_module(g)
        g = g * self._scale()
        x, t = self.x, self.t
        gx = gt = None
        if self.log_target:
            et = xp.exp(t)
            if self.needs_grad(0):
                gx = -g * et
            if self.needs_grad(1):
                gt = g * et * (t - x + 1)
        else:
            if self.needs_grad(0):
                gx = -g * t
            if self.needs_grad(1):  # nan at target 0, as PyTorch's xlogy gradient gives (0 / 0)
                with quiet_invalid(xp):
                    slope = xp.where(t == 0, xp.nan, xp.log(xp.where(t == 0, 1, t)) + 1 - x)
                    gt = g * slope.astype(g.dtype, copy=False)
        return gx, gt

