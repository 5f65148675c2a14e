"""Tensor factories and minigrad's random generator (PyTorch names and signatures)."""
from __future__ import annotations

from typing import Any, Sequence

import functools
import math
import numbers

import numpy

from . import dtypes
from ._state import STATE
from .backend import Backend, get_backend
from .device import resolve_backend
from ._args import _size_args
from .tensor import Tensor, _host_read, wrap

__all__ = ["zeros", "ones", "full", "empty", "zeros_like", "ones_like", "full_like", "empty_like", "rand_like",
           "randn_like", "randint_like", "randn", "rand", "arange", "from_numpy", "manual_seed", "default_generator",
           "eye", "linspace", "randint"]

# Every factory takes PyTorch's ``device=`` ("cpu", "cuda", "cuda:0", a minigrad.device) and minigrad's older
# ``backend=`` ("numpy", "cupy"); they name the same thing (see device.py), and both given must agree.

# Random numbers are drawn on the host and then moved, so one seed gives the same tensors on every backend.
_generator = numpy.random.default_rng()


def manual_seed(seed: int) -> None:
    """Seed the generator behind randn, rand, uniform_, normal_ and nn's default initialisation."""
    global _generator
    if not _int_like(seed):
        raise TypeError(f"manual_seed(): seed must be an int, got {seed!r:.80} ({type(seed).__name__})")
    if STATE.tracer is not None:  # mg.jit records: every replay seeds again, as eager would
        STATE.tracer.live_call(lambda _, s: manual_seed(s), None, (int(seed),), {})
        return
    _generator = numpy.random.default_rng(int(seed) % 2**64)  # negative seeds wrap, as in PyTorch


def default_generator() -> numpy.random.Generator:
    """The host generator behind every random draw; refuses while mg.jit records (a replay would repeat the
    same numbers)."""
    _host_read("a random draw")
    return _generator


def op_generator() -> numpy.random.Generator:
    """The same generator, for ops that draw inside their ``forward`` (dropout): mg.jit replays a forward, so
    every replay draws afresh, exactly as eager would."""
    return _generator


# --------------------------------------------------------------------- argument checks
def _int_like(v: Any) -> bool:
    """A Python int, a NumPy integer or a 0-d integer Tensor (not a bool), as PyTorch accepts for sizes."""
    if isinstance(v, Tensor):
        return v.ndim == 0 and v.dtype.kind in "iu"
    return isinstance(v, (int, numpy.integer)) and not isinstance(v, (bool, numpy.bool_))


def _check_size(fn: str, size: Any) -> tuple[int, ...]:
    """``size`` as given to a factory (``zeros(2, 3)``, ``zeros((2, 3))``, ``zeros([2, 3])``) as a tuple of ints."""
    dims = _size_args(tuple(size)) if isinstance(size, tuple) else _size_args((size,))
    for n in dims:
        if not _int_like(n):
            raise TypeError(f"{fn}(): size must be a sequence of non-negative ints, got {n!r} "
                            f"({type(n).__name__}) in size {dims!r}")
    out = tuple(int(n) for n in dims)
    if any(n < 0 for n in out):
        raise ValueError(f"{fn}(): size must be non-negative, got {out}")
    if math.prod(out) > _MAX_ELEMENTS:  # NumPy's own refusal ("Maximum allowed dimension exceeded") names nothing
        raise MemoryError(f"{fn}(): size {out} has {math.prod(out)} elements, more than any array can hold")
    return out


_MAX_ELEMENTS = numpy.iinfo(numpy.intp).max


def _check_dtype(fn: str, dtype: Any, floating: bool = False) -> numpy.dtype:
    d = dtypes.as_dtype(dtype)
    if d.kind not in ("f" if floating else "biuf"):
        want = "a floating dtype (float16, float32, float64)" if floating else "a bool, int or float dtype"
        raise TypeError(f"{fn}(): dtype must be {want}, got {d}")
    return d


