"""The jit-vs-eager harness: run the same calls eagerly and through mg.jit from the same start, and require the
results and the state they leave to be equal bit for bit."""
from __future__ import annotations

import sys
from typing import Any, Callable

import numpy as np

import minigrad as mg

__all__ = ["host", "assert_jit_matches_eager", "graphs_module"]

graphs_module = sys.modules["minigrad.jit.graphs"]  # `minigrad.jit` the attribute is the function mg.jit


def host(o: Any) -> Any:
    """A call's result as NumPy arrays and plain values, the same nesting."""
    if isinstance(o, mg.Tensor):
        return o.detach().numpy().copy()
    if isinstance(o, (list, tuple)):
        return [host(x) for x in o]
    if isinstance(o, dict):
        return {k: host(v) for k, v in o.items()}
    return o


def _equal(a: Any, b: Any, where: str) -> None:
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape, where
        np.testing.assert_array_equal(a, b, err_msg=where)
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _equal(x, y, f"{where}[{i}]")
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), where
        for k in a:
            _equal(a[k], b[k], f"{where}[{k!r}]")
    else:
        assert a == b or (a != a and b != b), f"{where}: {a!r} != {b!r}"


def assert_jit_matches_eager(build: Callable[[], tuple], calls: int = 6, graphs: str | None = None) -> mg.jit:
    """``build()`` -> (fn, args_of, state, between): a fresh setup from the same seed; ``args_of(i)`` the
    arguments of call i (a tuple, or a (tuple, dict) pair); ``state()`` the tensors to compare after each call
    (parameters, buffers, grads); ``between(i)`` (or None) what the user changes before call i. Runs it eagerly
    and through mg.jit (with ``graphs`` forced: "emulate" or "cuda") and compares every call's result and state.
    Returns the jitted function."""
    traces, run = [], None
    for jitted in (False, True):
        fn, args_of, state, between = build()
        run = mg.jit(fn) if jitted else fn
        if jitted and graphs:
            run.graphs = graphs
        trace = []
        for i in range(calls):
            if between is not None:
                between(i)
            a = args_of(i)
            args, kwargs = a if len(a) == 2 and isinstance(a[1], dict) and isinstance(a[0], tuple) else (a, {})
            trace.append((host(run(*args, **kwargs)), host(list(state()))))
        traces.append(trace)
    for i, (e, j) in enumerate(zip(*traces)):
        _equal(e[0], j[0], f"call {i}: result")
        _equal(e[1], j[1], f"call {i}: state")
    if graphs:
        for entry in run._cache.values():
            assert entry.program is None or entry.graphs is not None, entry.graphs_failed
    return run
