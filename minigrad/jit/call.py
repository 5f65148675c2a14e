"""A jitted function: binding a call to its signature, the guards of a capture, and choosing a back end."""
from __future__ import annotations

import functools
import inspect
import warnings
from collections import OrderedDict
from typing import Any, Callable

from .. import backend as _backend, dtypes
from .._state import STATE
from ..tensor import Tensor
from .graphs import Graphs, all_on
from .record import Program, Recapture, Tracer

__all__ = ["Jit", "jit"]

_SCALARS = (int, float, bool, str, complex, type(None))
_MISSING = object()


class _Binder:
    """Binds a call's arguments to the function's parameter names (``f(x=q, y=p)`` is ``f(p, q)`` with the names
    attached), so a capture is keyed by name, never by position."""

    def __init__(self, fn: Callable) -> None:
        try:
            self.sig = inspect.signature(fn)
        except (TypeError, ValueError):  # a builtin or an object without a signature: key by position and name
            self.sig = None
        self.simple: tuple[str, ...] | None = None
        if self.sig is not None and all(p.kind is p.POSITIONAL_OR_KEYWORD and p.default is p.empty
                                        for p in self.sig.parameters.values()):
            self.simple = tuple(self.sig.parameters)

    def bind(self, args: tuple, kwargs: dict) -> Any:
        """(name, value) pairs of a call that is not all-positional (``_signature`` pairs those itself)."""
        if self.sig is None:
            return list(enumerate(args)) + sorted(kwargs.items())
        bound = self.sig.bind(*args, **kwargs)
        bound.apply_defaults()
        return bound.arguments.items()


def _signature(binder: _Binder, args: tuple, kwargs: dict) -> tuple[tuple, list[Tensor]]:
    """The cache key of a call and its distinct tensors, in order of first appearance.

    The key holds: grad mode, the default dtype and backend, then per parameter its name and value structure:
    each Tensor as (shape, dtype, array type, requires_grad, which earlier tensor shares its array), a tensor
    passed twice as a reference to its first place (aliasing), lists/tuples/dicts by type, length and keys, and
    other values by type and value (they must be hashable)."""
    key: list[Any] = [STATE.grad_enabled, dtypes._default, _backend._default]
    tensors: list[Tensor] = []
    seen: dict[int, int] = {}
    arrays: dict[int, int] = {}
    append = key.append
    simple = binder.simple  # positional arguments only, one per parameter: the hot path of a replay, inline
    pairs = zip(simple, args) if not kwargs and simple is not None and len(args) == len(simple) else \
        binder.bind(args, kwargs)
    for name, v in pairs:
        append(name)
        if isinstance(v, Tensor) and id(v) not in seen:  # the common case, inline (the hot path of a replay)
            d = v._data
            seen[id(v)] = len(tensors)
            append((d.shape, d.dtype, type(d), v._requires_grad, arrays.setdefault(id(d), len(tensors))))
            tensors.append(v)
        else:
            _visit(v, name, key, tensors, seen, arrays)
    return tuple(key), tensors


def _tensor_key(v: Tensor, key: list, tensors: list, seen: dict, arrays: dict) -> None:
    i = seen.get(id(v))
    if i is not None:
        key.append(("same", i))
        return
    d = v._data
    seen[id(v)] = len(tensors)
    key.append((d.shape, d.dtype, type(d), v._requires_grad, arrays.setdefault(id(d), len(tensors))))
    tensors.append(v)


def _visit(v: Any, where: Any, key: list, tensors: list, seen: dict, arrays: dict) -> None:
    if isinstance(v, Tensor):
        _tensor_key(v, key, tensors, seen, arrays)
        return
    t = type(v)
    if t is list or t is tuple:
        key.append((t, len(v)))
        for i, x in enumerate(v):
            _visit(x, f"{where}[{i}]", key, tensors, seen, arrays)
        return
    if t is dict:
        key.append((dict, tuple(v)))
        for k, x in v.items():
            _visit(x, f"{where}[{k!r}]", key, tensors, seen, arrays)
        return
    try:
        hash(v)
    except TypeError:
        raise TypeError(f"mg.jit: argument {where!r} ({t.__name__}) is neither a Tensor, a list/tuple/dict of "
                        "them, nor hashable; pass tensors directly and other arguments as plain values") from None
    key.append((t, v))


