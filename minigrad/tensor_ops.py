"""The op methods of Tensor: argument checks, PyTorch's type promotion, then the ops' Functions.

:class:`TensorOps` holds the methods; the op table (optable.py) attaches them to Tensor (the same function
objects: no wrapper, so no cost per call) and generates their ``mg.X`` function forms.
"""
from __future__ import annotations

import builtins
import operator
import warnings
from collections import namedtuple
from typing import Any, Sequence

import numpy

from . import dtypes
from ._args import _alias, _arg_dim, _as_dim, _broadcastable, _dim, _dims, _int_arg, _int_args, _prod, _scalar
from .errors import DimError, ShapeError
from .layout import check_memory_format
from .ops import closeness as _closeness, convert, elementwise, linalg, logical, matrix as _matrix
from .ops import pointwise_math as _pmath, reduce, roll as _roll_ops, scan as _scan, scatter as _scatter_ops
from .ops import shape as shape_ops, sorting as _sorting, vector_norm as _vector_norm
from .tensor import Tensor, _raw, tensor, wrap

__all__ = ["TensorOps", "cat", "stack", "where", "einsum", "meshgrid"]

_PASS_THROUGH = (Tensor, int, float, bool)
values_indices = namedtuple("values_indices", ["values", "indices"])


class TensorOps:
    """Op methods attached to Tensor by the op table (a holder, never instantiated or subclassed)."""

    def clone(self) -> "Tensor":
        return elementwise.Clone.apply(self)

    def contiguous(self, memory_format: Any = None) -> "Tensor":
        """This tensor when its array is already row-major without gaps, else a row-major copy (differentiable,
        as clone). Views such as ``t()`` and conv2d's output (kept in its computing layout) are not."""
        check_memory_format("contiguous", memory_format)
        return self if self._data.flags.c_contiguous else elementwise.Clone.apply(self)

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
    def __mod__(self, other): return _binary(elementwise.Remainder, self, other)
    def __rmod__(self, other): return _binary(elementwise.Remainder, other, self)
    def __floordiv__(self, other): return _binary(elementwise.FloorDivide, self, other)
    def __rfloordiv__(self, other): return _binary(elementwise.FloorDivide, other, self)
    def __and__(self, other): return _bitwise(operator.and_, self, other)
    def __rand__(self, other): return _bitwise(operator.and_, other, self)
    def __or__(self, other): return _bitwise(operator.or_, self, other)
    def __ror__(self, other): return _bitwise(operator.or_, other, self)
    def __xor__(self, other): return _bitwise(operator.xor, self, other)
    def __rxor__(self, other): return _bitwise(operator.xor, other, self)
    def __invert__(self): return _bitwise(operator.invert, self, None)

    remainder = __mod__
    floor_divide = __floordiv__
    bitwise_and = __and__
    bitwise_or = __or__
    bitwise_xor = __xor__
    bitwise_not = __invert__

    add = __add__
    sub = __sub__
    mul = __mul__

    def div(self, other: Any, *, rounding_mode: str | None = None) -> "Tensor":
        """self / other; ``rounding_mode`` "trunc" rounds toward zero, "floor" toward -inf (zero gradient), both
        keeping integer dtypes, as in PyTorch."""
        if rounding_mode is None:
            return _binary(elementwise.Div, self, other, floating=True)
        if rounding_mode == "floor":
            return _binary(elementwise.FloorDivide, self, other)
        if rounding_mode == "trunc":
            return _binary(elementwise.TruncDivide, self, other)
        raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                         f"{rounding_mode!r}")
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
        """A copy with ``value`` wherever the bool ``mask`` is True; mask and tensor broadcast together, as in
        PyTorch (the in-place form needs the result to keep this tensor's shape)."""
        m = _raw(mask)
        if getattr(m, "dtype", None) is None or m.dtype.kind != "b":
            raise TypeError(f"masked_fill: mask must be a bool tensor, got {type(mask).__name__} of dtype "
                            f"{getattr(m, 'dtype', None)}")
        if not _broadcastable(m.shape, self.shape):
            raise ShapeError(f"masked_fill: mask of shape {tuple(m.shape)} does not broadcast with {self.shape}")
        if len(m.shape) > self.ndim or any(a > b for a, b in zip(reversed(m.shape), reversed(self.shape))):
            self = self.expand(*numpy.broadcast_shapes(tuple(m.shape), tuple(self.shape)))
        if isinstance(value, Tensor):
            if value.ndim != 0:
                raise RuntimeError(f"masked_fill only supports a 0-dimensional value tensor, but got tensor with "
                                   f"{value.ndim} dimension(s)")
            if value._requires_grad:  # an input of the op: its gradient is the sum over the masked places
                return elementwise.MaskedFill.apply(self, mask, value)
        return elementwise.MaskedFill.apply(self, mask, value=_scalar(value))

    def where(self, condition: "Tensor", other: Any) -> "Tensor":
        """``mg.where(condition, self, other)``."""
        return where(condition, self, other)

    def sin(self): return elementwise.Sin.apply(_floating(self))
    def cos(self): return elementwise.Cos.apply(_floating(self))

    def floor(self): return self._step("floor")
    def ceil(self): return self._step("ceil")
    def round(self, *, decimals: int = 0) -> "Tensor":
        """Round half to even, to ``decimals`` decimal places (negative: to tens, hundreds, ...)."""
        decimals = _int_arg(decimals, "decimals", "round")
        if not decimals:
            return self._step("round")
        if self.dtype.kind != "f" and decimals > 0:  # integers have no decimals to round
            return self.clone()
        return elementwise.Step.apply(self, fn="round", decimals=decimals)

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

    def squeeze(self, dim: int | Sequence[int] | None = None) -> "Tensor":
        """Drop size-1 dims: all of them, or those among ``dim`` (an int or a tuple; others stay)."""
        shp = self.shape
        if dim is None:
            return self.reshape(tuple(n for n in shp if n != 1))
        if isinstance(dim, (tuple, list)):
            ds = {_dim(d, max(self.ndim, 1)) for d in dim}
            return shape_ops.Reshape.apply(self, shape=tuple(n for i, n in enumerate(shp) if i not in ds or n != 1))
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

    def flip(self, *dims: int | Sequence[int], **kw: Any) -> "Tensor":
        """Reverse the order along ``dims`` (a copy, as in PyTorch); ``dims=`` by name too, as torch.flip takes it."""
        if kw:
            if dims or set(kw) != {"dims"}:
                raise TypeError(f"flip() takes the dims as varargs, one sequence or dims=, got {dims} and {kw}")
            dims = (kw["dims"],)
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
        if self.ndim == 0 and idx.ndim <= 1:  # PyTorch takes a 0-d input as one element along dim 0 (or -1)
            _dim(dim, 1)
            out = self.reshape(1).gather(0, index.reshape(-1) if isinstance(index, Tensor) else idx.reshape(-1))
            return out.reshape(idx.shape)
        d = _dim(dim, self.ndim)
        if idx.size == 0:  # nothing to gather: PyTorch checks no shapes and returns the index's (empty) shape
            return self.reshape(-1)[:0].reshape(idx.shape)
        if idx.ndim != self.ndim or any(m > n for i, (m, n) in enumerate(zip(idx.shape, self.shape)) if i != d):
            raise ShapeError(f"gather: index of shape {tuple(idx.shape)} must have the {self.ndim} dims of the input "
                             f"{self.shape} and be no larger in dims other than {dim}")
        return shape_ops.TakeAlongDim.apply(self, index, axis=d)

    # ----------------------------------------------------------------- softmax family
    # Thin aliases of minigrad.nn.functional, imported late because nn builds on Tensor.
    def softmax(self, dim: int, dtype: Any = None) -> "Tensor":
        from .nn import functional
        return functional.softmax(self, dim, dtype=dtype)

    def log_softmax(self, dim: int, dtype: Any = None) -> "Tensor":
        from .nn import functional
        return functional.log_softmax(self, dim, dtype=dtype)

    def logsumexp(self, dim: int | Sequence[int], keepdim: bool = False) -> "Tensor":
        """log(sum(exp(x))) over ``dim``, computed stably; integer input gives the default float dtype."""
        from .nn import functional
        return functional.logsumexp(_floating(self), dim, keepdim)
    # ----------------------------------------------------------------- end of the softmax family block


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


