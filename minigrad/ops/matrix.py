"""Matrix structure: lower/upper triangles, diagonals (read out and embedded), as in torch.tril/triu,
torch.diagonal and torch.diag."""
from __future__ import annotations

from ..autograd import Function
from ..backend import array_module


class Triangle(Function):
    """The lower (``upper`` False) or upper triangle of the last two dims, from diagonal ``k`` on; zeros
    elsewhere. The gradient keeps the same triangle."""

    def forward(self, x, k, upper):
        self.k, self.upper = k, upper
        xp = array_module(x)
        return xp.triu(x, k) if upper else xp.tril(x, k)

    def backward(self, g):
        xp = array_module(g)
        return xp.triu(g, self.k) if self.upper else xp.tril(g, self.k)


def _diagonal_index(xp, rows: int, cols: int, offset: int):
    """(row indices, column indices) of diagonal ``offset`` of a rows x cols matrix."""
    n = max(0, min(rows + min(offset, 0), cols - max(offset, 0)))
    i = xp.arange(n)
    return i - min(offset, 0), i + max(offset, 0)


class Diagonal(Function):
    """The diagonal ``offset`` of the matrices in dims (dim1, dim2), as a new last dim (torch.diagonal; a copy
    here, where PyTorch returns a view). Backward writes the gradient onto that diagonal of zeros."""

    def forward(self, x, offset, dim1, dim2):
        xp = array_module(x)
        self.shape, self.offset, self.dims = x.shape, offset, (dim1, dim2)
        moved = xp.moveaxis(x, (dim1, dim2), (-2, -1))
        self.rows, self.cols = _diagonal_index(xp, moved.shape[-2], moved.shape[-1], offset)
        return moved[..., self.rows, self.cols]

    def backward(self, g):
        xp = array_module(g)
        d1, d2 = self.dims
        moved_shape = tuple(n for i, n in enumerate(self.shape) if i not in (d1, d2)) + (self.shape[d1], self.shape[d2])
        grad = xp.zeros(moved_shape, dtype=g.dtype)
        grad[..., self.rows, self.cols] = g
        return xp.moveaxis(grad, (-2, -1), (d1, d2))


class DiagEmbed(Function):
    """A 1-D x as diagonal ``offset`` of a square matrix of zeros (torch.diag of a vector); backward reads the
    diagonal back."""

    def forward(self, x, offset):
        xp = array_module(x)
        n = x.shape[0] + abs(offset)
        self.rows, self.cols = _diagonal_index(xp, n, n, offset)
        out = xp.zeros((n, n), dtype=x.dtype)
        out[self.rows, self.cols] = x
        return out

    def backward(self, g):
        return g[self.rows, self.cols]