def _check_number(fn: str, arg: str, v: Any) -> Any:
    """A scalar argument (fill value, arange bound): Python/NumPy number or 0-d Tensor, as a Python number."""
    if isinstance(v, Tensor):
        if v.ndim != 0:
            raise TypeError(f"{fn}(): {arg} must be a number or a 0-d tensor, got a tensor of shape {v.shape}")
        return v.item()
    if isinstance(v, numpy.generic) and v.dtype.kind in "biuf":
        return v.item()
    if not isinstance(v, numbers.Real):
        raise TypeError(f"{fn}(): {arg} must be a real number, got {v!r} ({type(v).__name__})")
    return v


def _where(fn: str, backend: Any, device: Any) -> Backend:
    b = resolve_backend(fn, backend, device)
    return b if b is not None else get_backend(None)


def _recorded(t: Tensor, make: Any, *args: Any) -> Tensor:
    """While mg.jit records, a factory's array is made again by ``make(*args)`` on every replay (fresh, never the
    capture's array)."""
    if STATE.tracer is not None:
        STATE.tracer.factory(t._data, make, *args)
    return t


def _make(array: Any, requires_grad: bool, where: Backend) -> Tensor:
    t = _recorded(wrap(where.from_host(array)), functools.partial(where.from_host, array))
    return t.requires_grad_() if requires_grad else t


def _draw(kind: str, size: tuple[int, ...], dtype: numpy.dtype, where: Backend, *bounds: int) -> Any:
    """Numbers from the generator manual_seed seeds (looked up at each call: a replay draws the next ones)."""
    g = _generator
    host = g.integers(*bounds, size=size) if kind == "integers" else getattr(g, kind)(size)
    return where.from_host(host.astype(dtype))


def _random(kind: str, size: tuple[int, ...], dtype: numpy.dtype, requires_grad: bool, where: Backend,
            *bounds: int) -> Tensor:
    t = wrap(_draw(kind, size, dtype, where, *bounds))
    rec = STATE.tracer
    if rec is not None:  # a replay draws afresh, in eager's sequence (on the host: no CUDA graphs then)
        rec.factory(t._data, _draw, kind, size, dtype, where, *bounds)
        rec.host_random = rec.host_random or kind
    return t.requires_grad_() if requires_grad else t


def _float(dtype: Any, fn: str = "factory", floating: bool = False) -> numpy.dtype:
    return dtypes.get_default_dtype() if dtype is None else _check_dtype(fn, dtype, floating)


def _filled(size: Sequence[int], value: Any, dtype: Any, requires_grad: bool, where: Backend) -> Tensor:
    xp = where.xp
    if math.prod(size) * numpy.dtype(dtype).itemsize > _MAX_ELEMENTS:
        raise MemoryError(f"cannot allocate a {numpy.dtype(dtype)} tensor of size {tuple(size)}: "
                          f"{math.prod(size) * numpy.dtype(dtype).itemsize} bytes")
    try:
        t = _recorded(wrap(xp.full(size, value, dtype=dtype)), xp.full, size, value, dtype)
    except OverflowError:  # PyTorch: "value cannot be converted to type int64_t without overflow"
        raise ValueError(f"fill_value {value!r} cannot be converted to {numpy.dtype(dtype)} without overflow") from None
    return t.requires_grad_() if requires_grad else t


def zeros(*size: int | Sequence[int], dtype: Any = None, requires_grad: bool = False, backend: str | None = None,
          device: Any = None) -> Tensor:
    return _filled(_check_size("zeros", size), 0, _float(dtype, "zeros"), requires_grad,
                   _where("zeros", backend, device))


def ones(*size: int | Sequence[int], dtype: Any = None, requires_grad: bool = False, backend: str | None = None,
         device: Any = None) -> Tensor:
    return _filled(_check_size("ones", size), 1, _float(dtype, "ones"), requires_grad, _where("ones", backend, device))


def empty(*size: int | Sequence[int], dtype: Any = None, requires_grad: bool = False, backend: str | None = None,
          device: Any = None) -> Tensor:
    """A tensor of the given size; minigrad fills it with zeros (PyTorch leaves it uninitialised)."""
    return _filled(_check_size("empty", size), 0, _float(dtype, "empty"), requires_grad,
                   _where("empty", backend, device))


