"""Argument checking shared by Tensor methods, the ``mg.X`` functions and ``nn.functional``: dims, sizes, scalars
and broadcastability, each once, with errors that name the argument.

It sits below tensor.py (tensor.py installs the Tensor class here, as it does into the engine), so every layer can
use it.
"""
from __future__ import annotations

import operator
from typing import Any, Iterable

import numpy

from .errors import DimError

Tensor: Any = None  # set by install() when tensor.py has defined the class


def install(tensor_class: type) -> None:
    """Called once by tensor.py: the checks below recognise tensors (one-element dims, scalars) by this class."""
    global Tensor
    Tensor = tensor_class


def _check_tensor(x: Any, name: str, fn: str) -> None:
    """``x`` must be a minigrad Tensor: a TypeError naming the op and argument otherwise."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}: {name} must be a minigrad Tensor, got {type(x).__name__}")


def _float_input(x: Any, fn: str, name: str = "input") -> None:
    """``x`` must be a floating point Tensor."""
    _check_tensor(x, name, fn)
    if x._data.dtype.kind != "f":
        raise TypeError(f"{fn}: {name} must be a floating point tensor, got dtype {x.dtype}")


def as_int(v: Any) -> int | None:
    """v as an int when it is one (a Python or NumPy integer, a one-element integer array or tensor; not a
    bool; NumPy's bool_ has no __index__), else None: the callers say which argument was wrong."""
    if type(v) is int:  # the common case, and no bool (a subclass)
        return v
    if isinstance(v, bool) or not hasattr(type(v), "__index__"):  # a tuple: no exception to raise and catch
        return None
    try:
        return operator.index(v)
    except (TypeError, ValueError):
        return None


def _int_arg(v: Any, name: str, fn: str, minimum: int | None = None, error: type = TypeError) -> int:
    """An int (Python or NumPy integer, a one-element integer tensor; not bool), at least ``minimum`` when given;
    else ``error`` naming the argument (the conv/pool geometry checks pass ShapeError, so NumPy- and
    PyTorch-style handlers both catch it)."""
    i = as_int(v)
    if i is None and isinstance(v, (bool, numpy.bool_)):
        raise error(f"{fn}: {name} must be an int, got {v!r}")
    if i is None:
        raise error(f"{fn}: {name} must be an int, got {v!r:.60} ({type(v).__name__})")
    if minimum is not None and i < minimum:
        raise error(f"{fn}: {name} must be >= {minimum}, got {v!r}")
    return i


def _broadcasts_to(shape: tuple, target: tuple) -> bool:
    """Whether ``shape`` broadcasts to exactly ``target`` (no new dims, only size-1 ones stretched)."""
    return len(shape) <= len(target) and all(a in (1, b) for a, b in zip(reversed(shape), reversed(target)))


def _broadcastable(s1: tuple, s2: tuple) -> bool:
    return all(m == n or m == 1 or n == 1 for m, n in zip(reversed(s1), reversed(s2)))


def _alias(dim: Any, axis: Any) -> Any:
    """PyTorch takes NumPy's ``axis=`` as another name for ``dim=``."""
    if axis is None:
        return dim
    if dim is not None:
        raise TypeError("got both dim and axis; they are the same argument")
    return axis


def _scalar(v: Any) -> Any:
    """A Python number from a number, a NumPy scalar or a one-element tensor (None stays None)."""
    if isinstance(v, Tensor):
        return v.item()
    return v.item() if isinstance(v, numpy.generic) else v


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


def _dim(d: int, ndim: int, fn: str | None = None, name: str = "dim") -> int:
    """``d`` as a non-negative dim of a tensor with ``ndim`` dims; a 0-d tensor takes -1 and 0, as in PyTorch.
    ``fn`` (and ``name``) name the op and argument in the errors."""
    d = _as_dim(d, name if fn is None else f"{fn}: {name}")
    n = max(ndim, 1)
    if not -n <= d < n:
        if fn is None:
            raise DimError(f"dimension {d} is out of range for a tensor with {ndim} dims "
                           f"(expected a dim in [{-n}, {n - 1}])")
        raise DimError(f"{fn}: {name}={d} is out of range for a tensor with {ndim} dims "
                       f"(expected {-n} <= {name} < {n})")
    return d % n


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


def _arg_dim(dim: int | None, ndim: int) -> int | None:
    """argmax/argmin's dim, checked and made non-negative (a 0-d tensor accepts 0 and -1)."""
    return None if dim is None else _dim(dim, ndim)
