"""`Adadelta` (Zeiler), as torch.optim.Adadelta."""

from __future__ import annotations

from typing import Any, Callable, Iterable

from ..tensor import Tensor
from .optimizer import Optimizer, params_with_grad, _check_lr, _check_nonnegative, _check_real, _value

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """An adaptive learning rate from running averages of squared gradients and squared updates.

    Per parameter (g = -grad when maximize; g += weight_decay * p when weight_decay):
        v = rho * v + (1 - rho) * g * g
        delta = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta * delta
        p -= lr * delta

    State per parameter: "step" (a Python int), "square_avg" (v), "acc_delta" (u).
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        *,
        maximize: bool = False,
    ) -> None:
        _check_lr(lr)
        _check_real("rho", rho)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check_nonnegative("epsilon", eps)
        _check_nonnegative("weight_decay", weight_decay)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns closure() when one is given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, rho, eps, weight_decay = _value(group["lr"]), group["rho"], group["eps"], group["weight_decay"]
            for p, d, g in params_with_grad(group):
                xp = p.xp
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["square_avg"] = xp.zeros_like(d)
                    state["acc_delta"] = xp.zeros_like(d)
                state["step"] += 1
                if weight_decay != 0:
                    g = g + weight_decay * d
                square_avg, acc_delta = state["square_avg"], state["acc_delta"]
                square_avg *= rho
                square_avg += (1 - rho) * g * g
                delta = xp.sqrt(acc_delta + eps) / xp.sqrt(square_avg + eps) * g
                acc_delta *= rho
                acc_delta += (1 - rho) * delta * delta
                d -= lr * delta
                p.data = d  # through the property: bumps the version counter
        return loss
