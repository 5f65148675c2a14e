"""Shape ops. Their outputs are views of the input, so they share its version counter (``is_view``)."""
from __future__ import annotations

from ..autograd import Function
from ..backend import array_module
from ..errors import ShapeError


class Reshape(Function):
    is_view = True

    def forward(self, a, shape):
        self.shape = a.shape
        try:
            return a.reshape(shape)
        except ValueError as e:  # NumPy's message names neither call nor sizes the PyTorch way
            raise ShapeError(f"reshape: shape {tuple(shape)} is invalid for input of shape {a.shape} "
                             f"(size {a.size})") from e

    def backward(self, g):
        return g.reshape(self.shape)


class Permute(Function):
    is_view = True

    def forward(self, a, axes):
        self.axes = axes
        return a.transpose(axes)

    def backward(self, g):
        inverse = [0] * len(self.axes)
        for i, ax in enumerate(self.axes):
            inverse[ax] = i
        return g.transpose(inverse)


def is_basic_index(index) -> bool:
    """Ints, slices, None and Ellipsis select without repeats: a view, and backward can assign."""
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (int, slice)) for i in items)


class GetItem(Function):
    """a[index] with basic indexing: a view of a."""
    is_view = True

    def forward(self, a, index):
        self.shape, self.index = a.shape, index
        return a[index]

    def backward(self, g):
        grad = array_module(g).zeros(self.shape, dtype=g.dtype)
        grad[self.index] = g
        return grad


class Gather(GetItem):
    """a[index] with integer or boolean array indices: a copy; repeated indices add up their gradients."""
    is_view = False

    def backward(self, g):
        xp = array_module(g)
        grad = xp.zeros(self.shape, dtype=g.dtype)
        xp.add.at(grad, self.index, g)
        return grad
