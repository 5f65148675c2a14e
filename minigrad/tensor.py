"""Tensor: an array from a backend plus what autograd needs (requires_grad, grad, grad_fn).

This file holds the core: construction, attributes, backward, conversions, indexing and repr. The op methods
(arithmetic, reductions, shape ops, ...) live in tensor_ops.py and the in-place protocol in tensor_inplace.py;
the op table (optable.py) attaches both to Tensor and generates the ``mg.X`` function forms.
"""
from __future__ import annotations

import builtins
import operator
import warnings
from typing import Any

import numpy

from . import _args, autograd, dtypes
from ._args import _dim
from ._state import STATE, refuse_in_capture
from .backend import ARRAY_TYPES, array_module, backend_of, get_backend
from .device import backend_for, device_of, resolve_backend
from .layout import check_memory_format
from .ops import convert, shape as shape_ops
from .size import Size
from .errors import DimError

__all__ = ["Tensor", "tensor"]

_NOT_FLOAT_GRAD = "only Tensors of floating point dtype can require gradients (got dtype {})"
_DATA_KINDS = "biuf"  # bool, signed and unsigned int, float: what a tensor may hold


class Tensor:
    """An n-dimensional array that can record the operations applied to it.

    ``Tensor(data, requires_grad=False, dtype=None, backend=None, device=None)`` is the same as
    :func:`minigrad.tensor`.
    """
    __slots__ = ("_data", "_grad", "_requires_grad", "grad_fn", "_vc", "_retains_grad", "__weakref__")
    __array_priority__ = 1000  # so ndarray + Tensor defers to Tensor.__radd__

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None, backend: str | None = None,
                 device: Any = None):
        if device is not None:
            backend = resolve_backend("tensor", backend, device)
        self._data = _to_array(data, dtype, backend)
        if STATE.tracer is not None:  # mg.jit records: Python values are a constant, anything else of unknown origin
            if isinstance(data, Tensor) or type(data) in ARRAY_TYPES or isinstance(data, numpy.ndarray):
                STATE.tracer.born(self)
            else:
                STATE.tracer.constant(self)
        self._grad = None
        self.grad_fn = None
        self._vc = [0]  # version counter, shared with views and detach()ed aliases
        self._retains_grad = False
        self._requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # ----------------------------------------------------------------- attributes
    @property
    def data(self) -> "Tensor":
        """This tensor's values as a new tensor outside autograd, sharing its storage (as PyTorch's ``.data``):
        writes through it show in this tensor, are not recorded, and do not bump this tensor's version counter
        (so a graph that saved the values can't notice them: prefer ``detach()``, which shares the counter).

        Assigning ``t.data = value`` (a Tensor or array) replaces the array without recording anything, as in
        PyTorch (shape and dtype may change); it counts as an in-place change, so a graph that saved the old
        values raises at backward. A tensor that requires grad only accepts floating point data.
        """
        return wrap(self._data)

    @data.setter
    def data(self, value) -> None:
        _host_read(".data = ... (rebinding a tensor's array)")
        value = value._data if isinstance(value, Tensor) else value
        if type(value) not in ARRAY_TYPES:
            try:
                value = _coerce(_detached(value) if isinstance(value, (list, tuple)) else value)
            except (ValueError, TypeError, OverflowError) as e:
                raise ValueError(f"Tensor.data: can't make an array from {type(value).__name__} data: {e}") from None
        if value.dtype.kind not in _DATA_KINDS:
            raise TypeError(f"Tensor.data: can't assign data of dtype {value.dtype}; expected bool, int or float")
        if self._requires_grad and value.dtype.kind != "f":
            raise RuntimeError("Tensor.data: this tensor requires grad, and " + _NOT_FLOAT_GRAD.format(value.dtype))
        self._data = value
        self._vc[0] += 1

    # Plain reads are C attrgetters (the engine reads these on every op); writes are checked.
    def _set_requires_grad(self, value: bool) -> None:
        if not isinstance(value, (bool, numpy.bool_)):
            raise TypeError(f"requires_grad must be a bool, got {value!r:.80} ({type(value).__name__})")
        if value:
            if self._data.dtype.kind != "f":
                raise RuntimeError(_NOT_FLOAT_GRAD.format(self._data.dtype))
            self._requires_grad = True
        elif self.grad_fn is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf tensors; use .detach() to get a "
                               "tensor that does not require grad")
        else:
            self._requires_grad = False

    requires_grad = property(operator.attrgetter("_requires_grad"), _set_requires_grad,
                             doc="Whether autograd records ops on this tensor (only floating dtypes may).")

    def _set_grad(self, value: Any) -> None:
        if STATE.tracer is not None:  # mg.jit records: a replay must repeat the assignment
            STATE.tracer.set_grad(self, value)
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type "
                                f"{type(value).__name__}")
            d, g = self._data, value._data
            if type(g) is not type(d):
                raise RuntimeError(f"assigned grad is on backend {backend_of(g)!r} but the tensor is on "
                                   f"{backend_of(d)!r}")
            if g.dtype != d.dtype:
                raise RuntimeError(f"assigned grad has dtype {g.dtype} but the tensor has dtype {d.dtype}")
            if g.shape != d.shape:
                raise RuntimeError(f"assigned grad has shape {tuple(g.shape)} but the tensor has shape "
                                   f"{tuple(d.shape)}")
        self._grad = value

    grad = property(operator.attrgetter("_grad"), _set_grad,
                    doc="The accumulated gradient (a Tensor of this tensor's shape, dtype and backend) or None.")

    @property
    def shape(self) -> Size:
        """The sizes of the dims, as a :class:`minigrad.Size` (a tuple)."""
        return Size._of(self._data.shape)

    def size(self, dim: int | None = None) -> "Size | int":
        """The shape (a :class:`minigrad.Size`), or the size of one ``dim``."""
        if dim is None:
            return Size._of(self._data.shape)
        if not self._data.ndim:
            raise DimError(f"size: dimension {dim!r} given, but a 0-d tensor has no dimensions")
        return self._data.shape[_dim(dim, self._data.ndim)]

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return int(self._data.size)

    def is_contiguous(self, memory_format: Any = None) -> bool:
        """Whether the array is laid out row-major without gaps (PyTorch's contiguous layout)."""
        check_memory_format("is_contiguous", memory_format)
        return bool(self._data.flags.c_contiguous)

    @property
    def dtype(self) -> numpy.dtype:
        return self._data.dtype

    @property
    def backend(self) -> str:
        return backend_of(self._data).name

    @property
    def device(self):
        """Where the data lives, as a :class:`minigrad.device`: ``device(type='cpu')`` for NumPy,
        ``device(type='cuda', index=0)`` for CuPy. It compares equal to "cpu" / "cuda" / "cuda:0"."""
        return device_of(backend_of(self._data))

    @property
    def is_cuda(self) -> bool:
        return backend_of(self._data).device == "cuda"

    @property
    def is_cpu(self) -> bool:
        return backend_of(self._data).device == "cpu"

    @property
    def xp(self):
        """The array module (numpy or cupy) of this tensor's data."""
        return array_module(self._data)

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def _version(self) -> int:
        return self._vc[0]

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        if requires_grad and not dtypes.is_floating(self._data.dtype):
            raise RuntimeError(_NOT_FLOAT_GRAD.format(self._data.dtype))
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError("requires_grad_(False) is only allowed on leaf tensors; use .detach()")
        self._requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward (leaves always keep it)."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on a tensor that has requires_grad=False")
        if self.grad_fn is not None:
            self._retains_grad = True

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    # ----------------------------------------------------------------- autograd
    def backward(self, gradient: Any = None, retain_graph: bool | None = None, create_graph: bool = False,
                 inputs: Any = None) -> None:
        """Compute d(self)/d(leaf) for every leaf that requires grad and add it to ``leaf.grad``.

        ``gradient`` (same shape as self) is the upstream gradient; it may be omitted for one-element tensors.
        ``create_graph=True`` makes the gradients differentiable (``retain_graph`` then defaults to True);
        ``inputs`` limits accumulation to those tensors. See ``mg.autograd.grad`` for gradients without ``.grad``.
        """
        if create_graph or inputs is not None or autograd.engine.general_path():
            return autograd.gradients.backward(self, gradient, retain_graph, create_graph, inputs)
        if not self.requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
        if gradient is None:
            if self._data.size != 1:
                raise RuntimeError(f"grad can be implicitly created only for scalar outputs; this tensor has shape "
                                   f"{self.shape}: pass backward(gradient=...) of that shape")
            g = self.xp.empty_like(self._data)
            g.fill(1)  # two C calls, where ones_like is a Python function around the same two
            if STATE.tracer is not None:  # a replay copies a kept ones array (never handed out): cheaper than ones_like
                STATE.tracer.factory(g, g.copy().copy)
        else:
            try:
                g = gradient._data if isinstance(gradient, Tensor) else _to_array(gradient, self.dtype, self.backend)
            except (ValueError, TypeError) as e:
                raise type(e)(f"backward(): gradient must be a tensor of shape {self.shape}: {e}") from None
            if backend_of(g) != self.backend:
                raise RuntimeError(f"gradient is on backend {backend_of(g).name!r} but the tensor is on {self.backend!r}")
            if g.shape != self.shape:
                raise RuntimeError(f"gradient has shape {tuple(g.shape)} but the tensor has shape {self.shape}")
            if g.dtype != self._data.dtype:  # PyTorch casts: an int, bool or float64 gradient must not leak
                g = g.astype(self._data.dtype)  # its dtype into .grad (a later backward would fail to add)
        if self._retains_grad:  # the root's own gradient is the one given, as in PyTorch
            if STATE.tracer is not None:
                STATE.tracer.accumulate(self, g)  # refuses: a replay could not set it
            autograd.engine._accumulate(self, g)
        autograd.engine.backward(self, g, bool(retain_graph))

    def register_hook(self, hook: Any) -> Any:
        """``hook(grad)`` runs when this tensor's gradient is computed; returning a Tensor replaces the gradient.
        Returns a handle whose ``remove()`` takes the hook out."""
        return autograd.hooks.register_tensor_hook(self, hook)

    def detach(self) -> "Tensor":
        """A new leaf sharing this tensor's data (and version counter), cut from the graph."""
        t = _adopt(self._data)  # the same array: mg.jit knows it as well as this tensor's
        t._vc = self._vc
        return t

    def detach_(self) -> "Tensor":
        self.grad_fn = None
        self._requires_grad = False
        return self

    # ----------------------------------------------------------------- conversion
    def numpy(self, *, force: bool = False) -> numpy.ndarray:
        """The data as a NumPy array: on the CPU the tensor's own array (shared memory, as in PyTorch: writes to
        either show in both), from a device a host copy. Refuses a tensor that requires grad, as PyTorch does
        (``t.detach().numpy()`` says the graph is left); ``force=True`` allows it, as ``t.detach().cpu().numpy()``."""
        _host_read(".numpy()")
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        be = backend_of(self._data)
        return self._data if be.is_host else be.to_host(self._data)

    def __array__(self, dtype=None, copy=None):
        if self._requires_grad:  # np.exp(t) would silently leave the graph
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        a = self.numpy()  # shares memory on the CPU, as PyTorch's __array__ does
        if copy:
            return a.astype(dtype or a.dtype, copy=True)
        if copy is False and dtype is not None and numpy.dtype(dtype) != a.dtype:
            raise ValueError(f"Tensor.__array__: can't convert dtype {a.dtype} to {numpy.dtype(dtype)} without a copy")
        return a if dtype is None else a.astype(dtype, copy=False)

    def item(self) -> float | int | bool:
        _host_read(".item()")
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to a Python scalar")
        return self._data.item()

    def tolist(self):
        _host_read(".tolist()")
        return self._data.tolist()

    def to(self, *args: Any, dtype: Any = None, backend: str | None = None, device: Any = None,
           non_blocking: bool = False, copy: bool = False, memory_format: Any = None) -> "Tensor":
        """PyTorch's forms: ``to(device)``, ``to(dtype)``, ``to(device, dtype)``, ``to(other_tensor)``, each
        optionally followed by ``non_blocking`` and ``copy`` (positional or keyword); backend names ("cupy")
        work as devices. Differentiable. Returns this tensor itself when nothing changes, unless ``copy=True``.
        ``non_blocking`` is accepted and has no effect (copies between host and GPU are synchronous here), as
        is ``memory_format`` (see layout.py)."""
        check_memory_format("to", memory_format)
        where, dtype, non_blocking, copy = _to_args(args, dtype, backend, device, non_blocking, copy)
        out = self
        if where is not None:
            be = backend_for(where, backend_of(self._data))
            if be is not backend_of(self._data):
                out = convert.ToBackend.apply(out, be.name)
        if dtype is not None:
            dtype = dtypes.as_dtype(dtype)
            if dtype.kind not in _DATA_KINDS:
                raise TypeError(f"to(dtype): minigrad tensors hold bool, int or float data, got dtype {dtype}")
            if dtype != out.dtype:
                # An integer or bool result never requires grad (as in PyTorch): its gradient would be zero.
                out = convert.Cast.apply(out if dtype.kind == "f" else out.detach(), dtype)
        if copy and out is self:
            out = self.clone()
        return out

    def float(self, memory_format: Any = None) -> "Tensor":
        return self.to(dtype=numpy.float32, memory_format=memory_format)

    def double(self, memory_format: Any = None) -> "Tensor":
        return self.to(dtype=numpy.float64, memory_format=memory_format)

    def half(self, memory_format: Any = None) -> "Tensor":
        return self.to(dtype=numpy.float16, memory_format=memory_format)

    def long(self, memory_format: Any = None) -> "Tensor":
        """An int64 copy; it never requires grad."""
        return self.to(dtype=numpy.int64, memory_format=memory_format)

    def int(self, memory_format: Any = None) -> "Tensor":
        """An int32 copy; it never requires grad."""
        return self.to(dtype=numpy.int32, memory_format=memory_format)

    def bool(self, memory_format: Any = None) -> "Tensor":
        """A bool copy; it never requires grad."""
        return self.to(dtype=numpy.bool_, memory_format=memory_format)

    def cpu(self) -> "Tensor":
        """This tensor on the CPU (itself if it is there already)."""
        return self.to("cpu")

    def cuda(self, device: Any = None, non_blocking: bool = False) -> "Tensor":
        """This tensor on the GPU, CuPy's backend (itself if it is there already)."""
        if device is not None and not (isinstance(device, int) and not isinstance(device, builtins.bool)) and \
                backend_for(device).device != "cuda":
            raise RuntimeError(f"cuda(): expected a CUDA device, got {device!r}")
        return self.to("cuda" if device is None or isinstance(device, int) else device, non_blocking=non_blocking)

    def type(self, dtype: Any) -> "Tensor":
        return self.to(dtype=dtype)

    def __getitem__(self, index: Any) -> "Tensor":
        tensor_index, index = index, _raw_index(index)
        if shape_ops.is_basic_index(index):
            return shape_ops.GetItem.apply(self, index=index)
        split = _split_int_index(index)
        if split is not None:  # ints first, as PyTorch does: x[0, :, idx] is x[0][:, idx]
            out = shape_ops.GetItem.apply(self, index=split[0])[split[1]]
        else:
            out = shape_ops.Gather.apply(self, index=index)
        if out.grad_fn is not None:  # backward scatters by the index: an in-place edit of it must be caught
            out.grad_fn.watch(_index_tensors(tensor_index))
        return out

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __bool__(self) -> bool:
        _host_read("bool(tensor) (an `if` or `while` on a tensor)")
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of a Tensor with {self._data.size} elements is ambiguous")
        return bool(self._data.item())

    def __float__(self) -> builtins.float: return builtins.float(self.item())
    def __int__(self) -> int: return int(self.item())
    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:  # int() of 1.7 would silently truncate
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    # ----------------------------------------------------------------- repr
    def __repr__(self) -> str:
        d = backend_of(self._data).to_host(self._data)
        body = numpy.array2string(d, separator=", ", prefix="tensor(", precision=4, threshold=1000)
        extras = []
        if self.backend != "numpy":
            extras.append(f"backend='{self.backend}'")
        if d.dtype not in (dtypes.get_default_dtype(), numpy.int64, numpy.bool_) or d.size == 0:
            extras.append(f"dtype=minigrad.{d.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn={self.grad_fn!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"


# --------------------------------------------------------------------- helpers
_new = object.__new__


def _adopt(array: Any) -> Tensor:
    """Fast path for ops: adopt an array as a new tensor without copying or checks (hot path)."""
    t = _new(Tensor)
    t._data = array if type(array) in ARRAY_TYPES else _coerce(array)  # 0-d NumPy results arrive as scalars
    t._grad = None
    t.grad_fn = None
    t._requires_grad = False
    t._vc = [0]
    t._retains_grad = False
    return t


def wrap(array: Any) -> Tensor:
    """Adopt an array as a new tensor without copying or checks. While mg.jit records, an array that no recorded
    step produced is noted with where it was made: the recording refuses to read it (it would be frozen)."""
    t = _adopt(array)
    if STATE.tracer is not None:
        STATE.tracer.born(t)
    return t


autograd.function.install(Tensor, _adopt)  # the engine builds graphs of Tensors, without importing this module
_args.install(Tensor)


def _host_read(what: str) -> None:
    """Host reads (and other eager-only steps) can't be replayed by mg.jit: refuse them while it records."""
    if STATE.tracer is not None:
        refuse_in_capture(what)


def _coerce(a: Any):
    """0-d NumPy results come back as NumPy scalars; make them arrays again."""
    if type(a) in ARRAY_TYPES:
        return a
    if isinstance(a, numpy.ndarray):  # a subclass such as np.matrix
        return numpy.asarray(a)
    return array_module(a).asarray(a)


def _detached(data: Any) -> Any:
    """Nested lists with tensors in them, the tensors' values on the host (NumPy's ``__array__`` protocol would
    refuse a tensor that requires grad)."""
    if isinstance(data, Tensor):
        return data.detach().cpu().numpy()
    if isinstance(data, (list, tuple)):
        return [_detached(d) for d in data]
    return data


def _to_array(data: Any, dtype: Any, backend: str | None):
    """Any array-like to an array on ``backend`` with ``dtype`` (Python floats get the default dtype).

    Only bool, int and float data is accepted: object, string, complex and datetime data raise TypeError.
    """
    if isinstance(data, Tensor):
        if data._requires_grad:  # PyTorch warns here too: the copy silently leaves the graph
            warnings.warn("tensor(t) copies t's data without its graph, though t requires grad; write "
                          "t.detach().clone() to say so, or t.clone() to keep the graph", UserWarning, stacklevel=4)
        data = data._data
    want = get_backend(backend) if backend is not None else None
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype)
        if dtype.kind not in _DATA_KINDS or dtype.fields is not None:
            raise TypeError(f"tensor(): dtype must be a bool, int or float dtype, got {dtype}")
    src = backend_of(data)
    if src.is_host:
        if not isinstance(data, numpy.ndarray):
            try:
                try:
                    data = numpy.asarray(data)
                except RuntimeError:  # a tensor that requires grad inside a list: __array__ refuses it
                    data = numpy.asarray(_detached(data))
            except (ValueError, OverflowError) as e:  # ragged nesting, out-of-range ints
                raise ValueError(f"tensor(): can't make a tensor from {type(data).__name__} data: {e}") from None
            if dtype is None and data.dtype.kind == "f":
                dtype = dtypes.get_default_dtype()
            elif dtype is None and data.dtype.kind in "iu":
                if data.dtype.kind == "u" and data.size and data.max() > numpy.iinfo(numpy.int64).max:
                    raise ValueError(f"tensor(): the integer {data.max()} does not fit in int64 (the dtype of "
                                     "Python ints); pass unsigned data as a NumPy uint64 array")
                dtype = numpy.int64
        if want is None:
            want = get_backend(None)
    if data.dtype.kind not in _DATA_KINDS or data.dtype.fields is not None:
        hint = " (an int too large for int64, None, or mixed types?)" if data.dtype.kind == "O" else ""
        raise TypeError(f"tensor(): can't make a tensor from data of dtype {data.dtype}{hint}; expected bool, int "
                        "or float data")
    want = want or src
    if want is src:
        return want.xp.array(data, dtype=dtype, copy=True)
    if not src.is_host:  # to_host copies, so the result shares no memory with data
        data = src.to_host(data)
    return want.from_host(data, dtype)


