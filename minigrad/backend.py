"""Array backends: one :class:`Backend` object per kind of array, and the one place that knows about them.

"numpy" (alias "cpu") runs on the host; "cupy" (alias "cuda") on an NVIDIA GPU. Op code never imports either
module: it takes ``xp`` from its input arrays (see :func:`array_module`), so one implementation serves both.
Everything else that depends on where data lives (copies to and from the host, device synchronisation,
floating-point error state, streams for graph capture) is a method of the array's Backend, found with
:func:`backend_of`. CuPy is imported lazily, the first time a CuPy backend is asked for, so ``import minigrad``
stays cheap and works without it. :func:`register_backend` adds another backend (the test suite registers a
strict NumPy-based one that refuses what CuPy refuses).
"""
from __future__ import annotations

import contextlib
import os
from types import ModuleType
from typing import Any, Callable, ContextManager

import numpy

__all__ = ["Backend", "BackendError", "get_backend", "backend_of", "array_module", "cupy_available", "ignore_overflow",
           "quiet_overflow",
           "set_default_backend", "get_default_backend", "register_backend", "transfer", "ARRAY_TYPES"]


class BackendError(RuntimeError):
    """A backend was asked for that is unknown or unusable here (e.g. CuPy without a GPU)."""


class Backend:
    """A kind of array: its name, its array module ``xp``, the array types it owns, and how data reaches it.

    Subclasses override the data-movement hooks; the defaults are right for a host (NumPy-like) module.
    A Backend compares equal to (and hashes and sorts like) its own name, so ``backend_of(a) == "cupy"`` and
    ``sorted({backend_of(a) for a in arrays})`` read as they should.
    """
    is_host = False  # True only for the backend whose arrays are numpy.ndarray

    def __init__(self, name: str, xp: ModuleType, array_types: tuple[type, ...], device: str = "cpu",
                 aliases: tuple[str, ...] = ()) -> None:
        self.name, self.xp, self.array_types, self.device, self.aliases = name, xp, tuple(array_types), device, aliases

    # ------------------------------------------------------------- data movement
    def to_host(self, a: Any) -> numpy.ndarray:
        """A NumPy copy of ``a`` (never a view: writing to it cannot change ``a``). Synchronises on a device."""
        return numpy.array(a, copy=True)

    def from_host(self, a: Any, dtype: Any = None) -> Any:
        """Host data (a NumPy array, list or scalar) as an array of this backend (a copy on a device)."""
        return self.xp.asarray(a, dtype=dtype)

    def asarray(self, a: Any, dtype: Any = None) -> Any:
        """``a`` as an array of this backend: own arrays pass through (cast if ``dtype`` differs), host data is
        copied in, arrays of another backend go through the host."""
        if type(a) in self.array_types:
            return a if dtype is None or a.dtype == dtype else a.astype(dtype)
        return transfer(a, self) if dtype is None else self.from_host(_host(a), dtype)

    def owns(self, a: Any) -> bool:
        return isinstance(a, self.array_types)

    # ------------------------------------------------------------- execution
    def synchronize(self) -> None:
        """Wait until all work queued on this backend has finished (a no-op on the host)."""

    def ignore_overflow(self) -> ContextManager:
        """Silence floating-point overflow warnings where an op relies on inf (e.g. sigmoid's exp(-x))."""
        return contextlib.nullcontext()

    def stream(self) -> Any:
        """A fresh stream to run (and capture) work on, usable as ``with stream:``; on the host a null context.
        On CuPy it is a non-blocking ``cupy.cuda.Stream`` (``begin_capture`` / ``end_capture`` -> a Graph)."""
        return contextlib.nullcontext()

    def capture(self, stream: Any, fn: Any) -> Any:
        """Run ``fn()`` under graph capture on ``stream`` and return something with ``launch()`` that replays it
        (the capture itself runs nothing: launch once to compute). Only backends with graph support implement it
        (CuPy: ``Stream.begin_capture`` / ``end_capture`` -> a ``cupy.cuda.Graph``); mg.jit uses it."""
        raise NotImplementedError(f"backend {self.name!r} has no graph capture")

    def capture_rules(self) -> ContextManager:
        """While active, what a CUDA stream capture refuses (host synchronisation: reads to the host, implicit
        conversions, ``.item()``, host-to-device copies from host memory) raises, as it would on a GPU. mg.jit
        emulates a graph capture under it; a host backend has no such rules (the strict test backend models
        them)."""
        return contextlib.nullcontext()

    # ------------------------------------------------------------- identity
    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return other == self.name
        return self is other

    def __hash__(self) -> int:
        return hash(self.name)

    def __lt__(self, other: "Backend | str") -> bool:  # sorted() of backends, as of names
        return self.name < str(other)

    def __repr__(self) -> str:
        return f"Backend({self.name!r})"

    def __str__(self) -> str:
        return self.name


