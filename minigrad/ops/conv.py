"""conv2d and max_pool2d on NCHW arrays, with PyTorch's semantics (cross-correlation, floor output size).

im2col is a single gather with a cached index (every kernel tap at every output pixel), and the
convolution one batched matrix product with the weight. The backward loops over the kh*kw kernel offsets
only, never over pixels or batch: the pixels that meet kernel tap (i, j) are one strided slice of the padded
input, so col2im is ``+=`` on kh*kw slices. Within one offset the slices never overlap, so no add.at is
needed. max_pool2d takes its windows from the same slices.
"""
from __future__ import annotations

import functools

from ..autograd import Function
from ..backend import array_module


def pair(v, name: str) -> tuple[int, int]:
    """An int or a pair of ints, as PyTorch takes kernel_size/stride/padding."""
    if type(v) is int:
        return v, v
    t = tuple(v)
    if len(t) != 2 or not all(isinstance(n, int) for n in t):
        raise ValueError(f"{name} must be an int or a pair of ints, got {v!r}")
    return t


def _out_size(size: int, k: int, s: int, p: int) -> int:
    return (size + 2 * p - k) // s + 1


@functools.lru_cache(maxsize=256)
def _windows(kh: int, kw: int, ho: int, wo: int, sh: int, sw: int) -> tuple:
    """For each kernel offset (i, j), row-major: the slice of a (.., .., Hp, Wp) array that it sees at every
    output pixel."""
    return tuple(((i, j), (slice(None), slice(None), slice(i, i + sh * (ho - 1) + 1, sh), slice(j, j + sw * (wo - 1) + 1, sw)))
            for i in range(kh) for j in range(kw))


@functools.lru_cache(maxsize=64)
def _offsets(xp, k: int):
    """0 .. k-1 as a (k, 1, 1, 1, 1) column, to compare against the winning offset of every window."""
    return xp.arange(k).reshape(-1, 1, 1, 1, 1)


def _pad(x, ph: int, pw: int, value=0):
    if not (ph or pw):
        return x
    return array_module(x).pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


_tap_index_cache: dict = {}


def _tap_index(xp, c: int, hp: int, wp: int, kh: int, kw: int, ho: int, wo: int, sh: int, sw: int):
    """im2col as one gather: for a (C, Hp, Wp) image flattened, the position of kernel tap (c, i, j) (rows,
    C*kh*kw of them) at output pixel (oh, ow) (columns, Ho*Wo). Cached per geometry and array module."""
    key = (xp.__name__, c, hp, wp, kh, kw, ho, wo, sh, sw)
    idx = _tap_index_cache.get(key)
    if idx is None:
        tap = (xp.arange(c)[:, None, None] * (hp * wp) + xp.arange(kh)[None, :, None] * wp
               + xp.arange(kw)[None, None, :]).reshape(-1, 1)
        pixel = ((xp.arange(ho) * sh)[:, None] * wp + (xp.arange(wo) * sw)[None, :]).reshape(1, -1)
        idx = _tap_index_cache[key] = tap + pixel
    return idx


