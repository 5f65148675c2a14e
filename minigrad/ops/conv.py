"""conv2d and conv_transpose2d on NCHW tensors, with PyTorch's semantics (cross-correlation, floor output
size, groups, dilation).

Layout. Inside, images are handled as (C, H, W, N) arrays: channels outermost, batch innermost. Then

- im2col is kh*kw strided slice copies (one per kernel tap, no index array at all), each moving runs of
  Wo*N contiguous numbers, into columns (C*kh*kw, Ho*Wo*N);
- the forward is ONE matrix product weight (O, C*kh*kw) @ columns -> (O, Ho*Wo*N), returned as an (N, O, Ho,
  Wo) view of that (O, Ho, Wo, N) array without a copy; elementwise ops that follow keep that memory order;
- the weight gradient is ONE product g (O, Ho*Wo*N) @ columns.T, where g is a free view when the upstream
  gradient kept the layout, and columns.T a transposed view that BLAS reads as is;
- the input gradient is ONE product weight.T @ g, and col2im is ``+=`` on the same kh*kw slices (they never
  overlap within one tap, so no add.at), running over long contiguous rows.

With groups the products are batched over the groups (one GEMM per group, as in every framework).
conv_transpose2d is the adjoint of conv2d: its forward is conv2d's input gradient and its input gradient is
conv2d's forward, so both share the same two helpers.

The only cache is the tuple of tap slices per geometry, a bounded ``lru_cache`` of tiny tuples.
"""
from __future__ import annotations

import functools

from .._args import as_int
from ..autograd import Function
from ..backend import array_module


def pair(v, name: str) -> tuple[int, int]:
    """An int or a pair of ints, as PyTorch takes kernel_size/stride/padding (NumPy integers too)."""
    if type(v) is tuple and len(v) == 2 and type(v[0]) is int and type(v[1]) is int:  # what layers pass
        return v
    n = as_int(v)
    if n is not None:
        return n, n
    try:
        t = tuple(v)
    except TypeError:
        raise ValueError(f"{name} must be an int or a pair of ints, got {v!r}") from None
    p = tuple(as_int(n) for n in t)
    if len(p) != 2 or None in p:
        raise ValueError(f"{name} must be an int or a pair of ints, got {v!r}")
    return p


def out_size(size: int, k: int, s: int, p: int, d: int = 1) -> int:
    """Output length of a convolution (floor mode): (size + 2p - d(k-1) - 1) // s + 1."""
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


@functools.lru_cache(maxsize=256)
def taps(kh: int, kw: int, ho: int, wo: int, sh: int, sw: int, dh: int = 1, dw: int = 1) -> tuple:
    """For each kernel tap (i, j), row-major: (i, j, rows, cols), the slices of a (.., Hp, Wp, ..) array that
    the tap sees at every output pixel. Bounded cache: a few hundred tiny tuples at most."""
    return tuple((i, j, slice(i * dh, i * dh + sh * (ho - 1) + 1, sh), slice(j * dw, j * dw + sw * (wo - 1) + 1, sw))
                 for i in range(kh) for j in range(kw))


def to_chwn(x, ph: int, pw: int):
    """x (N, C, H, W) as a (C, H + 2 ph, W + 2 pw, N) array, zero-padded. No copy when x already has that memory
    order and there is no padding."""
    xp = array_module(x)
    n, c, h, w = x.shape
    t = x.transpose(1, 2, 3, 0)
    if not (ph or pw):
        return xp.ascontiguousarray(t)
    out = xp.zeros((c, h + 2 * ph, w + 2 * pw, n), dtype=x.dtype)
    out[:, ph:ph + h, pw:pw + w] = t
    return out


def im2col(xpad, kh: int, kw: int, ho: int, wo: int, stride, dilation):
    """(C, Hp, Wp, N) -> columns (C, kh, kw, Ho, Wo, N): one strided slice copy per kernel tap."""
    xp = array_module(xpad)
    c, _, _, n = xpad.shape
    cols = xp.empty((c, kh, kw, ho, wo, n), dtype=xpad.dtype)
    for i, j, rows, cs in taps(kh, kw, ho, wo, *stride, *dilation):
        cols[:, i, j] = xpad[:, rows, cs]
    return cols


