"""`Optimizer`: the base class of every optimizer (param groups, per-parameter state, state dicts).

Rules every `step()` in this package follows, so that `mg.jit` can capture and replay a training step:
- It works on the raw backend arrays (`p._data`, `p.grad._data`), so it builds no graph and costs a few
  array operations per parameter; the training loops minigrad targets are tiny and Python overhead is
  most of their cost.
- Parameters and state arrays are updated in place (`-=`, `*=`, `out=`), so their addresses never
  change once created. Each update reassigns the parameter's array through the `data` property, which
  bumps the version counter: a graph recorded before the step that saved the old weights then refuses
  to backpropagate instead of silently using the new ones.
- Values that change from step to step (the step count, `group["lr"]` set by a scheduler) are Python
  numbers read at each call, and no step ever reads a value back from a device array.

`optimizer.state[p]` holds raw backend arrays (not Tensors) and Python numbers; `state_dict()` returns
Tensor copies of the arrays.
"""

from __future__ import annotations

import copy
import numbers
import os
import sys
import warnings
from collections import defaultdict
from typing import Any, Callable, Iterable, Iterator

from ..autograd import enable_grad
from .._state import replayed
from ..tensor import Tensor

__all__ = ["Optimizer"]


class Optimizer:
    """Base class: holds `param_groups` (dicts with "params" plus hyperparameters) and per-parameter `state`.

    `params` is an iterable of Tensors, of (name, Tensor) pairs (`model.named_parameters()`: the names are
    kept in each group's "param_names"), or of dicts `{"params": [...], "lr": ...}` whose missing
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
        if "params" not in param_group:
            raise ValueError(f"a param group must have a 'params' key, got keys {list(param_group)!r:.100}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the ordering of "
                "tensors in sets will change between runs. Please use a list instead."
            )
        params = list(params)
        # model.named_parameters() gives (name, tensor) pairs: keep the names as "param_names", as PyTorch does
        names = [p[0] for p in params if isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str)]
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            params = [p[1] for p in params]
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        if self.param_groups and bool(names) != ("param_names" in self.param_groups[0]):
            raise ValueError("all optimizer param groups should be with/without names. cannot add param group "
                             f"{'with' if names else 'without'} names to the optimizer")
        group = dict(param_group, params=params)
        if names:
            group["param_names"] = names
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        if len({id(p) for p in params}) != len(params):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; "
                "in future, this will cause an error",
                stacklevel=_caller_outside_optim(),
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
                if p._grad is not None:
                    if set_to_none:
                        p._grad = None
                    else:
                        p._grad._data[...] = 0

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
        """Restore hyperparameters and state saved by `state_dict()` from an optimizer of the same shape.

        Parameters are matched by position, as in PyTorch. State arrays are copied onto each parameter's
        backend (floating ones in its dtype); an array whose shape differs from its parameter's raises.
        Create a learning-rate scheduler before loading, or it overwrites the loaded learning rates.
        """
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
            i = int(i)  # a state dict that went through a file may carry its indices as strings
            if i not in id_map:
                continue
            p = id_map[i]
            state[p] = {k: self._load_state_entry(v, p, k, i) for k, v in s.items()}
        self.state = state
        groups = []
        for ours, theirs in zip(self.param_groups, saved_groups):
            group = copy.deepcopy({k: v for k, v in theirs.items() if k != "params"})
            for name, default in self.defaults.items():  # options newer than the saved dict
                group.setdefault(name, default)
            if "param_names" in ours and "param_names" not in group:
                group["param_names"] = ours["param_names"]
            if isinstance(group.get("betas"), list):  # a file round trip may turn the tuple into a list
                group["betas"] = tuple(group["betas"])
            group["params"] = ours["params"]
            groups.append(group)
        self.param_groups = groups

    def _load_state_entry(self, value: Any, param: Tensor, key: str, index: int) -> Any:
        """One saved state entry as this optimizer keeps it (subclasses with state of other shapes override)."""
        return _state_from_saved(value, param, key, index)

    def __repr__(self) -> str:
        text = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for key in sorted(group):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"


def _caller_outside_optim() -> int:
    """The warnings stacklevel of the first caller outside minigrad/optim: the user's line, whether the warning
    comes from the constructor (through a subclass's __init__) or from add_param_group called directly."""
    here, frame, level = os.path.dirname(__file__), sys._getframe(1), 1
    while frame is not None and os.path.dirname(frame.f_code.co_filename) == here:
        frame, level = frame.f_back, level + 1
    return level


# State entries that are one number per parameter (PyTorch keeps them as 0-d tensors, minigrad as Python numbers
# that each step reads on the host): NAdam's "mu_product", ASGD's "eta" and "mu", and every "step".
_SCALAR_STATE = ("step", "mu_product", "eta", "mu")


def _state_to_tensor(value: Any) -> Any:
    """A copy of a state entry for state_dict: arrays become Tensors (also inside lists), scalars stay."""
    if isinstance(value, list):
        return [_state_to_tensor(v) for v in value]
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return Tensor(value)  # Tensor() copies
    return value


def _state_from_saved(value: Any, param: Tensor, key: str, index: int) -> Any:
    """A saved state entry as a fresh array on the parameter's backend (floating entries take its dtype).

    A step count stays a Python number (PyTorch saves it as a 0-d tensor): the update reads it on the
    host at every step, and a device array there would cost a device-to-host read per step.
    """
    if isinstance(value, Tensor):
        value = value.to(param.backend)._data
    if not (hasattr(value, "shape") and hasattr(value, "dtype")):
        return value
    if key in _SCALAR_STATE:
        if value.size != 1:
            raise ValueError(f"optimizer state {index} has a {key!r} of shape {tuple(value.shape)}, "
                             "expected one number")
        number = value.item()
        if key != "step":
            return float(number)
        return int(number) if float(number).is_integer() else float(number)
    if tuple(value.shape) != tuple(param.shape):
        raise ValueError(
            f"optimizer state {index}[{key!r}] has shape {tuple(value.shape)} but its parameter has shape "
            f"{tuple(param.shape)}: the state dict belongs to other parameters"
        )
    dtype = param.dtype if value.dtype.kind == "f" else value.dtype
    return param.xp.array(value, dtype=dtype, copy=True)


def params_with_grad(group: dict[str, Any]) -> Iterator[tuple[Tensor, Any, Any]]:
    """(parameter, its array, its gradient array) for each parameter of ``group`` that has a gradient; the gradient
    is negated when the group maximizes. The arrays are the raw ones: updates write into them in place."""
    maximize = group.get("maximize", False)
    for p in group["params"]:
        if p._grad is not None:
            g = p._grad._data
            yield p, p._data, (-g if maximize else g)


def _check_real(name: str, value: Any) -> None:
    """A hyperparameter must be a plain real number (a NumPy scalar too); anything else is named in a TypeError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"Invalid {name}: expected a real number, got {value!r} ({type(value).__name__})")


def _check_lr(lr: float | Tensor) -> None:
    """A real number >= 0, or (as PyTorch allows) a one-element floating tensor holding one."""
    if isinstance(lr, Tensor):
        if lr.numel() != 1 or lr.dtype.kind != "f":
            raise ValueError(f"Tensor lr must be 1-element and floating, got shape {lr.shape} and dtype {lr.dtype}")
        lr = _value(lr)
    _check_real("learning rate (lr)", lr)
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


def _value(v: Any) -> Any:
    """A hyperparameter as a number: a tensor lr (PyTorch allows one) is read as a float, at each step, so an
    in-place change of it (a scheduler's fill_) takes effect."""
    return float(v._data.reshape(())) if isinstance(v, Tensor) else v


def _check_nonnegative(name: str, value: float) -> None:
    """PyTorch's wording for a hyperparameter that must be >= 0."""
    _check_real(name, value)
    if not 0.0 <= value:
        raise ValueError(f"Invalid {name} value: {value}")


def _check_betas(betas: Any) -> None:
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise TypeError(f"Invalid betas: expected a pair of real numbers, got {betas!r}")
    for i, beta in enumerate(betas):
        _check_real(f"beta parameter at index {i} (betas)", beta)
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {beta}")


def _lerp_(start: Any, end: Any, weight: float) -> None:
    """start += weight * (end - start), in place, in torch.lerp's two-branch form (exact at weight 0 and 1)."""
    if weight < 0.5:
        start += weight * (end - start)
    else:
        start[...] = end - (end - start) * (1 - weight)
