"""The engine: grad mode, Function (one graph node per op call) and backward().

An op is a Function subclass with ``forward(self, *arrays)`` and ``backward(self, grad)`` on raw arrays.
The node object itself is the context: forward stores what backward needs as attributes on ``self``.
``Function.apply`` unwraps tensors, runs forward, and records the node only when a gradient is wanted.

The engine, not the ops, owns three things: undoing broadcasting (summing a gradient back to its input's
shape), accumulating gradients, and freeing the graph after backward.
"""
from __future__ import annotations

import functools
import inspect
import itertools
import operator
from typing import Any, Callable

__all__ = ["Function", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled", "backward"]

_grad_enabled = True
_tracer = None  # the mg.jit recording in progress, if any (see jit.py)
_next_seq = itertools.count().__next__  # creation order of graph nodes
_seq = operator.attrgetter("seq")


def is_grad_enabled() -> bool:
    return _grad_enabled


class _Mode:
    """``with _Mode(mode):`` sets grad mode and restores the previous one (no decorator machinery)."""
    __slots__ = ("mode", "prev")

    def __init__(self, mode: bool) -> None:
        self.mode = mode

    def __enter__(self) -> None:
        global _grad_enabled
        self.prev, _grad_enabled = _grad_enabled, self.mode

    def __exit__(self, *exc: Any) -> None:
        global _grad_enabled
        _grad_enabled = self.prev


class _GradMode(_Mode):
    """Sets grad mode to ``self.mode`` inside a ``with`` block, or around every call when used as a decorator
    (PyTorch's ``_DecoratorContextManager``): a decorated generator runs each step with the mode set and gives
    the caller's mode back at every ``yield``. ``@mg.no_grad`` works without parentheses too."""
    mode = True

    def __new__(cls, *args: Any, **kwargs: Any):
        # ``@no_grad`` (no parentheses) passes the function itself as the only argument.
        if cls is not set_grad_enabled and len(args) == 1 and not kwargs and callable(args[0]):
            return cls()(args[0])
        return super().__new__(cls)

    def __call__(self, fn: Callable) -> Callable:
        if not callable(fn):
            raise TypeError(f"{type(self).__name__}() used as a decorator needs a function, got {type(fn).__name__}")
        mode = self.mode
        if inspect.isgeneratorfunction(fn):
            return _wrap_generator(fn, mode)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            global _grad_enabled
            prev, _grad_enabled = _grad_enabled, mode
            try:
                return fn(*args, **kwargs)
            finally:
                _grad_enabled = prev
        return wrapper


def _wrap_generator(fn: Callable, mode: bool) -> Callable:
    """Run every step of the generator (start, send, throw, close) under ``mode``, and the caller in between
    under its own mode, as PyTorch does."""
    @functools.wraps(fn)
    def generator(*args, **kwargs):
        with _Mode(mode):
            gen = fn(*args, **kwargs)
        try:
            with _Mode(mode):
                response = gen.send(None)
            while True:
                try:
                    request = yield response
                except GeneratorExit:
                    with _Mode(mode):
                        gen.close()
                    raise
                except BaseException as exc:
                    with _Mode(mode):
                        response = gen.throw(exc)
                else:
                    with _Mode(mode):
                        response = gen.send(request)
        except StopIteration as stop:
            return stop.value
    return generator


class no_grad(_GradMode):
    """Build no graph inside: ``with mg.no_grad(): ...``, ``@mg.no_grad()`` or ``@mg.no_grad``."""
    mode = False

    def __init__(self, orig_func: Callable | None = None) -> None:
        pass


class enable_grad(_GradMode):
    """Turn graph building back on inside a ``no_grad`` region (context manager or decorator)."""
    mode = True

    def __init__(self, orig_func: Callable | None = None) -> None:
        pass


class inference_mode(_GradMode):
    """PyTorch's ``inference_mode``; in minigrad it is ``no_grad`` (there are no separate inference tensors).
    ``inference_mode(False)`` leaves grad mode as it is."""

    def __init__(self, mode: bool = True) -> None:
        # (``@inference_mode`` without parentheses never gets here: _GradMode.__new__ wraps the function)
        if not isinstance(mode, bool):
            raise TypeError(f"inference_mode(mode): mode must be a bool, got {mode!r}")
        self.mode = False if mode else None

    def __enter__(self) -> None:
        global _grad_enabled
        self.prev = _grad_enabled
        if self.mode is not None:
            _grad_enabled = self.mode

    def __call__(self, fn: Callable) -> Callable:
        if self.mode is None:
            return fn
        return super().__call__(fn)


class set_grad_enabled(_GradMode):
    """``mg.set_grad_enabled(False)`` switches grad mode off at once; as a context manager it restores the
    previous mode on exit, and as a decorator it sets the mode only while the function runs (PyTorch's
    semantics: decorating does not change the mode of the code around it)."""

    def __init__(self, mode: bool) -> None:
        global _grad_enabled
        if not isinstance(mode, (bool, int)) or callable(mode):
            raise TypeError(f"set_grad_enabled(mode): mode must be a bool, got {mode!r}")
        self.mode = bool(mode)
        self.prev, _grad_enabled = _grad_enabled, self.mode

    def __enter__(self) -> None:
        global _grad_enabled
        _grad_enabled = self.mode

    def __call__(self, fn: Callable) -> Callable:
        global _grad_enabled
        _grad_enabled = self.prev  # the constructor switched the mode; a decorator must not have done that
        return super().__call__(fn)


class Function:
    """Base of every op. Subclasses define ``forward(self, *arrays, **kw)`` and ``backward(self, grad)``.

    ``backward`` returns one gradient per positional input (a tuple when there are several), each either an
    array of any shape broadcastable to that input's shape, or None. Class attributes declare what the
    in-place guard must watch: ``saves`` lists the inputs whose data backward reads, ``saves_output`` says
    backward reads the output; ``is_view`` says the output shares memory (and so a version counter) with
    input 0.
    """
    saves: tuple[int, ...] = ()
    saves_output: bool = False
    is_view: bool = False
    differentiable: bool = True  # False: results never require grad (comparisons, argmax, ...)
    versions: tuple = ()  # (version cell, version at forward) pairs, filled per node when watched

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        cls._watch = bool(cls.saves or cls.saves_output)

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
        node = cls.__new__(cls)
        raw = node.forward(*arrays, **kwargs)
        out = _wrap(raw)
        if _tracer is not None:
            _tracer.forward(node, args, kwargs, raw, out)
        if cls.is_view:
            out._vc = args[0]._vc
        if requires and _grad_enabled and cls.differentiable:
            out._requires_grad = True  # a differentiable op's output is floating: no check needed
            out.grad_fn = node
            node.inputs = args
            node.seq = _next_seq()
            if cls._watch:
                watched = [args[i] for i in cls.saves if isinstance(args[i], Tensor)]
                if cls.saves_output:
                    watched.append(out)
                node.versions = [(t._vc, t._vc[0]) for t in watched]
        return out

    def needs_grad(self, i: int) -> bool:
        """Whether input ``i`` wants a gradient: lets backward skip work nobody asked for."""
        a = self.inputs[i]
        return isinstance(a, Tensor) and a._requires_grad

    def name(self) -> str:
        return type(self).__name__ + "Backward"

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
    rec = _tracer
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


from .backend import backend_of  # noqa: E402
from .tensor import Tensor, wrap as _wrap  # noqa: E402  (tensor.py imports this module first)
