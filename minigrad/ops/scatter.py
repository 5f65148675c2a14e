"""Index-driven copies: index_select, scatter, scatter_add, masked_select's boolean pick and nonzero."""
from __future__ import annotations

from ..autograd import Function
from ..backend import array_module, writable_copy


def _grid(xp, index, axis: int) -> tuple:
    """The full index tuple of torch.scatter/gather: ``index`` along ``axis``, the positions elsewhere."""
    return tuple(index if d == axis else xp.arange(n).reshape((1,) * d + (n,) + (1,) * (index.ndim - d - 1))
                 for d, n in enumerate(index.shape))


def _part(a, shape):
    """The leading block of ``a`` of ``shape`` (the part of src an index smaller than it reaches)."""
    return a[tuple(slice(0, n) for n in shape)]


def _wrapped(index, n: int):
    """An index with negative entries counted from the end of a dim of size n (checked in range by the caller)."""
    return index % n if n else index


class IndexSelect(Function):
    """x's entries ``index`` (0-d or 1-D, negatives from the end) along ``axis``; backward adds each gradient back
    (repeated indices add up). The index is normalised here, inside the op, so mg.jit replays it from the input."""

    def forward(self, x, index, axis):
        xp = array_module(x)
        index = _wrapped(index.reshape(-1), x.shape[axis])
        self.shape, self.index, self.axis = x.shape, index, axis
        return xp.take(x, index, axis=axis)

    def backward(self, g):
        # Accumulated with the axis in front, then moved back: not through a moveaxis view of a zeros array,
        # since create_graph's Boxes are values, and a write into a view of one does not reach it.
        xp = array_module(g)
        front = xp.moveaxis(g, self.axis, 0)
        grad = xp.zeros((self.shape[self.axis], *front.shape[1:]), dtype=g.dtype)
        xp.add.at(grad, self.index, front)
        return xp.moveaxis(grad, 0, self.axis), None


class Scatter(Function):
    """A copy of x with out[index[i][j]][j] = src[i][j] for axis 0 (likewise for any axis); ``src`` is an array
    (input 2) or None with a Python ``value``. With repeated indices the last write wins (PyTorch leaves it
    unspecified). Gradients: x gets g with the written places zeroed; src gets g gathered at index.

    ``reduce`` "add" or "multiply" (PyTorch's deprecated form) combines instead of writing, repeats included; it
    has no derivative, in PyTorch either."""

    def forward(self, x, index, src, axis, value=None, reduce=None):
        xp = array_module(x)
        index = _wrapped(index, x.shape[axis] if x.ndim else 1)
        self.index, self.axis, self.reduce = index, axis, reduce
        self.grid = _grid(xp, index, axis)
        out = x.copy()
        part = value if src is None else _part(src, index.shape)
        if reduce is None:
            out[self.grid] = part
        else:
            getattr(xp, reduce).at(out, self.grid, part)
        self.src_shape = None if src is None else src.shape
        return out

    def backward(self, g):
        if self.reduce is not None:
            raise RuntimeError("scatter: the derivative of scatter with reduce= is not implemented (nor in PyTorch)")
        xp = array_module(g)
        gx = gsrc = None
        if self.needs_grad(0):
            gx = writable_copy(g)
            gx[self.grid] = 0
        if self.src_shape is not None and self.needs_grad(2):
            gsrc = xp.zeros(self.src_shape, dtype=g.dtype)
            gsrc[tuple(slice(0, n) for n in self.index.shape)] = g[self.grid]
        return gx, None, gsrc


class ScatterAdd(Function):
    """A copy of x with src[i][j] added at out[index[i][j]][j] for axis 0 (likewise for any axis); repeated
    indices add up. Gradients: x gets g; src gets g gathered at index."""

    def forward(self, x, index, src, axis):
        xp = array_module(x)
        index = _wrapped(index, x.shape[axis] if x.ndim else 1)
        self.index, self.src_shape = index, src.shape
        self.grid = _grid(xp, index, axis)
        out = x.copy()
        xp.add.at(out, self.grid, _part(src, index.shape))
        return out

    def backward(self, g):
        xp = array_module(g)
        gsrc = None
        if self.needs_grad(2):
            gsrc = xp.zeros(self.src_shape, dtype=g.dtype)
            gsrc[tuple(slice(0, n) for n in self.index.shape)] = g[self.grid]
        return g, None, gsrc


class MaskedSelect(Function):
    """The elements of x where ``mask`` (broadcast to x's shape) is True, as a 1-D array in row-major order;
    backward puts each gradient back in its place."""

    saves = (1,)  # backward scatters through the mask: an in-place edit of it must be caught

    def forward(self, x, mask):
        mask = array_module(x).broadcast_to(mask, x.shape)
        self.shape, self.mask = x.shape, mask
        return x[mask]

    def backward(self, g):
        xp = array_module(g)
        grad = xp.zeros(self.shape, dtype=g.dtype)
        grad[self.mask] = g
        return grad, None


class Nonzero(Function):
    """The indices of the nonzero elements, (count, ndim) int64 in row-major order (torch.nonzero)."""
    differentiable = False

    def forward(self, x):
        xp = array_module(x)
        if x.ndim == 0:
            return xp.zeros((1 if x.item() != 0 else 0, 0), dtype=xp.int64)
        return xp.stack(xp.nonzero(x), axis=1).astype(xp.int64, copy=False)
