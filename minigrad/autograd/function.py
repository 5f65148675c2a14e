"""Function: the base of every op, one graph node per op call.

An op subclasses Function with ``forward(self, *arrays)`` and ``backward(self, grad)`` on raw arrays; the node
object itself is the context. ``Function.apply`` unwraps tensors, runs forward, and records the node only
when a gradient is wanted.

A subclass whose ``forward`` is a ``@staticmethod`` is a PyTorch-style custom Function instead:
``forward(ctx, *args)`` and ``backward(ctx, *grads)`` on Tensors, ``ctx.save_for_backward`` /
``ctx.saved_tensors`` (version-checked), ``ctx.needs_input_grad``, ``ctx.mark_non_differentiable``,
``ctx.set_materialize_grads``; ``__init_subclass__`` detects the style and gives the class its own ``apply``
and an array-level ``backward`` for the engine, so built-in ops keep the fast path untouched.

Tensor is not imported here: tensor.py imports this module and installs itself (``install``), so the engine
imports only downward.
"""
from __future__ import annotations

import itertools
from typing import Any

from .._state import STATE
from ..backend import array_module, backend_of

__all__ = ["Function", "install"]

_next_seq = itertools.count().__next__  # creation order of graph nodes
_new = object.__new__  # ops define no __new__: skip looking it up on every call
Tensor: Any = None  # set by install(): the Tensor class and its wrap() (tensor.py imports this module first)
_wrap: Any = None


def install(tensor_cls: type, wrap) -> None:
    """Called once by tensor.py: the engine builds its outputs with ``wrap`` and recognises ``tensor_cls``."""
    global Tensor, _wrap
    Tensor, _wrap = tensor_cls, wrap
    from . import engine
    engine.Tensor, engine._wrap = tensor_cls, wrap


class Function:
    """Base of every op. Subclasses define ``forward(self, *arrays, **kw)`` and ``backward(self, grad)``.

    ``backward`` returns one gradient per positional input (a tuple when there are several), each either an
    array of any shape broadcastable to that input's shape, or None. Class attributes declare what the
    in-place guard must watch: ``saves`` lists the inputs whose data backward reads (float or integer: an
    index tensor counts too), ``saves_all`` says backward reads every input (ops with a variable number of
    inputs), ``saves_output`` says backward reads the output; ``is_view`` says the output shares memory (and
    so a version counter) with input 0, unless forward set ``self.copied`` (a reshape that had to copy gets
    its own counter). Tensors that reach forward inside a keyword argument (an index) are added with
    :meth:`watch`.
    """
    saves: tuple[int, ...] = ()
    saves_all: bool = False
    saves_output: bool = False
    is_view: bool = False
    copied: bool = False
    differentiable: bool = True  # False: results never require grad (comparisons, argmax, ...)
    versions: tuple = ()  # (version cell, version at forward) pairs, filled per node when watched

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        cls._watch = bool(cls.saves or cls.saves_all or cls.saves_output)
        if isinstance(cls.__dict__.get("forward"), staticmethod):
            _make_ctx_style(cls)

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> "Tensor":
        """Run forward on the arrays of ``args`` and, if a gradient is wanted, record this node."""
        arrays = []
        kind = None
        requires = False
        for a in args:
            if isinstance(a, Tensor):
                if a._requires_grad:
                    requires = True
                a = a._data
                if kind is None:
                    kind = type(a)
                elif type(a) is not kind:
                    _check_same_backend(cls, args)
            arrays.append(a)
        node = _new(cls)
        raw = node.forward(*arrays, **kwargs)
        out = _wrap(raw)
        tracer = STATE.tracer
        if tracer is not None:
            tracer.forward(node, args, kwargs, raw, out)
        if cls.is_view and not node.copied:
            out._vc = args[0]._vc
        if requires and STATE.grad_enabled and cls.differentiable:
            out._requires_grad = True  # a differentiable op's output is floating: no check needed
            out.grad_fn = node
            node.inputs = args
            node.seq = _next_seq()
            if cls._watch:  # one plain loop: comprehensions cost a frame each, and this runs on most ops
                versions = []
                for a in args if cls.saves_all else map(args.__getitem__, cls.saves):
                    if isinstance(a, Tensor):
                        vc = a._vc
                        versions.append((vc, vc[0]))
                if cls.saves_output:
                    vc = out._vc
                    versions.append((vc, vc[0]))
                node.versions = versions
        return out

    def watch(self, tensors) -> None:
        """Also version-check ``tensors`` (an index given to forward as a keyword argument) at backward: an
        in-place edit of them would make backward read other values than forward did."""
        if getattr(self, "inputs", None) is not None:  # recorded: otherwise there is no backward to guard
            self.versions = [*self.versions, *((t._vc, t._vc[0]) for t in tensors)]

    def needs_grad(self, i: int) -> bool:
        """Whether input ``i`` wants a gradient: lets backward skip work nobody asked for."""
        a = self.inputs[i]
        return isinstance(a, Tensor) and a._requires_grad

    def name(self) -> str:
        return type(self).__name__ + "Backward"

    @property
    def next_functions(self) -> tuple:
        """One (node, 0) pair per Tensor input, as PyTorch's: its grad_fn, an AccumulateGrad for a leaf that
        requires grad (``.variable`` is the leaf), or None for a tensor that doesn't."""
        from .hooks import accumulate_node  # (hooks imports this module)
        inputs = self.__dict__.get("inputs")
        if inputs is None:
            return ()
        out = []
        for a in inputs:
            if isinstance(a, Tensor):
                fn = a.grad_fn
                out.append((fn if fn is not None else accumulate_node(a) if a._requires_grad else None, 0))
        return tuple(out)

    def register_hook(self, hook: Any) -> Any:
        raise NotImplementedError("hooks on graph nodes are not supported; use Tensor.register_hook")

    def __repr__(self) -> str:
        return f"<{self.name()}>"


