"""Anomaly detection: ``detect_anomaly()`` / ``set_detect_anomaly(True)``, as in PyTorch.

While it is on, every op records the stack of the forward call that created it, and a backward whose result
holds NaN raises a RuntimeError naming the op and printing that stack. Off (the default) it costs nothing:
the recording ``apply`` is swapped in only while anomaly mode is on, and plain ``backward()`` keeps its fast
loop (the NaN check lives in the general walk, engine.run_backward).
"""
from __future__ import annotations

import traceback
import warnings
from typing import Any

from . import engine
from .function import Function

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled"]

_plain_apply = Function.__dict__["apply"]


def _recording_apply(cls: type, *args: Any, **kwargs: Any) -> Any:
    out = _plain_apply.__func__(cls, *args, **kwargs)
    node = out.grad_fn
    if node is not None and type(node) is cls:
        node._anomaly_trace = creation_stack()
    return out


def creation_stack() -> list[str]:
    """The caller's stack without minigrad's own frames at the top (what the user wrote)."""
    stack = traceback.extract_stack()[:-1]
    while stack and "/minigrad/" in stack[-1].filename.replace("\\", "/"):
        stack.pop()
    return traceback.format_list(stack)


def _set(mode: bool) -> None:
    engine.ANOMALY[0] = mode
    Function.apply = classmethod(_recording_apply) if mode else _plain_apply


def is_anomaly_enabled() -> bool:
    return engine.ANOMALY[0]


class set_detect_anomaly:
    """``set_detect_anomaly(True)`` turns anomaly detection on now (process-wide, as PyTorch's flag); as a
    context manager it restores the previous setting on exit."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = engine.ANOMALY[0]
        _set(bool(mode) and bool(check_nan))

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: Any) -> None:
        _set(self.prev)


class detect_anomaly:
    """``with mg.autograd.detect_anomaly():`` record forward stacks and check every backward for NaN."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan

    def __enter__(self) -> None:
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should only be "
                      "enabled for debugging.", stacklevel=2)
        self.prev = engine.ANOMALY[0]
        _set(self.check_nan)

    def __exit__(self, *exc: Any) -> None:
        _set(self.prev)
