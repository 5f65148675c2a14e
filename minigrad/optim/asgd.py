"""`ASGD` (averaged stochastic gradient descent, Polyak & Juditsky), as torch.optim.ASGD."""

from __future__ import annotations

from typing import Any, Callable, Iterable

from ..tensor import Tensor
from .optimizer import Optimizer, params_with_grad, _check_lr, _check_nonnegative, _check_real, _value

__all__ = ["ASGD"]


class ASGD(Optimizer):
    """SGD with a decaying step and a running average of the iterates (in the state's "ax").

    Per parameter at step t (g = -grad when maximize; g += weight_decay * p when weight_decay):
        p *= 1 - lambd * eta;  p -= eta * g
        ax = p while mu == 1, else ax += mu * (p - ax)
        eta = lr / (1 + lambd * lr * t) ** alpha;  mu = 1 / max(1, t - t0)

    State per parameter: "step", "eta", "mu" (Python numbers; PyTorch keeps 0-d tensors), "ax".
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        lr: float = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0,
        *,
        maximize: bool = False,
    ) -> None:
        _check_lr(lr)
        _check_nonnegative("weight_decay", weight_decay)
        for name, value in (("lambd", lambd), ("alpha", alpha), ("t0", t0)):
            _check_real(name, value)
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns closure() when one is given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, lambd, alpha, t0 = _value(group["lr"]), group["lambd"], group["alpha"], group["t0"]
            weight_decay = group["weight_decay"]
            for p, d, g in params_with_grad(group):
                xp = p.xp
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["eta"] = float(lr)
                    state["mu"] = 1.0
                    state["ax"] = xp.zeros_like(d)
                state["step"] += 1
                step, eta, mu = state["step"], state["eta"], state["mu"]
                if weight_decay != 0:
                    g = g + weight_decay * d
                d *= 1 - lambd * eta
                d -= eta * g
                ax = state["ax"]
                if mu != 1:
                    ax += (d - ax) * mu
                else:
                    ax[...] = d
                state["eta"] = lr / ((1 + lambd * lr * step) ** alpha)
                state["mu"] = 1 / max(1, step - t0)
                p.data = d  # through the property: bumps the version counter
        return loss
