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
            out = a.reshape(shape)
        except (ValueError, OverflowError) as e:  # NumPy's message names neither call nor sizes the PyTorch way
            raise ShapeError(f"reshape: shape {tuple(shape)} is invalid for input of shape {a.shape} "
                             f"(size {a.size})") from e
        if not a.flags.c_contiguous and out.size > 1 and not array_module(a).may_share_memory(out, a):
            self.copied = True  # not a view: an in-place edit of one must not count as an edit of the other
        return out

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
        try:
            return a[index]
        except OverflowError:  # NumPy's "Python int too large to convert to C long" says neither what nor where
            raise IndexError(f"index {index!r:.100} is out of range for a tensor of shape {a.shape}") from None

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


class Cat(Function):
    """Concatenation of any number of arrays along ``axis``; backward hands each input its slice."""

    def forward(self, *arrays, axis=0):
        self.axis = axis
        self.bounds = []
        start = 0
        for a in arrays:
            self.bounds.append((start, start + a.shape[axis]))
            start += a.shape[axis]
        return array_module(arrays[0]).concatenate(arrays, axis=axis)

    def backward(self, g):
        lead = (slice(None),) * self.axis
        return tuple(g[lead + (slice(lo, hi),)] for lo, hi in self.bounds)


class Expand(Function):
    """A read-only broadcast view of ``a`` at ``shape``; the engine sums the gradient back to a's shape."""
    is_view = True

    def forward(self, a, shape):
        return array_module(a).broadcast_to(a, shape)

    def backward(self, g):
        return g


class Repeat(Function):
    """``a`` tiled ``reps`` times per dim (PyTorch's repeat = NumPy's tile; reps may add leading dims).
    Backward views the gradient as (rep, size) pairs per dim and sums the reps."""

    def forward(self, a, reps):
        self.shape = (1,) * (len(reps) - a.ndim) + a.shape
        self.reps = reps
        return array_module(a).tile(a, reps)

    def backward(self, g):
        paired = g.reshape(tuple(x for r, n in zip(self.reps, self.shape) for x in (r, n)))
        return paired.sum(axis=tuple(range(0, paired.ndim, 2))).reshape(self.shape)


class Flip(Function):
    def forward(self, a, axes):
        self.axes = axes
        return array_module(a).flip(a, axis=axes).copy()  # a copy, as in PyTorch: no aliasing to track

    def backward(self, g):
        return array_module(g).flip(g, axis=self.axes)


class TakeAlongDim(Function):
    """torch.gather: out[i][j][k] = a[i][index[i][j][k]][k] for dim 1 (likewise for any dim). The index may
    be smaller than ``a`` in the other dims, as PyTorch allows; backward adds into the picked places."""
    saves = (1,)  # backward scatters by the index

    def forward(self, a, index, axis):
        xp = array_module(a)
        self.shape, self.axis, self.index = a.shape, axis, index
        part = a[tuple(slice(None) if d == axis else slice(0, n) for d, n in enumerate(index.shape))]
        return xp.take_along_axis(part, index, axis=axis)

    def backward(self, g):
        xp = array_module(g)
        idx = self.index
        grid = tuple(idx if d == self.axis else
                     xp.arange(n).reshape((1,) * d + (n,) + (1,) * (idx.ndim - d - 1))
                     for d, n in enumerate(idx.shape))
        grad = xp.zeros(self.shape, dtype=g.dtype)
        xp.add.at(grad, grid, g)
        return grad, None