def _check_same_backend(cls: type, args: tuple) -> None:
    # Called only when two input array types differ, so len(kinds) > 1 always; one name for several types
    # needs a backend that owns more than one array type (none of numpy, cupy, strict does): both ifs can fall
    # through only then, which is why coverage shows those exits as untaken.
    kinds = {type(a._data) for a in args if isinstance(a, Tensor)}
    if len(kinds) > 1:
        names = sorted({backend_of(a._data).name for a in args if isinstance(a, Tensor)})
        if len(names) > 1:
            raise RuntimeError(f"{cls.__name__}: expected all tensors on one backend, but got tensors on "
                               f"{' and '.join(repr(n) for n in names)}; move them with .to(...) first")


# ---------------------------------------------------------------------------------------- PyTorch-style Functions
_FREED_SAVED = ("Trying to backward through the graph a second time (or directly access saved tensors after they "
                "have already been freed). Saved intermediate values of the graph are freed when you call "
                ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
                "graph a second time or if you need to access saved tensors after calling backward.")


class FunctionCtx:
    """The ``ctx`` methods of a PyTorch-style Function (the node is its own ctx, as in PyTorch)."""

    def save_for_backward(self, *tensors: Any) -> None:
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save Tensors or None, got {type(t).__name__}")
        self._saved = tensors
        self._saved_versions = tuple(None if t is None else t._vc[0] for t in tensors)

    @property
    def saved_tensors(self) -> tuple:
        if "_saved" not in self.__dict__:
            if "_ctx_alive" not in self.__dict__:
                raise RuntimeError(_FREED_SAVED)
            return ()
        for i, (t, v) in enumerate(zip(self._saved, self._saved_versions)):
            if t is not None and t._vc[0] != v:
                raise RuntimeError(
                    f"one of the variables needed for gradient computation has been modified by an inplace "
                    f"operation: saved tensor {i} of {self.name()} is at version {t._vc[0]}; expected version {v} "
                    "instead.")
        return self._saved

    def mark_non_differentiable(self, *tensors: Any) -> None:
        self._non_differentiable = tuple(id(t) for t in tensors)

    def set_materialize_grads(self, value: bool) -> None:
        self._materialize = bool(value)

    def mark_dirty(self, *tensors: Any) -> None:
        raise NotImplementedError("ctx.mark_dirty: in-place custom Functions are not supported; return a new tensor")


