"""Process state that ops, the engine and mg.jit read on every call, kept per thread as PyTorch keeps grad mode.

A leaf module: it imports nothing from minigrad, so every layer can read it without an import cycle.
Each thread starts from the class defaults: gradients on, no capture in progress.
"""
from __future__ import annotations

import threading
from typing import Any

__all__ = ["STATE"]


class _ThreadState(threading.local):
    grad_enabled: bool = True
    tracer: Any = None  # the mg.jit recording in progress on this thread, if any (see jit.py)


STATE = _ThreadState()