def _python_guards(fn: Callable, ns: dict[str, Any]) -> list[str]:
    """Guards on the Python values the function's own code reads: its closure cells and the globals its code
    names. Numbers, strings and None by type and value; other objects (a model, an optimizer) by identity, so
    rebinding one re-records. Values read deeper (inside helpers it calls) are not guarded."""
    fn = getattr(fn, "__func__", fn)
    code = getattr(fn, "__code__", None)
    if code is None:
        return []
    terms = []

    def term(expr: str, value: Any, name: str) -> None:
        if type(value) in _SCALARS:
            if type(value) is float and value != value:
                terms.append(f"{expr} == {expr}")  # NaN: guard that it stays NaN
                return
            ns[name], ns[name + "_t"] = value, type(value)
            terms.append(f"(type({expr}) is not {name}_t or {expr} != {name})")
        else:
            ns[name] = value
            terms.append(f"{expr} is not {name}")

    for i, (cell_name, cell) in enumerate(zip(code.co_freevars, fn.__closure__ or ())):
        try:
            value = cell.cell_contents
        except ValueError:  # not bound yet
            continue
        ns[f"_cell{i}"] = cell
        term(f"_cell{i}.cell_contents", value, f"_cellv{i}")
    g = fn.__globals__
    ns["_fn_globals"] = g
    for i, name in enumerate(code.co_names):
        value = g.get(name, _MISSING)
        if value is _MISSING or inspect.ismodule(value):
            continue
        ns["_MISSING"] = _MISSING
        term(f"_fn_globals.get({name!r}, _MISSING)", value, f"_globv{i}")
    return terms


class _Entry:
    __slots__ = ("calls", "program", "graphs", "graphs_failed")

    def __init__(self) -> None:
        self.calls, self.program, self.graphs, self.graphs_failed = 0, None, None, None


