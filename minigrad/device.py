"""PyTorch's device model on top of minigrad's backends: ``mg.device``, ``mg.cuda``, ``mg.set_default_device``.

A device names where data lives ("cpu", "cuda", "cuda:0"); a backend is the array library that holds it there.
"cpu" is the NumPy backend and "cuda" the CuPy one. When the tensor at hand (or the default backend) already
lives on the asked-for kind of device, its backend is kept, so ``t.to(t.device)`` never changes a tensor's
backend (the test suite's strict host backend is a "cpu" backend too). The backend names ("numpy", "cupy",
...) keep working wherever a device is accepted.
"""
from __future__ import annotations

import sys
import types
from typing import Any

from .backend import Backend, BackendError, _backends, _load_cupy, get_backend, get_default_backend, \
    set_default_backend

__all__ = ["device", "device_of", "as_device", "backend_for", "resolve_backend", "set_default_device", "get_default_device",
           "cuda"]

_TYPES = {"cpu": "numpy", "cuda": "cupy"}  # device type -> the backend that stands for it


class device:
    """``device("cpu")``, ``device("cuda")``, ``device("cuda:0")``, ``device("cuda", 0)``, ``device(type="cuda")``.

    Compares equal to another device or a string when the types match and the indices match or either has
    none (minigrad drives one GPU, so "cuda" and "cuda:0" are the same place).
    """
    __slots__ = ("type", "index")

    def __init__(self, type: "str | device", index: int | None = None) -> None:  # noqa: A002 (PyTorch's name)
        if isinstance(type, device):
            if index is not None:
                raise TypeError("device(): an index can't be given with a device")
            type, index = type.type, type.index
        elif isinstance(type, Backend):
            type = type.device
        if not isinstance(type, str):
            raise TypeError(f"device(): expected a string such as 'cpu' or 'cuda:0', got {type!r:.60} "
                            f"({builtins_type(type).__name__})")
        text = type.strip()
        name, sep, idx = text.partition(":")
        if sep:
            if index is not None:
                raise RuntimeError(f"device(): type (string) must not include an index because index was passed "
                                   f"explicitly: {text}")
            if not idx.isdigit():
                raise RuntimeError(f"device(): invalid device string {text!r}: the index after ':' must be a "
                                   "non-negative integer")
            index = int(idx)
        name = name.lower()
        if name not in _TYPES:
            name = _backend_device(name, text)
        if index is not None:
            if not isinstance(index, int) or isinstance(index, bool) or index < 0:
                raise RuntimeError(f"device(): the index must be a non-negative int, got {index!r}")
            if name == "cuda" and index != 0:
                raise RuntimeError(f"device(): minigrad drives one GPU (cuda:0, CuPy's current device); "
                                   f"got {text!r} with index {index}")
        object.__setattr__(self, "type", name)
        object.__setattr__(self, "index", index)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("device objects are immutable")

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (str, Backend)):
            try:
                other = device(other)
            except (RuntimeError, TypeError):
                return False
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and (self.index is None or other.index is None or self.index == other.index)

    def __hash__(self) -> int:  # by type only: "cuda" and "cuda:0" are equal, so they must hash alike
        return hash(self.type)

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        return f"device(type={self.type!r})" if self.index is None else \
            f"device(type={self.type!r}, index={self.index})"

    def __reduce__(self):
        return (device, (self.type, self.index))


builtins_type = type  # `type` is the constructor's argument name inside device.__init__


def _backend_device(name: str, text: str) -> str:
    """A backend name used as a device ("numpy", "cupy", "np", a registered one): the device it lives on."""
    try:
        return get_backend(name).device
    except BackendError as e:
        if "unknown backend" not in str(e):  # cupy asked for by name on a machine without it: the device is known
            return "cuda"
        raise RuntimeError(f"device(): expected a device type 'cpu' or 'cuda' (optionally ':0'), or a backend "
                           f"name, at the start of the device string, got {text!r}") from None


_DEVICE_OF: dict[str, device] = {}


