"""Hooks and graph introspection: Tensor.register_hook, the identity nodes behind Module's full backward hooks,
and AccumulateGrad (the node ``grad_fn.next_functions`` shows for a leaf).

Tensor hooks live outside the tensor (the Tensor class keeps its slots lean): a leaf's in ``engine.HOOKS`` by
id, with a weak reference that drops the entry when the leaf dies; a non-leaf's on its grad_fn node. While any
hook exists, ``backward()`` takes the engine's general walk, which runs them; without hooks it keeps its loop.
"""
from __future__ import annotations

import itertools
import weakref
from typing import Any, Callable

from ..backend import ARRAY_TYPES, array_module
from . import engine, function
from .function import Function

__all__ = ["RemovableHandle", "register_tensor_hook", "AccumulateGrad", "accumulate_node", "ModuleBackwardHook"]

_ids = itertools.count()


class RemovableHandle:
    """Returned by every ``register_*hook``: ``handle.remove()`` takes the hook out (twice is harmless)."""

    def __init__(self, hooks: dict, key: int, on_remove: Callable[[], Any] | None = None) -> None:
        self._hooks, self.id, self._on_remove = hooks, key, on_remove

    def remove(self) -> None:
        hooks = self._hooks
        if self.id in hooks:
            del hooks[self.id]
            if self._on_remove is not None:
                self._on_remove()

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


def register_tensor_hook(t: Any, hook: Callable) -> RemovableHandle:
    """``t.register_hook(hook)``: ``hook(grad)`` runs when t's gradient is computed and may return a new one."""
    if not callable(hook):
        raise TypeError(f"register_hook expects a callable, got {type(hook).__name__}")
    if not t.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    key = next(_ids)
    node = t.grad_fn
    if node is not None:
        hooks = node.__dict__.get("_tensor_hooks")
        if hooks is None:
            hooks = node._tensor_hooks = {}
            engine.HOOKED_NODES.add(node)
        hooks[key] = hook
        return RemovableHandle(hooks, key, lambda: hooks or engine.HOOKED_NODES.discard(node))
    tid = id(t)
    entry = engine.HOOKS.get(tid)
    if entry is None or entry[0]() is not t:
        entry = engine.HOOKS[tid] = (weakref.ref(t, lambda _, tid=tid: engine.HOOKS.pop(tid, None)), {})
    hooks = entry[1]
    hooks[key] = hook

    def drop() -> None:
        if not hooks and engine.HOOKS.get(tid, (None, None))[1] is hooks:
            del engine.HOOKS[tid]
    return RemovableHandle(hooks, key, drop)


# ---------------------------------------------------------------------------------------------- introspection
class AccumulateGrad:
    """The node where a leaf's gradient ends (PyTorch's AccumulateGrad): ``variable`` is the leaf."""

    def __init__(self, variable: Any) -> None:
        self.variable = variable

    next_functions: tuple = ()

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    def __repr__(self) -> str:
        return "<AccumulateGrad>"


_acc_nodes: "weakref.WeakValueDictionary[int, AccumulateGrad]" = weakref.WeakValueDictionary()


def accumulate_node(leaf: Any) -> AccumulateGrad:
    """The one AccumulateGrad of ``leaf`` (the same object while anyone holds it, as in PyTorch)."""
    node = _acc_nodes.get(id(leaf))
    if node is None or node.variable is not leaf:
        node = _acc_nodes[id(leaf)] = AccumulateGrad(leaf)
    return node


# ---------------------------------------------------------------------------------- module backward hooks
def _as_tensor(g: Any) -> Any:
    if type(g) in ARRAY_TYPES:
        return function._wrap(g)
    return g.t  # create_graph: a Box (ops/tensor_xp.py)


def _like(g: Any, t: Any) -> Any:
    if t is None:
        return None
    return t._data if type(g) in ARRAY_TYPES else type(g)(t)


class _OutputIdentity(Function):
    """Identity on one module output; its backward records that output's gradient for the module's hooks."""

    def forward(self, x, state, i):
        self.state, self.i = state, i
        return x

    def backward(self, g):
        self.state.grad_outputs[self.i] = _as_tensor(g)
        self.state.output_done(self.i)
        return g


