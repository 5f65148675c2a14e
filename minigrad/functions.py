"""PyTorch's tensor functions as ``mg.X``, generated from the op table (optable.py): the function form of each
Tensor method (``mg.exp(x)`` is ``x.exp()``) and the ops with no method (``cat``, ``stack``, ``where``,
``einsum``, ``meshgrid``); and ``randperm``, a factory PyTorch lists with them. Argument checks live in _args.py
and tensor_ops.py, the maths in minigrad/ops.
"""
from __future__ import annotations

from typing import Any

from . import dtypes
from .factories import _int_like, default_generator
from .optable import MG_FUNCTIONS
from .tensor import Tensor, tensor

globals().update(MG_FUNCTIONS)
__all__ = [*MG_FUNCTIONS, "randperm"]


def randperm(n: int, *, dtype: Any = None, requires_grad: bool = False, backend: str | None = None) -> Tensor:
    """A random permutation of 0..n-1 (int64 unless ``dtype``), from the generator that manual_seed seeds."""
    if not _int_like(n) or int(n) < 0:
        raise ValueError(f"randperm: n must be a non-negative int, got {n!r}")
    perm = default_generator().permutation(int(n))
    d = dtypes.int64 if dtype is None else dtype
    out = tensor(perm, dtype=d, backend=backend)
    if requires_grad:
        out.requires_grad_(True)
    return out
