"""`Module` and `Parameter`: the PyTorch-style containers that layers, models and optimizers build on.

A Module registers every `Parameter` and sub-`Module` assigned to one of its attributes, and the buffers given
to `register_buffer` (running statistics and other state that is saved but not trained), so `parameters()`,
`buffers()`, `state_dict()`, `to()` and `repr()` can walk the tree. Registered objects are also kept
in the instance `__dict__`, so reading `self.weight` in a hot `forward` is a plain attribute lookup
(PyTorch goes through a Python-level `__getattr__` there; for the tiny networks minigrad targets that
overhead is measurable).
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from typing import Any, Callable, Iterator, Mapping, NamedTuple

import numpy

from .. import autograd
from .._state import STATE, replayed
from ..autograd.hooks import ModuleBackwardHook, RemovableHandle
from ..backend import ARRAY_TYPES, backend_of, transfer
from ..tensor import Tensor

__all__ = ["Module", "Parameter"]


class Parameter(Tensor):
    """A Tensor that a Module registers as one of its parameters (requires grad by default).

    `Parameter(t)` shares `t`'s array, like `torch.nn.Parameter`; a raw array or nested list is
    wrapped as `mg.tensor` would.
    """

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = []
        if isinstance(data, Tensor):
            # Share the given tensor's array and version counter (as torch.nn.Parameter does);
            # Tensor.__init__ would copy, so adopt them after a trivial placeholder init.
            super().__init__(0.0, backend="numpy")
            self._data, self._vc = data._data, data._vc
        else:
            super().__init__(data)
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class _IncompatibleKeys(NamedTuple):
    """What `load_state_dict(strict=False)` skipped (same shape as PyTorch's return value)."""

    missing_keys: list[str]
    unexpected_keys: list[str]


def _addindent(text: str, spaces: int) -> str:
    """Indent every line but the first (how PyTorch nests child reprs)."""
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return lines[0] + "\n" + "\n".join(" " * spaces + line for line in lines[1:])


class _SizeMismatch(ValueError):
    pass


def _converted(value: Any, target: Tensor) -> Any:
    """`value` (Tensor, NumPy/CuPy array, nested list, scalar) as a new array of `target`'s shape, dtype and
    backend, or a ValueError/TypeError saying why it can't be one. Nothing is written here."""
    if isinstance(value, Tensor):
        value = value.detach()
        if value.backend != target.backend:
            value = value.to(target.backend)
        value = value._data
    elif type(value) in ARRAY_TYPES:  # a raw array of any backend: moved explicitly (CuPy refuses implicit moves)
        value = transfer(value, backend_of(target._data))
    if not hasattr(value, "dtype"):
        value = numpy.asarray(value)
    kind = numpy.dtype(value.dtype).kind
    want = target.dtype.kind
    if kind not in "biuf" or (want in "biu" and kind == "f"):
        expected = "a real number array" if want == "f" else f"an integer array (for dtype {target.dtype})"
        raise TypeError(f"expected {expected}, got dtype {value.dtype}")
    if tuple(value.shape) != tuple(target.shape):
        raise _SizeMismatch(f"copying a param with shape {tuple(value.shape)} from checkpoint, "
                         f"the shape in current model is {tuple(target.shape)}")
    return target.xp.array(value, dtype=target.dtype, copy=True)


def _is_dtype_name(name: str) -> bool:
    """"float64" is a dtype, "cuda" a backend: a string that names a backend is a backend."""
    from ..backend import BackendError, get_backend
    try:
        get_backend(name)
        return False
    except BackendError:
        pass
    try:
        numpy.dtype(name)
        return True
    except TypeError:
        return False


def _to_args(args: tuple, kwargs: dict) -> tuple[str | None, Any]:
    """(backend, dtype) from Module.to's arguments, which are Tensor.to's."""
    from ..device import device
    backend = kwargs.pop("backend", None) or kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    kwargs.pop("non_blocking", None)  # accepted as in PyTorch; moves are synchronous here
    if kwargs:
        raise TypeError(f"to() got unexpected keyword argument(s) {sorted(kwargs)}")
    for a in args:
        if isinstance(a, Tensor):
            backend, dtype = a.backend, a.dtype
        elif isinstance(a, device) or (isinstance(a, str) and not _is_dtype_name(a)):
            backend = a
        elif isinstance(a, bool):  # to(device, dtype, non_blocking): PyTorch's positional flag
            continue
        else:
            dtype = a
    if dtype is not None:
        try:
            dtype = numpy.dtype(dtype)
        except TypeError as e:
            raise TypeError(f"to(): {dtype!r} is neither a backend name nor a dtype") from e
        if dtype.kind not in "fc":
            raise TypeError(f"nn.Module.to only accepts floating point or complex dtypes, but got desired "
                            f"dtype={dtype}")
    return backend, dtype


_hook_ids = itertools.count()


class Module:
    """Base class of all layers and models; subclasses set attributes in `__init__` and define `forward`.

    Example::

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(4, 2)
            def forward(self, x):
                return self.fc(x).sigmoid()
    """
    _setattr_count = 0  # attributes set so far (see __setattr__): what mg.jit guards a recording on
    _setattr_epoch = 0  # the same over all modules, and train()/eval(): mg.jit's fast check that none changed

    training: bool

    def __init__(self) -> None:
        # object.__setattr__ bypasses our own __setattr__, which needs these dicts to exist.
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers_set", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    # ----------------------------------------------------------------- registration
    def __setattr__(self, name: str, value: Any) -> None:
        params = self.__dict__.get("_parameters")
        modules = self.__dict__.get("_modules")
        buffers = self.__dict__.get("_buffers")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            modules.pop(name, None)
            buffers.pop(name, None)
            self._non_persistent_buffers_set.discard(name)
            params[name] = value
        elif buffers is not None and name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as buffer '{name}' (Tensor or None expected)"
                )
            buffers[name] = value
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                    "(nn.Parameter or None expected)"
                )
            params[name] = None
        elif isinstance(value, Module):
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            params.pop(name, None)
            buffers.pop(name, None)
            self._non_persistent_buffers_set.discard(name)
            modules[name] = value
        elif modules is not None and name in modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as child module '{name}' "
                    "(nn.Module or None expected)"
                )
            modules[name] = None
        object.__setattr__(self, name, value)
        # mg.jit guards a recording on this count: any attribute set (a hyperparameter, a rebound parameter or
        # submodule) makes a capture that called this module record again
        object.__setattr__(self, "_setattr_count", self._setattr_count + 1)
        Module._setattr_epoch += 1

    def __delattr__(self, name: str) -> None:
        self.__dict__.get("_parameters", {}).pop(name, None)
        self.__dict__.get("_buffers", {}).pop(name, None)
        self.__dict__.get("_non_persistent_buffers_set", set()).discard(name)
        self.__dict__.get("_modules", {}).pop(name, None)
        object.__delattr__(self, name)
        object.__setattr__(self, "_setattr_count", self._setattr_count + 1)
        Module._setattr_epoch += 1

    def _check_new_name(self, name: Any, kind: str) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
        if name == "" or "." in name:
            raise KeyError(f"{kind} name can't be empty or contain '.', got {name!r}")
        if hasattr(self, name) and name not in self._parameters and name not in self._modules \
                and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register `param` (a Parameter or None) under `name`, as attribute assignment does."""
        self._check_new_name(name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                "(nn.Parameter or None required)"
            )
        self._modules.pop(name, None)
        self._buffers.pop(name, None)
        self._parameters[name] = param
        object.__setattr__(self, name, param)

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Register `tensor` (or None) as a buffer: module state that is not a parameter (running statistics).

        Buffers are moved and cast by `to()` and listed by `buffers()`; persistent ones are in `state_dict()`.
        Assigning a Tensor to the attribute later replaces the buffer, as in PyTorch.
        """
        self._check_new_name(name, "buffer")
        if name in self._parameters or name in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                            "(Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)
        object.__setattr__(self, name, tensor)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register a child module (or None) under `name`."""
        self._check_new_name(name, "module")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._parameters.pop(name, None)
        self._buffers.pop(name, None)
        self._modules[name] = module
        object.__setattr__(self, name, module)

    register_module = add_module

    # ----------------------------------------------------------------- forward
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if STATE.tracer is not None:  # mg.jit records: a replay is only valid in the same mode and attributes
            STATE.tracer.guard(self, "training", module=True)
            STATE.tracer.guard(self, "_setattr_count", module=True)
        if "_hooks" in self.__dict__:
            return self._call_with_hooks(args, kwargs)
        return self.forward(*args, **kwargs)

    # ----------------------------------------------------------------- hooks
    def _hook_dict(self, kind: str) -> dict:
        hooks = self.__dict__.get("_hooks")
        if hooks is None:
            hooks = {"forward_pre": {}, "forward": {}, "backward": {}}
            object.__setattr__(self, "_hooks", hooks)
        return hooks[kind]

    def _register(self, kind: str, hook: Callable) -> RemovableHandle:
        if not callable(hook):
            raise TypeError(f"register_{kind}_hook expects a callable, got {type(hook).__name__}")
        hooks = self._hook_dict(kind)
        key = next(_hook_ids)
        hooks[key] = hook

        def drop() -> None:  # no hooks left: calls take the plain path again
            if not any(self.__dict__["_hooks"].values()):
                del self.__dict__["_hooks"]
        return RemovableHandle(hooks, key, drop)

    def register_forward_pre_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(module, args)`` before forward; it may return new args (a tuple, or one value)."""
        return self._register("forward_pre", hook)

    def register_forward_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(module, args, output)`` after forward; it may return a new output."""
        return self._register("forward", hook)

    def register_full_backward_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(module, grad_input, grad_output)`` once the gradient with respect to the module's input is
        computed (tuples, None where there is none); it may return a new grad_input. Several inputs that
        require grad must share a dtype and backend."""
        return self._register("backward", hook)

    def _call_with_hooks(self, args: tuple, kwargs: dict) -> Any:
        hooks = self.__dict__["_hooks"]
        for hook in list(hooks["forward_pre"].values()):
            res = hook(self, args)
            if res is not None:
                args = res if isinstance(res, tuple) else (res,)
        state = None
        if hooks["backward"] and autograd.is_grad_enabled():
            if STATE.tracer is not None:
                raise RuntimeError(f"mg.jit can't record {type(self).__name__}'s backward hooks; remove them or "
                                   "call the module outside the jitted function")
            state = ModuleBackwardHook(self, hooks["backward"])
            args = state.setup_input(args)
        out = self.forward(*args, **kwargs)
        for hook in list(hooks["forward"].values()):
            res = hook(self, args, out)
            if res is not None:
                out = res
        return out if state is None else state.setup_output(out)

    # ----------------------------------------------------------------- traversal
    def named_modules(
        self, memo: set[int] | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """This module and all below it, depth first, with dotted names ("" for self)."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            sub = prefix + ("." if prefix else "") + name
            yield from module.named_modules(memo, sub, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Direct submodules (each object once)."""
        seen: set[int] = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, Parameter) pairs; a parameter shared by several modules appears once."""
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        seen: set[int] = set()
        for module_prefix, module in modules:
            for name, param in module._parameters.items():
                if param is None:
                    continue
                if remove_duplicate:
                    if id(param) in seen:
                        continue
                    seen.add(id(param))
                yield module_prefix + ("." if module_prefix else "") + name, param

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        """(dotted name, buffer) pairs, persistent or not; a buffer shared by several modules appears once."""
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        seen: set[int] = set()
        for module_prefix, module in modules:
            for name, buf in module._buffers.items():
                if buf is None:
                    continue
                if remove_duplicate:
                    if id(buf) in seen:
                        continue
                    seen.add(id(buf))
                yield module_prefix + ("." if module_prefix else "") + name, buf

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call `fn` on every submodule (children first) and on self; returns self."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ----------------------------------------------------------------- modes and grads
    def train(self, mode: bool = True) -> Module:
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        Module._setattr_epoch += 1
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    @replayed  # under mg.jit: runs live on every replay
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's gradient: to None (default, like PyTorch) or to zeros."""
        for p in self.parameters():
            if p.grad is not None:
                if set_to_none:
                    p.grad = None
                else:
                    g = p.grad._data
                    g[...] = 0

    # ----------------------------------------------------------------- backends / dtypes
    def to(self, *args: Any, **kwargs: Any) -> Module:
        """Move (or cast) every parameter, buffer and gradient in place, keeping the tensor objects.

        Takes what `Tensor.to` takes: "numpy"/"cpu", "cupy"/"cuda", a floating dtype, or both. Like PyTorch, a
        dtype casts only floating tensors (an integer buffer such as `num_batches_tracked` stays integer),
        and an integer or bool dtype is refused: parameters must stay differentiable. Replacing `p.data`
        keeps optimizers that already hold these Parameters valid.
        """
        backend, dtype = _to_args(args, kwargs)

        def convert(t: Tensor) -> Tensor:
            out = t.detach()
            if backend is not None:
                out = out.to(backend)
            if dtype is not None and t.dtype.kind == "f":
                out = out.to(dtype=dtype)
            return out

        for p in self.parameters():
            moved = convert(p)
            if moved._data is not p._data:
                p.data = moved._data
            if p.grad is not None:
                p.grad = convert(p.grad)
        for module in self.modules():
            for name, buf in module._buffers.items():
                if buf is not None:
                    moved = convert(buf)
                    if moved._data is not buf._data:
                        buf.data = moved._data
        return self

    def cpu(self) -> Module:
        return self.to("numpy")

    def cuda(self) -> Module:
        return self.to("cupy")

    def float(self) -> Module:
        from .. import float32

        return self.to(float32)

    def double(self) -> Module:
        from .. import float64

        return self.to(float64)

    # ----------------------------------------------------------------- state
    def state_dict(
        self, destination: OrderedDict | None = None, prefix: str = "", keep_vars: bool = False
    ) -> OrderedDict:
        """OrderedDict of dotted name -> parameter or persistent buffer (detached, sharing memory unless
        keep_vars), in PyTorch's order and with its keys: each module's parameters, then its buffers, then
        its children's. Like PyTorch, a tensor shared by two modules is listed under both names.
        """
        if destination is None:
            destination = OrderedDict()
        for module_prefix, module in self.named_modules(prefix=prefix.rstrip("."), remove_duplicate=False):
            dot = module_prefix + ("." if module_prefix else "")
            for name, param in module._parameters.items():
                if param is not None:
                    destination[dot + name] = param if keep_vars else param.detach()
            for name, buf in module._buffers.items():
                if buf is not None and name not in module._non_persistent_buffers_set:
                    destination[dot + name] = buf if keep_vars else buf.detach()
        return destination

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> _IncompatibleKeys:
        """Copy values from `state_dict` into this module's parameters and persistent buffers (their objects,
        backend and dtype stay). Values may be Tensors, NumPy or CuPy arrays, or nested lists: a PyTorch state
        dict converted with `{k: v.numpy() for k, v in sd.items()}` loads.

        All or nothing: every entry is checked and converted (shape, a numeric dtype that fits the target,
        backend move) before anything is copied. Raises RuntimeError listing every problem: missing and
        unexpected keys (when `strict`), shape and dtype mismatches (always).
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict).__name__}.")
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors: list[str] = []
        if strict:
            if unexpected:
                errors.append("Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ".")
            if missing:
                errors.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ".")
        updates = []
        for key, target in own.items():
            if key not in state_dict:
                continue
            try:
                updates.append((target, _converted(state_dict[key], target)))
            except _SizeMismatch as exc:
                errors.append(f"size mismatch for {key}: {exc}.")
            except Exception as exc:  # noqa: BLE001 - every problem is reported, with its key, below
                errors.append(f'While copying the parameter named "{key}": {exc}')
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(errors)
            )
        # Only now write: every value is already an array of the target's shape, dtype and backend.
        for target, arr in updates:
            data = target._data
            data[...] = arr
            target.data = data  # reassigning through the property bumps the version counter
        return _IncompatibleKeys(missing, unexpected)

    # ----------------------------------------------------------------- repr
    def extra_repr(self) -> str:
        """One line of layer settings shown inside the parentheses of `repr`; override in layers."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): " + _addindent(repr(m), 2) for name, m in self._modules.items()]
        lines = extra_lines + child_lines
        text = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                text += extra_lines[0]
            else:
                text += "\n  " + "\n  ".join(lines) + "\n"
        return text + ")"
