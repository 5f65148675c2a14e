"""Matrix products with numpy.matmul semantics (1-D operands, broadcast batch dimensions)."""
from __future__ import annotations

from ..autograd import Function
from ..backend import array_module
from ..errors import ShapeError


def _swap(a):
    return a.swapaxes(-1, -2)


class MatMul(Function):
    saves = (0, 1)

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ShapeError(f"matmul: both arguments need at least 1 dimension, got shapes {a.shape} and {b.shape}")
        if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            raise ShapeError(f"matmul: shapes {a.shape} and {b.shape} don't line up "
                             f"({a.shape[-1]} != {b.shape[-2 if b.ndim > 1 else 0]})")
        self.a, self.b = a, b
        return a @ b

    def backward(self, g):
        a, b = self.a, self.b
        # Treat 1-D operands as a row (a) / column (b) matrix, then drop that axis from the gradient again.
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        if a.ndim == 1:
            g = g[..., None, :] if b.ndim > 1 else g[..., None]
        if b.ndim == 1:
            g = g[..., None]
        ga = gb = None
        if self.needs_grad(0):
            ga = g @ _swap(b2)
            ga = ga[..., 0, :] if a.ndim == 1 else ga
        if self.needs_grad(1):
            gb = _swap(a2) @ g
            gb = gb[..., 0] if b.ndim == 1 else gb
        return ga, gb  # broadcast batch dims are summed away by the engine


class Linear(Function):
    """x @ w.T + b for x (..., in), w (out, in), b (out,): one node instead of three."""
    saves = (0, 1)

    def forward(self, x, w, b=None):
        if x.shape[-1] != w.shape[1]:
            raise ShapeError(f"linear: input has {x.shape[-1]} features (shape {x.shape}) but weight has shape "
                             f"{w.shape} (expects {w.shape[1]})")
        self.x, self.w = x, w
        out = x @ w.T
        return out if b is None else out + b

    def backward(self, g):
        x, w = self.x, self.w
        gx = g @ w if self.needs_grad(0) else None
        gw = gb = None
        if self.needs_grad(1):
            if g.ndim == 1:
                gw = g[:, None] * x[None, :]
            elif g.ndim == 2:
                gw = g.T @ x
            else:  # batch dims fold into one
                gw = g.reshape(-1, g.shape[-1]).T @ x.reshape(-1, x.shape[-1])
        if len(self.inputs) > 2 and self.needs_grad(2):
            gb = g.sum(axis=tuple(range(g.ndim - 1)))
        return gx, gw, gb


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def parse_einsum(equation: str, shapes: list[tuple[int, ...]]) -> tuple[list[str], str]:
    """``equation`` as explicit subscripts per operand and for the output: ``...`` expanded to letters
    (right-aligned, as broadcasting), implicit output (no ``->``) = the letters used once, sorted."""
    eq = equation.replace(" ", "")
    lhs, arrow, out = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: equation {equation!r} has {len(terms)} operands but {len(shapes)} were given")
    free = [c for c in _LETTERS if c not in eq]
    ell = max((len(s) - (len(t) - 3) for t, s in zip(terms, shapes) if "..." in t), default=0)
    ell_letters = "".join(free[:ell])
    subs = []
    for t, s in zip(terms, shapes):
        if "..." in t:
            t = t.replace("...", ell_letters[ell - (len(s) - (len(t) - 3)):])
        if len(t) != len(s):
            raise ValueError(f"einsum: subscripts {t!r} don't match an operand of shape {s}")
        subs.append(t)
    if arrow:
        out = out.replace("...", ell_letters)
    else:
        joined = "".join(subs)
        out = ell_letters + "".join(sorted(c for c in set(joined) if joined.count(c) == 1 and c not in ell_letters))
    return subs, out


class Einsum(Function):
    """einsum with explicit subscripts (see :func:`parse_einsum`). The gradient of operand i is itself an
    einsum of the upstream gradient with the other operands; a letter repeated in operand i (a diagonal)
    gets a fresh letter tied to it by an identity matrix, a letter summed away only from operand i gets a
    ones vector, so every case is one einsum call."""
    saves_all = True  # each operand's gradient reads every other operand

    def forward(self, *arrays, subs, out):
        self.arrays, self.subs, self.out = arrays, subs, out
        return array_module(arrays[0]).einsum(",".join(subs) + "->" + out, *arrays)

    def backward(self, g):
        xp = array_module(g)
        grads = []
        for i, (a, s) in enumerate(zip(self.arrays, self.subs)):
            if not self.needs_grad(i):
                grads.append(None)
                continue
            used = set("".join(self.subs) + self.out)
            fresh = (c for c in _LETTERS if c not in used)
            terms, ops, target = [self.out], [g], ""
            for j, (b, t) in enumerate(zip(self.arrays, self.subs)):
                if j != i:
                    terms.append(t)
                    ops.append(b)
            seen = {}
            for c, n in zip(s, a.shape):
                if c in seen:  # a diagonal: a fresh letter, equal to c through an identity matrix
                    f = next(fresh)
                    terms.append(c + f)
                    ops.append(xp.eye(n, dtype=g.dtype))
                    target += f
                else:
                    seen[c] = n
                    target += c
            present = set("".join(terms))
            for c in target:
                if c not in present:  # summed away from this operand alone: its gradient is broadcast
                    terms.append(c)
                    ops.append(xp.ones(a.shape[target.index(c)], dtype=g.dtype))
                    present.add(c)
            grads.append(xp.einsum(",".join(terms) + "->" + target, *ops))
        return tuple(grads)
