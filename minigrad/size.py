"""``mg.Size``: a tensor's shape, a tuple of ints as PyTorch's ``torch.Size``."""
from __future__ import annotations

from typing import Any

__all__ = ["Size"]

_CACHE: dict = {}  # shape tuple -> its Size (see Size._of)
_CACHE_LIMIT = 1024


class Size(tuple):
    """The shape of a tensor: a tuple of ints (so ``x.shape == (3, 4)`` holds) that prints as
    ``minigrad.Size([3, 4])`` (PyTorch: ``torch.Size([3, 4])``), has :meth:`numel`, and stays a Size when
    sliced or added to a tuple, as PyTorch's does."""
    __slots__ = ()

    def __new__(cls, sizes: Any = ()) -> "Size":
        dims = tuple(sizes)
        for n in dims:
            if not (hasattr(n, "__index__") and not isinstance(n, bool)):
                raise TypeError(f"Size(): expected a sequence of ints, got an element {n!r:.40} "
                                f"({type(n).__name__})")
        return super().__new__(cls, (n if type(n) is int else n.__index__() for n in dims))

    @classmethod
    def _of(cls, shape: tuple) -> "Size":
        """An array's shape (already a tuple of Python ints) as a Size, without the checks: ``Tensor.shape``.

        Sizes are immutable, so one object per shape serves every tensor: a dict lookup instead of building a
        tuple subclass on each ``.shape`` (the hot path reads shapes on every op)."""
        size = _CACHE.get(shape)
        if size is None:
            if len(_CACHE) >= _CACHE_LIMIT:  # a program of ever-new shapes must not grow it without bound
                _CACHE.clear()
            size = _CACHE[shape] = tuple.__new__(cls, shape)
        return size

    def numel(self) -> int:
        """The number of elements a tensor of this shape holds (1 for ``Size([])``)."""
        p = 1
        for n in self:
            p *= n
        return p

    def __getitem__(self, i: Any) -> Any:
        r = tuple.__getitem__(self, i)
        return tuple.__new__(Size, r) if isinstance(i, slice) else r  # a slice of ints: no checks needed

    def __add__(self, other: Any) -> "Size":
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple(self) + tuple(other))

    def __radd__(self, other: Any) -> "Size":
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple(other) + tuple(self))

    def __mul__(self, n: Any) -> "Size":
        return Size(tuple(self) * n)

    __rmul__ = __mul__

    def __repr__(self) -> str:
        return f"minigrad.Size({list(self)})"

    __str__ = __repr__

    def __reduce__(self):
        return (Size, (tuple(self),))
