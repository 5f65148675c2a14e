"""The CUDA-graph back end of a recording: each stretch of array work between two live calls becomes one graph,
captured through the Backend (``Backend.stream()`` / ``Backend.capture()``: CuPy's ``Stream.begin_capture`` /
``end_capture`` and ``Graph.launch``), or emulated on any backend for CI (``Backend.capture_rules()`` makes the
host synchronisations CUDA refuses during a capture raise there too).

A capture that fails never breaks the call: nothing a stretch computes reaches state before its graph has run
(gradients go to private buffers first), so the call goes on with the plain replay from the failed stretch,
giving eager's results with no state applied twice or half; graphs are then off for that capture, and one
warning says why.
"""
from __future__ import annotations

import itertools
import warnings
from typing import Any, Callable

from ..backend import backend_of, get_backend
from ..tensor import Tensor, _adopt
from .record import Entry, Program, Recapture, _compile, _graphless

__all__ = ["Graphs", "all_on", "capture_stretch"]


def all_on(tensors: list[Tensor], captured: list[Tensor], backend: str) -> bool:
    """Whether the call reads any tensor, and every one on ``backend``."""
    return bool(tensors or captured) and all(backend_of(t._data) == backend
                                             for t in itertools.chain(tensors, captured))


def capture_stretch(backend: Any, stream: Any, fn: Callable[[], None], emulate: bool) -> Any:
    """Capture ``fn()`` as a graph on ``stream`` and run it once; return something with ``launch()``. Emulated:
    run ``fn()`` under the backend's capture rules and return a stand-in that re-runs it. (Tests replace this
    function to fail a capture at a chosen stretch.)"""
    if emulate:
        with backend.capture_rules():
            fn()
        return None
    graph = backend.capture(stream, fn)
    graph.launch()
    return graph


