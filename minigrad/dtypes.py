"""Dtypes are NumPy's (CuPy uses the same objects), and the default floating dtype, float32 as in PyTorch."""
from __future__ import annotations

from typing import Any

import numpy

float16, float32, float64 = numpy.float16, numpy.float32, numpy.float64
int8, int16, int32, int64, uint8 = numpy.int8, numpy.int16, numpy.int32, numpy.int64, numpy.uint8
bool_ = numpy.bool_
half, float, double, long, int = float16, float32, float64, int64, int32  # PyTorch's aliases

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