class _InputIdentity(Function):
    """Identity on one module input; its backward calls the module's full backward hooks with grad_input."""

    def forward(self, x, state):
        self.state = state
        return x

    def backward(self, g):
        new = self.state.call((_as_tensor(g),))
        return None if new[0] is None else _like(g, new[0])


class _PackedInputs(Function):
    """Several module inputs as one flat array (graph nodes have one output), so that one backward sees the
    gradients of all of them together and calls the module's hooks once with the whole grad_input."""

    def forward(self, *arrays, state):
        self.state, self.shapes = state, [a.shape for a in arrays]
        return array_module(arrays[0]).concatenate([a.reshape(-1) for a in arrays])

    def backward(self, g):
        grads, lo = [], 0
        for shape in self.shapes:
            n = 1
            for d in shape:
                n *= d
            grads.append(_as_tensor(g[lo:lo + n].reshape(shape)))
            lo += n
        return tuple(_like(g, t) for t in self.state.call(tuple(grads)))


class ModuleBackwardHook:
    """One module call's state for ``register_full_backward_hook``: identities on its outputs collect
    grad_output; an identity on its differentiable input (or one node over all of them, when several) calls
    each hook(module, grad_input, grad_output) and passes on what the hooks return."""

    def __init__(self, module: Any, hooks: dict) -> None:
        self.module, self.hooks = module, hooks
        self.grad_outputs: list = []
        self.n_inputs = 0
        self.has_input = False

    def setup_input(self, args: tuple) -> tuple:
        Tensor = function.Tensor
        tensors = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        self.n_inputs = len(tensors)
        diff = [i for i in tensors if args[i].requires_grad]
        if not diff:
            return args
        self.has_input = True
        self.input_pos = [tensors.index(i) for i in diff]
        # PyTorch hands the hooks zeros for the other tensor inputs once any input requires grad
        self.zeros = {k: function._wrap(array_module(args[i]._data).zeros_like(args[i]._data))
                      for k, i in enumerate(tensors) if i not in diff}
        args = list(args)
        if len(diff) == 1:
            args[diff[0]] = _InputIdentity.apply(args[diff[0]], self)
            return tuple(args)
        kinds = {(args[i].dtype, args[i].backend) for i in diff}
        if len(kinds) > 1:
            raise NotImplementedError(f"register_full_backward_hook: {type(self.module).__name__}'s inputs that "
                                      f"require grad differ in dtype or backend ({sorted(map(str, kinds))})")
        packed = _PackedInputs.apply(*(args[i] for i in diff), state=self)
        lo = 0
        for i in diff:
            n = args[i].numel()
            args[i] = packed[lo:lo + n].reshape(args[i].shape)
            lo += n
        return tuple(args)

    def setup_output(self, out: Any) -> Any:
        Tensor = function.Tensor
        single = isinstance(out, Tensor)
        outs = [out] if single else list(out) if isinstance(out, (tuple, list)) else None
        if outs is None:
            return out
        self.grad_outputs = [None] * len(outs)
        self.waiting = {i for i, o in enumerate(outs) if isinstance(o, Tensor) and o.requires_grad}
        wrapped = [_OutputIdentity.apply(o, self, i) if i in self.waiting else o for i, o in enumerate(outs)]
        return wrapped[0] if single else type(out)(wrapped)

    def output_done(self, i: int) -> None:
        self.waiting.discard(i)
        if not self.waiting and not self.has_input:  # no input to wait for: call with grad_input all None
            self.call((None,) * max(self.n_inputs, 1))

    def call(self, grads: tuple) -> tuple:
        grad_input = [None] * max(self.n_inputs, 1)
        if self.has_input:
            for pos, z in self.zeros.items():
                grad_input[pos] = z
            for pos, g in zip(self.input_pos, grads):
                grad_input[pos] = g
        grad_input = tuple(grad_input)
        for hook in list(self.hooks.values()):
            res = hook(self.module, grad_input, tuple(self.grad_outputs))
            if res is not None:
                res = tuple(res) if isinstance(res, (tuple, list)) else (res,)
                if len(res) != len(grad_input):
                    raise RuntimeError(f"backward hook returned {len(res)} gradients; expected {len(grad_input)}")
                grad_input = res
        return tuple(grad_input[pos] for pos in self.input_pos) if self.has_input else grad_input
