"""backward(): the reverse walk over the graph.

The engine, not the ops, owns three things: undoing broadcasting (summing a gradient back to its input's
shape), accumulating gradients, and freeing the graph after backward.
"""
from __future__ import annotations

import operator
from typing import Any

from .._state import STATE
from .function import Function

__all__ = ["backward"]

_seq = operator.attrgetter("seq")
Tensor: Any = None  # installed by tensor.py through function.install()
_wrap: Any = None


def _unbroadcast(grad, shape: tuple[int, ...]):
    """Sum ``grad`` over the axes that broadcasting added or stretched, giving ``shape``."""
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
    if lead < 0 or any(grad.shape[lead + i] != n for i, n in enumerate(shape) if n != 1):
        raise RuntimeError(f"internal error: gradient of shape {tuple(grad.shape)} cannot be reduced to shape {shape}")
    return grad.sum(axis=axes, keepdims=True).reshape(shape)


_FREED = ("Trying to backward through the graph a second time (or to use its saved values after they were "
          "freed). Pass retain_graph=True to the first backward() to keep the graph.")


def _topo_order(root: Function) -> list[Function]:
    """Every node reachable from ``root``, newest first. A node is always created after the nodes that made
    its inputs, so reverse creation order is a valid order for backward (PyTorch's engine uses the same
    sequence numbers); collecting is one loop with no recursion, and the sort is in C."""
    nodes = [root]
    seen = {root}
    for node in nodes:  # grows while we walk it
        inputs = node.inputs
        if inputs is None:
            raise RuntimeError(_FREED)
        for a in inputs:
            if isinstance(a, Tensor):
                fn = a.grad_fn
                if fn is not None and fn not in seen:
                    seen.add(fn)
                    nodes.append(fn)
    nodes.sort(key=_seq, reverse=True)
    return nodes


def _check_versions(node: Function) -> None:
    for cell, version in node.versions:
        if cell[0] != version:
            raise RuntimeError(
                f"one of the tensors needed by {node.name()} for its gradient has been modified by an in-place "
                f"operation (version {cell[0]}, expected {version}). Don't modify it in place before backward(), "
                "or use .clone() first.")


def backward(root: "Tensor", grad, retain_graph: bool = False) -> None:
    """Accumulate d(root)/d(leaf) * grad into every leaf's ``.grad`` (and retained non-leaves').

    While mg.jit records (``rec``), every array step below is also written to the recording."""
    rec = STATE.tracer
    if root.grad_fn is None:
        if rec:
            rec.accumulate(root, grad)
        _accumulate(root, grad)
        return
    grads = {root.grad_fn: grad}
    pop, get = grads.pop, grads.get
    for node in _topo_order(root.grad_fn):
        g = pop(node, None)
        inputs = node.inputs
        if g is not None:  # None: no path into this node carried a gradient
            if node.versions:
                _check_versions(node)
            in_grads = node.backward(g)
            if rec:
                rec.backward(node, g, in_grads)
            if type(in_grads) is not tuple:
                in_grads = (in_grads,)
            for a, ga in zip(inputs, in_grads):
                if ga is None or not isinstance(a, Tensor) or not a._requires_grad:
                    continue
                data = a._data
                if ga.shape != data.shape:
                    ga_in, ga = ga, _unbroadcast(ga, data.shape)
                    if rec:
                        rec.call("_unbroadcast", ga, ga_in, data.shape)
                if ga.dtype is not data.dtype and ga.dtype != data.dtype:
                    ga_in, ga = ga, ga.astype(data.dtype)
                    if rec:
                        rec.method(ga, ga_in, "astype", data.dtype)
                fn = a.grad_fn
                if fn is None:
                    if rec:
                        rec.accumulate(a, ga)
                    _accumulate(a, ga)
                else:
                    if a._retains_grad:
                        if rec:
                            rec.accumulate(a, ga)
                        _accumulate(a, ga)
                    prev = get(fn)
                    if prev is None:
                        grads[fn] = ga
                    else:
                        grads[fn] = prev + ga
                        if rec:
                            rec.add(grads[fn], prev, ga)
        if not retain_graph:
            node.__dict__.clear()
            node.inputs = None


def _accumulate(t: "Tensor", g) -> None:
    # Copy on first store: an op may hand the same array to several inputs (add passes its grad through),
    # and a user's in-place edit of one .grad must not change another.
    if t._grad is None:  # the slot, not the checked setter: g always has t's shape, dtype and backend here
        t._grad = _wrap(g.copy())
    else:
        t._grad._data += g  # in place, like PyTorch: the grad array is always our own copy