def col2im(dcols, hp: int, wp: int, stride, dilation):
    """Adjoint of im2col: columns (C, kh, kw, Ho, Wo, N) summed into a zero (C, Hp, Wp, N) array."""
    xp = array_module(dcols)
    c, kh, kw, ho, wo, n = dcols.shape
    out = xp.zeros((c, hp, wp, n), dtype=dcols.dtype)
    for i, j, rows, cs in taps(kh, kw, ho, wo, *stride, *dilation):
        out[:, rows, cs] += dcols[:, i, j]
    return out


def _grouped(w, groups: int, transpose: bool = False):
    """Weight (O, C/g, kh, kw) as (g, O/g, C/g*kh*kw), or its per-group transpose."""
    m = w.reshape(groups, w.shape[0] // groups, w.shape[1] * w.shape[2] * w.shape[3])  # sizes, not -1: O may be 0
    return m.transpose(0, 2, 1) if transpose else m


def _matmul_groups(a, b, groups: int):
    """a (g, m, k) @ b (g*k, P) -> (g*m, P); one plain GEMM when g == 1."""
    if groups == 1:
        return a[0] @ b
    p = b.shape[-1]  # explicit sizes throughout: -1 is ambiguous for an empty batch
    return (a @ b.reshape(groups, b.shape[0] // groups, p)).reshape(a.shape[0] * a.shape[1], p)


def _weight_grad(a, b, groups: int):
    """Per group, sum over P of b (n, P) times a (m, P) -> (g*n, m): the weight gradient of conv2d (a = columns,
    b = upstream gradient) and of conv_transpose2d (a = upstream columns, b = input). One GEMM per group with
    P, the long Ho*Wo*N axis, as the inner dimension, computed as (a @ b.T).T: BLAS reads the transposed
    operand in place, and this order measured faster here than b @ a.T."""
    if groups == 1:
        return (a @ b.T).T
    p = a.shape[-1]
    ga, gb = a.reshape(groups, a.shape[0] // groups, p), b.reshape(groups, b.shape[0] // groups, p)
    return (ga @ gb.transpose(0, 2, 1)).transpose(0, 2, 1)


def _as_rows(g):
    """An NCHW array as (C, H*W*N) in the (C, H, W, N) order: a free view when g already has that memory order."""
    n, c, h, w = g.shape
    return g.transpose(1, 2, 3, 0).reshape(c, h * w * n)


class Conv2d(Function):
    """x (N, C, H, W) * weight (O, C/groups, kh, kw) [+ bias (O,)] -> (N, O, Ho, Wo), see the module docstring.
    Backward reads the weight and its own column copy of x, so only the weight is watched for in-place edits."""
    saves = (1,)

    def forward(self, x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
        (n, c, h, wd), (o, _, kh, kw) = x.shape, w.shape
        (ph, pw) = padding
        ho, wo = out_size(h, kh, stride[0], ph, dilation[0]), out_size(wd, kw, stride[1], pw, dilation[1])
        cols = im2col(to_chwn(x, ph, pw), kh, kw, ho, wo, stride, dilation).reshape(c * kh * kw, ho * wo * n)
        self.cols, self.w = cols, w
        self.geom = (x.shape, ho, wo, stride, padding, dilation, groups)
        out = _matmul_groups(_grouped(w, groups), cols, groups)  # (O, Ho*Wo*N)
        if b is not None:
            out += b.reshape(o, 1)
        return out.reshape(o, ho, wo, n).transpose(3, 0, 1, 2)

    def derive(self, inputs):
        """create_graph: the columns as a function of x (the same im2col, over Boxes; see ops/tensor_xp.py).
        An x that doesn't require grad (a network's data) keeps its columns, as a constant."""
        if not self.needs_grad(0):
            return ("cols",)
        (n, c, h, wd), ho, wo, stride, (ph, pw), dilation, groups = self.geom
        kh, kw = self.w.shape[2:]
        self.cols = im2col(to_chwn(inputs[0], ph, pw), kh, kw, ho, wo, stride, dilation).reshape(
            c * kh * kw, ho * wo * n)

    def backward(self, g):
        (n, c, h, wd), ho, wo, stride, (ph, pw), dilation, groups = self.geom
        w = self.w
        o, _, kh, kw = w.shape
        g2 = _as_rows(g)  # (O, Ho*Wo*N)
        gx = gw = gb = None
        if self.needs_grad(1):
            gw = _weight_grad(self.cols, g2, groups).reshape(w.shape)
        if len(self.inputs) > 2 and self.needs_grad(2):
            gb = g2.sum(axis=1)
        if self.needs_grad(0):
            dcols = _matmul_groups(_grouped(w, groups, transpose=True), g2, groups)  # (C*kh*kw, Ho*Wo*N)
            gxp = col2im(dcols.reshape(c, kh, kw, ho, wo, n), h + 2 * ph, wd + 2 * pw, stride, dilation)
            gx = gxp[:, ph:ph + h, pw:pw + wd].transpose(3, 0, 1, 2)
        return gx, gw, gb


class ConvTranspose2d(Function):
    """x (N, Cin, H, W) and weight (Cin, Cout/groups, kh, kw) [+ bias (Cout,)] -> (N, Cout, Ho, Wo) with
    Ho = (H-1)*stride - 2*padding + dilation*(kh-1) + output_padding + 1: the adjoint of conv2d. Backward
    reads x through ``x2``, which is a view of x when x has conv2d's output memory order, so x is watched."""
    saves = (0, 1)

    def forward(self, x, w, b=None, stride=(1, 1), padding=(0, 0), output_padding=(0, 0), dilation=(1, 1),
                groups=1):
        (n, cin, h, wd), (_, cog, kh, kw) = x.shape, w.shape
        cout = cog * groups
        (ph, pw), (oph, opw) = padding, output_padding
        hp = (h - 1) * stride[0] + dilation[0] * (kh - 1) + 1 + oph  # the output before cropping the padding
        wp = (wd - 1) * stride[1] + dilation[1] * (kw - 1) + 1 + opw
        x2 = _as_rows(x)  # (Cin, H*W*N)
        self.x2, self.w = x2, w
        self.geom = (x.shape, hp, wp, stride, padding, dilation, groups)
        dcols = _matmul_groups(_grouped(w, groups, transpose=True), x2, groups)  # (Cout*kh*kw, H*W*N)
        out = col2im(dcols.reshape(cout, kh, kw, h, wd, n), hp, wp, stride, dilation)
        out = out[:, ph:hp - ph, pw:wp - pw]
        if b is not None:
            out += b.reshape(cout, 1, 1, 1)
        return out.transpose(3, 0, 1, 2)

    def derive(self, inputs):
        """create_graph: x's rows as a function of x (see ops/tensor_xp.py); a constant when x doesn't require
        grad."""
        if not self.needs_grad(0):
            return ("x2",)
        self.x2 = _as_rows(inputs[0])

    def backward(self, g):
        (n, cin, h, wd), hp, wp, stride, (ph, pw), dilation, groups = self.geom
        w = self.w
        _, cog, kh, kw = w.shape
        cols = im2col(to_chwn(g, ph, pw), kh, kw, h, wd, stride, dilation).reshape(cog * groups * kh * kw, h * wd * n)
        gx = gw = gb = None
        if self.needs_grad(0):
            gx = _matmul_groups(_grouped(w, groups), cols, groups).reshape(cin, h, wd, n).transpose(3, 0, 1, 2)
        if self.needs_grad(1):
            gw = _weight_grad(cols, self.x2, groups).reshape(w.shape)
        if len(self.inputs) > 2 and self.needs_grad(2):
            gb = g.sum(axis=(0, 2, 3))
        return gx, gw, gb