def _raw(x: Any) -> Any:
    return x._data if isinstance(x, Tensor) else x


def _raw_index(index: Any) -> Any:
    """An index with its tensors (also those nested in lists: ``x[[t, 2]]``) as arrays."""
    if isinstance(index, Tensor):
        return index._data
    if isinstance(index, (tuple, list)):
        return type(index)(_raw_index(i) for i in index)
    return index


def _index_tensors(index: Any) -> list:
    return [i for i in (index if isinstance(index, tuple) else (index,)) if isinstance(i, Tensor)]


def _split_int_index(index: Any) -> tuple | None:
    """For an index mixing ints with index arrays: (the basic part with the ints, the rest), or None.

    NumPy counts an int as an advanced index when arrays are present, so in ``x[0, :, [1, 2]]`` the two are
    "separated by a slice" and the result's indexed dim moves to the front. PyTorch applies ints first, as
    plain selections; doing it in two steps gives PyTorch's dim order."""
    items = index if isinstance(index, tuple) else (index,)
    if not any(isinstance(i, (int, numpy.integer)) and not isinstance(i, (bool, numpy.bool_)) for i in items):
        return None
    first, rest = [], []
    for i in items:
        if isinstance(i, (int, numpy.integer)) and not isinstance(i, (bool, numpy.bool_)):
            first.append(i)
        elif i is None or isinstance(i, slice):
            first.append(i)
            rest.append(slice(None))
        elif i is Ellipsis:
            first.append(i)
            rest.append(i)
        else:  # an index array (a bool mask covers as many dims as it has)
            ndim = getattr(i, "ndim", 1) if getattr(i, "dtype", None) is not None and i.dtype.kind == "b" else 1
            first.extend([slice(None)] * ndim)
            rest.append(i)
    return tuple(first), tuple(rest)


