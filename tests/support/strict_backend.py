"""A test-only array backend, "strict": NumPy underneath, CuPy's manners on top.

CI has no GPU, so code that only works because NumPy is lenient would first fail on a GPU. This backend runs
on any machine and refuses what CuPy refuses, so such code fails in CI instead:

- Its arrays are :class:`StrictArray`, a wrapper (not an ndarray subclass), so nothing treats them as NumPy
  arrays by accident. ``numpy.asarray(a)`` / ``a.__array__()`` raise ``TypeError`` (CuPy: "Implicit conversion
  to a NumPy array is not allowed"); the only way to the host is :meth:`StrictBackend.to_host`, the only way in
  is :meth:`StrictBackend.from_host` or the namespace's ``asarray``/``array``. There is no ``.get()``: code must
  go through the Backend, not through CuPy's own method.
- A plain ``numpy.ndarray`` operand (arithmetic, ufuncs, namespace functions, assigned values) is a
  ``TypeError``, as CuPy rejects host arrays in device kernels; so are lists as ufunc operands.
- ``xp.where(cond, x, y)`` needs ``cond`` to be an array: CuPy calls ``condition.astype('?')``, so a Python bool
  fails there. Functions that CuPy implements by calling a method of their first argument (``xp.sum(a)`` is
  ``a.sum()``, ``xp.reshape``, ``xp.max``, ``xp.broadcast_to``, ...) need that argument to be an array too, and
  ``concatenate``/``stack`` need arrays in their sequence.
- Every result is an array: reductions, ``a[i]`` on a 1-d array and iteration give 0-d arrays, never NumPy
  scalars (CuPy's rule; NumPy gives scalars). ``item()``, ``tolist()``, ``float()``, ``int()`` and ``bool()``
  still give Python values, as on CuPy (each is an explicit, synchronising read).
- CUDA's stream-capture rules, while mg.jit emulates a graph capture (``StrictBackend.capture_rules()``): every
  host synchronisation raises, as ``cudaStreamBeginCapture`` makes it fail on a GPU: ``item()``, ``tolist()``,
  ``float()``/``int()``/``bool()``/``__index__``, ``repr``, ``to_host()``, copies from host memory
  (``from_host()``, ``xp.asarray(host data)``), boolean-mask indexing and functions whose result size depends
  on the values (``nonzero``, ``unique``, ...).

Registered only by the test suite (tests/conftest.py); minigrad itself never imports this file.
"""
from __future__ import annotations

import contextlib
import operator
import types
from typing import Any

import numpy

from minigrad.backend import Backend

__all__ = ["StrictArray", "StrictBackend", "xp", "BACKEND"]

_IMPLICIT = ("Implicit conversion to a NumPy array is not allowed (strict backend, like CuPy): "
             "use the backend's to_host() explicitly")


# An emulated CUDA stream capture is in progress (StrictBackend.capture_rules): host synchronisation raises.
_CAPTURE = [False]
_DATA_DEPENDENT = frozenset({"nonzero", "flatnonzero", "argwhere", "unique", "extract", "compress"})


def _sync(where: str) -> None:
    """CUDA refuses host synchronisation while a stream is being captured (cudaErrorStreamCaptureUnsupported):
    so does the strict backend while mg.jit emulates a capture."""
    if _CAPTURE[0]:
        raise RuntimeError(f"strict backend: {where} synchronises with the host, which a CUDA stream capture "
                           "refuses (cudaErrorStreamCaptureUnsupported)")


def _host_error(where: str) -> TypeError:
    return TypeError(f"strict backend: {where} got a numpy.ndarray; a host array must be moved explicitly with the "
                     "backend's from_host()/asarray() (CuPy rejects host arrays here too)")


def _scalar(x: Any) -> bool:
    return isinstance(x, (bool, int, float, complex, numpy.generic))


def _wrap(r: Any) -> Any:
    """NumPy results as strict arrays: arrays and NumPy scalars both become StrictArray (0-d for scalars)."""
    if isinstance(r, numpy.ndarray):
        return StrictArray(r)
    if isinstance(r, numpy.generic):
        return StrictArray(numpy.asarray(r))
    if isinstance(r, tuple):
        return tuple(_wrap(x) for x in r)
    if isinstance(r, list):
        return [_wrap(x) for x in r]
    return r


