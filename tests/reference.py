"""Plain-loop NumPy references for the ops the tests check.

These are written to be obviously correct, not fast: every output element is
computed by an explicit loop over its window, following PyTorch's definitions.
They are only ever run on tiny inputs.
"""

from __future__ import annotations

import numpy as np

IntOrPair = int | tuple[int, int]


def pair(v: IntOrPair) -> tuple[int, int]:
    """Return `v` as an (height, width) pair, like PyTorch's `_pair`."""
    if isinstance(v, (tuple, list)):
        a, b = v
        return int(a), int(b)
    return int(v), int(v)


def conv2d_ref(
    x: np.ndarray,
    w: np.ndarray,
    bias: np.ndarray | None = None,
    stride: IntOrPair = 1,
    padding: IntOrPair = 0,
) -> np.ndarray:
    """Cross-correlation as PyTorch's conv2d computes it.

    x: (N, C, H, W), w: (O, C, kh, kw), bias: (O,) or None.
    Returns (N, O, OH, OW) with OH = (H + 2*ph - kh) // sh + 1 (same for W).
    """
    n, c, h, wd = x.shape
    o, c2, kh, kw = w.shape
    assert c == c2, "channel mismatch in reference input"
    sh, sw = pair(stride)
    ph, pw = pair(padding)
    xp = np.zeros((n, c, h + 2 * ph, wd + 2 * pw), dtype=np.result_type(x, w))
    xp[:, :, ph : ph + h, pw : pw + wd] = x
    oh = (h + 2 * ph - kh) // sh + 1
    ow = (wd + 2 * pw - kw) // sw + 1
    out = np.zeros((n, o, oh, ow), dtype=xp.dtype)
    for b in range(n):
        for f in range(o):
            for i in range(oh):
                for j in range(ow):
                    acc = 0.0
                    for ch in range(c):
                        for u in range(kh):
                            for v in range(kw):
                                acc += xp[b, ch, i * sh + u, j * sw + v] * w[f, ch, u, v]
                    if bias is not None:
                        acc += bias[f]
                    out[b, f, i, j] = acc
    return out


def _pool_windows(
    shape: tuple[int, ...], kernel_size: IntOrPair, stride: IntOrPair | None, padding: IntOrPair
):
    """Yield (i, j, [(row, col), ...]) for every pooling window.

    Rows/cols are coordinates in the *unpadded* input, listed in row-major
    order; positions that fall into the padding are left out (PyTorch pads
    with -inf, so they can never win).
    """
    h, w = shape[-2:]
    kh, kw = pair(kernel_size)
    sh, sw = pair(kernel_size if stride is None else stride)
    ph, pw = pair(padding)
    oh = (h + 2 * ph - kh) // sh + 1
    ow = (w + 2 * pw - kw) // sw + 1
    for i in range(oh):
        for j in range(ow):
            cells = []
            for u in range(kh):
                for v in range(kw):
                    r, c = i * sh + u - ph, j * sw + v - pw
                    if 0 <= r < h and 0 <= c < w:
                        cells.append((r, c))
            yield i, j, cells


def max_pool2d_ref(
    x: np.ndarray,
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
) -> np.ndarray:
    """PyTorch max_pool2d (no dilation, floor mode). x: (N, C, H, W) -> (N, C, OH, OW)."""
    n, c = x.shape[:2]
    windows = list(_pool_windows(x.shape, kernel_size, stride, padding))
    oh = max(i for i, _, _ in windows) + 1
    ow = max(j for _, j, _ in windows) + 1
    out = np.full((n, c, oh, ow), -np.inf, dtype=x.dtype)
    for b in range(n):
        for ch in range(c):
            for i, j, cells in windows:
                for r, col in cells:
                    out[b, ch, i, j] = max(out[b, ch, i, j], x[b, ch, r, col])
    return out


def max_pool2d_grad_ref(
    x: np.ndarray,
    grad_out: np.ndarray,
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
) -> np.ndarray:
    """Gradient of max_pool2d w.r.t. x under minigrad's tie rule.

    Each window sends its whole upstream gradient to its FIRST maximum in
    row-major order (what np.argmax over the flattened window picks); a
    position that wins several overlapping windows collects all of them.
    """
    n, c = x.shape[:2]
    gx = np.zeros_like(x)
    for b in range(n):
        for ch in range(c):
            for i, j, cells in _pool_windows(x.shape, kernel_size, stride, padding):
                best = cells[0]
                for cell in cells[1:]:
                    if x[b, ch][cell] > x[b, ch][best]:  # strict: the earlier cell keeps a tie
                        best = cell
                gx[b, ch][best] += grad_out[b, ch, i, j]
    return gx


def max_dim_grad_ref(x: np.ndarray, grad_out: np.ndarray, dim: int) -> np.ndarray:
    """Gradient of x.max(dim).values: each slice's gradient goes to its first maximum.

    grad_out has x's shape with `dim` removed (keepdim=False).
    """
    dim = dim % x.ndim
    xm = np.moveaxis(x, dim, -1)
    gm = np.zeros_like(xm)
    for idx in np.ndindex(*xm.shape[:-1]):
        row = xm[idx]
        best = 0
        for k in range(1, row.shape[0]):
            if row[k] > row[best]:
                best = k
        gm[idx + (best,)] = grad_out[idx]
    return np.moveaxis(gm, -1, dim)
