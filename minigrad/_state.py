"""Process state that ops, the engine and mg.jit read on every call, kept per thread as PyTorch keeps grad mode.

A leaf module: it imports nothing from minigrad, so every layer can read it without an import cycle. It also
holds what tensors, modules and optimizers ask of an mg.jit capture (:func:`capturing`, :func:`refuse_in_capture`,
:func:`replayed`), which ``minigrad.jit`` re-exports. Each thread starts from the class defaults: gradients on, no
capture in progress.
"""
from __future__ import annotations

import functools
import threading
from typing import Any, Callable

__all__ = ["STATE", "capturing", "refuse_in_capture", "replayed"]


class _ThreadState(threading.local):
    grad_enabled: bool = True
    tracer: Any = None  # the mg.jit recording in progress on this thread, if any (see minigrad/jit)


STATE = _ThreadState()


def capturing() -> bool:
    """True while a jitted function is being recorded on this thread (outside the live calls of :func:`replayed`
    methods)."""
    return STATE.tracer is not None


def refuse_in_capture(what: str) -> None:
    """Raise the error for an operation that a recording cannot replay (host reads, in-place random init, ...)."""
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
