"""Grad mode: whether ops record graph nodes. Per thread, as in PyTorch (the flag lives in ``_state``)."""
from __future__ import annotations

import functools
import inspect
from typing import Any, Callable

from .._state import STATE

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled"]


def is_grad_enabled() -> bool:
    return STATE.grad_enabled


class _Mode:
    """``with _Mode(mode):`` sets grad mode and restores the previous one (no decorator machinery)."""
    __slots__ = ("mode", "prev")

    def __init__(self, mode: bool) -> None:
        self.mode = mode

    def __enter__(self) -> None:
        self.prev, STATE.grad_enabled = STATE.grad_enabled, self.mode

    def __exit__(self, *exc: Any) -> None:
        STATE.grad_enabled = self.prev


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
            prev, STATE.grad_enabled = STATE.grad_enabled, mode
            try:
                return fn(*args, **kwargs)
            finally:
                STATE.grad_enabled = prev
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
        self.prev = STATE.grad_enabled
        if self.mode is not None:
            STATE.grad_enabled = self.mode

    def __call__(self, fn: Callable) -> Callable:
        if self.mode is None:
            return fn
        return super().__call__(fn)


class set_grad_enabled(_GradMode):
    """``mg.set_grad_enabled(False)`` switches grad mode off at once; as a context manager it restores the
    previous mode on exit, and as a decorator it sets the mode only while the function runs (PyTorch's
    semantics: decorating does not change the mode of the code around it)."""

    def __init__(self, mode: bool) -> None:
        if not isinstance(mode, (bool, int)) or callable(mode):
            raise TypeError(f"set_grad_enabled(mode): mode must be a bool, got {mode!r}")
        self.mode = bool(mode)
        self.prev, STATE.grad_enabled = STATE.grad_enabled, self.mode

    def __enter__(self) -> None:
        STATE.grad_enabled = self.mode

    def __call__(self, fn: Callable) -> Callable:
        STATE.grad_enabled = self.prev  # the constructor switched the mode; a decorator must not have done that
        return super().__call__(fn)
