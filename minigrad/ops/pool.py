"""Pooling on NCHW tensors with PyTorch's semantics: max_pool2d (dilation, ceil_mode, indices),
avg_pool2d (count_include_pad, ceil_mode, divisor_override), adaptive_avg_pool2d.

An input is viewed as (A, H, W, B) planes without a copy: (N*C, H, W, 1) for an ordinary NCHW array, or
(C, H, W, N) for one in conv2d's batch-innermost memory order (see conv.py), so pooling after a convolution
reads long contiguous runs and hands its result on in the same order. Window slices are conv.py's taps.

Max pooling, NaN and ties, as PyTorch: a window holding a NaN gives NaN, and its gradient goes to the LAST
NaN of the window in row-major order; otherwise to the FIRST maximum. Both the few-windows path (one argmax)
and the many-windows path (comparing slabs) follow this rule.
"""
from __future__ import annotations

import functools

from ..autograd import Function
from ..backend import array_module
from .conv import taps

_SLAB_MIN = 4096  # from this many outputs on, compare slabs instead of one argmax over a short axis


def pool_out_size(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """PyTorch's pooling output length; in ceil mode the last window must start inside the input or the
    left padding."""
    span = size + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def planes(x):
    """x (N, C, H, W) as (A, H, W, B) without a copy where possible, and a function that turns an (A, h, w, B)
    result back into (N, C, h, w)."""
    n, c, h, w = x.shape
    if n > 1:
        t = x.transpose(1, 2, 3, 0)
        if t.flags.c_contiguous:  # conv2d's output order: batch innermost
            return t, _from_chwn
    return x.reshape(n * c, h, w, 1), lambda a: a.reshape(n, c, a.shape[1], a.shape[2])


def _from_chwn(a):
    return a.transpose(3, 0, 1, 2)


def _pad_planes(v, top: int, bottom: int, left: int, right: int, value):
    if not (top or bottom or left or right):
        return v
    xp = array_module(v)
    a, h, w, b = v.shape
    out = xp.full((a, h + top + bottom, w + left + right, b), value, dtype=v.dtype)
    out[:, top:top + h, left:left + w] = v
    return out


@functools.lru_cache(maxsize=256)
def _geometry(h: int, w: int, kernel_size, stride, padding, dilation, ceil_mode):
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    ho = pool_out_size(h, kh, sh, ph, dh, ceil_mode)
    wo = pool_out_size(w, kw, sw, pw, dw, ceil_mode)
    # extent the windows reach past the bottom/right edge (ceil mode can reach beyond the padding)
    bottom = max((ho - 1) * sh + dh * (kh - 1) + 1 - ph - h, 0)
    right = max((wo - 1) * sw + dw * (kw - 1) + 1 - pw - w, 0)
    tiled = (kh, kw) == (sh, sw) and (ph, pw) == (0, 0) and (dh, dw) == (1, 1) and bottom == 0 and right == 0
    return ho, wo, bottom, right, tiled


def _tiles(v, kh: int, kw: int, ho: int, wo: int):
    """Non-overlapping windows of (A, H, W, B) as slabs (kh*kw, A, ho, wo, B): one reshape and one copy."""
    a, _, _, b = v.shape
    t = v[:, :ho * kh, :wo * kw].reshape(a, ho, kh, wo, kw, b).transpose(2, 4, 0, 1, 3, 5)
    return t.reshape(kh * kw, a, ho, wo, b)


def _untile(slabs, h: int, w: int):
    """Adjoint of _tiles: slabs (kh, kw, A, ho, wo, B) back to (A, h, w, B), zero where no window reached."""
    kh, kw, a, ho, wo, b = slabs.shape
    gx = slabs.transpose(2, 3, 0, 4, 1, 5).reshape(a, ho * kh, wo * kw, b)
    if (ho * kh, wo * kw) != (h, w):
        gx = array_module(gx).pad(gx, ((0, 0), (0, h - ho * kh), (0, w - wo * kw), (0, 0)))
    return gx


def _on_host(xp) -> bool:
    return xp.__name__ == "numpy"


@functools.lru_cache(maxsize=64)
def _offsets(xp, k: int):
    """0 .. k-1 as a (k, 1, 1, 1, 1) column, to compare against the winning tap of every window."""
    return xp.arange(k).reshape(-1, 1, 1, 1, 1)


def _window_index(xp, patches, out):
    """Index (into the kh*kw taps) of the element each window sends its gradient to: the first maximum, or
    the last NaN when the window holds one (PyTorch's rule)."""
    k = len(patches)
    if out.size < _SLAB_MIN:  # few windows: one argmax call is cheapest (it stops at the first NaN)
        idx = patches.argmax(axis=0)
    else:  # many windows: argmax over a short leading axis loops per window; compare slabs, first match wins
        idx = xp.zeros(out.shape, dtype=xp.int64)
        for i in range(k - 1, -1, -1):
            idx = xp.where(patches[i] == out, i, idx)
    if out.dtype.kind == "f" and out.size:
        # On the host one reduction decides (max propagates NaN); on a GPU, branching would need a device sync.
        m = out.max() if _on_host(xp) else None
        if m is None or m != m:
            last = (k - 1) - (patches != patches)[::-1].argmax(axis=0)
            idx = xp.where(out != out, last, idx)
    return idx


def _skip_padding(xp, out, idx, hw, kernel_size, stride, padding, dilation, bottom, right):
    """A window whose real elements are all -inf ties with its padding: PyTorch then picks the window's first
    real element (padding is never a candidate), so the gradient reaches the input."""
    neg = out == -xp.inf
    if _on_host(xp) and not neg.any():
        return idx
    (h, w), (kh, kw), (ph, pw) = hw, kernel_size, padding
    real = _pad_planes(xp.ones((1, h, w, 1), dtype=bool), ph, bottom, pw, right, False)
    ho, wo = out.shape[1:3]
    first = xp.stack([real[:, rows, cs] for _, _, rows, cs in taps(kh, kw, ho, wo, *stride, *dilation)]).argmax(axis=0)
    return xp.where(neg, first, idx)


class MaxPool2d(Function):
    """Max over each kh*kw window (dilated by ``dilation``) of x (N, C, H, W) -> (N, C, Ho, Wo); padding
    counts as -inf. With overlapping windows a position collects the gradient of every window it wins.
    ``indices_out``, a list, receives PyTorch's flat indices (into each H*W plane) of the chosen elements."""

    def forward(self, x, kernel_size=(2, 2), stride=(2, 2), padding=(0, 0), dilation=(1, 1), ceil_mode=False,
                indices_out=None):
        xp = array_module(x)
        v, self.back = planes(x)
        a, h, w, b = v.shape
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
        ho, wo, bottom, right, tiled = _geometry(h, w, kernel_size, stride, padding, dilation, ceil_mode)
        if tiled:  # the windows tile the input: one reshape gathers them
            patches = _tiles(v, kh, kw, ho, wo)
        else:
            low = -xp.inf if x.dtype.kind == "f" else xp.iinfo(x.dtype).min
            vpad = _pad_planes(v, ph, bottom, pw, right, low)
            patches = xp.stack([vpad[:, rows, cs] for _, _, rows, cs in taps(kh, kw, ho, wo, sh, sw, dh, dw)])
        out = patches.max(axis=0)
        self.idx = _window_index(xp, patches, out)
        if not tiled and x.dtype.kind == "f" and (ph or pw or bottom or right):
            self.idx = _skip_padding(xp, out, self.idx, (h, w), kernel_size, stride, padding, dilation, bottom, right)
        self.geom = (v.shape, ho, wo, kernel_size, stride, padding, dilation, bottom, right, tiled)
        if indices_out is not None:
            rows = (self.idx // kw) * dh + (xp.arange(ho) * sh - ph).reshape(1, ho, 1, 1)
            cols = (self.idx % kw) * dw + (xp.arange(wo) * sw - pw).reshape(1, 1, wo, 1)
            indices_out[:] = [self.back((rows * w + cols).astype(xp.int64))]  # replaced on every call
        return self.back(out)

    def backward(self, g):
        xp = array_module(g)
        (a, h, w, b), ho, wo, (kh, kw), stride, (ph, pw), dilation, bottom, right, tiled = self.geom
        gv = g.transpose(1, 2, 3, 0) if b > 1 else g.reshape(a, ho, wo, 1)
        if tiled:
            won = _offsets(xp, kh * kw) == self.idx
            return self.back(_untile((won * gv).reshape(kh, kw, a, ho, wo, b), h, w))
        gx = xp.zeros((a, h + ph + bottom, w + pw + right, b), dtype=g.dtype)
        for k, (_, _, rows, cs) in enumerate(taps(kh, kw, ho, wo, *stride, *dilation)):
            gx[:, rows, cs] += gv * (self.idx == k)  # overlapping windows: each adds what it won
        return self.back(gx[:, ph:ph + h, pw:pw + w])


def _avg_divisor(size: int, k: int, s: int, p: int, n_out: int, include_pad: bool) -> list[int]:
    """Per output position along one axis: how many of its window's positions count (PyTorch's rule: the
    padding counts when include_pad, the overhang of ceil mode never does)."""
    out = []
    for i in range(n_out):
        start = i * s - p
        end = min(start + k, size + p)
        if include_pad:
            out.append(end - start)
        else:
            out.append(min(end, size) - max(start, 0))
    return out


class AvgPool2d(Function):
    """Mean over each kh*kw window of x (N, C, H, W) -> (N, C, Ho, Wo), with PyTorch's divisor rules. An integer
    x gives integer means: the window's sum divided by its divisor, rounded toward zero (PyTorch's int64 kernel;
    integers are never differentiated)."""
    constants = ("scale",)  # the divisors: from the window geometry alone

    def forward(self, x, kernel_size=(2, 2), stride=(2, 2), padding=(0, 0), ceil_mode=False,
                count_include_pad=True, divisor_override=None):
        xp = array_module(x)
        v, self.back = planes(x)
        a, h, w, b = v.shape
        (kh, kw), (sh, sw), (ph, pw) = kernel_size, stride, padding
        ho, wo, bottom, right, tiled = _geometry(h, w, kernel_size, stride, padding, (1, 1), ceil_mode)
        integer = x.dtype.kind != "f"
        if divisor_override is not None:
            scale = xp.asarray(divisor_override if integer else 1.0 / divisor_override, dtype=x.dtype)
        elif tiled:
            scale = xp.asarray(kh * kw if integer else 1.0 / (kh * kw), dtype=x.dtype)
        else:
            dh = _avg_divisor(h, kh, sh, ph, ho, count_include_pad)
            dw = _avg_divisor(w, kw, sw, pw, wo, count_include_pad)
            divisor = xp.asarray(dh, dtype=x.dtype).reshape(1, ho, 1, 1) * xp.asarray(dw, dtype=x.dtype).reshape(1, 1, wo, 1)
            scale = divisor if integer else 1 / divisor
        self.scale = scale  # for an integer x: the divisor
        self.geom = (v.shape, ho, wo, kernel_size, stride, padding, bottom, right, tiled)
        # a sum of kh*kw strided slices (measured ~10x faster than a reshape and a sum over two axes)
        vpad = _pad_planes(v, ph, bottom, pw, right, 0)
        parts = [vpad[:, rows, cs] for _, _, rows, cs in taps(kh, kw, ho, wo, sh, sw)]
        out = parts[0] + parts[1] if len(parts) > 1 else parts[0].copy()
        for part in parts[2:]:
            out += part
        if integer:  # floor division, then one up where a negative quotient left a remainder: toward zero
            return self.back(out // scale + ((out % scale != 0) & ((out < 0) != (scale < 0))))
        out *= scale
        return self.back(out)

    def backward(self, g):
        xp = array_module(g)
        (a, h, w, b), ho, wo, (kh, kw), stride, (ph, pw), bottom, right, tiled = self.geom
        gv = (g.transpose(1, 2, 3, 0) if b > 1 else g.reshape(a, ho, wo, 1)) * self.scale
        if tiled:
            slabs = xp.broadcast_to(gv, (kh, kw, a, ho, wo, b))
            return self.back(_untile(slabs, h, w))
        gx = xp.zeros((a, h + ph + bottom, w + pw + right, b), dtype=g.dtype)
        for _, _, rows, cs in taps(kh, kw, ho, wo, *stride):
            gx[:, rows, cs] += gv
        return self.back(gx[:, ph:ph + h, pw:pw + w])


def adaptive_matrix(xp, size: int, n_out: int, dtype):
    """(n_out, size) averaging matrix of adaptive pooling along one axis: row i averages
    [floor(i*size/n_out), ceil((i+1)*size/n_out)), PyTorch's windows."""
    rows = []
    for i in range(n_out):
        start, end = (i * size) // n_out, -(-((i + 1) * size) // n_out)
        rows.append([1.0 / (end - start) if start <= j < end else 0.0 for j in range(size)])
    return xp.asarray(rows, dtype=dtype)


class AdaptiveAvgPool2d(Function):
    """x (N, C, H, W) -> (N, C, Ho, Wo). A window's mean is separable (mean over its rows of the means over
    its columns), so the op is two small matrix products: Ph (Ho, H) @ x @ Pw.T (W, Wo)."""
    constants = ("ph", "pw")  # from the sizes alone

    def forward(self, x, output_size=(1, 1)):
        xp = array_module(x)
        h, w = x.shape[2:]
        self.ph = adaptive_matrix(xp, h, output_size[0], x.dtype)
        self.pw = adaptive_matrix(xp, w, output_size[1], x.dtype)
        return self.ph @ (x @ self.pw.T)

    def backward(self, g):
        return (self.ph.T @ g) @ self.pw
