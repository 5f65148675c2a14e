"""Tensor: an array from a backend plus what autograd needs (requires_grad, grad, grad_fn).

Every differentiable method delegates to an op in ``minigrad/ops``; this file holds no maths of its own.
"""
from __future__ import annotations

import builtins
import operator
import sys
import warnings
from collections import namedtuple
from typing import Any, Iterable, Sequence

import numpy

from . import autograd, dtypes
from ._state import STATE
from .backend import ARRAY_TYPES, array_module, backend_of, get_backend, transfer
from .device import backend_for, device_of, resolve_backend
from .layout import check_memory_format
from .size import Size
from .errors import DimError, ShapeError

__all__ = ["Tensor", "tensor"]

_PASS_THROUGH = (int, float, bool)  # Tensor is added below, once it exists
values_indices = namedtuple("values_indices", ["values", "indices"])
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
            g = self.xp.ones_like(self._data)
            if STATE.tracer is not None:
                STATE.tracer.factory(g, self.xp.ones_like, self._data)
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

    def clone(self) -> "Tensor":
        return elementwise.Clone.apply(self)

    # ----------------------------------------------------------------- in-place
    # Outside grad mode, or when nothing involved requires grad, in-place ops write into the array and bump
    # the version. In grad mode, an in-place op on a non-leaf tensor, or one that writes a value requiring grad
    # into a tensor that does not, is recorded (as PyTorch does): the result is computed out of place from a
    # copy of the old value, written back into this tensor's array (so arrays sharing its memory see it), and
    # this tensor object takes the result's grad_fn, so every reference to it sees the graph. Where that can't
    # be made right (the tensor has views or aliases, or a saved-for-backward use) it raises instead. On a leaf
    # that requires grad in-place ops raise, as in PyTorch.
    def _inplace(self, name: str) -> Any:
        if STATE.tracer is not None:  # (the message is built only when it can be needed)
            _host_read(f"the in-place op {name}")
        if self._requires_grad and STATE.grad_enabled:
            what = "a leaf Variable that requires grad" if self.grad_fn is None else "a tensor that is part of a graph"
            raise RuntimeError(f"{name}: {what} is being used in an in-place operation; wrap it in mg.no_grad()")
        self._vc[0] += 1
        return self._data

    def _records_into(self, value: Any) -> bool:
        """In grad mode (callers test that first, so no_grad code such as optimizers pays nothing more):
        whether writing ``value`` into this tensor must be recorded (see above)."""
        if self._requires_grad:
            return self.grad_fn is not None  # a leaf that requires grad is refused by _inplace
        return isinstance(value, Tensor) and value._requires_grad

    def _snapshot(self, name: str) -> "Tensor":
        """This tensor's current value as a constant for the recorded op, after checking it can be rebound."""
        _host_read(f"the in-place op {name}")  # a replay would neither take the snapshot nor write back
        # Only this object's slot and the call's argument may refer to the version counter: views and
        # detach() aliases share it, and those could not be given the graph (they would silently detach).
        if sys.getrefcount(self._vc) > 2:
            raise RuntimeError(
                f"{name}: writing a value that requires grad into a tensor that does not, in place, makes this "
                "tensor part of the graph; but it shares memory with other tensors (a view, a detach() alias) or "
                "was saved for a backward pass, and those can't be given the graph. Use an out-of-place op "
                "(t = t + x) or write into a fresh tensor (t = t.clone()) instead.")
        if self._data.dtype.kind != "f":
            raise RuntimeError(f"{name}: the value requires grad but this tensor has dtype {self._data.dtype}, and "
                               + _NOT_FLOAT_GRAD.format(self._data.dtype) + "; use an out-of-place op")
        prev = wrap(self._data.copy())
        if self._requires_grad:  # a non-leaf: the old value keeps its place in the graph
            prev.grad_fn, prev._requires_grad = self.grad_fn, True
        return prev

    def _rebind(self, name: str, out: "Tensor") -> "Tensor":
        """Make this tensor the recorded result ``out`` (same shape; cast to this tensor's dtype)."""
        _host_read(f"the in-place op {name}")
        if out.shape != self.shape:
            raise RuntimeError(f"{name}: output with shape {self.shape} doesn't match the broadcast shape "
                               f"{out.shape}")
        if out.dtype != self._data.dtype:
            out = convert.Cast.apply(out, self._data.dtype)
        self._data[...] = out._data
        self._vc[0] += 1
        self.grad_fn = out.grad_fn
        self._requires_grad = out._requires_grad
        return self

    def add_(self, other: Any, alpha: float = 1) -> "Tensor":
        if STATE.grad_enabled and self._records_into(other):
            return self._rebind("add_", self._snapshot("add_") + (other if alpha == 1 else other * alpha))
        d, o = self._inplace("add_"), _raw(other)
        try:
            d += o if alpha == 1 else alpha * o
        except (ValueError, TypeError) as e:
            raise _bad_operand("add_", other, self, e) from None
        return self

    def sub_(self, other: Any, alpha: float = 1) -> "Tensor":
        if STATE.grad_enabled and self._records_into(other):
            return self._rebind("sub_", self._snapshot("sub_") - (other if alpha == 1 else other * alpha))
        d, o = self._inplace("sub_"), _raw(other)
        try:
            d -= o if alpha == 1 else alpha * o
        except (ValueError, TypeError) as e:
            raise _bad_operand("sub_", other, self, e) from None
        return self

    def mul_(self, other: Any) -> "Tensor":
        if STATE.grad_enabled and self._records_into(other):
            return self._rebind("mul_", self._snapshot("mul_") * other)
        d = self._inplace("mul_")
        try:
            d *= _raw(other)
        except (ValueError, TypeError) as e:
            raise _bad_operand("mul_", other, self, e) from None
        return self

    def div_(self, other: Any) -> "Tensor":
        if STATE.grad_enabled and self._records_into(other):
            return self._rebind("div_", self._snapshot("div_") / other)
        d = self._inplace("div_")
        try:
            d /= _raw(other)
        except (ValueError, TypeError) as e:
            raise _bad_operand("div_", other, self, e) from None
        return self

    def zero_(self) -> "Tensor":
        if STATE.grad_enabled and self.grad_fn is not None:
            return self.fill_(0)
        self._inplace("zero_").fill(0)
        return self

    def fill_(self, value: float) -> "Tensor":
        if isinstance(value, Tensor) and value.ndim != 0:
            raise RuntimeError(f"fill_ only supports a 0-dimensional value tensor, but got one with shape "
                               f"{value.shape}")
        v = _raw(value)
        if not isinstance(v, (int, float, numpy.generic)) and not (hasattr(v, "ndim") and v.ndim == 0):
            raise TypeError(f"fill_: value must be a number or a 0-d tensor, got {value!r:.80}")
        if STATE.grad_enabled and self._records_into(value):
            return self._rebind("fill_", inplace.IndexPut.apply(self._snapshot("fill_"), value, index=Ellipsis))
        try:
            self._inplace("fill_").fill(v)
        except (ValueError, TypeError) as e:
            raise type(e)(f"fill_: can't fill a tensor of dtype {self.dtype} with value {value!r:.80}: {e}") from None
        return self

    def copy_(self, src: Any) -> "Tensor":
        if STATE.grad_enabled and self._records_into(src):
            if not isinstance(src, Tensor):
                src = wrap(_to_array(src, None, self.backend))
            elif src.backend != self.backend:
                src = src.to(self.backend)
            return self._rebind("copy_", inplace.IndexPut.apply(self._snapshot("copy_"), src, index=Ellipsis))
        d = self._inplace("copy_")
        s = src._data if isinstance(src, Tensor) else src
        if type(s) is not type(d) and backend_of(s) is not backend_of(d):
            s = transfer(s, backend_of(d))
        try:
            d[...] = s
        except (ValueError, TypeError) as e:
            raise type(e)(f"copy_: can't copy src {src!r:.80} into a tensor of shape {self.shape} and dtype "
                          f"{self.dtype}: {e}") from None
        return self

    def uniform_(self, a: float = 0.0, b: float = 1.0) -> "Tensor":
        from .factories import default_generator
        return self.copy_(default_generator().uniform(a, b, size=self.shape).astype(self.dtype))

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> "Tensor":
        from .factories import default_generator
        return self.copy_(default_generator().normal(mean, std, size=self.shape).astype(self.dtype))

    def __setitem__(self, index: Any, value: Any) -> None:
        if STATE.grad_enabled and self._records_into(value):
            out = inplace.IndexPut.apply(self._snapshot("__setitem__"), value, index=_raw_index(index))
            if out.grad_fn is not None:
                out.grad_fn.watch(_index_tensors(index))
            self._rebind("__setitem__", out)
            return
        d, v = self._inplace("__setitem__"), _raw(value)
        try:
            d[_raw_index(index)] = v
        except (ValueError, TypeError) as e:  # NumPy's text names neither the index nor the value
            raise type(e)(f"__setitem__: can't assign value {value!r:.80} at index {index!r:.80} of a tensor of "
                          f"shape {self.shape} and dtype {self.dtype}: {e}") from None
        except OverflowError:
            raise IndexError(f"__setitem__: index {index!r:.80} is out of range for a tensor of shape "
                             f"{self.shape}") from None

    # ----------------------------------------------------------------- arithmetic
    def __add__(self, other): return _binary(elementwise.Add, self, other)
    def __radd__(self, other): return _binary(elementwise.Add, other, self)
    def __sub__(self, other): return _binary(elementwise.Sub, self, other)
    def __rsub__(self, other): return _binary(elementwise.Sub, other, self)
    def __mul__(self, other): return _binary(elementwise.Mul, self, other)
    def __rmul__(self, other): return _binary(elementwise.Mul, other, self)
    def __truediv__(self, other): return _binary(elementwise.Div, self, other, floating=True)
    def __rtruediv__(self, other): return _binary(elementwise.Div, other, self, floating=True)
    def __pow__(self, other): return _binary(elementwise.Pow, self, other)
    def __rpow__(self, other): return _binary(elementwise.Pow, other, self)
    def __matmul__(self, other):
        return linalg.MatMul.apply(self, other if isinstance(other, Tensor) else _matmul_operand(other, self))

    def __rmatmul__(self, other):
        return linalg.MatMul.apply(other if isinstance(other, Tensor) else _matmul_operand(other, self), self)

    def __neg__(self): return elementwise.Neg.apply(self)
    def __pos__(self): return self
    def __abs__(self): return elementwise.Abs.apply(self)

    # x += y mutates x, except for a non-leaf in grad mode, where it records x + y (PyTorch would record an
    # in-place op; the value is the same and no saved array is overwritten).
    def _records(self) -> bool:
        return self.grad_fn is not None and autograd.is_grad_enabled()

    def __iadd__(self, other): return self + other if self._records() else self.add_(other)
    def __isub__(self, other): return self - other if self._records() else self.sub_(other)
    def __imul__(self, other): return self * other if self._records() else self.mul_(other)
    def __itruediv__(self, other): return self / other if self._records() else self.div_(other)

    add = __add__
    sub = __sub__
    mul = __mul__
    div = __truediv__
    matmul = __matmul__
    neg = __neg__
    abs = __abs__

    def pow(self, exponent: Any) -> "Tensor":
        return self ** exponent

    # functions with floating results take integer and bool tensors to the default float dtype, as PyTorch does
    def exp(self): return elementwise.Exp.apply(_floating(self))
    def log(self): return elementwise.Log.apply(_floating(self))
    def sqrt(self): return elementwise.Sqrt.apply(_floating(self))
    def sigmoid(self): return elementwise.Sigmoid.apply(_floating(self))
    def relu(self): return elementwise.ReLU.apply(self)
    def tanh(self): return elementwise.Tanh.apply(_floating(self))

    # comparisons: results are bool tensors and never require grad
    def __eq__(self, other): return logical.Compare.apply(self, other, op=operator.eq)
    def __ne__(self, other): return logical.Compare.apply(self, other, op=operator.ne)
    def __lt__(self, other): return logical.Compare.apply(self, other, op=operator.lt)
    def __le__(self, other): return logical.Compare.apply(self, other, op=operator.le)
    def __gt__(self, other): return logical.Compare.apply(self, other, op=operator.gt)
    def __ge__(self, other): return logical.Compare.apply(self, other, op=operator.ge)
    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__
    __hash__ = object.__hash__

    # ----------------------------------------------------------------- reductions
    # Every reduction takes NumPy's ``axis=`` as an alias of ``dim=``, as PyTorch does.
    def sum(self, dim: int | Sequence[int] | None = None, keepdim: bool = False, *, dtype: Any = None,
            axis=None) -> "Tensor":
        """Sum over ``dim`` (an int, a tuple, or None for all); integer and bool tensors sum in int64 unless
        ``dtype`` is given (the input is cast to it first, as in PyTorch)."""
        dim = _dims(_alias(dim, axis))
        x = _int64_if_integral(self) if dtype is None else self.to(dtype)
        return reduce.Sum.apply(x, axis=reduce.normalize_axes(dim, self.ndim), keepdims=keepdim)

    def mean(self, dim: int | Sequence[int] | None = None, keepdim: bool = False, *, axis=None) -> "Tensor":
        dim = _dims(_alias(dim, axis))
        if not dtypes.is_floating(self._data.dtype):
            raise RuntimeError(f"mean() needs a floating point tensor, got dtype {self._data.dtype}; "
                               "convert with .double() or .float() first")
        return reduce.Mean.apply(self, axis=reduce.normalize_axes(dim, self.ndim), keepdims=keepdim)

    def max(self, dim: "int | Tensor | None" = None, keepdim: bool = False, *, axis=None):
        """Without ``dim``: the largest element. With ``dim``: (values, indices), like PyTorch. With a tensor:
        the elementwise :meth:`maximum`.

        The gradient goes to the first maximum in row-major order (NumPy's argmax); ties get nothing.
        """
        dim = _alias(dim, axis)
        if isinstance(dim, Tensor):  # max(other): the elementwise maximum, as torch.max(input, other)
            return self.maximum(dim)
        dim = _dims(dim)
        if isinstance(dim, tuple):
            raise TypeError(f"max: dim must be one int, got {dim}")
        if dim is None:
            return reduce.Max.apply(self, axis=reduce.normalize_axes(None, self.ndim), keepdims=False)
        values = reduce.Max.apply(self, axis=reduce.normalize_axes(dim, self.ndim), keepdims=keepdim)
        return values_indices(values, self.argmax(dim, keepdim))

    def min(self, dim: "int | Tensor | None" = None, keepdim: bool = False, *, axis=None):
        """Like :meth:`max`, for the smallest element (first minimum gets the gradient)."""
        dim = _alias(dim, axis)
        if isinstance(dim, Tensor):
            return self.minimum(dim)
        dim = _dims(dim)
        if isinstance(dim, tuple):
            raise TypeError(f"min: dim must be one int, got {dim}")
        if dim is None:
            return reduce.Min.apply(self, axis=reduce.normalize_axes(None, self.ndim), keepdims=False)
        values = reduce.Min.apply(self, axis=reduce.normalize_axes(dim, self.ndim), keepdims=keepdim)
        return values_indices(values, self.argmin(dim, keepdim))

    def argmax(self, dim: int | None = None, keepdim: bool = False, *, axis=None) -> "Tensor":
        dim = _arg_dim(_alias(dim, axis), self.ndim)
        return logical.ArgReduce.apply(self, largest=True, dim=dim, keepdim=keepdim)

    def argmin(self, dim: int | None = None, keepdim: bool = False, *, axis=None) -> "Tensor":
        dim = _arg_dim(_alias(dim, axis), self.ndim)
        return logical.ArgReduce.apply(self, largest=False, dim=dim, keepdim=keepdim)

    def var(self, dim: int | Sequence[int] | None = None, unbiased: bool | None = None, keepdim: bool = False, *,
            correction: float | None = None, axis=None) -> "Tensor":
        """Variance over ``dim`` with ``correction`` (1 by default: divide by N - 1); ``unbiased=False`` is
        ``correction=0``, as in PyTorch."""
        if isinstance(dim, bool):  # var(False): PyTorch's positional unbiased
            dim, unbiased = None, dim
        dim = _dims(_alias(dim, axis))
        if unbiased is not None and correction is not None:
            raise ValueError("var/std: pass either unbiased or correction, not both")
        correction = (1 if unbiased is None or unbiased else 0) if correction is None else correction
        if not dtypes.is_floating(self._data.dtype):
            raise RuntimeError(f"var/std need a floating point tensor, got dtype {self._data.dtype}")
        return reduce.Var.apply(self, axis=reduce.normalize_axes(dim, self.ndim), keepdims=keepdim,
                                correction=correction)

    def std(self, dim: int | Sequence[int] | None = None, unbiased: bool | None = None, keepdim: bool = False, *,
            correction: float | None = None, axis=None) -> "Tensor":
        """Square root of :meth:`var` (same arguments)."""
        return self.var(dim, unbiased, keepdim, correction=correction, axis=axis).sqrt()

    def prod(self, dim: int | None = None, keepdim: bool = False, *, dtype: Any = None, axis=None) -> "Tensor":
        """Product of all elements, or over one ``dim``; integer and bool tensors multiply in int64 unless
        ``dtype`` is given (the input is cast to it first)."""
        dim = _alias(dim, axis)
        x = _int64_if_integral(self) if dtype is None else self.to(dtype)
        if dim is None:
            return reduce.Prod.apply(x)
        return reduce.Prod.apply(x, axis=_dim(dim, self.ndim) if self.ndim else None, keepdims=keepdim)

    def cumsum(self, dim: int, *, dtype: Any = None, axis=None) -> "Tensor":
        """Running sum along ``dim``; integer and bool tensors sum in int64 unless ``dtype`` is given (the input
        is cast to it first)."""
        dim = _alias(dim, axis)
        d = _dim(dim, self.ndim)
        x = _int64_if_integral(self) if dtype is None else self.to(dtype)
        return reduce.CumSum.apply(x, axis=d) if self.ndim else shape_ops.Reshape.apply(x, shape=())

    def all(self, dim: int | Sequence[int] | None = None, keepdim: bool = False, *, axis=None) -> "Tensor":
        """Whether every element (along ``dim``) is nonzero: a bool tensor, never differentiable."""
        axes = reduce.normalize_axes(_dims(_alias(dim, axis)), self.ndim)
        return elementwise.Predicate.apply(self, fn="all", axis=axes, keepdims=keepdim)

    def any(self, dim: int | Sequence[int] | None = None, keepdim: bool = False, *, axis=None) -> "Tensor":
        """Whether some element (along ``dim``) is nonzero: a bool tensor, never differentiable."""
        axes = reduce.normalize_axes(_dims(_alias(dim, axis)), self.ndim)
        return elementwise.Predicate.apply(self, fn="any", axis=axes, keepdims=keepdim)

    # ----------------------------------------------------------------- elementwise selection and rounding
    def maximum(self, other: Any) -> "Tensor":
        """Elementwise max with broadcasting; at ties each side gets half the gradient (PyTorch's rule)."""
        return _binary(elementwise.Maximum, self, other)

    def minimum(self, other: Any) -> "Tensor":
        return _binary(elementwise.Minimum, self, other)

    def clamp(self, min: Any = None, max: Any = None) -> "Tensor":
        """Limit values to [min, max] (either may be None; tensors broadcast). The gradient passes where
        min <= x <= max; if min > max every element is max, as in PyTorch."""
        if min is None and max is None:
            raise ValueError("clamp: at least one of min and max must be given")
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            out = self if min is None else self.maximum(min)
            return out if max is None else out.minimum(max)
        x = self
        if any(isinstance(v, builtins.float) for v in (min, max)) and x.dtype.kind != "f":
            x = _floating(x)
        return elementwise.Clamp.apply(x, lo=_scalar(min), hi=_scalar(max))

    clip = clamp

    def masked_fill(self, mask: "Tensor", value: Any) -> "Tensor":
        """A copy with ``value`` wherever the bool ``mask`` (broadcast to this shape) is True."""
        m = _raw(mask)
        if getattr(m, "dtype", None) is None or m.dtype.kind != "b":
            raise TypeError(f"masked_fill: mask must be a bool tensor, got {type(mask).__name__} of dtype "
                            f"{getattr(m, 'dtype', None)}")
        if not _broadcastable(m.shape, self.shape) or len(m.shape) > self.ndim:
            raise ShapeError(f"masked_fill: mask of shape {tuple(m.shape)} does not broadcast to {self.shape}")
        if isinstance(value, Tensor):
            if value.ndim != 0:
                raise RuntimeError(f"masked_fill only supports a 0-dimensional value tensor, but got tensor with "
                                   f"{value.ndim} dimension(s)")
            if value._requires_grad:  # an input of the op: its gradient is the sum over the masked places
                return elementwise.MaskedFill.apply(self, mask, value)
        return elementwise.MaskedFill.apply(self, mask, value=_scalar(value))

    def where(self, condition: "Tensor", other: Any) -> "Tensor":
        """``mg.where(condition, self, other)``."""
        from .functions import where
        return where(condition, self, other)

    def sin(self): return elementwise.Sin.apply(_floating(self))
    def cos(self): return elementwise.Cos.apply(_floating(self))

    def floor(self): return self._step("floor")
    def ceil(self): return self._step("ceil")
    def round(self): return self._step("round")

    def sign(self) -> "Tensor":
        return elementwise.Step.apply(self, fn="sign") if self.dtype.kind != "b" else self.clone()

    def _step(self, fn: str) -> "Tensor":
        # integers are already whole: PyTorch returns them unchanged (NumPy would make floats)
        return elementwise.Step.apply(self, fn=fn) if self.dtype.kind == "f" else self.clone()

    def isnan(self) -> "Tensor":
        return elementwise.Predicate.apply(self, fn="isnan")

    def isinf(self) -> "Tensor":
        return elementwise.Predicate.apply(self, fn="isinf")

    def dot(self, other: "Tensor") -> "Tensor":
        """Inner product of two 1-D tensors of the same size (PyTorch refuses anything else)."""
        if not isinstance(other, Tensor) or self.ndim != 1 or other.ndim != 1 or self.shape != other.shape:
            raise ShapeError(f"dot: expected two 1-D tensors of the same size, got shapes {self.shape} and "
                             f"{getattr(other, 'shape', type(other).__name__)}")
        return linalg.MatMul.apply(self, other)

    # ----------------------------------------------------------------- shape
    def reshape(self, *shape: int | Sequence[int]) -> "Tensor":
        # NumPy checks the shape (one -1 allowed) and names both sizes in its error; it takes any negative
        # size as the inferred one, PyTorch only -1
        shape = _int_args(shape, "reshape: shape")
        for i, n in enumerate(shape):
            if n < -1:
                raise RuntimeError(f"reshape: invalid shape dimension {n} at index {i} of shape {list(shape)}")
        return shape_ops.Reshape.apply(self, shape=shape)

    def view(self, *shape: int | Sequence[int]) -> "Tensor":
        return self.reshape(*shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> "Tensor":
        shp = self._data.shape
        if not shp:
            return self.reshape(1)
        s, e = _dim(start_dim, len(shp)), _dim(end_dim, len(shp))
        if s > e:
            raise ShapeError(f"flatten: start_dim ({start_dim}) must not come after end_dim ({end_dim})")
        middle = -1 if self._data.size else _prod(shp[s:e + 1])  # -1 is ambiguous for empty tensors
        return shape_ops.Reshape.apply(self, shape=shp[:s] + (middle,) + shp[e + 1:])

    def squeeze(self, dim: int | None = None) -> "Tensor":
        shp = self.shape
        if dim is None:
            return self.reshape(tuple(n for n in shp if n != 1))
        d = _dim(dim, self.ndim)
        if not shp or shp[d] != 1:  # a 0-d tensor or a dim that is not 1: nothing to squeeze, as in PyTorch
            return shape_ops.Reshape.apply(self, shape=shp)
        return self.reshape(shp[:d] + shp[d + 1:])

    def unsqueeze(self, dim: int) -> "Tensor":
        d = _dim(dim, self.ndim + 1)
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def permute(self, *dims: int | Sequence[int]) -> "Tensor":
        dims = tuple(_dim(d, self.ndim) for d in _int_args(dims, "permute: dims"))
        if sorted(dims) != list(range(self.ndim)):
            raise ShapeError(f"permute: {dims} is not a permutation of the {self.ndim} dims of shape {self.shape}")
        return shape_ops.Permute.apply(self, axes=dims)

    def transpose(self, dim0: int, dim1: int) -> "Tensor":
        axes = list(range(self.ndim))
        d0, d1 = _dim(dim0, self.ndim), _dim(dim1, self.ndim)
        if axes:  # a 0-d tensor takes dims -1 and 0 and stays as it is
            axes[d0], axes[d1] = axes[d1], axes[d0]
        return shape_ops.Permute.apply(self, axes=tuple(axes))

    @property
    def T(self) -> "Tensor":
        return shape_ops.Permute.apply(self, axes=tuple(reversed(range(self.ndim))))

    def t(self) -> "Tensor":
        if self.ndim > 2:
            raise ShapeError(f"t() expects a tensor with <= 2 dims, got shape {self.shape}")
        return self.T

    def expand(self, *sizes: int | Sequence[int]) -> "Tensor":
        """A broadcast view at ``sizes`` (-1 keeps a dim; new dims go in front). No copy; the gradient is
        summed back over the expanded dims."""
        sizes = _int_args(sizes, "expand: sizes")
        lead = len(sizes) - self.ndim
        if lead < 0:
            raise ShapeError(f"expand: the number of sizes ({len(sizes)}) must be at least the tensor's dims "
                             f"({self.ndim}), shape {self.shape}")
        shape = []
        for i, n in enumerate(sizes):
            old = self.shape[i - lead] if i >= lead else None
            if n == -1:
                if old is None:
                    raise ShapeError(f"expand: -1 is not allowed for the new leading dim {i}")
                n = old
            elif old is not None and old != 1 and old != n:
                raise ShapeError(f"expand: the size of dim {i} must stay {old} (only size-1 dims expand), got {n}; "
                                 f"shape {self.shape}, sizes {sizes}")
            shape.append(int(n))
        return shape_ops.Expand.apply(self, shape=tuple(shape))

    def expand_as(self, other: "Tensor") -> "Tensor":
        return self.expand(other.shape)

    def repeat(self, *sizes: int | Sequence[int]) -> "Tensor":
        """Tile the tensor ``sizes[i]`` times along each dim (extra sizes add leading dims), a copy."""
        sizes = _int_args(sizes, "repeat: sizes")
        if len(sizes) < self.ndim:
            raise ShapeError(f"repeat: the number of repeats ({len(sizes)}) must be at least the tensor's dims "
                             f"({self.ndim})")
        if any(n < 0 for n in sizes):
            raise ValueError(f"repeat: repeats must be non-negative, got {sizes}")
        return shape_ops.Repeat.apply(self, reps=tuple(int(n) for n in sizes))

    def flip(self, *dims: int | Sequence[int]) -> "Tensor":
        """Reverse the order along ``dims`` (a copy, as in PyTorch)."""
        axes = tuple(_dim(d, self.ndim) for d in _int_args(dims, "flip: dims"))
        if len(set(axes)) != len(axes):
            raise ShapeError(f"flip: dims {dims} name the same dim more than once")
        if not self.ndim:
            return self.clone()
        return shape_ops.Flip.apply(self, axes=axes)

    def split(self, split_size_or_sections: int | Sequence[int], dim: int = 0) -> tuple["Tensor", ...]:
        """Views of consecutive pieces along ``dim``: each ``split_size`` long (the last may be shorter), or
        of the listed sizes, which must add up to the dim's size."""
        d = _dim(dim, self.ndim)
        n = self.shape[d]
        if isinstance(split_size_or_sections, int):
            step = split_size_or_sections
            if step <= 0:
                raise ValueError(f"split: split_size must be positive, got {step}")
            sizes = [min(step, n - i) for i in range(0, n, step)] or [0]
        else:
            sizes = [int(s) for s in split_size_or_sections]
            if sum(sizes) != n or any(s < 0 for s in sizes):
                raise ShapeError(f"split: sections {sizes} must be non-negative and add up to the size {n} of "
                                 f"dim {dim}")
        out, start = [], 0
        lead = (slice(None),) * d
        for size in sizes:
            out.append(shape_ops.GetItem.apply(self, index=lead + (slice(start, start + size),)))
            start += size
        return tuple(out)

    def chunk(self, chunks: int, dim: int = 0) -> tuple["Tensor", ...]:
        """At most ``chunks`` views of equal size ceil(n / chunks) along ``dim`` (the last may be smaller)."""
        if not isinstance(chunks, int) or chunks <= 0:
            raise ValueError(f"chunk: chunks must be a positive int, got {chunks!r}")
        n = self.shape[_dim(dim, self.ndim)]
        return self.split(max(-(-n // chunks), 1), dim)

    def gather(self, dim: int, index: "Tensor") -> "Tensor":
        """torch.gather: ``out[i][j] = self[i][index[i][j]]`` for dim 1 (likewise for any dim). ``index`` is an
        integer tensor with this tensor's number of dims, no larger than it in the other dims."""
        idx = _raw(index)
        if getattr(idx, "dtype", None) is None or idx.dtype.kind not in "iu":
            raise TypeError(f"gather: index must be an integer tensor, got {type(index).__name__} of dtype "
                            f"{getattr(idx, 'dtype', None)}")
        d = _dim(dim, self.ndim)
        if idx.ndim != self.ndim or any(m > n for i, (m, n) in enumerate(zip(idx.shape, self.shape)) if i != d):
            raise ShapeError(f"gather: index of shape {tuple(idx.shape)} must have the {self.ndim} dims of the input "
                             f"{self.shape} and be no larger in dims other than {dim}")
        return shape_ops.TakeAlongDim.apply(self, index, axis=d)

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

    # ----------------------------------------------------------------- softmax family (losses branch)
    # Thin aliases of minigrad.nn.functional, imported late because nn builds on Tensor.
    def softmax(self, dim: int, dtype: Any = None) -> "Tensor":
        from .nn import functional
        return functional.softmax(self, dim, dtype=dtype)

    def log_softmax(self, dim: int, dtype: Any = None) -> "Tensor":
        from .nn import functional
        return functional.log_softmax(self, dim, dtype=dtype)

    def logsumexp(self, dim: int | Sequence[int], keepdim: bool = False) -> "Tensor":
        from .nn import functional
        return functional.logsumexp(self, dim, keepdim)
    # ----------------------------------------------------------------- end of the softmax family block


# --------------------------------------------------------------------- helpers
_PASS_THROUGH = (Tensor, *_PASS_THROUGH)
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


def _host_read(what: str) -> None:
    """Host reads (and other eager-only steps) can't be replayed by mg.jit: refuse them while it records."""
    if STATE.tracer is not None:
        from .jit import refuse_in_capture
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


def _operand(other: Any, like: Tensor) -> Any:
    """Python scalars stay scalars (cheap, and NumPy keeps the tensor's dtype); arrays become tensors.
    NumPy scalars count as Python scalars, so ``float32_tensor * np.float64(2)`` stays float32, as in PyTorch."""
    if isinstance(other, numpy.generic):  # before the scalar test: np.float64 is a float subclass
        return other.item()
    if isinstance(other, _PASS_THROUGH):
        return other
    return Tensor(other, dtype=None if not isinstance(other, (list, tuple)) else like.dtype, backend=like.backend)


def _binary(cls: type, a: Any, b: Any, floating: bool = False) -> Tensor:
    """``cls.apply(a, b)`` for two operands, one of them a Tensor, after PyTorch's type promotion (see
    :func:`dtypes.result_type`); ``floating`` (true division) takes an integer result to the default float
    dtype. Operands that don't broadcast raise :class:`ShapeError`."""
    if not isinstance(a, Tensor):
        a = _operand(a, b)
    elif not isinstance(b, Tensor):
        b = _operand(b, a)
    ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
    da = a._data.dtype if ta else None
    db = b._data.dtype if tb else None
    # Fast paths (the common cases, no promotion needed): equal dtypes; a float tensor and a Python scalar.
    if (da == db and (da.kind == "f" or not floating)) if ta and tb else (da if ta else db).kind == "f":
        pass
    else:
        want = dtypes.result_type(a._data if ta else a, b._data if tb else b)
        if floating and want.kind != "f":
            want = dtypes.get_default_dtype()
        if ta and da != want:
            a = convert.Cast.apply(a, want)
        if tb and db != want:
            b = convert.Cast.apply(b, want)
    try:
        return cls.apply(a, b)
    except ValueError as e:
        if ta and tb and not _broadcastable(a.shape, b.shape):
            raise ShapeError(f"{cls.__name__.lower()}: shapes {a.shape} and {b.shape} don't broadcast (sizes must "
                             "match or be 1, aligned from the last dim)") from e
        raise


def _broadcastable(s1: tuple, s2: tuple) -> bool:
    return all(m == n or m == 1 or n == 1 for m, n in zip(reversed(s1), reversed(s2)))


def _alias(dim: Any, axis: Any) -> Any:
    """PyTorch takes NumPy's ``axis=`` as another name for ``dim=``."""
    if axis is None:
        return dim
    if dim is not None:
        raise TypeError("got both dim and axis; they are the same argument")
    return axis


def _int64_if_integral(t: Tensor) -> Tensor:
    """Sums and products of bool and integer tensors are int64 in PyTorch (NumPy keeps uint64 or int32...)."""
    d = t._data.dtype
    return t if d.kind == "f" or d == numpy.int64 else convert.Cast.apply(t, numpy.dtype(numpy.int64))


def _scalar(v: Any) -> Any:
    """A Python number from a number, a NumPy scalar or a one-element tensor (None stays None)."""
    if isinstance(v, Tensor):
        return v.item()
    return v.item() if isinstance(v, numpy.generic) else v


def _floating(t: Tensor) -> Tensor:
    """``t`` itself if floating, else cast (differentiably) to the default float dtype."""
    return t if t._data.dtype.kind == "f" else convert.Cast.apply(t, dtypes.get_default_dtype())


def _matmul_operand(other: Any, like: Tensor) -> Any:
    if isinstance(other, (int, float, numpy.generic)):  # bool is an int
        raise RuntimeError(f"matmul: both arguments to matmul need to be at least 1-D, but the operand is the scalar "
                           f"{other!r}")
    return _operand(other, like)


def _bad_operand(fn: str, other: Any, t: Tensor, e: Exception) -> Exception:
    """NumPy's text ("setting an array element with a sequence") names neither the call nor the operand."""
    return type(e)(f"{fn}: can't apply operand {other!r:.80} to a tensor of shape {t.shape} and dtype {t.dtype}: "
                   f"{e}")


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


def _as_dim(d: Any, what: str = "dim") -> int:
    """A dim as a Python int: ints, NumPy integers and one-element integer tensors, as PyTorch takes them.
    Anything else (bool, float, str, None, ...) is a TypeError that names the argument."""
    if isinstance(d, Tensor):
        if d._data.dtype.kind not in "iu" or d._data.size != 1:
            raise TypeError(f"{what} must be an int, got a tensor of dtype {d.dtype} and shape {d.shape}")
        return int(d._data.item())
    if isinstance(d, (int, numpy.integer)) and not isinstance(d, (bool, numpy.bool_)):
        return int(d)
    raise TypeError(f"{what} must be an int, got {type(d).__name__} {d!r:.60}")


def _dims(dim: Any) -> "int | tuple[int, ...] | None":
    """A reduction's ``dim``: None, one dim, or a tuple/list of dims (empty means every dim, as in PyTorch)."""
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)):
        return tuple(_as_dim(d) for d in dim) or None
    return _as_dim(dim)


def _dim(d: int, ndim: int) -> int:
    """``d`` as a non-negative dim of a tensor with ``ndim`` dims; a 0-d tensor takes -1 and 0, as in PyTorch."""
    d = _as_dim(d)
    if not -max(ndim, 1) <= d < max(ndim, 1):
        raise DimError(f"dimension {d} is out of range for a tensor with {ndim} dims "
                       f"(expected a dim in [{-max(ndim, 1)}, {max(ndim, 1) - 1}])")
    return d % max(ndim, 1)


def _prod(xs: Iterable[int]) -> int:
    p = 1
    for x in xs:
        p *= x
    return p


def _size_args(args: tuple) -> tuple:
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


def _int_args(args: tuple, what: str) -> tuple:
    """Sizes or dims given as varargs or as one sequence, each an int (NumPy integers and integer tensors
    too); anything else is a TypeError naming ``what``."""
    args = _size_args(args)
    try:
        return tuple(_as_dim(a, what) for a in args)
    except TypeError:
        raise TypeError(f"{what} must be ints (varargs or one tuple), got {args!r:.80}") from None


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


def _arg_dim(dim: int | None, ndim: int) -> int | None:
    """argmax/argmin's dim, checked and made non-negative (a 0-d tensor accepts 0 and -1)."""
    return None if dim is None else _dim(dim, ndim)


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False, backend: str | None = None, *,
           device: Any = None, pin_memory: bool = False) -> Tensor:
    """Make a tensor from data (list, scalar, NumPy/CuPy array, Tensor), always copying.

    Python floats become the default dtype (float32 unless changed), ints int64; arrays keep their dtype.
    ``device`` ("cpu", "cuda", a :class:`minigrad.device`) or ``backend`` ("numpy", "cupy") default to "cuda"
    for CuPy arrays, else to the default device. ``pin_memory`` is accepted and has no effect.
    """
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, backend=backend, device=device)


