"""``mg.jit``: record a step once, then replay it as straight-line array code.

    step = mg.jit(train_step)        # or @mg.jit
    loss = step(x, t)                # 1st call: eager; 2nd: eager and recorded; later: replayed

Eager minigrad pays Python for every op (a Tensor, a graph node, the backward walk) and, on a GPU, one kernel
launch per array call. A training step on a fixed-shape batch does the same work every time, so the 2nd call
records it (as tinygrad's TinyJit and torch.cuda.graphs do) and later calls replay the recording:

* **What is recorded.** Every ``Function.apply`` (an op's ``forward`` on its arrays), every step of
  ``backward()`` (each node's ``backward``, un-broadcasting, casts, gradient sums, accumulation into ``.grad``)
  and every call of a method marked :func:`replayed` (``Optimizer.step``, ``zero_grad``). The recording is
  turned into the source of one Python function (``step.source()`` shows it) that calls the same ``forward`` /
  ``backward`` methods on the same node objects, so a replay computes exactly what eager computes — bit for bit
  — without building a Tensor, a node or a graph. Methods marked :func:`replayed` run live on every replay, so
  they see the current learning rate, Adam's step count and SGD's momentum buffers.
* **Inputs** are the Tensor arguments of the call. Everything else the function touches (parameters, buffers,
  constants) is captured by reference: a replay reads ``tensor.data`` afresh and updates it in place, as eager
  does. Tensors returned by a replay are new, detached tensors holding that call's values.
* **A capture per signature.** Calls whose Tensor arguments differ in shape, dtype, backend or requires_grad,
  or whose other arguments differ in value, or that run in another grad mode, get their own capture (a small
  LRU cache, ``max_captures``); a parameter whose ``requires_grad`` changed forces a new capture. Never a
  wrong replay.

What may not be captured (each raises a ``RuntimeError`` naming the call): reading a value on the host inside
the function (``.item()``, ``.numpy()``, ``.tolist()``, ``float(t)``, ``bool(t)``, an ``if`` on a tensor),
random draws (they would replay the same numbers), in-place tensor ops outside the marked methods, and
``retain_grad`` on intermediate results. Python control flow that does not look at tensor values is frozen
at its capture-time path: the function must do the same tensor work on every call.

On CuPy the replay is additionally captured into CUDA graphs (see ``_CudaGraphs``): each stretch between two
live calls is one graph launch.
"""
from __future__ import annotations

import functools
import itertools
import math
from collections import OrderedDict
from typing import Any, Callable

import numpy

from . import autograd
from ._state import STATE
from .backend import ARRAY_TYPES, backend_of
from .tensor import Tensor, _coerce, wrap

__all__ = ["jit", "Jit", "replayed", "capturing"]


def capturing() -> bool:
    """True while a jitted function is being recorded (outside the live calls of :func:`replayed` methods)."""
    return STATE.tracer is not None


def refuse_in_capture(what: str) -> None:
    """Raise the error for an operation that a recording cannot replay (host reads, random draws, ...)."""
    if STATE.tracer is not None:
        raise RuntimeError(
            f"{what} inside a function captured by mg.jit: a replay runs no Python, so it cannot repeat it. "
            "Move it out of the jitted function (e.g. return the tensor and call .item() on the result).")