def _int64_if_integral(t: Tensor) -> Tensor:
    """Sums and products of bool and integer tensors are int64 in PyTorch (NumPy keeps uint64 or int32...)."""
    d = t._data.dtype
    return t if d.kind == "f" or d == numpy.int64 else convert.Cast.apply(t, numpy.dtype(numpy.int64))


def _floating(t: Tensor) -> Tensor:
    """``t`` itself if floating, else cast (differentiably) to the default float dtype."""
    return t if t._data.dtype.kind == "f" else convert.Cast.apply(t, dtypes.get_default_dtype())


def _bitwise(op: Any, a: Any, b: Any) -> Tensor:
    """A bitwise op on integer or bool tensors (and Python ints/bools); floats raise, as in PyTorch."""
    if not isinstance(a, Tensor):
        a = _operand(a, b)
    elif b is not None and not isinstance(b, Tensor):
        b = _operand(b, a)
    for v in (a, b):
        kind = v._data.dtype.kind if isinstance(v, Tensor) else "f" if isinstance(v, float) else "i"
        if v is not None and kind not in "biu":
            raise TypeError(f"{op.__name__.strip('_')}: bitwise ops need integer or bool operands, got "
                            f"{v.dtype if isinstance(v, Tensor) else type(v).__name__}")
    if b is None:
        return logical.Bitwise.apply(a, op=op)
    if isinstance(b, Tensor) and isinstance(a, Tensor) and a.dtype != b.dtype:
        want = dtypes.result_type(a._data, b._data)
        a, b = (convert.Cast.apply(v, want) if v.dtype != want else v for v in (a, b))
    try:
        return logical.Bitwise.apply(a, b, op=op)
    except ValueError as e:
        raise ShapeError(f"{op.__name__.strip('_')}: shapes {a.shape} and {getattr(b, 'shape', ())} don't "
                         "broadcast") from e


