"""Tensor: an array from a backend plus what autograd needs (requires_grad, grad, grad_fn).

Every differentiable method delegates to an op in ``minigrad/ops``; this file holds no maths of its own.
"""
from __future__ import annotations

import builtins
from collections import namedtuple
from typing import Any, Iterable, Sequence

import numpy

from . import autograd, dtypes
from .backend import ARRAY_TYPES, array_module, backend_of, get_backend, transfer

__all__ = ["Tensor", "tensor"]

_PASS_THROUGH = (int, float, bool)  # Tensor is added below, once it exists
values_indices = namedtuple("values_indices", ["values", "indices"])


class Tensor:
    """An n-dimensional array that can record the operations applied to it.

    ``Tensor(data, requires_grad=False, dtype=None, backend=None)`` is the same as :func:`minigrad.tensor`.
    """
    __slots__ = ("_data", "grad", "requires_grad", "grad_fn", "_vc", "_retains_grad", "__weakref__")
    __array_priority__ = 1000  # so ndarray + Tensor defers to Tensor.__radd__

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None, backend: str | None = None):
        self._data = _to_array(data, dtype, backend)
        self.grad = None
        self.grad_fn = None
        self._vc = [0]  # version counter, shared with views and detach()ed aliases
        self._retains_grad = False
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # ----------------------------------------------------------------- attributes
    @property
    def data(self):
        """The raw backend array. Assigning replaces it and counts as an in-place change."""
        return self._data

    @data.setter
    def data(self, value) -> None:
        value = value._data if isinstance(value, Tensor) else value
        if type(value) not in ARRAY_TYPES:
            value = _coerce(value)
        self._data = value
        self._vc[0] += 1

    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    def size(self, dim: int | None = None):
        return self._data.shape if dim is None else self._data.shape[dim]

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
    def device(self) -> str:
        """PyTorch's name for where the data lives: "cpu" or "cuda"."""
        return backend_of(self._data).device

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
            raise RuntimeError(f"only floating point tensors can require gradients (got dtype {self._data.dtype})")
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError("requires_grad_(False) is only allowed on leaf tensors; use .detach()")
        self.requires_grad = bool(requires_grad)
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
    def backward(self, gradient: Any = None, retain_graph: bool = False) -> None:
        """Compute d(self)/d(leaf) for every leaf that requires grad and add it to ``leaf.grad``.

        ``gradient`` (same shape as self) is the upstream gradient; it may be omitted for one-element tensors.
        """
        if not self.requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
        if gradient is None:
            if self._data.size != 1:
                raise RuntimeError(f"grad can be implicitly created only for scalar outputs; this tensor has shape "
                                   f"{self.shape}: pass backward(gradient=...) of that shape")
            g = self.xp.ones_like(self._data)
        else:
            g = gradient._data if isinstance(gradient, Tensor) else _to_array(gradient, self.dtype, self.backend)
            if backend_of(g) != self.backend:
                raise RuntimeError(f"gradient is on backend {backend_of(g).name!r} but the tensor is on {self.backend!r}")
            if g.shape != self.shape:
                raise RuntimeError(f"gradient has shape {tuple(g.shape)} but the tensor has shape {self.shape}")
        autograd.backward(self, g, retain_graph)

    def detach(self) -> "Tensor":
        """A new leaf sharing this tensor's data (and version counter), cut from the graph."""
        t = wrap(self._data)
        t._vc = self._vc
        return t

    def detach_(self) -> "Tensor":
        self.grad_fn = None
        self.requires_grad = False
        return self

    # ----------------------------------------------------------------- conversion
    def numpy(self) -> numpy.ndarray:
        """A host NumPy copy of the data (never a view: writing to it cannot corrupt a graph)."""
        return backend_of(self._data).to_host(self._data)

    def __array__(self, dtype=None, copy=None):
        a = self.detach().numpy()
        return a if dtype is None else a.astype(dtype)

    def item(self) -> float | int | bool:
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to a Python scalar")
        return self._data.item()

    def tolist(self):
        return self._data.tolist()

    def to(self, *args: Any, dtype: Any = None, backend: str | None = None, device: str | None = None) -> "Tensor":
        """``to("cupy")``, ``to(mg.float64)``, ``to("cuda", mg.float32)``, ``to(other_tensor)``: differentiable."""
        for a in args:
            if isinstance(a, Tensor):
                backend, dtype = a.backend, a.dtype
            elif isinstance(a, str):
                backend = a
            else:
                dtype = a
        backend = backend or device
        out = self
        if backend is not None and get_backend(backend).name != self.backend:
            out = convert.ToBackend.apply(out, get_backend(backend).name)
        if dtype is not None and numpy.dtype(dtype) != out.dtype:
            out = convert.Cast.apply(out, numpy.dtype(dtype))
        return out

    def float(self) -> "Tensor":
        return self.to(dtype=numpy.float32)

    def double(self) -> "Tensor":
        return self.to(dtype=numpy.float64)

    def cpu(self) -> "Tensor":
        return self.to("numpy")

    def cuda(self) -> "Tensor":
        return self.to("cupy")

    def type(self, dtype: Any) -> "Tensor":
        return self.to(dtype=dtype)

    def clone(self) -> "Tensor":
        return elementwise.Clone.apply(self)

    # ----------------------------------------------------------------- in-place (no graph; version bump)
    def _inplace(self, name: str) -> Any:
        if autograd.is_grad_enabled() and self.requires_grad:
            what = "a leaf Variable that requires grad" if self.grad_fn is None else "a tensor that is part of a graph"
            raise RuntimeError(f"{name}: {what} is being used in an in-place operation; wrap it in mg.no_grad()")
        self._vc[0] += 1
        return self._data

    def add_(self, other: Any, alpha: float = 1) -> "Tensor":
        d, o = self._inplace("add_"), _raw(other)
        d += o if alpha == 1 else alpha * o
        return self

    def sub_(self, other: Any, alpha: float = 1) -> "Tensor":
        d, o = self._inplace("sub_"), _raw(other)
        d -= o if alpha == 1 else alpha * o
        return self

    def mul_(self, other: Any) -> "Tensor":
        d = self._inplace("mul_")
        d *= _raw(other)
        return self

    def div_(self, other: Any) -> "Tensor":
        d = self._inplace("div_")
        d /= _raw(other)
        return self

    def zero_(self) -> "Tensor":
        self._inplace("zero_").fill(0)
        return self

    def fill_(self, value: float) -> "Tensor":
        self._inplace("fill_").fill(_raw(value))
        return self

    def copy_(self, src: Any) -> "Tensor":
        d, s = self._inplace("copy_"), _raw(src)
        if backend_of(s) is not backend_of(d):
            s = transfer(s, backend_of(d))
        d[...] = s
        return self

    def uniform_(self, a: float = 0.0, b: float = 1.0) -> "Tensor":
        from .factories import default_generator
        return self.copy_(default_generator().uniform(a, b, size=self.shape).astype(self.dtype))

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> "Tensor":
        from .factories import default_generator
        return self.copy_(default_generator().normal(mean, std, size=self.shape).astype(self.dtype))

    def __setitem__(self, index: Any, value: Any) -> None:
        d, v = self._inplace("__setitem__"), _raw(value)
        d[_raw_index(index)] = v

    # ----------------------------------------------------------------- arithmetic
    def __add__(self, other): return elementwise.Add.apply(self, _operand(other, self))
    def __radd__(self, other): return elementwise.Add.apply(_operand(other, self), self)
    def __sub__(self, other): return elementwise.Sub.apply(self, _operand(other, self))
    def __rsub__(self, other): return elementwise.Sub.apply(_operand(other, self), self)
    def __mul__(self, other): return elementwise.Mul.apply(self, _operand(other, self))
    def __rmul__(self, other): return elementwise.Mul.apply(_operand(other, self), self)
    def __truediv__(self, other): return elementwise.Div.apply(self, _operand(other, self))
    def __rtruediv__(self, other): return elementwise.Div.apply(_operand(other, self), self)
    def __pow__(self, other): return elementwise.Pow.apply(self, _operand(other, self))
    def __rpow__(self, other): return elementwise.Pow.apply(_operand(other, self), self)
    def __matmul__(self, other): return linalg.MatMul.apply(self, _operand(other, self))
    def __rmatmul__(self, other): return linalg.MatMul.apply(_operand(other, self), self)
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

    def exp(self): return elementwise.Exp.apply(self)
    def log(self): return elementwise.Log.apply(self)
    def sqrt(self): return elementwise.Sqrt.apply(self)
    def sigmoid(self): return elementwise.Sigmoid.apply(self)
    def relu(self): return elementwise.ReLU.apply(self)
    def tanh(self): return elementwise.Tanh.apply(self)

    # comparisons: results are bool tensors and never require grad
    def _compare(self, other, op):
        return wrap(op(self._data, _raw(other)))

    def __eq__(self, other): return self._compare(other, lambda a, b: a == b)
    def __ne__(self, other): return self._compare(other, lambda a, b: a != b)
    def __lt__(self, other): return self._compare(other, lambda a, b: a < b)
    def __le__(self, other): return self._compare(other, lambda a, b: a <= b)
    def __gt__(self, other): return self._compare(other, lambda a, b: a > b)
    def __ge__(self, other): return self._compare(other, lambda a, b: a >= b)
    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__
    __hash__ = object.__hash__

    # ----------------------------------------------------------------- reductions
    def sum(self, dim: int | Sequence[int] | None = None, keepdim: bool = False) -> "Tensor":
        return reduce.Sum.apply(self, axis=reduce.normalize_axes(dim, self.ndim), keepdims=keepdim)

    def mean(self, dim: int | Sequence[int] | None = None, keepdim: bool = False) -> "Tensor":
        if not dtypes.is_floating(self._data.dtype):
            raise RuntimeError(f"mean() needs a floating point tensor, got dtype {self._data.dtype}; "
                               "convert with .double() or .float() first")
        return reduce.Mean.apply(self, axis=reduce.normalize_axes(dim, self.ndim), keepdims=keepdim)

    def max(self, dim: int | None = None, keepdim: bool = False):
        """Without ``dim``: the largest element. With ``dim``: (values, indices), like PyTorch.

        The gradient goes to the first maximum in row-major order (NumPy's argmax); ties get nothing.
        """
        if dim is None:
            return reduce.Max.apply(self, axis=reduce.normalize_axes(None, self.ndim), keepdims=False)
        values = reduce.Max.apply(self, axis=reduce.normalize_axes(dim, self.ndim), keepdims=keepdim)
        return values_indices(values, self.argmax(dim, keepdim))

    def min(self, dim: int | None = None, keepdim: bool = False):
        """Like :meth:`max`, for the smallest element (first minimum gets the gradient)."""
        if dim is None:
            return -((-self).max())
        values, _ = (-self).max(dim, keepdim)
        return values_indices(-values, self.argmin(dim, keepdim))

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> "Tensor":
        return wrap(_arg_reduce(self._data.argmax, dim, keepdim, self.ndim))

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> "Tensor":
        return wrap(_arg_reduce(self._data.argmin, dim, keepdim, self.ndim))

    # ----------------------------------------------------------------- shape
    def reshape(self, *shape: int | Sequence[int]) -> "Tensor":
        # NumPy checks the shape (one -1 allowed) and names both sizes in its error
        return shape_ops.Reshape.apply(self, shape=_size_args(shape))

    def view(self, *shape: int | Sequence[int]) -> "Tensor":
        return self.reshape(*shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> "Tensor":
        shp = self._data.shape
        if not shp:
            return self.reshape(1)
        s, e = _dim(start_dim, len(shp)), _dim(end_dim, len(shp))
        if s > e:
            raise ValueError(f"flatten: start_dim ({start_dim}) must not come after end_dim ({end_dim})")
        middle = -1 if self._data.size else _prod(shp[s:e + 1])  # -1 is ambiguous for empty tensors
        return shape_ops.Reshape.apply(self, shape=shp[:s] + (middle,) + shp[e + 1:])

    def squeeze(self, dim: int | None = None) -> "Tensor":
        shp = self.shape
        if dim is None:
            return self.reshape(tuple(n for n in shp if n != 1))
        d = _dim(dim, self.ndim)
        return self if shp[d] != 1 else self.reshape(shp[:d] + shp[d + 1:])

    def unsqueeze(self, dim: int) -> "Tensor":
        d = _dim(dim, self.ndim + 1)
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def permute(self, *dims: int | Sequence[int]) -> "Tensor":
        dims = tuple(_dim(d, self.ndim) for d in _size_args(dims))
        if sorted(dims) != list(range(self.ndim)):
            raise ValueError(f"permute: {dims} is not a permutation of the {self.ndim} dims of shape {self.shape}")
        return shape_ops.Permute.apply(self, axes=dims)

    def transpose(self, dim0: int, dim1: int) -> "Tensor":
        axes = list(range(self.ndim))
        d0, d1 = _dim(dim0, self.ndim), _dim(dim1, self.ndim)
        axes[d0], axes[d1] = axes[d1], axes[d0]
        return shape_ops.Permute.apply(self, axes=tuple(axes))

    @property
    def T(self) -> "Tensor":
        return shape_ops.Permute.apply(self, axes=tuple(reversed(range(self.ndim))))

    def t(self) -> "Tensor":
        if self.ndim > 2:
            raise ValueError(f"t() expects a tensor with <= 2 dims, got shape {self.shape}")
        return self.T

    def __getitem__(self, index: Any) -> "Tensor":
        index = _raw_index(index)
        op = shape_ops.GetItem if shape_ops.is_basic_index(index) else shape_ops.Gather
        return op.apply(self, index=index)

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of a Tensor with {self._data.size} elements is ambiguous")
        return bool(self._data.item())

    def __float__(self) -> builtins.float: return builtins.float(self.item())
    def __int__(self) -> int: return int(self.item())
    def __index__(self) -> int: return int(self.item())

    # ----------------------------------------------------------------- repr
    def __repr__(self) -> str:
        d = self.numpy()
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
_PASS_THROUGH = (Tensor, *_PASS_THROUGH)
_new = object.__new__


def wrap(array: Any) -> Tensor:
    """Fast path for ops: adopt an array as a new tensor without copying or checks (hot path)."""
    t = _new(Tensor)
    t._data = array if type(array) in ARRAY_TYPES else _coerce(array)  # 0-d NumPy results arrive as scalars
    t.grad = None
    t.grad_fn = None
    t.requires_grad = False
    t._vc = [0]
    t._retains_grad = False
    return t



def _coerce(a: Any):
    """0-d NumPy results come back as NumPy scalars; make them arrays again."""
    if type(a) in ARRAY_TYPES:
        return a
    if isinstance(a, numpy.ndarray):  # a subclass such as np.matrix
        return numpy.asarray(a)
    return array_module(a).asarray(a)


def _to_array(data: Any, dtype: Any, backend: str | None):
    """Any array-like to an array on ``backend`` with ``dtype`` (Python floats get the default dtype)."""
    if isinstance(data, Tensor):
        data = data._data
    want = get_backend(backend) if backend is not None else None
    src = backend_of(data)
    if src.is_host:
        if not isinstance(data, numpy.ndarray):
            data = numpy.asarray(data)
            if dtype is None and data.dtype.kind == "f":
                dtype = dtypes.get_default_dtype()
            elif dtype is None and data.dtype.kind in "iu":
                dtype = numpy.int64
            elif data.dtype.kind not in "fiub":
                raise TypeError(f"can't make a tensor from data of dtype {data.dtype} ({type(data).__name__})")
        if want is None:
            want = get_backend(None)
    want = want or src
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype)
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


def _raw(x: Any) -> Any:
    return x._data if isinstance(x, Tensor) else x


def _raw_index(index: Any) -> Any:
    if isinstance(index, tuple):
        return tuple(_raw(i) for i in index)
    return _raw(index)


def _dim(d: int, ndim: int) -> int:
    if not -ndim <= d < max(ndim, 1):
        raise IndexError(f"dimension {d} is out of range for a tensor with {ndim} dims")
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


def _arg_reduce(method, dim, keepdim, ndim):
    if dim is None:
        return method()
    out = method(axis=_dim(dim, ndim))
    if keepdim:
        out = array_module(out).expand_dims(out, _dim(dim, ndim))
    return out


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False, backend: str | None = None) -> Tensor:
    """Make a tensor from data (list, scalar, NumPy/CuPy array, Tensor), always copying.

    Python floats become the default dtype (float32 unless changed), ints int64; arrays keep their dtype.
    ``backend`` defaults to "cupy" for CuPy arrays, else to the default backend.
    """
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, backend=backend)


from .ops import convert, elementwise, linalg, reduce  # noqa: E402  (ops build on Tensor)
from .ops import shape as shape_ops  # noqa: E402