def _to_args(args: tuple, dtype: Any, backend: Any, device: Any, non_blocking: Any, copy: Any) -> tuple:
    """Tensor.to's arguments as (where, dtype, non_blocking, copy): a device or backend first, or a dtype, or a
    tensor (its device and dtype), then the positional bools non_blocking and copy."""
    where = backend if backend is not None else device
    if backend is not None and device is not None and backend_for(backend) is not backend_for(device):
        raise ValueError(f"to(): backend={backend!r} and device={str(device)!r} disagree; pass one of them")
    rest = list(args)
    if rest and isinstance(rest[0], Tensor):
        other = rest.pop(0)
        where, dtype = backend_of(other._data), other._data.dtype
    elif rest and _is_where(rest[0]):
        where = rest.pop(0)
        if rest and not isinstance(rest[0], (builtins.bool, numpy.bool_)):
            dtype = rest.pop(0)
    elif rest and not isinstance(rest[0], (builtins.bool, numpy.bool_)):
        dtype = rest.pop(0)
    bools = []
    for a in rest:
        if not isinstance(a, (builtins.bool, numpy.bool_)) or len(bools) == 2:
            raise TypeError(f"to(): unexpected argument {a!r:.60}; expected to(device, dtype, non_blocking, copy), "
                            "to(dtype, non_blocking, copy) or to(tensor, non_blocking, copy)")
        bools.append(builtins.bool(a))
    if bools:
        non_blocking = bools[0]
    if len(bools) > 1:
        copy = bools[1]
    return where, dtype, non_blocking, copy


def _is_where(a: Any) -> bool:
    """Whether a positional argument of ``to`` names a place (device, backend, CUDA index) rather than a dtype."""
    from .device import device as device_type
    from .backend import Backend
    return isinstance(a, (str, device_type, Backend)) or (isinstance(a, builtins.int) and not isinstance(a, builtins.bool))


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False, backend: str | None = None, *,
           device: Any = None, pin_memory: bool = False) -> Tensor:
    """Make a tensor from data (list, scalar, NumPy/CuPy array, Tensor), always copying.

    Python floats become the default dtype (float32 unless changed), ints int64; arrays keep their dtype.
    ``device`` ("cpu", "cuda", a :class:`minigrad.device`) or ``backend`` ("numpy", "cupy") default to "cuda"
    for CuPy arrays, else to the default device. ``pin_memory`` is accepted and has no effect.
    """
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, backend=backend, device=device)