def _matmul_operand(other: Any, like: Tensor) -> Any:
    if isinstance(other, (int, float, numpy.generic)):  # bool is an int
        raise RuntimeError(f"matmul: both arguments to matmul need to be at least 1-D, but the operand is the scalar "
                           f"{other!r}")
    return _operand(other, like)


# ----------------------------------------------------------------------------- ops with no method

def _tensors(tensors: Sequence[Tensor], fn: str) -> list[Tensor]:
    ts = list(tensors)
    if not ts:
        raise ValueError(f"{fn}: expected a non-empty sequence of tensors")
    for i, t in enumerate(ts):
        if not isinstance(t, Tensor):
            raise TypeError(f"{fn}: expected a sequence of Tensors, but element {i} is {type(t).__name__}")
    return ts


def _same_dtype(ts: list[Tensor]) -> list[Tensor]:
    """Cast to the promoted dtype (PyTorch's rules), differentiably, where dtypes differ."""
    if builtins.all(t.dtype == ts[0].dtype for t in ts):
        return ts
    want = dtypes.result_type(*(t._data for t in ts))
    return [t if t.dtype == want else convert.Cast.apply(t, want) for t in ts]


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing ``dim``; their other dims must match. 1-D empty tensors are skipped,
    as PyTorch does for legacy code."""
    ts = _tensors(tensors, "cat")
    ts = [t for t in ts if not (t.ndim == 1 and t.shape[0] == 0)] or ts[:1]
    ref = ts[0]
    if ref.ndim == 0:
        raise ShapeError("cat: zero-dimensional tensors cannot be concatenated (use stack)")
    d = _dim(dim, ref.ndim)
    for i, t in enumerate(ts):
        if t.ndim != ref.ndim or builtins.any(m != n for j, (m, n) in enumerate(zip(t.shape, ref.shape)) if j != d):
            raise ShapeError(f"cat: tensor {i} has shape {t.shape}, which does not match {ref.shape} outside dim {dim}")
    ts = _same_dtype(ts)
    return shape_ops.Cat.apply(*ts, axis=d) if len(ts) > 1 else ts[0].clone()


concat = concatenate = cat


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors of one shape along a new ``dim``."""
    ts = _tensors(tensors, "stack")
    for i, t in enumerate(ts):
        if t.shape != ts[0].shape:
            raise ShapeError(f"stack: expects tensors of one shape, but tensor 0 has {ts[0].shape} and tensor {i} "
                             f"has {t.shape}")
    d = _dim(dim, ts[0].ndim + 1)
    return cat([t.unsqueeze(d) for t in ts], d)


