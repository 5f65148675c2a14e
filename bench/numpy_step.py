"""The notebook network's training step written by hand in NumPy/CuPy: the floor minigrad is measured against.

It lives in ``models/numpy_reference.py`` (shared with the tests); this module keeps the names the bench uses.
"""
from __future__ import annotations

from models.numpy_reference import NumpyStep, check_against_finite_differences, finite_difference_grads

__all__ = ["NumpyStep", "check_against_finite_differences", "finite_difference_grads"]