class Conv2d(Function):
    """x (N, C, H, W) * weight (O, C, kh, kw) [+ bias (O,)] -> (N, O, Ho, Wo).
    Backward reads the weight and its own column copy of x, so only the weight is watched for in-place edits."""
    saves = (1,)

    def forward(self, x, w, b=None, stride=(1, 1), padding=(0, 0)):
        xp = array_module(x)
        (n, c, h, wd), (o, _, kh, kw) = x.shape, w.shape
        (sh, sw), (ph, pw) = stride, padding
        ho, wo = _out_size(h, kh, sh, ph), _out_size(wd, kw, sw, pw)
        idx = _tap_index(xp, c, h + 2 * ph, wd + 2 * pw, kh, kw, ho, wo, sh, sw)
        self.cols = _pad(x, ph, pw).reshape(n, c * (h + 2 * ph) * (wd + 2 * pw))[:, idx]  # (N, C*kh*kw, Ho*Wo)
        self.w, self.geom = w, (x.shape, ho, wo, stride, padding)
        out = w.reshape(o, -1) @ self.cols  # (N, O, Ho*Wo): NCHW order, no transpose needed
        if b is not None:
            out += b.reshape(o, 1)
        return out.reshape(n, o, ho, wo)

    def backward(self, g):
        (n, c, h, wd), ho, wo, (sh, sw), (ph, pw) = self.geom
        w = self.w
        o, _, kh, kw = w.shape
        g3 = g.reshape(n, o, ho * wo)
        gx = gw = gb = None
        if self.needs_grad(1):
            gw = (g3 @ self.cols.swapaxes(1, 2)).sum(axis=0).reshape(w.shape)
        if len(self.inputs) > 2 and self.needs_grad(2):
            gb = g3.sum(axis=(0, 2))
        if self.needs_grad(0):
            # col2im with the batch as the innermost axis: each tap's += then runs over long contiguous rows
            # (with NCHW order it would run over rows only Wo long, several times slower).
            xp = array_module(g)
            gt = g.transpose(1, 2, 3, 0).reshape(o, ho * wo * n)
            dcols = (w.reshape(o, -1).T @ gt).reshape(c, kh, kw, ho, wo, n)
            gxp = xp.zeros((c, h + 2 * ph, wd + 2 * pw, n), dtype=g.dtype)
            for (i, j), (_, _, rows, cols) in _windows(kh, kw, ho, wo, sh, sw):
                gxp[:, rows, cols] += dcols[:, i, j]
            gx = gxp[:, ph:ph + h, pw:pw + wd].transpose(3, 0, 1, 2)
        return gx, gw, gb


class MaxPool2d(Function):
    """Max over each kh*kw window of x (N, C, H, W) -> (N, C, Ho, Wo). Padding counts as -inf.

    Ties: the gradient goes to the first maximum of the window in row-major order (argmax order); with
    overlapping windows a position collects the gradient of every window it wins."""

    def forward(self, x, kernel_size=(2, 2), stride=(2, 2), padding=(0, 0)):
        xp = array_module(x)
        (kh, kw), (sh, sw), (ph, pw) = kernel_size, stride, padding
        n, c, h, wd = x.shape
        ho, wo = _out_size(h, kh, sh, ph), _out_size(wd, kw, sw, pw)
        tiled = kernel_size == stride and padding == (0, 0)
        # patches (kh*kw, N, C, Ho, Wo): one leading slab per window offset, so both reductions run across slabs
        if tiled:  # the windows tile the input: one reshape gathers them
            patches = x[:, :, :ho * kh, :wo * kw].reshape(n, c, ho, kh, wo, kw).transpose(3, 5, 0, 1, 2, 4)
            patches = patches.reshape(kh * kw, n, c, ho, wo)
        else:
            self.windows = _windows(kh, kw, ho, wo, sh, sw)
            xpad = _pad(x, ph, pw, -xp.inf if x.dtype.kind == "f" else xp.iinfo(x.dtype).min)
            patches = xp.stack([xpad[win] for _, win in self.windows])
        out = patches.max(axis=0)
        if out.size <= 4096:  # few windows: one argmax call is cheapest
            self.idx = patches.argmax(axis=0)  # first maximum in row-major window order
        else:  # many windows: argmax over a short axis loops per window; compare slabs, first match wins
            idx = xp.zeros(out.shape, dtype=xp.int32)
            for k in range(len(patches) - 1, -1, -1):
                idx = xp.where(patches[k] == out, k, idx)
            self.idx = idx
        self.geom = (x.shape, ho, wo, kernel_size, tiled, padding)
        return out

    def backward(self, g):
        xp = array_module(g)
        (n, c, h, wd), ho, wo, (kh, kw), tiled, (ph, pw) = self.geom
        if tiled:  # windows tile the input: one reshape puts every slab back in place
            won = _offsets(xp, kh * kw) == self.idx
            gx = (won * g).reshape(kh, kw, n, c, ho, wo).transpose(2, 3, 4, 0, 5, 1).reshape(n, c, ho * kh, wo * kw)
            if gx.shape[2:] != (h, wd):  # rows/columns that no window covered get no gradient
                gx = xp.pad(gx, ((0, 0), (0, 0), (0, h - ho * kh), (0, wd - wo * kw)))
            return gx
        gx = xp.zeros((n, c, h + 2 * ph, wd + 2 * pw), dtype=g.dtype)
        for k, (_, win) in enumerate(self.windows):  # overlapping windows: each adds what it won
            gx[win] += g * (self.idx == k)
        return gx[:, :, ph:ph + h, pw:pw + wd]