def full(size: Sequence[int], fill_value: float, dtype: Any = None, requires_grad: bool = False,
         backend: str | None = None, device: Any = None) -> Tensor:
    size = _check_size("full", size)
    fill_value = _check_number("full", "fill_value", fill_value)
    if dtype is None:
        dtype = (numpy.bool_ if isinstance(fill_value, bool) else numpy.int64 if isinstance(fill_value, int)
                 else dtypes.get_default_dtype())
    return _filled(size, fill_value, _check_dtype("full", dtype), requires_grad, _where("full", backend, device))


def _like_where(fn: str, t: Tensor, backend: Any, device: Any) -> Backend:
    """A *_like factory's backend: the one asked for, else the input's."""
    if not isinstance(t, Tensor):
        raise TypeError(f"{fn}(): input must be a Tensor, got {type(t).__name__}")
    b = resolve_backend(fn, backend, device)
    return b if b is not None else get_backend(t.backend)


def _like(fn: str, t: Tensor, value: float, dtype: Any, requires_grad: bool, backend: Any, device: Any) -> Tensor:
    where = _like_where(fn, t, backend, device)
    value = _check_number(fn, "fill_value", value)
    return _filled(t.shape, value, t.dtype if dtype is None else _check_dtype(fn, dtype), requires_grad, where)


def zeros_like(input: Tensor, dtype: Any = None, requires_grad: bool = False, backend: str | None = None,
               device: Any = None) -> Tensor:
    return _like("zeros_like", input, 0, dtype, requires_grad, backend, device)


def ones_like(input: Tensor, dtype: Any = None, requires_grad: bool = False, backend: str | None = None,
              device: Any = None) -> Tensor:
    return _like("ones_like", input, 1, dtype, requires_grad, backend, device)


def empty_like(input: Tensor, dtype: Any = None, requires_grad: bool = False, backend: str | None = None,
               device: Any = None) -> Tensor:
    """Like :func:`empty`, of ``input``'s shape (and dtype and device unless given): filled with zeros."""
    return _like("empty_like", input, 0, dtype, requires_grad, backend, device)


def full_like(input: Tensor, fill_value: float, dtype: Any = None, requires_grad: bool = False,
              backend: str | None = None, device: Any = None) -> Tensor:
    return _like("full_like", input, fill_value, dtype, requires_grad, backend, device)


def rand_like(input: Tensor, dtype: Any = None, requires_grad: bool = False, backend: str | None = None,
              device: Any = None) -> Tensor:
    """:func:`rand` of ``input``'s shape, dtype (a floating one) and device unless given."""
    where = _like_where("rand_like", input, backend, device)
    return rand(input.shape, dtype=input.dtype if dtype is None else dtype, requires_grad=requires_grad,
                backend=where)


def randn_like(input: Tensor, dtype: Any = None, requires_grad: bool = False, backend: str | None = None,
               device: Any = None) -> Tensor:
    """:func:`randn` of ``input``'s shape, dtype (a floating one) and device unless given."""
    where = _like_where("randn_like", input, backend, device)
    return randn(input.shape, dtype=input.dtype if dtype is None else dtype, requires_grad=requires_grad,
                 backend=where)


def randint_like(input: Tensor, low: int = 0, high: int | None = None, dtype: Any = None,
                 requires_grad: bool = False, backend: str | None = None, device: Any = None) -> Tensor:
    """:func:`randint` of ``input``'s shape, dtype and device unless given (``randint_like(t, high)`` draws
    from [0, high))."""
    where = _like_where("randint_like", input, backend, device)
    if high is None:
        low, high = 0, low
    return randint(low, high, input.shape, dtype=input.dtype if dtype is None else dtype,
                   requires_grad=requires_grad, backend=where)


def randn(*size: int | Sequence[int], dtype: Any = None, requires_grad: bool = False, backend: str | None = None,
          device: Any = None) -> Tensor:
    """Standard normal samples of the given size, from the generator that manual_seed seeds."""
    size, d = _check_size("randn", size), _float(dtype, "randn", floating=True)
    return _random("standard_normal", size, d, requires_grad, _where("randn", backend, device))


def rand(*size: int | Sequence[int], dtype: Any = None, requires_grad: bool = False, backend: str | None = None,
         device: Any = None) -> Tensor:
    """Uniform samples on [0, 1) of the given size, from the generator that manual_seed seeds."""
    size, d = _check_size("rand", size), _float(dtype, "rand", floating=True)
    return _random("random", size, d, requires_grad, _where("rand", backend, device))