from .ops import convert, elementwise, inplace, linalg, logical, reduce  # noqa: E402  (ops build on Tensor)
from .ops import shape as shape_ops  # noqa: E402


# --- ops: sort/argsort/topk/median, bmm/outer, tril/triu/diag/diagonal, roll/narrow, index_select/scatter/
# --- scatter_add/masked_select/nonzero, cumprod, erf/atan2/lerp, isclose/allclose/equal, norm/unflatten/
# --- broadcast_to (Tensor methods; the function forms are in functions.py's block of the same name)
from .ops import closeness as _closeness, matrix as _matrix, pointwise_math as _pmath  # noqa: E402
from .ops import vector_norm as _vector_norm  # noqa: E402
from .ops import roll as _roll_ops, scan as _scan, scatter as _scatter_ops, sorting as _sorting  # noqa: E402


def _index_tensor(index: Any, fn: str) -> Any:
    idx = _raw(index)
    if getattr(idx, "dtype", None) is None or idx.dtype.kind not in "iu":
        raise TypeError(f"{fn}: index must be an integer tensor, got {type(index).__name__} of dtype "
                        f"{getattr(idx, 'dtype', None)}")
    return idx


def _sort(self: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> tuple:
    """(values, indices) sorted along ``dim``; always stable (PyTorch's stable=True order), NaN as the largest."""
    d = _dim(dim, self.ndim)
    indices = _sorting.Argsort.apply(self, axis=d, descending=bool(descending))
    if self.ndim == 0:
        return values_indices(shape_ops.Reshape.apply(self, shape=()), indices)
    return values_indices(shape_ops.TakeAlongDim.apply(self, indices, axis=d), indices)


def _argsort(self: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The int64 indices that sort along ``dim`` (stable; NaN as the largest)."""
    return _sorting.Argsort.apply(self, axis=_dim(dim, self.ndim), descending=bool(descending))


def _topk(self: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> tuple:
    """(values, indices) of the k largest (smallest with largest=False) along ``dim``, in sorted order (also
    with sorted=False, which PyTorch leaves unspecified)."""
    d = _dim(dim, self.ndim)
    k = _as_dim(k, "k")
    n = self.shape[d] if self.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError(f"topk: selected index k out of range: k ({k}) must be in [0, {n}], the size of dim {dim} "
                           f"of input {self.shape}")
    indices = _sorting.TopKIndices.apply(self, k=k, axis=d, largest=bool(largest))
    if self.ndim == 0:
        return values_indices(shape_ops.Reshape.apply(self, shape=()), indices)
    return values_indices(shape_ops.TakeAlongDim.apply(self, indices, axis=d), indices)


def _median(self: Tensor, dim: int | None = None, keepdim: bool = False):
    """The lower median (for an even count, the smaller middle element, as PyTorch): without ``dim`` of every
    element, as a 0-d tensor; with ``dim`` (values, indices). NaN propagates. The gradient goes to the element
    picked."""
    if dim is None:
        if self.numel() == 0:
            if self.dtype.kind != "f":
                raise RuntimeError(f"median() of an empty {self.dtype} tensor is undefined")
            return wrap(self.xp.full((), self.xp.nan, dtype=self.dtype))  # PyTorch's value
        flat = shape_ops.Reshape.apply(self, shape=(self.numel(),))
        index = _sorting.MedianIndex.apply(flat, axis=0)
        return shape_ops.Reshape.apply(shape_ops.TakeAlongDim.apply(flat, index, axis=0), shape=())
    d = _dim(dim, self.ndim)
    if self.ndim and self.shape[d] == 0:
        raise DimError(f"median: dim {dim} of input {self.shape} is empty")
    index = _sorting.MedianIndex.apply(self, axis=d)
    if self.ndim == 0:
        return values_indices(shape_ops.Reshape.apply(self, shape=()), index)
    values = shape_ops.TakeAlongDim.apply(self, index, axis=d)
    if not keepdim:
        shape = self.shape[:d] + self.shape[d + 1:]
        values = shape_ops.Reshape.apply(values, shape=shape)
        index = shape_ops.Reshape.apply(index, shape=shape)
    return values_indices(values, index)


def _bmm(self: Tensor, mat2: Tensor) -> Tensor:
    """Batched matrix product of (b, n, m) and (b, m, p) -> (b, n, p); no broadcasting, as in PyTorch."""
    if not isinstance(mat2, Tensor):
        raise TypeError(f"bmm: mat2 must be a Tensor, got {type(mat2).__name__}")
    if self.ndim != 3 or mat2.ndim != 3:
        raise ShapeError(f"bmm: batch1 and batch2 must be 3-D tensors, got shapes {self.shape} and {mat2.shape}")
    if self.shape[0] != mat2.shape[0] or self.shape[2] != mat2.shape[1]:
        raise ShapeError(f"bmm: shapes {self.shape} and {mat2.shape} don't fit (expected (b, n, m) and (b, m, p))")
    if self.dtype != mat2.dtype:
        raise RuntimeError(f"bmm: expected both inputs to have the same dtype, got {self.dtype} and {mat2.dtype}")
    return linalg.MatMul.apply(self, mat2)


def _outer(self: Tensor, vec2: Tensor) -> Tensor:
    """The outer product of two 1-D tensors: (n,) and (m,) -> (n, m)."""
    if not isinstance(vec2, Tensor):
        raise TypeError(f"outer: vec2 must be a Tensor, got {type(vec2).__name__}")
    if self.ndim != 1 or vec2.ndim != 1:
        raise ShapeError(f"outer: expected 1-D tensors, got shapes {self.shape} and {vec2.shape}")
    return self.reshape(self.shape[0], 1) * vec2.reshape(1, vec2.shape[0])


def _triangle(self: Tensor, diagonal: int, upper: bool) -> Tensor:
    name = "triu" if upper else "tril"
    if self.ndim < 2:
        raise ShapeError(f"{name}: input tensor must have at least 2 dimensions, got shape {self.shape}")
    return _matrix.Triangle.apply(self, k=_as_dim(diagonal, "diagonal"), upper=upper)


def _tril(self: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dims (elements on and below diagonal ``diagonal``), zeros above."""
    return _triangle(self, diagonal, False)


def _triu(self: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dims (elements on and above diagonal ``diagonal``), zeros below."""
    return _triangle(self, diagonal, True)


def _diagonal(self: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """Diagonal ``offset`` of the matrices in (dim1, dim2), as the last dim (a copy; PyTorch returns a view)."""
    if self.ndim < 2:
        raise ShapeError(f"diagonal: expected a tensor with at least 2 dims, got shape {self.shape}")
    d1, d2 = _dim(dim1, self.ndim), _dim(dim2, self.ndim)
    if d1 == d2:
        raise DimError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return _matrix.Diagonal.apply(self, offset=_as_dim(offset, "offset"), dim1=d1, dim2=d2)


def _diag(self: Tensor, diagonal: int = 0) -> Tensor:
    """Of a 1-D tensor: the square matrix with it on diagonal ``diagonal``; of a 2-D tensor: that diagonal."""
    k = _as_dim(diagonal, "diagonal")
    if self.ndim == 1:
        return _matrix.DiagEmbed.apply(self, offset=k)
    if self.ndim == 2:
        return _diagonal(self, k)
    raise ShapeError(f"diag: expected a 1-D or 2-D tensor, got shape {self.shape}")


def _roll(self: Tensor, shifts: int | Sequence[int], dims: int | Sequence[int] | None = None) -> Tensor:
    """Shift elements cyclically by ``shifts`` along ``dims`` (None: over the flattened tensor, shape kept)."""
    if dims is None:
        if isinstance(shifts, (tuple, list)):
            if len(shifts) != 1:
                raise ValueError(f"roll: without dims, shifts must be one int, got {shifts!r}")
            shifts = shifts[0]
        return _roll_ops.Roll.apply(self, shifts=_as_dim(shifts, "shifts"), axes=None)
    one = not isinstance(dims, (tuple, list))
    dims_t = (dims,) if one else tuple(dims)
    shifts_t = (shifts,) if not isinstance(shifts, (tuple, list)) else tuple(shifts)
    if len(dims_t) != len(shifts_t):
        raise ValueError(f"roll: shifts and dimensions must align. shifts: {len(shifts_t)}, dims: {len(dims_t)}")
    axes = tuple(_dim(d, self.ndim) for d in dims_t)
    if self.ndim == 0:
        return shape_ops.Reshape.apply(self, shape=())
    return _roll_ops.Roll.apply(self, shifts=tuple(_as_dim(s, "shifts") for s in shifts_t), axes=axes)


def _narrow(self: Tensor, dim: int, start: int, length: int) -> Tensor:
    """The slice start:start + length of ``dim`` (a view, as in PyTorch); a negative start counts from the end."""
    if self.ndim == 0:
        raise DimError("narrow() cannot be applied to a 0-dim tensor.")
    d = _dim(dim, self.ndim)
    n = self.shape[d]
    start, length = _as_dim(start, "start"), _as_dim(length, "length")
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got {start})")
    start %= n if n else 1
    if length < 0 or start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return self[(slice(None),) * d + (slice(start, start + length),)]


def _index_select(self: Tensor, dim: int, index: Tensor) -> Tensor:
    """The entries ``index`` (a 1-D or 0-d integer tensor) of ``dim``; repeated indices repeat (and add up
    their gradients)."""
    idx = _index_tensor(index, "index_select")
    if idx.ndim > 1:
        raise ShapeError(f"index_select(): Index is supposed to be a vector, got shape {tuple(idx.shape)}")
    d = _dim(dim, self.ndim)
    n = self.shape[d] if self.ndim else 1
    if idx.size and (int(idx.min()) < -n or int(idx.max()) >= n):
        raise IndexError(f"index_select(): index out of range for dim {dim} of size {n}")
    if self.ndim == 0:  # a 0-d input takes index [0] (or [-1]) and stays 0-d, as in PyTorch
        if idx.size != 1:
            raise IndexError(f"index_select(): a 0-d input takes one index, got {idx.size}")
        return shape_ops.Reshape.apply(self, shape=())
    # the index goes in as it came (a Tensor stays a recorded input for mg.jit); the op normalises it
    return _scatter_ops.IndexSelect.apply(self, index, axis=d)


def _scatter_args(self: Tensor, dim: int, index: Any, src: Any, fn: str) -> int:
    """Checks ``index`` (and ``src``) for scatter/scatter_add and returns the dim; the index itself goes to the op
    unchanged (a Tensor stays a recorded input for mg.jit) and the op counts negative entries from the end."""
    idx = _index_tensor(index, fn)
    d = _dim(dim, self.ndim)
    if idx.ndim != self.ndim and not (self.ndim == 0 and idx.ndim <= 1):
        raise ShapeError(f"{fn}: index {tuple(idx.shape)} must have as many dims as self {self.shape}")
    for i, m in enumerate(idx.shape):
        if i != d and self.ndim and m > self.shape[i]:
            raise ShapeError(f"{fn}: index {tuple(idx.shape)} is larger than self {self.shape} in dim {i}")
        if isinstance(src, Tensor) and m > (src.shape[i] if src.ndim else 1):
            raise ShapeError(f"{fn}: index {tuple(idx.shape)} is larger than src {src.shape} in dim {i}")
    n = self.shape[d] if self.ndim else 1
    if idx.size and (int(idx.min()) < -n or int(idx.max()) >= n):
        raise IndexError(f"{fn}: index out of range for dim {dim} of size {n}")
    return d


def _scatter(self: Tensor, dim: int, index: Tensor, src: Any = None, *, value: Any = None,
             reduce: str | None = None) -> Tensor:
    """A copy with src's elements (or the number ``value``) written at ``index`` along ``dim``: for dim 0,
    out[index[i][j]][j] = src[i][j]. Repeated indices: one of the writes wins (unspecified in PyTorch too)."""
    if reduce is not None:
        raise NotImplementedError("scatter: reduce= is deprecated in PyTorch and not implemented; use scatter_add")
    if src is None and value is None:
        raise TypeError("scatter() needs src (a Tensor) or value (a number)")
    if src is not None and not isinstance(src, Tensor):
        src, value = None, src  # scatter(dim, index, 1.5): the value form
    d = _scatter_args(self, dim, index, src, "scatter")
    if src is not None:
        if src.dtype != self.dtype:
            raise RuntimeError(f"scatter(): Expected self.dtype to be equal to src.dtype, got {self.dtype} and "
                               f"{src.dtype}")
        return _scatter_ops.Scatter.apply(self, index, src, axis=d)
    return _scatter_ops.Scatter.apply(self, index, None, axis=d, value=_scalar(value))


def _scatter_add(self: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """A copy with src's elements added at ``index`` along ``dim`` (repeated indices add up)."""
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_add: src must be a Tensor, got {type(src).__name__}")
    if src.dtype != self.dtype:
        raise RuntimeError(f"scatter_add(): Expected self.dtype to be equal to src.dtype, got {self.dtype} and "
                           f"{src.dtype}")
    d = _scatter_args(self, dim, index, src, "scatter_add")
    return _scatter_ops.ScatterAdd.apply(self, index, src, axis=d)


def _masked_select(self: Tensor, mask: Tensor) -> Tensor:
    """The elements where the bool ``mask`` (broadcast with self) is True, as a 1-D tensor in row-major order."""
    m = _raw(mask)
    if getattr(m, "dtype", None) is None or m.dtype.kind != "b":
        raise TypeError(f"masked_select: expected a bool mask, got {type(mask).__name__} of dtype "
                        f"{getattr(m, 'dtype', None)}")
    if not _broadcastable(self.shape, tuple(m.shape)):
        raise ShapeError(f"masked_select: mask {tuple(m.shape)} and input {self.shape} don't broadcast")
    shape = tuple(numpy.broadcast_shapes(self.shape, tuple(m.shape)))
    x = self if self.shape == shape else shape_ops.Expand.apply(self, shape=shape)
    return _scatter_ops.MaskedSelect.apply(x, mask)  # the op broadcasts the mask (a recorded input for mg.jit)


def _nonzero(self: Tensor, *, as_tuple: bool = False):
    """The indices of the nonzero elements: (count, ndim) int64, or with as_tuple one 1-D tensor per dim."""
    out = _scatter_ops.Nonzero.apply(self)
    if not as_tuple:
        return out
    if self.ndim == 0:  # PyTorch treats a 0-d tensor as 1-D here: one index tensor, [0] or empty
        return (_scatter_ops.Nonzero.apply(shape_ops.Reshape.apply(self, shape=(1,)))[:, 0],)
    return tuple(out[:, i] for i in range(self.ndim))


def _cumprod(self: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """Running product along ``dim``; integer and bool tensors multiply in int64 (or in ``dtype``)."""
    d = _dim(dim, self.ndim)
    x = _int64_if_integral(self) if dtype is None else self.to(dtype)
    return _scan.Cumprod.apply(x, axis=d) if self.ndim else shape_ops.Reshape.apply(x, shape=())


def _erf(self: Tensor) -> Tensor:
    """The error function, 2/sqrt(pi) * integral_0^x exp(-t**2) dt; integers compute in the default float."""
    return _pmath.Erf.apply(_floating(self))


def _atan2(self: Tensor, other: Any) -> Tensor:
    """The angle of (other, self) = atan2(self, other) in (-pi, pi], broadcasting; integers give floats."""
    return _binary(_pmath.Atan2, self, other, floating=True)


def _lerp(self: Tensor, end: Tensor, weight: Any) -> Tensor:
    """self + weight * (end - self) (weight a number or a tensor), broadcasting; floating inputs of one dtype."""
    if not isinstance(end, Tensor):
        raise TypeError(f"lerp: end must be a Tensor, got {type(end).__name__}")
    for t, name in ((self, "self"), (end, "end")) + (((weight, "weight"),) if isinstance(weight, Tensor) else ()):
        if t.dtype.kind != "f":
            raise RuntimeError(f"lerp: {name} must be floating point, got {t.dtype}")
        if t.dtype != self.dtype:
            raise RuntimeError(f"lerp: expected dtype {self.dtype} for {name} but got dtype {t.dtype}")
    shapes = [self.shape, end.shape] + ([weight.shape] if isinstance(weight, Tensor) else [])
    try:
        numpy.broadcast_shapes(*shapes)
    except ValueError:
        raise ShapeError(f"lerp: shapes {', '.join(map(str, shapes))} don't broadcast") from None
    if isinstance(weight, Tensor):
        return _pmath.Lerp.apply(self, end, weight)
    return _pmath.Lerp.apply(self, end, None, scalar=float(_scalar(weight)))


def _isclose(self: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
    """|self - other| <= atol + rtol * |other| elementwise (a bool tensor); same dtypes, as PyTorch requires."""
    if not isinstance(other, Tensor):
        raise TypeError(f"isclose: other must be a Tensor, got {type(other).__name__}")
    if self.dtype != other.dtype:
        raise RuntimeError(f"isclose(): {self.dtype} did not match {other.dtype}")
    if rtol < 0 or atol < 0:
        raise ValueError(f"isclose(): rtol and atol must be non-negative, got rtol={rtol}, atol={atol}")
    if not _broadcastable(self.shape, other.shape):
        raise ShapeError(f"isclose: shapes {self.shape} and {other.shape} don't broadcast")
    return _closeness.IsClose.apply(self, other, rtol=float(rtol), atol=float(atol), equal_nan=bool(equal_nan))


def _allclose(self: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    """Whether isclose holds everywhere (a Python bool)."""
    return bool(_isclose(self, other, rtol, atol, equal_nan)._data.all())


def _equal(self: Tensor, other: Tensor) -> bool:
    """Whether both have the same shape and the same elements (a Python bool; NaN is never equal)."""
    if not isinstance(other, Tensor):
        raise TypeError(f"equal: other must be a Tensor, got {type(other).__name__}")
    if self.shape != other.shape:
        return False
    if self.backend != other.backend:
        raise RuntimeError(f"equal: tensors on backends {self.backend!r} and {other.backend!r}")
    return bool((self._data == other._data).all())


def _norm(self: Tensor, p: Any = "fro", dim: int | Sequence[int] | None = None, keepdim: bool = False,
          dtype: Any = None) -> Tensor:
    """The vector p-norm over ``dim`` (every dim when None), as torch.norm: p a number (inf, -inf and 0 too) or
    "fro" (the 2-norm). A zero vector gets a zero gradient. Matrix norms ("nuc") are not implemented."""
    if isinstance(p, str):
        if p != "fro":
            raise NotImplementedError(f"norm: p={p!r} (a matrix norm) is not implemented; minigrad has vector norms "
                                      "(numbers, inf) and 'fro'")
        p = 2.0
    elif p is None:
        p = 2.0
    elif isinstance(p, bool) or not isinstance(p, (int, float)):
        raise TypeError(f"norm: p must be a number or 'fro', got {p!r}")
    x = self if dtype is None else self.to(dtype)
    if x.dtype.kind != "f":
        raise RuntimeError(f"norm: expected a floating point input, got dtype {x.dtype}")
    dims = _dims(dim)
    axes = tuple(range(x.ndim)) if dims is None else tuple(
        sorted({_dim(d, x.ndim) for d in (dims if isinstance(dims, tuple) else (dims,))}))
    if x.ndim == 0:
        axes = ()
    return _vector_norm.VectorNorm.apply(x, p=float(p), axes=axes, keepdim=bool(keepdim))


def _unflatten(self: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
    """Dim ``dim`` split into ``sizes`` (one of them may be -1), as torch.Tensor.unflatten."""
    d = _dim(dim, self.ndim)
    sizes = tuple(_as_dim(n, "sizes") for n in sizes)
    if not sizes:
        raise ValueError("unflatten: sizes must be non-empty")
    known = _prod(n for n in sizes if n != -1)
    n = self.shape[d]
    if sizes.count(-1) > 1 or (-1 in sizes and (known == 0 or n % known)) or (-1 not in sizes and known != n):
        raise ShapeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {dim} ({n}) "
                         "in the input tensor")
    return self.reshape(self.shape[:d] + sizes + self.shape[d + 1:])


def _broadcast_to(self: Tensor, size: Sequence[int]) -> Tensor:
    """This tensor broadcast to ``size`` (a view; -1 keeps a dim), as torch.broadcast_to."""
    return self.expand(*size) if isinstance(size, (tuple, list)) else self.expand(size)


for _fn in (_sort, _argsort, _topk, _median, _bmm, _outer, _tril, _triu, _diagonal, _diag, _roll, _narrow,
            _index_select, _scatter, _scatter_add, _masked_select, _nonzero, _cumprod, _erf, _atan2, _lerp, _isclose,
            _allclose, _equal, _norm, _unflatten, _broadcast_to):
    _fn.__name__ = _fn.__qualname__ = _fn.__name__[1:]
    setattr(Tensor, _fn.__name__, _fn)
Tensor.ger = Tensor.outer
Tensor.arctan2 = Tensor.atan2
del _fn
# --- end of ops: sort/argsort/topk/...
