"""backward(): the reverse walk over the graph.

The engine, not the ops, owns three things: undoing broadcasting (summing a gradient back to its input's
shape), accumulating gradients, and freeing the graph after backward.
"""
from __future__ import annotations

import operator
import weakref
from typing import Any

import numpy

from .._state import STATE
from ..backend import ARRAY_TYPES, array_module
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


def _topo_order(roots) -> list[Function]:
    """Every node reachable from ``roots`` (graph nodes, duplicates allowed), newest first. A node is always
    created after the nodes that made its inputs, so reverse creation order is a valid order for backward
    (PyTorch's engine uses the same sequence numbers); collecting is one loop with no recursion, and the sort
    is in C."""
    nodes, seen = [], set()
    for root in roots:
        if root not in seen:
            seen.add(root)
            nodes.append(root)
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
            _version_error(node, cell, version)


def _version_error(node: Function, cell: list, version: int) -> None:
    raise RuntimeError(
        f"one of the tensors needed by {node.name()} for its gradient has been modified by an in-place "
        f"operation (version {cell[0]}, expected {version}). Don't modify it in place before backward(), "
        "or use .clone() first.")


def backward(root: "Tensor", grad, retain_graph: bool = False) -> None:
    """Accumulate d(root)/d(leaf) * grad into every leaf's ``.grad`` (and retained non-leaves').

    While mg.jit records (``rec``), every array step below is also written to the recording. The version check
    and the accumulation into leaves are written out in the loop (not calls): this loop is the hot path."""
    rec = STATE.tracer
    top = root.grad_fn
    if top is None:
        if rec:
            rec.accumulate(root, grad)
        _accumulate(root, grad)
        return
    grads = {top: grad}
    pop, get = grads.pop, grads.get
    for node in _topo_order((top,)):
        g = pop(node, None)
        inputs = node.inputs
        if g is not None:  # None: no path into this node carried a gradient
            for cell, version in node.versions:  # () unless the op saved tensors
                if cell[0] != version:
                    _version_error(node, cell, version)
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
                if fn is None:  # a leaf: _accumulate, inline
                    if rec:
                        rec.accumulate(a, ga)
                    acc = a._grad
                    if acc is None:
                        a._grad = _wrap(ga.copy())
                    else:
                        acc._data += ga
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
    # and a user's in-place edit of one .grad must not change another. (backward's loop has this inline.)
    if t._grad is None:  # the slot, not the checked setter: g always has t's shape, dtype and backend here
        t._grad = _wrap(g.copy())
    else:
        t._grad._data += g  # in place, like PyTorch: the grad array is always our own copy


# ----------------------------------------------------------------------------------------------------------------
# The general walk: several roots, gradients of chosen inputs (autograd.grad, backward(inputs=...)), create_graph,
# tensor hooks and anomaly mode. Tensor.backward() takes the loop above unless one of those is asked for, so a
# plain first-order step pays nothing for them.

_box: Any = None  # installed by ops/tensor_xp.py: Tensor -> Box (a Tensor that answers NumPy's array API)
_Clone: Any = None  # the Clone and Add ops, installed with it (graph-mode accumulation)
_Add: Any = None
HOOKS: dict = {}  # id(leaf tensor) -> (weakref to it, {handle id: hook}); non-leaf hooks live on their node
HOOKED_NODES: "weakref.WeakSet" = weakref.WeakSet()  # nodes holding non-leaf tensor hooks
ANOMALY = [False]  # set by autograd.anomaly (one process-wide switch, as PyTorch's)


def install_graph_xp(box, clone, add) -> None:
    """Called once by ops/tensor_xp.py: how create_graph turns Tensors into differentiable array stand-ins."""
    global _box, _Clone, _Add
    _box, _Clone, _Add = box, clone, add


def general_path() -> bool:
    """Whether a plain backward() must take the general walk (hooks registered, or anomaly mode on)."""
    # HOOKED_NODES.data: the WeakSet's own set, whose truth is a C call (the WeakSet's __len__ is Python). It
    # may still hold a reference whose node just died: then this says True and the general walk, which is
    # right for every graph, runs once more.
    return bool(HOOKS or HOOKED_NODES.data or ANOMALY[0])


