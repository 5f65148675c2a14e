"""Array backends: a backend is a name and an array module (``xp``).

"numpy" (alias "cpu") runs on the host; "cupy" (alias "cuda") on an NVIDIA GPU. Op code never imports either
module: it takes ``xp`` from its input arrays (see :func:`array_module`), so one implementation serves both.
CuPy is imported lazily, the first time a CuPy backend is asked for, so `import minigrad` stays cheap and works
without it.
"""
from __future__ import annotations

import contextlib
import os
from types import ModuleType
from typing import NamedTuple

import numpy

__all__ = ["Backend", "BackendError", "get_backend", "backend_of", "array_module", "cupy_available", "ignore_overflow",
           "set_default_backend", "get_default_backend", "ARRAY_TYPES"]


class BackendError(RuntimeError):
    """A backend was asked for that is unknown or unusable here (e.g. CuPy without a GPU)."""


class Backend(NamedTuple):
    name: str
    xp: ModuleType


_ALIASES = {"numpy": "numpy", "np": "numpy", "cpu": "numpy",
            "cupy": "cupy", "cp": "cupy", "cuda": "cupy", "gpu": "cupy"}
_NUMPY = Backend("numpy", numpy)
_cupy_backend: Backend | None = None

# Types that Tensor.data may hold without conversion; cupy.ndarray joins once CuPy is loaded.
ARRAY_TYPES: set[type] = {numpy.ndarray}


def _load_cupy() -> Backend:
    """Import CuPy and check that it sees a CUDA device; one clear error if not."""
    global _cupy_backend
    if _cupy_backend is not None:
        return _cupy_backend
    try:
        import cupy
    except ImportError as e:
        raise BackendError(
            "the 'cupy' backend needs CuPy, which is not installed "
            f"({e}). Install it with: pip install -e \".[gpu]\" (CuPy for CUDA 12), "
            "or use the 'numpy' backend.") from e
    try:
        n = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:  # CUDARuntimeError, missing driver, ...
        raise BackendError(f"CuPy is installed but no usable CUDA device was found ({e}); "
                           "use the 'numpy' backend on this machine.") from e
    if n < 1:
        raise BackendError("CuPy is installed but sees no CUDA device; use the 'numpy' backend on this machine.")
    ARRAY_TYPES.add(cupy.ndarray)
    _cupy_backend = Backend("cupy", cupy)
    return _cupy_backend


def get_backend(name: str | Backend | None = None) -> Backend:
    """Look a backend up by name or alias ("numpy"/"cpu", "cupy"/"cuda"); None gives the default."""
    if name is None:
        return get_backend(_default)
    if isinstance(name, Backend):
        return name
    canonical = _ALIASES.get(str(name).lower())
    if canonical is None:
        raise BackendError(f"unknown backend {name!r}: expected one of 'numpy' (alias 'cpu') or 'cupy' (alias 'cuda')")
    return _NUMPY if canonical == "numpy" else _load_cupy()


def cupy_available() -> bool:
    """True when CuPy imports and sees at least one CUDA device."""
    try:
        _load_cupy()
    except BackendError:
        return False
    return True


def backend_of(array) -> str:
    """The backend name of an array: "cupy" for cupy.ndarray, "numpy" for anything else."""
    return "cupy" if type(array).__module__.startswith("cupy") else "numpy"


_module_of_type: dict[type, ModuleType] = {numpy.ndarray: numpy}


def array_module(array) -> ModuleType:
    """The array module (numpy or cupy) that ``array`` belongs to: the ``xp`` of op code."""
    xp = _module_of_type.get(type(array))
    if xp is None:  # first array of a new type: a NumPy scalar, a cupy.ndarray, ...
        xp = _load_cupy().xp if type(array).__module__.startswith("cupy") else numpy
        _module_of_type[type(array)] = xp
    return xp


def ignore_overflow(xp: ModuleType) -> contextlib.AbstractContextManager:
    """Silence floating-point overflow warnings where an op relies on inf (NumPy's errstate); CuPy's kernels
    raise no such warnings, so there it does nothing."""
    return numpy.errstate(over="ignore") if xp is numpy else contextlib.nullcontext()


def _check_name(name: str) -> str:
    return get_backend(name).name


_default = _ALIASES.get(os.environ.get("MINIGRAD_BACKEND", "numpy").lower(), None)
if _default is None:
    raise BackendError(f"MINIGRAD_BACKEND={os.environ['MINIGRAD_BACKEND']!r} is not a backend: "
                       "expected 'numpy' (alias 'cpu') or 'cupy' (alias 'cuda')")


def set_default_backend(name: str) -> None:
    """Backend for new tensors created without ``backend=`` (initially $MINIGRAD_BACKEND or "numpy")."""
    global _default
    _default = _check_name(name)


def get_default_backend() -> str:
    return _default
