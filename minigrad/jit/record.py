"""The recording of one call: a list of typed entries (:class:`Entry`), and its plain back end, the generated
Python source of the replay (:class:`Program`). See the package docstring for the contract."""
from __future__ import annotations

import functools
import itertools
import math
import os
import sys
from typing import Any, Callable, NamedTuple

import numpy

from .. import autograd
from .._state import STATE
from ..backend import ARRAY_TYPES
from ..tensor import Tensor, _adopt, _coerce

__all__ = ["Entry", "Tracer", "Program", "Recapture", "UnknownArrayError"]


class Recapture(Exception):
    """A guard of the recording no longer holds (e.g. a parameter's requires_grad changed)."""


class UnknownArrayError(RuntimeError):
    """An array entered the recording that is neither an input, state, a recorded op's result nor a factory's."""


class Entry(NamedTuple):
    """One step of a recording.

    kind: "input" (``a0 = T0._data``), "code" (array work, no side effect but the names it binds), "acc"
    (accumulate a gradient into a tensor's .grad), "live" (a call that runs as Python on every replay), "check"
    (a value check eager makes, repeated on the replayed arrays). ``text`` is the statement in the generated
    source; ``binds`` the names it assigns; ``refs`` what a back end needs beyond the text: acc -> (tensor name,
    gradient expression), live -> (handle name, result name or ""), check -> (check name, array expressions)."""
    kind: str
    text: str
    binds: tuple[str, ...] = ()
    refs: tuple = ()


def _clear_grad(t: Tensor) -> None:
    t.grad = None


def _requires(flag: bool) -> Tensor:
    t = _adopt(numpy.empty(0))
    t.requires_grad = flag
    return t


# Stand-ins for a recorded node's inputs: backward only asks them whether they want a gradient.
_WANTS, _NO_WANT = _requires(True), _requires(False)
_LITERALS = (int, bool, str, type(None))
_HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # minigrad/: outside it is the user's code


def _origin() -> str:
    """Where an array of unknown origin was made: the innermost public minigrad function and the user's line."""
    f = sys._getframe(2)
    inner = None
    while f is not None:
        file = f.f_code.co_filename
        if not file.startswith(_HERE):
            break
        name = "Tensor" if f.f_code.co_name == "__init__" else f.f_code.co_name
        if inner is None or not name.startswith("_"):
            inner = name
        f = f.f_back
    user = f"{f.f_code.co_filename}:{f.f_lineno}" if f is not None else "?"
    return f"{inner or 'a tensor constructor'} (called at {user})"