def _unwrap(x: Any, where: str) -> Any:
    """Arguments for NumPy: strict arrays unwrapped (also inside tuples and lists); host arrays refused."""
    if type(x) is StrictArray:
        return x._a
    if isinstance(x, numpy.ndarray):
        raise _host_error(where)
    if isinstance(x, (tuple, list)):
        return type(x)(_unwrap(v, where) for v in x)
    return x


def _operand(x: Any, where: str) -> Any:
    """An operand of an elementwise kernel: a strict array or a scalar, nothing else (CuPy's ufunc rule)."""
    if type(x) is StrictArray:
        return x._a
    if _scalar(x):
        return x
    if isinstance(x, numpy.ndarray):
        raise _host_error(where)
    raise TypeError(f"strict backend: {where} got an operand of type {type(x).__name__}; CuPy accepts only its "
                    "arrays and scalars here")


def _device_free(x: Any) -> Any:
    """Host data with any strict arrays inside it (e.g. a list of 0-d arrays) replaced by their NumPy arrays."""
    if type(x) is StrictArray:
        return x._a
    if isinstance(x, (tuple, list)):
        return type(x)(_device_free(v) for v in x)
    return x


def _index(i: Any) -> Any:
    """Indices may be ints, slices, None, Ellipsis, strict arrays, and (as CuPy converts them) lists."""
    if type(i) is StrictArray:
        return i._a
    if isinstance(i, tuple):
        return tuple(_index(v) for v in i)
    return i