class Graphs:
    """The replay as graphs (see the module docstring).

    A graph bakes in addresses, so: inputs are copied into static buffers before each launch; every array the
    capture allocated stays referenced (here, and through the private capture stream whose memory-pool arena
    nothing else allocates from) for the graph's life; gradients the capture created are re-bound to their
    parameters after each launch, and gradients it accumulated into must still be the same arrays; captured
    tensors must still hold the same arrays (they are updated in place). A launch whose preconditions fail runs
    the plain replay instead. Outputs are copied, so returned tensors keep their values. Value checks run after
    their stretch's launch, before the next live call (an optimizer step never sees a bad step's gradients).

    ``emulate=True`` runs the same machinery on any backend, with a "graph" that re-runs the stretch and copies
    its results into the buffers of the capture (fixed addresses, as on a GPU): the CI-testable model of it.
    """

    def __init__(self, program: Program, emulate: bool) -> None:
        self.program, self.emulate = program, emulate
        self.ns = ns = dict(program.ns)
        ns["_gacc"] = self._accumulate
        ns["_adopt"] = lambda a: _adopt(a.copy())
        ns["_graphless"] = lambda a: _graphless(a.copy())
        # ("live", call, result name) | ("graph", graph function, names it binds, plain function, checks function)
        self.items: list[tuple] = []
        self.acc_targets: dict[int, list[str]] = {}  # stretch index -> names of the tensors it accumulates into
        inputs = [e for e in program.entries if e.kind == "input"]  # read afresh in every stretch
        segment: list[Entry] = []
        for e in program.entries + [Entry("live", "", (), ("", ""))]:
            if e.kind == "input":
                continue
            if e.kind != "live":
                segment.append(e)
                continue
            if segment:
                self.items.append(("graph",) + self._segment(inputs + segment, len(self.items)))
                segment = []
            if e.refs[0]:
                self.items.append(("live", ns[e.refs[0]], e.refs[1]))
        self.output = _compile(f"def output():\n    return {program.output}\n", ns, "output")
        self.static: list[Any] = []
        self.stand_ins: list[Tensor] = []
        self.seg_accs: list[list[tuple[Tensor, Any, Tensor]]] = []  # per stretch: (tensor, grad buffer, its Tensor)
        self.graphs: list[Any] = []
        self.keep: list[Any] = []
        self.captured_arrays: list[tuple[Tensor, Any]] = []
        self.capturing = False

    def _segment(self, entries: list[Entry], index: int) -> tuple:
        names = tuple(sorted({n for e in entries if e.kind in ("code", "input") for n in e.binds}))
        params = ", ".join(f"T{i}" for i in range(self.program.n_inputs))
        head = [f"    global {', '.join(names)}"] if names else []
        graph, plain, checks = list(head), list(head), []
        acc = itertools.count()
        for e in entries:
            if e.kind in ("code", "input"):
                graph.append(f"    {e.text}")
            elif e.kind == "acc":
                key = (index, next(acc))
                self.acc_targets.setdefault(index, []).append(e.refs[0])
                graph.append(f"    _gacc({key}, {e.refs[0]}, {e.refs[1]})")
            else:  # a check reads values on the host: after the launch, never inside a capture
                checks.append(f"    {e.text}")
            plain.append(f"    {e.text}")
        compile_ = lambda name, body: _compile(f"def {name}({params}):\n" + "\n".join(body or ["    pass"]) + "\n",
                                               self.ns, name)
        return (compile_(f"seg{index}", graph), names, compile_(f"plain{index}", plain),
                compile_(f"checks{index}", checks))

    # ------------------------------------------------------------------ accumulation into .grad
    def _accumulate(self, key: tuple[int, int], t: Tensor, g: Any) -> None:
        """``_acc`` inside a graph stretch. Capturing: sum every gradient the stretch sends to ``t`` into one buffer
        of its own (eager semantics are restored around each launch by ``_fix_grads``). Emulated launch: the same
        copy (first contribution) or sum (later ones) into that buffer."""
        if self.capturing:
            entry = self._entries.get(id(t))
            if entry is None:
                buf = g.copy()
                entry = self._entries[id(t)] = (t, buf, _adopt(buf))
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
    def capture(self, tensors: list[Tensor]) -> tuple[Any, str | None]:
        """First call after the recording: capture each stretch, run it, and run the live calls between. Returns
        the call's result and, if a capture failed, its cause (the call then finished on the plain replay)."""
        tracer = self.program.tracer
        backend = backend_of((tensors or tracer.captured)[0]._data)
        self.static = [t._data.copy() for t in tensors]
        self.stand_ins = [_adopt(a) for a in self.static]
        for stand_in, t in zip(self.stand_ins, tensors):
            stand_in.requires_grad = t.requires_grad
        self.captured_arrays = [(t, t._data) for t in tracer.captured]
        self.sites: dict[tuple[int, int], tuple[tuple[Tensor, Any, Tensor], bool]] = {}  # _gacc call -> (entry, first?)
        self._saved: dict[int, Any] = {}
        # A private stream: its memory-pool arena holds the graphs' temporaries
        stream = None if self.emulate else get_backend(backend).stream()
        for i, item in enumerate(self.items):
            if item[0] == "live":
                self._live(item)
                continue
            _, fn, names, plain, checks = item
            before = self._grads_before(i)
            self._entries: dict[int, tuple[Tensor, Any, Tensor]] = {}
            self.capturing = True
            try:
                graph = capture_stretch(backend, stream, lambda: fn(*self.stand_ins), self.emulate)
            except Exception as e:  # noqa: BLE001 - whatever CUDA refused: the call goes on without graphs
                return self._finish_plain(i, tensors), f"{type(e).__name__}: {e}"
            finally:
                self.capturing = False
            if graph is None:
                graph = _EmulatedGraph(fn, names, self.ns, self.stand_ins)
            self.graphs.append(graph)
            self.seg_accs.append(list(self._entries.values()))
            self._fix_grads(self.seg_accs[-1], before)
            checks(*tensors)
        # The graphs write into these arrays on every launch: keep them referenced even if a plain replay (a
        # fallback) rebinds the variables or the nodes' saved attributes.
        self.keep = [self.ns[n] for item in self.items if item[0] == "graph" for n in item[2]]
        self.keep += [v for node, _ in self.program.tracer.nodes for v in vars(node).values()]
        return self.output(), None

    def _live(self, item: tuple) -> None:
        r = item[1]()
        if item[2]:
            self.ns[item[2]] = r

    def _finish_plain(self, start: int, tensors: list[Tensor]) -> Any:
        """Stretch ``start`` failed to capture, leaving no trace in state: run it and the rest plainly."""
        for item in self.items[start:]:
            if item[0] == "live":
                self._live(item)
            else:
                item[3](*tensors)
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
            raise Recapture
        for t, array in self.captured_arrays:
            if t._data is not array:  # a tensor was given a new array: the graphs would read the old one
                return self.program.fn(*tensors)
        for static, t in zip(self.static, tensors):
            static[...] = t._data
        graphs = iter(self.graphs)
        accs = iter(self.seg_accs)
        for item in self.items:
            if item[0] == "live":
                self._live(item)
                continue
            seg = next(accs)
            before = [t.grad for t, _, _ in seg]
            for (t, buf, bound), prev in zip(seg, before):
                if prev is bound:
                    self._saved[id(buf)] = buf.copy()
            next(graphs).launch()
            self._fix_grads(seg, before)
            item[4](*tensors)
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
