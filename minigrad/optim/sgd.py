"""`SGD`: stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay."""

from __future__ import annotations

from typing import Any, Callable, Iterable

from ..tensor import Tensor
from .optimizer import Optimizer, params_with_grad, _check_lr, _check_nonnegative, _check_real, _value

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum, Nesterov momentum and weight decay.

    Per parameter, exactly as torch.optim.SGD (g = -grad when maximize):
        g = g + weight_decay * p
        buf = g (first step, no dampening)  |  buf = momentum * buf + (1 - dampening) * g
        g = g + momentum * buf (nesterov)   |  g = buf
        p = p - lr * g
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        _check_lr(lr)
        _check_nonnegative("momentum", momentum)
        _check_nonnegative("weight_decay", weight_decay)
        _check_real("dampening", dampening)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(
            lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov, maximize=maximize
        )
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns closure() when one is given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = _value(group["lr"])
            momentum = group["momentum"]
            weight_decay = group["weight_decay"]
            maximize = group["maximize"]
            if momentum == 0 and weight_decay == 0 and not maximize:
                # Plain gradient descent: the hot path of the tiny training loops, kept minimal.
                for p in group["params"]:
                    g = p._grad
                    if g is not None:  # in place on the array, version bumped: what `p.data -= ...` does, minus
                        p._data -= lr * g._data  # two property calls per parameter on this hot path
                        p._vc[0] += 1
                continue
            dampening = group["dampening"]
            nesterov = group["nesterov"]
            for p, d, g in params_with_grad(group):
                if weight_decay != 0:
                    g = g + weight_decay * d
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        # a fresh array (xp.array copies; g may be p.grad's own array or a 0-d scalar)
                        buf = state["momentum_buffer"] = p.xp.array(g)
                    else:
                        buf *= momentum
                        buf += (1 - dampening) * g
                    g = g + momentum * buf if nesterov else buf
                d -= lr * g
                p.data = d  # through the property: bumps the version counter
        return loss
