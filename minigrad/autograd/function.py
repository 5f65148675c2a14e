"""Function: the base of every op, one graph node per op call.

An op subclasses Function with ``forward(self, *arrays)`` and ``backward(self, grad)`` on raw arrays; the node
object itself is the context. ``Function.apply`` unwraps tensors, runs forward, and records the node only
when a gradient is wanted.

Tensor is not imported here: tensor.py imports this module and installs itself (``install``), so the engine
imports only downward.
"""
from __future__ import annotations

import itertools
from typing import Any

from .._state import STATE
from ..backend import backend_of

__all__ = ["Function", "install"]

_next_seq = itertools.count().__next__  # creation order of graph nodes
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
            if cls._watch:
                watched = [a for a in (args if cls.saves_all else (args[i] for i in cls.saves))
                           if isinstance(a, Tensor)]
                if cls.saves_output:
                    watched.append(out)
                node.versions = [(t._vc, t._vc[0]) for t in watched]
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