def _make_ctx_style(cls: type) -> None:
    bwd = cls.__dict__.get("backward")
    if not isinstance(bwd, staticmethod):
        raise TypeError(f"{cls.__name__}: a Function with a @staticmethod forward(ctx, ...) needs a @staticmethod "
                        "backward(ctx, *grad_outputs)")
    cls._ctx_style = True
    cls._user_forward, cls._user_backward = cls.__dict__["forward"].__func__, bwd.__func__
    for name in ("save_for_backward", "saved_tensors", "mark_non_differentiable", "set_materialize_grads",
                 "mark_dirty"):
        setattr(cls, name, FunctionCtx.__dict__[name])
    cls.apply = classmethod(_ctx_apply)
    cls.backward = _ctx_backward
    cls._graph_backward = _ctx_graph_backward


def _ctx_apply(cls: type, *args: Any, **kwargs: Any) -> Any:
    """PyTorch's Function.apply: forward under no_grad on the Tensors themselves, then record one node.

    Several outputs travel as one packed node (graph nodes have one output): the ctx node's output is the flat
    concatenation of the differentiable outputs, and each output tensor becomes an ``_Unpack`` of it, so the
    tensors forward returned (and saved) are the graph's tensors. Those outputs must share a dtype and backend."""
    if STATE.tracer is not None:
        raise RuntimeError(f"mg.jit can't record the custom Function {cls.__name__} (its forward and backward run "
                           "Python on Tensors); call it outside the jitted function")
    ctx = cls.__new__(cls)
    ctx._ctx_alive = True
    ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
    prev, STATE.grad_enabled = STATE.grad_enabled, False
    try:
        out = cls._user_forward(ctx, *args, **kwargs)
    finally:
        STATE.grad_enabled = prev
    single = not isinstance(out, tuple)
    outs = [out] if single else list(out)
    for i, o in enumerate(outs):
        if any(o is a for a in args):  # an input returned as it is: the output is a new tensor on the same data
            outs[i] = _wrap(o._data)
            outs[i]._vc = o._vc
    non_diff = ctx.__dict__.get("_non_differentiable", ())
    diff = [i for i, o in enumerate(outs)
            if isinstance(o, Tensor) and o._data.dtype.kind == "f" and id(o) not in non_diff]
    if single and not isinstance(out, Tensor):
        raise TypeError(f"{cls.__name__}.forward must return a Tensor or a tuple, got {type(out).__name__}")
    ctx._outputs = [(i, o.shape, o.dtype) if isinstance(o, Tensor) else None for i, o in enumerate(outs)]
    ctx._diff_outputs = diff
    if prev and any(ctx.needs_input_grad) and diff:
        ctx.inputs = args
        ctx.seq = _next_seq()
        if single:
            outs[0]._requires_grad, outs[0].grad_fn = True, ctx
        else:
            _pack_outputs(ctx, outs, diff)
        from . import engine  # (a sibling module: engine imports this one first)
        if engine.ANOMALY[0]:
            ctx._anomaly_trace = engine.creation_stack()
    return outs[0] if single else tuple(outs)


def _pack_outputs(ctx: Any, outs: list, diff: list[int]) -> None:
    kinds = {(type(outs[i]._data), outs[i].dtype) for i in diff}
    if len(kinds) > 1:
        raise NotImplementedError(f"{type(ctx).__name__}.forward: differentiable outputs of different dtypes or "
                                  "backends are not supported (they travel as one packed node)")
    first = outs[diff[0]]._data
    packed = _wrap(array_module(first).concatenate([outs[i]._data.reshape(-1) for i in diff]))
    packed._requires_grad, packed.grad_fn = True, ctx
    ctx._received = set()
    lo = 0
    for k, i in enumerate(diff):
        n = outs[i]._data.size
        view = _Unpack.apply(packed, ctx, k, lo, lo + n, outs[i].shape)
        outs[i]._requires_grad, outs[i].grad_fn = True, view.grad_fn  # the returned tensor joins the graph
        lo += n