def _graph_call(node: Function, g):
    """node's backward over Boxes: its saved inputs and output replaced by Boxes of the real Tensors (so the
    result is a graph of them), every other saved array by a constant Box; then ``derive`` recomputes the saved
    intermediates that depend on inputs. One rule per op: the same ``backward`` as first order."""
    cls = type(node)
    if getattr(cls, "_ctx_style", False):
        res = node._graph_backward(g.t)
        return tuple(None if r is None else _box(r) for r in res)
    if not cls.differentiable:
        return None
    inputs = node.inputs
    mapped = {}
    for a in inputs:
        if isinstance(a, Tensor) and a._requires_grad:
            prev = mapped.get(id(a._data))
            if prev is not None and prev.t is not a:
                raise RuntimeError(f"create_graph=True: {node.name()} got two different tensors sharing one array "
                                   "(e.g. x and x.detach()); pass a .clone() of one of them")
            mapped[id(a._data)] = _box(a)
    if cls.saves_output:
        out = _wrap(node.out)
        out.grad_fn, out._requires_grad = node, True
        mapped[id(node.out)] = _box(out)
    ns = type(g).ns
    const = ns._const

    def sub(v):
        kind = type(v)
        if kind in ARRAY_TYPES:
            b = mapped.get(id(v))
            return b if b is not None else const(v)
        if isinstance(v, numpy.generic):  # a 0-d NumPy result may be a scalar: an array of g's backend
            b = mapped.get(id(v))
            return b if b is not None else const(ns.real.asarray(v))
        if kind is tuple or kind is list:
            return kind(sub(x) for x in v)
        return v

    proxy = cls.__new__(cls)
    saved = {k: sub(v) for k, v in node.__dict__.items() if k != "inputs"}
    proxy.__dict__.update(saved)
    proxy.inputs = inputs
    derive = getattr(cls, "derive", None)
    try:
        kept = ()
        if derive is not None:
            kept = proxy.derive([_input_box(a, mapped, const) for a in inputs]) or ()
        _check_constants(node, saved, proxy.__dict__, kept, {*mapped, *(id(a._data if isinstance(a, Tensor) else a)
                                                                   for a in inputs)})
        res = cls.backward(proxy, g)
    except (AttributeError, TypeError, NotImplementedError) as e:
        raise RuntimeError(f"create_graph=True: the backward of {node.name()} can't be differentiated: {e}") from e
    return res


def _check_constants(node: Function, saved: dict, now: dict, kept, known: set) -> None:
    """Refuse a saved floating-point array that would silently become a constant: one that is not the node's
    input (inputs that don't require grad, and raw arrays passed as inputs, are constants) or output, not
    recomputed by ``derive``, and not listed in the op's ``constants`` (attribute names whose values don't
    depend on the inputs: interpolation weights from sizes, dropout scales), nor among the names ``derive``
    returned (those it left alone this time because what they depend on doesn't require grad). Such an array
    may depend on the inputs, and treating it as a constant would give a wrong second derivative."""
    declared = getattr(type(node), "constants", ())
    for k, v in node.__dict__.items():
        if k == "inputs" or k in declared or k in kept or now.get(k) is not saved[k] or not _has_float(v, known):
            continue
        raise RuntimeError(
            f"create_graph=True: {node.name()} saved the floating-point array {type(node).__name__}.{k}, which is "
            "neither its input nor its output; recompute it from the inputs in a derive(self, inputs) method, or "
            f"list {k!r} in {type(node).__name__}.constants if it does not depend on the inputs")


def _has_float(v, known: set) -> bool:
    """Whether v holds a floating-point array (or NumPy float scalar) whose id is not in ``known``."""
    kind = type(v)
    if kind in ARRAY_TYPES or isinstance(v, numpy.generic):
        return v.dtype.kind in "fc" and id(v) not in known
    if kind is tuple or kind is list:
        return any(_has_float(x, known) for x in v)
    return False


def _input_box(a, mapped: dict, const):
    if not isinstance(a, Tensor):
        return a
    b = mapped.get(id(a._data))
    return b if b is not None else const(a._data)


