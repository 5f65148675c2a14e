"""Tensor factories and minigrad's random generator (PyTorch names and signatures)."""
from __future__ import annotations

from typing import Any, Sequence

import numpy

from . import dtypes
from .backend import get_backend
from .tensor import Tensor, _size_args, wrap

__all__ = ["zeros", "ones", "full", "empty", "zeros_like", "ones_like", "full_like", "randn", "rand", "arange",
           "from_numpy", "manual_seed", "default_generator"]

# Random numbers are drawn on the host and then moved, so one seed gives the same tensors on every backend.
_generator = numpy.random.default_rng()


def manual_seed(seed: int) -> None:
    """Seed the generator behind randn, rand, uniform_, normal_ and nn's default initialisation."""
    global _generator
    _generator = numpy.random.default_rng(seed)


def default_generator() -> numpy.random.Generator:
    return _generator


def _make(array: Any, requires_grad: bool, backend: str | None) -> Tensor:
    b = get_backend(backend)
    t = wrap(b.from_host(array))
    return t.requires_grad_() if requires_grad else t


def _float(dtype: Any) -> numpy.dtype:
    return dtypes.get_default_dtype() if dtype is None else dtypes.as_dtype(dtype)


def _filled(size: Sequence[int], value: Any, dtype: Any, requires_grad: bool, backend: str | None) -> Tensor:
    t = wrap(get_backend(backend).xp.full(tuple(int(n) for n in size), value, dtype=dtype))
    return t.requires_grad_() if requires_grad else t


def zeros(*size: int | Sequence[int], dtype: Any = None, requires_grad: bool = False, backend: str | None = None) -> Tensor:
    return _filled(_size_args(size), 0, _float(dtype), requires_grad, backend)


def ones(*size: int | Sequence[int], dtype: Any = None, requires_grad: bool = False, backend: str | None = None) -> Tensor:
    return _filled(_size_args(size), 1, _float(dtype), requires_grad, backend)


def empty(*size: int | Sequence[int], dtype: Any = None, requires_grad: bool = False, backend: str | None = None) -> Tensor:
    return zeros(*size, dtype=dtype, requires_grad=requires_grad, backend=backend)


def full(size: Sequence[int], fill_value: float, dtype: Any = None, requires_grad: bool = False,
         backend: str | None = None) -> Tensor:
    if dtype is None:
        dtype = dtypes.get_default_dtype() if isinstance(fill_value, float) else numpy.asarray(fill_value).dtype
    return _filled(_size_args((size,)), fill_value, dtypes.as_dtype(dtype), requires_grad, backend)


def _like(t: Tensor, value: float, dtype: Any, requires_grad: bool, backend: str | None) -> Tensor:
    return _filled(t.shape, value, t.dtype if dtype is None else dtypes.as_dtype(dtype), requires_grad,
                   backend or t.backend)


def zeros_like(t: Tensor, dtype: Any = None, requires_grad: bool = False, backend: str | None = None) -> Tensor:
    return _like(t, 0, dtype, requires_grad, backend)


def ones_like(t: Tensor, dtype: Any = None, requires_grad: bool = False, backend: str | None = None) -> Tensor:
    return _like(t, 1, dtype, requires_grad, backend)


def full_like(t: Tensor, fill_value: float, dtype: Any = None, requires_grad: bool = False,
              backend: str | None = None) -> Tensor:
    return _like(t, fill_value, dtype, requires_grad, backend)


def randn(*size: int | Sequence[int], dtype: Any = None, requires_grad: bool = False, backend: str | None = None) -> Tensor:
    """Standard normal samples of the given size, from the generator that manual_seed seeds."""
    d = _float(dtype)
    return _make(_generator.standard_normal(_size_args(size)).astype(d), requires_grad, backend)


def rand(*size: int | Sequence[int], dtype: Any = None, requires_grad: bool = False, backend: str | None = None) -> Tensor:
    """Uniform samples on [0, 1) of the given size, from the generator that manual_seed seeds."""
    d = _float(dtype)
    return _make(_generator.random(_size_args(size)).astype(d), requires_grad, backend)


def arange(start: float, end: float | None = None, step: float = 1, dtype: Any = None, requires_grad: bool = False,
           backend: str | None = None) -> Tensor:
    """Like torch.arange: int64 for integer arguments, the default float dtype otherwise."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        integral = all(isinstance(v, int) for v in (start, end, step))
        dtype = numpy.int64 if integral else dtypes.get_default_dtype()
    return _make(numpy.arange(start, end, step, dtype=dtypes.as_dtype(dtype)), requires_grad, backend)


def from_numpy(array: numpy.ndarray) -> Tensor:
    """A numpy-backend tensor that shares memory with ``array`` (no copy, dtype kept)."""
    if not isinstance(array, numpy.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(array).__name__}")
    return wrap(array)
