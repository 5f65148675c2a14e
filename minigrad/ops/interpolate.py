"""Resampling of the trailing (spatial) dims by nearest-neighbour, (bi/tri)linear or bicubic interpolation or
area averaging, as PyTorch's upsample and adaptive-pooling kernels compute their source indices and weights.

Interpolation is separable: along each resized dim the output is a fixed linear map of the input, an
(out, in) matrix with one (nearest), two (linear), four (cubic) or a window of (area) nonzeros per row. Forward applies the matrices one dim
at a time; backward applies their transposes, which sums each output gradient into the input elements it
came from without any scatter (CuPy had no add.at before v12). The matrices are built from the sizes alone,
so an mg.jit replay rebuilds nothing that depends on the values.
"""
from __future__ import annotations

import math

from ..autograd import Function
from ..backend import array_module


def _nearest_index(xp, out_size: int, in_size: int, scale: float | None, exact: bool):
    """PyTorch's nearest source index: floor(dst * s) (or floor((dst + 0.5) * s) for nearest-exact), in float32
    as its kernels compute it, s = 1 / scale_factor when one was given, else in / out; clamped to in - 1."""
    if not exact and out_size == in_size:
        return xp.arange(out_size)
    if not exact and out_size == 2 * in_size:
        return xp.arange(out_size) // 2
    s = xp.float32(1.0 / scale if scale is not None and scale > 0 else in_size / out_size)
    dst = xp.arange(out_size, dtype=xp.float32)
    if exact:
        dst = dst + xp.float32(0.5)
    return xp.minimum(xp.floor(dst * s).astype(xp.int64), in_size - 1)


def _linear_weights(xp, out_size: int, in_size: int, scale: float | None, align_corners: bool, dtype):
    """(i0, i1, w0, w1): each output reads w0 * x[i0] + w1 * x[i1], PyTorch's area_pixel source index
    (align_corners: dst * (in - 1) / (out - 1); else (dst + 0.5) * s - 0.5, clamped at 0)."""
    if align_corners:
        s = (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
    else:
        s = 1.0 / scale if scale is not None and scale > 0 else in_size / out_size
    dst = xp.arange(out_size, dtype=dtype)
    if align_corners:
        src = dst * dtype.type(s)
    else:
        src = xp.maximum((dst + dtype.type(0.5)) * dtype.type(s) - dtype.type(0.5), 0)
    i0 = xp.minimum(xp.floor(src).astype(xp.int64), in_size - 1)
    i1 = i0 + (i0 < in_size - 1)
    w1 = (src - i0.astype(dtype)).astype(dtype, copy=False)
    return i0, i1, 1 - w1, w1


_CUBIC_A = -0.75  # PyTorch's (and OpenCV's) bicubic convolution parameter


def _cubic_weights(xp, out_size: int, in_size: int, scale: float | None, align_corners: bool, dtype):
    """(four source indices, four weights) per output: Keys' cubic convolution (A = -0.75) around
    floor(src), with PyTorch's unclamped source index and indices clamped at the borders."""
    if align_corners:
        s = (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
    else:
        s = 1.0 / scale if scale is not None and scale > 0 else in_size / out_size
    dst = xp.arange(out_size, dtype=dtype)
    src = dst * dtype.type(s) if align_corners else (dst + dtype.type(0.5)) * dtype.type(s) - dtype.type(0.5)
    base = xp.floor(src)
    t = (src - base).astype(dtype, copy=False)
    a = _CUBIC_A

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    weights = (far(t + 1), near(t), near(1 - t), far(2 - t))
    base = base.astype(xp.int64)
    indices = tuple(xp.clip(base + k - 1, 0, in_size - 1) for k in range(4))
    return indices, tuple(w.astype(dtype, copy=False) for w in weights)


def _area_matrix(xp, out_size: int, in_size: int, dtype):
    """Adaptive average pooling's windows: output i averages inputs floor(i * in / out) to
    ceil((i + 1) * in / out) - 1."""
    i = xp.arange(out_size)
    start = (i * in_size) // out_size
    end = -((-(i + 1) * in_size) // out_size)
    j = xp.arange(in_size)
    inside = (j[None, :] >= start[:, None]) & (j[None, :] < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype, copy=False)


def resample_matrix(xp, out_size: int, in_size: int, mode: str, scale: float | None, align_corners: bool, dtype):
    """The (out_size, in_size) matrix of one dim's resampling."""
    if mode == "area":
        return _area_matrix(xp, out_size, in_size, dtype)
    m = xp.zeros((out_size, in_size), dtype=dtype)
    rows = xp.arange(out_size)
    if mode in ("nearest", "nearest-exact"):
        m[rows, _nearest_index(xp, out_size, in_size, scale, mode == "nearest-exact")] = 1
        return m
    if mode == "cubic":
        indices, weights = _cubic_weights(xp, out_size, in_size, scale, align_corners, xp.dtype(dtype))
        for idx, w in zip(indices, weights):  # clamped taps may repeat an index: separate += statements add up
            m[rows, idx] += w
        return m
    i0, i1, w0, w1 = _linear_weights(xp, out_size, in_size, scale, align_corners, xp.dtype(dtype))
    m[rows, i0] += w0
    m[rows, i1] += w1
    return m


def _apply(xp, x, matrices, transpose: bool):
    nd = x.ndim
    k = len(matrices)
    order = reversed(range(k)) if transpose else range(k)
    for i in order:
        m = matrices[i]
        axis = nd - k + i
        x = xp.moveaxis(xp.tensordot(m.T if transpose else m, x, axes=([1], [axis])), 0, axis)
    return xp.ascontiguousarray(x)


class Interpolate(Function):
    """x (N, C, *spatial) resized to ``size`` (one int per spatial dim) with ``mode`` "nearest",
    "nearest-exact", "linear" (bilinear, trilinear), "cubic" (bicubic) or "area"; ``scales`` are the user's
    scale factors (None: from the sizes), used as PyTorch uses them for the source index."""
    constants = ("matrices",)  # made from the sizes alone: linear in x, so its second derivative is 0

    def forward(self, x, size, mode, scales, align_corners):
        xp = array_module(x)
        spatial = x.shape[2:]
        self.matrices = [resample_matrix(xp, o, i, mode, s, align_corners, x.dtype)
                         for o, i, s in zip(size, spatial, scales)]
        return _apply(xp, x, self.matrices, False)

    def backward(self, g):
        return _apply(array_module(g), g, self.matrices, True)
