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
    dilation: IntOrPair = 1,
    groups: int = 1,
) -> np.ndarray:
    """Cross-correlation as PyTorch's conv2d computes it.

    x: (N, C, H, W), w: (O, C/groups, kh, kw), bias: (O,) or None. Output channel f of group
    f // (O/groups) sees input channels g*C/groups .. (g+1)*C/groups - 1. Returns (N, O, OH, OW) with
    OH = (H + 2*ph - dh*(kh-1) - 1) // sh + 1 (same for W).
    """
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    assert c == cg * groups, "channel mismatch in reference input"
    sh, sw = pair(stride)
    ph, pw = pair(padding)
    dh, dw = pair(dilation)
    xp = np.zeros((n, c, h + 2 * ph, wd + 2 * pw), dtype=np.result_type(x, w))
    xp[:, :, ph : ph + h, pw : pw + wd] = x
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, o, oh, ow), dtype=xp.dtype)
    for b in range(n):
        for f in range(o):
            first = (f // (o // groups)) * cg
            for i in range(oh):
                for j in range(ow):
                    acc = 0.0
                    for ch in range(cg):
                        for u in range(kh):
                            for v in range(kw):
                                acc += xp[b, first + ch, i * sh + u * dh, j * sw + v * dw] * w[f, ch, u, v]
                    if bias is not None:
                        acc += bias[f]
                    out[b, f, i, j] = acc
    return out


def pool_out_size(size: int, k: int, s: int, p: int, d: int = 1, ceil_mode: bool = False) -> int:
    """PyTorch's pooling output length; in ceil mode a window must start inside the input or left padding."""
    span = size + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _pool_windows(
    shape: tuple[int, ...],
    kernel_size: IntOrPair,
    stride: IntOrPair | None,
    padding: IntOrPair,
    dilation: IntOrPair = 1,
    ceil_mode: bool = False,
):
    """Yield (i, j, [(row, col), ...]) for every pooling window.

    Rows/cols are coordinates in the *unpadded* input, listed in row-major
    order; positions that fall into the padding (or past the edge in ceil
    mode) are left out (PyTorch pads with -inf, so they can never win).
    """
    h, w = shape[-2:]
    kh, kw = pair(kernel_size)
    sh, sw = pair(kernel_size if stride is None else stride)
    ph, pw = pair(padding)
    dh, dw = pair(dilation)
    oh = pool_out_size(h, kh, sh, ph, dh, ceil_mode)
    ow = pool_out_size(w, kw, sw, pw, dw, ceil_mode)
    for i in range(oh):
        for j in range(ow):
            cells = []
            for u in range(kh):
                for v in range(kw):
                    r, c = i * sh + u * dh - ph, j * sw + v * dw - pw
                    if 0 <= r < h and 0 <= c < w:
                        cells.append((r, c))
            yield i, j, cells


def _winner(plane: np.ndarray, cells: list) -> tuple[int, int]:
    """PyTorch's CPU loop: a later cell wins if it is strictly greater or NaN. So the FIRST maximum wins a
    tie, and the LAST NaN wins a window holding NaNs."""
    best = cells[0]
    for cell in cells[1:]:
        if plane[cell] > plane[best] or np.isnan(plane[cell]):
            best = cell
    return best


def max_pool2d_ref(
    x: np.ndarray,
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
    ceil_mode: bool = False,
) -> np.ndarray:
    """PyTorch max_pool2d. x: (N, C, H, W) -> (N, C, OH, OW); NaN propagates."""
    n, c = x.shape[:2]
    windows = list(_pool_windows(x.shape, kernel_size, stride, padding, dilation, ceil_mode))
    oh = max(i for i, _, _ in windows) + 1
    ow = max(j for _, j, _ in windows) + 1
    out = np.full((n, c, oh, ow), -np.inf, dtype=x.dtype)
    for b in range(n):
        for ch in range(c):
            for i, j, cells in windows:
                if cells:  # a window wholly in the padding (dilation can do that) stays -inf
                    out[b, ch, i, j] = x[b, ch][_winner(x[b, ch], cells)]
    return out


def max_pool2d_grad_ref(
    x: np.ndarray,
    grad_out: np.ndarray,
    kernel_size: IntOrPair,
    stride: IntOrPair | None = None,
    padding: IntOrPair = 0,
    dilation: IntOrPair = 1,
    ceil_mode: bool = False,
) -> np.ndarray:
    """Gradient of max_pool2d w.r.t. x under PyTorch's tie rule.

    Each window sends its whole upstream gradient to its FIRST maximum in
    row-major order (what np.argmax over the flattened window picks), or to
    its LAST NaN; a position that wins several overlapping windows collects
    all of them.
    """
    n, c = x.shape[:2]
    gx = np.zeros_like(x)
    for b in range(n):
        for ch in range(c):
            for i, j, cells in _pool_windows(x.shape, kernel_size, stride, padding, dilation, ceil_mode):
                if cells:
                    gx[b, ch][_winner(x[b, ch], cells)] += grad_out[b, ch, i, j]
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