def where(condition: Tensor, input: Any, other: Any) -> Tensor:
    """``input`` where ``condition`` is True, else ``other``; all three broadcast. ``input``/``other`` may be
    Python scalars (weakly typed: ``where(c, float32_tensor, 0.0)`` stays float32)."""
    if not isinstance(condition, Tensor) or condition.dtype.kind != "b":
        raise TypeError(f"where: condition must be a bool tensor, got {type(condition).__name__}"
                        f"{' of dtype ' + str(condition.dtype) if isinstance(condition, Tensor) else ''}")
    want = dtypes.result_type(*(v._data if isinstance(v, Tensor) else v for v in (input, other)))
    # Scalars become 0-d arrays of the result dtype on the condition's backend: no dtype drift, and CuPy
    # gets arrays.
    a, b = (convert.Cast.apply(v, want) if isinstance(v, Tensor) and v.dtype != want else
            v if isinstance(v, Tensor) else tensor(v, dtype=want, backend=condition.backend) for v in (input, other))
    shapes = [condition.shape, a.shape, b.shape]
    try:
        return elementwise.Where.apply(condition, a, b)
    except ValueError as e:
        raise ShapeError(f"where: shapes {shapes} don't broadcast together") from e


def einsum(equation: str, *operands: Tensor) -> Tensor:
    """Einstein summation, as torch.einsum: ``mg.einsum("bij,bjk->bik", a, b)``; operands may also come as
    one list. Implicit output (no ``->``) and ``...`` work as in PyTorch; repeated subscripts (diagonals)
    are differentiable too."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    ts = _same_dtype(_tensors(operands, "einsum"))
    subs, out = linalg.parse_einsum(equation, [t.shape for t in ts])
    for c in set("".join(subs)):
        sizes = {t.shape[k] for t, s in zip(ts, subs) for k, ch in enumerate(s) if ch == c}
        if len(sizes - {1}) > 1:
            raise ShapeError(f"einsum: subscript {c!r} has sizes {sorted(sizes)} in {equation!r}")
    return linalg.Einsum.apply(*ts, subs=subs, out=out)


def meshgrid(*tensors: Tensor | Sequence[Tensor], indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids from 1-D (or 0-d) tensors: with indexing "ij" (PyTorch's default) output i varies along
    dim i; "xy" swaps the first two dims (NumPy's and MATLAB's convention). Each output broadcasts its input
    (a view; gradients sum back)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    ts = _tensors(tensors, "meshgrid")
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument.",
                      UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise ValueError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    for t in ts:
        if t.ndim > 1:
            raise ShapeError(f"meshgrid: expected 0-d or 1-d tensors, got a tensor of shape {t.shape}")
        if t.dtype != ts[0].dtype or t.backend != ts[0].backend:
            raise RuntimeError("meshgrid: expects all tensors to have the same dtype and backend")
    sizes = [t.numel() for t in ts]
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for i, t in enumerate(ts):
        axis = (1 - i if i < 2 else i) if swap else i
        shape = [1] * len(ts)
        shape[axis] = t.numel()
        out.append(t.reshape(*shape).expand(*sizes))
    return tuple(out)


# --- ops: sort/argsort/topk/median, bmm/outer, tril/triu/diag/diagonal, roll/narrow, index_select/scatter/
# --- scatter_add/masked_select/nonzero, cumprod, erf/atan2/lerp, isclose/allclose/equal, norm/unflatten/
# --- broadcast_to (Tensor methods, held by TensorOps like those above; their forms are lines of optable.py)


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
    out[index[i][j]][j] = src[i][j]. Repeated indices: one of the writes wins (unspecified in PyTorch too).
    ``reduce`` "add" or "multiply" (deprecated in PyTorch: scatter_add / scatter_reduce) combines the values
    into the places instead, without a derivative."""
    if reduce not in (None, "add", "multiply"):
        raise RuntimeError(f"scatter: reduce argument must be either add or multiply, got {reduce!r}")
    if src is None and value is None:
        raise TypeError("scatter() needs src (a Tensor) or value (a number)")
    if src is not None and not isinstance(src, Tensor):
        src, value = None, src  # scatter(dim, index, 1.5): the value form
    d = _scatter_args(self, dim, index, src, "scatter")
    if src is not None:
        if src.dtype != self.dtype:
            raise RuntimeError(f"scatter(): Expected self.dtype to be equal to src.dtype, got {self.dtype} and "
                               f"{src.dtype}")
        return _scatter_ops.Scatter.apply(self, index, src, axis=d, reduce=reduce)
    return _scatter_ops.Scatter.apply(self, index, None, axis=d, value=_scalar(value), reduce=reduce)


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
    setattr(TensorOps, _fn.__name__, _fn)
del _fn
# --- end of ops: sort/argsort/topk/...