def arange(start: float, end: float | None = None, step: float = 1, dtype: Any = None, requires_grad: bool = False,
           backend: str | None = None, device: Any = None) -> Tensor:
    """Like torch.arange: int64 for integer arguments, the default float dtype otherwise."""
    where = _where("arange", backend, device)
    if end is None:
        start, end = 0, start
    start, end, step = (_check_number("arange", a, v) for a, v in (("start", start), ("end", end), ("step", step)))
    if not all(math.isfinite(v) for v in (start, end, step)):
        raise ValueError(f"arange(): start, end and step must be finite, got {start} -> {end} by {step}")
    if step == 0:
        raise ValueError("arange(): step must be nonzero")
    if (end - start) * step < 0:
        raise ValueError(f"arange(): upper bound and lower bound inconsistent with step sign: {start} -> {end} "
                         f"by {step}")
    if dtype is None:
        integral = all(isinstance(v, int) for v in (start, end, step))
        dtype = numpy.int64 if integral else dtypes.get_default_dtype()
    dtype = _check_dtype("arange", dtype)
    n = math.ceil((end - start) / step)
    if n * dtype.itemsize > _MAX_ELEMENTS:
        raise MemoryError(f"arange(): {start} -> {end} by {step} has {n} elements, more than any array can hold")
    try:
        return _make(numpy.arange(start, end, step, dtype=dtype), requires_grad, where)
    except OverflowError:
        raise ValueError(f"arange(): {start} -> {end} by {step} does not fit in {dtype}") from None


def from_numpy(array: numpy.ndarray) -> Tensor:
    """A numpy-backend tensor that shares memory with ``array`` (no copy, dtype kept)."""
    if not isinstance(array, numpy.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(array).__name__}")
    if array.dtype.kind not in "biuf" or array.dtype.fields is not None:
        raise TypeError(f"from_numpy(): can't make a tensor from an array of dtype {array.dtype}; expected bool, "
                        "int or float")
    return wrap(array)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False,
        backend: str | None = None, device: Any = None) -> Tensor:
    """An n x m (default n x n) matrix with ones on the diagonal, of the default float dtype unless given."""
    where = _where("eye", backend, device)
    for name, v in (("n", n), ("m", m)):
        if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 0):
            raise ValueError(f"eye: {name} must be a non-negative int, got {v!r}")
    xp, d = where.xp, _float(dtype)
    t = _recorded(wrap(xp.eye(n, m, dtype=d)), xp.eye, n, m, d)
    return t.requires_grad_() if requires_grad else t


def linspace(start: float, end: float, steps: int, dtype: Any = None, requires_grad: bool = False,
             backend: str | None = None, device: Any = None) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included (the default float dtype)."""
    where = _where("linspace", backend, device)
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 0:
        raise ValueError(f"linspace: steps must be a non-negative int, got {steps!r}")
    d = _float(dtype)
    values = numpy.linspace(float(start), float(end), steps, dtype=numpy.float64)
    return _make(values.astype(d) if d.kind not in "iu" else numpy.trunc(values).astype(d), requires_grad, where)


def randint(low: int, high: int | None = None, size: Sequence[int] = (), dtype: Any = None,
            requires_grad: bool = False, backend: str | None = None, device: Any = None) -> Tensor:
    """Integers drawn uniformly from [low, high) (``randint(high, size)`` means low = 0), int64 unless
    ``dtype`` says otherwise; from the generator that manual_seed seeds."""
    where = _where("randint", backend, device)
    if high is None or (isinstance(high, (tuple, list)) and size == ()):
        if high is not None:
            size = high
        low, high = 0, low
    if not all(isinstance(v, (int, numpy.integer)) and not isinstance(v, bool) for v in (low, high)):
        raise TypeError(f"randint: low and high must be ints, got {low!r} and {high!r}")
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be greater than low ({low})")
    d = numpy.dtype(numpy.int64) if dtype is None else dtypes.as_dtype(dtype)
    return _random("integers", tuple(_size_args((size,))), d, requires_grad, where, int(low), int(high))
