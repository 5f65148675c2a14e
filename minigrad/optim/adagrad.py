"""`Adagrad` (Duchi et al.) with learning-rate decay and weight decay, as torch.optim.Adagrad."""

from __future__ import annotations

from typing import Any, Callable, Iterable

from ..tensor import Tensor
from .optimizer import Optimizer, params_with_grad, _check_lr, _check_nonnegative, _value

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Scale each coordinate's step by the root of the sum of its squared gradients.

    Per parameter at step t (g = -grad when maximize; g += weight_decay * p when weight_decay):
        clr = lr / (1 + (t - 1) * lr_decay);  sum = sum + g * g;  p = p - clr * g / (sqrt(sum) + eps)

    As in PyTorch, the state ("step" = 0, "sum" = initial_accumulator_value) is created for every
    parameter when the optimizer is built (and when a group is added), not at the first step.
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        _check_lr(lr)
        _check_nonnegative("lr_decay", lr_decay)
        _check_nonnegative("weight_decay", weight_decay)
        _check_nonnegative("initial_accumulator_value", initial_accumulator_value)
        _check_nonnegative("epsilon", eps)
        defaults = dict(
            lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value, maximize=maximize,
        )
        super().__init__(params, defaults)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        for p in group["params"]:
            if not self.state[p]:
                self._init_state(p, group)

    def _init_state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        state = self.state[p]
        state["step"] = 0
        state["sum"] = p.xp.full_like(p._data, group["initial_accumulator_value"])
        return state

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns closure() when one is given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = _value(group["lr"])
            lr_decay = group["lr_decay"]
            eps = group["eps"]
            weight_decay = group["weight_decay"]
            for p, d, g in params_with_grad(group):
                state = self.state[p] or self._init_state(p, group)  # empty after loading a stateless dict
                state["step"] += 1
                if weight_decay != 0:
                    g = g + weight_decay * d
                clr = lr / (1 + (state["step"] - 1) * lr_decay)
                state_sum = state["sum"]
                state_sum += g * g
                std = p.xp.sqrt(state_sum)
                std += eps
                d -= clr * g / std
                p.data = d  # through the property: bumps the version counter
        return loss
