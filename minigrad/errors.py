"""minigrad's errors for bad shapes and dims, catchable the NumPy way and the PyTorch way.

NumPy code catches ``ValueError`` for shape mismatches, PyTorch code ``RuntimeError`` (and ``IndexError`` for a
dim out of range). One class deriving from all of them, as NumPy's ``AxisError`` derives from ValueError and
IndexError, lets code written for either library handle minigrad's errors unchanged.
"""
from __future__ import annotations

__all__ = ["ShapeError", "DimError"]


class ShapeError(ValueError, RuntimeError):
    """Shapes that don't fit together (matmul, linear, reshape, broadcasting, ...). Catch it as ShapeError,
    ValueError or RuntimeError."""


class DimError(IndexError, ShapeError):
    """A dim outside ``[-ndim, ndim)`` (0-d tensors take -1 and 0). Also an IndexError, as in PyTorch."""