class Jit:
    """A function wrapped by :func:`jit`. Call it like the function; ``reset()`` drops every capture."""

    def __init__(self, fn: Callable, warmup: int = 1, max_captures: int = 8, cuda_graphs: bool | None = None) -> None:
        if not callable(fn):
            raise TypeError(f"mg.jit expects a function, got {type(fn).__name__}")
        if warmup < 0 or max_captures < 1:
            raise ValueError(f"mg.jit: warmup must be >= 0 and max_captures >= 1, got {warmup} and {max_captures}")
        functools.update_wrapper(self, fn)
        self.fn, self.warmup, self.max_captures = fn, warmup, max_captures
        # "auto": CUDA graphs when every tensor is on cupy; "off"; "emulate": the graph machinery on any backend
        self.graphs = {None: "auto", True: "cuda", False: "off"}[cuda_graphs]
        self._binder = _Binder(fn)
        self._cache: OrderedDict[tuple, _Entry] = OrderedDict()
        self.captures = 0  # how many recordings were made (a test can check nothing re-records)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if STATE.tracer is not None:  # called inside another capture: becomes part of that recording
            return self.fn(*args, **kwargs)
        key, tensors = _signature(self._binder, args, kwargs)
        entry = self._cache.get(key)
        if entry is None:
            entry = self._cache[key] = _Entry()
            while len(self._cache) > self.max_captures:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        if entry.program is not None:
            try:
                if entry.graphs_failed is not None:  # decided on an earlier call: the plain replay
                    return entry.program.fn(*tensors)
                return self._run(entry, tensors)
            except Recapture:
                entry.program = entry.graphs = entry.graphs_failed = None
        elif entry.calls < self.warmup:
            entry.calls += 1
            return self.fn(*args, **kwargs)
        out, entry.program = self._capture(args, kwargs, tensors)
        return out

    def _capture(self, args: tuple, kwargs: dict, tensors: list[Tensor]) -> tuple[Any, Program]:
        tracer = Tracer(tensors)
        STATE.tracer = tracer
        try:
            out = self.fn(*args, **kwargs)
        finally:
            STATE.tracer = None
        program = tracer.finish(out, len(tensors), _python_guards(self.fn, tracer.ns))
        self.captures += 1
        return out, program

    def _run(self, entry: _Entry, tensors: list[Tensor]) -> Any:
        program, graphs = entry.program, self.graphs  # __call__ has replayed a decided graphs_failed itself
        if graphs == "off":
            return program.fn(*tensors)
        if entry.graphs is not None:
            return entry.graphs.launch(tensors)
        tracer = program.tracer
        why = None
        if tracer.host_random:
            why = f"{tracer.host_random} draws random numbers on the host in forward"
        elif tracer.reads_fresh_grad:  # a graph binds such grads only after its launch
            why = "it reads a .grad that the call itself binds (after grad = None)"
        elif tracer.reads_live_result:
            why = "it computes with a tensor that a live call (e.g. clip_grad_norm_) returns"
        on_gpu = all_on(tensors, tracer.captured, "cupy")
        if graphs == "cuda" and not on_gpu:
            raise RuntimeError("mg.jit(cuda_graphs=True) needs every tensor the function uses on the 'cupy' "
                               "backend; some are not (or it uses none)")
        if graphs == "emulate" and not (tensors or tracer.captured):
            why = "it reads no tensor"
        if why is None and graphs == "auto" and not on_gpu:
            why = "not every tensor is on cupy"
        if why is not None:
            entry.graphs_failed = why
            return program.fn(*tensors)
        if program.changed():
            raise Recapture
        entry.graphs = Graphs(program, emulate=graphs == "emulate")
        out, failed = entry.graphs.capture(tensors)
        if failed is not None:
            entry.graphs, entry.graphs_failed = None, failed
            warnings.warn(f"mg.jit: capturing {getattr(self.fn, '__qualname__', 'the function')} into CUDA graphs "
                          f"failed ({failed}); this call finished without them and they stay off for this capture",
                          RuntimeWarning, stacklevel=3)
        return out

    def source(self, *args: Any, **kwargs: Any) -> str:
        """The generated replay code of the capture that a call with these arguments would use."""
        entry = self._cache.get(_signature(self._binder, args, kwargs)[0])
        if entry is None or entry.program is None:
            raise LookupError("no capture for a call with this signature yet (call the function a few times first)")
        return entry.program.source

    def reset(self) -> None:
        """Drop every capture: the next call warms up and records again."""
        self._cache.clear()

    def __repr__(self) -> str:
        return f"<mg.jit of {getattr(self.fn, '__qualname__', self.fn)!s}: {len(self._cache)} signature(s)>"


def jit(fn: Callable | None = None, *, warmup: int = 1, max_captures: int = 8, cuda_graphs: bool | None = None) -> Any:
    """Capture-and-replay for a step function: ``step = mg.jit(fn)`` or ``@mg.jit`` / ``@mg.jit(warmup=2)``.

    The first ``warmup`` calls of each argument signature run eagerly, the next one runs eagerly while
    recording, and later calls replay the recording (the contract follows). ``cuda_graphs``:
    None (default) replays through CUDA graphs when every tensor involved is on cupy; False never does.
    """
    if fn is None:
        return lambda f: Jit(f, warmup=warmup, max_captures=max_captures, cuda_graphs=cuda_graphs)
    return Jit(fn, warmup=warmup, max_captures=max_captures, cuda_graphs=cuda_graphs)