class NumpyBackend(Backend):
    is_host = True

    def __init__(self) -> None:
        super().__init__("numpy", numpy, (numpy.ndarray,), "cpu", aliases=("np", "cpu"))

    def to_host(self, a: Any) -> numpy.ndarray:
        return a.copy()

    def from_host(self, a: Any, dtype: Any = None) -> numpy.ndarray:
        return numpy.asarray(a, dtype=dtype)

    def ignore_overflow(self) -> ContextManager:
        return numpy.errstate(over="ignore")


class CupyBackend(Backend):
    """CuPy on the current CUDA device. Host copies go through ``ndarray.get()`` / ``cupy.asarray`` (both
    synchronous); CuPy's kernels raise no floating-point warnings, so ``ignore_overflow`` has nothing to do."""

    def __init__(self, cupy: ModuleType) -> None:
        super().__init__("cupy", cupy, (cupy.ndarray,), "cuda", aliases=("cp", "cuda", "gpu"))

    def to_host(self, a: Any) -> numpy.ndarray:
        return a.get()

    def from_host(self, a: Any, dtype: Any = None) -> Any:
        return self.xp.asarray(a, dtype=dtype)

    def synchronize(self) -> None:
        self.xp.cuda.Device().synchronize()

    def stream(self) -> Any:
        return self.xp.cuda.Stream(non_blocking=True)

    def capture(self, stream: Any, fn: Any) -> Any:
        with stream:
            stream.begin_capture()
            try:
                fn()
            finally:
                graph = stream.end_capture()
        return graph


_NUMPY = NumpyBackend()
_backends: dict[str, Backend] = {"numpy": _NUMPY}  # by canonical name, registered or loaded
_aliases: dict[str, str] = {"numpy": "numpy", "np": "numpy", "cpu": "numpy",
                            "cupy": "cupy", "cp": "cupy", "cuda": "cupy", "gpu": "cupy"}

# Types that Tensor.data may hold without conversion; cupy.ndarray joins once CuPy is loaded.
ARRAY_TYPES: set[type] = {numpy.ndarray}
# The hot path: array type -> Backend / array module, filled as types are first seen.
_backend_of_type: dict[type, Backend] = {numpy.ndarray: _NUMPY}
_module_of_type: dict[type, ModuleType] = {numpy.ndarray: numpy}


def register_backend(backend: Backend) -> Backend:
    """Make ``backend`` known by its name and aliases, and its array types to Tensor and :func:`array_module`.
    Registering a backend of the same name again replaces it."""
    old = _backends.get(backend.name)
    if old is not None and old is not backend:
        for t in old.array_types:
            ARRAY_TYPES.discard(t)
            _backend_of_type.pop(t, None)
            _module_of_type.pop(t, None)
    _backends[backend.name] = backend
    for alias in (backend.name, *backend.aliases):
        _aliases[alias.lower()] = backend.name
    for t in backend.array_types:
        ARRAY_TYPES.add(t)
        _backend_of_type[t] = backend
        _module_of_type[t] = backend.xp
    return backend


def unregister_backend(name: str) -> None:
    """Forget a backend added with :func:`register_backend` (numpy can't be removed)."""
    be = _backends.get(name)
    if be is None or be is _NUMPY:
        return
    del _backends[name]
    for alias in [a for a, n in _aliases.items() if n == name and a not in ("cupy", "cp", "cuda", "gpu")]:
        del _aliases[alias]
    for t in be.array_types:
        ARRAY_TYPES.discard(t)
        _backend_of_type.pop(t, None)
        _module_of_type.pop(t, None)


def _load_cupy() -> Backend:
    """Import CuPy and check that it sees a CUDA device; one clear error if not."""
    be = _backends.get("cupy")
    if be is not None:
        return be
    try:
        import cupy
    except ImportError as e:
        raise BackendError(
            "the 'cupy' backend needs CuPy, which is not installed "
            f"({e}). Install it with: pip install -e \".[gpu]\" (CuPy with its CUDA libraries; needs only an "
            "NVIDIA driver), "
            "or use the 'numpy' backend.") from e
    try:
        n = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:  # CUDARuntimeError, missing driver, ...
        raise BackendError(f"CuPy is installed but no usable CUDA device was found ({e}); "
                           "use the 'numpy' backend on this machine.") from e
    if n < 1:
        raise BackendError("CuPy is installed but sees no CUDA device; use the 'numpy' backend on this machine.")
    return register_backend(CupyBackend(cupy))