def replayed(method: Callable) -> Callable:
    """Mark a method that mutates state outside the tensor program (``Optimizer.step``, ``zero_grad``): under
    capture it runs live (unrecorded) and the recording calls it again, live, on every replay."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        rec = STATE.tracer
        if rec is None:
            return method(self, *args, **kwargs)
        return rec.live_call(method, self, args, kwargs)
    wrapper.__wrapped_replayed__ = True
    return wrapper


def _clear_grad(t: Tensor) -> None:
    t.grad = None


class _Recapture(Exception):
    """A guard of the recording no longer holds (e.g. a parameter's requires_grad changed)."""


def _requires(flag: bool) -> Tensor:
    t = wrap(numpy.empty(0))
    t.requires_grad = flag
    return t


# Stand-ins for a recorded node's inputs: backward only asks them whether they want a gradient.
_WANTS, _NO_WANT = _requires(True), _requires(False)
_LITERALS = (int, bool, str, type(None))


class Tracer:
    """Records one call of a function as Python source over arrays (see the module docstring)."""

    def __init__(self, inputs: list[Tensor]) -> None:
        self.lines: list[tuple[str, str, tuple]] = []  # (kind: input|code|acc|live, statement, names it binds)
        self.ns: dict[str, Any] = {"_coerce": _coerce, "wrap": wrap, "_acc": autograd._accumulate,
                                   "_unbroadcast": autograd._unbroadcast, "_Recapture": _Recapture}
        self.var: dict[int, str] = {}         # id(array) -> the variable that holds it in the replay
        self.alive: list[Any] = []            # every array named, so no id is reused while recording
        self.tensor_name: dict[int, str] = {}  # id(Tensor) -> its name for inputs and captured tensors
        self.captured: list[Tensor] = []      # tensors read by reference (parameters, constants, ...)
        self.grad_owners: list[Tensor] = []   # tensors whose .grad the recording binds afresh (it was None)
        self.nodes: list[tuple[autograd.Function, tuple]] = []
        self.node_name: dict[int, str] = {}
        self.guards: list[str] = []           # conditions under which the recording no longer applies
        self.host_random: str | None = None   # an op that draws on the host in forward (no CUDA graphs then)
        self.reads_fresh_grad = False         # reads a .grad bound during the call (no CUDA graphs then)
        self._guarded: set[tuple[int, str]] = set()
        self._ids = itertools.count()
        for i, t in enumerate(inputs):
            self.tensor_name[id(t)] = f"T{i}"
            self._name_array(t._data, f"a{i}")
            self.lines.append(("input", f"a{i} = T{i}._data", (f"a{i}",)))

    # ------------------------------------------------------------------ naming
    def _name_array(self, array: Any, name: str) -> str:
        self.var[id(array)] = name
        self.alive.append(array)
        return name

    def _new_var(self, array: Any) -> str:
        return self._name_array(array, f"v{next(self._ids)}")

    def _const(self, value: Any, prefix: str = "c") -> str:
        name = f"{prefix}{next(self._ids)}"
        self.ns[name] = value
        return name

    def tensor_ref(self, t: Tensor) -> str:
        """The name of a Tensor object itself: a call input (T*) or a tensor captured by reference (E*)."""
        name = self.tensor_name.get(id(t))
        if name is None:
            name = self.tensor_name[id(t)] = self._const(t, "E")
            self.captured.append(t)
        return name

    def array_expr(self, t: Tensor) -> str:
        """How the replay gets ``t``'s array: the variable that computed it, or the captured tensor's data."""
        name = self.var.get(id(t._data))
        if name is not None:
            return name
        # A .grad this recording bound (after `grad = None` or zero_grad()) is a new array on every replay: read it
        # through its owner, also via detach()ed aliases, never as the array the capture happened to create.
        owner = next((o for o in self.grad_owners if o._grad is not None and o._grad._data is t._data), None)
        if owner is not None:
            self.reads_fresh_grad = True
            return self.tensor_ref(owner) + "._grad._data"
        return self.tensor_ref(t) + "._data"

    def value_expr(self, v: Any) -> str:
        """A non-tensor argument: literals inline, recorded arrays by variable, anything else as a constant."""
        if isinstance(v, Tensor):
            return self.array_expr(v)
        t = type(v)
        if t in _LITERALS or (t is float and math.isfinite(v)):
            return repr(v)
        if t is tuple:
            items = [self.value_expr(x) for x in v]
            return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
        if t is slice:
            return f"slice({self.value_expr(v.start)}, {self.value_expr(v.stop)}, {self.value_expr(v.step)})"
        if t in ARRAY_TYPES and id(v) in self.var:
            return self.var[id(v)]
        return self._const(v)

    # ------------------------------------------------------------------ recording
    def forward(self, node: autograd.Function, args: tuple, kwargs: dict, raw: Any, out: Tensor) -> None:
        n = self.node_name[id(node)] = self._const(node, "n")
        self.nodes.append((node, args))
        if getattr(node, "host_random", False):
            self.host_random = type(node).__name__
        parts = [self.value_expr(a) for a in args] + [f"{k}={self.value_expr(v)}" for k, v in kwargs.items()]
        call = f"{n}.forward({', '.join(parts)})"
        if raw is not out._data:  # eager turned a NumPy scalar back into an array: so must the replay
            call = f"_coerce({call})"
        self._assign([self._new_var(out._data)], call)

    def backward(self, node: autograd.Function, g: Any, result: Any) -> None:
        n = self.node_name.get(id(node))
        if n is None:
            raise RuntimeError(f"mg.jit: {node.name()} belongs to a graph built before the capture started; "
                               "build the whole graph inside the jitted function")
        call = f"{n}.backward({self.value_expr(g)})"
        if type(result) is not tuple:
            self._assign([self._new_var(result)], call)
            return
        names = [self._new_var(r) if r is not None else "_" for r in result]
        self._assign(names, call, unpack=True)

    def _assign(self, names: list[str], expr: str, unpack: bool = False) -> None:
        target = ", ".join(names) + ("," if unpack and len(names) == 1 else "")
        self.lines.append(("code", f"{target or '_'} = {expr}", tuple(n for n in names if n != "_")))

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
        target, grad = self.tensor_ref(t), self.value_expr(g)
        if t._grad is None:
            self.grad_owners.append(t)
        self.lines.append(("acc", f"_acc({target}, {grad})", (target, grad)))

    def set_grad(self, t: Tensor, value: Any) -> None:
        """``t.grad = None`` inside the function: the replay repeats it (as a live call: it is host-side state).
        Assigning a tensor is refused: the replay could not tell which values it should hold."""
        if value is not None:
            raise RuntimeError("mg.jit: assigning a tensor to .grad inside a captured function is not supported; "
                               "set it to None (or call zero_grad) inside, or assign it outside the jitted function")
        h = self._const(functools.partial(_clear_grad, t), "live")
        self.lines.append(("live", f"{h}()", ()))

    def guard(self, obj: Any, attr: str) -> None:
        """The recording depends on ``obj.attr`` (e.g. a Module's ``training`` flag read by its forward): replay
        only while it keeps its current value."""
        if (id(obj), attr) not in self._guarded:
            self._guarded.add((id(obj), attr))
            self.guards.append(f"{self._const(obj, 'G')}.{attr} != {self.value_expr(getattr(obj, attr))}")

    def live_call(self, method: Callable, obj: Any, args: tuple, kwargs: dict) -> Any:
        for a in itertools.chain(args, kwargs.values()):
            if isinstance(a, Tensor) or callable(a):
                raise RuntimeError(f"mg.jit: {type(obj).__name__}.{method.__name__}() inside a captured function "
                                   "takes no tensors or closures; call it with plain values")
        h = self._const(functools.partial(method, obj, *args, **kwargs), "live")
        self.lines.append(("live", f"{h}()", ()))
        STATE.tracer = None
        try:
            return method(obj, *args, **kwargs)
        finally:
            STATE.tracer = self

    # ------------------------------------------------------------------ the program
    def finish(self, result: Any, n_inputs: int) -> "Program":
        for node, args in self.nodes:  # free the recording's tensors; backward only asks requires_grad
            node.inputs = tuple(_WANTS if isinstance(a, Tensor) and a.requires_grad else _NO_WANT for a in args)
            node.versions = ()
        self.alive.clear()
        return Program(self, self._output_expr(result), n_inputs)

    def _output_expr(self, o: Any) -> str:
        if isinstance(o, Tensor):
            name = self.tensor_name.get(id(o))  # an input or captured tensor comes back as itself
            return name if name is not None else f"wrap({self.var[id(o._data)]})"
        if isinstance(o, (tuple, list)):
            items = ", ".join(self._output_expr(x) for x in o)
            if type(o) is list:
                return f"[{items}]"
            if type(o) is tuple:
                return f"({items}{',' if len(o) == 1 else ''})"
            ctor = self._const(type(o))  # a namedtuple (values, indices) or another sequence type
            return f"{ctor}({items})" if hasattr(o, "_fields") else f"{ctor}([{items}])"
        if isinstance(o, dict):
            return "{" + "".join(f"{self.value_expr(k)}: {self._output_expr(v)}, " for k, v in o.items()) + "}"
        return self.value_expr(o)


def _compile(source: str, ns: dict[str, Any], name: str) -> Callable:
    exec(compile(source, f"<mg.jit {name}>", "exec"), ns)
    return ns[name]


class Program:
    """One recorded call. ``run(tensors)`` replays it; ``source`` is the generated Python of the replay."""

    def __init__(self, tracer: Tracer, output: str, n_inputs: int) -> None:
        self.tracer, self.output, self.n_inputs = tracer, output, n_inputs
        self.ns = tracer.ns
        # What the recording assumed about state outside its inputs; any change means record again.
        terms = [f"{tracer.tensor_name[id(t)]}.requires_grad is not {t.requires_grad} or "
                 f"{tracer.tensor_name[id(t)]}._data.shape != {t._data.shape!r}" for t in tracer.captured]
        self.guard = " or ".join(terms + tracer.guards)
        self.changed = _compile(f"def changed():\n    return {self.guard or 'False'}\n", self.ns, "changed")
        params = ", ".join(f"T{i}" for i in range(n_inputs))
        head = [f"def replay({params}):"]
        if self.guard:
            head.append(f"    if {self.guard}:\n        raise _Recapture")
        body = [f"    {text}" for _, text, _ in tracer.lines]
        self.source = "\n".join(head + body + [f"    return {output}"]) + "\n"
        self.fn = _compile(self.source, self.ns, "replay")
        self.graphs: _Graphs | None = None
        self.graphs_failed: str | None = None

    def run(self, tensors: list[Tensor], graphs: str) -> Any:
        if graphs == "off" or self.graphs_failed is not None:
            return self.fn(*tensors)
        if self.graphs is None:
            if self.tracer.host_random:
                self.graphs_failed = f"{self.tracer.host_random} draws random numbers on the host in forward"
                return self.fn(*tensors)
            if self.tracer.reads_fresh_grad:  # a graph binds such grads only after its launch
                self.graphs_failed = "it reads a .grad that the call itself binds (after grad = None)"
                return self.fn(*tensors)
            on_gpu = _all_cupy(tensors, self.tracer.captured)
            if graphs == "cuda" and not on_gpu:
                raise RuntimeError("mg.jit(cuda_graphs=True) needs every tensor the function uses on the 'cupy' "
                                   "backend; some are not")
            mode = graphs if graphs != "auto" else ("cuda" if on_gpu else "off")
            if mode == "off":
                self.graphs_failed = "not every tensor is on cupy"
                return self.fn(*tensors)
            self.graphs = _Graphs(self, emulate=mode == "emulate")
            try:
                return self.graphs.capture(tensors)
            except Exception as e:  # noqa: BLE001 - e.g. an op that syncs with the host while capturing
                self.graphs_failed = f"{type(e).__name__}: {e}"
                raise RuntimeError(
                    "mg.jit: capturing the replay into a CUDA graph failed, part of this call may have run "
                    f"({self.graphs_failed}). CUDA graphs are now off for this capture; use mg.jit(fn, "
                    "cuda_graphs=False) to run without them from the start.") from e
        return self.graphs.launch(tensors)


def _all_cupy(tensors: list[Tensor], captured: list[Tensor]) -> bool:
    return all(backend_of(t._data) == "cupy" for t in itertools.chain(tensors, captured))


class _Graphs:
    """The replay as CUDA graphs: every stretch of recorded array work between two live calls is captured once
    (``cupy.cuda.Stream.begin_capture`` / ``end_capture``) and then replayed by one ``Graph.launch``.

    A CUDA graph bakes in addresses, so: inputs are copied into static buffers before each launch; every array
    the capture allocated stays referenced (here, and through a private capture stream whose memory-pool arena
    nothing else allocates from) for the graph's life; gradients the capture created are re-bound to their
    parameters after each launch, and gradients it accumulated into must still be the same arrays; captured
    tensors must still hold the same arrays (they are updated in place). A launch whose preconditions fail runs
    the plain replay instead. Outputs are copied, so returned tensors keep their values.

    ``emulate=True`` runs the same machinery on any backend, with a "graph" that re-runs the stretch and copies
    its results into the buffers of the capture (fixed addresses, as on a GPU): the CI-testable model of it.
    """

    def __init__(self, program: Program, emulate: bool) -> None:
        self.program, self.emulate = program, emulate
        self.ns = ns = dict(program.ns)
        ns["_gacc"] = self._accumulate
        ns["_out"] = lambda a: wrap(a.copy())
        self.items: list[tuple[str, Any, tuple[str, ...]]] = []  # ("live", call) | ("graph", function, names)
        self.acc_targets: dict[int, list[str]] = {}  # stretch index -> names of the tensors it accumulates into
        segment: list[tuple[str, str, tuple]] = []
        inputs = [line for line in program.tracer.lines if line[0] == "input"]  # read afresh in every stretch
        for kind, text, extra in program.tracer.lines + [("live", None, ())]:
            if kind == "input":
                continue
            if kind != "live":
                if not segment:
                    segment.extend(inputs)
                segment.append((kind, text, extra))
                continue
            if segment:
                self.items.append(("graph",) + self._segment(segment, len(self.items)))
                segment = []
            if text is not None:
                self.items.append(("live", ns[text[:-2]], ()))
        n = program.n_inputs
        self.output = _compile(f"def output():\n    return {program.output.replace('wrap(', '_out(')}\n", ns, "output")
        self.static: list[Any] = []
        self.stand_ins: list[Tensor] = []
        self.n_inputs = n
        self.seg_accs: list[list[tuple[Tensor, Any, Tensor]]] = []  # per stretch: (tensor, grad buffer, its Tensor)
        self.graphs: list[Any] = []
        self.keep: list[Any] = []
        self.captured_arrays: list[tuple[Tensor, Any]] = []

    def _segment(self, lines: list, index: int) -> tuple[Callable, tuple[str, ...]]:
        names = tuple(sorted({n for kind, _, extra in lines if kind in ("code", "input") for n in extra}))
        params = ", ".join(f"T{i}" for i in range(self.program.n_inputs))
        body = [f"    global {', '.join(names)}"] if names else []
        acc = itertools.count()
        for kind, text, extra in lines:
            if kind in ("code", "input"):
                body.append(f"    {text}")
            else:
                key = (index, next(acc))
                self.acc_targets.setdefault(index, []).append(extra[0])
                body.append(f"    _gacc({key}, {extra[0]}, {extra[1]})")
        return _compile(f"def seg{index}({params}):\n" + "\n".join(body or ["    pass"]) + "\n", self.ns,
                        f"seg{index}"), names

    # ------------------------------------------------------------------ accumulation into .grad
    def _accumulate(self, key: tuple[int, int], t: Tensor, g: Any) -> None:
        """``_acc`` inside a graph stretch. Capturing: sum every gradient the stretch sends to ``t`` into one buffer
        of its own (eager semantics are restored around each launch by ``_fix_grads``). Emulated launch: the same
        copy (first contribution) or sum (later ones) into that buffer."""
        if self.capturing:
            entry = self._entries.get(id(t))
            if entry is None:
                buf = g.copy()
                entry = self._entries[id(t)] = (t, buf, wrap(buf))
                self.sites[key] = (entry, True)
            else:
                buf = entry[1]
                buf += g
                self.sites[key] = (entry, False)
            return
        (_, buf, _), first = self.sites[key]
        if first:
            buf[...] = g
        else:
            buf += g

    def _fix_grads(self, accs: list[tuple[Tensor, Any, Tensor]], before: list[Any]) -> None:
        """After a launch, do what eager's accumulation would have done with the gradient now in ``buf``."""
        for (t, buf, bound), prev in zip(accs, before):
            if prev is None:
                t._grad = bound
            elif prev is bound:  # accumulating into our own buffer: the launch overwrote it, so add back
                buf += self._saved.pop(id(buf))
            else:
                prev._data += buf

    # ------------------------------------------------------------------ capture and launch
    def capture(self, tensors: list[Tensor]) -> Any:
        """First call after the recording: capture each stretch, run it, and run the live calls between."""
        tracer = self.program.tracer
        self.static = [t._data.copy() for t in tensors]
        self.stand_ins = [wrap(a) for a in self.static]
        for stand_in, t in zip(self.stand_ins, tensors):
            stand_in.requires_grad = t.requires_grad
        self.captured_arrays = [(t, t._data) for t in tracer.captured]
        self.sites: dict[tuple[int, int], tuple[tuple[Tensor, Any, Tensor], bool]] = {}  # _gacc call -> (entry, first?)
        self._saved: dict[int, Any] = {}
        stream = None
        if not self.emulate:  # a private stream: its memory-pool arena holds the graphs' temporaries
            stream = self.stream = (tensors or tracer.captured)[0].xp.cuda.Stream(non_blocking=True)
        for i, (kind, fn, names) in enumerate(self.items):
            if kind == "live":
                fn()
                continue
            before = self._grads_before(i)
            self._entries: dict[int, tuple[Tensor, Any, Tensor]] = {}
            self.capturing = True
            try:
                if self.emulate:
                    fn(*self.stand_ins)
                    graph = _EmulatedGraph(fn, names, self.ns, self.stand_ins)
                else:
                    with stream:
                        stream.begin_capture()
                        try:
                            fn(*self.stand_ins)
                        finally:
                            graph = stream.end_capture()
                    graph.launch()
            finally:
                self.capturing = False
            self.graphs.append(graph)
            self.seg_accs.append(list(self._entries.values()))
            self._fix_grads(self.seg_accs[-1], before)
        # The graphs write into these arrays on every launch: keep them referenced even if a plain replay (a
        # fallback) rebinds the variables or the nodes' saved attributes.
        self.keep = [self.ns[n] for kind, _, names in self.items if kind == "graph" for n in names]
        self.keep += [v for node, _ in self.program.tracer.nodes for v in vars(node).values()]
        return self.output()

    def _grads_before(self, i: int) -> list[Any]:
        """At capture: the gradients stretch ``i`` will accumulate into (each tensor once, in order of first use),
        as they are before it runs."""
        targets = {}
        for n in self.acc_targets.get(i, ()):
            t = self.stand_ins[int(n[1:])] if n[0] == "T" else self.ns[n]
            targets.setdefault(id(t), t)
        return [t.grad for t in targets.values()]

    def launch(self, tensors: list[Tensor]) -> Any:
        if self.program.changed():
            raise _Recapture
        for t, array in self.captured_arrays:
            if t._data is not array:  # a tensor was given a new array: the graphs would read the old one
                return self.program.fn(*tensors)
        for static, t in zip(self.static, tensors):
            static[...] = t._data
        graphs = iter(self.graphs)
        accs = iter(self.seg_accs)
        for kind, fn, _ in self.items:
            if kind == "live":
                fn()
                continue
            seg = next(accs)
            before = [t.grad for t, _, _ in seg]
            for (t, buf, bound), prev in zip(seg, before):
                if prev is bound:
                    self._saved[id(buf)] = buf.copy()
            next(graphs).launch()
            self._fix_grads(seg, before)
        return self.output()


class _EmulatedGraph:
    """Stands in for a CUDA graph where there is none: re-runs the stretch, then copies each result into the
    array the capture produced, so later stretches and outputs read fixed buffers, as in a real graph."""

    def __init__(self, fn: Callable, names: tuple[str, ...], ns: dict[str, Any], inputs: list[Tensor]) -> None:
        self.fn, self.names, self.ns, self.inputs = fn, names, ns, inputs
        self.buffers = {n: ns[n] for n in names}

    def launch(self) -> None:
        self.fn(*self.inputs)
        ns = self.ns
        for n, buf in self.buffers.items():
            # A read-only result (a broadcast view of a temporary) has no memory of its own to fix; on a GPU
            # its base would be rewritten in place, here it is simply the new view.
            if ns[n] is not buf and getattr(buf, "flags", None) is not None and buf.flags.writeable:
                buf[...] = ns[n]
                ns[n] = buf


def _signature(args: tuple, kwargs: dict) -> tuple[tuple, list[Tensor]]:
    """The cache key of a call (tensor shapes/dtypes/array types/requires_grad, other values) and its tensors."""
    key: list[Any] = [STATE.grad_enabled]
    tensors: list[Tensor] = []
    items = enumerate(args) if not kwargs else itertools.chain(enumerate(args), sorted(kwargs.items()))
    for name, a in items:
        if isinstance(a, Tensor):
            d = a._data
            tensors.append(a)
            key.append((d.shape, d.dtype, type(d), a.requires_grad))
            continue
        try:
            hash(a)
        except TypeError:
            raise TypeError(f"mg.jit: argument {name!r} ({type(a).__name__}) is neither a Tensor nor hashable; "
                            "pass tensors directly and other arguments as plain values") from None
        key.append((name, type(a), a))
    return tuple(key), tensors


class _Entry:
    __slots__ = ("calls", "program")

    def __init__(self) -> None:
        self.calls, self.program = 0, None


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
        self._cache: OrderedDict[tuple, _Entry] = OrderedDict()
        self.captures = 0  # how many recordings were made (a test can check nothing re-records)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if STATE.tracer is not None:  # called inside another capture: becomes part of that recording
            return self.fn(*args, **kwargs)
        key, tensors = _signature(args, kwargs)
        entry = self._cache.get(key)
        if entry is None:
            entry = self._cache[key] = _Entry()
            while len(self._cache) > self.max_captures:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        if entry.program is not None:
            try:
                return entry.program.run(tensors, self.graphs)
            except _Recapture:
                entry.program = None
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
        self.captures += 1
        return out, tracer.finish(out, len(tensors))

    def source(self, *args: Any, **kwargs: Any) -> str:
        """The generated replay code of the capture that a call with these arguments would use."""
        entry = self._cache.get(_signature(args, kwargs)[0])
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
    recording, and later calls replay the recording (see this module's docstring for what can be captured).
    ``cuda_graphs``: None (default) replays through CUDA graphs when every tensor involved is on cupy; False
    never does.
    """
    if fn is None:
        return lambda f: Jit(f, warmup=warmup, max_captures=max_captures, cuda_graphs=cuda_graphs)
    return Jit(fn, warmup=warmup, max_captures=max_captures, cuda_graphs=cuda_graphs)