def run_backward(roots, grads, retain_graph: bool | None = None, create_graph: bool = False, inputs=None,
                 accumulate: bool = True, allow_unused: bool = False, materialize_grads: bool = False):
    """Backpropagate ``grads`` (one per root: arrays, or Tensors when ``create_graph``) from ``roots``.

    ``accumulate``: add into ``.grad`` (of ``inputs`` only, when given: backward(inputs=...)); otherwise return
    the gradient of each of ``inputs`` (autograd.grad), leaving every ``.grad`` alone. With ``create_graph`` the
    gradients are Tensors with a graph of their own. Returns the list of gradients (autograd.grad) or None."""
    if STATE.tracer is not None:
        raise RuntimeError("mg.jit can't record autograd.grad, create_graph=True, backward(inputs=...), tensor "
                           "hooks or anomaly mode; call them outside the jitted function")
    if retain_graph is None:
        retain_graph = create_graph
    graph = create_graph
    if graph and _box is None:
        raise RuntimeError("internal error: the create_graph namespace was not installed")
    want_node: dict = {}  # node -> indices into inputs (non-leaf inputs)
    want_leaf: dict = {}  # id(leaf) -> indices
    if inputs is not None:
        for i, t in enumerate(inputs):
            if t.grad_fn is not None:
                want_node.setdefault(t.grad_fn, []).append(i)
            else:
                want_leaf.setdefault(id(t), []).append(i)
    results = [None] * (len(inputs) if inputs is not None else 0)
    grads_of: dict = {}
    leaf_sum: dict = {}  # id(leaf) -> [leaf, summed gradient]
    tops = []
    for r, g in zip(roots, grads):
        if graph:
            g = _box(g)
        if r.grad_fn is None:
            _add_leaf(leaf_sum, r, g)
            continue
        prev = grads_of.get(r.grad_fn)
        grads_of[r.grad_fn] = g if prev is None else prev + g
        tops.append(r.grad_fn)
    order = _topo_order(tops)
    expand = None
    if inputs is not None:  # prune: run only the nodes through which some wanted tensor gets a gradient
        needed, expand = set(), set()
        for node in reversed(order):
            for a in node.inputs:
                if isinstance(a, Tensor) and (id(a) in want_leaf and a.grad_fn is None or a.grad_fn in needed):
                    expand.add(node)
                    break
            if node in expand or node in want_node:
                needed.add(node)
    anomaly = ANOMALY[0]
    retained: dict = {}
    mode = STATE.grad_enabled
    STATE.grad_enabled = graph  # the backward of a backward is recorded only with create_graph
    try:
        for node in order:
            g = grads_of.pop(node, None)
            if g is not None:
                hooks = node.__dict__.get("_tensor_hooks")
                if hooks:
                    g = _run_hooks(hooks, g, graph)
                keep = retained.pop(node, None)
                if keep is not None and accumulate and inputs is None:
                    _store(keep, g, graph)
                for i in want_node.get(node, ()):
                    results[i] = g
                if expand is not None and node not in expand:
                    g = None
            if g is not None:
                if node.versions:
                    _check_versions(node)
                in_grads = _graph_call(node, g) if graph else node.backward(g)
                if type(in_grads) is not tuple:
                    in_grads = (in_grads,)
                if anomaly:
                    _check_nan(node, in_grads, graph)
                for a, ga in zip(node.inputs, in_grads):
                    if ga is None or not isinstance(a, Tensor) or not a._requires_grad:
                        continue
                    data = a._data
                    if ga.shape != data.shape:
                        ga = _unbroadcast(ga, data.shape)
                    if ga.dtype is not data.dtype and ga.dtype != data.dtype:
                        ga = ga.astype(data.dtype)
                    fn = a.grad_fn
                    if fn is None:
                        _add_leaf(leaf_sum, a, ga)
                    else:
                        if a._retains_grad:
                            retained[fn] = a
                        prev = grads_of.get(fn)
                        grads_of[fn] = ga if prev is None else prev + ga
            if not retain_graph:
                node.__dict__.clear()
                node.inputs = None
        for key, (leaf, g) in leaf_sum.items():
            entry = HOOKS.get(key)
            if entry is not None and entry[0]() is leaf:
                g = _run_hooks(entry[1], g, graph)
            if inputs is not None:
                for i in want_leaf.get(key, ()):
                    results[i] = g
                if not accumulate or key not in want_leaf:
                    continue
            elif not accumulate:
                continue
            _store(leaf, g, graph)
    finally:
        STATE.grad_enabled = mode
    if accumulate:
        if inputs is not None:
            for i in want_node.values():
                for k in i:
                    if results[k] is not None:
                        _store(inputs[k], results[k], graph)
        return None
    out = []
    for i, (t, g) in enumerate(zip(inputs, results)):
        if g is None:
            if not allow_unused and not materialize_grads:
                raise RuntimeError("One of the differentiated Tensors appears to not have been used in the graph. "
                                   "Set allow_unused=True if this is the desired behavior.")
            out.append(_wrap(array_module(t._data).zeros_like(t._data)) if materialize_grads else None)
        elif graph:
            out.append(g.t)
        else:
            out.append(_wrap(g.copy()))
    return out


def _add_leaf(leaf_sum: dict, leaf, g) -> None:
    entry = leaf_sum.get(id(leaf))
    if entry is None:
        leaf_sum[id(leaf)] = [leaf, g]
    else:
        entry[1] = entry[1] + g


def _store(t, g, graph: bool) -> None:
    """Accumulate into t.grad: in place on arrays (first order), out of place on graphs (create_graph)."""
    if not graph:
        _accumulate(t, g)
        return
    gt = g.t
    t._grad = _Clone.apply(gt) if t._grad is None else _Add.apply(t._grad, gt)


def _run_hooks(hooks: dict, g, graph: bool):
    """Each hook sees the gradient as a Tensor and may return a replacement (of the same shape)."""
    for hook in list(hooks.values()):
        t = g.t if graph else _wrap(g)
        new = hook(t)
        if new is not None:
            if not isinstance(new, Tensor):
                raise TypeError(f"a tensor hook must return a Tensor or None, got {type(new).__name__}")
            if new.shape != t.shape:
                raise RuntimeError(f"hook changed the gradient's shape from {tuple(t.shape)} to {tuple(new.shape)}")
            g = _box(new) if graph else new._data
    return g


def creation_stack() -> list[str]:
    from .anomaly import creation_stack as stack  # (anomaly imports this module)
    return stack()


def _check_nan(node: Function, in_grads: tuple, graph: bool) -> None:
    for i, ga in enumerate(in_grads):
        if ga is None:
            continue
        data = ga.t._data if graph else ga
        if data.dtype.kind == "f" and bool((data != data).any()):
            where = node.__dict__.get("_anomaly_trace")
            msg = f"Function '{node.name()}' returned nan values in its {i}th output."
            if where:
                msg += "\nTraceback of forward call that caused the error:\n" + "".join(where)
            else:
                msg += " (No forward traceback: the op was created outside detect_anomaly().)"
            raise RuntimeError(msg)