class StrictArray:
    """An n-d array of the strict backend: a NumPy array inside, CuPy's rules outside."""
    __slots__ = ("_a",)

    def __init__(self, a: numpy.ndarray) -> None:
        if type(a) is not numpy.ndarray:
            raise TypeError(f"StrictArray wraps a numpy.ndarray, got {type(a).__name__}")
        self._a = a

    # ----------------------------------------------------------- no implicit host conversion
    def __array__(self, *args: Any, **kwargs: Any):
        raise TypeError(_IMPLICIT)

    def __array_ufunc__(self, ufunc: numpy.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        # numpy.exp(strict) dispatches here, as numpy.exp(cupy_array) dispatches to CuPy; host arrays are refused.
        where = f"numpy.{ufunc.__name__}"
        args = [_operand(x, where) for x in inputs]
        if "out" in kwargs:
            kwargs["out"] = tuple(_operand(o, where) for o in kwargs["out"])
        return _wrap(getattr(ufunc, method)(*args, **kwargs))

    def __array_function__(self, func: Any, types_: Any, args: Any, kwargs: Any) -> Any:
        return _call(func, func.__name__, args, kwargs)

    # ----------------------------------------------------------- attributes and methods
    shape = property(lambda self: self._a.shape)
    ndim = property(lambda self: self._a.ndim)
    dtype = property(lambda self: self._a.dtype)
    size = property(lambda self: self._a.size)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    strides = property(lambda self: self._a.strides)
    flags = property(lambda self: self._a.flags)
    T = property(lambda self: StrictArray(self._a.T))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # __array_interface__, __array_struct__, __dlpack__, ...: no back doors to host
            raise AttributeError(name)
        attr = getattr(self._a, name)  # AttributeError for names ndarray lacks (get, ...)
        if not callable(attr):
            return _wrap(attr)
        where = f"StrictArray.{name}"

        def method(*args: Any, **kwargs: Any) -> Any:
            return _wrap(attr(*(_unwrap(a, where) for a in args), **{k: _unwrap(v, where) for k, v in kwargs.items()}))
        return method

    def item(self, *args: Any) -> Any:
        _sync("item()")
        return self._a.item(*args)

    def tolist(self) -> Any:
        _sync("tolist()")
        return self._a.tolist()

    def copy(self, order: str = "C") -> "StrictArray":
        return StrictArray(self._a.copy(order))

    def fill(self, value: Any) -> None:
        self._a.fill(_operand(value, "StrictArray.fill"))

    # ----------------------------------------------------------- Python protocol
    def __len__(self) -> int:
        return len(self._a)

    def __iter__(self):
        return (self[i] for i in range(len(self._a)))  # 0-d arrays, as CuPy yields

    def __bool__(self) -> bool:
        _sync("bool()")
        return bool(self._a)

    def __float__(self) -> float:
        _sync("float()")
        return float(self._a)

    def __int__(self) -> int:
        _sync("int()")
        return int(self._a)

    def __index__(self) -> int:
        _sync("using an array as an index (__index__)")
        return operator.index(self._a)

    def __repr__(self) -> str:
        _sync("repr()")
        return "strict_" + repr(self._a)

    __hash__ = None  # type: ignore[assignment]

    def __getitem__(self, index: Any) -> "StrictArray":
        if _CAPTURE[0] and _boolean_mask(index):
            _sync("indexing with a boolean mask (its result's size depends on the values)")
        return _wrap(self._a[_index(index)])

    def __setitem__(self, index: Any, value: Any) -> None:
        # CuPy fills from a scalar or copies from its own array; a host array (even a list) is refused.
        if type(value) is StrictArray:
            value = value._a
        elif not _scalar(value):
            raise _host_error("__setitem__") if isinstance(value, numpy.ndarray) else TypeError(
                f"strict backend: __setitem__ got a value of type {type(value).__name__}; use an array of this "
                "backend or a scalar")
        self._a[_index(index)] = value


def _boolean_mask(index: Any) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return any(type(i) is StrictArray and i._a.dtype == numpy.bool_ for i in items)


def _binary(ufunc: numpy.ufunc, reflected: bool = False):
    name = f"operator {ufunc.__name__}"

    def op(self: StrictArray, other: Any) -> Any:
        if type(other) is not StrictArray and not _scalar(other):
            if isinstance(other, numpy.ndarray):
                raise _host_error(name)
            return NotImplemented  # e.g. a Tensor: let its reflected method run (CuPy honours __array_priority__)
        o = _operand(other, name)
        return _wrap(ufunc(o, self._a) if reflected else ufunc(self._a, o))
    return op


def _inplace(ufunc: numpy.ufunc):
    def op(self: StrictArray, other: Any) -> StrictArray:
        ufunc(self._a, _operand(other, f"in-place {ufunc.__name__}"), out=self._a)
        return self
    return op


for _name, _uf in [("add", numpy.add), ("sub", numpy.subtract), ("mul", numpy.multiply),
                   ("truediv", numpy.true_divide), ("floordiv", numpy.floor_divide), ("mod", numpy.remainder),
                   ("pow", numpy.power), ("matmul", numpy.matmul), ("and", numpy.bitwise_and),
                   ("or", numpy.bitwise_or), ("xor", numpy.bitwise_xor)]:
    setattr(StrictArray, f"__{_name}__", _binary(_uf))
    setattr(StrictArray, f"__r{_name}__", _binary(_uf, reflected=True))
    if _name != "matmul":
        setattr(StrictArray, f"__i{_name}__", _inplace(_uf))
for _name, _uf in [("eq", numpy.equal), ("ne", numpy.not_equal), ("lt", numpy.less), ("le", numpy.less_equal),
                   ("gt", numpy.greater), ("ge", numpy.greater_equal)]:
    setattr(StrictArray, f"__{_name}__", _binary(_uf))
for _name, _uf in [("neg", numpy.negative), ("pos", numpy.positive), ("abs", numpy.absolute),
                   ("invert", numpy.invert)]:
    setattr(StrictArray, f"__{_name}__", lambda self, _uf=_uf: StrictArray(numpy.asarray(_uf(self._a))))


# ------------------------------------------------------------------- the namespace (xp)
# Functions CuPy implements as a method call on their first argument, or typed on cupy.ndarray: a Python scalar
# (or anything else that is not an array) there fails on CuPy, so it fails here.
_ARRAY_FIRST = frozenset({
    "sum", "mean", "max", "min", "amax", "amin", "argmax", "argmin", "prod", "var", "std", "any", "all",
    "reshape", "transpose", "swapaxes", "moveaxis", "squeeze", "ravel", "clip", "cumsum",
    "broadcast_to", "expand_dims", "take_along_axis", "put_along_axis"})
_ARRAY_SEQUENCE = frozenset({"concatenate", "stack", "hstack", "vstack"})
# Host data in, strict array out: the explicit ways onto the device.
_FROM_HOST = frozenset({"asarray", "array", "asanyarray", "ascontiguousarray"})


def _call(func: Any, name: str, args: tuple, kwargs: dict) -> Any:
    where = f"xp.{name}"
    if name == "where" and len(args) + len(kwargs) > 1:
        cond = args[0] if args else kwargs.get("condition")
        if type(cond) is not StrictArray:
            raise TypeError(f"strict backend: xp.where(condition, x, y) needs condition to be an array of this "
                            f"backend, got {type(cond).__name__} {cond!r} (cupy.where calls condition.astype(); "
                            "compute the choice in Python instead, or pass an array)")
    elif name in _ARRAY_FIRST and args and type(args[0]) is not StrictArray:
        raise TypeError(f"strict backend: {where} needs an array of this backend as its first argument, got "
                        f"{type(args[0]).__name__} (CuPy calls a method of it)")
    elif name in _ARRAY_SEQUENCE and args and not all(type(a) is StrictArray for a in args[0]):
        raise TypeError(f"strict backend: {where} needs a sequence of arrays of this backend")
    if name in _DATA_DEPENDENT:
        _sync(f"{where} (its result's size depends on the values)")
    if name in _FROM_HOST:
        obj, rest = args[0], args[1:]
        own = type(obj) is StrictArray
        if not own:
            _sync(f"{where} of host data (a copy from host memory)")
        # An array of this backend stays on it (copied only when asked or needed); anything else is host data,
        # copied in, so it shares no memory with the host (as a device array would not).
        copy = kwargs.pop("copy", True if name == "array" else None)
        return StrictArray(numpy.array(_device_free(obj), *rest, copy=True if not own else copy, **kwargs))
    out = func(*(_unwrap(a, where) for a in args), **{k: _unwrap(v, where) for k, v in kwargs.items()})
    return _wrap(out)


class _StrictUfunc:
    """A NumPy ufunc with strict operands, and its methods (``xp.add.at`` ...) likewise."""

    def __init__(self, uf: numpy.ufunc) -> None:
        self._uf, self.__name__ = uf, uf.__name__

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        where = f"xp.{self.__name__}"
        if "out" in kwargs:
            out = kwargs["out"]
            kwargs["out"] = tuple(_operand(o, where) for o in out) if isinstance(out, tuple) else _operand(out, where)
        return _wrap(self._uf(*(_operand(a, where) for a in args), **kwargs))

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._uf, name)
        if not callable(attr):
            return attr
        where = f"xp.{self.__name__}.{name}"

        def method(*args: Any, **kwargs: Any) -> Any:
            if name == "at" and type(args[0]) is not StrictArray:
                raise TypeError(f"strict backend: {where} needs an array of this backend to update in place")
            return _wrap(attr(*(_index(a) if i == 1 and name == "at" else _unwrap(a, where)
                                for i, a in enumerate(args)), **kwargs))
        return method


