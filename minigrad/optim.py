"""Optimizers with PyTorch's interface and update formulas: `Optimizer`, `SGD`, `Adam`.

`step()` works on the raw backend arrays (`p.data`, `p.grad.data`), so it builds no graph and costs a
few array operations per parameter; the training loops minigrad targets are tiny and Python overhead is
most of their cost. Each update writes the parameter's array in place and reassigns it through the
`data` property, which bumps the version counter: a graph recorded before the step that saved the old
weights then refuses to backpropagate instead of silently using the new ones.

`optimizer.state[p]` holds raw backend arrays (not Tensors); `state_dict()` returns Tensor copies.
"""

from __future__ import annotations

import copy
import warnings
from collections import defaultdict
from typing import Any, Callable, Iterable

from .autograd import enable_grad
from .jit import replayed
from .tensor import Tensor

__all__ = ["Optimizer", "SGD", "Adam"]


class Optimizer:
    """Base class: holds `param_groups` (dicts with "params" plus hyperparameters) and per-parameter `state`.

    `params` is an iterable of Tensors, or of dicts `{"params": [...], "lr": ...}` whose missing
    hyperparameters are filled from `defaults`.
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or dicts, "
                f"but got {type(params).__name__}"
            )
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters (e.g. new layers) with its own hyperparameters."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the ordering of "
                "tensors in sets will change between runs. Please use a list instead."
            )
        params = list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        group = dict(param_group, params=params)
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        if len({id(p) for p in params}) != len(params):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; "
                "in future, this will cause an error",
                stacklevel=3,
            )
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in existing for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Under mg.jit, step() runs live on every replay, so it reads the current lr, step counts and state.
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__:
            cls.step = replayed(cls.__dict__["step"])

    @replayed
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized parameters: to None (default) or to zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    if set_to_none:
                        p.grad = None
                    else:
                        p.grad.data[...] = 0

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        raise NotImplementedError

    def _closure_loss(self, closure: Callable[[], Any] | None) -> Any:
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # ----------------------------------------------------------------- (de)serialisation
    def state_dict(self) -> dict[str, Any]:
        """{"state": {index: {name: value}}, "param_groups": [...]}, params replaced by indices (as PyTorch)."""
        index: dict[int, int] = {}
        groups = []
        start = 0
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            ids = list(range(start, start + len(group["params"])))
            for i, p in zip(ids, group["params"]):
                index.setdefault(id(p), i)
            packed["params"] = ids
            start += len(ids)
            groups.append(packed)
        state = {}
        for p, s in self.state.items():
            if id(p) in index:
                state[index[id(p)]] = {k: _state_to_tensor(v) for k, v in s.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyperparameters and state saved by `state_dict()` from an optimizer of the same shape."""
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for ours, theirs in zip(self.param_groups, saved_groups):
            if len(ours["params"]) != len(theirs["params"]):
                raise ValueError(
                    "loaded state dict contains a parameter group that doesn't match the size of optimizer's group"
                )
        id_map = {
            i: p
            for ours, theirs in zip(self.param_groups, saved_groups)
            for i, p in zip(theirs["params"], ours["params"])
        }
        state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        for i, s in state_dict["state"].items():
            i = int(i)
            if i not in id_map:
                continue
            p = id_map[i]
            state[p] = {k: _state_from_saved(v, p, k) for k, v in s.items()}
        self.state = state
        self.param_groups = [
            dict(copy.deepcopy({k: v for k, v in theirs.items() if k != "params"}), params=ours["params"])
            for ours, theirs in zip(self.param_groups, saved_groups)
        ]

    def __repr__(self) -> str:
        text = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for key in sorted(group):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"


def _state_to_tensor(value: Any) -> Any:
    """A copy of a state entry for state_dict: arrays become Tensors, scalars stay."""
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return Tensor(value)  # Tensor() copies
    return value


def _state_from_saved(value: Any, param: Tensor, key: str) -> Any:
    """A saved state entry as a fresh array on the parameter's backend (floating entries take its dtype)."""
    if isinstance(value, Tensor):
        value = value.to(param.backend).data
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        dtype = param.dtype if value.dtype.kind == "f" else value.dtype
        return param.xp.array(value, dtype=dtype, copy=True)
    return value


def _check_lr(lr: float) -> None:
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


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
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
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
            lr = group["lr"]
            momentum = group["momentum"]
            weight_decay = group["weight_decay"]
            maximize = group["maximize"]
            if momentum == 0 and weight_decay == 0 and not maximize:
                # Plain gradient descent: the hot path of the tiny training loops, kept minimal.
                for p in group["params"]:
                    g = p.grad
                    if g is not None:
                        p.data -= lr * g.data
                continue
            dampening = group["dampening"]
            nesterov = group["nesterov"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                d = p.data
                g = -p.grad.data if maximize else p.grad.data
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


class Adam(Optimizer):
    """Adam (Kingma & Ba), optionally with L2 weight decay and AMSGrad, exactly as torch.optim.Adam.

    Per parameter at step t (g = -grad when maximize; g += weight_decay * p when weight_decay):
        m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g;  (amsgrad: v_max = max(v_max, v))
        p = p - lr / (1 - beta1**t) * m / (sqrt(v or v_max) / sqrt(1 - beta2**t) + eps)
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        _check_lr(lr)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(
            lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize
        )
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns closure() when one is given."""
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr = group["lr"]
            beta1, beta2 = group["betas"]
            eps = group["eps"]
            weight_decay = group["weight_decay"]
            amsgrad = group["amsgrad"]
            maximize = group["maximize"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                d = p.data
                xp = p.xp
                g = -p.grad.data if maximize else p.grad.data
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = xp.zeros_like(d)
                    state["exp_avg_sq"] = xp.zeros_like(d)
                    if amsgrad:
                        state["max_exp_avg_sq"] = xp.zeros_like(d)
                state["step"] += 1
                step = state["step"]
                if weight_decay != 0:
                    g = g + weight_decay * d
                m, v = state["exp_avg"], state["exp_avg_sq"]
                # torch's lerp(m, g, w): m + w * (g - m) for w < 0.5, else g - (g - m) * (1 - w)
                w = 1 - beta1
                if w < 0.5:
                    m += w * (g - m)
                else:
                    m[...] = g - (g - m) * (1 - w)
                v *= beta2
                v += (1 - beta2) * g * g
                bias_correction1 = 1 - beta1**step
                bias_correction2_sqrt = (1 - beta2**step) ** 0.5
                if amsgrad:
                    v_max = state["max_exp_avg_sq"]
                    xp.maximum(v_max, v, out=v_max)
                    denom = xp.sqrt(v_max) / bias_correction2_sqrt + eps
                else:
                    denom = xp.sqrt(v) / bias_correction2_sqrt + eps
                d -= (lr / bias_correction1) * m / denom
                p.data = d  # through the property: bumps the version counter
        return loss
