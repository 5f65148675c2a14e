"""Ops without a gradient: comparisons and arg-reductions (bool and integer results).

They still go through ``Function.apply`` like every other op, so ``mg.jit`` records them: a value computed
outside an op would be frozen into a replay.
"""
from __future__ import annotations

from typing import Callable

from ..autograd import Function
from ..backend import array_module


class Compare(Function):
    """``op(a, b)`` elementwise for a comparison ``op`` (operator.eq, operator.lt, ...) -> bool."""
    differentiable = False

    def forward(self, a, b, op: Callable):
        return op(a, b)


class ArgReduce(Function):
    """Index of the first maximum (``largest``) or minimum of ``a``, over everything (``dim=None``, flat
    index) or along ``dim`` (a non-negative dim; ``keepdim`` keeps it as size 1)."""
    differentiable = False

    def forward(self, a, largest: bool, dim: int | None, keepdim: bool):
        method = a.argmax if largest else a.argmin
        if dim is None or a.ndim == 0:
            return method()
        out = method(axis=dim)
        return array_module(out).expand_dims(out, dim) if keepdim else out


class Bitwise(Function):
    """``op(a, b)`` (or ``op(a)`` for not) on integer or bool arrays: and, or, xor, invert; no gradient."""
    differentiable = False

    def forward(self, a, b=None, op=None):
        return op(a) if b is None else op(a, b)