class _Namespace(types.ModuleType):
    """``xp`` of the strict backend: NumPy's names, with strict arguments and strict results."""

    def __init__(self, name: str, module: types.ModuleType) -> None:
        super().__init__(name)
        self._module = module
        self.ndarray = StrictArray

    def __getattr__(self, name: str) -> Any:
        val = getattr(self._module, name)
        if isinstance(val, numpy.ufunc):
            val = _StrictUfunc(val)
        elif isinstance(val, types.ModuleType):
            val = _Namespace(f"{self.__name__}.{name}", val)
        elif callable(val) and not isinstance(val, type) and name not in ("errstate", "iinfo", "finfo", "dtype"):
            func = val

            def val(*args: Any, __f=func, __n=name, **kwargs: Any) -> Any:
                return _call(__f, __n, args, kwargs)
            val.__name__ = name
        setattr(self, name, val)  # cache: the next lookup is a plain attribute
        return val


xp = _Namespace("strict", numpy)


class StrictBackend(Backend):
    """The strict test backend: host transfers only through these two methods."""

    def __init__(self) -> None:
        super().__init__("strict", xp, (StrictArray,), device="strict")

    def to_host(self, a: Any) -> numpy.ndarray:
        _sync("to_host()")
        if type(a) is not StrictArray:
            raise TypeError(f"strict backend: to_host() expects a StrictArray, got {type(a).__name__}")
        return a._a.copy()

    def from_host(self, a: Any, dtype: Any = None) -> StrictArray:
        _sync("from_host() (a copy from host memory)")
        if type(a) is StrictArray:
            raise TypeError("strict backend: from_host() got an array that is already on the strict backend")
        return StrictArray(numpy.array(a, dtype=dtype, copy=True))

    def ignore_overflow(self):
        return numpy.errstate(over="ignore")  # the kernels are NumPy's, so are the warnings

    @contextlib.contextmanager
    def capture_rules(self):
        """An emulated CUDA stream capture: host synchronisation raises until it ends."""
        was, _CAPTURE[0] = _CAPTURE[0], True
        try:
            yield
        finally:
            _CAPTURE[0] = was


BACKEND = StrictBackend()
