"""`RMSprop` (Hinton), optionally centered, with momentum and weight decay, as torch.optim.RMSprop."""

from __future__ import annotations

from typing import Any, Callable, Iterable

from ..tensor import Tensor
from .optimizer import Optimizer, params_with_grad, _check_lr, _check_nonnegative, _lerp_, _value

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """Divide the gradient by a running root mean square of recent gradients.

    Per parameter (g = -grad when maximize; g += weight_decay * p when weight_decay):
        v = alpha * v + (1 - alpha) * g * g
        centered: g_avg = lerp(g_avg, g, 1 - alpha); avg = sqrt(v - g_avg**2) + eps  |  avg = sqrt(v) + eps
        momentum > 0: buf = momentum * buf + g / avg; p = p - lr * buf  |  p = p - lr * g / avg

    State per parameter: "step" (a Python int, counted as PyTorch does though the update does not use it),
    "square_avg", "momentum_buffer" when momentum > 0, "grad_avg" when centered.
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        _check_lr(lr)
        _check_nonnegative("epsilon", eps)
        _check_nonnegative("momentum", momentum)
        _check_nonnegative("weight_decay", weight_decay)
        _check_nonnegative("alpha", alpha)
        defaults = dict(
            lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered, weight_decay=weight_decay,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns closure() when one is given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = _value(group["lr"])
            alpha = group["alpha"]
            eps = group["eps"]
            weight_decay = group["weight_decay"]
            momentum = group["momentum"]
            centered = group["centered"]
            for p, d, g in params_with_grad(group):
                xp = p.xp
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["square_avg"] = xp.zeros_like(d)
                    if momentum > 0:
                        state["momentum_buffer"] = xp.zeros_like(d)
                    if centered:
                        state["grad_avg"] = xp.zeros_like(d)
                state["step"] += 1
                if weight_decay != 0:
                    g = g + weight_decay * d
                square_avg = state["square_avg"]
                square_avg *= alpha
                square_avg += (1 - alpha) * g * g
                if centered:
                    grad_avg = state["grad_avg"]
                    _lerp_(grad_avg, g, 1 - alpha)
                    avg = xp.sqrt(square_avg - grad_avg * grad_avg)
                else:
                    avg = xp.sqrt(square_avg)
                avg += eps
                if momentum > 0:
                    buf = state["momentum_buffer"]
                    buf *= momentum
                    buf += g / avg
                    d -= lr * buf
                else:
                    d -= lr * g / avg
                p.data = d  # through the property: bumps the version counter
        return loss
