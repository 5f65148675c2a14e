"""`Rprop` (resilient backpropagation), as torch.optim.Rprop."""

from __future__ import annotations

from typing import Any, Callable, Iterable

from ..tensor import Tensor
from .optimizer import Optimizer, params_with_grad, _check_lr, _check_real, _value

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """Each weight moves by its own step size, grown while its gradient keeps its sign and shrunk when it flips.

    Per element (g = -grad when maximize), with s = sign(g * prev):
        s > 0: step_size *= etaplus;  s < 0: step_size *= etaminus and g = 0;  then clamp to step_sizes
        p -= sign(g) * step_size;  prev = g

    `lr` is only the initial step size. State per parameter: "step" (a Python int), "prev", "step_size".
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        lr: float = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
        *,
        maximize: bool = False,
    ) -> None:
        _check_lr(lr)
        for name, pair in (("etas", etas), ("step_sizes", step_sizes)):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise TypeError(f"Invalid {name}: expected a pair of real numbers, got {pair!r}")
            for value in pair:
                _check_real(name, value)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(lr=lr, etas=tuple(etas), step_sizes=tuple(step_sizes), maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns closure() when one is given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            etaminus, etaplus = group["etas"]
            step_size_min, step_size_max = group["step_sizes"]
            for p, d, g in params_with_grad(group):
                xp = p.xp
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["prev"] = xp.zeros_like(d)
                    state["step_size"] = xp.full_like(d, _value(group["lr"]))
                state["step"] += 1
                prev, step_size = state["prev"], state["step_size"]
                sign = xp.sign(g * prev)
                factor = xp.where(sign > 0, etaplus, xp.where(sign < 0, etaminus, 1.0)).astype(d.dtype, copy=False)
                step_size *= factor
                xp.clip(step_size, step_size_min, step_size_max, out=step_size)
                g = xp.where(sign < 0, 0, g).astype(d.dtype, copy=False)
                d -= xp.sign(g) * step_size
                prev[...] = g
                p.data = d  # through the property: bumps the version counter
        return loss