class _Unpack(Function):
    """Output k of a PyTorch-style Function with several outputs: a slice of the packed node's output. Its
    backward notes that output k got a gradient (for ``set_materialize_grads(False)``)."""

    def forward(self, packed, ctx, k, lo, hi, shape):
        self.ctx, self.k, self.lo, self.hi, self.size = ctx, k, lo, hi, packed.shape[0]
        return packed[lo:hi].reshape(shape)

    def backward(self, g):
        self.ctx._received.add(self.k)
        full = array_module(g).zeros((self.size,), dtype=g.dtype)
        full[self.lo:self.hi] = g.reshape(-1)
        return full


def _split_grads(node: Any, g: Any, zeros: Any) -> list:
    """One upstream gradient per forward output (a Tensor, or None where none arrived and materializing is
    off), from the packed gradient ``g`` (a Tensor)."""
    outputs, diff = node._outputs, node._diff_outputs
    materialize = node.__dict__.get("_materialize", True)
    if len(outputs) == 1:
        return [g]
    received = node.__dict__.get("_received", set())
    grads, lo = [None] * len(outputs), 0
    for k, i in enumerate(diff):
        _, shape, _ = outputs[i]
        n = 1
        for d in shape:
            n *= d
        if k in received or materialize:
            grads[i] = g[lo:lo + n].reshape(shape)
        lo += n
    if materialize:
        for i, o in enumerate(outputs):
            if grads[i] is None and o is not None:
                grads[i] = zeros(o[1], o[2])
    received.clear()  # a retained graph's next backward starts afresh
    return grads


def _ctx_results(node: Any, res: Any) -> tuple:
    """The user's backward results, checked against the inputs as PyTorch checks them."""
    res = res if isinstance(res, tuple) else (res,)
    n = len(node.inputs)
    if len(res) > n and all(r is None for r in res[n:]):  # trailing Nones for defaulted arguments: allowed
        res = res[:n]
    if len(res) != n:
        raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients (expected {n}, got "
                           f"{len(res)})")
    out = []
    for i, (a, r) in enumerate(zip(node.inputs, res)):
        if r is None or not (isinstance(a, Tensor) and a._requires_grad):
            out.append(None)
            continue
        if not isinstance(r, Tensor):
            raise TypeError(f"function {node.name()} returned a gradient of type {type(r).__name__} at index {i}; "
                            "expected a Tensor or None")
        shape, want = tuple(r.shape), tuple(a.shape)
        # PyTorch's rule: the input's shape must broadcast to the gradient's (the engine sums it back)
        if len(shape) < len(want) or any(s != w and w != 1 for s, w in zip(shape[len(shape) - len(want):], want)):
            raise RuntimeError(f"Function {node.name()} returned an invalid gradient at index {i} - got {list(shape)} "
                               f"but expected shape compatible with {list(want)}")
        out.append(r)
    return tuple(out)


def _ctx_backward(self: Any, g: Any) -> tuple:
    """The engine's first-order call: the user's backward on Tensors under no_grad, arrays out."""
    xp = array_module(g)
    prev, STATE.grad_enabled = STATE.grad_enabled, False
    try:
        grads = _split_grads(self, _wrap(g), lambda shape, dtype: _wrap(xp.zeros(shape, dtype=dtype)))
        res = _ctx_results(self, type(self)._user_backward(self, *grads))
    finally:
        STATE.grad_enabled = prev
    return tuple(None if r is None else r._data for r in res)


def _ctx_graph_backward(self: Any, g: Any) -> tuple:
    """create_graph: the user's backward on Tensors with grad mode on, so its result is a graph."""
    xp = array_module(g._data)
    grads = _split_grads(self, g, lambda shape, dtype: _wrap(xp.zeros(shape, dtype=dtype)))
    return _ctx_results(self, type(self)._user_backward(self, *grads))