def _known() -> str:
    extra = "".join(f", {n!r}" for n in _backends if n not in ("numpy", "cupy"))
    return f"'numpy' (alias 'cpu') or 'cupy' (alias 'cuda'){extra}"


def get_backend(name: str | Backend | None = None) -> Backend:
    """Look a backend up by name or alias ("numpy"/"cpu", "cupy"/"cuda", ...); None gives the default."""
    if name is None:
        name = _default
    if isinstance(name, Backend):
        return name
    canonical = _aliases.get(str(name).lower())
    if canonical is None:
        raise BackendError(f"unknown backend {name!r}: expected one of {_known()}")
    be = _backends.get(canonical)
    return be if be is not None else _load_cupy()


def cupy_available() -> bool:
    """True when CuPy imports and sees at least one CUDA device."""
    try:
        _load_cupy()
    except BackendError:
        return False
    return True


def _lookup(t: type) -> Backend:
    """The Backend of an array type seen for the first time (NumPy scalars and Python numbers are numpy's)."""
    for be in list(_backends.values()):
        if be is not _NUMPY and issubclass(t, be.array_types):
            break
    else:
        be = _load_cupy() if t.__module__.startswith("cupy") else _NUMPY
    _backend_of_type[t] = be
    _module_of_type[t] = be.xp
    return be


def backend_of(array: Any) -> Backend:
    """The Backend that owns ``array`` (anything that is no backend's array, e.g. a float, is numpy's)."""
    be = _backend_of_type.get(type(array))
    return be if be is not None else _lookup(type(array))


def array_module(array: Any) -> ModuleType:
    """The array module (numpy, cupy, ...) that ``array`` belongs to: the ``xp`` of op code. A dict lookup."""
    xp = _module_of_type.get(type(array))
    return xp if xp is not None else _lookup(type(array)).xp


def writable_copy(a: Any) -> Any:
    """A copy of ``a`` that can be written by index: a 0-d result reaches backward rules as a NumPy scalar,
    which has no item assignment."""
    return a.copy() if hasattr(a, "__setitem__") else array_module(a).asarray(a).copy()


def transfer(a: Any, dst: Backend) -> Any:
    """``a`` (an array of any backend, or host data) on backend ``dst``; the same object if it is already there.
    Moves between two devices go through the host."""
    src = backend_of(a)
    if src is dst:
        return a
    return dst.from_host(a if src.is_host else src.to_host(a))


def _host(a: Any) -> Any:
    """Host data for ``a``: device arrays are copied to the host, anything else is returned as it is."""
    src = _backend_of_type.get(type(a))
    return a if src is None or src.is_host else src.to_host(a)


def ignore_overflow(xp: ModuleType | Backend) -> ContextManager:
    """Silence floating-point overflow warnings where an op relies on inf (NumPy's errstate); CuPy's kernels
    raise no such warnings, so there it does nothing. Takes an array module (op code) or a Backend."""
    if xp is numpy:  # first: sigmoid calls this on every forward
        return numpy.errstate(over="ignore")
    if isinstance(xp, Backend):
        return xp.ignore_overflow()
    for be in _backends.values():
        if be.xp is xp:
            return be.ignore_overflow()
    return contextlib.nullcontext()


def quiet_overflow(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator for an op helper ``fn(xp, ...)`` that relies on overflow to inf: each call runs under
    :func:`ignore_overflow`. On NumPy it is numpy.errstate in its decorator form, which skips building and
    entering a context manager per call (~1 us against ~3 us for the whole of a small sigmoid)."""
    quiet = numpy.errstate(over="ignore")(fn)

    def call(xp: Any, *args: Any) -> Any:
        if xp is numpy:
            return quiet(xp, *args)
        with ignore_overflow(xp):
            return fn(xp, *args)

    return call


def _check_name(name: str | Backend) -> str:
    return get_backend(name).name


_default = _aliases.get(os.environ.get("MINIGRAD_BACKEND", "numpy").lower(), None)
if _default is None:
    raise BackendError(f"MINIGRAD_BACKEND={os.environ['MINIGRAD_BACKEND']!r} is not a backend: "
                       "expected 'numpy' (alias 'cpu') or 'cupy' (alias 'cuda')")


def set_default_backend(name: str | Backend) -> None:
    """Backend for new tensors created without ``backend=`` (initially $MINIGRAD_BACKEND or "numpy")."""
    global _default
    _default = _check_name(name)


def get_default_backend() -> str:
    return _default