def device_of(be: Backend) -> device:
    """The device a backend's arrays live on (CUDA devices with their index, as PyTorch's ``t.device``)."""
    d = _DEVICE_OF.get(be.device)
    if d is None:
        d = _DEVICE_OF[be.device] = device(be.device, 0 if be.device == "cuda" else None)
    return d


def as_device(d: "str | device | Backend | int") -> device:
    """Any device-like argument as a :class:`device` (an int is a CUDA index, as in PyTorch)."""
    if isinstance(d, device):
        return d
    if isinstance(d, int) and not isinstance(d, bool):
        return device("cuda", d)
    return device(d)


def backend_for(where: "str | device | Backend", current: Backend | None = None) -> Backend:
    """The backend that holds data on ``where``: a backend name or Backend as it is; for a device, the
    ``current`` backend (of the tensor being moved) if it lives there, else the default backend if it does,
    else NumPy for "cpu" and CuPy for "cuda"."""
    if isinstance(where, Backend):
        return where
    if isinstance(where, str):
        head = where.partition(":")[0].strip().lower()
        if head not in _TYPES:  # a backend name ("numpy", "cupy", "strict", ...)
            try:
                return get_backend(head)
            except BackendError as e:
                if "unknown backend" in str(e):
                    as_device(where)  # raises the device error, naming the string
                raise
    dev = as_device(where)
    if current is not None and current.device == dev.type:
        return current
    default = get_backend(None)
    if default.device == dev.type:
        return default
    if dev.type in _TYPES:
        return get_backend(_TYPES[dev.type])
    return next(be for be in list(_backends.values()) if be.device == dev.type)  # a registered backend's device


def resolve_backend(fn: str, backend: Any, device_: Any) -> Backend | None:
    """A factory's ``backend=`` and ``device=`` as one Backend (None: the default). Both given must agree."""
    if device_ is None:
        return None if backend is None else get_backend(backend)
    b = backend_for(device_)
    if backend is not None and get_backend(backend) is not b:
        raise ValueError(f"{fn}(): backend={backend!r} and device={str(device_)!r} disagree; pass one of them")
    return b


def set_default_device(d: "str | device | Backend | None") -> None:
    """Device of new tensors made without ``device=`` ("cpu" or "cuda"; None means "cpu"). The same state as
    :func:`minigrad.set_default_backend`: "cuda" makes CuPy the default backend, "cpu" NumPy."""
    if d is None:
        d = "cpu"
    be = backend_for(d)
    set_default_backend(be)


def get_default_device() -> device:
    """The device of new tensors made without ``device=``."""
    return device(get_backend(get_default_backend()).device)


# --------------------------------------------------------------------- mg.cuda
def _is_available() -> bool:
    """True when CuPy imports and sees at least one CUDA device; never raises."""
    if "cupy" in _backends:
        return True
    try:
        _load_cupy()
    except Exception:  # BackendError, or anything a broken CUDA install throws while CuPy probes it
        return False
    return True


def _device_count() -> int:
    """How many CUDA devices CuPy sees (0 without CuPy or a driver); minigrad computes on the first."""
    if not _is_available():
        return 0
    return int(_backends["cupy"].xp.cuda.runtime.getDeviceCount())


def _synchronize(device: Any = None) -> None:
    """Wait for queued GPU work to finish (as torch.cuda.synchronize)."""
    _cupy_backend().synchronize()


def _current_device() -> int:
    _cupy_backend()
    return 0


def _get_device_name(device: Any = None) -> str:
    cp = _cupy_backend().xp
    props = cp.cuda.runtime.getDeviceProperties(cp.cuda.Device().id)
    name = props["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def _cupy_backend() -> Backend:
    try:
        return _load_cupy()
    except BackendError as e:
        raise RuntimeError(f"minigrad.cuda: no CUDA device is usable here ({e})") from None


cuda = types.ModuleType("minigrad.cuda", "PyTorch's torch.cuda queries, answered by CuPy.")
cuda.is_available = _is_available
cuda.device_count = _device_count
cuda.synchronize = _synchronize
cuda.current_device = _current_device
cuda.get_device_name = _get_device_name
sys.modules.setdefault("minigrad.cuda", cuda)  # so `import minigrad.cuda` and `from minigrad.cuda import ...` work
