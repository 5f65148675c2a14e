"""Dtypes are NumPy's (CuPy uses the same objects), and the default floating dtype, float32 as in PyTorch."""
from __future__ import annotations

import builtins
from typing import Any

import numpy

float16, float32, float64 = numpy.float16, numpy.float32, numpy.float64
int8, int16, int32, int64, uint8 = numpy.int8, numpy.int16, numpy.int32, numpy.int64, numpy.uint8
bool_ = numpy.bool_
uint16, uint32, uint64 = numpy.uint16, numpy.uint32, numpy.uint64
# PyTorch's other names for the same dtypes (they shadow the builtins in this module: use builtins.int etc. here)
half, float, double = float16, float32, float64
short, int, long = int16, int32, int64
bool = bool_

_default = numpy.dtype(numpy.float32)


def as_dtype(d: Any) -> numpy.dtype:
    try:
        return numpy.dtype(d)
    except (TypeError, ValueError, SyntaxError) as e:  # e.g. numpy.dtype((None, False)) is a ValueError
        raise TypeError(f"{d!r} is not a dtype (use e.g. minigrad.float32 or minigrad.float64)") from e


def is_floating(d: Any) -> bool:
    return numpy.dtype(d).kind == "f"


def set_default_dtype(d: Any) -> None:
    """The dtype that Python floats and random factories get (float32 initially)."""
    global _default
    d = as_dtype(d)
    if not is_floating(d):
        raise TypeError(f"default dtype must be a floating dtype, got {d}")
    _default = d


def get_default_dtype() -> numpy.dtype:
    return _default


def promote_types(a: Any, b: Any) -> numpy.dtype:
    """PyTorch's promote_types: within a kind NumPy's rule; bool yields to anything; an integer meeting a
    floating type takes the floating type as it is (NumPy would widen int64 + float32 to float64)."""
    a, b = numpy.dtype(a), numpy.dtype(b)
    if a == b:
        return a
    if a.kind == "b":
        return b
    if b.kind == "b":
        return a
    if a.kind in "fc" and b.kind in "iu":
        return a
    if b.kind in "fc" and a.kind in "iu":
        return b
    return numpy.promote_types(a, b)


def _combine(higher: numpy.dtype | None, lower: numpy.dtype | None) -> numpy.dtype | None:
    # PyTorch's combine_categories: a lower-priority operand only counts when its category is higher.
    if higher is None:
        return lower
    if lower is None or higher.kind in "fc":
        return higher
    if higher.kind == "b" or lower.kind in "fc":
        return promote_types(higher, lower)
    return higher


def result_type(*operands: Any) -> numpy.dtype:
    """The dtype PyTorch gives an op on ``operands`` (arrays and Python scalars).

    Categories are bool < integer < floating. Arrays with dims decide within their category; 0-d arrays,
    then Python scalars, count only when their category is higher. A Python float then means the default
    float dtype, an int int64: ``int_tensor * 2.5`` is float32 (by default), ``float32 * 0-d float64`` float32.
    """
    dim = zero = wrapped = None  # (a dtype is falsy - it has no fields - so test against None)
    for o in operands:
        if isinstance(o, builtins.bool):
            wrapped = _join(wrapped, numpy.dtype(bool_))
        elif isinstance(o, builtins.int):
            wrapped = _join(wrapped, numpy.dtype(int64))
        elif isinstance(o, builtins.float):
            wrapped = _join(wrapped, _default)
        elif o.ndim:
            dim = _join(dim, o.dtype)
        else:
            zero = _join(zero, o.dtype)
    return _combine(dim, _combine(zero, wrapped))


def _join(acc: numpy.dtype | None, d: numpy.dtype) -> numpy.dtype:
    return d if acc is None else promote_types(acc, d)
