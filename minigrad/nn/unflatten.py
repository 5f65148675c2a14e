"""Unflatten: the inverse of Flatten, one dim expanded into several."""
from __future__ import annotations

from typing import Sequence

import minigrad as mg

from .module import Module

__all__ = ["Unflatten"]


class Unflatten(Module):
    """Reshape dim ``dim`` into ``unflattened_size`` (one entry may be -1), as torch.nn.Unflatten."""

    def __init__(self, dim: int, unflattened_size: Sequence[int]) -> None:
        super().__init__()
        if isinstance(dim, bool) or not isinstance(dim, int):
            raise TypeError(f"invalid argument dim: expected an int, got {type(dim).__name__}")
        if not isinstance(unflattened_size, (tuple, list)) or not all(
                isinstance(n, int) and not isinstance(n, bool) for n in unflattened_size):
            raise TypeError(f"unflattened_size must be a tuple of ints, got {unflattened_size!r}")
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, input: mg.Tensor) -> mg.Tensor:
        shape = tuple(input.shape)
        nd = len(shape)
        if not -nd <= self.dim < nd:
            raise mg.DimError(f"Unflatten: dim {self.dim} is out of range for input of shape {input.shape}")
        d = self.dim % nd
        sizes = self.unflattened_size
        known = 1
        for n in sizes:
            if n != -1:
                known *= n
        if sizes.count(-1) > 1 or (-1 not in sizes and known != shape[d]) or (
                -1 in sizes and (known == 0 or shape[d] % known)):
            raise mg.ShapeError(f"Unflatten: unflattened_size {sizes} does not multiply to the size {shape[d]} of dim "
                                f"{self.dim} of input {input.shape}")
        return input.reshape(shape[:d] + sizes + shape[d + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