class Tracer:
    """Records one call of a function as typed entries over arrays (see the package docstring)."""

    def __init__(self, inputs: list[Tensor]) -> None:
        self.entries: list[Entry] = []
        self.ns: dict[str, Any] = {"_coerce": _coerce, "_adopt": _adopt, "_acc": autograd._accumulate,
                                   "_unbroadcast": autograd._unbroadcast, "Recapture": Recapture}
        self.var: dict[int, str] = {}         # id(array) -> the expression that holds it in the replay
        self.alive: list[Any] = []            # every array named, so no id is reused while recording
        self.unknown: dict[int, str] = {}     # id(array) -> where a tensor of unknown origin was made
        self.tensor_name: dict[int, str] = {}  # id(Tensor) -> its name for inputs and captured tensors
        self.captured: list[Tensor] = []      # tensors read by reference (parameters, buffers, optimizer state)
        self.grad_owners: list[Tensor] = []   # tensors whose .grad the recording binds afresh (it was None)
        self.nodes: list[tuple[autograd.Function, tuple]] = []
        self.node_name: dict[int, str] = {}
        self.guarded: list[tuple[Any, str]] = []  # (object, attribute) whose capture-end value the replay needs
        self.module_guarded: list[tuple[Any, str]] = []  # the same, on Modules
        self.host_random: str | None = None   # an op that draws on the host in forward (no CUDA graphs then)
        self.reads_fresh_grad = False         # reads a .grad bound during the call (no CUDA graphs then)
        self.returns_graph = False
        self.reads_live_result = False    # a recorded op reads what a live call returned (no CUDA graphs then)
        self._guarded: set[tuple[int, str]] = set()
        self._const_of: dict[int, str] = {}
        self._ids = itertools.count()
        for i, t in enumerate(inputs):
            self.tensor_name[id(t)] = f"T{i}"
            self._name_array(t._data, f"a{i}")
            self.entries.append(Entry("input", f"a{i} = T{i}._data", (f"a{i}",)))

    # ------------------------------------------------------------------ naming
    def _name_array(self, array: Any, name: str) -> str:
        self.var[id(array)] = name
        self.alive.append(array)
        return name

    def _new_var(self, array: Any) -> str:
        return self._name_array(array, f"v{next(self._ids)}")

    def _const(self, value: Any, prefix: str = "c") -> str:
        name = self._const_of.get(id(value))
        if name is None:
            name = self._const_of[id(value)] = f"{prefix}{next(self._ids)}"
            self.ns[name] = value
        return name

    def tensor_ref(self, t: Tensor) -> str:
        """The name of a Tensor object itself: a call input (T*) or a tensor captured by reference (E*)."""
        name = self.tensor_name.get(id(t))
        if name is None:
            name = self.tensor_name[id(t)] = self._const(t, "E")
            self.captured.append(t)
        return name

    def array_expr(self, t: Tensor, use: str = "") -> str:
        """How the replay gets ``t``'s array: the variable that computed it, or the captured tensor's data."""
        name = self.var.get(id(t._data))
        if name is not None:
            if name[0] == "r":
                self.reads_live_result = True
            return name
        where = self.unknown.get(id(t._data))
        if where is not None:
            raise UnknownArrayError(
                f"mg.jit: {use or 'the recording'} reads a tensor made by {where} from an array that no recorded op "
                "computed; a replay would reuse the capture's values. Pass it to the jitted function as an "
                "argument, or compute it with minigrad ops inside")
        # A .grad this recording bound (after `grad = None` or zero_grad()) is a new array on every replay: read it
        # through its owner, also via detach()ed aliases, never as the array the capture happened to create.
        owner = next((o for o in self.grad_owners if o._grad is not None and o._grad._data is t._data), None)
        if owner is not None:
            self.reads_fresh_grad = True
            return self.tensor_ref(owner) + "._grad._data"
        return self.tensor_ref(t) + "._data"

    def value_expr(self, v: Any, use: str = "") -> str:
        """A non-tensor argument: literals inline, recorded arrays by variable, other objects as constants.
        An array that no recorded step produced is refused: a replay would repeat its capture-time values."""
        if isinstance(v, Tensor):
            return self.array_expr(v, use)
        t = type(v)
        if t in _LITERALS or (t is float and math.isfinite(v)):
            return repr(v)
        if t is tuple:
            items = [self.value_expr(x, use) for x in v]
            return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
        if t is slice:
            parts = (self.value_expr(x, use) for x in (v.start, v.stop, v.step))
            return f"slice({', '.join(parts)})"
        if t in ARRAY_TYPES or isinstance(v, (numpy.ndarray, numpy.generic)):  # NumPy's 0-d results are scalars
            name = self.var.get(id(v))
            if name is not None:
                return name
            if isinstance(v, numpy.generic) and id(v) not in self.unknown:
                return self._const(v)  # a dtype's scalar from Python values (e.g. an op's eps)
            where = self.unknown.get(id(v))
            raise UnknownArrayError(
                f"mg.jit: {use or 'the recording'} was given an array that no recorded op computed"
                f"{' (made by ' + where + ')' if where else ''}; a replay would reuse the capture's values. Pass "
                "data as a Tensor argument of the jitted function, or build it with minigrad ops or factories")
        return self._const(v)

    # ------------------------------------------------------------------ provenance
    def born(self, t: Tensor) -> None:
        """A tensor adopted an array outside any op (``wrap``): unless that array is known, it is of unknown
        origin, an error if the recording later reads it."""
        if id(t._data) not in self.var:
            self.unknown[id(t._data)] = _origin()
            self.alive.append(t._data)

    def constant(self, t: Tensor) -> None:
        """A tensor built from Python values (``mg.tensor([1., 2.])``): each replay gets a fresh copy."""
        keep = t._data.copy()
        self._assign([self._new_var(t._data)], f"{self._const(keep)}.copy()")

    def factory(self, result: Any, make: Callable, *args: Any) -> None:
        """``result = make(*args)`` for an array the engine creates from shapes (backward's ones_like)."""
        self._assign([self._new_var(result)], f"{self._const(make)}({', '.join(self.value_expr(a) for a in args)})")

    def track(self, t: Tensor) -> None:
        """``t``'s array will be passed to an op as a plain argument: name it by how the replay reads ``t``."""
        self.var.setdefault(id(t._data), self.array_expr(t))

    def side_output(self, t: Tensor, holder: list, index: int) -> None:
        """``t`` holds an array a recorded op put into ``holder[index]`` (max_pool2d's indices)."""
        self._assign([self._new_var(t._data)], f"{self._const(holder)}[{index}]")

    # ------------------------------------------------------------------ recording
    def forward(self, node: autograd.Function, args: tuple, kwargs: dict, raw: Any, out: Tensor) -> None:
        n = self.node_name[id(node)] = self._const(node, "n")
        self.nodes.append((node, args))
        if getattr(node, "host_random", False):
            self.host_random = type(node).__name__
        use = type(node).__name__
        parts = [self.value_expr(a, use) for a in args] + [f"{k}={self.value_expr(v, use)}" for k, v in kwargs.items()]
        call = f"{n}.forward({', '.join(parts)})"
        if raw is not out._data:  # eager turned a NumPy scalar back into an array: so must the replay
            call = f"_coerce({call})"
        self._assign([self._new_var(out._data)], call)

    def backward(self, node: autograd.Function, g: Any, result: Any) -> None:
        n = self.node_name.get(id(node))
        if n is None:
            raise RuntimeError(f"mg.jit: {node.name()} belongs to a graph built before the capture started; "
                               "build the whole graph inside the jitted function")
        call = f"{n}.backward({self.value_expr(g, node.name())})"
        if type(result) is not tuple:
            self._assign([self._new_var(result)], call)
            return
        names = [self._new_var(r) if r is not None else "_" for r in result]
        self._assign(names, call, unpack=True)

    def _assign(self, names: list[str], expr: str, unpack: bool = False) -> None:
        target = ", ".join(names) + ("," if unpack and len(names) == 1 else "")
        self.entries.append(Entry("code", f"{target or '_'} = {expr}", tuple(n for n in names if n != "_")))

    def call(self, fn_expr: str, result: Any, *args: Any) -> None:
        """``result = fn(*args)`` for a helper of the engine (un-broadcast, cast, gradient sum)."""
        self._assign([self._new_var(result)], f"{fn_expr}({', '.join(self.value_expr(a) for a in args)})")

    def method(self, result: Any, array: Any, name: str, *args: Any) -> None:
        self._assign([self._new_var(result)],
                     f"{self.value_expr(array)}.{name}({', '.join(self.value_expr(a) for a in args)})")

    def add(self, result: Any, a: Any, b: Any) -> None:
        self._assign([self._new_var(result)], f"{self.value_expr(a)} + {self.value_expr(b)}")

    def accumulate(self, t: Tensor, g: Any) -> None:
        if id(t._data) in self.var and id(t) not in self.tensor_name:
            raise RuntimeError("mg.jit: retain_grad() on an intermediate result is not supported inside a "
                               "captured function; return the tensor instead")
        if id(t._data) in self.unknown:
            self.array_expr(t, "backward")  # raises: a leaf made from an unknown array
        target, grad = self.tensor_ref(t), self.value_expr(g)
        if t._grad is None:
            self.grad_owners.append(t)
        self.entries.append(Entry("acc", f"_acc({target}, {grad})", (), (target, grad)))

    def check(self, fn: Callable, *tensors: Tensor) -> None:
        """A value check eager makes on ``tensors`` (class indices in range, probabilities in [0, 1]): run it now
        and on every replay, on that replay's arrays. ``fn`` takes the arrays and raises."""
        args = tuple(self.array_expr(t, getattr(fn, "__name__", "a check")) for t in tensors)
        name = self._const(fn, "check")
        self.entries.append(Entry("check", f"{name}({', '.join(args)})", (), (name, args)))

    def set_grad(self, t: Tensor, value: Any) -> None:
        """``t.grad = None`` inside the function: the replay repeats it (as a live call: it is host-side state).
        Assigning a tensor is refused: the replay could not tell which values it should hold."""
        if value is not None:
            raise RuntimeError("mg.jit: assigning a tensor to .grad inside a captured function is not supported; "
                               "set it to None (or call zero_grad) inside, or assign it outside the jitted function")
        h = self._const(functools.partial(_clear_grad, t), "live")
        self.entries.append(Entry("live", f"{h}()", (), (h, "")))

    def guard(self, obj: Any, attr: str, module: bool = False) -> None:
        """The recording depends on ``obj.attr`` (a Module's ``training`` flag, its attribute count): replay
        only while it keeps the value it has when the capture ends. ``module``: ``obj`` is a Module, whose class
        counts every change of any module (``_setattr_epoch``), so a replay checks one number while none
        changed."""
        if (id(obj), attr) not in self._guarded:
            self._guarded.add((id(obj), attr))
            (self.module_guarded if module else self.guarded).append((obj, attr))

    def live_call(self, method: Callable, obj: Any, args: tuple, kwargs: dict) -> Any:
        for a in itertools.chain(args, kwargs.values()):
            if isinstance(a, Tensor) or callable(a):
                raise RuntimeError(f"mg.jit: {type(obj).__name__}.{method.__name__}() inside a captured function "
                                   "takes no tensors or closures; call it with plain values")
        h = self._const(functools.partial(method, obj, *args, **kwargs), "live")
        r = f"r{next(self._ids)}"
        self.entries.append(Entry("live", f"{r} = {h}()", (r,), (h, r)))
        STATE.tracer = None
        try:
            result = method(obj, *args, **kwargs)
        finally:
            STATE.tracer = self
        # A tensor the live call returns (clip_grad_norm_'s norm) is that replay's result, read from it
        if isinstance(result, Tensor):
            self._name_array(result._data, f"{r}._data")
        elif isinstance(result, tuple):
            for i, x in enumerate(result):
                if isinstance(x, Tensor):
                    self._name_array(x._data, f"{r}[{i}]._data")
        return result

    # ------------------------------------------------------------------ the program
    def finish(self, result: Any, n_inputs: int, python_guards: list[str]) -> "Program":
        output = self._output_expr(result)
        guards = python_guards + [f"{self._const(o, 'G')}.{a} != {self.value_expr(getattr(o, a))}"
                                  for o, a in self.guarded]
        if self.module_guarded:
            guards.append(self._modules_changed())
        for node, args in self.nodes:  # free the recording's tensors; backward only asks requires_grad
            # (a graph the call returns unconsumed keeps its tensors: backward() may follow outside)
            if getattr(node, "inputs", None) is None or not self.returns_graph:
                node.inputs = tuple(_WANTS if isinstance(a, Tensor) and a.requires_grad else _NO_WANT for a in args)
                node.versions = ()
        self.alive.clear()
        self.unknown.clear()
        return Program(self, output, n_inputs, guards)

    def _modules_changed(self) -> str:
        """A guard on the Modules' attributes: one comparison while no module anywhere changed since the last
        check, else each guarded attribute's."""
        cls = self._const(type(self.module_guarded[0][0]), "M")
        terms = " or ".join(f"{self._const(o, 'G')}.{a} != {self.value_expr(getattr(o, a))}"
                            for o, a in self.module_guarded)
        self.ns["_epoch_seen"] = getattr(type(self.module_guarded[0][0]), "_setattr_epoch")
        src = (f"def _modules_changed():\n    global _epoch_seen\n    e = {cls}._setattr_epoch\n"
               f"    if e == _epoch_seen:\n        return False\n    if {terms}:\n        return True\n"
               f"    _epoch_seen = e\n    return False\n")
        _compile(src, self.ns, "_modules_changed")
        return f"({cls}._setattr_epoch != _epoch_seen and _modules_changed())"  # no call while nothing changed

    def _output_expr(self, o: Any) -> str:
        live = self.reads_live_result
        try:
            return self._output(o)
        finally:
            self.reads_live_result = live  # returning a live call's tensor needs no graph to read it

    def _output(self, o: Any) -> str:
        if isinstance(o, Tensor):
            name = self.tensor_name.get(id(o))  # an input or captured tensor comes back as itself
            if name is not None:
                return name
            expr = self.array_expr(o, "a returned tensor")
            if o.requires_grad and o.grad_fn is not None:
                if getattr(o.grad_fn, "inputs", None) is not None:
                    self.returns_graph = True
                return f"_graphless({expr})"  # eager gives it a graph; a replay records none
            return f"_adopt({expr})"
        if isinstance(o, (tuple, list)):
            items = ", ".join(self._output(x) for x in o)
            if type(o) is list:
                return f"[{items}]"
            if type(o) is tuple:
                return f"({items}{',' if len(o) == 1 else ''})"
            ctor = self._const(type(o))  # a namedtuple (values, indices) or another sequence type
            return f"{ctor}({items})" if hasattr(o, "_fields") else f"{ctor}([{items}])"
        if isinstance(o, dict):
            return "{" + "".join(f"{self.value_expr(k)}: {self._output(v)}, " for k, v in o.items()) + "}"
        return self.value_expr(o, "a returned value")


