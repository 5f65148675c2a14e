"""Which device each framework runs on for ``--backend numpy|cupy``, and how to synchronise it.

GPU timings are only honest with device synchronisation inside the timed region: kernels launch
asynchronously, so without it we would time the launches, not the work.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from minigrad.backend import BackendError, get_backend


@dataclass
class Device:
    backend: str                      # minigrad backend: "numpy" | "cupy"
    xp: Any                           # array module for the hand-written NumPy/CuPy step
    mg_sync: Callable[[], None] | None
    torch_device: str | None          # "cpu" | "cuda" | None (no torch, or no CUDA torch for --backend cupy)
    torch_sync: Callable[[], None] | None
    torch_note: str | None            # why torch is missing, when it is


def torch_missing_reason() -> str | None:
    try:
        import torch  # noqa: F401
    except ImportError:
        return "PyTorch is not installed: PyTorch competitors skipped (pip install torch to add them)"
    return None


def cupy_missing_reason() -> str | None:
    """None when CuPy and a GPU are usable, else minigrad's message saying what is missing."""
    try:
        get_backend("cupy")
    except BackendError as e:
        return str(e)
    return None


def resolve(backend: str) -> Device:
    """The Device for a backend name; raises RuntimeError with a clear message when cupy is unusable."""
    torch_note = torch_missing_reason()
    if backend == "numpy":
        return Device("numpy", get_backend("numpy").xp, None, None if torch_note else "cpu", None, torch_note)
    if backend != "cupy":
        raise ValueError(f"unknown backend {backend!r}: choose numpy or cupy")
    reason = cupy_missing_reason()
    if reason:
        raise RuntimeError(reason)
    be = get_backend("cupy")
    mg_sync = be.synchronize
    torch_device, torch_sync = None, None
    if torch_note is None:
        import torch

        if torch.cuda.is_available():
            torch_device, torch_sync = "cuda", torch.cuda.synchronize
        else:
            torch_note = "PyTorch has no CUDA here (CPU-only build or no GPU): PyTorch competitors skipped"
    return Device("cupy", be.xp, mg_sync, torch_device, torch_sync, torch_note)
