"""`NAdam`, `RAdam` and `Adamax`: Adam's relatives, with torch.optim's defaults, formulas and state names."""

from __future__ import annotations

from typing import Any, Callable, Iterable

from ..tensor import Tensor
from .optimizer import Optimizer, params_with_grad, _check_betas, _check_lr, _check_nonnegative, _lerp_, _value

__all__ = ["NAdam", "RAdam", "Adamax"]


def _adam_checks(lr: float, betas: Any, eps: float, weight_decay: float) -> None:
    _check_lr(lr)
    _check_nonnegative("epsilon", eps)
    _check_betas(betas)
    _check_nonnegative("weight_decay", weight_decay)


def _decay(group: dict[str, Any], d: Any, g: Any, lr: float) -> Any:
    """Weight decay: L2 (returns g + wd * p) or decoupled (shrinks p in place, returns g)."""
    weight_decay = group["weight_decay"]
    if weight_decay == 0:
        return g
    if group.get("decoupled_weight_decay", False):
        d *= 1 - lr * weight_decay
        return g
    return g + weight_decay * d


def _moments(state: dict[str, Any], d: Any, g: Any, beta1: float, beta2: float, xp: Any) -> tuple[Any, Any, int]:
    """Adam's moment updates (created on the first step): m = lerp(m, g, 1 - beta1), v = beta2 v + (1-beta2) g²."""
    if "exp_avg" not in state:
        state.setdefault("step", 0)
        state["exp_avg"] = xp.zeros_like(d)
        state["exp_avg_sq"] = xp.zeros_like(d)
    state["step"] += 1
    m, v = state["exp_avg"], state["exp_avg_sq"]
    _lerp_(m, g, 1 - beta1)
    v *= beta2
    v += (1 - beta2) * g * g
    return m, v, state["step"]


class NAdam(Optimizer):
    """Adam with Nesterov momentum (Dozat), as torch.optim.NAdam.

    At step t, with mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay)) and mu_product = prod(mu_1..mu_t):
        m, v as in Adam;  denom = sqrt(v / (1 - beta2**t)) + eps
        p -= lr * (1 - mu_t) / (1 - mu_product) * g / denom
        p -= lr * mu_{t+1} / (1 - mu_product * mu_{t+1}) * m / denom

    State per parameter: "step", "mu_product" (Python numbers: PyTorch keeps both as 0-d tensors, mu_product in
    float32 unless its default dtype is float64), "exp_avg", "exp_avg_sq".
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        _adam_checks(lr, betas, eps, weight_decay)
        _check_nonnegative("momentum_decay", momentum_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns closure() when one is given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, eps = _value(group["lr"]), group["eps"]
            beta1, beta2 = group["betas"]
            momentum_decay = group["momentum_decay"]
            for p, d, g in params_with_grad(group):
                xp = p.xp
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["mu_product"] = 1.0
                g = _decay(group, d, g, lr)
                m, v, step = _moments(state, d, g, beta1, beta2, xp)
                mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))
                mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
                state["mu_product"] *= mu
                mu_product = state["mu_product"]
                denom = xp.sqrt(v / (1 - beta2**step))
                denom += eps
                d += (-lr * (1.0 - mu) / (1.0 - mu_product)) * (g / denom)
                d += (-lr * mu_next / (1.0 - mu_product * mu_next)) * (m / denom)
                p.data = d  # through the property: bumps the version counter
        return loss


class RAdam(Optimizer):
    """Rectified Adam (Liu et al.), as torch.optim.RAdam.

    m, v as in Adam; rho_inf = 2 / (1 - beta2) - 1, rho_t = rho_inf - 2 t beta2**t / (1 - beta2**t).
    While rho_t <= 5 the step is momentum SGD with bias correction: p -= lr * m / (1 - beta1**t); after that
    it is multiplied by the adaptive term sqrt(1 - beta2**t) / (sqrt(v) + eps) and the rectification
    r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t)).

    State per parameter: "step", "exp_avg", "exp_avg_sq".
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        _adam_checks(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns closure() when one is given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, eps = _value(group["lr"]), group["eps"]
            beta1, beta2 = group["betas"]
            for p, d, g in params_with_grad(group):
                xp = p.xp
                g = _decay(group, d, g, lr)
                m, v, step = _moments(self.state[p], d, g, beta1, beta2, xp)
                bias_correction1 = 1 - beta1**step
                bias_correction2 = 1 - beta2**step
                rho_inf = 2 / (1 - beta2) - 1
                rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
                update = m / bias_correction1 * lr
                if rho_t > 5.0:
                    adaptive = bias_correction2**0.5 / (xp.sqrt(v) + eps)
                    rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                    update = update * adaptive * rect
                d -= update
                p.data = d  # through the property: bumps the version counter
        return loss


class Adamax(Optimizer):
    """Adamax (Adam with the infinity norm), as torch.optim.Adamax.

        m = lerp(m, g, 1 - beta1);  u = max(beta2 * u, |g| + eps);  p -= lr / (1 - beta1**t) * m / u

    State per parameter: "step", "exp_avg", "exp_inf".
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        *,
        maximize: bool = False,
    ) -> None:
        _adam_checks(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns closure() when one is given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, eps = _value(group["lr"]), group["eps"]
            beta1, beta2 = group["betas"]
            for p, d, g in params_with_grad(group):
                xp = p.xp
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = xp.zeros_like(d)
                    state["exp_inf"] = xp.zeros_like(d)
                state["step"] += 1
                g = _decay(group, d, g, lr)
                m, u = state["exp_avg"], state["exp_inf"]
                _lerp_(m, g, 1 - beta1)
                u *= beta2
                xp.maximum(u, xp.abs(g) + eps, out=u)
                d += (-lr / (1 - beta1 ** state["step"])) * (m / u)
                p.data = d  # through the property: bumps the version counter
        return loss