class _NoGraph(autograd.Function):
    """The grad_fn of a tensor an mg.jit replay returns where eager would return one with a graph: a replay
    builds no graph, so backward() on it raises instead of computing something else."""

    def backward(self, g: Any) -> Any:
        raise RuntimeError(
            "mg.jit: backward() on a tensor returned by a replay of a jitted function: a replay records no graph, "
            "so there is nothing to differentiate. Call backward() inside the jitted function (the whole training "
            "step in one function), or call the function without mg.jit")


_NO_GRAPH = _NoGraph.__new__(_NoGraph)  # stateless: every replayed result shares it
_NO_GRAPH.inputs, _NO_GRAPH.seq = (), -1


def _graphless(array: Any) -> Tensor:
    t = _adopt(array)
    t._requires_grad, t.grad_fn = True, _NO_GRAPH
    return t


def _compile(source: str, ns: dict[str, Any], name: str) -> Callable:
    exec(compile(source, f"<mg.jit {name}>", "exec"), ns)
    return ns[name]


class Program:
    """One recorded call. ``fn(*tensors)`` replays it as generated Python (``source``); ``entries`` are the
    typed recording other back ends (CUDA graphs) compile from."""

    def __init__(self, tracer: Tracer, output: str, n_inputs: int, guards: list[str]) -> None:
        self.tracer, self.output, self.n_inputs = tracer, output, n_inputs
        self.entries = tracer.entries
        self.ns = tracer.ns
        self.ns["_graphless"] = _graphless
        # What the recording assumed about state outside its inputs; any change means record again.
        terms = [f"{tracer.tensor_name[id(t)]}._requires_grad is not {t._requires_grad} or "
                 f"{tracer.tensor_name[id(t)]}._data.shape != {t._data.shape!r}" for t in tracer.captured]
        self.guard = " or ".join(terms + guards)
        self.changed = _compile(f"def changed():\n    return {self.guard or 'False'}\n", self.ns, "changed")
        params = ", ".join(f"T{i}" for i in range(n_inputs))
        head = [f"def replay({params}):"]
        if self.guard:
            head.append(f"    if {self.guard}:\n        raise Recapture")
        body = [f"    {e.text}" for e in self.entries]
        self.source = "\n".join(head + body + [f"    return {output}"]) + "\n"
        self.fn = _compile(self.source, self.ns, "replay")
